package dht

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// groupRing is cacheRing with every store in one CacheGroup, as the
// identities of one real node are.
func groupRing(t *testing.T, lease time.Duration) *testRing {
	t.Helper()
	g := NewCacheGroup()
	return newTestRingCfg(t, 5, 7, func(c *Config) {
		c.Clock = time.Now
		c.Cache = CacheConfig{On: true, Lease: lease}
		c.CacheGroup = g
	})
}

// TestCacheGroupSibling: a get through one store is answered from the copy
// a sibling cached (no lookup), and once a write has returned no sibling
// serves the value it replaced, whichever node it went through.
func TestCacheGroupSibling(t *testing.T) {
	ctx := context.Background()
	r := groupRing(t, 300*time.Millisecond)
	nodes := r.ringOrder()
	const key = "hot"
	fromSibling := 0
	for i := range 10 {
		want := fmt.Sprintf("v%d", i)
		if _, err := nodes[i%len(nodes)].store.Set(ctx, key, []byte(want)); err != nil {
			t.Fatalf("set %s: %v", want, err)
		}
		for _, n := range nodes {
			g := get(t, n, key)
			if string(g.Value) != want {
				t.Fatalf("after set %s returned, get via %s (cached %v by %s) read %q", want, n.addr, g.Cached, g.CachedBy.Addr, g.Value)
			}
			if g.Cached && g.CachedBy != n.store.self && len(g.Lookup.Path) == 0 {
				fromSibling++
			}
		}
	}
	// Every round, the first get caches the key and the others read it
	// from that copy.
	if fromSibling < 10*(len(nodes)-2) {
		t.Fatalf("%d gets were answered from a sibling's copy, want at least %d", fromSibling, 10*(len(nodes)-2))
	}
}

// TestCacheGroupUnreachableSibling: a write waits out the lease of a
// caching node it cannot reach, so a sibling that reads that node's copy
// in its own process never sees the replaced value once the write returned.
func TestCacheGroupUnreachableSibling(t *testing.T) {
	ctx := context.Background()
	r := groupRing(t, 300*time.Millisecond)
	nodes := r.ringOrder()
	const key = "hot"
	if _, err := nodes[0].store.Set(ctx, key, []byte("old")); err != nil {
		t.Fatal(err)
	}
	owner := r.byAddr(get(t, nodes[0], key).Owner.Addr)
	var holder, reader *testNode
	for _, n := range nodes {
		switch {
		case n == owner || r.isReplicaOf(n, key):
		case holder == nil:
			holder = n
		case reader == nil:
			reader = n
		}
	}
	if reader == nil {
		t.Skip("too few nodes hold no copy")
	}
	for _, n := range nodes { // nothing cached but the holder's copy
		n.store.SetCache(false)
		n.store.SetCache(true)
	}
	if g := get(t, holder, key); g.Cached {
		t.Fatalf("the holder's first get was cached: %+v", g)
	}
	if g := get(t, reader, key); !g.Cached || g.CachedBy != holder.store.self {
		t.Fatalf("the reader's get was not answered from the holder's copy: cached %v by %s", g.Cached, g.CachedBy.Addr)
	}
	r.nw.Pause(holder.addr)
	began := time.Now()
	if _, err := owner.store.Set(ctx, key, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if g := get(t, reader, key); string(g.Value) != "new" {
		t.Fatalf("after the write returned (%v), the reader read %q from the cut-off holder's copy", time.Since(began), g.Value)
	}
	r.nw.Resume(holder.addr)
}
