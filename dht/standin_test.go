package dht

import (
	"context"
	"errors"
	"testing"
)

// TestNoStandInBeyondTheHolders: a node whose calls to a key's owner and
// its replica are lost (r = 2), both alive, takes them for dead. The node
// after them holds no copy of the key, so it must not stand in: a get
// through the cut-off node either fails or returns the value, never "not
// found", and a set through it either fails or is read back once the cut
// heals.
func TestNoStandInBeyondTheHolders(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cut  int // how many holders the client cannot reach
	}{
		{"owner and replica cut off", 2},
		{"owner cut off", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRingCfg(t, 7, 11, func(c *Config) { c.Replicas = 2 })
			const key = "k"
			if _, err := r.any().store.Set(ctx, key, []byte("v1")); err != nil {
				t.Fatal(err)
			}
			holders := r.expectedHolders(HashIDForTest(key))
			nodes := r.ringOrder()
			at := 0
			for i, n := range nodes {
				if n.addr == holders[0] {
					at = i
				}
			}
			client := nodes[(at+4)%len(nodes)] // neither a holder nor next to them
			for _, h := range holders[:tc.cut] {
				r.nw.Cut(client.addr, h)
			}

			g, err := client.store.Get(ctx, key)
			switch {
			case err == nil && (!g.Found || string(g.Value) != "v1"):
				t.Fatalf("get via %s, cut off from %v: found %v %q from %s (stand-in %v), want v1 or an error",
					client.addr, holders[:tc.cut], g.Found, g.Value, g.Owner.Addr, g.Fallback)
			case err != nil && tc.cut == 1:
				t.Fatalf("get via %s, cut off from the owner only: %v (the replica stands in)", client.addr, err)
			case err != nil && !errors.Is(err, ErrUnavailable):
				t.Fatalf("get via %s: %v, want %v", client.addr, err, ErrUnavailable)
			}

			p, err := client.store.Set(ctx, key, []byte("v2"))
			if err == nil && tc.cut == 2 {
				t.Logf("set via %s taken by %s", client.addr, p.Owner.Addr)
			}
			if err != nil && tc.cut == 1 {
				t.Fatalf("set via %s, cut off from the owner only: %v (the replica stands in)", client.addr, err)
			}
			if err != nil && !errors.Is(err, ErrUnavailable) {
				t.Fatalf("set via %s: %v, want %v", client.addr, err, ErrUnavailable)
			}
			r.nw.Heal()
			want := "v1"
			if err == nil {
				want = "v2" // acknowledged: every later read sees it
			}
			for _, n := range r.ringOrder() {
				if g := get(t, n, key); !g.Found || string(g.Value) != want {
					t.Fatalf("after the cut healed, get via %s: found %v %q, want %q", n.addr, g.Found, g.Value, want)
				}
			}
		})
	}
}
