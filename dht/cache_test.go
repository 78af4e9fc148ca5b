package dht

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// cacheRing is a 5-node ring whose stores cache with a short lease, on
// the real clock: a lease runs out in real time.
func cacheRing(t *testing.T, lease time.Duration) *testRing {
	t.Helper()
	return newTestRingCfg(t, 5, 7, func(c *Config) {
		c.Clock = time.Now
		c.Cache = CacheConfig{On: true, Lease: lease}
	})
}

// TestCacheFreshness is the cache's freshness rule: once a write has
// returned, no node serves the value it replaced from its cache, whether
// the write went through the caching node, the owner or another node.
func TestCacheFreshness(t *testing.T) {
	ctx := context.Background()
	r := cacheRing(t, 300*time.Millisecond)
	nodes := r.ringOrder()
	const key = "hot"
	hits := 0
	for i := range 12 {
		want := fmt.Sprintf("v%d", i)
		w := nodes[i%len(nodes)]
		if _, err := w.store.Set(ctx, key, []byte(want)); err != nil {
			t.Fatalf("set %s via %s: %v", want, w.addr, err)
		}
		for round := range 2 { // the second get of each node may come from its cache
			for _, n := range nodes {
				g, err := n.store.Get(ctx, key)
				if err != nil {
					t.Fatalf("get via %s: %v", n.addr, err)
				}
				if string(g.Value) != want {
					t.Fatalf("after set %s returned, get via %s (round %d, cached %v) read %q", want, n.addr, round, g.Cached, g.Value)
				}
				if g.Cached {
					hits++
				}
			}
		}
	}
	if hits == 0 {
		t.Fatal("no get was answered from a cache: the rule was not exercised")
	}
	// Deleting revokes the same way.
	if _, err := nodes[0].store.Del(ctx, key); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if g, err := n.store.Get(ctx, key); err != nil || g.Found {
			t.Fatalf("after del, get via %s: %+v, %v", n.addr, g, err)
		}
	}
}

// TestCacheUnreachableHolder: a holder the owner cannot tell to drop its
// copy is waited out: the write returns only after its lease ended, so
// the holder's next get reads the new value.
func TestCacheUnreachableHolder(t *testing.T) {
	ctx := context.Background()
	lease := 300 * time.Millisecond
	r := cacheRing(t, lease)
	nodes := r.ringOrder()
	const key = "hot"
	if _, err := nodes[0].store.Set(ctx, key, []byte("old")); err != nil {
		t.Fatal(err)
	}
	owner := r.byAddr(get(t, nodes[0], key).Owner.Addr)
	var holder *testNode
	for _, n := range nodes {
		if n != owner && !r.isReplicaOf(n, key) {
			holder = n
		}
	}
	if holder == nil {
		t.Skip("every node holds the key")
	}
	for range 2 {
		get(t, holder, key)
	}
	if g := get(t, holder, key); !g.Cached {
		t.Fatalf("the holder's third get was not cached: %+v", g)
	}
	r.nw.Pause(holder.addr)
	if _, err := owner.store.Set(ctx, key, []byte("new")); err != nil {
		t.Fatal(err)
	}
	r.nw.Resume(holder.addr)
	if g := get(t, holder, key); string(g.Value) != "new" {
		t.Fatalf("after the write returned, the cut-off holder read %q (cached %v)", g.Value, g.Cached)
	}
}

// TestCacheOff: with the cache off nothing is cached, and turning it off
// drops what was.
func TestCacheOff(t *testing.T) {
	ctx := context.Background()
	r := cacheRing(t, time.Second)
	n := r.ringOrder()[1]
	if _, err := n.store.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	get(t, n, "k")
	if g := get(t, n, "k"); !g.Cached {
		t.Fatalf("cache on: second get not cached: %+v", g)
	}
	n.store.SetCache(false)
	for range 3 {
		if g := get(t, n, "k"); g.Cached {
			t.Fatalf("cache off: get answered from the cache")
		}
	}
}

// get reads key through n and fails the test on an error.
func get(t *testing.T, n *testNode, key string) GetResult {
	t.Helper()
	g, err := n.store.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s via %s: %v", key, n.addr, err)
	}
	return g
}

// isReplicaOf reports whether n stores a copy of key.
func (r *testRing) isReplicaOf(n *testNode, key string) bool {
	for _, k := range n.store.Keys() {
		if k.Key == key {
			return true
		}
	}
	return false
}
