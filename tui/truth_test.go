package tui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// statusLine is the screen's top line.
func statusLine(m *Model) string { return strings.SplitN(screen(m), "\n", 2)[0] }

// TestStatusBarSaysWhatHealthSays: the status bar's verdict comes from
// Snapshot.Health alone. Stable is shown only when Health is stable (and
// not partitioned); a fault in progress, converging (with the time since
// the fault), confirming, maintenance paused, a partition and its sides, a
// small ring's note and a ring with no live node each have their words.
func TestStatusBarSaysWhatHealthSays(t *testing.T) {
	at := fakeTime.Add(-1500 * time.Millisecond)
	tests := []struct {
		name    string
		health  cluster.Health
		want    []string
		notWant []string
	}{
		{"in progress", cluster.Health{InProgress: "add n16", Live: 16, Summary: "add n16 in progress", LastFault: "start 16 nodes", LastFaultAt: at},
			[]string{"⟳ add n16 in progress"}, []string{"stable"}},
		{"converging", cluster.Health{Live: 16, Summary: "converging after add n16", LastFault: "add n16", LastFaultAt: at,
			Reason: "n16's predecessor is nil"},
			[]string{"⟳ converging — 1.5 s since add n16", "(n16's predecessor is nil)"}, []string{"stable"}},
		{"confirming", cluster.Health{Live: 16, Confirming: true, LastFault: "add n16", LastFaultAt: at, Summary: "ideal ring after add n16, confirming: …"},
			[]string{"◔ ideal ring after add n16, confirming"}, []string{"stable"}},
		{"confirming while maintenance is paused", cluster.Health{Live: 16, Confirming: true, MaintenancePaused: true, LastFault: "add n16", LastFaultAt: at},
			[]string{"◔ ideal ring after add n16, not yet confirmed: maintenance paused (n runs every task)"}, []string{"stable", "⏸"}},
		// Paused, the seconds since the fault would count how long someone
		// took to step: no step has been seen, so no count is given.
		{"converging while maintenance is paused", cluster.Health{Live: 16, MaintenancePaused: true, LastFault: "kill n3", LastFaultAt: at},
			[]string{"⟳ converging after kill n3", "⏸ maintenance paused (1–4, n step)"}, []string{"stable", " s since"}},
		{"stable", cluster.Health{Live: 16, Stable: true, LastFault: "kill n3", LastFaultAt: at, ConvergedIn: 410 * time.Millisecond,
			Summary: "stable — converged in 0.41 s after kill n3"},
			[]string{"✓ stable — converged in 0.41 s after kill n3"}, []string{"violation", "converging"}},
		{"small ring", cluster.Health{Live: 2, Stable: true, LastFault: "start 2 nodes", LastFaultAt: at, ConvergedIn: 130 * time.Millisecond,
			Note:    "ring of 2 (< r+1 = 5): not guaranteed to survive failures (invariant 8 needs r+1 principals)",
			Summary: "stable — converged in 0.13 s after start 2 nodes; ring of 2 (< r+1 = 5): not guaranteed to survive failures (invariant 8 needs r+1 principals)"},
			[]string{"✓ stable — converged in 0.13 s after start 2 nodes", "△ ring of 2 (< r+1 = 5)"}, []string{"violation", "; ring"}},
		{"partitioned, each side stable", cluster.Health{Live: 16, Stable: true, Partitioned: true, LastFault: "partition n3", LastFaultAt: at,
			Summary: "partitioned: 2 sides — each stable after 0.25 s"},
			[]string{"⫽ partitioned: 2 sides — each stable after 0.25 s"}, []string{"✓"}},
		{"partitioned, a side converging", cluster.Health{Live: 16, Partitioned: true, LastFault: "partition n3", LastFaultAt: at,
			Summary: "partitioned: 2 sides — side A stable, side B still converging"},
			[]string{"⫽ partitioned: 2 sides — side A stable, side B still converging (1.5 s since partition n3)"}, []string{"✓"}},
		{"no live node", cluster.Health{Summary: "no live node — revive NODE or add starts a new ring", LastFault: "kill n0", LastFaultAt: at},
			[]string{"✗ no live node — revive NODE or add starts a new ring"}, []string{"stable"}},
		{"violations", cluster.Health{Live: 16, Violations: 3, LastFault: "kill n3", LastFaultAt: at},
			[]string{"⚠ 3 invariant violations"}, []string{"stable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeRing(ringSpec{n: 16, bits: 16, down: -1, paused: -1})
			s.Health = tc.health
			s.Stable, s.MaintenancePaused = tc.health.Stable, tc.health.MaintenancePaused
			m, _ := newTestModel(t, s, 120, 40)
			bar := statusLine(m)
			for _, w := range tc.want {
				if !strings.Contains(bar, w) {
					t.Errorf("status bar lacks %q:\n%s", w, bar)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(bar, w) {
					t.Errorf("status bar says %q:\n%s", w, bar)
				}
			}
		})
	}
}

// TestOneViolationCount: whatever Snapshot.Violations lists, the screen
// shows one count of violations, Health's, and the Members title counts
// the members as the status bar does.
func TestOneViolationCount(t *testing.T) {
	s := ring16()
	s.Violations = []cluster.Violation{{Invariant: chord.InvOrderedRing, Node: s.Nodes[1].Name, Message: "out of order"},
		{Invariant: chord.InvOrderedRing, Node: s.Nodes[2].Name, Message: "out of order"}}
	s.Health.Violations = len(s.Violations)
	m, _ := newTestModel(t, s, 120, 40)
	scr := screen(m)
	counts := regexp.MustCompile(`(\d+) invariant violations?`).FindAllStringSubmatch(scr, -1)
	if len(counts) != 1 || counts[0][1] != fmt.Sprint(len(s.Violations)) {
		t.Errorf("want one count of %d violations on screen, got %q:\n%s", len(s.Violations), counts, scr)
	}
	const live = "14/16 alive · 1 down · 1 paused"
	if !strings.Contains(statusLine(m), live) || !strings.Contains(scr, "Members: "+live+" · row ") {
		t.Errorf("the status bar and the Members title do not both count %q:\n%s", live, scr)
	}
}

// TestPartitionMarkedBySide: under a partition every node shows its side
// as a letter, in the members table (SIDE) and on the ring (A:, B:), and
// pointers that are ideal within their own side carry no mark.
func TestPartitionMarkedBySide(t *testing.T) {
	s := fakeRing(ringSpec{n: 16, bits: 16, down: -1, paused: -1, sideB: []int{3, 4, 13}})
	m, _ := newTestModel(t, s, 120, 40)
	scr := screen(m)
	if !strings.Contains(scr, "SIDE NAME") {
		t.Fatalf("no SIDE column:\n%s", scr)
	}
	for _, n := range s.Nodes {
		row := regexp.MustCompile(`● ` + n.Side + ` +` + n.Name + `\*? `)
		if !row.MatchString(scr) {
			t.Errorf("%s's row does not show side %s:\n%s", n.Name, n.Side, scr)
		}
	}
	for _, name := range []string{"n3", "n4", "n13"} { // side B: always labelled
		if !strings.Contains(scr, "B:"+name) {
			t.Errorf("side B's %s is not labelled B:%s on the ring:\n%s", name, name, scr)
		}
	}
	lines := strings.Split(scr, "\n")
	for _, l := range lines[3:20] { // the members rows
		if i := strings.Index(l, "││"); i >= 0 && strings.ContainsAny(l[i:], "!✗") {
			t.Errorf("a pointer ideal within its side is marked: %s", l[i:])
		}
	}
	// The same ring judged as one would mark the pointers that cross.
	whole := s
	whole.Nodes = append([]cluster.NodeSnapshot(nil), s.Nodes...)
	for i := range whole.Nodes {
		whole.Nodes[i].Side = ""
	}
	ix := newRingIndex(&whole)
	marked := 0
	for i := range whole.Nodes {
		p, q := ix.pointerMarks(&whole.Nodes[i])
		if p != markOK || q != markOK {
			marked++
		}
	}
	if marked == 0 {
		t.Error("the sides' rings judged as one ring would be ideal: the test proves nothing")
	}
}

// TestLookupNumbering: the ring and the Lookup pane number a lookup's
// calls alike (the origin is hop 0, call k is k, a failed call ✗k), the
// ring marks the key with ◆, and the summary counts calls as the REPL
// does.
func TestLookupNumbering(t *testing.T) {
	snap := fakeRing(ringSpec{n: 16, bits: 16, down: -1, paused: -1, keys: 30})
	m, f := newTestModel(t, snap, 120, 40)
	f.gets["greeting"] = fakeGetFailed(snap)
	press(t, m, "g")
	typeText(m, "greeting")
	press(t, m, "enter")
	lay := computeLayout(120, 40)
	in := lay.ring.inner()
	c := drawRing(m.ringScene(), in.w, m.ringHeight(in))
	ring := plainCanvas(c)
	for _, num := range []string{"✗1", "2", "3", "4", "◆"} {
		if !strings.Contains(ring, num) {
			t.Errorf("the ring lacks %q:\n%s", num, ring)
		}
	}
	scr := screen(m)
	for _, row := range []string{" 0  n0  origin", " 1✗ n7  step, named by n0's finger[15]", " 2  n4  step, named by n0's finger[14]",
		" 3  n3  step, named by n4's finger[12]", " 4  n11 ping, named by n3's successor list[0]",
		"a ping (hop 4)", "owner n11 after 3 hops, 1 failed call", "3 hops, 1 failed call via n0"} {
		if !strings.Contains(scr, row) {
			t.Errorf("the screen lacks %q:\n%s", row, scr)
		}
	}
}

// TestRecursiveLookupSaysWhoCalled: a recursive lookup (above 64 nodes)
// is not drawn or worded as the origin's calls: the Lookup pane says the
// origin forwards it and names the node that made each call, and the
// ring's legend says the calls were forwarded.
func TestRecursiveLookupSaysWhoCalled(t *testing.T) {
	snap := fakeRing(ringSpec{n: 16, bits: 16, down: -1, paused: -1, keys: 30})
	m, f := newTestModel(t, snap, 120, 40)
	g := fakeGet(snap)
	g.Lookup.Recursive = true
	f.gets["greeting"] = g
	press(t, m, "g")
	typeText(m, "greeting")
	press(t, m, "enter")
	scr := screen(m)
	for _, row := range []string{" 0  n0  origin: forwards the lookup", " 1  n7  step, called by n0 via its finger[15]",
		" 2  n3  step, called by n7 via its finger[12]", " 3  n11 ping, called by n3 via its successor list[0]",
		"calls, forwarded from n0 (hop 0)"} {
		if !strings.Contains(scr, row) {
			t.Errorf("the screen lacks %q:\n%s", row, scr)
		}
	}
	for _, wrong := range []string{"makes every call", "named by n7", "calls of n0"} {
		if strings.Contains(scr, wrong) {
			t.Errorf("the screen says %q of a recursive lookup:\n%s", wrong, scr)
		}
	}
}
