package chord_test

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/chord/chordtest"
)

// memRing is a set of chord nodes on one in-memory network, for the
// protocol tests (formation, crashes, hops, benchmarks).
type memRing struct {
	tb    testing.TB
	nw    *chordtest.Network
	cfg   chord.Config
	nodes []*chord.Node // every node ever started, in start order
	dead  map[string]bool
	// wrap, if set, makes the transport of each node added from its
	// endpoint on nw.
	wrap func(chord.Transport) chord.Transport
}

func newMemRing(tb testing.TB, seed int64, cfg chord.Config) *memRing {
	tb.Helper()
	return &memRing{tb: tb, nw: chordtest.NewNetwork(seed), cfg: cfg, dead: map[string]bool{}}
}

// add starts an (unjoined) node at addr with the given ID.
func (r *memRing) add(addr string, id chord.ID) *chord.Node {
	r.tb.Helper()
	ep, err := r.nw.Endpoint(addr)
	if err != nil {
		r.tb.Fatal(err)
	}
	cfg := r.cfg
	cfg.ID, cfg.HasID = id, true
	var tr chord.Transport = ep
	if r.wrap != nil {
		tr = r.wrap(ep)
	}
	n, err := chord.NewNode(cfg, tr)
	if err != nil {
		r.tb.Fatal(err)
	}
	r.nodes = append(r.nodes, n)
	delete(r.dead, addr)
	return n
}

// crash crashes n on the network.
func (r *memRing) crash(n *chord.Node) {
	r.nw.Crash(n.Self().Addr)
	r.dead[n.Self().Addr] = true
}

// live returns the live, joined nodes.
func (r *memRing) live() []*chord.Node {
	var out []*chord.Node
	for _, n := range r.nodes {
		if !r.dead[n.Self().Addr] && n.Joined() {
			out = append(out, n)
		}
	}
	return out
}

func (r *memRing) statuses() []chord.Status {
	live := r.live()
	out := make([]chord.Status, len(live))
	for i, n := range live {
		out[i] = n.Status()
	}
	return out
}

// round runs one full maintenance round: every live member, in an order
// drawn from rng, runs stabilize, fix_fingers and check_predecessor.
func (r *memRing) round(ctx context.Context, rng *rand.Rand) {
	live := r.live()
	rng.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	for _, n := range live {
		_ = n.Stabilize(ctx)
		_ = n.FixFingers(ctx)
		_ = n.CheckPredecessor(ctx)
	}
}

// ideal reports the ideal-ring violations of the live members.
func (r *memRing) ideal(fingers bool) []chord.Violation {
	return chord.CheckIdeal(r.statuses(), fingers)
}

// trueOwner returns the live member owning key, by brute force.
func (r *memRing) trueOwner(key chord.ID) chord.NodeRef {
	live := r.live()
	refs := make([]chord.NodeRef, len(live))
	for i, n := range live {
		refs[i] = n.Self()
	}
	slices.SortFunc(refs, func(a, b chord.NodeRef) int { return a.ID.Cmp(b.ID) })
	for _, ref := range refs {
		if ref.ID.Cmp(key) >= 0 {
			return ref
		}
	}
	return refs[0]
}

// distinctIDs draws n distinct identifiers of the given size.
func distinctIDs(rng *rand.Rand, bits, n int) []chord.ID {
	seen := map[chord.ID]bool{}
	out := make([]chord.ID, 0, n)
	for len(out) < n {
		var raw chord.ID
		rng.Read(raw[:])
		id := raw.Mask(bits)
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// buildIdeal starts n nodes with random IDs and installs the ideal
// predecessor and successor lists directly (no joins), fingers too if
// fingers is set. Big rings (10^4–10^5) are built this way.
func buildIdeal(tb testing.TB, seed int64, cfg chord.Config, n int, fingers bool) *memRing {
	tb.Helper()
	return buildIdealWrapped(tb, seed, cfg, n, fingers, nil)
}

// buildIdealWrapped is buildIdeal with each node's transport made by wrap
// (memRing.wrap).
func buildIdealWrapped(tb testing.TB, seed int64, cfg chord.Config, n int, fingers bool, wrap func(chord.Transport) chord.Transport) *memRing {
	tb.Helper()
	r := newMemRing(tb, seed, cfg)
	r.wrap = wrap
	rng := rand.New(rand.NewSource(seed))
	ids := distinctIDs(rng, cfg.Bits, n)
	slices.SortFunc(ids, func(a, b chord.ID) int { return a.Cmp(b) })
	refs := make([]chord.NodeRef, n)
	for i, id := range ids {
		refs[i] = chord.NodeRef{ID: id, Addr: fmt.Sprintf("10.0.%d.%d:%d", i/250, i%250, 4000+i%7)}
	}
	succAt := func(key chord.ID) chord.NodeRef {
		i, _ := slices.BinarySearchFunc(refs, key, func(a chord.NodeRef, k chord.ID) int { return a.ID.Cmp(k) })
		return refs[i%n]
	}
	rl := min(cfg.SuccessorListLen, max(1, n-1))
	for i, ref := range refs {
		node := r.add(ref.Addr, ref.ID)
		succ := make([]chord.NodeRef, rl)
		for k := range succ {
			succ[k] = refs[(i+1+k)%n]
		}
		var fs []chord.NodeRef
		if fingers {
			fs = make([]chord.NodeRef, cfg.Bits)
			for k := range fs {
				fs[k] = succAt(ref.ID.AddPow2(cfg.Bits, k))
			}
		}
		node.SetStateForTest(refs[(i+n-1)%n], succ, fs)
	}
	return r
}

// testCtx is a context bounded well below the test timeout.
func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}
