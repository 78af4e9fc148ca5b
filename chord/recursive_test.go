package chord_test

import (
	"context"
	"flag"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// recursive is the option under test.
var recursive = chord.LookupOptions{Recursive: true}

// forwardingProblems checks what a recursive path adds to the numbering:
// each answered row after the first was called by the node of an answered
// row before it (the node that forwarded the lookup), never by the origin
// once it has handed the lookup on, unless every node after the origin's
// call failed or ran out of candidates.
func forwardingProblems(origin chord.NodeRef, res chord.LookupResult) []string {
	var out []string
	var chain []chord.NodeRef // answered nodes, in order
	for i, h := range res.Path {
		if i == 0 && h.From != origin {
			out = append(out, "the first row was not called by the origin: "+h.From.Addr)
		}
		if h.Err == "" {
			chain = append(chain, h.Node)
		}
	}
	if res.OwnerCheck == chord.OwnerVouched && (len(chain) == 0 || res.OwnerNamedBy != chain[len(chain)-1]) {
		out = append(out, "a vouched owner not named by the last node that answered: "+res.OwnerNamedBy.Addr)
	}
	return out
}

// TestRecursiveLookupMatchesIterative: on an ideal ring, a recursive
// lookup returns the true owner through exactly the nodes an iterative
// lookup from the same origin asks, in the same order (each call now made
// by the node before it), with the same owner check and a path that numbers
// like an iterative one.
func TestRecursiveLookupMatchesIterative(t *testing.T) {
	for _, window := range []time.Duration{0, time.Hour} {
		t.Run("window="+window.String(), func(t *testing.T) {
			ctx := testCtx(t)
			cfg := smallConfig()
			cfg.LivenessWindow = window
			// Two copies of one ring: a lookup's calls change whom the
			// nodes have heard from, so each style runs on its own.
			ring, twin := buildIdeal(t, 31, cfg, 48, true), buildIdeal(t, 31, cfg, 48, true)
			for i, n := range ring.nodes { // the predecessors hear from their successors
				if err := n.Stabilize(ctx); err != nil {
					t.Fatal(err)
				}
				if err := twin.nodes[i].Stabilize(ctx); err != nil {
					t.Fatal(err)
				}
			}
			rng := rand.New(rand.NewSource(31))
			for range 200 {
				i := rng.Intn(len(ring.nodes))
				from := ring.nodes[i]
				key := chord.IDFromUint64(cfg.Bits, rng.Uint64())
				before := ring.nw.Calls()
				rec, err := from.LookupWith(ctx, key, recursive)
				calls := int(ring.nw.Calls() - before)
				it, itErr := twin.nodes[i].Lookup(ctx, key)
				if itErr != nil {
					t.Fatal(itErr)
				}
				if want := ring.trueOwner(key); err != nil || rec.Owner != want {
					t.Fatalf("recursive lookup %s: %s, %v; want %s", key.Short(cfg.Bits), rec.Owner.Addr, err, want.Addr)
				}
				checkNumbering(t, from.Self(), rec, calls)
				for _, p := range forwardingProblems(from.Self(), rec) {
					t.Error(p)
				}
				// With a liveness window the styles' pings of the owner
				// differ: a forwarding node that pinged an owner may vouch
				// for it later, where the iterative origin pings again.
				recSteps, itSteps := steps(rec.Path), steps(it.Path)
				if window == 0 && (rec.OwnerCheck != it.OwnerCheck || len(rec.Path) != len(it.Path)) || len(recSteps) != len(itSteps) {
					t.Fatalf("lookup %s from %s: recursive %v with path %+v; iterative %v with %+v",
						key.Short(cfg.Bits), from.Self().Addr, rec.OwnerCheck, rec.Path, it.OwnerCheck, it.Path)
				}
				for i := range recSteps {
					r, w := recSteps[i], itSteps[i]
					if r.Node != w.Node || r.Via != w.Via || r.Ping != w.Ping {
						t.Fatalf("lookup %s hop %d: recursive %+v, iterative %+v", key.Short(cfg.Bits), i+1, r, w)
					}
				}
				for i, r := range rec.Path {
					if i > 0 && r.From != rec.Path[i-1].Node {
						t.Fatalf("lookup %s hop %d called by %s, not by the node of hop %d (%s)", key.Short(cfg.Bits), i+1, r.From.Addr, i, rec.Path[i-1].Node.Addr)
					}
				}
				if rec.OwnerReason == "" || strings.Contains(rec.OwnerReason, "this node") && rec.OwnerNamedBy != from.Self() {
					t.Fatalf("lookup %s: owner reason %q (named by %s)", key.Short(cfg.Bits), rec.OwnerReason, rec.OwnerNamedBy.Addr)
				}
			}
		})
	}
}

// steps returns the rows of a path that are lookup steps (not pings).
func steps(path []chord.Hop) []chord.Hop {
	var out []chord.Hop
	for _, h := range path {
		if !h.Ping {
			out = append(out, h)
		}
	}
	return out
}

// twoForwards finds a recursive lookup on ring whose path forwards at least
// twice before the owner: its origin, its key and its healthy result.
func twoForwards(ctx context.Context, t *testing.T, ring *memRing, cfg chord.Config) (*chord.Node, chord.ID, chord.LookupResult) {
	t.Helper()
	rng := rand.New(rand.NewSource(41))
	for range 1000 {
		from := ring.nodes[rng.Intn(len(ring.nodes))]
		key := chord.IDFromUint64(cfg.Bits, rng.Uint64())
		res, err := from.LookupWith(ctx, key, recursive)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Path) >= 3 && !res.Path[1].Ping {
			return from, key, res
		}
	}
	t.Fatal("no lookup with two forwards in 1000")
	return nil, chord.ID{}, chord.LookupResult{}
}

// TestRecursiveLookupFailures: a crashed node in the middle of a recursive
// path makes the node that called it fall back on its next-best candidate
// (its row says so); a paused one costs at most one RPCTimeout, and the
// lookup still returns the true owner.
func TestRecursiveLookupFailures(t *testing.T) {
	for _, kind := range []string{"crashed", "paused"} {
		t.Run(kind, func(t *testing.T) {
			ctx := testCtx(t)
			cfg := smallConfig()
			ring := buildIdeal(t, 41, cfg, 64, true)
			from, key, healthy := twoForwards(ctx, t, ring, cfg)
			victim := healthy.Path[1].Node // called by the node of hop 1
			if kind == "crashed" {
				ring.crash(nodeAt(t, ring, victim))
			} else {
				ring.nw.Pause(victim.Addr)
				defer ring.nw.Resume(victim.Addr)
			}
			before := ring.nw.Calls()
			t0 := time.Now()
			res, err := from.LookupWith(ctx, key, recursive)
			took := time.Since(t0)
			if want := ring.trueOwner(key); res.Owner == victim {
				if want := ring.trueOwner(key); want != victim || kind == "crashed" {
					t.Fatalf("lookup returned the %s node %s", kind, victim.Addr)
				}
			} else if err != nil || (kind == "crashed" && res.Owner != want) {
				t.Fatalf("lookup after the %s node: %s, %v; want %s", kind, res.Owner.Addr, err, want.Addr)
			}
			checkNumbering(t, from.Self(), res, int(ring.nw.Calls()-before))
			failedAt := -1
			for i, h := range res.Path {
				if h.Node == victim && h.Err != "" {
					failedAt = i
					break
				}
			}
			if failedAt < 0 || res.Path[failedAt].From != healthy.Path[0].Node {
				t.Fatalf("path %+v: want a failed call to %s made by %s", res.Path, victim.Addr, healthy.Path[0].Node.Addr)
			}
			if kind == "paused" && !res.Path[failedAt].Timeout {
				t.Errorf("the call to the paused node is not marked a timeout: %+v", res.Path[failedAt])
			}
			if next := failedAt + 1; next < len(res.Path) && !strings.Contains(res.Path[next].Reason, "next-best after a failed hop") {
				t.Errorf("the row after the failure does not say it is the next-best: %q", res.Path[next].Reason)
			}
			if took > 2*cfg.RPCTimeout {
				t.Errorf("lookup took %v, more than two RPC timeouts (%v)", took, cfg.RPCTimeout)
			}
		})
	}
}

// TestRecursiveLookupCancelReachesForwarder: cancelling a recursive
// lookup ends it at once, even while a forwarding node (not the origin)
// waits on a silent peer: the forwarding node's call follows the
// cancellation instead of waiting out its RPC timeout.
func TestRecursiveLookupCancelReachesForwarder(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	cfg.RPCTimeout = 2 * time.Second
	ring := buildIdeal(t, 41, cfg, 64, true)
	from, key, healthy := twoForwards(ctx, t, ring, cfg)
	victim := healthy.Path[1].Node // called by the node of hop 1, not the origin
	ring.nw.Pause(victim.Addr)
	defer ring.nw.Resume(victim.Addr)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel)
	t0 := time.Now()
	_, err := from.LookupWith(lctx, key, recursive)
	if took := time.Since(t0); err == nil || took > cfg.RPCTimeout/4 {
		t.Fatalf("lookup cancelled after 50ms: error %v after %v (RPC timeout %v)", err, took, cfg.RPCTimeout)
	}
}

// TestRecursiveLookupStepLimit: Config.MaxLookupSteps bounds the calls of
// the whole recursive lookup, every node's included.
func TestRecursiveLookupStepLimit(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	cfg.MaxLookupSteps = 2
	ring := buildIdeal(t, 51, cfg, 256, true)
	rng := rand.New(rand.NewSource(51))
	limited := 0
	for range 200 {
		from := ring.nodes[rng.Intn(len(ring.nodes))]
		key := chord.IDFromUint64(cfg.Bits, rng.Uint64())
		before := ring.nw.Calls()
		res, err := from.LookupWith(ctx, key, recursive)
		if calls := ring.nw.Calls() - before; calls > uint64(cfg.MaxLookupSteps) || len(res.Path) > cfg.MaxLookupSteps {
			t.Fatalf("lookup made %d calls (path %d rows), limit %d", calls, len(res.Path), cfg.MaxLookupSteps)
		}
		if err != nil {
			limited++
			if !strings.Contains(err.Error(), "step limit") {
				t.Fatalf("lookup failed for another reason: %v", err)
			}
		} else if want := ring.trueOwner(key); res.Owner != want {
			t.Fatalf("lookup returned %s, want %s", res.Owner.Addr, want.Addr)
		}
	}
	if limited == 0 {
		t.Fatal("no lookup reached the step limit of 2 on 256 nodes")
	}
}

var churnRecursive = flag.Int("chord.churn.recursive", 0, "number of seeded churn schedules TestChurnRecursive runs (default 100, or $CHORD_CHURN_RECURSIVE)")

// TestChurnRecursive runs TestChurn's schedules (joins, crashes, departures
// between maintenance steps), with owners vouched for on time alone as in
// TestChurnVouchedOwners, looking up recursively: every lookup must return
// a live member with a path that numbers right, and the true owner once
// the ring is ideal.
func TestChurnRecursive(t *testing.T) {
	churnSuite{flag: churnRecursive, env: "CHORD_CHURN_RECURSIVE", def: 100, short: 20}.run(t, func(t *testing.T, seed uint64) {
		c := newChurnRing(t, seed, 0xc40d, 5*time.Second)
		c.cfg.LivenessWindow = time.Hour
		c.form(1)
		c.events(func() { lookupRecursive(c, false) })
		c.settle("after the last event", churnSettleBound(len(c.live()), c.cfg.SuccessorListLen, c.cfg.Bits))
		c.checkInvariants("after the last event: settled")
		for range 10 {
			lookupRecursive(c, true)
		}
	})
}

// lookupRecursive is churnRing.lookup, recursive.
func lookupRecursive(c *churnRing, exact bool) {
	c.t.Helper()
	from := c.pick(c.live())
	key := chord.IDFromUint64(c.cfg.Bits, c.rng.Uint64())
	c.logf("recursive lookup %s from %s", key.Hex(c.cfg.Bits), c.name(from))
	calls := c.nw.Calls()
	res, err := from.LookupWith(c.ctx, key, recursive)
	if err != nil {
		c.fatalf("lookup %s from %s failed although the invariants hold: %v", key.Hex(c.cfg.Bits), c.name(from), err)
	}
	if p := append(numberingProblems(from.Self(), res, int(c.nw.Calls()-calls)), forwardingProblems(from.Self(), res)...); len(p) > 0 {
		c.fatalf("lookup %s from %s: %s", key.Hex(c.cfg.Bits), c.name(from), strings.Join(p, "; "))
	}
	sts := c.statuses()
	if !slices.ContainsFunc(sts, func(st chord.Status) bool { return st.Self == res.Owner }) {
		c.fatalf("lookup %s from %s returned %s, which is not a live member", key.Hex(c.cfg.Bits), c.name(from), c.ref(res.Owner))
	}
	if !exact {
		return
	}
	owner := chord.NodeRef{}
	for _, st := range sts {
		if owner.IsZero() || chord.Distance(c.cfg.Bits, key, st.Self.ID).Cmp(chord.Distance(c.cfg.Bits, key, owner.ID)) < 0 {
			owner = st.Self
		}
	}
	if res.Owner != owner {
		c.fatalf("lookup %s from %s on the ideal ring returned %s, but the owner is %s", key.Hex(c.cfg.Bits), c.name(from), c.ref(res.Owner), c.ref(owner))
	}
}

// TestRecursiveJoinAsksTheKnownMember: with Config.RecursiveLookups a
// joiner asks the member it knows to find its successor (the paper's
// n'.find_successor(n)): one call, where the iterative join calls every
// node on the way itself, each a connection a real joiner would have to
// open. Both find the true successor.
func TestRecursiveJoinAsksTheKnownMember(t *testing.T) {
	ctx := testCtx(t)
	calls := map[bool]uint64{}
	for _, recursive := range []bool{false, true} {
		cfg := smallConfig()
		cfg.RecursiveLookups = recursive
		ring := buildIdeal(t, 41, cfg, 64, true)
		for _, n := range ring.nodes {
			if err := n.Stabilize(ctx); err != nil {
				t.Fatal(err)
			}
		}
		known := ring.nodes[0]
		// The identifier half a ring away from the known member: the
		// iterative lookup takes several steps to get there.
		id := known.Self().ID.AddPow2(cfg.Bits, cfg.Bits-1).AddPow2(cfg.Bits, 3)
		ep, err := ring.nw.Endpoint("joiner")
		if err != nil {
			t.Fatal(err)
		}
		jc := cfg
		jc.ID, jc.HasID = id, true
		j, err := chord.NewNode(jc, ep)
		if err != nil {
			t.Fatal(err)
		}
		want := ring.trueOwner(id)
		before := ep.Stats().Calls
		if err := j.Join(ctx, known.Self().Addr); err != nil {
			t.Fatalf("recursive=%v: join: %v", recursive, err)
		}
		calls[recursive] = ep.Stats().Calls - before
		if got := j.Status().Successors[0]; got != want {
			t.Fatalf("recursive=%v: joined with successor %s, want %s", recursive, got.Addr, want.Addr)
		}
	}
	if calls[true] >= calls[false] || calls[true] > 2 {
		t.Fatalf("the joiner made %d calls joining recursively, %d iteratively; want at most 2 (route, successor list), and fewer", calls[true], calls[false])
	}
}
