package chord_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// TestRejoinOverAStalePointer: a node crashes and comes back on the same
// address with the same identifier before the ring has dropped it. Its
// former predecessors still list it, so the lookup for its own
// identifier names its own address: that is a stale pointer, not an
// identifier collision, and the join goes on to the next successor, with
// the nodes' own lookups iterative or recursive.
func TestRejoinOverAStalePointer(t *testing.T) {
	bothStyles(t, func(t *testing.T, recursive bool) {
		z := newZaveNet(t, 3)
		z.cfg.RecursiveLookups = recursive
		z.form(10, 40, 70, 100, 130, 160, 200)
		z.check = false
		z.nw.Crash(zaveAddr(100))
		delete(z.nodes, 100)
		n := z.start(100)
		if err := n.Join(z.ctx, zaveAddr(10)); err != nil {
			t.Fatalf("rejoin: %v (collision: %v)", err, errors.Is(err, chord.ErrIDCollision))
		}
		z.wantSuccessors(100, 130, 160, 200)
	})
}

// TestJoinThroughANonMember: a join through a node that is not a ring
// member fails with ErrNotJoined, whichever style the lookups use.
func TestJoinThroughANonMember(t *testing.T) {
	bothStyles(t, func(t *testing.T, recursive bool) {
		z := newZaveNet(t, 3)
		z.cfg.RecursiveLookups = recursive
		z.check = false
		z.form(10, 40, 70, 120)
		z.start(90) // not joined
		if err := z.start(50).Join(z.ctx, zaveAddr(90)); !errors.Is(err, chord.ErrNotJoined) {
			t.Fatalf("join through a non-member: %v, want ErrNotJoined", err)
		}
	})
}

// TestProbeForgetsANodeThatLeft: a node that left gracefully answers a
// unification probe with "not a member", and its former peers stop
// probing it, whichever style the lookups use.
func TestProbeForgetsANodeThatLeft(t *testing.T) {
	bothStyles(t, func(t *testing.T, recursive bool) {
		z := newZaveNet(t, 2)
		z.cfg.RecursiveLookups = recursive
		z.check = false
		z.form(10, 40, 70, 100, 130)
		if err := z.n(70).Leave(z.ctx); err != nil {
			t.Fatal(err)
		}
		z.gone[70] = true
		for range 60 {
			for _, id := range []int{10, 40, 100, 130} {
				_ = z.n(id).Stabilize(z.ctx)
			}
		}
		for _, id := range []int{10, 40, 100, 130} {
			if slices.Contains(z.n(id).LostForTest(), zaveAddr(70)) {
				t.Errorf("%d still probes 70, which left, after 60 rounds", id)
			}
		}
	})
}
