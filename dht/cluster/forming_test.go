package cluster

import (
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// A ring above 64 nodes forms with the drivers running only stabilize,
// and Start running the rest (stabilize nudges, the key handoffs, the
// wrong fingers fixed after each wave): Start returns with the ideal
// ring, every finger right, and the ring is then confirmed stable by the
// drivers' own rounds.
func TestLargeRingFormsByStartsRounds(t *testing.T) {
	n := fixAllFingersAbove + 32
	c := startCluster(t, memConfig(n))
	c.mu.RLock()
	var sts []chord.Status
	for _, m := range c.members {
		if m.node != nil {
			sts = append(sts, m.node.Status())
		}
	}
	c.mu.RUnlock()
	if len(sts) != n {
		t.Fatalf("%d of %d nodes up after Start", len(sts), n)
	}
	if vs := chord.CheckIdeal(sts, true); len(vs) > 0 {
		t.Fatalf("Start returned before the ring was ideal: %d violations, e.g. %v", len(vs), vs[0])
	}
	wait(t, c)
	if c.forming.Load() {
		t.Error("the drivers still wait after Start")
	}
}
