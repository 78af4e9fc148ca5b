package dht

import (
	"context"
	"fmt"
	"testing"
)

// TestGetDirect: once a get through a node has reached a key's owner, a
// GetDirect of that key (or another key in the owner's range) through the
// same node makes no lookup, costs fewer calls than a Get and reads the
// same value; after the owner crashes it still reads the newest value
// written (it forgets the owner and looks up).
func TestGetDirect(t *testing.T) {
	r := newTestRing(t, 8, 3, nil)
	ctx := context.Background()
	via := r.live()[0]
	lookups := func() uint64 { return via.node.Status().Lookups }
	var key string
	var perGet uint64
	for i := 0; i < 200 && perGet == 0; i++ {
		// A key the reading node neither owns nor holds, whose lookup
		// takes a hop.
		key = fmt.Sprintf("d-%d", i)
		if h := r.expectedHolders(HashIDForTest(key)); h[0] == via.addr || r.isReplicaOf(via, key) {
			continue
		}
		if _, err := via.store.Set(ctx, key, []byte("v1")); err != nil {
			t.Fatal(err)
		}
		c0, l0 := r.nw.Calls(), lookups()
		g, err := via.store.Get(ctx, key)
		if err != nil || string(g.Value) != "v1" {
			t.Fatalf("get = %q, %v", g.Value, err)
		}
		if lookups() != l0+1 {
			t.Fatalf("Get made %d lookups, want 1", lookups()-l0)
		}
		if g.Lookup.Hops > 0 {
			perGet = r.nw.Calls() - c0
		}
	}
	if perGet == 0 {
		t.Fatal("no key found whose lookup takes a hop")
	}
	c1, l1 := r.nw.Calls(), lookups()
	for i := 0; i < 10; i++ {
		g, err := via.store.GetDirect(ctx, key)
		if err != nil || string(g.Value) != "v1" {
			t.Fatalf("GetDirect = %q, %v", g.Value, err)
		}
		if len(g.Lookup.Path) != 0 || g.Owner.Addr != r.expectedHolders(HashIDForTest(key))[0] {
			t.Fatalf("GetDirect went through %v to %s, want straight to the owner", g.Lookup.Path, g.Owner.Addr)
		}
	}
	if n := lookups() - l1; n != 0 {
		t.Errorf("GetDirect made %d lookups after a get had reached the owner, want 0", n)
	}
	if per := float64(r.nw.Calls()-c1) / 10; per >= float64(perGet) {
		t.Errorf("GetDirect costs %.1f calls, a Get %d: want fewer", per, perGet)
	}

	// The remembered owner crashes: the next GetDirect reads the newest
	// value all the same.
	r.crashAddr(r.expectedHolders(HashIDForTest(key))[0])
	for _, n := range r.live() {
		if n.addr == r.expectedHolders(HashIDForTest(key))[0] {
			n.up = false
		}
	}
	if _, err := r.live()[1].store.Set(ctx, key, []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if g, err := via.store.GetDirect(ctx, key); err != nil || string(g.Value) != "v2" {
		t.Fatalf("GetDirect after the owner crashed = %q, %v; want v2", g.Value, err)
	}
}
