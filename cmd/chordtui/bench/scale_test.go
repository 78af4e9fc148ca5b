package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Each goal is judged at the size it is set for, with that size's bound,
// and only shown elsewhere.
func TestGoalsByRingSize(t *testing.T) {
	ring := func(n int, rss, startS, killS, idle, lookups float64) *report {
		return &report{
			Nodes: n, StartToStableS: startS, IdleSleepingAfterS: 1, IdleSleepingCores: idle,
			Phases:  []phaseReport{{Op: "lookup", Clients: 16, PerSec: lookups}},
			KillOne: &killReport{Killed: []string{"n1"}, Stable: true, StableS: killS, Gets: 10},
			Memory:  memoryReport{RSSMB: rss, PeakFDs: 100, FDLimit: 20000},
		}
	}
	// Without backoff the idle goal judges the idle figure as it is.
	noBackoff := func(rep *report, idle float64) *report {
		rep.IdleSleepingAfterS, rep.IdleSleepingCores, rep.IdleCores = 0, 0, idle
		return rep
	}
	tests := []struct {
		name string
		rep  *report
		want map[string]string // figure → "yes", "NO" or "—"
	}{
		{"16 without backoff", noBackoff(ring(16, 10, 0.5, 0.1, 0, 41000), 0.06), map[string]string{"idle cores": "NO"}},
		{"16 meets", ring(16, 15.9, 0.9, 0.4, 0.04, 41000), map[string]string{
			"start → stable": "yes", "RSS at N": "yes", "kill 1 → stable": "yes",
			"idle cores, periods backed off": "yes", "lookups/s, 16 clients": "yes", "peak open fds": "yes"}},
		{"16 misses", ring(16, 16.1, 1.1, 0.6, 0.06, 39000), map[string]string{
			"start → stable": "NO", "RSS at N": "NO", "kill 1 → stable": "NO",
			"idle cores, periods backed off": "NO", "lookups/s, 16 clients": "NO", "kill 1: failed gets": "yes"}},
		{"128: lookups judged, the rest shown", ring(128, 500, 50, 5, 1, 20000), map[string]string{
			"lookups/s, 16 clients": "yes", "start → stable": "—", "RSS at N": "—", "kill 1 → stable": "—", "idle cores, periods backed off": "—"}},
		{"256 has its own bounds", ring(256, 119, 50, 1.9, 0.24, 10), map[string]string{
			"RSS at N": "yes", "kill 1 → stable": "yes", "idle cores, periods backed off": "yes", "lookups/s, 16 clients": "—", "start → stable": "—"}},
		{"256 misses", ring(256, 121, 50, 2.1, 0.26, 10), map[string]string{
			"RSS at N": "NO", "kill 1 → stable": "NO", "idle cores, periods backed off": "NO"}},
		{"1024", ring(1024, 900, 9.9, 2.1, 1, 9999), map[string]string{
			"start → stable": "yes", "kill 1 → stable": "NO", "lookups/s, 16 clients": "NO", "RSS at N": "—"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, g := range goals(tt.rep) {
				v := "—"
				if g.Met != nil {
					v = map[bool]string{true: "yes", false: "NO"}[*g.Met]
				} else if !strings.HasPrefix(g.Goal, "— (") {
					t.Errorf("%s: shown goal %q is not in brackets", g.Figure, g.Goal)
				}
				got[g.Figure] = v
			}
			for fig, want := range tt.want {
				if got[fig] != want {
					t.Errorf("%s: %q, want %q (all: %v)", fig, got[fig], want, got)
				}
			}
		})
	}
}

// The ratio goal compares a lookup's CPU per (hop + 1) at 128 and 256
// nodes with 16 nodes' in the same run; other pairs are shown, not judged.
func TestScaleGoals(t *testing.T) {
	run := func(n int, cpu, hops float64) *report {
		return &report{Nodes: n, LookupStyle: "recursive", Phases: []phaseReport{
			{Op: "lookup", Style: "recursive", Clients: 1, CPUus: 1, HopsMean: 9},
			{Op: "lookup", Style: "recursive", Clients: 16, CPUus: cpu, HopsMean: hops},
			{Op: "lookup", Style: "iterative", Clients: 32, CPUus: 1, HopsMean: 9},
		}}
	}
	tests := []struct {
		name string
		runs []*report
		want []string // the ratio rows: "value met"
	}{
		{"met and not", []*report{run(16, 40, 1), run(128, 122.5, 2.5), run(256, 170, 3.2)},
			[]string{"1.75 (35.0 ÷ 20.0 µs) true", "2.02 (40.5 ÷ 20.0 µs) false"}},
		{"not 16: shown", []*report{run(32, 40, 1), run(128, 100, 1.5)},
			[]string{"2.00 (40.0 ÷ 20.0 µs) <nil>"}},
		{"512 is not judged", []*report{run(16, 40, 1), run(512, 60, 2)},
			[]string{"1.00 (20.0 ÷ 20.0 µs) <nil>"}},
		{"16 not the smallest: still the base", []*report{run(8, 30, 0.5), run(16, 40, 1), run(128, 122.5, 2.5)},
			[]string{"1.00 (20.0 ÷ 20.0 µs) <nil>", "1.75 (35.0 ÷ 20.0 µs) true"}},
		{"no lookups at one size", []*report{run(16, 40, 1), {Nodes: 128, LookupStyle: "recursive"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := scaleRows(tt.runs)
			if rows[0].Clients != 16 || rows[0].OverSmallest != 1 {
				t.Errorf("first row %+v: want the 16-client phase of the first style, over itself 1", rows[0])
			}
			var got []string
			for _, g := range scaleGoals(rows, tt.runs) {
				if strings.HasPrefix(g.Figure, "CPU per lookup") {
					met := "<nil>"
					if g.Met != nil {
						met = fmt.Sprint(*g.Met)
					}
					got = append(got, g.Value+" "+met)
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("ratio goals %q, want %q", got, tt.want)
			}
		})
	}
}

// "bench N,N" runs each size in turn in one process and prints one JSON
// object: every size's report, the sizes side by side, and the goals.
func TestBenchScaleJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real rings; skipped with -short")
	}
	args := []string{"--json", "--no-kill", "--ops", "lookup", "--clients", "1,3", "--duration", "60ms", "--keys", "20",
		"--rpc-timeout", "2s", "--stable-timeout", "60s", "--seed", "7", "5,3"}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	fdsBefore := openFDs()
	if code := Run(ctx, args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit status %d, stderr:\n%s", code, stderr.String())
	}
	// Each ring is closed before the next size, the last one too.
	if after := openFDs(); after > fdsBefore+2 {
		t.Errorf("%d descriptors open after the run, %d before", after, fdsBefore)
	}
	if stderr.Len() != 0 {
		t.Errorf("--json wrote to stderr:\n%s", stderr.String())
	}
	var sr scaleReport
	dec := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sr); err != nil || dec.More() {
		t.Fatalf("stdout is not one scale report (%v):\n%s", err, stdout.String())
	}
	if len(sr.Runs) != 2 || sr.Runs[0].Nodes != 3 || sr.Runs[1].Nodes != 5 || sr.Failure != "" {
		t.Fatalf("runs of %d sizes, failure %q; want 3 then 5 nodes", len(sr.Runs), sr.Failure)
	}
	for i, rep := range sr.Runs {
		row := sr.Scale[i]
		if rep.StartToStableS <= 0 || rep.Memory.RSSMB <= 0 || rep.Memory.PeakRSSMB < rep.Memory.RSSMB || len(rep.Phases) != 2 {
			t.Errorf("%d nodes: start %v, memory %+v, %d phases", rep.Nodes, rep.StartToStableS, rep.Memory, len(rep.Phases))
		}
		p := rep.Phases[1]
		if row.Nodes != rep.Nodes || row.Clients != 3 || row.CPUus != p.CPUus || row.CPUPerNode != p.CPUus/(p.HopsMean+1) {
			t.Errorf("row %+v does not match the 3-client lookup phase %+v", row, p)
		}
	}
	if sr.Scale[0].OverSmallest != 1 || sr.Scale[1].OverSmallest != sr.Scale[1].CPUPerNode/sr.Scale[0].CPUPerNode {
		t.Errorf("ratios %v, %v", sr.Scale[0].OverSmallest, sr.Scale[1].OverSmallest)
	}
	if len(sr.Goals) == 0 || !strings.HasPrefix(sr.Goals[0].Figure, "CPU per lookup per (hop+1), N = 5 ÷ N = 3") || sr.Goals[0].Met != nil {
		t.Errorf("first goal %+v: want the ratio, not judged at these sizes", sr.Goals)
	}
}

// With several sizes, the options that measure one ring are refused before
// any node starts.
func TestBenchScaleRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"--files", "3,5"}, {"--balance", "3,5"}, {"--cpuprofile", "x", "3,5"}, {"--trace", "x", "3,5"},
		{"3,x"}, {"3,,5"}, {"--bits", "6", "65,3"},
	} {
		var stdout, stderr bytes.Buffer
		if code := Run(context.Background(), args, &stdout, &stderr); code != 2 || stdout.Len() != 0 ||
			!strings.Contains(stderr.String(), "give one N") && !strings.Contains(stderr.String(), "N must be") &&
				!strings.Contains(stderr.String(), "65 nodes do not fit") {
			t.Errorf("%q: exit status %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
}

// The tables of several sizes end with the sizes side by side and the
// goals, with a count of the verdicts.
func TestScaleTables(t *testing.T) {
	run := func(n int, cpu, hops float64) *report {
		rep := &report{Nodes: n, LookupStyle: "iterative", Phases: []phaseReport{{Op: "lookup", Style: "iterative", Clients: 16, CPUus: cpu, HopsMean: hops, PerSec: 1000}}}
		rep.Goals = goals(rep)
		return rep
	}
	sr := &scaleReport{Runs: []*report{run(16, 40, 1), run(128, 122.5, 2.5), {Nodes: 256, LookupStyle: "recursive"}}}
	sr.Scale = scaleRows(sr.Runs)
	sr.Goals = scaleGoals(sr.Scale, sr.Runs)
	var out bytes.Buffer
	writeScaleTables(&out, sr)
	var lines []string // each line with its runs of blanks made one
	for _, l := range strings.Split(out.String(), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"per (hop+1) ÷ N = 16\n",
		"\n128 iterative 16 1000 2.50 122.5 35.0 1.75\n",
		"\n256 recursive — — — — — —\n",
		"\nCPU per lookup per (hop+1), N = 128 ÷ N = 16 1.75 (35.0 ÷ 20.0 µs) ≤ 2 for N = 128 and 256 ÷ N = 16 yes\n",
		"\nN = 128: lookups/s, 16 clients 1000 ≥ 20000 at N = 128 NO\n",
		"\ngoals judged: 5 met, 3 not met\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("tables lack %q:\n%s", want, text)
		}
	}
}
