package chord_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// dialCost is a transport on which a call to any address in dials would
// open a connection (chord.DialReporter); the others are connected.
type dialCost struct {
	chord.Transport
	dials map[string]bool // written before the lookups, then only read
}

func (d dialCost) WouldDial(addr string) bool { return d.dials[addr] }

// dialRings builds the same ideal ring of n nodes twice: plain, and over
// dialCost transports that share dials (empty: every node connected).
func dialRings(t *testing.T, seed int64, cfg chord.Config, n int) (plain, ring *memRing, dials map[string]bool) {
	t.Helper()
	dials = map[string]bool{}
	plain = buildIdeal(t, seed, cfg, n, true)
	ring = buildIdealWrapped(t, seed, cfg, n, true, func(tr chord.Transport) chord.Transport {
		return dialCost{Transport: tr, dials: dials}
	})
	return plain, ring, dials
}

// TestRecursiveLookupPrefersConnected: a node carrying a recursive lookup
// on asks a connected candidate before a closer one a call would dial to,
// only if it lies at most four times as far from the key; its row says
// so; the lookup still finds the true owner, in at most a hop or two more.
// With every node connected the paths are those of a transport that
// reports no cost.
func TestRecursiveLookupPrefersConnected(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	const n = 256
	plain, ring, dials := dialRings(t, 61, cfg, n)
	byAddr := map[string]*chord.Node{}
	for _, node := range ring.nodes {
		byAddr[node.Self().Addr] = node
	}
	dist := func(a chord.NodeRef, key chord.ID) float64 {
		return chord.Distance(cfg.Bits, a.ID, key).Fraction(cfg.Bits)
	}
	// closest is the entry of x's table closest preceding key.
	closest := func(x chord.NodeRef, key chord.ID) chord.NodeRef {
		st := byAddr[x.Addr].Status()
		var best chord.NodeRef
		for _, f := range append(st.Fingers, st.Successors...) {
			if chord.Between(x.ID, f.ID, key) && (best.IsZero() || dist(f, key) < dist(best, key)) {
				best = f
			}
		}
		return best
	}
	rng := rand.New(rand.NewSource(61))
	type lookup struct {
		from int
		key  chord.ID
	}
	lookups := make([]lookup, 400)
	for i := range lookups {
		lookups[i] = lookup{rng.Intn(n), chord.IDFromUint64(cfg.Bits, rng.Uint64())}
	}
	run := func(r *memRing, l lookup) chord.LookupResult {
		t.Helper()
		res, err := r.nodes[l.from].LookupWith(ctx, l.key, recursive)
		if err != nil {
			t.Fatal(err)
		}
		if want := r.trueOwner(l.key); res.Owner != want {
			t.Fatalf("lookup %s from %s: owner %s, want %s", l.key.Label(cfg.Bits), r.nodes[l.from].Self().Addr, res.Owner.Addr, want.Addr)
		}
		return res
	}
	plainHops := 0
	for _, l := range lookups {
		want := run(plain, l)
		plainHops += want.Hops
		if got := run(ring, l); len(got.Path) != len(want.Path) {
			t.Fatalf("every node connected: path of %d calls, want the plain transport's %d", len(got.Path), len(want.Path))
		}
	}

	// Half the nodes are ones a call would dial to.
	for _, node := range ring.nodes {
		if rng.Intn(2) == 0 {
			dials[node.Self().Addr] = true
		}
	}
	swaps, hops := 0, 0
	for _, l := range lookups {
		res := run(ring, l)
		hops += res.Hops
		for _, h := range res.Path {
			if !strings.Contains(h.Reason, "a closer one had no open connection") {
				continue
			}
			swaps++
			if dials[h.Node.Addr] {
				t.Fatalf("row %+v: asked as connected, but a call to it dials", h)
			}
			if !strings.HasPrefix(h.Reason, "connected node closest preceding") {
				t.Errorf("row %+v: the reason should start by saying it is the closest connected node", h)
			}
			c := closest(h.From, l.key)
			if !dials[c.Addr] || dist(h.Node, l.key) <= dist(c, l.key) || dist(h.Node, l.key) > 4*dist(c, l.key) {
				t.Fatalf("row %+v: asked before %s, the closest (a dial: %v), at %.3g of the ring from the key against its %.3g: want a dial skipped for at most 4 times the distance",
					h, c.Addr, dials[c.Addr], dist(h.Node, l.key), dist(c, l.key))
			}
		}
	}
	if swaps == 0 {
		t.Fatal("no lookup asked a connected node before a closer one")
	}
	if hops > plainHops*3/2 {
		t.Errorf("%d hops in all, against %d when every node is connected: more than a hop or two more per lookup", hops, plainHops)
	}
	t.Logf("%d lookups: %d hops with every node connected, %d with half of them dialled (%d asked as connected first)", len(lookups), plainHops, hops, swaps)
}

// TestConnectedHopsAfterCrashes: with crashed nodes in the ring (their
// connections closed, so a call to them would dial), lookups that prefer
// connected nodes find the same owners as lookups that do not.
func TestConnectedHopsAfterCrashes(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	const n = 256
	plain, ring, dials := dialRings(t, 71, cfg, n)
	rng := rand.New(rand.NewSource(71))
	for _, node := range ring.nodes {
		if rng.Intn(2) == 0 {
			dials[node.Self().Addr] = true
		}
	}
	for i := 0; i < n; i += 16 + rng.Intn(16) { // crashes at least 16 apart
		plain.crash(plain.nodes[i])
		ring.crash(ring.nodes[i])
		dials[ring.nodes[i].Self().Addr] = true
	}
	agree := 0
	for range 300 {
		from := rng.Intn(n)
		if plain.dead[plain.nodes[from].Self().Addr] {
			continue
		}
		key := chord.IDFromUint64(cfg.Bits, rng.Uint64())
		want, werr := plain.nodes[from].LookupWith(ctx, key, recursive)
		got, err := ring.nodes[from].LookupWith(ctx, key, recursive)
		if werr != nil || want.Owner != plain.trueOwner(key) {
			continue // the plain lookup is no reference for this one
		}
		if err != nil || got.Owner != ring.trueOwner(key) {
			t.Fatalf("lookup %s from %s: %s, %v; want %s as without the preference", key.Label(cfg.Bits),
				ring.nodes[from].Self().Addr, got.Owner.Addr, err, want.Owner.Addr)
		}
		agree++
	}
	if agree < 200 {
		t.Fatalf("only %d of 300 lookups could be compared", agree)
	}
}

// TestVerifyFingerOnlyWhenConnected: fix_fingers checks a finger beyond
// the successor list with one call to it only if that call opens no
// connection; otherwise it looks the finger up (over open connections) and
// sets the same node.
func TestVerifyFingerOnlyWhenConnected(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	_, ring, dials := dialRings(t, 83, cfg, 256)
	node := ring.nodes[5]
	cycle := func() []chord.RoundReport {
		t.Helper()
		var reps []chord.RoundReport
		for range 200 {
			rep, err := node.FixFingersReport(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(reps) > 0 && rep.Finger == reps[0].Finger {
				return reps
			}
			reps = append(reps, rep)
		}
		t.Fatal("fix_fingers did not come back to its first finger in 200 rounds")
		return nil
	}
	connected := map[int]chord.RoundReport{}
	verified := 0
	for _, rep := range cycle() {
		connected[rep.Finger] = rep
		if rep.Verified {
			verified++
		}
	}
	if verified == 0 {
		t.Fatal("every node connected: no finger was verified with a call")
	}

	for _, f := range node.Status().Fingers {
		dials[f.Addr] = true
	}
	for _, rep := range cycle() {
		for _, c := range rep.Calls {
			if c.Role == chord.RoleVerify {
				t.Fatalf("finger %d: a verify call to %s, which a call would dial to", rep.Finger, c.Peer.Addr)
			}
		}
		want, ok := connected[rep.Finger]
		if !ok || rep.Owner != want.Owner {
			t.Fatalf("finger %d set to %s, want %s as when connected", rep.Finger, rep.Owner.Addr, want.Owner.Addr)
		}
		if want.Verified && (rep.Lookup == nil || rep.Unconnected != want.Owner) {
			t.Fatalf("finger %d: lookup %v, unconnected %s: want a lookup, and the current finger %s named as not connected",
				rep.Finger, rep.Lookup != nil, rep.Unconnected.Addr, want.Owner.Addr)
		}
	}
}
