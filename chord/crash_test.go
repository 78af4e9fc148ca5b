package chord_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// crashRepairBound is the number of full rounds after which a ring that lost
// r-1 consecutive members is ideal again, fingers included:
//
//   - successors and predecessors: 1 round. The node just before the dead
//     run walks its list to the first live entry s (its true successor now)
//     and notifies s, whose rectify replaces the dead predecessor after
//     pinging it.
//   - successor lists: r rounds; a list is right one round after its
//     successor's list is, and the r-1 nodes before the dead run still list
//     dead nodes.
//   - fingers: lookups stay correct throughout (each list still holds the
//     first live successor), so one fix_fingers cycle, at most min(m, N)+1
//     rounds, repairs every finger.
func crashRepairBound(n, r, bits int) int {
	return max(r, min(bits, n)+1) + 1
}

// TestCrashConsecutive crashes every possible run of r-1 consecutive nodes
// of an ideal ring (one run per test) and asserts that the ring is ideal
// again, fingers included, within crashRepairBound rounds, that Zave's
// invariants hold after every round, and that lookups are right meanwhile.
func TestCrashConsecutive(t *testing.T) {
	cases := []struct{ n, r, bits int }{
		{8, 2, 16}, {8, 4, 16}, {13, 4, 8}, {16, 3, 160}, {24, 6, 16},
	}
	worst := 0
	for _, c := range cases {
		cfg := smallConfig()
		cfg.Bits, cfg.SuccessorListLen = c.bits, c.r
		for start := 0; start < c.n; start++ {
			t.Run(fmt.Sprintf("N=%d/r=%d/m=%d/from=%d", c.n, c.r, c.bits, start), func(t *testing.T) {
				ctx := testCtx(t)
				seed := int64(c.n*1000 + start)
				ring := buildIdeal(t, seed, cfg, c.n, true)
				rng := rand.New(rand.NewSource(seed))
				for k := 0; k < c.r-1; k++ {
					ring.crash(ring.nodes[(start+k)%c.n]) // nodes are in ID order
				}
				bound := crashRepairBound(c.n, c.r, c.bits)
				for round := 0; ; round++ {
					if v := chord.CheckInvariants(ring.statuses()); len(v) > 0 {
						t.Fatalf("round %d: %v", round, v)
					}
					for i := 0; i < 5; i++ {
						var key chord.ID
						rng.Read(key[:])
						key = key.Mask(c.bits)
						live := ring.live()
						res, err := live[rng.Intn(len(live))].Lookup(ctx, key)
						if want := ring.trueOwner(key); err != nil || res.Owner != want {
							t.Fatalf("round %d: lookup %s: %v, %v; want %s", round, key.Short(c.bits), res.Owner.Addr, err, want.Addr)
						}
					}
					if len(ring.ideal(true)) == 0 {
						worst = max(worst, round)
						break
					}
					if round == bound {
						t.Fatalf("not ideal %d rounds after the crash: %v", bound, ring.ideal(true))
					}
					ring.round(ctx, rng)
				}
			})
		}
	}
	t.Logf("worst rounds to ideal after r-1 consecutive crashes: %d", worst)
}

// TestHalfCrashLookups reproduces the paper's experiment (ToN §V-E, Table
// III): half of 1000 nodes fail at once, r = 20, stabilization stopped; every
// lookup must still return the correct live owner. The paper reports a mean
// path of 5.09 and 5.1 timeouts per lookup.
func TestHalfCrashLookups(t *testing.T) {
	const n = 1000
	ctx := testCtx(t)
	cfg := chord.DefaultConfig()
	cfg.SuccessorListLen = 20
	ring := buildIdeal(t, 1000, cfg, n, true)
	rng := rand.New(rand.NewSource(1000))
	for _, i := range rng.Perm(n)[:n/2] {
		ring.crash(ring.nodes[i])
	}
	live := ring.live()
	lookups := 2000
	if testing.Short() {
		lookups = 300
	}
	hops, timeouts := make([]int, lookups), make([]int, lookups)
	for i := range hops {
		var key chord.ID
		rng.Read(key[:])
		from := live[rng.Intn(len(live))]
		res, err := from.Lookup(ctx, key)
		if err != nil {
			t.Fatalf("lookup %s from %s: %v", key.Short(160), from.Self().Addr, err)
		}
		if want := ring.trueOwner(key); res.Owner != want {
			t.Fatalf("lookup %s from %s: owner %s, want the live owner %s", key.Short(160), from.Self().Addr, res.Owner.Addr, want.Addr)
		}
		hops[i], timeouts[i] = res.Hops, res.Timeouts
	}
	st := summarise(hops, timeouts)
	t.Logf("N=%d, half crashed, r=20: mean path %.2f hops (p99 %.0f), mean %.2f timeouts per lookup (paper: 5.09 and 5.1)", n, st.mean, st.p99, st.meanTimeouts)
	if st.mean > 2*math.Log2(n) {
		t.Errorf("mean path %.2f hops is more than 2·log2 N", st.mean)
	}
}

// TestPartitionsHeal goes beyond Zave's model (a suspected node really is
// dead): a partition makes live nodes drop each other, and Chord alone would
// leave separate rings forever. With ring unification (unify.go) the ring
// must be ideal again soon after the partition heals.
func TestPartitionsHeal(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		split func(r *memRing) // makes the partition
	}{
		{"one node isolated", 8, func(r *memRing) { r.nw.Isolate(r.nodes[3].Self().Addr) }},
		{"ring cut in two halves", 10, func(r *memRing) {
			for i := 0; i < 5; i++ {
				for j := 5; j < 10; j++ {
					r.nw.Cut(r.nodes[i].Self().Addr, r.nodes[j].Self().Addr)
				}
			}
		}},
		{"ring cut into odd and even nodes", 10, func(r *memRing) {
			for i := 0; i < 10; i += 2 {
				for j := 1; j < 10; j += 2 {
					r.nw.Cut(r.nodes[i].Self().Addr, r.nodes[j].Self().Addr)
				}
			}
		}},
	}
	for _, tc := range tests {
		for seed := int64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/seed=%d", tc.name, seed), func(t *testing.T) {
				ctx := testCtx(t)
				cfg := smallConfig()
				cfg.SuccessorListLen = 3
				ring := buildIdeal(t, seed, cfg, tc.n, true)
				rng := rand.New(rand.NewSource(seed))
				tc.split(ring)
				for i := 0; i < 3*tc.n; i++ { // long enough for every side to settle alone
					ring.round(ctx, rng)
				}
				if len(ring.ideal(false)) == 0 {
					t.Fatal("the partition did not show in the nodes' state; the test proves nothing")
				}
				ring.nw.Heal()
				// Bound: a lost node is probed at least every 16 rounds
				// (unifyMaxWait; every round by a node alone), then the
				// successor lists take r rounds and a finger cycle
				// min(m, N)+1 rounds. Measured: at most 8.
				limit := 16 + cfg.SuccessorListLen + min(cfg.Bits, tc.n) + 2
				for round := 1; round <= limit; round++ {
					ring.round(ctx, rng)
					if len(ring.ideal(true)) == 0 {
						t.Logf("ideal %d rounds after healing", round)
						return
					}
				}
				t.Fatalf("still not ideal %d rounds after healing: %v", limit, ring.ideal(true))
			})
		}
	}
}

// A paused node must not make its successor look dead: when x, whose
// successor p is paused, stabilizes onto p's successor s (after
// Config.SuspectTimeouts timeouts in a row) and notifies it, s checks its
// own (paused) predecessor p within a small part of x's deadline and still
// answers x in time, every round, until s too drops p.
func TestPausedPredecessorDoesNotHideItsSuccessor(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	cfg.RPCTimeout = 40 * time.Millisecond
	k := cfg.SuspectTimeouts
	r := buildIdeal(t, 51, cfg, 6, true)
	x, p, s := r.nodes[1], r.nodes[2], r.nodes[3] // nodes are in ID order
	r.nw.Pause(p.Self().Addr)
	defer r.nw.Resume(p.Self().Addr)
	for round := 1; round <= 2*k; round++ {
		if err := x.Stabilize(ctx); err != nil {
			t.Fatal(err)
		}
		want := p.Self()
		if round >= k {
			want = s.Self()
		}
		if got := x.Successors()[0]; got != want {
			t.Fatalf("round %d: x's successor is %s, want %s (p paused, K = %d, s alive)", round, got.Addr, want.Addr, k)
		}
		if s.Predecessor() == x.Self() {
			return
		}
	}
	t.Fatalf("s's predecessor is %s after %d rounds, want x %s (its old predecessor timed out K times)", s.Predecessor().Addr, 2*k, x.Self().Addr)
}
