package chord_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// numberingProblems checks LookupResult's one hop numbering against the
// calls the network saw during the lookup: the origin is hop 0 and makes
// every call; Path lists every call, in order; Hops counts the answered
// ones and Timeouts the failed ones; every row was named by the origin or
// by a node that answered before it; an owner taken without a call has no
// row. It returns what is wrong, in words.
func numberingProblems(origin chord.NodeRef, res chord.LookupResult, calls int) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if len(res.Path) != calls {
		bad("path has %d rows, the lookup made %d calls: %+v", len(res.Path), calls, res.Path)
	}
	answered, failed := 0, 0
	namers := []chord.NodeRef{origin} // who may have named a later row
	for i, h := range res.Path {
		if !slices.Contains(namers, h.From) {
			bad("hop %d (%s) named by %s, which is neither the origin nor a node that answered before", i+1, h.Node.Addr, h.From.Addr)
		}
		if h.Node == origin {
			bad("hop %d calls the origin itself", i+1)
		}
		if h.Err != "" {
			failed++
			continue
		}
		answered++
		namers = append(namers, h.Node)
	}
	if res.Hops != answered || res.Timeouts != failed {
		bad("Hops %d, Timeouts %d; the path has %d answered and %d failed calls", res.Hops, res.Timeouts, answered, failed)
	}
	if !slices.Contains(namers, res.OwnerNamedBy) {
		bad("owner named by %s, which is neither the origin nor a node that answered", res.OwnerNamedBy.Addr)
	}
	if res.OwnerReason == "" || res.OwnerVia == "" {
		bad("owner via %q, reason %q: want both", res.OwnerVia, res.OwnerReason)
	}
	last := chord.Hop{}
	if len(res.Path) > 0 {
		last = res.Path[len(res.Path)-1]
	}
	if pinged := last.Ping && last.Node == res.Owner && last.Err == ""; pinged != (res.OwnerCheck == chord.OwnerPinged) {
		bad("owner check %v, but the last row is the owner's answered ping: %v", res.OwnerCheck, pinged)
	}
	for i, h := range res.Path {
		if h.Node == res.Owner && h.Err == "" && res.OwnerCheck != chord.OwnerPinged && res.OwnerCheck != chord.OwnerAnswered {
			bad("hop %d calls the owner, taken %v without a call", i+1, res.OwnerCheck)
		}
	}
	return out
}

func checkNumbering(t *testing.T, origin chord.NodeRef, res chord.LookupResult, calls int) {
	t.Helper()
	for _, p := range numberingProblems(origin, res, calls) {
		t.Error(p)
	}
}

// TestLookupNumbering runs one lookup of each kind on an ideal ring of 8
// nodes (m = 16, r = 4) and checks its numbering and how the owner was
// found live: a pinged owner, a failed call and its fallback, an owner
// vouched for by the node that named it, one the origin heard from, one
// the origin is, and one trusted by the caller.
func TestLookupNumbering(t *testing.T) {
	tests := []struct {
		name   string
		window time.Duration // Config.LivenessWindow
		// prepare runs before the lookup and returns the origin, the key
		// and the options.
		prepare   func(t *testing.T, ctx context.Context, r *memRing) (*chord.Node, chord.ID, chord.LookupOptions)
		check     chord.OwnerCheck
		hops      int // -1: any
		timeouts  int
		reasonHas string
	}{
		{"owner in the origin's successor list, pinged", 0, func(_ *testing.T, _ context.Context, r *memRing) (*chord.Node, chord.ID, chord.LookupOptions) {
			return r.nodes[0], r.nodes[3].Self().ID, chord.LookupOptions{}
		}, chord.OwnerPinged, 1, 0, "owns it"},
		{"a failed call, then the next-best", 0, func(t *testing.T, ctx context.Context, r *memRing) (*chord.Node, chord.ID, chord.LookupOptions) {
			origin, key := r.nodes[0], r.nodes[7].Self().ID
			res, err := origin.Lookup(ctx, key)
			if err != nil || len(res.Path) < 2 {
				t.Fatalf("healthy lookup: %v, path %+v; want a step before the owner's ping", err, res.Path)
			}
			r.crash(nodeAt(t, r, res.Path[0].Node)) // the first step's node
			return origin, key, chord.LookupOptions{}
		}, chord.OwnerPinged, -1, 1, "next-best after a failed hop"},
		{"owner vouched for by its predecessor", time.Hour, func(t *testing.T, ctx context.Context, r *memRing) (*chord.Node, chord.ID, chord.LookupOptions) {
			// The origin's closest preceding finger for the key is 4, which
			// names its successor 5 as the owner, having just heard from it.
			if err := r.nodes[4].Stabilize(ctx); err != nil {
				t.Fatal(err)
			}
			return r.nodes[0], r.nodes[5].Self().ID, chord.LookupOptions{}
		}, chord.OwnerVouched, -1, 0, "which heard from it"},
		{"owner heard from by the origin", time.Hour, func(t *testing.T, ctx context.Context, r *memRing) (*chord.Node, chord.ID, chord.LookupOptions) {
			if err := r.nodes[0].Stabilize(ctx); err != nil { // hears from its successor
				t.Fatal(err)
			}
			return r.nodes[0], r.nodes[1].Self().ID, chord.LookupOptions{}
		}, chord.OwnerHeard, 0, 0, "it answered this node"},
		{"the origin owns the key", 0, func(_ *testing.T, _ context.Context, r *memRing) (*chord.Node, chord.ID, chord.LookupOptions) {
			return r.nodes[2], r.nodes[2].Self().ID, chord.LookupOptions{}
		}, chord.OwnerOrigin, 0, 0, "this node owns it"},
		{"owner trusted by the caller", 0, func(_ *testing.T, _ context.Context, r *memRing) (*chord.Node, chord.ID, chord.LookupOptions) {
			return r.nodes[0], r.nodes[7].Self().ID, chord.LookupOptions{TrustOwner: true}
		}, chord.OwnerTrusted, -1, 0, "not pinged"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			cfg := smallConfig()
			cfg.LivenessWindow = tc.window
			r := buildIdeal(t, 71, cfg, 8, true) // nodes in ID order
			origin, key, opts := tc.prepare(t, ctx, r)
			before := r.nw.Calls()
			res, err := origin.LookupWith(ctx, key, opts)
			calls := int(r.nw.Calls() - before)
			if want := r.trueOwner(key); err != nil || res.Owner != want {
				t.Fatalf("owner %s, %v; want %s", res.Owner.Addr, err, want.Addr)
			}
			checkNumbering(t, origin.Self(), res, calls)
			if res.OwnerCheck != tc.check {
				t.Errorf("owner check %v, want %v", res.OwnerCheck, tc.check)
			}
			if tc.hops >= 0 && res.Hops != tc.hops {
				t.Errorf("%d hops, want %d; path %+v", res.Hops, tc.hops, res.Path)
			}
			if res.Timeouts != tc.timeouts {
				t.Errorf("%d timeouts, want %d; path %+v", res.Timeouts, tc.timeouts, res.Path)
			}
			if !strings.Contains(res.OwnerReason, tc.reasonHas) && !slices.ContainsFunc(res.Path, func(h chord.Hop) bool { return strings.Contains(h.Reason, tc.reasonHas) }) {
				t.Errorf("owner reason %q and path %+v do not say %q", res.OwnerReason, res.Path, tc.reasonHas)
			}
			if tc.check == chord.OwnerVouched && (res.OwnerHeardAgo <= 0 || res.OwnerNamedBy != r.nodes[4].Self()) {
				t.Errorf("vouched owner: heard %v ago, named by %s; want a positive age and the owner's predecessor", res.OwnerHeardAgo, res.OwnerNamedBy.Addr)
			}
		})
	}
}

// nodeAt returns the ring's node for ref.
func nodeAt(t *testing.T, r *memRing, ref chord.NodeRef) *chord.Node {
	t.Helper()
	for _, n := range r.nodes {
		if n.Self() == ref {
			return n
		}
	}
	t.Fatalf("no node %s", ref.Addr)
	return nil
}

// OwnerCheck travels in JSON as one word and back.
func TestOwnerCheckText(t *testing.T) {
	for c := chord.OwnerOrigin; c <= chord.OwnerTrusted; c++ {
		b, err := c.MarshalText()
		if err != nil || len(b) == 0 || strings.Contains(string(b), " ") {
			t.Fatalf("%d: %q, %v", c, b, err)
		}
		var back chord.OwnerCheck
		if err := back.UnmarshalText(b); err != nil || back != c {
			t.Fatalf("%q came back as %v, %v", b, back, err)
		}
	}
	var c chord.OwnerCheck
	if err := c.UnmarshalText([]byte("guessed")); err == nil {
		t.Fatal("an unknown word was accepted")
	}
	if _, err := chord.OwnerCheck(99).MarshalText(); err == nil {
		t.Fatal("an invalid check was encoded")
	}
}

// TestPingOwnerIgnoresStaleListTail: node x joined between n2 and n3, and
// n2 and n3 know it, but the origin n0's successor list (n1 n2 n3 n4) was
// copied before it joined. A lookup of x's identifier with PingOwner must
// not take n3 from the tail of n0's list: it asks n2, the closest node
// before the key, whose successor is x (ToN Fig. 6). dht looks up again
// this way when an owner's range check fails.
func TestPingOwnerIgnoresStaleListTail(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	r := buildIdeal(t, 71, cfg, 8, false)
	n := func(i int) chord.NodeRef { return r.nodes[i].Self() }
	x := r.add("10.0.9.9:4000", n(2).ID.AddPow2(cfg.Bits, 0))
	x.SetStateForTest(n(2), []chord.NodeRef{n(3), n(4), n(5), n(6)}, nil)
	r.nodes[2].SetStateForTest(n(1), []chord.NodeRef{x.Self(), n(3), n(4), n(5)}, nil)
	r.nodes[3].SetStateForTest(x.Self(), []chord.NodeRef{n(4), n(5), n(6), n(7)}, nil)

	res, err := r.nodes[0].LookupWith(ctx, x.Self().ID, chord.LookupOptions{PingOwner: true})
	if err != nil || res.Owner != x.Self() {
		t.Fatalf("owner %s, %v; want the new node %s (path %+v)", res.Owner.Addr, err, x.Self().Addr, res.Path)
	}
	if res.OwnerNamedBy != n(2) {
		t.Errorf("owner named by %s, want n2 %s", res.OwnerNamedBy.Addr, n(2).Addr)
	}
	// With n2 down, n3 is the first live successor of the key after all.
	r.crash(r.nodes[2])
	r.crash(x)
	res, err = r.nodes[0].LookupWith(ctx, x.Self().ID, chord.LookupOptions{PingOwner: true})
	if err != nil || res.Owner != n(3) {
		t.Fatalf("with n2 and x down: owner %s, %v; want n3 %s (path %+v)", res.Owner.Addr, err, n(3).Addr, res.Path)
	}
}
