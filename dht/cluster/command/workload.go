package command

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
)

// workloadUsage is the workload command's usage line.
const workloadUsage = "workload get|set|mix PCT N keys [uniform|zipf α] [for DURATION] [ops COUNT] [rate OPS] [clients C] [via NODE|random]"

// WorkloadStopped is the data of "workload stop": whether one was running.
type WorkloadStopped struct {
	Stopped bool `json:"stopped"`
}

// ParseWorkload reads the words after "workload" (without "via NODE",
// which is via) into a spec: the operations (get, set, or mix PCT with
// PCT the share of gets), N keys, then in any order the popularity
// (uniform, or zipf α), for DURATION, ops COUNT, rate OPS (per second),
// clients C and via NODE (when not last). Unset options keep
// cluster.DefaultWorkload's values.
func ParseWorkload(args []string, via string) (cluster.WorkloadSpec, error) {
	spec := cluster.DefaultWorkload()
	if via != "" {
		spec.Via = via
	}
	bad := func(format string, a ...any) (cluster.WorkloadSpec, error) {
		return spec, errorf(ErrUsage, "workload: "+format+" — usage: "+workloadUsage, a...)
	}
	i := 0
	next := func() (string, bool) {
		if i >= len(args) {
			return "", false
		}
		i++
		return args[i-1], true
	}
	op, _ := next()
	switch strings.ToLower(op) {
	case "get":
		spec.ReadPercent = 100
	case "set":
		spec.ReadPercent = 0
	case "mix":
		w, ok := next()
		p, err := strconv.Atoi(strings.TrimSuffix(w, "%"))
		if !ok || err != nil || p < 0 || p > 100 {
			return bad("mix wants the percentage of gets (0 to 100), got %s", quote(w))
		}
		spec.ReadPercent = p
	default:
		return bad("%s is not get, set or mix", quote(op))
	}
	w, _ := next()
	n, err := strconv.Atoi(w)
	if strings.EqualFold(op, "mix") && strings.EqualFold(w, "keys") { // mix 10 keys: no PCT
		return bad("mix wants the percentage of gets, then the number of keys (mix 80 1000 keys)")
	}
	if err != nil || n < 1 {
		return bad("%s is not a number of keys", quote(w))
	}
	spec.Keys = n
	if w, ok := next(); !ok || !strings.EqualFold(w, "keys") {
		return bad("the number of keys is followed by \"keys\", got %s", quote(w))
	}
	durationSet, viaSet := false, via != ""
	given := map[string]bool{} // each option once: a second one is a mistake
	for i < len(args) {
		word, _ := next()
		option := strings.ToLower(word)
		if option == "uniform" {
			option = "zipf" // both say the popularity
		}
		if option != "via" && given[option] {
			return bad("%s given twice (or uniform and zipf both)", quote(word))
		}
		given[option] = true
		arg := func() (string, bool) {
			v, ok := next()
			return v, ok
		}
		switch strings.ToLower(word) {
		case "uniform":
			spec.Zipf = 0
		case "zipf":
			v, ok := arg()
			a, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil || !(a > 0 && a <= 10) { // also refuses NaN
				return bad("zipf wants an exponent α above 0 and at most 10, such as 1.0 (or say uniform), got %s", quote(v))
			}
			spec.Zipf = a
		case "for":
			v, ok := arg()
			d, err := time.ParseDuration(v)
			if ok && err != nil && cluster.TooLongDuration(v) {
				return bad("for wants a positive duration such as 10s, got %s: %s", quote(v), cluster.NotADuration(v))
			}
			if !ok || err != nil || d <= 0 {
				return bad("for wants a positive duration such as 10s, got %s", quote(v))
			}
			spec.Duration, durationSet = d, true
		case "ops":
			v, ok := arg()
			k, err := strconv.Atoi(v)
			if !ok || err != nil || k < 1 {
				return bad("ops wants a positive number of operations, got %s", quote(v))
			}
			spec.Ops = k
		case "rate":
			v, ok := arg()
			r, err := strconv.ParseFloat(strings.TrimSuffix(v, "/s"), 64)
			if !ok || err != nil || r <= 0 {
				return bad("rate wants operations per second, got %s", quote(v))
			}
			spec.Rate = r
		case "via": // also before other options; Parse takes it only at the end
			v, ok := arg()
			if !ok {
				return bad("via wants a node or random")
			}
			if viaSet {
				return bad("via given twice")
			}
			spec.Via, viaSet = v, true
		case "clients":
			v, ok := arg()
			k, err := strconv.Atoi(v)
			if !ok || err != nil || k < 1 {
				return bad("clients wants a positive number, got %s", quote(v))
			}
			spec.Clients = k
		default:
			return bad("unknown option %s (uniform, zipf α, for D, ops N, rate R, clients C, via NODE)", quote(word))
		}
	}
	if spec.Ops > 0 && !durationSet {
		spec.Duration = 0 // ops alone: run until they are done
	}
	if err := spec.Validate(); err != nil {
		return spec, err
	}
	return spec, nil
}

func runWorkload(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	if len(cmd.Args) == 1 && strings.EqualFold(cmd.Args[0], "stop") {
		if !c.StopWorkload() {
			return nil, errorf(ErrUsage, "workload stop: no workload is running")
		}
		return WorkloadStopped{Stopped: true}, nil
	}
	spec, err := ParseWorkload(cmd.Args, cmd.Via)
	if err != nil {
		return nil, err
	}
	return c.RunWorkload(ctx, spec, nil)
}

// WorkloadSpecText says what a workload does: "get, 10000 keys, zipf 1,
// for 10s, 8 clients, via random".
func WorkloadSpecText(s cluster.WorkloadSpec) string {
	op := "get"
	switch s.ReadPercent {
	case 100:
	case 0:
		op = "set"
	default:
		op = fmt.Sprintf("mix %d%% gets", s.ReadPercent)
	}
	out := fmt.Sprintf("%s, %d keys, %s", op, s.Keys, s.Popularity())
	if s.Duration > 0 {
		out += ", for " + s.Duration.String()
	}
	if s.Ops > 0 {
		out += fmt.Sprintf(", %d ops", s.Ops)
	}
	if s.Rate > 0 {
		out += fmt.Sprintf(", rate %g/s", s.Rate)
	}
	return out + fmt.Sprintf(", %d clients, via %s", s.Clients, s.Via)
}

// WorkloadProgressText is a running workload in one line.
func WorkloadProgressText(p cluster.WorkloadProgress) string {
	if p.Phase == "preparing" {
		return fmt.Sprintf("workload preparing: %d of %d keys written", p.Prepared, p.Spec.Keys)
	}
	rate := 0.0
	if p.Elapsed > 0 {
		rate = float64(p.Ops) / p.Elapsed.Seconds()
	}
	of := ""
	if p.Spec.Duration > 0 {
		of = fmt.Sprintf(" of %gs", p.Spec.Duration.Seconds())
	}
	return fmt.Sprintf("workload %.1f s%s: %d ops (%.0f/s), %s, %s", p.Elapsed.Seconds(), of, p.Ops, rate,
		Plural(int(p.Errors), "error"), Plural(int(p.Stale), "stale read"))
}

// workloadText is a workload's report.
func workloadText(r cluster.WorkloadResult) string {
	var b strings.Builder
	how := "ran"
	if r.Stopped {
		how = "stopped after"
	}
	fmt.Fprintf(&b, "workload %s: %s %.1f s, %d ops (%.0f/s), %s, %s of %d checked",
		WorkloadSpecText(r.Spec), how, r.Took.Seconds(), r.Ops, r.OpsPerSec(),
		Plural(int(r.Errors), "error"), Plural(int(r.Stale), "stale read"), r.Checked)
	if r.Prepared > 0 {
		fmt.Fprintf(&b, "\n  prepared: every key written once, %d keys in %.1f s", r.Prepared, r.PrepareTook.Seconds())
	}
	lat := func(name string, l cluster.Latency) {
		if l.Count == 0 {
			return
		}
		fmt.Fprintf(&b, "\n  %s %d: p50 %v, p99 %v, max %v", name, l.Count, latency(l.P50), latency(l.P99), latency(l.Max))
	}
	lat("gets", r.Gets)
	lat("sets", r.Sets)
	fmt.Fprintf(&b, "\n  hops to the owner: mean %.2f", r.Hops)
	if r.Cached > 0 {
		fmt.Fprintf(&b, "; %d gets answered from a cache", r.Cached)
	}
	if r.Load.Requests.Nodes > 0 {
		fmt.Fprintf(&b, "\n  requests served per node: %s", spreadText(r.Load.Requests, "%.0f"))
		fmt.Fprintf(&b, "\n  routing steps per node:   %s", spreadText(r.Load.Routing, "%.0f"))
	}
	if r.Errors > 0 {
		kinds := make([]string, 0, len(r.ErrorKinds))
		for k, n := range r.ErrorKinds {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
		}
		sort.Strings(kinds)
		fmt.Fprintf(&b, "\n  errors: %s", strings.Join(kinds, ", "))
		for _, e := range r.Examples {
			fmt.Fprintf(&b, "\n    %s", e)
		}
	}
	for _, e := range r.StaleExamples {
		fmt.Fprintf(&b, "\n  STALE: %s", e)
	}
	return b.String()
}

// latency rounds a latency for reading: µs below 10 ms, else ms.
func latency(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}
