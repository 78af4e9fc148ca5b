package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// memberRow is one row of the members table as the screen shows it.
type memberRow struct {
	selected         bool
	marker           string // ● ○ ◐ ◌
	side, name       string
	pred, succ, keys string
}

// memberRowRE reads a members row: selection, marker, side (under a
// partition), name (* the origin), ID, address and state when shown, then
// the pointers and keys, or dashes for a node that is not running.
var memberRowRE = regexp.MustCompile(`^([ ▶])([●○◐◌]) (?:([AB]) +)?([nN]\d+)\*? +[0-9a-f]+ +(?:\S+:\d+ +)?(?:(?:alive|down|paused|left) +)?(\S+) +(\S+) +(\S+)`)

// members reads the members table off a plain screen: the right-hand
// pane of the top half, one row per node.
func members(scr string) (rows []memberRow, sides bool) {
	for _, line := range strings.Split(scr, "\n") {
		i := strings.Index(line, "││")
		if i < 0 {
			continue
		}
		cell := strings.TrimSuffix(strings.TrimRight(line[i+len("││"):], " "), "│")
		if strings.Contains(cell, "SIDE NAME") {
			sides = true
		}
		m := memberRowRE.FindStringSubmatch(cell)
		if m == nil {
			continue
		}
		rows = append(rows, memberRow{selected: m[1] == "▶", marker: m[2], side: m[3], name: m[4], pred: m[5], succ: m[6], keys: m[7]})
	}
	return rows, sides
}

// statusOf is a screen's status line (its top line).
func statusOf(scr string) string { return strings.SplitN(scr, "\n", 2)[0] }

// claimsStable reports whether a status line says the ring is stable: as a
// whole ("✓ stable"), or each side of a partition.
func claimsStable(status string) bool {
	return strings.Contains(status, "✓ stable") || strings.Contains(status, "each stable after")
}

// pointerDoubt is what, in the members table, contradicts a claim that
// the ring is stable: a live node with a nil pointer, or a pointer marked
// ✗ (not alive) or ! (not the ideal one of its side); "" when none does.
func pointerDoubt(rows []memberRow) string {
	for _, r := range rows {
		if r.marker != "●" {
			continue
		}
		for _, p := range []string{r.pred, r.succ} {
			if p == "nil" || strings.ContainsAny(p, "!✗") {
				return r.name + "'s row shows pred " + r.pred + ", succ " + r.succ
			}
		}
	}
	return ""
}

// truthWatch polls a session's status line and checks every screen it
// reads: whenever the status says stable, the members table drawn with it
// must show the ideal ring (re-read once, a refresh later, before failing,
// in case the capture fell between two frames).
type truthWatch struct {
	s    *tmuxSession
	seen []string // the status lines read, in order, without repeats
}

// until polls until the status line holds every want and the screen
// passes ok (nil: any), checking each screen read; it returns that screen.
func (w *truthWatch) until(d time.Duration, ok func(scr string) string, want ...string) string {
	w.s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		scr := w.s.capture()
		st := statusOf(scr)
		if len(w.seen) == 0 || w.seen[len(w.seen)-1] != st {
			w.seen = append(w.seen, st)
		}
		w.check(scr)
		done := true
		for _, x := range want {
			done = done && strings.Contains(st, x)
		}
		why := ""
		if done && ok != nil {
			why = ok(scr)
		}
		if done && why == "" {
			return scr
		}
		if time.Now().After(deadline) {
			w.s.t.Fatalf("after %v the status line still lacks %q (%s); status lines seen:\n%s\nlast screen:\n%s",
				d, want, why, strings.Join(w.seen, "\n"), scr)
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bound wait
	}
}

// check fails the test when scr claims stability its members table
// contradicts, on two reads a refresh apart.
func (w *truthWatch) check(scr string) {
	w.s.t.Helper()
	st := statusOf(scr)
	if !claimsStable(st) {
		return
	}
	rows, _ := members(scr)
	if pointerDoubt(rows) == "" {
		return
	}
	time.Sleep(300 * time.Millisecond) // a refresh (100 ms) or more later
	again := w.s.capture()
	rows, _ = members(again)
	if doubt := pointerDoubt(rows); doubt != "" && statusOf(again) == st {
		w.s.t.Fatalf("the status line claims stability while %s:\n%s", doubt, again)
	}
}

// row returns the members row of name.
func row(scr, name string) (memberRow, bool) {
	rows, _ := members(scr)
	for _, r := range rows {
		if r.name == name {
			return r, true
		}
	}
	return memberRow{}, false
}

// joined says why name's row does not show it alive and joined with both
// pointers set ("" when it does).
func joined(name string) func(string) string {
	return func(scr string) string {
		r, ok := row(scr, name)
		switch {
		case !ok:
			return name + " has no row"
		case r.marker != "●" || r.pred == "nil" || r.succ == "nil" || r.pred == "—":
			return name + " is not alive and joined"
		}
		return ""
	}
}

// TestTmuxStatusTruth drives the real binary through add, kill and revive
// (a and x, v), partition and heal, and reads the status line after each
// until it says the truth: stable after the fault only once the members
// table shows the new state as the ideal ring, "partitioned" with each
// side stable under a partition, and never "stable" while the members
// table contradicts it.
func TestTmuxStatusTruth(t *testing.T) {
	s := startTmux(t, "--seed", "1", "16")
	w := &truthWatch{s: s}
	w.until(60*time.Second, nil, "16/16 alive", "✓ stable")

	// a: the new node is in the ring, with pointers, when stable is said.
	s.keys("a")
	w.until(60*time.Second, joined("n16"), "17/17 alive", "✓ stable — converged in", "after add n16")

	// x, v on the node after the selected origin in ring order.
	s.keys("j")
	selected := func(scr string) string {
		rows, _ := members(scr)
		for _, r := range rows {
			if r.selected {
				return r.name
			}
		}
		return ""
	}
	scr := w.until(10*time.Second, func(scr string) string {
		if name := selected(scr); name == "" || name == "n0" {
			return "j has not moved the selection off the origin n0"
		}
		return ""
	})
	victim := selected(scr)
	s.keys("x")
	w.until(60*time.Second, func(scr string) string {
		if r, ok := row(scr, victim); !ok || r.marker != "○" {
			return victim + " is not shown down"
		}
		return ""
	}, "16/17 alive · 1 down", "✓ stable — converged in", "after kill "+victim)
	s.keys("v")
	w.until(60*time.Second, joined(victim), "17/17 alive", "✓ stable — converged in", "after revive "+victim)

	// :partition: never stable, then each side stable, n3 on side B.
	s.keys(":partition n3", "Enter")
	first := len(w.seen)
	scr = w.until(60*time.Second, func(scr string) string {
		rows, sides := members(scr)
		if !sides {
			return "no SIDE column"
		}
		for _, r := range rows {
			if want := map[bool]string{true: "B", false: "A"}[r.name == "n3"]; r.marker == "●" && r.side != want {
				return r.name + " is on side " + r.side + ", not " + want
			}
		}
		return ""
	}, "⫽ partitioned: 2 sides — each stable after")
	for _, st := range w.seen[first:] {
		if strings.Contains(st, "✓ stable") && strings.Contains(st, "partition") {
			t.Errorf("under the partition the status line said %q", st)
		}
	}
	t.Logf("screen under the partition:\n%s", scr)

	// :heal: one ring again, no sides.
	s.keys(":heal", "Enter")
	w.until(60*time.Second, func(scr string) string {
		if _, sides := members(scr); sides {
			return "the SIDE column is still shown"
		}
		return ""
	}, "17/17 alive", "✓ stable — converged in", "after heal")
	t.Logf("status lines seen:\n%s", strings.Join(w.seen, "\n"))

	s.keys("q")
	s.waitExit(15 * time.Second)
}

// TestMembersReader checks the members-table reader the tmux tests judge
// the status line by, on the UI's own golden screens: it finds every row
// and side, and the pointers a crash left wrong.
func TestMembersReader(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", "tui", "testdata", name+".golden"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	rows, sides := members(read("ring16"))
	if len(rows) != 16 || sides {
		t.Fatalf("ring16: %d rows (sides %v), want 16 without sides", len(rows), sides)
	}
	if doubt := pointerDoubt(rows); !strings.Contains(doubt, "n5✗") {
		t.Errorf("ring16 (n5 just crashed): doubt %q, want a pointer at n5 marked ✗", doubt)
	}
	rows, sides = members(read("ring16_partition"))
	if len(rows) != 16 || !sides || pointerDoubt(rows) != "" {
		t.Fatalf("ring16_partition: %d rows, sides %v, doubt %q; want 16 rows on two sides, no doubt", len(rows), sides, pointerDoubt(rows))
	}
	if r, ok := row(read("ring16_partition"), "n3"); !ok || r.side != "B" {
		t.Errorf("ring16_partition: n3's row %+v, want side B", r)
	}
	if !claimsStable("⫽ partitioned: 2 sides — each stable after 0.31 s") || claimsStable("⟳ converging — 0.2 s since kill n3") {
		t.Error("claimsStable misreads a status line")
	}
}
