package chord_test

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// suspectConfig is smallConfig with a short deadline, so a paused node costs
// little test time, and K = 3.
func suspectConfig() chord.Config {
	cfg := smallConfig()
	cfg.RPCTimeout = 10 * time.Millisecond
	cfg.SuspectTimeouts = 3
	return cfg
}

// TestSuspicionKeepsASlowSuccessor drives single stabilize rounds of x
// whose successor p is slow, paused or crashed, and checks when x drops p:
// a crash (refused) at once; a paused or delayed p (timeouts) only after
// Config.SuspectTimeouts rounds in a row, and never if it answers again
// before that. Zave's invariants must hold after every round.
func TestSuspicionKeepsASlowSuccessor(t *testing.T) {
	cfg := suspectConfig()
	k := cfg.SuspectTimeouts
	tests := []struct {
		name      string
		fault     func(r *memRing, p string)
		rounds    int // stabilize rounds of x while the fault lasts
		heal      func(r *memRing, p string)
		wantDrops bool
	}{
		{"delayed one round", func(r *memRing, p string) { r.nw.SetDelay(p, 3*cfg.RPCTimeout) }, 1,
			func(r *memRing, p string) { r.nw.SetDelay(p, 0) }, false},
		{"paused one round", func(r *memRing, p string) { r.nw.Pause(p) }, 1,
			func(r *memRing, p string) { r.nw.Resume(p) }, false},
		{"paused K-1 rounds", func(r *memRing, p string) { r.nw.Pause(p) }, k - 1,
			func(r *memRing, p string) { r.nw.Resume(p) }, false},
		{"paused K rounds", func(r *memRing, p string) { r.nw.Pause(p) }, k,
			func(r *memRing, p string) { r.nw.Resume(p) }, true},
		{"crashed", func(r *memRing, p string) { r.nw.Crash(p) }, 1, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			ring := buildIdeal(t, 7, cfg, 8, true)
			x, p, s := ring.nodes[2], ring.nodes[3], ring.nodes[4] // nodes are in ID order
			tc.fault(ring, p.Self().Addr)
			for round := 1; round <= tc.rounds; round++ {
				if err := x.Stabilize(ctx); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				got := x.Successors()[0]
				dropped := got != p.Self()
				wantDropped := tc.wantDrops && (round == tc.rounds)
				if dropped != wantDropped {
					t.Fatalf("round %d of %d: x's successor is %s; dropped=%v, want %v", round, tc.rounds, got.Addr, dropped, wantDropped)
				}
				if dropped && got != s.Self() {
					t.Fatalf("round %d: x's successor is %s, want p's successor %s", round, got.Addr, s.Self().Addr)
				}
				if v := chord.CheckInvariants(ring.statuses()); len(v) > 0 {
					t.Fatalf("round %d: %v", round, v)
				}
			}
			if tc.heal == nil {
				return
			}
			tc.heal(ring, p.Self().Addr)
			// A kept p answers again: the ring is still ideal after one more
			// round of x; a dropped one is found again by the other rounds.
			rng := rand.New(rand.NewSource(7))
			if !tc.wantDrops {
				if err := x.Stabilize(ctx); err != nil {
					t.Fatal(err)
				}
				if v := ring.ideal(true); len(v) > 0 {
					t.Fatalf("p answered again, but the ring is not ideal: %v", v)
				}
				return
			}
			for round := 0; len(ring.ideal(false)) > 0; round++ {
				if round == 20 {
					t.Fatalf("not ideal 20 rounds after p resumed: %v", ring.ideal(false))
				}
				ring.round(ctx, rng)
			}
		})
	}
}

// TestSuspicionKeepsASlowPredecessor is the same for check_predecessor: a
// crashed predecessor is cleared at once, a paused one after K rounds.
func TestSuspicionKeepsASlowPredecessor(t *testing.T) {
	cfg := suspectConfig()
	k := cfg.SuspectTimeouts
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash=%v", crash), func(t *testing.T) {
			ctx := testCtx(t)
			ring := buildIdeal(t, 9, cfg, 6, true)
			p, s := ring.nodes[2], ring.nodes[3]
			if crash {
				ring.nw.Crash(p.Self().Addr)
			} else {
				ring.nw.Pause(p.Self().Addr)
				defer ring.nw.Resume(p.Self().Addr)
			}
			want := k
			if crash {
				want = 1
			}
			for round := 1; round <= want; round++ {
				if err := s.CheckPredecessor(ctx); err != nil {
					t.Fatal(err)
				}
				cleared := s.Predecessor().IsZero()
				if cleared != (round == want) {
					t.Fatalf("round %d: predecessor cleared=%v, want %v (K = %d)", round, cleared, round == want, k)
				}
			}
		})
	}
}

// TestSuspicionResetsOnAnswer: timeouts count only in a row. A successor
// that misses K-1 rounds, answers once, and misses K-1 again is never
// dropped.
func TestSuspicionResetsOnAnswer(t *testing.T) {
	cfg := suspectConfig()
	ctx := testCtx(t)
	ring := buildIdeal(t, 11, cfg, 6, true)
	x, p := ring.nodes[1], ring.nodes[2]
	for cycle := 0; cycle < 3; cycle++ {
		ring.nw.Pause(p.Self().Addr)
		for i := 0; i < cfg.SuspectTimeouts-1; i++ {
			if err := x.Stabilize(ctx); err != nil {
				t.Fatal(err)
			}
		}
		ring.nw.Resume(p.Self().Addr)
		if err := x.Stabilize(ctx); err != nil {
			t.Fatal(err)
		}
		if got := x.Successors()[0]; got != p.Self() {
			t.Fatalf("cycle %d: successor %s dropped after %d timeouts and an answer", cycle, got.Addr, cfg.SuspectTimeouts-1)
		}
	}
}

// TestPausedNodeInFullRounds pauses one node of a ring for one full
// maintenance round (every node stabilizes, fixes a finger and checks its
// predecessor): nobody drops it and the invariants hold; resumed, the ring
// is ideal at once. Paused for K rounds it is dropped and the ring repairs
// around it.
func TestPausedNodeInFullRounds(t *testing.T) {
	cfg := suspectConfig()
	for _, rounds := range []int{1, cfg.SuspectTimeouts + 1} {
		t.Run(fmt.Sprintf("rounds=%d", rounds), func(t *testing.T) {
			ctx := testCtx(t)
			ring := buildIdeal(t, 13, cfg, 10, true)
			rng := rand.New(rand.NewSource(13))
			p := ring.nodes[5]
			ring.nw.Pause(p.Self().Addr)
			for i := 0; i < rounds; i++ {
				ring.round(ctx, rng)
				if v := chord.CheckInvariants(ring.statuses()); len(v) > 0 {
					t.Fatalf("round %d with p paused: %v", i+1, v)
				}
			}
			if rounds < cfg.SuspectTimeouts {
				ring.nw.Resume(p.Self().Addr)
				if v := ring.ideal(false); len(v) > 0 {
					t.Fatalf("p paused for %d round(s) was dropped: %v", rounds, v)
				}
				return
			}
			if got := ring.nodes[4].Successors()[0]; got == p.Self() {
				t.Fatalf("p paused for %d rounds (K = %d) is still its predecessor's successor", rounds, cfg.SuspectTimeouts)
			}
			ring.dead[p.Self().Addr] = true // paused for good
			for round := 0; len(ring.ideal(false)) > 0; round++ {
				if round == 20 {
					t.Fatalf("not ideal without p after 20 rounds: %v", ring.ideal(false))
				}
				ring.round(ctx, rng)
			}
			ring.nw.Resume(p.Self().Addr)
		})
	}
}

// TestLossyNetworkKeepsItsSuccessors runs maintenance rounds of an ideal
// ring on a network that loses about one call in ten (a lost call looks
// like a slow peer: it times out). Nobody has failed, so with K = 3 a node
// should almost never drop its live successor, and Zave's invariants must
// hold after every round; with K = 1 (drop on the first timeout) the same
// schedule drops live successors all the time. Once the losses stop the
// ring must be ideal again.
func TestLossyNetworkKeepsItsSuccessors(t *testing.T) {
	const n, rounds = 24, 40
	drops, broken := map[int]int{}, map[int]int{}
	for _, k := range []int{1, 3} {
		t.Run(fmt.Sprintf("K=%d", k), func(t *testing.T) {
			ctx := testCtx(t)
			cfg := suspectConfig()
			cfg.RPCTimeout = 2 * time.Millisecond
			cfg.SuspectTimeouts = k
			ring := buildIdeal(t, 31, cfg, n, true)
			rng := rand.New(rand.NewSource(31))
			for _, x := range ring.nodes {
				ring.nw.SetDrop(x.Self().Addr, 0.05)
			}
			ideal := make(map[string]chord.NodeRef, n)
			for _, x := range ring.nodes {
				ideal[x.Self().Addr] = x.Successors()[0]
			}
			for round := 1; round <= rounds; round++ {
				ring.round(ctx, rng)
				if v := chord.CheckInvariants(ring.statuses()); len(v) > 0 {
					if k > 1 {
						t.Fatalf("round %d: %v", round, v)
					}
					broken[k]++
				}
				for _, x := range ring.nodes {
					if x.Successors()[0] != ideal[x.Self().Addr] {
						drops[k]++
					}
				}
			}
			for _, x := range ring.nodes {
				ring.nw.SetDrop(x.Self().Addr, 0)
			}
			for round := 0; len(ring.ideal(false)) > 0; round++ {
				if round == 20 {
					t.Fatalf("not ideal 20 rounds after the losses stopped: %v", ring.ideal(false))
				}
				ring.round(ctx, rng)
			}
		})
	}
	t.Logf("node-rounds with a live successor dropped, of %d: K=1 %d, K=3 %d; rounds with Zave's invariants broken: K=1 %d of %d, K=3 0",
		n*rounds, drops[1], drops[3], broken[1], rounds)
	if drops[3]*10 > drops[1] || drops[1] == 0 {
		t.Errorf("K=3 dropped live successors in %d node-rounds, K=1 in %d: want at least ten times fewer", drops[3], drops[1])
	}
}
