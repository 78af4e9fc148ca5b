package dht

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// hopCached asks hop's cache for key as a lookup step would, and returns
// the answer it gives (false: it routes the step on).
func hopCached(t *testing.T, hop *testNode, key string) (GetResult, bool) {
	t.Helper()
	id := hop.store.KeyID(key)
	b := hop.store.AnswerStep(id, encodeProbe(key, ""))
	if b == nil {
		return GetResult{}, false
	}
	res, ok := hop.store.hopAnswer(key, chord.LookupResult{Answer: b, AnsweredBy: hop.node.Self()})
	if !ok {
		t.Fatalf("hop %s gave an undecodable answer", hop.addr)
	}
	return res, true
}

// waitHopCached shows key to hop as lookup steps do until hop answers it
// from its cache (it fetches a key it sees twice within a lease).
func waitHopCached(t *testing.T, hop *testNode, key string) GetResult {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if res, ok := hopCached(t, hop, key); ok {
			return res
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("hop %s never cached %q", hop.addr, key)
	return GetResult{}
}

// TestHopCacheFreshness is the freshness rule at a hop: a hop of the
// lookup answers a get from its cache while its lease lasts, the get says
// so (Cached, CachedBy, the path's last row marked), and once a write has
// returned no hop serves the value it replaced: the owner revoked the
// hop's lease, or, when the hop could not be reached, waited it out.
func TestHopCacheFreshness(t *testing.T) {
	ctx := context.Background()
	lease := 300 * time.Millisecond
	r := cachedRing(t, lease)
	nodes := r.ringOrder()
	const key = "hot"
	if _, err := nodes[0].store.Set(ctx, key, []byte("v0")); err != nil {
		t.Fatal(err)
	}
	origin, hop := originAndHop(t, r, key)
	if c := waitHopCached(t, hop, key); string(c.Value) != "v0" {
		t.Fatalf("hop cached %q, want v0", c.Value)
	}
	g := get(t, origin, key)
	if !g.Cached || g.CachedBy.Addr != hop.addr || string(g.Value) != "v0" {
		t.Fatalf("get via %s: want v0 from hop %s's cache, got %q cached %v by %s", origin.addr, hop.addr, g.Value, g.Cached, g.CachedBy.Addr)
	}
	if p := g.Lookup.Path; len(p) == 0 || !p[len(p)-1].Cached || p[len(p)-1].Node.Addr != hop.addr {
		t.Fatalf("the path does not end with the hop marked cached: %+v", p)
	}

	// A write revokes the hop's lease before it returns.
	writer := nodes[3]
	if writer == hop {
		writer = nodes[4]
	}
	if _, err := writer.store.Set(ctx, key, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if c, ok := hopCached(t, hop, key); ok && string(c.Value) != "v1" {
		t.Fatalf("after set v1 returned, hop %s still answers %q", hop.addr, c.Value)
	}
	if g := get(t, origin, key); string(g.Value) != "v1" {
		t.Fatalf("after set v1 returned, get via %s read %q (cached %v by %s)", origin.addr, g.Value, g.Cached, g.CachedBy.Addr)
	}

	// A hop the owner cannot reach is waited out.
	if c := waitHopCached(t, hop, key); string(c.Value) != "v1" {
		t.Fatalf("hop cached %q, want v1", c.Value)
	}
	r.nw.Pause(hop.addr)
	start := time.Now()
	if _, err := writer.store.Set(ctx, key, []byte("v2")); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	r.nw.Resume(hop.addr)
	if c, ok := hopCached(t, hop, key); ok && string(c.Value) != "v2" {
		t.Fatalf("after set v2 returned (in %v), the cut-off hop %s answers %q", took, hop.addr, c.Value)
	}
}

// TestHopSubLease: a hop that fetched a key from another hop's copy holds
// it under a sub-lease that ends no later than that copy's lease, and a
// write reaches it through that hop: once the write has returned, neither
// serves the replaced value, also when the hop that fetched it cannot be
// reached (it is waited out).
func TestHopSubLease(t *testing.T) {
	ctx := context.Background()
	lease := 300 * time.Millisecond
	r := newTestRingCfg(t, 8, 11, func(c *Config) {
		c.Clock = time.Now
		c.Cache = CacheConfig{On: true, Lease: lease}
	})
	nodes := r.ringOrder()
	const key = "hot"
	writer := nodes[0]
	for round, paused := range []bool{false, true} {
		old := fmt.Sprintf("old%d", round)
		if _, err := writer.store.Set(ctx, key, []byte(old)); err != nil {
			t.Fatal(err)
		}
		h1, h2 := nodes[3], nodes[5]
		if c := waitHopCached(t, h1, key); string(c.Value) != old {
			t.Fatalf("hop %s cached %q, want %s", h1.addr, c.Value, old)
		}
		// h2 fetches from h1 as fetchForHop does when h1 answers its lookup.
		start := time.Now()
		_, inval := h2.store.cache.begin()
		b := h1.store.AnswerStep(h1.store.KeyID(key), encodeProbe(key, h2.addr))
		res, ok := h2.store.hopAnswer(key, chord.LookupResult{Answer: b, AnsweredBy: h1.node.Self()})
		if !ok || res.lease <= 0 || res.lease > lease {
			t.Fatalf("h1 granted no sub-lease: ok %v, lease %v", ok, res.lease)
		}
		h2.store.cache.keep(key, res, start, res.lease, inval)
		if c, ok := hopCached(t, h2, key); !ok || string(c.Value) != old {
			t.Fatalf("h2 does not serve its sub-leased copy: %v %q", ok, c.Value)
		}
		if paused {
			r.nw.Pause(h2.addr)
		}
		neu := fmt.Sprintf("new%d", round)
		if _, err := writer.store.Set(ctx, key, []byte(neu)); err != nil {
			t.Fatal(err)
		}
		r.nw.Resume(h2.addr)
		for _, h := range []*testNode{h1, h2} {
			if c, ok := hopCached(t, h, key); ok && string(c.Value) != neu {
				t.Fatalf("after set %s returned (h2 paused: %v), %s still answers %q", neu, paused, h.addr, c.Value)
			}
		}
	}
}

// TestOriginSubLease: an origin whose get a hop answered keeps the answer
// under a sub-lease from that hop, so its next get needs no lookup; a
// write revokes it through the hop before it returns, and an origin the
// hop cannot reach is waited out.
func TestOriginSubLease(t *testing.T) {
	ctx := context.Background()
	lease := 300 * time.Millisecond
	r := cachedRing(t, lease)
	nodes := r.ringOrder()
	const key = "hot"
	origin, hop := originAndHop(t, r, key)
	writer := nodes[3]
	if writer == hop || writer == origin {
		writer = nodes[4]
	}
	for i, cutOff := range []bool{false, true} {
		old, want := fmt.Sprintf("v%d", 2*i), fmt.Sprintf("v%d", 2*i+1)
		if _, err := writer.store.Set(ctx, key, []byte(old)); err != nil {
			t.Fatal(err)
		}
		waitHopCached(t, hop, key)
		if g := get(t, origin, key); !g.Cached || g.CachedBy.Addr != hop.addr {
			t.Fatalf("get via %s was not answered at hop %s: cached %v by %s", origin.addr, hop.addr, g.Cached, g.CachedBy.Addr)
		}
		if g := get(t, origin, key); !g.Cached || g.CachedBy.Addr != origin.addr || len(g.Lookup.Path) != 0 || string(g.Value) != old {
			t.Fatalf("the origin's next get was not answered from its own copy: %q cached %v by %s, %d steps", g.Value, g.Cached, g.CachedBy.Addr, len(g.Lookup.Path))
		}
		if cutOff {
			r.nw.Pause(origin.addr)
		}
		if _, err := writer.store.Set(ctx, key, []byte(want)); err != nil {
			t.Fatal(err)
		}
		r.nw.Resume(origin.addr)
		if g := get(t, origin, key); string(g.Value) != want {
			t.Fatalf("after set %s returned (origin cut off: %v), get via %s read %q (cached %v by %s)", want, cutOff, origin.addr, g.Value, g.Cached, g.CachedBy.Addr)
		}
	}
}

// originAndHop returns a node whose lookup of key asks another node than
// the owner first, and that node.
func originAndHop(t *testing.T, r *testRing, key string) (origin, hop *testNode) {
	t.Helper()
	for _, n := range r.ringOrder() {
		lr, err := n.node.Lookup(context.Background(), n.store.KeyID(key))
		if err == nil && len(lr.Path) > 0 && !lr.Path[0].Ping && lr.Path[0].Node.Addr != lr.Owner.Addr {
			return n, r.byAddr(lr.Path[0].Node.Addr)
		}
	}
	t.Fatal("no lookup of the key takes a step: the ring is too small")
	return nil, nil
}

// cachedRing is a 12-node ring with the cache on everywhere, under leases
// of lease on the wall clock.
func cachedRing(t *testing.T, lease time.Duration) *testRing {
	t.Helper()
	return newTestRingCfg(t, 12, 9, func(c *Config) {
		c.Clock = time.Now
		c.Cache = CacheConfig{On: true, Lease: lease}
	})
}
