package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// This file prints a report: writeJSON for --json, writeTables for people.
// Both read the same report values; a figure added to the report types
// reaches --json at once and the tables when a line here shows it.

// writeJSON prints a report (one size's or several sizes') as one
// indented JSON object.
func writeJSON(w io.Writer, rep any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeTables prints the report as aligned tables.
func writeTables(w io.Writer, rep *report) {
	fmt.Fprintf(w, "chordtui bench: %d nodes on 127.0.0.1 — %d-bit IDs, r = %d, %d replicas, stabilize %gms, fix-fingers %gms, check-pred %gms, liveness %gms, rpc timeout %gms, idle connections closed after %gs, at most %d sessions per node (0: no limit), idle backoff up to %d×\n",
		rep.Nodes, rep.Bits, rep.Successors, rep.Replicas, rep.StabilizeMS, rep.FixFingersMS, rep.CheckPredMS, rep.LivenessMS, rep.RPCTimeoutMS, rep.IdleTimeoutS, rep.MaxSessions, rep.IdleBackoff)
	if rep.Failure != "" {
		fmt.Fprintf(w, "STOPPED EARLY: %s\n", rep.Failure)
	}
	fmt.Fprintf(w, "%s, %s, GOMAXPROCS %d, GOGC %d, load average %v, %d keys, %g s per load phase, stable checked every %gms, run took %.1f s\n\n",
		rep.Date, rep.GoVersion, rep.GOMAXPROCS, rep.GOGC, rep.LoadAvg, rep.Keys, rep.PhaseSeconds, rep.MonitorMS, rep.TotalSeconds)

	f := rep.Floor
	fmt.Fprintf(w, "loopback floor (64-byte ping-pong, 1 caller): raw TCP p50 %.1f µs, yamux stream p50 %.1f µs, netmux call p50 %.1f µs (p99 %.0f µs)\n",
		f.RawTCPP50us, f.YamuxStreamP50us, f.NetmuxCallP50us, f.NetmuxCallP99us)
	r := rep.Ratios
	fmt.Fprintf(w, "ratios: netmux call / raw TCP %.2f, netmux call / yamux stream %.2f", r.NetmuxOverTCP, r.NetmuxOverYamux)
	if r.GetOverTCP > 0 { // 0: no get phase ran (--ops without get)
		fmt.Fprintf(w, ", get p50 / raw TCP %.2f, get p50 / yamux stream %.2f", r.GetOverTCP, r.GetOverYamux)
	}
	fmt.Fprint(w, "\n\n")

	if rep.Files != nil {
		writeFilesTables(w, rep.Files, rep.Replicas)
		writeGoals(w, rep)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tclients\tops\terrors\tops/s\tp50 µs\tp99 µs\thops mean\thops p99\tCPU µs/op\tcores used\tbytes/op\tallocs/op\treads/op\twrites/op\tfds after\t")
	for _, p := range rep.Phases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.2f\t%d\t%.0f\t%.2f\t%.0f\t%.1f\t%.1f\t%.1f\t%d\t\n",
			p.Op, p.Clients, p.Ops, p.Errors, p.PerSec, p.P50us, p.P99us, p.HopsMean, p.HopsP99, p.CPUus, p.CPUShare, p.AllocBytes, p.Allocs, p.Reads, p.Writes, p.OpenFDs)
	}
	tw.Flush()
	fmt.Fprintf(w, "idle ring (maintenance and monitor only): %.2f cores", rep.IdleCores)
	if rep.IdleSleepingAfterS > 0 {
		fmt.Fprintf(w, " right after stable, %.2f cores %.1f s later (periods backed off)", rep.IdleSleepingCores, rep.IdleSleepingAfterS)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "hops per lookup: mean %.2f, p99 %d; ½·log2 N = %.2f\n", rep.LookupHopsMean, rep.LookupHopsP99, rep.HopsTheory)
	for _, k := range []struct {
		name string
		kr   *killReport
	}{{"kill one", rep.KillOne}, {"kill adjacent", rep.KillAdjacent}} {
		switch {
		case k.kr == nil:
		case k.kr.Skipped != "":
			fmt.Fprintf(w, "%s: skipped (%s)\n", k.name, k.kr.Skipped)
		default:
			state := "not stable"
			if k.kr.Stable {
				state = fmt.Sprintf("stable after %.3f s", k.kr.StableS)
			}
			fmt.Fprintf(w, "%s (%s): %s; gets meanwhile: %d, failed %d, p99 %.0f µs, slowest %.0f µs\n",
				k.name, strings.Join(k.kr.Killed, " "), state, k.kr.Gets, k.kr.FailedGets, k.kr.GetP99us, k.kr.GetMaxus)
			if k.kr.FirstError != "" {
				fmt.Fprintf(w, "  first failure: %s\n", k.kr.FirstError)
			}
		}
	}
	m := rep.Memory
	fmt.Fprintf(w, "memory at N (keys placed, before load): RSS %.1f MB (%.1f MB of it the binary and libraries), Go heap in use %.1f MB, stacks %.1f MB, Go sys %.1f MB, %d goroutines, %d open fds (%.1f per node); RSS after the run %.1f MB, peak %.1f MB; peak fds %d of %d\n\n",
		m.RSSMB, m.RSSFileMB, m.HeapMB, m.StackMB, m.GoSysMB, m.Goroutines, m.OpenFDs, m.FDsPerNode, m.RSSAfterMB, m.PeakRSSMB, m.PeakFDs, m.FDLimit)

	writeGoals(w, rep)
}

// writeGoals prints the goals table and where the CPU profile went.
func writeGoals(w io.Writer, rep *report) {
	writeGoalRows(w, rep.Goals)
	if rep.MemProfile != "" {
		fmt.Fprintf(w, "\nheap profile: %s (go tool pprof -sample_index inuse_space -top %s)\n", rep.MemProfile, rep.MemProfile)
	}
	if rep.CPUProfile != "" {
		fmt.Fprintf(w, "\nCPU profile: %s (go tool pprof -top %s)\n", rep.CPUProfile, rep.CPUProfile)
	}
}

// writeGoalRows prints goals as a table with a "met?" column: yes, NO, or
// — where the goal is for another N.
func writeGoalRows(w io.Writer, goals []goalReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tgoal\tmet?")
	for _, g := range goals {
		met := "—"
		if g.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*g.Met]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.Figure, g.Value, g.Goal, met)
	}
	tw.Flush()
}
