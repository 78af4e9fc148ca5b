package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// Health is the cluster's verdict in one place, for the status bar, wait
// and scripts: whether the ring is stable and why not, how a partition
// splits it, one count of invariant violations, and a one-line Summary.
// The package doc ("How stable is judged") defines the terms.
type Health struct {
	// Stable: every side with a live node is stable (one side when there is
	// no partition): it forms the ideal ring with every key in place, and
	// has stayed so while each of its nodes ran a round of every
	// maintenance task.
	Stable bool `json:"stable"`
	// Confirming: the ideal-ring condition holds everywhere it must, but
	// not every node has run a round of each task since: Stable follows.
	Confirming bool `json:"confirming"`
	// InProgress names the fault being applied ("add n16"), "" when none:
	// nothing is judged until it has taken effect.
	InProgress string `json:"in_progress,omitempty"`
	// Partitioned: a partition is in force; Sides has one entry per side,
	// each judged as a ring of its own.
	Partitioned bool   `json:"partitioned"`
	Sides       []Side `json:"sides,omitempty"`
	// Live counts the live nodes (alive: not down, left or paused).
	Live int `json:"live"`
	// Violations counts the violations of invariants 1–8 now, each side
	// checked on its own (Snapshot.Violations lists them). Below r+1 live
	// nodes invariant 8 cannot hold: that is Note, not a violation.
	Violations int `json:"violations"`
	// Reason says why the ring is not stable ("" when it is).
	Reason string `json:"reason,omitempty"`
	// Note says what a ring of r or fewer live nodes cannot promise, e.g.
	// "ring of 2 (< r+1 = 5): not guaranteed to survive failures"; under a
	// partition each Side has its own.
	Note string `json:"note,omitempty"`
	// ActiveFaults lists the faults in force: "delay n3 20ms", "drop n4
	// 5%", "pause n5", "partition n3 n4".
	ActiveFaults []string `json:"active_faults,omitempty"`
	// LastFault is the last disturbance ("kill n5", "start 16 nodes"), which
	// took effect at LastFaultAt.
	LastFault   string    `json:"last_fault"`
	LastFaultAt time.Time `json:"-"`
	// ConvergedIn is, when Stable, the time from LastFaultAt to the first
	// moment the condition held (the slowest side's under a partition); the
	// confirmation that follows is not included (JSON: seconds).
	ConvergedIn time.Duration `json:"-"`
	// InSteps: maintenance was paused from LastFault (or the loss of
	// stability) until the condition held, so only steps moved the ring
	// on; ConvergedSteps is how many (JSON: steps, present only then). A
	// summary then says "converged after 7 steps" rather than the seconds
	// someone spent stepping.
	InSteps        bool `json:"-"`
	ConvergedSteps int  `json:"-"`
	// StableAgain: stability was lost after LastFault without a new fault
	// and came back; ConvergedIn is then measured from when it was lost.
	StableAgain bool `json:"stable_again,omitempty"`
	// MaintenancePaused: rounds only run when stepped, so nothing is
	// confirmed without maintenance step.
	MaintenancePaused bool `json:"maintenance_paused"`
	// Summary is the verdict in one line, e.g. "stable — converged in 0.41 s
	// after kill n5" or "partitioned: 2 sides — side B still converging".
	Summary string `json:"summary"`
}

// MarshalJSON adds seconds, and steps when InSteps.
func (h Health) MarshalJSON() ([]byte, error) {
	type plain Health
	return json.Marshal(struct {
		plain
		Seconds float64 `json:"seconds"`
		Steps   *int    `json:"steps,omitempty"`
	}{plain(h), h.ConvergedIn.Seconds(), stepsJSON(h.InSteps, h.ConvergedSteps)})
}

// stepsJSON is the steps field: present only when convergence was
// counted in steps.
func stepsJSON(inSteps bool, steps int) *int {
	if !inSteps {
		return nil
	}
	return &steps
}

// convergedAfter says how long convergence took, to go before what it
// followed: "0.41 s after", or with maintenance paused throughout "after 7
// steps since".
func convergedAfter(d time.Duration, steps int, inSteps bool) string {
	if inSteps {
		return "after " + plural(steps, "step") + " since"
	}
	return seconds(d) + " after"
}

// plural writes a count with its noun: "1 step", "7 steps".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Side is one side of a partition, judged as a ring of its own.
type Side struct {
	// Label is "A" (the nodes partition did not name, and nodes added
	// since) or "B" (the nodes it named).
	Label string `json:"label"`
	// Nodes are the side's live nodes, in name order.
	Nodes []string `json:"nodes"`
	// Stable and Confirming: as in Health, for this side. A side without
	// a live node is neither, and does not keep the others from being
	// stable.
	Stable     bool `json:"stable"`
	Confirming bool `json:"confirming"`
	// ConvergedIn, InSteps and ConvergedSteps: as in Health, for this
	// side (JSON: seconds, steps).
	ConvergedIn    time.Duration `json:"-"`
	InSteps        bool          `json:"-"`
	ConvergedSteps int           `json:"-"`
	// Violations counts this side's violations of invariants 1–8.
	Violations int `json:"violations"`
	// Reason says why the side is not stable; Note what a side of r or
	// fewer live nodes cannot promise.
	Reason string `json:"reason,omitempty"`
	Note   string `json:"note,omitempty"`
}

// MarshalJSON adds seconds, and steps when InSteps.
func (s Side) MarshalJSON() ([]byte, error) {
	type plain Side
	return json.Marshal(struct {
		plain
		Seconds float64 `json:"seconds"`
		Steps   *int    `json:"steps,omitempty"`
	}{plain(s), s.ConvergedIn.Seconds(), stepsJSON(s.InSteps, s.ConvergedSteps)})
}

// Side labels.
const (
	SideA = "A" // the nodes partition did not name
	SideB = "B" // the nodes partition named
)

// sideOfLocked is m's side label ("" without a partition). Caller holds mu.
func (c *Cluster) sideOfLocked(m *member) string {
	switch {
	case !c.partitioned:
		return ""
	case m.partitioned:
		return SideB
	}
	return SideA
}

// sideGroup is one side's members: all of them, and the live ones.
type sideGroup struct {
	label string
	live  []*member
}

// sidesLocked groups the live members by side: one group labelled "" when
// there is no partition, else A then B (each present, perhaps empty).
// Caller holds mu.
func (c *Cluster) sidesLocked() []sideGroup {
	// The remote members that answer are judged with the local ones, on
	// side A of a partition of local members.
	live := append(c.liveLocked(), c.liveRemotesLocked()...)
	if !c.partitioned {
		return []sideGroup{{label: "", live: live}}
	}
	gs := []sideGroup{{label: SideA}, {label: SideB}}
	for _, m := range live {
		if m.partitioned {
			gs[1].live = append(gs[1].live, m)
		} else {
			gs[0].live = append(gs[0].live, m)
		}
	}
	return gs
}

// smallRingNote is what holds in a ring of n live nodes, fewer than r+1:
// invariant 8 (r+1 principals) cannot hold, so the ring is not guaranteed
// to survive failures (docs/chord.md). "" for n = 0 or n > r.
// With v identities per real node (v > 1) the successor lists hold r·v
// identities (r is the list length in real nodes) and n counts identities.
func smallRingNote(n, r, v int) string {
	if v > 1 {
		if n == 0 || n > r*v {
			return ""
		}
		return fmt.Sprintf("ring of %d identities (< r·V+1 = %d·%d+1 = %d): not guaranteed to survive failures (invariant 8 needs r·V+1 principals)", n, r, v, r*v+1)
	}
	if n == 0 || n > r {
		return ""
	}
	return fmt.Sprintf("ring of %d (< r+1 = %d): not guaranteed to survive failures (invariant 8 needs r+1 principals)", n, r+1)
}

// checkSide checks invariants 1–8 over one side's live statuses. Below
// r+1 members invariant 8 cannot hold: it is returned as the note instead
// of a violation, so that check, wait and the status bar say the same.
func checkSide(sts []chord.Status, r, v int, nm chord.Naming) ([]chord.Violation, string) {
	vs := chord.CheckInvariantsNamed(sts, nm)
	note := smallRingNote(len(sts), r, v)
	if note == "" {
		return vs, ""
	}
	out := vs[:0:0]
	for _, v := range vs {
		if v.Invariant != chord.InvSufficientPrincipals {
			out = append(out, v)
		}
	}
	return out, note
}

// judgement is the invariants checked over every side now.
type judgement struct {
	violations []chord.Violation
	sideOf     []string // the side of each of violations
	sides      []Side   // Label, Nodes, Violations, Note filled
	live       int
	note       string // the unpartitioned ring's note
}

// judgeLocked checks invariants 1–8 over each side's live nodes now;
// known, when not nil, holds statuses already read. Caller holds mu.
func (c *Cluster) judgeLocked(known map[*member]chord.Status) judgement {
	var j judgement
	// Start multiplied the list length by VNodes: r in real nodes is the
	// quotient, as the command line gave it.
	v := max(c.cfg.VNodes, 1)
	r := c.cfg.Chord.SuccessorListLen / v
	nm := c.namingLocked()
	for _, g := range c.sidesLocked() {
		sts := make([]chord.Status, len(g.live))
		names := make([]string, len(g.live))
		for i, m := range g.live {
			st, ok := known[m]
			if !ok {
				st = m.status()
			}
			sts[i] = st
			names[i] = m.name
		}
		vs, note := checkSide(sts, r, v, nm)
		j.violations = append(j.violations, vs...)
		for range vs {
			j.sideOf = append(j.sideOf, g.label)
		}
		j.live += len(g.live)
		if g.label == "" {
			j.note = note
			continue
		}
		j.sides = append(j.sides, Side{Label: g.label, Nodes: names, Violations: len(vs), Note: note})
	}
	return j
}

// activeFaultsLocked lists the faults in force, in words. Caller holds mu.
func (c *Cluster) activeFaultsLocked() []string {
	var out, group []string
	for _, m := range c.members {
		if m.state == StatePaused {
			out = append(out, "pause "+m.name)
		}
		if m.delay > 0 {
			out = append(out, fmt.Sprintf("delay %s %v", m.name, m.delay))
		}
		if m.drop > 0 {
			out = append(out, fmt.Sprintf("drop %s %g%%", m.name, m.drop))
		}
		if m.partitioned {
			group = append(group, m.name)
		}
	}
	if c.partitioned {
		out = append(out, "partition "+strings.Join(group, " "))
	}
	return out
}

// healthLocked assembles the verdict from the monitor's last evaluation
// and j, the invariants checked now. Caller holds mu.
func (c *Cluster) healthLocked(j judgement) Health {
	h := Health{
		Stable:            c.stable,
		InProgress:        c.busy,
		Partitioned:       c.partitioned,
		Live:              j.live,
		Violations:        len(j.violations),
		Note:              j.note,
		ActiveFaults:      c.activeFaultsLocked(),
		LastFault:         c.lastFault,
		LastFaultAt:       c.lastFaultAt,
		MaintenancePaused: c.maintPaused,
	}
	if h.Stable {
		h.ConvergedIn, h.StableAgain = c.convergedIn, !c.lostAt.IsZero()
		h.InSteps, h.ConvergedSteps = c.inSteps, c.convergedSteps
	} else {
		h.Reason = c.unstableWhy
	}
	if c.partitioned {
		h.Sides = j.sides
		for i := range h.Sides {
			s := &h.Sides[i]
			if v := c.sides[s.Label]; v != nil {
				s.Stable, s.Confirming, s.Reason = v.confirmed, v.confirming(), v.why
				if v.confirmed {
					s.ConvergedIn, s.InSteps, s.ConvergedSteps = v.convergedIn, v.heldPaused, v.heldSteps
				}
			} else if len(s.Nodes) == 0 {
				s.Reason = "no live node"
			} else {
				s.Reason = c.unstableWhy
			}
		}
	}
	if !h.Stable && c.busy == "" && len(c.sides) > 0 {
		// Confirming: some side is, and none with a live node is still
		// converging.
		converging := false
		for _, v := range c.sides {
			h.Confirming = h.Confirming || v.confirming()
			converging = converging || (v.live > 0 && !v.confirmed && !v.confirming())
		}
		h.Confirming = h.Confirming && !converging
	}
	h.Summary = summarize(h)
	return h
}

// summarize words the verdict in one line.
func summarize(h Health) string {
	switch {
	case h.InProgress != "":
		return h.InProgress + " in progress"
	case h.Live == 0:
		return "no live node — revive NODE or add starts a new ring"
	case h.Partitioned:
		return partitionSummary(h)
	}
	var s string
	switch {
	case h.Stable && h.StableAgain:
		s = fmt.Sprintf("stable again — %s it was lost (no new fault since %s)", convergedAfter(h.ConvergedIn, h.ConvergedSteps, h.InSteps), h.LastFault)
	case h.Stable && h.InSteps:
		s = fmt.Sprintf("stable — converged %s %s (counted in steps: maintenance was paused)", convergedAfter(h.ConvergedIn, h.ConvergedSteps, h.InSteps), h.LastFault)
	case h.Stable:
		s = fmt.Sprintf("stable — converged in %s after %s", seconds(h.ConvergedIn), h.LastFault)
	case h.Confirming && h.MaintenancePaused:
		s = "ideal ring after " + h.LastFault + ", not yet confirmed — maintenance is paused (step runs a round)"
	case h.Confirming:
		s = "ideal ring after " + h.LastFault + ", confirming: waiting for a round of every maintenance task"
	default:
		s = "converging after " + h.LastFault
	}
	if h.Note != "" {
		s += "; " + h.Note
	}
	return s
}

func partitionSummary(h Health) string {
	var stable, converging, confirming, empty []string
	var slowest time.Duration
	slowestSteps, inSteps := 0, true
	for _, s := range h.Sides {
		switch {
		case len(s.Nodes) == 0:
			empty = append(empty, s.Label)
		case s.Stable:
			stable = append(stable, s.Label)
			slowest = max(slowest, s.ConvergedIn)
			slowestSteps, inSteps = max(slowestSteps, s.ConvergedSteps), inSteps && s.InSteps
		case s.Confirming:
			confirming = append(confirming, s.Label)
		default:
			converging = append(converging, s.Label)
		}
	}
	var parts []string
	switch {
	case len(stable) == len(h.Sides):
		after := "after " + seconds(slowest)
		if inSteps {
			after = "after " + plural(slowestSteps, "step")
		}
		parts = append(parts, "each stable "+after)
	default:
		if len(stable) > 0 {
			parts = append(parts, sidesWord(stable)+" stable")
		}
		if len(confirming) > 0 {
			parts = append(parts, sidesWord(confirming)+" confirming")
		}
		if len(converging) > 0 {
			parts = append(parts, sidesWord(converging)+" still converging")
		}
		if len(empty) > 0 {
			verb := " has"
			if len(empty) > 1 {
				verb = " have"
			}
			parts = append(parts, sidesWord(empty)+verb+" no live node")
		}
	}
	return fmt.Sprintf("partitioned: %d sides — %s", len(h.Sides), strings.Join(parts, ", "))
}

// sidesWord is "side B" or "sides A and B".
func sidesWord(labels []string) string {
	if len(labels) == 1 {
		return "side " + labels[0]
	}
	return "sides " + strings.Join(labels[:len(labels)-1], ", ") + " and " + labels[len(labels)-1]
}

// seconds writes d as "0.41 s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// roundCounts counts one incarnation's maintenance rounds, per task, as
// its driver runs them (timer rounds and maintenance step alike). The
// monitor reads them to confirm that every node ran a round of each task
// while the ring stayed ideal.
type roundCounts struct {
	names []string
	// started counts the rounds begun; done is the number (in started's
	// count) of the last clean round: completed without being cut short by
	// the driver's Stop, and with no maintenance call of the node timed
	// out meanwhile (timeouts did not move). A driver's rounds never
	// overlap.
	started []atomic.Uint64
	done    []atomic.Uint64
	// timeouts counts the node's maintenance calls that timed out
	// (chord.Node.MaintenanceTimeouts).
	timeouts func() uint64
}

func newRoundCounts(tasks []chord.Task, timeouts func() uint64) *roundCounts {
	rc := &roundCounts{started: make([]atomic.Uint64, len(tasks)), done: make([]atomic.Uint64, len(tasks)), timeouts: timeouts}
	for _, t := range tasks {
		rc.names = append(rc.names, t.Name)
	}
	return rc
}

// counted returns tasks with every Run counted in rc (same order as the
// tasks rc was made for).
func (rc *roundCounts) counted(tasks []chord.Task) []chord.Task {
	out := append([]chord.Task(nil), tasks...)
	for i := range out {
		run, round, started, done := out[i].Run, out[i].Round, &rc.started[i], &rc.done[i]
		if run != nil {
			out[i].Run = func(ctx context.Context) {
				n, t := started.Add(1), rc.timeouts()
				run(ctx)
				if ctx.Err() == nil && rc.timeouts() == t {
					done.Store(n)
				}
			}
		}
		if round != nil {
			out[i].Round = func(ctx context.Context) error {
				n, t := started.Add(1), rc.timeouts()
				err := round(ctx)
				if ctx.Err() == nil && rc.timeouts() == t {
					done.Store(n)
				}
				return err
			}
		}
	}
	return out
}

// startedNow returns how many rounds of each task have started.
func (rc *roundCounts) startedNow() []uint64 {
	out := make([]uint64, len(rc.started))
	for i := range rc.started {
		out[i] = rc.started[i].Load()
	}
	return out
}

// pendingSince returns the first task with no clean round both started
// and completed since base (startedNow at an earlier moment), or "".
func (rc *roundCounts) pendingSince(base []uint64) string {
	for i := range rc.done {
		if rc.done[i].Load() <= base[i] {
			return rc.names[i]
		}
	}
	return ""
}
