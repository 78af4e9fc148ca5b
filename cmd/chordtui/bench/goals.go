package bench

import (
	"fmt"
	"strconv"
)

// goals judges the run against chordtui's speed and size goals for a
// 2-core machine (docs/BENCHMARKS.md keeps the figures measured against
// them). A goal set for another N is shown with its value but not judged.
func goals(rep *report) []goalReport {
	var out []goalReport
	add := func(figure, value, goal string, applies, met bool) {
		g := goalReport{Figure: figure, Value: value, Goal: goal}
		if applies {
			g.Met = &met
		} else {
			g.Goal = "— (" + goal + ")"
		}
		out = append(out, g)
	}
	n := rep.Nodes
	if rep.Files != nil {
		filesGoals(rep, add)
		return out
	}
	startGoal, startLimit := "≤ 1 s at N = 16", 1.0
	if n > 16 {
		startGoal, startLimit = "≤ 30 s at N = 1024", 30.0
	}
	startValue := fmt.Sprintf("%.3f s (%.1f s of CPU)", rep.StartToStableS, rep.StartCPUS)
	if rep.StartToStableS == 0 {
		startValue = "not stable"
	}
	add("start → stable", startValue, startGoal,
		n == 16 || n == 1024, rep.StartToStableS > 0 && rep.StartToStableS <= startLimit)
	if p, ok := rep.phase("lookup", 16); ok {
		add("lookups/s, 16 clients", fmt.Sprintf("%.0f", p.PerSec), "≥ 40000 at N = 16", n == 16, p.PerSec >= 40000)
	}
	if g, ok := rep.phase("get", 0); ok {
		bound := (rep.GetHopsMean + 1) * 2 * rep.Floor.RawTCPP50us
		add(fmt.Sprintf("get p50, %d client(s)", g.Clients), fmt.Sprintf("%.0f µs", g.P50us),
			fmt.Sprintf("≤ (hops+1)·2·TCP = %.0f µs", bound), true, g.P50us <= bound)
	}
	for _, k := range []struct {
		name string
		kr   *killReport
		goal bool
	}{{"kill 1", rep.KillOne, true}, {"kill adjacent", rep.KillAdjacent, false}} {
		if k.kr == nil || k.kr.Skipped != "" {
			continue
		}
		name := k.name
		if !k.goal {
			name = fmt.Sprintf("kill %d adjacent", len(k.kr.Killed))
		}
		value := "not stable"
		if k.kr.Stable {
			value = fmt.Sprintf("%.3f s", k.kr.StableS)
		}
		add(name+" → stable", value, "≤ 0.5 s", k.goal, k.kr.Stable && k.kr.StableS <= 0.5)
		add(name+": failed gets", fmt.Sprintf("%d of %d", k.kr.FailedGets, k.kr.Gets), "0", true, k.kr.FailedGets == 0)
	}
	rssGoal, rssLimit := "≤ 15 MB at N = 16", 15.0
	if n > 16 {
		rssGoal, rssLimit = "≤ 60 MB at N = 256", 60.0
	}
	add("RSS at N", fmt.Sprintf("%.1f MB", rep.Memory.RSSMB), rssGoal, n == 16 || n == 256, rep.Memory.RSSMB <= rssLimit)
	add("peak open fds", strconv.Itoa(rep.Memory.PeakFDs), "< 20000", true, rep.Memory.PeakFDs < 20000)
	return out
}

// filesGoals judges the file system phase (--files): at N = 16 with 3
// replicas, sequential read ≥ half of one netmux stream, sequential write
// ≥ half of a stream divided by the replica count, and no byte lost when
// two adjacent nodes are killed during a copy.
func filesGoals(rep *report, add func(figure, value, goal string, applies, met bool)) {
	fr := rep.Files
	if fr.Skipped != "" {
		return
	}
	applies := rep.Nodes == 16 && rep.Replicas == 3
	add("seq read / one netmux stream", fmt.Sprintf("%.2f (%.0f of %.0f MB/s)", fr.Ratios.ReadOverStream, fr.Mount.SeqReadMBps, fr.StreamMBps),
		"≥ 0.5 at N = 16, 3 replicas", applies, fr.Ratios.ReadOverStream >= 0.5)
	add("seq write / (stream / replicas)", fmt.Sprintf("%.2f (%.0f of %.0f MB/s)", fr.Ratios.WriteOverStreamPerReplica, fr.Mount.SeqWriteMBps, fr.StreamMBps/float64(rep.Replicas)),
		"≥ 0.5 at N = 16, 3 replicas", applies, fr.Ratios.WriteOverStreamPerReplica >= 0.5)
	if k := fr.KillCopy; k != nil {
		add("bytes lost, 2 adjacent killed during cp -r", fmt.Sprintf("%d (%d after repair)", k.LostBytes, k.LostAfterRepair),
			"0", k.DuringCopy, k.Error == "" && k.LostBytes == 0 && k.LostAfterRepair == 0)
	}
}
