package chord_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

var formationSeeds = flag.Int("chord.formation", 0, "seeds per case in TestFormation (default 3, 2 with -short)")

// formationBound is the number of full rounds (every member, in any order:
// stabilize, fix_fingers, check_predecessor) after which a ring formed by
// joins without failures must be ideal, fingers included:
//
//   - successors: N-1 rounds. Once a node's successor is right it stays
//     right, and each round at least one more node gets it right: the
//     nearest node before one whose predecessor is right finds its true
//     successor as that node's predecessor (Zave's stabilize adopts it).
//   - predecessors: +1 round, for the last notify to land.
//   - successor lists: +r-1 rounds, entry i is copied from the successor's
//     entry i-1 of the round before.
//   - fingers: +min(m, N)+1 rounds: fix_fingers refreshes one distinct
//     finger per round and a node has at most min(m, N) distinct ones; +1
//     because the cycle may start mid-group.
func formationBound(n, r, bits int) int {
	return (n - 1) + 1 + (r - 1) + min(bits, n) + 1
}

// TestFormation joins 2..64 nodes in random interleavings with maintenance
// steps (seeded), then asserts the ring is ideal, fingers included, within
// formationBound rounds — exactly checked with chord.CheckIdeal.
func TestFormation(t *testing.T) {
	type tc struct{ n, bits, r int }
	var cases []tc
	for _, n := range []int{2, 3, 4, 5, 8, 13, 32, 64} {
		for _, bits := range []int{6, 16, 160} {
			if n <= 1<<bits {
				cases = append(cases, tc{n, bits, 4})
			}
		}
	}
	cases = append(cases, tc{16, 8, 1}, tc{16, 8, 2}, tc{24, 12, 8})
	seeds := 3
	if testing.Short() {
		seeds = 2
	}
	if *formationSeeds > 0 {
		seeds = *formationSeeds
	}
	worst := map[int]int{}
	margin := map[int]int{} // smallest bound - rounds seen, by N
	for _, c := range cases {
		for seed := int64(1); seed <= int64(seeds); seed++ {
			name := fmt.Sprintf("N=%d/m=%d/r=%d/seed=%d", c.n, c.bits, c.r, seed)
			t.Run(name, func(t *testing.T) {
				rounds := formByInterleavedJoins(t, seed, c.n, c.bits, c.r)
				bound := formationBound(c.n, c.r, c.bits)
				if rounds > bound {
					t.Fatalf("ideal after %d rounds, bound %d", rounds, bound)
				}
				worst[c.n] = max(worst[c.n], rounds)
				if m, ok := margin[c.n]; !ok || bound-rounds < m {
					margin[c.n] = bound - rounds
				}
			})
		}
	}
	t.Logf("worst rounds to ideal by N: %v; smallest margin to the bound by N: %v", worst, margin)
}

// formByInterleavedJoins joins n nodes, each through a random member, with
// 0–3 random maintenance steps at random members between joins, then runs
// full rounds until the ring is ideal. It returns the rounds needed and
// fails the test if formationBound+5 rounds do not suffice.
func formByInterleavedJoins(t *testing.T, seed int64, n, bits, r int) int {
	t.Helper()
	ctx := testCtx(t)
	cfg := chord.DefaultConfig()
	cfg.Bits, cfg.SuccessorListLen = bits, r
	cfg.RPCTimeout = time.Second
	ring := newMemRing(t, seed, cfg)
	rng := rand.New(rand.NewSource(seed))
	ids := distinctIDs(rng, bits, n)
	var members []*chord.Node
	step := func(ctx context.Context, m *chord.Node) {
		switch rng.Intn(3) {
		case 0:
			_ = m.Stabilize(ctx)
		case 1:
			_ = m.FixFingers(ctx)
		default:
			_ = m.CheckPredecessor(ctx)
		}
	}
	for i, id := range ids {
		node := ring.add(fmt.Sprintf("n%d", i), id)
		if i == 0 {
			node.Create()
			members = append(members, node)
			continue
		}
		for k := rng.Intn(4); k > 0; k-- {
			step(ctx, members[rng.Intn(len(members))])
		}
		via := members[rng.Intn(len(members))].Self().Addr
		if err := node.Join(ctx, via); err != nil {
			t.Fatalf("join n%d via %s: %v", i, via, err)
		}
		members = append(members, node)
	}
	limit := formationBound(n, r, bits) + 5
	for rounds := 0; rounds <= limit; rounds++ {
		// A ring grown from one node starts below Zave's precondition (an
		// initial ring of at least r+1 nodes): until it is formed it has too
		// few principals and the creator may still list only itself. The
		// other invariants must hold after every round.
		for _, v := range chord.CheckInvariants(ring.statuses()) {
			if v.Invariant != chord.InvSufficientPrincipals && v.Invariant != chord.InvNoDuplicates {
				t.Fatalf("round %d: invariant broken during formation: %v", rounds, v)
			}
		}
		if len(ring.ideal(true)) == 0 {
			return rounds
		}
		ring.round(ctx, rng)
	}
	t.Fatalf("not ideal after %d rounds: %v", limit, ring.ideal(true))
	return 0
}

// TestConcurrentJoinsWithDrivers is the race detector's test: nodes join
// from their own goroutines while every node's Driver runs its rounds on
// real timers. The ring must become ideal (polled with a deadline).
func TestConcurrentJoinsWithDrivers(t *testing.T) {
	cfg := chord.DefaultConfig()
	cfg.Bits = 32
	cfg.StabilizeInterval = time.Millisecond
	cfg.FixFingersInterval = time.Millisecond
	cfg.CheckPredecessorInterval = 2 * time.Millisecond
	ring := newMemRing(t, 21, cfg)
	rng := rand.New(rand.NewSource(21))
	const n = 16
	ids := distinctIDs(rng, cfg.Bits, n)
	nodes := make([]*chord.Node, n)
	var drivers []*chord.Driver
	defer func() {
		for _, d := range drivers {
			d.Stop()
		}
	}()
	for i, id := range ids {
		nodes[i] = ring.add(fmt.Sprintf("n%d", i), id)
		d := chord.NewDriver(chord.NodeTasks(nodes[i]), cfg.Jitter, int64(i))
		drivers = append(drivers, d)
	}
	nodes[0].Create()
	for _, d := range drivers {
		d.Start()
	}
	errs := make(chan error, n)
	for i := 1; i < n; i++ {
		go func(i int) { // exits when its Join returns
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			errs <- nodes[i].Join(ctx, "n0")
		}(i)
	}
	for i := 1; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(ring.ideal(true)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not ideal after 30s: %v", ring.ideal(true))
		}
		time.Sleep(time.Millisecond) // polling a condition against a deadline
	}
}
