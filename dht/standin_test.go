package dht

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
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
			r.clock.Advance(r.any().store.handoffTTL() + time.Second) // the joins' handoffs forward no more writes
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

// ringAround returns the ring in order and the index of key's owner in it.
func ringAround(r *testRing, key string) ([]*testNode, int) {
	nodes := r.ringOrder()
	owner := r.expectedHolders(HashIDForTest(key))[0]
	for i, n := range nodes {
		if n.addr == owner {
			return nodes, i
		}
	}
	return nodes, 0
}

// TestStandInWithVirtualNodes: with Config.Host a key's holders are the
// owner and the next nodes on other real nodes. A client cut off from the
// owner's real node (the owner O and Y, the node after it, on one host)
// is answered by X, the next node, on another host, which holds the key's
// second copy: Y is no holder, so X stands in.
func TestStandInWithVirtualNodes(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	hostOf := map[string]string{}
	r := newTestRingCfg(t, 7, 11, func(c *Config) {
		c.Replicas = 2
		c.Host = func(addr string) string {
			mu.Lock()
			defer mu.Unlock()
			if h, ok := hostOf[addr]; ok {
				return h
			}
			return addr
		}
	})
	const key = "k"
	nodes, at := ringAround(r, key)
	o, y, x := nodes[at], nodes[(at+1)%len(nodes)], nodes[(at+2)%len(nodes)]
	mu.Lock()
	hostOf[y.addr] = o.addr // Y runs on O's real node
	mu.Unlock()
	if _, err := r.any().store.Set(ctx, key, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if rec, ok := x.store.tab.get(key); !ok || string(rec.Value) != "v1" {
		t.Fatalf("X (%s) holds no copy, want the second real node's", x.addr)
	}
	client := nodes[(at+4)%len(nodes)]
	r.nw.Cut(client.addr, o.addr)
	r.nw.Cut(client.addr, y.addr)
	g, err := client.store.Get(ctx, key)
	if err != nil || !g.Found || string(g.Value) != "v1" {
		t.Fatalf("get via %s, cut off from real node {%s %s}: %+v, %v; want v1 from %s, the other holder",
			client.addr, o.addr, y.addr, g, err, x.addr)
	}
	if _, err := client.store.Set(ctx, key, []byte("v2")); err != nil {
		t.Fatalf("set via %s, cut off from real node {%s %s}: %v", client.addr, o.addr, y.addr, err)
	}
}

// TestStandInWhileReplicaLeaves: r = 2, the key's holders are O and L,
// and L is leaving: it takes no writes, so the owner's writes go to O and
// X, the node after L. A client cut off from O writes through X, which
// does not count L as a holder.
func TestStandInWhileReplicaLeaves(t *testing.T) {
	ctx := context.Background()
	r := newTestRingCfg(t, 7, 11, func(c *Config) { c.Replicas = 2 })
	const key = "k"
	if _, err := r.any().store.Set(ctx, key, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	nodes, at := ringAround(r, key)
	o, l, x := nodes[at], nodes[(at+1)%len(nodes)], nodes[(at+2)%len(nodes)]
	l.store.mu.Lock()
	l.store.leaving = true // as during Leave's handoff
	l.store.mu.Unlock()
	if _, err := o.store.Set(ctx, key, []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if rec, _ := x.store.tab.get(key); string(rec.Value) != "v2" {
		t.Fatalf("the owner's write while %s leaves: %s holds %q, want \"v2\"", l.addr, x.addr, rec.Value)
	}
	client := nodes[(at+4)%len(nodes)]
	r.nw.Cut(client.addr, o.addr)
	if _, err := client.store.Set(ctx, key, []byte("v3")); err != nil {
		t.Fatalf("set via %s, cut off from the owner %s while %s leaves: %v", client.addr, o.addr, l.addr, err)
	}
}

// TestNoConditionalStandInBeyondTheHolders: a conditional write through a
// node cut off from both holders of its key fails as unavailable, leaves
// no reservation behind, and succeeds once the cut heals.
func TestNoConditionalStandInBeyondTheHolders(t *testing.T) {
	ctx := context.Background()
	r := newTestRingCfg(t, 7, 11, func(c *Config) { c.Replicas = 2 })
	r.clock.Advance(r.any().store.handoffTTL() + time.Second)
	const key = "k"
	p, err := r.any().store.Set(ctx, key, []byte("v1"))
	if err != nil {
		t.Fatal(err)
	}
	holders := r.expectedHolders(HashIDForTest(key))
	nodes, at := ringAround(r, key)
	client := nodes[(at+4)%len(nodes)]
	for _, h := range holders {
		r.nw.Cut(client.addr, h)
	}
	if _, err := client.store.SetIf(ctx, key, []byte("v2"), p.Version); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrConflict) {
		t.Fatalf("setif via %s, cut off from %v: %v, want %v", client.addr, holders, err, ErrUnavailable)
	}
	for _, n := range r.live() {
		n.store.mu.Lock()
		_, held := n.store.resv[key]
		n.store.mu.Unlock()
		if held {
			t.Errorf("%s still holds a reservation of %q", n.addr, key)
		}
	}
	r.nw.Heal()
	if _, err := client.store.SetIf(ctx, key, []byte("v2"), p.Version); err != nil {
		t.Fatalf("setif after the cut healed: %v", err)
	}
	if g := get(t, r.any(), key); string(g.Value) != "v2" {
		t.Fatalf("after the conditional write, read %q, want \"v2\"", g.Value)
	}
}

// joinAfterHolders writes key on a ring with r = 2 and joins a node
// between the key's replica s1 and the node after it, s2; the joiner has
// not taken over its keys. It returns the owner, s1, s2 and the joiner.
func joinAfterHolders(t *testing.T, key string) (owner, s1, s2, j *testNode) {
	t.Helper()
	r := newTestRingCfg(t, 7, 11, func(c *Config) { c.Replicas = 2 })
	r.clock.Advance(r.any().store.handoffTTL() + time.Second)
	if _, err := r.any().store.Set(context.Background(), key, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	nodes, at := ringAround(r, key)
	owner, s1, s2 = nodes[at], nodes[(at+1)%len(nodes)], nodes[(at+2)%len(nodes)]
	ep, err := r.nw.Endpoint(gapAddrs(t, 1, s1.node.Self().ID, s2.node.Self().ID)[0])
	if err != nil {
		t.Fatal(err)
	}
	if j, err = r.joinOn(ep); err != nil {
		t.Fatal(err)
	}
	if j.store.Ready() {
		t.Fatalf("%s took over its keys at once", j.addr)
	}
	return owner, s1, s2, j
}

// TestNoStandInAtAJoiner: a node that joined after a key's holders and
// has not taken over its keys yet (no predecessor either), asked to stand
// in for the key, refuses: as a proxy it would read the ready nodes after
// it, none of which holds the key.
func TestNoStandInAtAJoiner(t *testing.T) {
	ctx := context.Background()
	const key = "k"
	owner, s1, _, j := joinAfterHolders(t, key)
	if g := j.store.ownerRead(ctx, getReq{Key: key, Force: true}, nil); g.Head.Status != statusNotOwner {
		t.Fatalf("forced get at the joiner %s (after the holders %s, %s): status %d, found %v %q; want not the owner",
			j.addr, owner.addr, s1.addr, g.Head.Status, g.Found, g.Rec.Value)
	}
	if w, _, _ := j.store.ownerWriteIf(ctx, setReq{Key: key, Value: []byte("v2"), Force: true}, nil); w.Head.Status != statusNotOwner {
		t.Fatalf("forced set at the joiner %s: status %d (%s), want not the owner", j.addr, w.Head.Status, w.Head.Msg)
	}
}

// TestNoStandInPastAJoiner: the node after a joiner that has no
// predecessor yet, itself after a key's two holders, walks past the
// joiner (a lookup names the node before it) and refuses to stand in
// for the key.
func TestNoStandInPastAJoiner(t *testing.T) {
	ctx := context.Background()
	const key = "k"
	owner, s1, s2, j := joinAfterHolders(t, key)
	if err := j.node.Stabilize(ctx); err != nil { // the joiner notifies s2; no node has notified it yet
		t.Fatal(err)
	}
	if p := s2.node.Predecessor(); p.Addr != j.addr {
		t.Fatalf("%s's predecessor is %s, want the joiner %s", s2.addr, p.Addr, j.addr)
	}
	if p := j.node.Predecessor(); !p.IsZero() {
		t.Fatalf("the joiner %s has a predecessor already (%s)", j.addr, p.Addr)
	}
	if g := s2.store.ownerRead(ctx, getReq{Key: key, Force: true}, nil); g.Head.Status != statusNotOwner {
		t.Fatalf("forced get at %s, after the joiner %s and the holders %s, %s: status %d, found %v %q; want not the owner",
			s2.addr, j.addr, owner.addr, s1.addr, g.Head.Status, g.Found, g.Rec.Value)
	}
}
