package bench

import (
	"fmt"
	"math"
	"strconv"
)

// goals judges the run against chordtui's speed and size goals for a
// 2-core machine (docs/BENCHMARKS.md keeps the figures measured against
// them). A goal set for another N is shown with its value but not judged.
func goals(rep *report) []goalReport {
	var out []goalReport
	add := func(figure, value, goal string, applies, met bool) {
		out = append(out, judged(figure, value, goal, applies, met))
	}
	n := rep.Nodes
	if rep.Files != nil {
		filesGoals(rep, add)
		return out
	}
	// by adds a goal whose bound depends on N: the bound set for this N
	// is judged; with none, the one for the nearest N is shown.
	by := func(figure, value string, bounds []bound, met func(limit float64) bool) {
		b, applies := boundAt(bounds, n)
		add(figure, value, b.text, applies, met(b.limit))
	}

	startValue := fmt.Sprintf("%.3f s (%.1f s of CPU)", rep.StartToStableS, rep.StartCPUS)
	if rep.StartToStableS == 0 {
		startValue = "not stable"
	}
	by("start → stable", startValue, []bound{{16, 1, "≤ 1 s at N = 16"}, {1024, 10, "≤ 10 s at N = 1024"}},
		func(limit float64) bool { return rep.StartToStableS > 0 && rep.StartToStableS <= limit })
	if p, ok := rep.phase("lookup", 16); ok {
		by("lookups/s, 16 clients", fmt.Sprintf("%.0f", p.PerSec),
			[]bound{{16, 40000, "≥ 40000 at N = 16"}, {128, 20000, "≥ 20000 at N = 128"}, {1024, 10000, "≥ 10000 at N = 1024"}},
			func(limit float64) bool { return p.PerSec >= limit })
	}
	if g, ok := rep.phase("get", 0); ok {
		bound := (rep.GetHopsMean + 1) * 2 * rep.Floor.RawTCPP50us
		add(fmt.Sprintf("get p50, %d client(s)", g.Clients), fmt.Sprintf("%.0f µs", g.P50us),
			fmt.Sprintf("≤ (hops+1)·2·TCP = %.0f µs", bound), true, g.P50us <= bound)
	}
	idle, idleWhen := rep.IdleCores, "idle cores"
	if rep.IdleSleepingAfterS > 0 {
		idle, idleWhen = rep.IdleSleepingCores, "idle cores, periods backed off"
	}
	if len(rep.Phases) > 0 || rep.IdleCores > 0 { // the idle ring was measured
		by(idleWhen, fmt.Sprintf("%.2f", idle), []bound{{16, 0.05, "≤ 0.05 at N = 16"}, {256, 0.25, "≤ 0.25 at N = 256"}},
			func(limit float64) bool { return idle <= limit })
	}
	killBounds := []bound{{16, 0.5, "≤ 0.5 s at N = 16"}, {256, 2, "≤ 2 s at N = 256"}, {1024, 2, "≤ 2 s at N = 1024"}}
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
		b, applies := boundAt(killBounds, n)
		add(name+" → stable", value, b.text, applies && k.goal, k.kr.Stable && k.kr.StableS <= b.limit)
		add(name+": failed gets", fmt.Sprintf("%d of %d", k.kr.FailedGets, k.kr.Gets), "0", true, k.kr.FailedGets == 0)
	}
	by("RSS at N", fmt.Sprintf("%.1f MB", rep.Memory.RSSMB), []bound{{16, 16, "≤ 16 MB at N = 16"}, {256, 120, "≤ 120 MB at N = 256"}},
		func(limit float64) bool { return rep.Memory.RSSMB <= limit })
	budget := fdBudget // the bench stops at the process's limit, so a lower one is the goal
	if l := rep.Memory.FDLimit; l > 0 && l < budget {
		budget = l
	}
	add("peak open fds", strconv.Itoa(rep.Memory.PeakFDs), fmt.Sprintf("< %d", budget), true, rep.Memory.PeakFDs < budget)
	return out
}

// fdBudget is the most descriptors a run may hold open: this machine's
// limit, which 1024 nodes must stay within.
const fdBudget = 20000

// bound is a goal's limit at one ring size, and how the goal reads.
type bound struct {
	n     int
	limit float64
	text  string
}

// boundAt returns the bound set for n (applies), or else the one set for
// the size nearest to n, which is shown but not judged.
func boundAt(bounds []bound, n int) (b bound, applies bool) {
	best := math.Inf(1)
	for _, c := range bounds {
		if c.n == n {
			return c, true
		}
		if d := math.Abs(math.Log(float64(c.n) / float64(max(n, 1)))); d < best {
			b, best = c, d
		}
	}
	return b, false
}

// judged is a goal row: met is kept only where the goal applies; elsewhere
// the goal is shown in brackets after a dash.
func judged(figure, value, goal string, applies, met bool) goalReport {
	g := goalReport{Figure: figure, Value: value, Goal: goal}
	if applies {
		g.Met = &met
	} else {
		g.Goal = "— (" + goal + ")"
	}
	return g
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
