package chord_test

import (
	"math/rand"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// distinctFarFingers counts the distinct fingers of st that lie beyond its
// successor list: the ones fix_fingers has to ask someone about.
func distinctFarFingers(st chord.Status) int {
	last := st.Successors[len(st.Successors)-1]
	seen := map[string]bool{}
	for k, f := range st.Fingers {
		start := st.Self.ID.AddPow2(st.Bits, k)
		if !chord.BetweenRightIncl(st.Self.ID, start, last.ID) {
			seen[f.Addr] = true
		}
	}
	return len(seen)
}

// In a ring that has not changed, a full fix_fingers cycle costs one call
// per distinct finger beyond the successor list (each finger is verified
// by asking it for its predecessor) instead of a multi-hop lookup each.
func TestFixFingersVerifiesWithOneCallPerFinger(t *testing.T) {
	ctx := testCtx(t)
	cfg := chord.DefaultConfig()
	cfg.Bits = 32
	r := buildIdeal(t, 7, cfg, 256, true)
	n := r.nodes[0]
	far := distinctFarFingers(n.Status())
	if far < 4 {
		t.Fatalf("only %d distinct fingers beyond the successor list in a ring of 256: test ring too small", far)
	}
	before := r.nw.Calls()
	if err := n.FixAllFingers(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.nw.Calls() - before; got != uint64(far) {
		t.Errorf("a fix_fingers cycle in an unchanged ring made %d calls, want %d (one per distinct far finger)", got, far)
	}
	if vs := r.ideal(true); len(vs) > 0 {
		t.Errorf("fingers no longer ideal after the cycle: %v", vs[0])
	}
}

// A node that joins between a finger's start and the finger becomes the
// finger in the next cycle; a finger that is wrong by more than one node
// is found by a full lookup.
func TestFixFingersFindsJoinedAndWrongFingers(t *testing.T) {
	ctx := testCtx(t)
	cfg := chord.DefaultConfig()
	cfg.Bits = 32
	r := buildIdeal(t, 11, cfg, 128, true)
	n := r.nodes[0]
	st := n.Status()
	last := st.Successors[len(st.Successors)-1]
	// The farthest finger: its start is not the finger's own ID.
	k := st.Bits - 1
	start := st.Self.ID.AddPow2(st.Bits, k)
	if chord.BetweenRightIncl(st.Self.ID, start, last.ID) || st.Fingers[k].ID == start {
		t.Fatalf("finger[%d] unsuitable for the test", k+1)
	}
	// A node with ID = start joins: it now owns start.
	x := r.add("10.9.9.9:1", start)
	if err := x.Join(ctx, r.nodes[5].Self().Addr); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; len(r.ideal(false)) > 0; i++ {
		if i == 50 {
			t.Fatalf("ring not ideal after 50 rounds: %v", r.ideal(false)[0])
		}
		r.round(ctx, rng)
	}
	if err := n.FixAllFingers(ctx); err != nil {
		t.Fatal(err)
	}
	if got := n.Status().Fingers[k]; got.Addr != x.Self().Addr {
		t.Errorf("finger[%d] = %s after a node joined at its start, want the joiner %s", k+1, got.Addr, x.Self().Addr)
	}

	// Point a finger at a node far past its true successor: verification
	// fails (the predecessor is not in [start, finger)), a lookup repairs it.
	st = n.Status()
	j := st.Bits - 2
	want := st.Fingers[j]
	wrong := st.Fingers[st.Bits-1]
	if want.Addr == wrong.Addr {
		t.Fatalf("fingers %d and %d coincide", j+1, st.Bits)
	}
	fingers := append([]chord.NodeRef(nil), st.Fingers...)
	fingers[j] = wrong
	n.SetStateForTest(st.Predecessor, st.Successors, fingers)
	if err := n.FixAllFingers(ctx); err != nil {
		t.Fatal(err)
	}
	if got := n.Status().Fingers[j]; got.Addr != want.Addr {
		t.Errorf("finger[%d] = %s after repair, want %s", j+1, got.Addr, want.Addr)
	}
	// One cycle on every node makes the whole ring's fingers ideal again.
	for _, m := range r.live() {
		if err := m.FixAllFingers(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if vs := r.ideal(true); len(vs) > 0 {
		t.Errorf("fingers not ideal after one cycle on every node: %v", vs[0])
	}
}

// A joiner takes its successor's fingers as hints (SIGCOMM'01 §4.4), so its
// first fix_fingers cycle verifies them with about one call each instead of
// a lookup per finger, and ends with every finger right.
func TestJoinerStartsFromItsSuccessorsFingers(t *testing.T) {
	ctx := testCtx(t)
	cfg := chord.DefaultConfig()
	cfg.Bits = 32
	r := buildIdeal(t, 5, cfg, 256, true)
	rng := rand.New(rand.NewSource(99)) // not buildIdeal's seed: a fresh ID
	x := r.add("10.9.9.9:2", distinctIDs(rng, cfg.Bits, 1)[0])
	if err := x.Join(ctx, r.nodes[3].Self().Addr); err != nil {
		t.Fatal(err)
	}
	st := x.Status()
	set := 0
	for _, f := range st.Fingers {
		if !f.IsZero() {
			set++
		}
	}
	if set < st.Bits-2 {
		t.Fatalf("a joiner has %d of %d fingers set from its successor's table", set, st.Bits)
	}
	for i := 0; len(r.ideal(false)) > 0; i++ {
		if i == 50 {
			t.Fatalf("ring not ideal after 50 rounds: %v", r.ideal(false)[0])
		}
		r.round(ctx, rng)
	}
	far := distinctFarFingers(x.Status())
	before := r.nw.Calls()
	if err := x.FixAllFingers(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.nw.Calls() - before; got > uint64(2*far) {
		t.Errorf("the joiner's first full fix_fingers cycle made %d calls for %d distinct far fingers, want at most %d", got, far, 2*far)
	}
	st = x.Status()
	for k, f := range st.Fingers {
		start := st.Self.ID.AddPow2(st.Bits, k)
		if want := r.trueOwner(start); f.Addr != want.Addr {
			t.Errorf("finger[%d] = %s, want %s", k+1, f.Addr, want.Addr)
		}
	}
}

// FixFinger repairs the one finger it is given (and the fingers after it
// that share its successor) and touches no other; a finger that does not
// exist is an error.
func TestFixFingerRepairsOneFinger(t *testing.T) {
	ctx := testCtx(t)
	cfg := chord.DefaultConfig()
	cfg.Bits = 32
	r := buildIdeal(t, 13, cfg, 128, true)
	n := r.nodes[0]
	st := n.Status()
	j := st.Bits - 2
	want, wrong := st.Fingers[j], st.Fingers[st.Bits-1]
	if want.Addr == wrong.Addr {
		t.Fatalf("fingers %d and %d coincide", j+1, st.Bits)
	}
	fingers := append([]chord.NodeRef(nil), st.Fingers...)
	fingers[j] = wrong
	fingers[0] = wrong // left wrong: FixFinger(j) must not touch it
	n.SetStateForTest(st.Predecessor, st.Successors, fingers)
	if err := n.FixFinger(ctx, j); err != nil {
		t.Fatal(err)
	}
	got := n.Status().Fingers
	if got[j].Addr != want.Addr {
		t.Errorf("finger[%d] = %s after FixFinger, want %s", j+1, got[j].Addr, want.Addr)
	}
	if got[0].Addr != wrong.Addr {
		t.Errorf("finger[1] = %s: FixFinger(%d) changed another finger", got[0].Addr, j)
	}
	for _, k := range []int{-1, st.Bits} {
		if err := n.FixFinger(ctx, k); err == nil {
			t.Errorf("FixFinger(%d) on a ring of m = %d: no error", k, st.Bits)
		}
	}
}
