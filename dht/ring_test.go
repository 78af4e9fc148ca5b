package dht

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/chord/chordtest"
	"github.com/chordtui/chordtui/netmux"
)

// testRing is a ring of chord nodes with stores on the in-memory network.
// Nothing runs in the background: tests drive chord rounds and repair
// rounds by hand, so every run with the same seed is the same.
type testRing struct {
	t     testing.TB
	nw    *chordtest.Network
	ccfg  chord.Config
	cfg   Config
	clock *testClock  // every store's physical clock (one machine)
	nodes []*testNode // every node ever started, in start order
	next  int
	rng   *rand.Rand
	// listen and kill replace the in-memory network when set (netmux),
	// and faults is then the transports' shared fault table.
	listen func() (chord.Transport, error)
	kill   func(addr string)
	faults *netmux.Faults
}

type testNode struct {
	addr  string
	node  *chord.Node
	store *Store
	up    bool // neither crashed nor left
}

const testBits = 32

// newTestRing starts n nodes (the first creates the ring, the others join
// through it) and settles chord.
func newTestRing(t testing.TB, n int, seed int64, events chan<- chord.Event) *testRing {
	t.Helper()
	return newTestRingOpts(t, n, seed, events, nil)
}

// newTestRingCfg is newTestRing with a changed dht Config.
func newTestRingCfg(t testing.TB, n int, seed int64, mutate func(*Config)) *testRing {
	t.Helper()
	return newTestRingOpts(t, n, seed, nil, mutate)
}

func newTestRingOpts(t testing.TB, n int, seed int64, events chan<- chord.Event, mutate func(*Config)) *testRing {
	t.Helper()
	r := emptyTestRing(seed, events, mutate)
	r.t = t
	return r.start(n)
}

// emptyTestRing prepares a ring on the in-memory network without nodes.
func emptyTestRing(seed int64, events chan<- chord.Event, mutate func(*Config)) *testRing {
	ccfg := chord.DefaultConfig()
	ccfg.Bits = testBits
	ccfg.SuccessorListLen = 4
	// As chordtui runs (a liveness window), with a window no test outlasts:
	// lookups take owners on the word of the node naming them, and only the
	// transport's connection check (chordtest reports crashes, pauses and
	// cuts at once) keeps a dead owner out.
	ccfg.LivenessWindow = math.MaxInt64
	ccfg.Events = events
	r := &testRing{nw: chordtest.NewNetwork(seed), ccfg: ccfg, cfg: DefaultConfig(), rng: rand.New(rand.NewSource(seed))}
	r.clock = newTestClock()
	r.cfg.Clock = r.clock.Now
	if mutate != nil {
		mutate(&r.cfg)
	}
	return r
}

// testClock is the machine clock the stores of a test ring share: it
// starts at a fixed date and moves 1 µs every time it is read, and tests
// move it further with Advance (no test waits for real time to pass).
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *testClock) Now() time.Time { return time.Unix(0, c.ns.Add(int64(time.Microsecond))) }

func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// start adds n nodes, settles chord and runs the join handoff on every
// node, so the ring serves every key when it returns.
func (r *testRing) start(n int) *testRing {
	r.t.Helper()
	for i := 0; i < n; i++ {
		r.add()
	}
	r.settleChord()
	r.takeOverAll()
	return r
}

// takeOverAll runs repair rounds until every live store has taken over its
// keys (the join handoff), failing the test after 10 rounds.
func (r *testRing) takeOverAll() {
	r.t.Helper()
	for round := 0; round < 10; round++ {
		waiting := 0
		for _, n := range r.ringOrder() {
			if !n.store.Ready() {
				_ = n.store.Repair(context.Background())
			}
			if !n.store.Ready() {
				waiting++
			}
		}
		if waiting == 0 {
			return
		}
	}
	r.t.Fatal("stores not ready after 10 rounds")
}

// transport makes the next node's transport.
func (r *testRing) transport() (chord.Transport, error) {
	if r.listen != nil {
		return r.listen()
	}
	addr := fmt.Sprintf("node-%03d", r.next)
	r.next++
	return r.nw.Endpoint(addr)
}

// add starts a node and joins it (Create for the first). A join whose
// lookup timed out (a loaded machine running tests under -race) is tried
// again, twice, with a new node.
func (r *testRing) add() *testNode {
	r.t.Helper()
	var err error
	for range 3 {
		var tn *testNode
		if tn, err = r.join(); err == nil {
			return tn
		}
	}
	r.t.Fatal(err)
	return nil
}

// tryAdd is add for schedules where a join may fail (the lookup of the
// new node's successor can fail while the ring is repairing). A node that
// failed to join is discarded.
func (r *testRing) tryAdd() error {
	_, err := r.join()
	return err
}

func (r *testRing) join() (*testNode, error) {
	ep, err := r.transport()
	if err != nil {
		return nil, err
	}
	return r.joinOn(ep)
}

// revive starts a new node, with an empty store, at the address of a
// crashed one (so with the same ID) and joins it (in-memory network only).
func (r *testRing) revive(addr string) *testNode {
	r.t.Helper()
	ep, err := r.nw.Endpoint(addr)
	if err != nil {
		r.t.Fatal(err)
	}
	n, err := r.joinOn(ep)
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *testRing) joinOn(ep chord.Transport) (*testNode, error) {
	addr := ep.Addr()
	node, err := chord.NewNode(r.ccfg, ep)
	if err != nil {
		return nil, err
	}
	// The first node creates the ring before its store exists, so the
	// store knows it has no keys to take over.
	live := r.live()
	if len(live) == 0 {
		node.Create()
	}
	st, err := New(node, r.cfg)
	if err != nil {
		return nil, err
	}
	tn := &testNode{addr: addr, node: node, store: st, up: true}
	if len(live) > 0 {
		if err := node.Join(context.Background(), live[r.rng.Intn(len(live))].addr); err != nil {
			r.crashAddr(addr)
			return nil, fmt.Errorf("join %s: %w", addr, err)
		}
	}
	r.nodes = append(r.nodes, tn)
	return tn, nil
}

// live returns the nodes that are up, in start order.
func (r *testRing) live() []*testNode {
	var out []*testNode
	for _, n := range r.nodes {
		if n.up {
			out = append(out, n)
		}
	}
	return out
}

// ringOrder returns the live nodes sorted by ID.
func (r *testRing) ringOrder() []*testNode {
	out := r.live()
	sort.Slice(out, func(i, j int) bool { return out[i].node.Self().ID.Cmp(out[j].node.Self().ID) < 0 })
	return out
}

// any returns a random live node.
func (r *testRing) any() *testNode {
	l := r.live()
	return l[r.rng.Intn(len(l))]
}

func (r *testRing) crash(n *testNode) {
	r.crashAddr(n.addr)
	n.up = false
}

func (r *testRing) crashAddr(addr string) {
	if r.kill != nil {
		r.kill(addr)
		return
	}
	r.nw.Crash(addr)
}

// settleChord runs chord rounds until the ring is ideal (fingers included).
func (r *testRing) settleChord() {
	r.t.Helper()
	ctx := context.Background()
	var last []chord.Violation
	for round := 0; round < 100; round++ {
		for _, n := range r.live() {
			_ = n.node.CheckPredecessor(ctx)
			_ = n.node.Stabilize(ctx)
		}
		for _, n := range r.live() {
			_ = n.node.FixAllFingers(ctx)
		}
		var sts []chord.Status
		for _, n := range r.live() {
			sts = append(sts, n.node.Status())
		}
		if last = chord.CheckIdeal(sts, true); len(last) == 0 {
			return
		}
	}
	var sts []chord.Status
	for _, n := range r.live() {
		sts = append(sts, n.node.Status())
	}
	r.t.Fatalf("chord did not settle in 100 rounds: %d ideal-ring violations, first %v; invariants: %v", len(last), last[0], chord.CheckInvariants(sts))
}

// repairAll runs one repair round on every live node, in ring order, then
// moves the clock on by a second (rounds are that far apart in time).
func (r *testRing) repairAll() {
	ctx := context.Background()
	for _, n := range r.ringOrder() {
		_ = n.store.Repair(ctx)
	}
	r.clock.Advance(time.Second)
}

// holdings maps each key to the set of live nodes holding a record for it
// (value or tombstone), with the version each holds.
func (r *testRing) holdings() map[string]map[string]KeyInfo {
	out := map[string]map[string]KeyInfo{}
	for _, n := range r.live() {
		for _, k := range n.store.Keys() {
			if out[k.Key] == nil {
				out[k.Key] = map[string]KeyInfo{}
			}
			out[k.Key][n.addr] = k
		}
	}
	return out
}

// expectedHolders returns the addresses of the true owner of id and its
// next r-1 live successors.
func (r *testRing) expectedHolders(id chord.ID) []string {
	ring := r.ringOrder()
	i := sort.Search(len(ring), func(i int) bool { return ring[i].node.Self().ID.Cmp(id) >= 0 })
	var out []string
	for k := 0; k < min(r.cfg.Replicas, len(ring)); k++ {
		out = append(out, ring[(i+k)%len(ring)].addr)
	}
	return out
}

// placementErrors lists every key (among want, with its latest version)
// not held at exactly its r expected holders at that version.
func (r *testRing) placementErrors(want map[string]Version) []string {
	hold := r.holdings()
	var errs []string
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		exp := r.expectedHolders(HashIDForTest(k))
		got := hold[k]
		for _, a := range exp {
			ki, ok := got[a]
			if !ok {
				errs = append(errs, fmt.Sprintf("%q missing on holder %s", k, a))
			} else if ki.Version != want[k] {
				errs = append(errs, fmt.Sprintf("%q on %s at version %v, want %v", k, a, ki.Version, want[k]))
			}
		}
		if len(got) != len(exp) {
			var at []string
			for a := range got {
				at = append(at, a)
			}
			sort.Strings(at)
			errs = append(errs, fmt.Sprintf("%q has %d copies (%v), want %d (%v)", k, len(got), at, len(exp), exp))
		}
	}
	return errs
}

// quiesce settles chord, then runs repair rounds until placement is exact
// for want (or fails the test after maxRounds).
func (r *testRing) quiesce(want map[string]Version) {
	r.t.Helper()
	r.settleChord()
	var errs []string
	for round := 0; round < 10; round++ {
		r.repairAll()
		if errs = r.placementErrors(want); len(errs) == 0 {
			return
		}
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Sprintf("… and %d more", len(errs)-10))
	}
	r.t.Fatalf("placement not exact after 10 repair rounds:\n%s", joinLines(errs))
}

func joinLines(ss []string) string {
	out := ""
	for _, s := range ss {
		out += "  " + s + "\n"
	}
	return out
}

// HashIDForTest is the key hash on the test ring.
func HashIDForTest(key string) chord.ID { return chord.HashID(testBits, []byte(key)) }

// versionOf returns the Version a PutResult acknowledged.
func versionOf(p PutResult) Version { return p.Version }

// byAddr returns the node with that address.
func (r *testRing) byAddr(addr string) *testNode {
	for _, n := range r.nodes {
		if n.addr == addr {
			return n
		}
	}
	r.t.Fatalf("no node %s", addr)
	return nil
}

// liveExcept returns the first live node (in start order) that is none of
// addrs.
func (r *testRing) liveExcept(addrs ...string) *testNode {
	r.t.Helper()
	for _, n := range r.live() {
		if !slices.Contains(addrs, n.addr) {
			return n
		}
	}
	r.t.Fatalf("every live node is one of %v", addrs)
	return nil
}
