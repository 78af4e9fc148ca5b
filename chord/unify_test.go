package chord_test

import (
	"slices"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// TestUnifyFindsNodesThatVanishedFromTheList: the ring 10…130 splits into
// {10, 25, 40} and {70, 100, 130} without any node of the first failing a
// call to the second — 40 forgot its successors (as after a partition that
// only it saw), and 25 drops 70 only because it copies 40's list. Each
// fragment is a consistent ring of r+1 nodes, so stabilize alone would keep
// them apart for ever. 25 and 40 remember the nodes that vanished from
// their lists, probe them, and the rings merge.
func TestUnifyFindsNodesThatVanishedFromTheList(t *testing.T) {
	bothStyles(t, testUnifyFindsNodesThatVanishedFromTheList)
}

func testUnifyFindsNodesThatVanishedFromTheList(t *testing.T, recursive bool) {
	z := newZaveNet(t, 2)
	z.cfg.RecursiveLookups = recursive
	z.form(10, 25, 40, 70, 100, 130)
	z.check = false // two rings are outside Zave's invariant until they merge
	set := func(id, pred int, succ ...int) {
		refs := make([]chord.NodeRef, len(succ))
		for i, s := range succ {
			refs[i] = z.ref(s)
		}
		// Fingers only within the node's own fragment: they are routing
		// hints, not what this test is about.
		fingers := slices.Repeat([]chord.NodeRef{refs[0]}, zaveBits)
		z.n(id).SetStateForTest(z.ref(pred), refs, fingers)
	}
	set(10, 40, 25, 40)
	set(25, 10, 40, 70) // still lists 70: it will copy 40's list next
	set(40, 25, 10, 25)
	set(70, 130, 100, 130)
	set(100, 70, 130, 70)
	set(130, 100, 70, 100)
	z.stabilize(25)
	z.wantSuccessors(25, 40, 10) // 70 vanished from 25's list: no call failed
	if vs := chord.CheckInvariants(z.statuses()); !slices.ContainsFunc(vs, func(v chord.Violation) bool { return v.Invariant == "AtMostOneRing" }) {
		t.Fatalf("want two separate rings before unification, got violations:\n%s", violationText(vs))
	}
	z.settle("after the split", 30)
	z.invariants("merged and settled")
}

// TestUnifyFindsTheRingThroughTheNodeItJoinedBy: 55 joins through 10 and
// is cut off before it has notified anyone; its successors 70 and 100
// leave while it is alone, so every node it lists as lost is gone and no
// live node has ever heard of it. A node alone probes the peers that
// answered it before — 10, which resolved its join — and finds the ring.
func TestUnifyFindsTheRingThroughTheNodeItJoinedBy(t *testing.T) {
	bothStyles(t, testUnifyFindsTheRingThroughTheNodeItJoinedBy)
}

func testUnifyFindsTheRingThroughTheNodeItJoinedBy(t *testing.T, recursive bool) {
	z := newZaveNet(t, 2)
	z.cfg.RecursiveLookups = recursive
	z.form(10, 40, 70, 100, 130)
	z.check = false
	z.join(55, 10)
	z.wantSuccessors(55, 70, 100)
	z.nw.Isolate(zaveAddr(55))
	_ = z.n(55).Stabilize(z.ctx) // nobody answers: 55 is alone
	z.wantSuccessors(55, 55)
	for _, id := range []int{70, 100} {
		if err := z.n(id).Leave(z.ctx); err != nil {
			t.Fatalf("%d leaves: %v", id, err)
		}
		z.nw.Crash(zaveAddr(id)) // a departed node stops answering
		z.gone[id] = true
	}
	z.nw.Heal()
	z.settle("after healing", 30)
	z.invariants("merged and settled")
	z.wantSuccessors(55, 130, 10)
}

// bothStyles runs test with the nodes' own lookups (join, unification
// probes, fix_fingers) iterative and recursive (Config.RecursiveLookups).
func bothStyles(t *testing.T, test func(t *testing.T, recursive bool)) {
	t.Run("iterative", func(t *testing.T) { test(t, false) })
	t.Run("recursive", func(t *testing.T) { test(t, true) })
}
