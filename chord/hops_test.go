package chord_test

import (
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// pathStats summarises lookup path lengths.
type pathStats struct {
	mean, p99, meanTimeouts float64
	max                     int
}

func summarise(hops, timeouts []int) pathStats {
	s := slices.Clone(hops)
	slices.Sort(s)
	var sum, tsum int
	for i := range s {
		sum += s[i]
		tsum += timeouts[i]
	}
	return pathStats{
		mean:         float64(sum) / float64(len(s)),
		p99:          float64(s[(len(s)*99+99)/100-1]),
		max:          s[len(s)-1],
		meanTimeouts: float64(tsum) / float64(len(s)),
	}
}

// TestHops: on an N = 1024 ideal ring (built directly; 128 nodes' fingers
// cleared and recomputed by the protocol with FixAllFingers), lookups of random keys from random nodes
// take ½·log2 N hops on average (the paper's ToN §V-D result; with a
// successor list of r the paper's adjusted estimate is ½·log2 N − ½·log2 r
// + 1, also 5 for r = 4), and the 99th percentile is at most log2 N.
// Hops counts the calls that answered (LookupResult), the owner's ping
// included: Config.LivenessWindow is 0, so every owner is pinged.
func TestHops(t *testing.T) {
	const n = 1024
	ctx := testCtx(t)
	cfg := chord.DefaultConfig() // m = 160, r = 4
	ring := buildIdeal(t, 1024, cfg, n, true)
	// Recompute the fingers of a sample of nodes through the protocol
	// (every node with -chord.big): they must come out ideal.
	rng := rand.New(rand.NewSource(1))
	fix := rng.Perm(n)[:128]
	if *big {
		fix = rng.Perm(n)
	}
	for _, i := range fix {
		node := ring.nodes[i]
		node.SetStateForTest(node.Predecessor(), node.Successors(), make([]chord.NodeRef, cfg.Bits))
		if err := node.FixAllFingers(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if v := ring.ideal(true); len(v) > 0 {
		t.Fatalf("fingers after FixAllFingers are not ideal: %d violations, first %v", len(v), v[0])
	}
	const lookups = 2000
	hops, timeouts := make([]int, lookups), make([]int, lookups)
	for i := range hops {
		var key chord.ID
		rng.Read(key[:])
		from := ring.nodes[rng.Intn(n)]
		res, err := from.Lookup(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if want := ring.trueOwner(key); res.Owner != want {
			t.Fatalf("lookup %s from %s: owner %s, want %s", key.Short(160), from.Self().Addr, res.Owner.Addr, want.Addr)
		}
		hops[i], timeouts[i] = res.Hops, res.Timeouts
	}
	st := summarise(hops, timeouts)
	log2n := math.Log2(n)
	want := 0.5*log2n - 0.5*math.Log2(float64(cfg.SuccessorListLen)) + 1
	t.Logf("N=%d r=%d: mean hops %.2f (paper %.2f), p99 %.0f, max %d (log2 N = %.0f)", n, cfg.SuccessorListLen, st.mean, want, st.p99, st.max, log2n)
	if math.Abs(st.mean-want) > 0.1*want {
		t.Errorf("mean hops %.2f not within 10%% of %.2f", st.mean, want)
	}
	if st.p99 > log2n {
		t.Errorf("99th percentile %.0f hops > log2 N = %.0f", st.p99, log2n)
	}
	if st.meanTimeouts != 0 {
		t.Errorf("timeouts on a healthy ring: %.2f per lookup", st.meanTimeouts)
	}
}
