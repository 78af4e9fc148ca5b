package dht

import (
	"context"
	"testing"
)

// TestProxyServesOnlyAfterItsFloor: a node that has just joined, has no
// predecessor yet and has not taken over its keys answers as a proxy only
// for the keys after the node before it. Asked for a key owned by a node
// several places before it (a lookup can name it through a successor
// pointer that skips nodes joined just before it), it redirects, instead
// of reading the nodes after it, which hold none of that key's copies,
// and answering "not found".
func TestProxyServesOnlyAfterItsFloor(t *testing.T) {
	ctx := context.Background()
	r := newTestRing(t, 8, 3, nil)
	const key = "far-key"
	if _, err := r.any().store.Set(ctx, key, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	order := r.ringOrder()
	id := order[0].store.KeyID(key)
	o := 0 // the key's owner
	for i, n := range order {
		if n.node.Self().ID.Cmp(id) >= 0 {
			o = i
			break
		}
	}
	// The new node comes right after the fourth node from the owner: the
	// owner and its next two hold the copies (r = 3).
	after := order[(o+3)%len(order)].node.Self().ID
	r.ccfg.ID, r.ccfg.HasID = after.AddPow2(r.ccfg.Bits, 0), true
	j := r.add()
	r.ccfg.HasID = false
	if j.store.Ready() || !j.node.Predecessor().IsZero() {
		t.Fatalf("the new node is ready %v, predecessor %s: want a joiner with neither", j.store.Ready(), j.node.Predecessor().Addr)
	}

	got := j.store.ownerRead(ctx, getReq{Key: key}, nil)
	if got.Head.Status != statusNotOwner {
		t.Fatalf("the joiner answered a get of a key three nodes before it: status %v, found %v; want a redirect", got.Head.Status, got.Found)
	}
	if hint := got.Head.Hint; hint.Addr != order[(o+3)%len(order)].addr {
		t.Errorf("it redirected to %s, want the node before it, %s", hint.Addr, order[(o+3)%len(order)].addr)
	}
	res, err := j.store.Get(ctx, key)
	if err != nil || string(res.Value) != "v1" {
		t.Fatalf("get through the joiner: %q, %v; want v1", res.Value, err)
	}
}
