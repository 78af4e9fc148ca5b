package dht

import (
	"context"
	"testing"
	"time"
)

// TestCacheStandInFence is the stale read a fence closes (fence.go): the
// owner is alive, but the writer's calls to it fail, so its successor
// writes in its place; during the stand-in's one-lease wait the owner,
// which knows nothing of the write, grants a reader a lease on the old
// value. Once the write has returned, the reader's next get must not
// serve that old value from its cache.
func TestCacheStandInFence(t *testing.T) {
	ctx := context.Background()
	lease := 400 * time.Millisecond
	r := cacheRing(t, lease)
	const key = "hot"
	nodes, owner, at := writeOld(t, r, key)
	standIn := nodes[(at+1)%len(nodes)]
	writer := nodes[(at+3)%len(nodes)]
	reader := nodes[(at+4)%len(nodes)]
	r.nw.Cut(writer.addr, owner.addr) // the owner is alive, out of the writer's reach only

	type outcome struct {
		res PutResult
		err error
	}
	done := make(chan outcome, 1)
	go func() { // exits when the write returns
		res, err := writer.store.Set(ctx, key, []byte("new"))
		done <- outcome{res, err}
	}()
	readDuringWait(t, standIn, reader, owner, key, lease)
	w := <-done
	if w.err != nil {
		t.Fatalf("set via %s: %v", writer.addr, w.err)
	}
	if w.res.Owner.Addr != standIn.addr {
		t.Fatalf("the write was taken by %s, want the stand-in %s", w.res.Owner.Addr, standIn.addr)
	}
	if g := get(t, reader, key); string(g.Value) != "new" {
		t.Fatalf("after the stand-in's write returned, the reader read %q (cached %v)", g.Value, g.Cached)
	}
}

// writingKey reports whether a write of key is under way at this node.
func (c *readCache) writingKey(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writing[key] > 0
}

// TestCachePredChangeFence is rule 4's other case (fence.go): a node whose
// predecessor changed writes as the owner after one lease, but the node it
// took the key over from may be alive and still take itself for the
// owner. Here the owner's successor loses its calls to the owner, clears
// its predecessor and so owns the key too; during its wait the owner,
// which knows nothing of the write, grants a reader a lease on the old
// value. Once the write has returned, the reader's next get must not
// serve that old value from its cache.
func TestCachePredChangeFence(t *testing.T) {
	ctx := context.Background()
	lease := 400 * time.Millisecond
	r := cacheRing(t, lease)
	const key = "hot"
	nodes, owner, at := writeOld(t, r, key)
	next := nodes[(at+1)%len(nodes)]
	reader := nodes[(at+3)%len(nodes)]
	r.nw.Cut(next.addr, owner.addr) // the owner is alive, out of its successor's reach only
	if err := next.node.CheckPredecessor(ctx); err != nil {
		t.Fatal(err)
	}
	if p := next.node.Predecessor(); !p.IsZero() {
		t.Fatalf("%s kept its predecessor %s after losing its calls to it", next.addr, p.Addr)
	}
	if ok, _ := next.store.owns(next.store.KeyID(key)); !ok {
		t.Fatalf("%s does not take itself for the owner of %q without a predecessor", next.addr, key)
	}

	done := make(chan setResp, 1)
	go func() { // exits when the write returns
		// A write that reaches it as the owner (its writer's lookup named it).
		m, _, _ := next.store.ownerWriteIf(ctx, setReq{Key: key, Value: []byte("new")}, nil)
		done <- m
	}()
	readDuringWait(t, next, reader, owner, key, lease)
	if w := <-done; w.Head.Status != statusOK {
		t.Fatalf("write at %s: %s", next.addr, w.Head.Msg)
	}
	if g := get(t, reader, key); string(g.Value) != "new" {
		t.Fatalf("after the new owner's write returned, the reader read %q (cached %v)", g.Value, g.Cached)
	}
}

// writeOld writes "old" to key and returns the ring in order, the key's
// owner and its index in it.
func writeOld(t *testing.T, r *testRing, key string) (nodes []*testNode, owner *testNode, at int) {
	t.Helper()
	nodes = r.ringOrder()
	if _, err := nodes[0].store.Set(context.Background(), key, []byte("old")); err != nil {
		t.Fatal(err)
	}
	owner = r.byAddr(get(t, nodes[0], key).Owner.Addr)
	for i, n := range nodes {
		if n == owner {
			at = i
		}
	}
	return nodes, owner, at
}

// readDuringWait waits until writer has begun its write of key, then, in
// the middle of its one-lease wait, reads key through reader: the owner,
// which knows nothing of the write, must answer "old" and grant a lease.
func readDuringWait(t *testing.T, writer, reader, owner *testNode, key string, lease time.Duration) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !writer.store.cache.writingKey(key) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never began the write", writer.addr)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(lease / 2) // places the read inside the wait, which lasts a lease
	g := get(t, reader, key)
	if string(g.Value) != "old" || g.Owner.Addr != owner.addr || g.Cached {
		t.Fatalf("the reader's get during the write: %q from %s (cached %v), want %q from the owner %s", g.Value, g.Owner.Addr, g.Cached, "old", owner.addr)
	}
}
