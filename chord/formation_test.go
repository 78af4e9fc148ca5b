package chord_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

func TestSmokeFormation(t *testing.T) {
	ctx := testCtx(t)
	cfg := chord.DefaultConfig()
	cfg.Bits = 16
	r := newMemRing(t, 1, cfg)
	rng := rand.New(rand.NewSource(1))
	ids := distinctIDs(rng, cfg.Bits, 16)
	for i, id := range ids {
		n := r.add(fmt.Sprintf("n%d", i), id)
		if i == 0 {
			n.Create()
			continue
		}
		if err := n.Join(ctx, "n0"); err != nil {
			t.Fatal(err)
		}
	}
	for round := 1; round < 100; round++ {
		r.round(ctx, rng)
		if len(r.ideal(true)) == 0 {
			t.Logf("ideal after %d rounds", round)
			break
		}
	}
	if v := r.ideal(true); len(v) > 0 {
		t.Fatal(v)
	}
	for i := 0; i < 200; i++ {
		var key chord.ID
		rng.Read(key[:])
		key = key.Mask(cfg.Bits)
		from := r.nodes[rng.Intn(len(r.nodes))]
		res, err := from.Lookup(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if want := r.trueOwner(key); res.Owner != want {
			t.Fatalf("lookup %x: got %v want %v path %+v", key, res.Owner, want, res.Path)
		}
	}
}
