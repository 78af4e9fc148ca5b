package chord_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// TestLookupTrustOwner checks LookupOptions.TrustOwner against the strict
// Lookup on the same keys: the same (true) owner on a healthy ring with
// fewer calls in total (no ping of the owner, no row for it in the path,
// and a reason that says it was not pinged); and after the owner crashed, the strict lookup skips it while
// the trusting one may still name it (the caller's fallback handles that).
func TestLookupTrustOwner(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	ring := buildIdeal(t, 21, cfg, 32, true)
	rng := rand.New(rand.NewSource(21))
	keys := make([]chord.ID, 200)
	for i := range keys {
		var k chord.ID
		rng.Read(k[:])
		keys[i] = k.Mask(cfg.Bits)
	}
	from := ring.nodes[0]
	calls := func(opts chord.LookupOptions) uint64 {
		c0 := ring.nw.Calls()
		for _, k := range keys {
			res, err := from.LookupWith(ctx, k, opts)
			if want := ring.trueOwner(k); err != nil || res.Owner != want {
				t.Fatalf("lookup %s (%+v): %v, %v; want %s", k.Short(cfg.Bits), opts, res.Owner.Addr, err, want.Addr)
			}
			if opts.TrustOwner && res.Owner != from.Self() {
				if res.OwnerCheck != chord.OwnerTrusted || !strings.Contains(res.OwnerReason, "not pinged") {
					t.Fatalf("trusted lookup %s: owner check %v, reason %q; want trusted, not pinged", k.Short(cfg.Bits), res.OwnerCheck, res.OwnerReason)
				}
				for _, h := range res.Path {
					if h.Node == res.Owner || h.Ping {
						t.Fatalf("trusted lookup %s: path %+v calls the owner", k.Short(cfg.Bits), res.Path)
					}
				}
			}
		}
		return ring.nw.Calls() - c0
	}
	strict, trusted := calls(chord.LookupOptions{}), calls(chord.LookupOptions{TrustOwner: true})
	t.Logf("%d lookups from one node: %d calls strict, %d trusting the owner", len(keys), strict, trusted)
	if trusted >= strict {
		t.Fatalf("trusting the owner made %d calls, strict %d: want fewer", trusted, strict)
	}

	// Crash the successor of from: a key it owns.
	succ := from.Successors()[0]
	ring.crash(ring.nodes[1])
	if ring.nodes[1].Self() != succ {
		t.Fatalf("nodes are not in ID order: %s vs %s", ring.nodes[1].Self().Addr, succ.Addr)
	}
	key := succ.ID
	res, err := from.Lookup(ctx, key)
	if want := ring.trueOwner(key); err != nil || res.Owner != want {
		t.Fatalf("strict lookup after the crash: %v, %v; want the live owner %s", res.Owner.Addr, err, want.Addr)
	}
	res, err = from.LookupWith(ctx, key, chord.LookupOptions{TrustOwner: true})
	if err != nil || res.Owner != succ {
		t.Fatalf("trusting lookup after the crash: %v, %v; want the crashed owner %s named without a ping", res.Owner.Addr, err, succ.Addr)
	}
}
