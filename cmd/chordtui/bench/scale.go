package bench

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"text/tabwriter"
	"time"
)

// This file is "chordtui bench N,N,…": the whole benchmark at each size,
// smallest first, in one process, and how a lookup's cost grows with N.

// scaleReport is one run over several ring sizes: each size's report, in
// ascending order, and what they say side by side.
type scaleReport struct {
	Command string    `json:"command"`
	Date    string    `json:"date"`
	Runs    []*report `json:"runs"`
	// Scale is a row per size: its lookups with the most clients of the
	// run, and their CPU per (hop + 1) over the smallest size's.
	Scale []scaleRow `json:"scale"`
	// Goals are the goals that compare sizes, then every goal one of the
	// runs judged, its figure prefixed with N.
	Goals        []goalReport `json:"goals"`
	TotalSeconds float64      `json:"total_s"`
	// Failure says which size stopped early and why; the sizes after it
	// did not run.
	Failure string `json:"failure,omitempty"`
}

// scaleRow is one size's lookup phase with the most clients, in the first
// lookup style. A lookup of h hops is h + 1 nodes' work, so CPUPerNode,
// its CPU per (hop + 1), is what would stay flat if a hop cost as much on
// a large ring as on a small one; OverSmallest is that figure over the
// smallest size's (0 when either size ran no lookup phase).
type scaleRow struct {
	Nodes        int     `json:"nodes"`
	Style        string  `json:"lookup_style"`
	Clients      int     `json:"clients"`
	LookupsPerS  float64 `json:"lookups_per_s"`
	HopsMean     float64 `json:"hops_mean"`
	CPUus        float64 `json:"cpu_us_per_lookup"`
	CPUPerNode   float64 `json:"cpu_us_per_hop_plus_1"`
	OverSmallest float64 `json:"over_smallest"`
}

// ratioGoal is the most a lookup's CPU per (hop + 1) may grow from 16
// nodes to 128 or 256 (the same run).
const ratioGoal = 2.0

// parseScale refuses the options that measure one size only.
func (o *options) parseScale(balance bool) error {
	switch {
	case balance:
		return fmt.Errorf("--balance measures one ring: give one N")
	case o.files:
		return fmt.Errorf("--files measures one ring: give one N")
	case o.cpuProfile != "" || o.memProfile != "" || o.traceFile != "":
		return fmt.Errorf("--cpuprofile, --memprofile and --trace profile one ring: give one N")
	}
	return nil
}

// runScale runs one size after another with runOne, which closes its
// ring, and prints the report of them all. It stops at the first size that
// fails; the report then holds the sizes measured until then.
func runScale(ctx context.Context, sizes []int, command string, stdout, stderr io.Writer, asJSON bool, runOne func(n int) (*report, int)) int {
	began := time.Now()
	sr := &scaleReport{Command: command, Date: began.UTC().Format(time.RFC3339)}
	code := 0
	for i, n := range sizes {
		if !asJSON {
			fmt.Fprintf(stderr, "bench: size %d of %d: %d nodes\n", i+1, len(sizes), n)
		}
		rep, c := runOne(n)
		if rep != nil {
			sr.Runs = append(sr.Runs, rep)
		}
		if c != 0 {
			code = c
			sr.Failure = fmt.Sprintf("%d nodes: stopped early", n)
			if rep != nil && rep.Failure != "" {
				sr.Failure = fmt.Sprintf("%d nodes: %s", n, rep.Failure)
			}
			break
		}
		if i == len(sizes)-1 {
			break
		}
		if ctx.Err() != nil {
			code, sr.Failure = 1, "interrupted"
			break
		}
		// The next size starts from what a fresh process would have: the
		// last ring's memory returned, and the peak RSS counted anew.
		debug.FreeOSMemory()
		resetPeakRSS()
	}
	if len(sr.Runs) == 0 {
		return code
	}
	sr.Scale = scaleRows(sr.Runs)
	sr.Goals = scaleGoals(sr.Scale, sr.Runs)
	sr.TotalSeconds = time.Since(began).Seconds()
	return emit(stdout, stderr, asJSON, sr, func(w io.Writer) { writeScaleTables(w, sr) }, code)
}

// scaleRows makes a row per run from its lookup phase with the most
// clients in the run's first lookup style.
func scaleRows(runs []*report) []scaleRow {
	rows := make([]scaleRow, 0, len(runs))
	for _, rep := range runs {
		row := scaleRow{Nodes: rep.Nodes, Style: rep.LookupStyle}
		for _, p := range rep.Phases {
			if p.Op == "lookup" && p.Style == rep.LookupStyle && p.Clients > row.Clients {
				row.Clients, row.LookupsPerS, row.HopsMean, row.CPUus = p.Clients, p.PerSec, p.HopsMean, p.CPUus
				row.CPUPerNode = p.CPUus / (p.HopsMean + 1)
			}
		}
		rows = append(rows, row)
	}
	if len(rows) > 0 && rows[0].CPUPerNode > 0 {
		for i := range rows {
			if rows[i].CPUPerNode > 0 {
				rows[i].OverSmallest = rows[i].CPUPerNode / rows[0].CPUPerNode
			}
		}
	}
	return rows
}

// scaleGoals judges the ratio goal, N = 128 and 256 against N = 16 where
// the run has those sizes, shows every other size against the smallest,
// then lists every goal the runs judged.
func scaleGoals(rows []scaleRow, runs []*report) []goalReport {
	var out []goalReport
	i16 := slices.IndexFunc(rows, func(r scaleRow) bool { return r.Nodes == 16 && r.CPUPerNode > 0 })
	for i, r := range rows {
		if i == 0 || r.CPUPerNode == 0 {
			continue
		}
		base, applies := rows[0], false
		if i16 >= 0 && (r.Nodes == 128 || r.Nodes == 256) {
			base, applies = rows[i16], true
		}
		if base.CPUPerNode == 0 {
			continue
		}
		over := r.CPUPerNode / base.CPUPerNode
		out = append(out, judged(
			fmt.Sprintf("CPU per lookup per (hop+1), N = %d ÷ N = %d", r.Nodes, base.Nodes),
			fmt.Sprintf("%.2f (%.1f ÷ %.1f µs)", over, r.CPUPerNode, base.CPUPerNode),
			fmt.Sprintf("≤ %g for N = 128 and 256 ÷ N = 16", ratioGoal), applies, over <= ratioGoal))
	}
	for _, rep := range runs {
		for _, g := range rep.Goals {
			if g.Met != nil {
				g.Figure = fmt.Sprintf("N = %d: %s", rep.Nodes, g.Figure)
				out = append(out, g)
			}
		}
	}
	return out
}

// writeScaleTables prints every size's tables, then the sizes side by side
// and the goals.
func writeScaleTables(w io.Writer, sr *scaleReport) {
	for _, rep := range sr.Runs {
		writeTables(w, rep)
		fmt.Fprintln(w)
	}
	if sr.Failure != "" {
		fmt.Fprintf(w, "STOPPED EARLY: %s\n", sr.Failure)
	}
	fmt.Fprintf(w, "sizes side by side (%s, run took %.1f s): a lookup of h hops is h + 1 nodes' work\n", sr.Date, sr.TotalSeconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "nodes\tstyle\tclients\tlookups/s\thops mean\tCPU µs/lookup\tper (hop+1)\t÷ N = %d\t\n", sr.Scale[0].Nodes)
	for _, r := range sr.Scale {
		if r.Clients == 0 {
			fmt.Fprintf(tw, "%d\t%s\t—\t—\t—\t—\t—\t—\t\n", r.Nodes, r.Style)
			continue
		}
		over := "—"
		if r.OverSmallest > 0 {
			over = fmt.Sprintf("%.2f", r.OverSmallest)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%.0f\t%.2f\t%.1f\t%.1f\t%s\t\n", r.Nodes, r.Style, r.Clients, r.LookupsPerS, r.HopsMean, r.CPUus, r.CPUPerNode, over)
	}
	tw.Flush()
	fmt.Fprintln(w)
	writeGoalRows(w, sr.Goals)
	met, unmet := 0, 0
	for _, g := range sr.Goals {
		switch {
		case g.Met == nil:
		case *g.Met:
			met++
		default:
			unmet++
		}
	}
	fmt.Fprintf(w, "goals judged: %d met, %d not met\n", met, unmet)
}
