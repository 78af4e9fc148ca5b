package tui

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// smallRing is a ring of 6-bit IDs with the given states and pointers set
// by hand: name → (id, state, pred, succ).
func smallRing(nodes []struct {
	id         uint64
	state      cluster.State
	pred, succ int // indices, -1 for nil
}) cluster.Snapshot {
	const bits = 6
	s := cluster.Snapshot{Bits: bits}
	refs := make([]chord.NodeRef, len(nodes))
	for i, n := range nodes {
		refs[i] = chord.NodeRef{ID: chord.IDFromUint64(bits, n.id), Addr: fmt.Sprintf("a%d", i)}
	}
	for i, n := range nodes {
		st := chord.Status{Self: refs[i], Bits: bits, R: 2}
		if n.pred >= 0 {
			st.Predecessor = refs[n.pred]
		}
		if n.succ >= 0 {
			st.Successors = []chord.NodeRef{refs[n.succ]}
		}
		s.Nodes = append(s.Nodes, cluster.NodeSnapshot{Name: fmt.Sprintf("n%d", i), State: n.state, Addr: refs[i].Addr, ID: refs[i].ID, Chord: st})
	}
	return s
}

func TestPointerMarks(t *testing.T) {
	type nd = struct {
		id         uint64
		state      cluster.State
		pred, succ int
	}
	alive, down, paused := cluster.StateAlive, cluster.StateDown, cluster.StatePaused
	tests := []struct {
		name               string
		nodes              []nd
		node               int
		wantPred, wantSucc mark
	}{
		{"ideal three-ring", []nd{{10, alive, 2, 1}, {20, alive, 0, 2}, {50, alive, 1, 0}}, 0, markOK, markOK},
		{"wrap-around pred of the lowest ID", []nd{{10, alive, 2, 1}, {20, alive, 0, 2}, {50, alive, 1, 0}}, 2, markOK, markOK},
		{"successor down", []nd{{10, alive, 2, 1}, {20, down, 0, 2}, {50, alive, 1, 0}}, 0, markOK, markDead},
		{"successor paused counts as not alive", []nd{{10, alive, 2, 1}, {20, paused, 0, 2}, {50, alive, 1, 0}}, 0, markOK, markDead},
		{"skips a live node", []nd{{10, alive, 2, 2}, {20, alive, 0, 2}, {50, alive, 1, 0}}, 0, markOK, markNotIdeal},
		{"nil predecessor", []nd{{10, alive, -1, 1}, {20, alive, 0, 2}, {50, alive, 1, 0}}, 0, markNil, markOK},
		{"after a crash the ideal skips the dead node", []nd{{10, alive, 2, 2}, {20, down, 0, 2}, {50, alive, 0, 0}}, 2, markOK, markOK},
		{"single node points at itself", []nd{{10, alive, 0, 0}}, 0, markOK, markOK},
		{"down node is not judged", []nd{{10, down, 1, 1}, {20, alive, 1, 1}}, 0, markUnjudged, markUnjudged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := smallRing(tc.nodes)
			ix := newRingIndex(&s)
			p, q := ix.pointerMarks(&s.Nodes[tc.node])
			if p != tc.wantPred || q != tc.wantSucc {
				t.Errorf("marks (pred, succ) = (%d, %d), want (%d, %d)", p, q, tc.wantPred, tc.wantSucc)
			}
		})
	}
}

func TestCollapseFingersJudged(t *testing.T) {
	// Ring 10, 20, 50 on 6 bits; node 10's fingers start at 11, 12, 14, 18,
	// 26, 42: ideal targets 20, 20, 20, 20, 50, 50.
	s := smallRing([]struct {
		id         uint64
		state      cluster.State
		pred, succ int
	}{{10, cluster.StateAlive, 2, 1}, {20, cluster.StateAlive, 0, 2}, {50, cluster.StateAlive, 1, 0}})
	n := &s.Nodes[0]
	b, c := s.Nodes[1].Chord.Self, s.Nodes[2].Chord.Self
	n.Chord.Fingers = []chord.NodeRef{b, b, b, c, c, c} // finger 4 wrong (should be 20)
	ix := newRingIndex(&s)
	runs := ix.collapseFingers(n)
	type run struct {
		from, to int
		node     string
		wrong    mark
	}
	var got []run
	for _, r := range runs {
		got = append(got, run{r.From, r.To, r.Name, r.Wrong})
	}
	want := []run{{1, 3, "n1", markOK}, {4, 6, "n2", markNotIdeal}}
	if !slices.Equal(got, want) {
		t.Errorf("runs = %v\nwant   %v", got, want)
	}
	if runs[0].span() != "1–3" || (fingerRun{FingerRun: cluster.FingerRun{From: 5, To: 5}}).span() != "5" {
		t.Errorf("spans %q", runs[0].span())
	}
}

func TestQuoteArg(t *testing.T) {
	for in, want := range map[string]string{
		"k":           "k",
		"hello world": `"hello world"`,
		`a"b`:         `"a\"b"`,
		`a\b`:         `"a\\b"`,
		"":            `""`,
	} {
		if got := quoteArg(in); got != want {
			t.Errorf("quoteArg(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("default options invalid: %v", err)
	}
	bad := DefaultOptions()
	bad.RefreshInterval = 10_000_000 // 10 ms: 100 refreshes a second
	if err := bad.Validate(); err == nil {
		t.Error("a 10ms refresh interval was accepted")
	}
	bad = DefaultOptions()
	bad.EventLogSize = 0
	if err := bad.Validate(); err == nil {
		t.Error("an empty event log was accepted")
	}
}

func TestNoColor(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		opt  bool
		env  string
		want bool
	}{{false, "", false}, {false, "1", true}, {false, "yes", true}, {true, "", true}}
	for _, tc := range tests {
		if got := noColor(Options{NoColor: tc.opt}, env(tc.env)); got != tc.want {
			t.Errorf("noColor(opt %v, NO_COLOR=%q) = %v, want %v", tc.opt, tc.env, got, tc.want)
		}
	}
}

func TestFractionMatchesChord(t *testing.T) {
	for _, bits := range []int{6, 16, 63, 64, 65, 100, 160} {
		for i := 0; i < 200; i++ {
			id := chord.HashID(bits, []byte(fmt.Sprint("k", i)))
			want := id.Fraction(bits)
			if got := fraction(id, bits); math.Abs(got-want) > 1e-12 {
				t.Fatalf("bits %d id %s: fraction %v, chord says %v", bits, id.Hex(bits), got, want)
			}
		}
	}
}
