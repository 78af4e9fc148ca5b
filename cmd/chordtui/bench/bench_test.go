package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
)

// runBenchJSON runs "chordtui bench --json" with tiny phases on n nodes and
// returns the decoded report and the raw object.
func runBenchJSON(t *testing.T, n string, extra ...string) (report, map[string]any) {
	t.Helper()
	args := append([]string{"--json", "--duration", "60ms", "--keys", "40", "--clients", "1,3",
		"--rpc-timeout", "2s", "--stable-timeout", "60s", "--seed", "7"}, extra...)
	args = append(args, n)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if code := Run(ctx, args, &stdout, &stderr); code != 0 {
		t.Fatalf("bench exit status %d, stderr:\n%s", code, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("--json wrote to stderr:\n%s", stderr.String())
	}
	var rep report
	dec := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not one bench report: %v\n%s", err, stdout.String())
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON object:\n%s", stdout.String())
	}
	var raw map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	return rep, raw
}

// missingKeys lists the JSON fields of type typ (recursively through
// structs and slices of structs) that obj lacks, omitempty ones excepted.
func missingKeys(typ reflect.Type, obj map[string]any, prefix string) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" || strings.Contains(opts, "omitempty") {
			continue
		}
		v, ok := obj[name]
		if !ok {
			out = append(out, prefix+name)
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct:
			if m, ok := v.(map[string]any); ok {
				out = append(out, missingKeys(ft, m, prefix+name+".")...)
			} else if v != nil {
				out = append(out, prefix+name+" (not an object)")
			}
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			items, _ := v.([]any)
			for j, it := range items {
				if m, ok := it.(map[string]any); ok {
					out = append(out, missingKeys(ft.Elem(), m, prefix+name+"["+string(rune('0'+j%10))+"].")...)
				}
			}
		}
	}
	return out
}

// TestBenchJSON runs the benchmark end to end on five real nodes and checks
// that the JSON report has every figure with a sane value (not the speed).
func TestBenchJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real ring; skipped with -short")
	}
	rep, raw := runBenchJSON(t, "5")
	if missing := missingKeys(reflect.TypeOf(rep), raw, ""); len(missing) > 0 {
		t.Errorf("JSON lacks fields: %s", strings.Join(missing, ", "))
	}
	if _, err := time.Parse(time.RFC3339, rep.Date); err != nil {
		t.Errorf("date %q: %v", rep.Date, err)
	}
	if !strings.HasPrefix(rep.Command, "chordtui bench ") || !strings.HasSuffix(rep.Command, " 5") {
		t.Errorf("command = %q, want the command line that was run", rep.Command)
	}
	if rep.Nodes != 5 || rep.Replicas != 3 || rep.Keys != 40 || rep.GoVersion == "" || rep.GOMAXPROCS < 1 {
		t.Errorf("settings: nodes %d replicas %d keys %d go %q gomaxprocs %d", rep.Nodes, rep.Replicas, rep.Keys, rep.GoVersion, rep.GOMAXPROCS)
	}
	if rep.Failure != "" {
		t.Errorf("the run stopped early: %s", rep.Failure)
	}
	if rep.IdleBackoff > 1 && (rep.IdleSleepingAfterS <= 0 || rep.IdleSleepingCores <= 0) {
		t.Errorf("idle backoff %d× but idle_sleeping_after_s %v, idle_sleeping_cores_used %v", rep.IdleBackoff, rep.IdleSleepingAfterS, rep.IdleSleepingCores)
	}
	if want := ms(cluster.DefaultConfig().Chord.LivenessWindow); rep.RPCTimeoutMS != 2000 || rep.IdleTimeoutS <= 0 || rep.LivenessMS != want {
		t.Errorf("rpc_timeout_ms %v, idle_timeout_s %v, liveness_ms %v (want the default %v)", rep.RPCTimeoutMS, rep.IdleTimeoutS, rep.LivenessMS, want)
	}
	if len(rep.LoadAvg) != 2 {
		t.Errorf("load_avg = %v, want start and end", rep.LoadAvg)
	}
	if rep.StartToStableS <= 0 || rep.StartToStableS > 60 {
		t.Errorf("start_to_stable_s = %v", rep.StartToStableS)
	}
	if rep.PreloadErrors != 0 {
		t.Errorf("%d of the %d key writes failed", rep.PreloadErrors, rep.Keys)
	}

	f := rep.Floor
	for name, p := range map[string][2]float64{
		"raw TCP": {f.RawTCPP50us, f.RawTCPP99us}, "yamux": {f.YamuxStreamP50us, f.YamuxStreamP99us},
		"netmux": {f.NetmuxCallP50us, f.NetmuxCallP99us},
	} {
		if p[0] <= 0 || p[1] < p[0] || p[0] > 1e5 {
			t.Errorf("floor %s: p50 %v µs, p99 %v µs", name, p[0], p[1])
		}
	}
	if len(f.RoundTrips) != 3 || f.RoundTrips[0] < 1 {
		t.Errorf("floor round trips = %v", f.RoundTrips)
	}
	if rep.Ratios.NetmuxOverTCP <= 0 || rep.Ratios.GetOverTCP <= 0 || rep.Ratios.GetOverYamux <= 0 || rep.Ratios.GetOverBound <= 0 {
		t.Errorf("ratios = %+v", rep.Ratios)
	}

	var seen []string
	maxHops := math.Log2(5) + 3
	for _, p := range rep.Phases {
		seen = append(seen, p.Op+"/"+string(rune('0'+p.Clients)))
		if p.Ops < 1 || p.Errors != 0 || p.PerSec <= 0 || p.P50us <= 0 || p.P99us < p.P50us || p.Seconds <= 0 || p.CPUus <= 0 || p.CPUShare <= 0 || p.AllocBytes <= 0 || p.Allocs <= 0 || p.OpenFDs < 5 {
			t.Errorf("phase %s with %d clients: %+v", p.Op, p.Clients, p)
		}
		// A get or a set calls its owner over a socket unless the origin
		// owns the key: some reads and writes an operation (Linux counts
		// them, in /proc/self/io).
		if runtime.GOOS == "linux" && p.Op != "lookup" && (p.Reads <= 0 || p.Writes <= 0) {
			t.Errorf("phase %s with %d clients: %v reads and %v writes an operation", p.Op, p.Clients, p.Reads, p.Writes)
		}
		if p.HopsMean < 0 || p.HopsMean > maxHops || float64(p.HopsP99) > maxHops {
			t.Errorf("phase %s: hops mean %v p99 %d on 5 nodes", p.Op, p.HopsMean, p.HopsP99)
		}
	}
	if got, want := strings.Join(seen, " "), "lookup/1 lookup/3 get/1 get/3 set/1 set/3"; got != want {
		t.Errorf("phases = %s, want %s", got, want)
	}
	if want := 0.5 * math.Log2(5); math.Abs(rep.HopsTheory-want) > 1e-9 {
		t.Errorf("hops_theory = %v, want %v", rep.HopsTheory, want)
	}
	// On 5 nodes with r = 4 every origin's successor list covers every
	// owner: a get (which trusts the owner its lookup names) and a lookup
	// (which takes an owner that answered the origin within the liveness
	// window without a ping) can both make 0 hops, a get never more.
	if rep.LookupHopsMean < 0 || rep.LookupHopsMean > maxHops || rep.GetHopsMean < 0 || rep.GetHopsMean > rep.LookupHopsMean {
		t.Errorf("hops: lookup mean %v, get mean %v", rep.LookupHopsMean, rep.GetHopsMean)
	}

	for name, k := range map[string]struct {
		kr     *killReport
		killed int
	}{"kill_one": {rep.KillOne, 1}, "kill_adjacent": {rep.KillAdjacent, rep.Replicas - 1}} {
		if k.kr == nil {
			t.Errorf("%s missing", name)
			continue
		}
		if len(k.kr.Killed) != k.killed || !k.kr.Stable || k.kr.StableS <= 0 || k.kr.Skipped != "" {
			t.Errorf("%s: %+v", name, *k.kr)
		}
		// r copies of every key: fewer than r crashes must not lose a read.
		if k.kr.Gets < 1 || k.kr.FailedGets != 0 {
			t.Errorf("%s: %d of %d gets failed during repair (first: %s)", name, k.kr.FailedGets, k.kr.Gets, k.kr.FirstError)
		}
	}
	if len(rep.KillOne.Killed) == 1 && len(rep.KillAdjacent.Killed) > 0 && rep.KillOne.Killed[0] == rep.KillAdjacent.Killed[0] {
		t.Errorf("the second experiment killed the already dead %s", rep.KillOne.Killed[0])
	}

	m := rep.Memory
	if m.RSSMB <= 0 || m.PeakRSSMB < m.RSSMB || m.HeapMB <= 0 || m.StackMB <= 0 || m.Goroutines < 5 || m.OpenFDs < 5 || m.FDsPerNode <= 0 ||
		m.PeakFDs < m.OpenFDs || m.FDLimit < m.PeakFDs {
		t.Errorf("memory = %+v", m)
	}

	figures := map[string]bool{}
	for _, g := range rep.Goals {
		figures[g.Figure] = true
		if g.Value == "" || g.Goal == "" {
			t.Errorf("goal %+v lacks a value or a goal", g)
		}
	}
	for _, want := range []string{"start → stable", "get p50, 1 client(s)", "kill 1 → stable", "kill 1: failed gets", "RSS at N", "peak open fds"} {
		if !figures[want] {
			t.Errorf("goals lack %q (have %v)", want, figures)
		}
	}
	if raw["goals"].([]any)[0].(map[string]any)["met"] != nil {
		t.Errorf("start → stable at N = 5 is judged, but its goal is for N = 16: %v", raw["goals"].([]any)[0])
	}
}

// TestBenchTable checks the human-readable output: the tables are there and
// every goal row has a verdict.
func TestBenchTable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real ring; skipped with -short")
	}
	var stdout, stderr bytes.Buffer
	args := []string{"--duration", "30ms", "--keys", "10", "--clients", "2", "--no-kill", "--rpc-timeout", "2s", "3"}
	if code := Run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit status %d, stderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"chordtui bench: 3 nodes on 127.0.0.1",
		"loopback floor (64-byte ping-pong, 1 caller): raw TCP p50",
		"hops per lookup: mean",
		"figure", "met?", "RSS at N",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	header := false
	for _, line := range strings.Split(out, "\n") {
		header = header || strings.Join(strings.Fields(line), " ") == "op clients ops errors ops/s p50 µs p99 µs hops mean hops p99 CPU µs/op cores used bytes/op allocs/op reads/op writes/op fds after"
	}
	if !header {
		t.Errorf("no load table header:\n%s", out)
	}
	if strings.Contains(out, "kill one") {
		t.Errorf("--no-kill still killed:\n%s", out)
	}
	// The output stands alone: it cites no issue tracker.
	if strings.Contains(strings.ToLower(out), "issue") || strings.Contains(out, "#") {
		t.Errorf("output cites something outside the program:\n%s", out)
	}
	for _, line := range strings.Split(out[strings.Index(out, "figure"):], "\n")[1:] {
		if line == "" {
			break
		}
		if !strings.HasSuffix(line, "yes") && !strings.HasSuffix(line, "NO") && !strings.HasSuffix(line, "—") {
			t.Errorf("goal row without a verdict: %q", line)
		}
	}
	if !strings.Contains(stderr.String(), "bench: starting 3 nodes") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
}

// TestBenchBadArguments: bad flags and arguments exit with status 2 and say
// what is wrong, before any node starts.
func TestBenchBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "missing N"},
		{[]string{"0"}, "N must be a whole number"},
		{[]string{"--clients", "0", "4"}, "--clients"},
		{[]string{"--clients", "1,x", "4"}, "--clients"},
		{[]string{"--duration", "0s", "4"}, "--duration must be positive"},
		{[]string{"--keys", "0", "4"}, "--keys must be at least 1"},
		{[]string{"--max-ops", "0", "4"}, "--max-ops"},
		{[]string{"--monitor", "0s", "4"}, "--monitor"},
		{[]string{"--idle-timeout", "-1s", "4"}, "--idle-timeout"},
		{[]string{"--ops", "get,put", "4"}, "--ops"},
		{[]string{"--replicas", "9", "4"}, "replicas"},
		{[]string{"--no-such-flag", "4"}, "no-such-flag"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), tt.args, &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout not empty: %s", stdout.String())
			}
		})
	}
}

// percentile is the nearest-rank quantile, for latencies and hop counts
// alike: p50 of 1..10 is 5, p99 is 10, nothing is 0.
func TestPercentile(t *testing.T) {
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	hops := []int{0, 0, 1, 1, 1, 2, 2, 3, 3, 7}
	tests := []struct {
		q    float64
		want time.Duration
		hops int
	}{{0.5, 5, 1}, {0.99, 10, 7}, {0.1, 1, 0}, {1, 10, 7}, {0.01, 1, 0}, {0.9, 9, 3}}
	for _, tt := range tests {
		if got := percentile(d, tt.q); got != tt.want {
			t.Errorf("percentile(1..10, %v) = %v, want %v", tt.q, got, tt.want)
		}
		if got := percentile(hops, tt.q); got != tt.hops {
			t.Errorf("percentile(%v, %v) = %v, want %v", hops, tt.q, got, tt.hops)
		}
	}
	if got := percentile([]time.Duration(nil), 0.5); got != 0 {
		t.Errorf("percentile(empty) = %v, want 0", got)
	}
	if got := percentile([]int{}, 0.99); got != 0 {
		t.Errorf("percentile(empty ints) = %v, want 0", got)
	}
}

// TestBenchStopsEarly: a ring that is not stable in time ends the run with
// exit status 1, the reason on stderr, and the report of what was measured
// (no load phase, start judged "not stable").
func TestBenchStopsEarly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real ring; skipped with -short")
	}
	var stdout, stderr bytes.Buffer
	args := []string{"--json", "--stable-timeout", "1ms", "--duration", "10ms", "16"}
	if code := Run(context.Background(), args, &stdout, &stderr); code != 1 {
		t.Fatalf("exit status %d, want 1; stderr:\n%s", code, stderr.String())
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("no report: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(rep.Failure, "start: not stable after 1ms") || !strings.Contains(stderr.String(), rep.Failure) {
		t.Errorf("failure %q, stderr %q", rep.Failure, stderr.String())
	}
	if len(rep.Phases) != 0 || rep.KillOne != nil || rep.StartToStableS != 0 {
		t.Errorf("measured past the failure: %+v", rep)
	}
	if rep.Memory.RSSMB <= 0 || rep.Memory.PeakFDs <= 0 || rep.Floor.RawTCPP50us <= 0 {
		t.Errorf("figures measured before the failure are missing: memory %+v floor %+v", rep.Memory, rep.Floor)
	}
	if g := rep.Goals[0]; g.Figure != "start → stable" || g.Value != "not stable" || g.Met == nil || *g.Met {
		t.Errorf("start goal = %+v, want not stable and not met", g)
	}
}

// A run without a get phase prints no get ratios (they would read 0.00).
func TestTablesLeaveOutUnmeasuredGetRatios(t *testing.T) {
	for _, tt := range []struct {
		getOverTCP float64
		want       bool
	}{{0, false}, {3.5, true}} {
		var b strings.Builder
		rep := &report{Ratios: ratioReport{NetmuxOverTCP: 2, NetmuxOverYamux: 1.4, GetOverTCP: tt.getOverTCP, GetOverYamux: tt.getOverTCP / 2}}
		writeTables(&b, rep)
		if got := strings.Contains(b.String(), "get p50 / raw TCP"); got != tt.want {
			t.Errorf("get p50 / raw TCP = %v: printed %v, want %v:\n%s", tt.getOverTCP, got, tt.want, b.String())
		}
	}
}
