package chord_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// paperNaming names nodes by their decimal identifier, as a lecture does.
var paperNaming = chord.Naming{
	Node: func(r chord.NodeRef) string { return fmt.Sprintf("N%d", r.ID.Uint64()) },
	ID:   func(x chord.ID) string { return fmt.Sprint(x.Uint64()) },
}

// TestNamedViolations: with a Naming, messages name nodes as it says in
// sentences, lists and finger starts, and Nodes lists the nodes named.
func TestNamedViolations(t *testing.T) {
	r, nodes := paperRing(t, paperIDs)
	sts := r.statuses()
	at := func(id uint64) *chord.Status {
		for i := range sts {
			if sts[i].Self == nodes[id].Self() {
				return &sts[i]
			}
		}
		t.Fatalf("no N%d", id)
		return nil
	}
	dead := chord.NodeRef{ID: chord.IDFromUint64(6, 10), Addr: "N10"}
	at(8).Successors = []chord.NodeRef{dead}
	at(14).Fingers[3] = nodes[14].Self() // finger 4 of N14, start 22: should be N32
	tests := []struct {
		check func() []chord.Violation
		inv   string
		want  string
		nodes []string
	}{
		{func() []chord.Violation { return chord.CheckInvariantsNamed(sts, paperNaming) }, chord.InvOneLiveSuccessor,
			"N8's only successor, N10, is dead, so N8 has no live successor", []string{"N8", "N10"}},
		{func() []chord.Violation { return chord.CheckInvariantsNamed(sts, paperNaming) }, chord.InvConnectedAppendages,
			"N1 is not on the ring and never reaches it: following successors N1 → N8 ends at N8, which has no live successor", []string{"N1", "N8"}},
		{func() []chord.Violation { return chord.CheckIdealNamed(sts, true, paperNaming) }, chord.IdealFinger,
			"N14 has 1 of 6 fingers wrong; finger[4] (start 22) is N14 but the first live node at or after 22 is N32", []string{"N14", "N32"}},
		{func() []chord.Violation { return chord.CheckIdealNamed(sts, true, paperNaming) }, chord.IdealSuccessor,
			"N8's successor is N10 (dead) but the next live node after it is N14", []string{"N8", "N10", "N14"}},
	}
	for _, tt := range tests {
		var found *chord.Violation
		vs := tt.check()
		for i := range vs {
			if vs[i].Invariant == tt.inv && vs[i].Message == tt.want {
				found = &vs[i]
			}
		}
		if found == nil {
			t.Errorf("no %s reads %q; got %v", tt.inv, tt.want, vs)
			continue
		}
		if got := addrs(found.Nodes); !slices.Equal(got, tt.nodes) {
			t.Errorf("%s names %v, want %v", tt.inv, got, tt.nodes)
		}
	}
}
