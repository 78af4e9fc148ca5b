package dht

import (
	"context"

	"fmt"
	"github.com/chordtui/chordtui/chord"
	"testing"
)

// TestCrashAdjacentWindows crashes every window of r-1 ring-adjacent nodes
// at once (a fresh ring each time). Reads and writes right after the crash
// (before any maintenance: the surviving holders stand in), reads once
// chord has repaired the
// successor lists but before any dht repair (the surviving replicas
// answer, fingers still stale), and after the
// ring and the copies are repaired, all return the acknowledged values, and
// every key is back at exactly r copies on the right nodes.
func TestCrashAdjacentWindows(t *testing.T) {
	const nodes, keys = 16, 1000
	for start := 0; start < nodes; start++ {
		t.Run(fmt.Sprintf("window at %d", start), func(t *testing.T) {
			r := newTestRing(t, nodes, int64(100+start), nil)
			vers, vals := setKeys(t, r, keys, "c")
			ring := r.ringOrder()
			var crashed []string
			for k := 0; k < r.cfg.Replicas-1; k++ {
				n := ring[(start+k)%len(ring)]
				r.crash(n)
				crashed = append(crashed, n.addr)
			}
			t.Logf("crashed %v", crashed)
			checkGets(t, r, vals) // no round of any kind yet: fallback reads
			// Writes right after the crash, before any round: the first
			// live node after a dead owner takes them.
			ctx := context.Background()
			for i := 0; i < 100; i++ {
				k := fmt.Sprintf("c-%d", i)
				v := fmt.Sprintf("after crash %d", i)
				res, err := r.any().store.Set(ctx, k, []byte(v))
				if err != nil {
					t.Fatalf("set %s right after the crash: %v", k, err)
				}
				vers[k], vals[k] = versionOf(res), v
			}
			checkGets(t, r, vals)
			stabilizeOnly(t, r)
			checkGets(t, r, vals) // no dht repair yet: the replicas answer
			r.quiesce(vers)
			checkGets(t, r, vals)
		})
	}
}

// stabilizeOnly runs stabilize and check_predecessor rounds (no fingers,
// no dht repair) until successor lists and predecessors are ideal.
func stabilizeOnly(t *testing.T, r *testRing) {
	t.Helper()
	for round := 0; round < 20; round++ {
		var sts []chord.Status
		for _, n := range r.live() {
			_ = n.node.CheckPredecessor(context.Background())
			_ = n.node.Stabilize(context.Background())
		}
		for _, n := range r.live() {
			sts = append(sts, n.node.Status())
		}
		if len(chord.CheckIdeal(sts, false)) == 0 {
			return
		}
	}
	t.Fatal("successor lists not repaired after 20 stabilize rounds")
}
