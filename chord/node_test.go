package chord_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/chord/chordtest"
)

// formRing starts n nodes with random IDs, joins them one by one through
// node 0 and runs rounds until the ring is ideal, fingers included.
func formRing(t testing.TB, seed int64, cfg chord.Config, n int) *memRing {
	t.Helper()
	ctx := testCtx(t)
	r := newMemRing(t, seed, cfg)
	rng := rand.New(rand.NewSource(seed))
	for i, id := range distinctIDs(rng, cfg.Bits, n) {
		node := r.add(fmt.Sprintf("n%d", i), id)
		if i == 0 {
			node.Create()
		} else if err := node.Join(ctx, "n0"); err != nil {
			t.Fatalf("join n%d: %v", i, err)
		}
	}
	for round := 0; round < 4*n+cfg.Bits+16; round++ {
		if len(r.ideal(true)) == 0 {
			return r
		}
		r.round(ctx, rng)
	}
	t.Fatalf("ring of %d never became ideal: %v", n, r.ideal(true))
	return nil
}

func smallConfig() chord.Config {
	cfg := chord.DefaultConfig()
	cfg.Bits = 16
	cfg.RPCTimeout = 50 * time.Millisecond
	return cfg
}

func TestNewNodeRejectsBadInput(t *testing.T) {
	nw := chordtest.NewNetwork(1)
	ep, _ := nw.Endpoint("a")
	tests := []struct {
		name string
		mod  func(*chord.Config)
	}{
		{"bits too small", func(c *chord.Config) { c.Bits = 5 }},
		{"bits too large", func(c *chord.Config) { c.Bits = 161 }},
		{"id wider than bits", func(c *chord.Config) { c.Bits = 8; c.ID = chord.IDFromUint64(16, 300); c.HasID = true }},
		{"empty successor list", func(c *chord.Config) { c.SuccessorListLen = 0 }},
		{"no rpc timeout", func(c *chord.Config) { c.RPCTimeout = 0 }},
		{"no lookup steps", func(c *chord.Config) { c.MaxLookupSteps = 0 }},
		{"no suspect timeouts", func(c *chord.Config) { c.SuspectTimeouts = 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := chord.DefaultConfig()
			tc.mod(&cfg)
			if _, err := chord.NewNode(cfg, ep); err == nil {
				t.Fatal("NewNode accepted a bad config")
			}
		})
	}
	if _, err := chord.NewNode(chord.DefaultConfig(), nil); err == nil {
		t.Fatal("NewNode accepted a nil transport")
	}
}

func TestNodeIDDefaultsToHashOfAddress(t *testing.T) {
	nw := chordtest.NewNetwork(1)
	ep, _ := nw.Endpoint("127.0.0.1:4001")
	n, err := chord.NewNode(chord.DefaultConfig(), ep)
	if err != nil {
		t.Fatal(err)
	}
	if want := chord.HashID(160, []byte("127.0.0.1:4001")); n.Self().ID != want {
		t.Fatalf("ID = %x, want SHA-1 of the address %x", n.Self().ID, want)
	}
}

func TestOneNodeRingOwnsEverything(t *testing.T) {
	ctx := testCtx(t)
	r := newMemRing(t, 1, smallConfig())
	n := r.add("solo", chord.IDFromUint64(16, 1000))
	if _, err := n.Lookup(ctx, chord.IDFromUint64(16, 5)); !errors.Is(err, chord.ErrNotJoined) {
		t.Fatalf("lookup before Create: %v, want ErrNotJoined", err)
	}
	n.Create()
	for _, k := range []uint64{0, 999, 1000, 1001, 65535} {
		res, err := n.Lookup(ctx, chord.IDFromUint64(16, k))
		if err != nil || res.Owner != n.Self() || res.Hops != 0 {
			t.Fatalf("key %d: owner %v hops %d err %v; want self, 0 hops", k, res.Owner, res.Hops, err)
		}
	}
	if err := n.Stabilize(ctx); err != nil {
		t.Fatal(err)
	}
	if v := r.ideal(false); len(v) > 0 {
		t.Fatalf("one-node ring not ideal after a round: %v", v)
	}
}

func TestRegisterAndCall(t *testing.T) {
	ctx := testCtx(t)
	r := newMemRing(t, 1, smallConfig())
	a := r.add("a", chord.IDFromUint64(16, 1))
	b := r.add("b", chord.IDFromUint64(16, 2))
	r.add("c", chord.IDFromUint64(16, 3)) // registers nothing
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.Register("upper", func(_ context.Context, req []byte) ([]byte, error) {
		return []byte(strings.ToUpper(string(req))), nil
	}))
	must(b.Register("refuse", func(context.Context, []byte) ([]byte, error) {
		return nil, errors.New("key too large")
	}))
	must(b.Register("panic", func(context.Context, []byte) ([]byte, error) { panic("boom") }))
	must(b.Register("hang", func(ctx context.Context, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	if err := b.Register("upper", func(context.Context, []byte) ([]byte, error) { return nil, nil }); !errors.Is(err, chord.ErrDuplicateCommand) {
		t.Fatalf("duplicate Register: %v", err)
	}
	r.nw.Pause("c")

	tests := []struct {
		name, to, cmd string
		want          string
		wantErr       []error
		remote        string // text of the *RemoteError
	}{
		{name: "reply", to: "b", cmd: "upper", want: "HELLO"},
		{name: "to self", to: "b", cmd: "upper", want: "HELLO"},
		{name: "handler error", to: "b", cmd: "refuse", remote: "key too large"},
		{name: "handler panic", to: "b", cmd: "panic", remote: "boom"},
		{name: "unknown command", to: "b", cmd: "nope", wantErr: []error{chord.ErrUnknownCommand}},
		{name: "nobody there", to: "zz", cmd: "upper", wantErr: []error{chord.ErrNodeDown}},
		{name: "paused peer", to: "c", cmd: "upper", wantErr: []error{chord.ErrTimeout, chord.ErrNodeDown, context.DeadlineExceeded}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from := a
			if tc.name == "to self" {
				from = b
			}
			ctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
			defer cancel()
			rep, err := from.Call(ctx, tc.to, tc.cmd, []byte("hello"))
			switch {
			case tc.remote != "":
				var re *chord.RemoteError
				if !errors.As(err, &re) || !strings.Contains(re.Msg, tc.remote) || re.Addr != tc.to || re.Command != tc.cmd {
					t.Fatalf("got %v, want a RemoteError from %s/%s containing %q", err, tc.to, tc.cmd, tc.remote)
				}
			case tc.wantErr != nil:
				for _, w := range tc.wantErr {
					if !errors.Is(err, w) {
						t.Fatalf("got %v, want an error wrapping %v", err, w)
					}
				}
			default:
				if err != nil || string(rep) != tc.want {
					t.Fatalf("got %q, %v; want %q", rep, err, tc.want)
				}
			}
		})
	}
	// A hanging handler is bounded by RPCTimeout when ctx has no deadline.
	start := time.Now()
	if _, err := a.Call(context.Background(), "b", "hang", nil); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("call to a hanging handler: %v after %v", err, time.Since(start))
	}
}

func TestJoinRefusesIDCollision(t *testing.T) {
	ctx := testCtx(t)
	r := formRing(t, 3, smallConfig(), 5)
	victim := r.live()[2].Self()
	dup := r.add("dup", victim.ID)
	err := dup.Join(ctx, "n0")
	if !errors.Is(err, chord.ErrIDCollision) {
		t.Fatalf("join with the ID of %s: %v, want ErrIDCollision", victim.Addr, err)
	}
	if !strings.Contains(err.Error(), victim.Addr) {
		t.Fatalf("collision error %q does not name the node holding the ID", err)
	}
	if dup.Joined() {
		t.Fatal("node joined despite the collision")
	}
}

func TestJoinErrors(t *testing.T) {
	ctx := testCtx(t)
	r := newMemRing(t, 1, smallConfig())
	a := r.add("a", chord.IDFromUint64(16, 1))
	b := r.add("b", chord.IDFromUint64(16, 2))
	if err := b.Join(ctx, "a"); !errors.Is(err, chord.ErrNotJoined) {
		t.Fatalf("join via a node that has no ring: %v, want ErrNotJoined", err)
	}
	if err := b.Join(ctx, "nowhere"); !errors.Is(err, chord.ErrLookupFailed) {
		t.Fatalf("join via a dead address: %v, want ErrLookupFailed", err)
	}
	if err := b.Join(ctx, "b"); err == nil {
		t.Fatal("join via itself succeeded")
	}
	a.Create()
	if err := b.Join(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := b.Join(ctx, "a"); err == nil {
		t.Fatal("second join succeeded")
	}
}

func TestLeaveHandsOverAtOnce(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	r := formRing(t, 4, cfg, 8)
	live := r.live()
	// Pick a node and its true neighbours from the ideal ring.
	leaver := live[3]
	pred := leaver.Predecessor()
	succ := leaver.Successors()[0]
	if err := leaver.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	byAddr := map[string]*chord.Node{}
	for _, n := range r.live() {
		byAddr[n.Self().Addr] = n
	}
	if got := byAddr[pred.Addr].Successors()[0]; got != succ {
		t.Fatalf("right after Leave, predecessor's successor is %v, want %v", got, succ)
	}
	if got := byAddr[succ.Addr].Predecessor(); got != pred {
		t.Fatalf("right after Leave, successor's predecessor is %v, want %v", got, pred)
	}
	if err := leaver.Leave(ctx); !errors.Is(err, chord.ErrNotJoined) {
		t.Fatalf("second Leave: %v, want ErrNotJoined", err)
	}
	// The r-1 nodes before pred still list the leaver; r rounds of
	// stabilize clear it (each round moves the news one node back), and a
	// finger cycle repairs fingers.
	rng := rand.New(rand.NewSource(4))
	rounds := 0
	for ; len(r.ideal(true)) > 0 && rounds <= cfg.SuccessorListLen+cfg.Bits; rounds++ {
		r.round(ctx, rng)
	}
	if v := r.ideal(true); len(v) > 0 {
		t.Fatalf("not ideal %d rounds after a leave: %v", rounds, v)
	}
	for i := 0; i < 50; i++ {
		key := chord.IDFromUint64(16, uint64(rng.Intn(1<<16)))
		res, err := live[0].Lookup(ctx, key)
		if err != nil || res.Owner != r.trueOwner(key) || res.Owner.Addr == leaver.Self().Addr {
			t.Fatalf("lookup %s after leave: %v %v", key.Short(16), res.Owner, err)
		}
	}
}

func TestLeaveDownToOneNode(t *testing.T) {
	ctx := testCtx(t)
	r := formRing(t, 5, smallConfig(), 3)
	live := r.live()
	for _, n := range live[:2] {
		if err := n.Leave(ctx); err != nil {
			t.Fatal(err)
		}
	}
	last := live[2]
	if err := last.Stabilize(ctx); err != nil {
		t.Fatal(err)
	}
	if v := r.ideal(false); len(v) > 0 {
		t.Fatalf("the last node is not a one-node ring: %v", v)
	}
	res, err := last.Lookup(ctx, chord.IDFromUint64(16, 77))
	if err != nil || res.Owner != last.Self() {
		t.Fatalf("lookup on the last node: %v %v", res.Owner, err)
	}
}

// TestStatusViewStaysAsItWas checks the view the stable monitor reads: it
// shares the node's fingers, so a change the node makes afterwards must go
// to a copy, never into the view.
func TestStatusViewStaysAsItWas(t *testing.T) {
	ctx := testCtx(t)
	r := formRing(t, 4, smallConfig(), 8)
	live := r.live()
	pred := live[3].Predecessor()
	var n *chord.Node
	for _, m := range live {
		if m.Self() == pred {
			n = m
		}
	}
	view := n.StatusView()
	want := slices.Clone(view.Fingers)
	if !slices.Contains(want, live[3].Self()) {
		t.Fatal("the predecessor has no finger at its successor")
	}
	if err := live[3].Leave(ctx); err != nil { // its predecessor clears the fingers at it
		t.Fatal(err)
	}
	if slices.Contains(n.Status().Fingers, live[3].Self()) {
		t.Fatal("the node still has a finger at the node that left")
	}
	if !slices.Equal(view.Fingers, want) {
		t.Fatal("a view taken before the leave changed with the node's fingers")
	}
}

func TestStatusIsADeepCopy(t *testing.T) {
	r := formRing(t, 6, smallConfig(), 4)
	n := r.live()[0]
	st := n.Status()
	want := n.Status()
	st.Successors[0] = chord.NodeRef{Addr: "scribble"}
	st.Fingers[0] = chord.NodeRef{Addr: "scribble"}
	s := n.Successors()
	s[0] = chord.NodeRef{Addr: "scribble"}
	got := n.Status()
	if got.Successors[0] != want.Successors[0] || got.Fingers[0] != want.Fingers[0] {
		t.Fatal("changing a returned Status or Successors slice changed the node")
	}
	if !got.Joined || got.R != 4 || got.Bits != 16 || len(got.Fingers) != 16 || got.Rounds == 0 {
		t.Fatalf("status fields: %+v", got)
	}
}

func TestEventsNeverBlock(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	events := make(chan chord.Event, 4) // tiny and never drained during formation
	cfg.Events = events
	r := newMemRing(t, 7, cfg)
	rng := rand.New(rand.NewSource(7))
	for i, id := range distinctIDs(rng, 16, 6) {
		n := r.add(fmt.Sprintf("n%d", i), id)
		if i == 0 {
			n.Create()
		} else if err := n.Join(ctx, "n0"); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 10; i++ {
		r.round(ctx, rng)
	}
	var dropped uint64
	for _, st := range r.statuses() {
		dropped += st.EventsDropped
	}
	if len(events) != cap(events) || dropped == 0 {
		t.Fatalf("full sink: %d queued, %d dropped; want a full channel and drops counted", len(events), dropped)
	}
	first := <-events
	if first.Kind != chord.EventJoined || first.Node.Addr != "n0" || first.Time.IsZero() {
		t.Fatalf("first event %+v, want n0 joined", first)
	}
	// Upper layers emit through the same sink.
	for len(events) > 0 {
		<-events
	}
	r.nodes[0].Emit(chord.Event{Kind: chord.EventKeysMoved, Detail: "3 keys"})
	if e := <-events; e.Kind != chord.EventKeysMoved || e.Node != r.nodes[0].Self() {
		t.Fatalf("emitted event came back as %+v", e)
	}
}

func TestEventsReportRepairs(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	events := make(chan chord.Event, 1024)
	cfg.Events = events
	r := formRing(t, 8, cfg, 6)
	for len(events) > 0 {
		<-events
	}
	victim := r.live()[2]
	r.crash(victim)
	rng := rand.New(rand.NewSource(8))
	r.round(ctx, rng)
	r.round(ctx, rng)
	seen := map[chord.EventKind]bool{}
	for len(events) > 0 {
		e := <-events
		if e.Old == victim.Self() {
			seen[e.Kind] = true
		}
	}
	for _, k := range []chord.EventKind{chord.EventFailureDetected, chord.EventSuccessorChanged, chord.EventPredecessorChanged} {
		if !seen[k] {
			t.Errorf("no %q event about the crashed node", k)
		}
	}
}

// Garbage on every method gets an error reply; the node keeps working.
func TestBadRequestsDoNotHurtTheNode(t *testing.T) {
	ctx := testCtx(t)
	r := formRing(t, 9, smallConfig(), 6)
	probe, err := r.nw.Endpoint("probe")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(9))
	target := r.live()[1].Self().Addr
	methods := []string{"chord.step", "chord.state", "chord.ping", "chord.leaving", "cmd.nothing", "chord.unknown", ""}
	for i := 0; i < 2000; i++ {
		req := make([]byte, rng.Intn(80))
		rng.Read(req)
		if i%3 == 0 && len(req) > 0 {
			req[0] = byte(rng.Intn(3)) // plausible flag/role bytes go deeper
		}
		if _, err := probe.Call(ctx, target, methods[rng.Intn(len(methods))], req); err != nil {
			t.Fatalf("garbage call returned a transport error: %v", err)
		}
	}
	if v := chord.CheckInvariants(r.statuses()); len(v) > 0 {
		t.Fatalf("garbage broke the ring: %v", v)
	}
	for i := 0; i < 20; i++ {
		key := chord.IDFromUint64(16, uint64(rng.Intn(1<<16)))
		if res, err := r.live()[0].Lookup(ctx, key); err != nil || res.Owner != r.trueOwner(key) {
			t.Fatalf("lookup after garbage: %v %v", res.Owner, err)
		}
	}
}

// A corrupted ring whose successors loop without reaching the owner must
// still end every lookup, with ErrLookupFailed, within MaxLookupSteps calls.
func TestLookupIsBounded(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	cfg.MaxLookupSteps = 6
	r := newMemRing(t, 10, cfg)
	var refs []chord.NodeRef
	for i := 0; i < 12; i++ {
		refs = append(refs, r.add(fmt.Sprintf("n%d", i), chord.IDFromUint64(16, uint64(1000*(i+1)))).Self())
	}
	// Every node knows only its successor (no long fingers), so reaching a
	// key on the far side takes 11 steps: more than the limit.
	for i, n := range r.nodes {
		n.SetStateForTest(refs[(i+11)%12], []chord.NodeRef{refs[(i+1)%12]}, nil)
	}
	before := r.nw.Calls()
	_, err := r.nodes[0].Lookup(ctx, chord.IDFromUint64(16, 11500))
	if !errors.Is(err, chord.ErrLookupFailed) {
		t.Fatalf("lookup on a broken ring: %v, want ErrLookupFailed", err)
	}
	if calls := r.nw.Calls() - before; calls > uint64(cfg.MaxLookupSteps) {
		t.Fatalf("lookup made %d calls, limit %d", calls, cfg.MaxLookupSteps)
	}
	if st := r.nodes[0].Status(); st.LookupFailures != 1 || st.Lookups != 1 {
		t.Fatalf("counters: %d lookups, %d failures", st.Lookups, st.LookupFailures)
	}
}

// The path tells a student which entry was used and why.
func TestLookupPathExplainsEachHop(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	r := newMemRing(t, 11, cfg)
	ids := []uint64{0x1000, 0x3000, 0x5000, 0x7000, 0x9000, 0xb000, 0xd000, 0xf000}
	for i, v := range ids {
		n := r.add(fmt.Sprintf("n%d", i), chord.IDFromUint64(16, v))
		if i == 0 {
			n.Create()
		} else if err := n.Join(ctx, "n0"); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewSource(11))
	for i := 0; i < 60 && len(r.ideal(true)) > 0; i++ {
		r.round(ctx, rng)
	}
	if v := r.ideal(true); len(v) > 0 {
		t.Fatal(v)
	}
	// From 1000, key e000: finger[15] (start 9000) is 9000, whose successor
	// list [b000 d000 f000 1000] has f000 as the first entry at or after e000.
	res, err := r.nodes[0].Lookup(ctx, chord.IDFromUint64(16, 0xe000))
	if err != nil {
		t.Fatal(err)
	}
	type hop struct{ addr, via, reason string }
	want := []hop{
		{"n4", "finger[16]", "closest preceding e000 known to this node (its finger[16], start 9000)"},
		{"n7", "successor list[2]", "e000 ∈ (9000, f000]: first live entry of 9000's successor list at or after e000 owns it"},
	}
	if len(res.Path) != len(want) || res.Hops != len(want) || res.Timeouts != 0 || res.Owner.Addr != "n7" {
		t.Fatalf("path %+v (hops %d, owner %v), want %d hops ending at n7", res.Path, res.Hops, res.Owner, len(want))
	}
	for i, w := range want {
		h := res.Path[i]
		if h.Node.Addr != w.addr || h.Via != w.via || h.Reason != w.reason || h.Err != "" {
			t.Errorf("hop %d = {%s %q %q %q}, want {%s %q %q}", i, h.Node.Addr, h.Via, h.Reason, h.Err, w.addr, w.via, w.reason)
		}
	}
	// A crashed hop is shown with its error, and the lookup falls back.
	r.crash(r.nodes[4])
	res, err = r.nodes[0].Lookup(ctx, chord.IDFromUint64(16, 0xe000))
	if err != nil || res.Owner.Addr != "n7" || res.Timeouts != 1 {
		t.Fatalf("with 9000 crashed: owner %v, %d timeouts, err %v", res.Owner, res.Timeouts, err)
	}
	if h := res.Path[0]; h.Node.Addr != "n4" || h.Err == "" {
		t.Fatalf("first hop %+v, want the failed call to n4", h)
	}
	if h := res.Path[1]; !strings.HasPrefix(h.Reason, "next-best after a failed hop") {
		t.Fatalf("fallback hop reason %q", h.Reason)
	}
}

func TestShortIDMatchesLabel(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	for _, bits := range []int{6, 7, 8, 9, 16, 23, 24, 25, 64, 159, 160} {
		for i := 0; i < 50; i++ {
			var raw chord.ID
			rng.Read(raw[:])
			id := raw.Mask(bits)
			if got, want := chord.ShortIDForTest(id, bits), id.Label(bits); got != want {
				t.Fatalf("bits %d id %x: shortID %q, Label %q", bits, id, got, want)
			}
		}
	}
}

// With a liveness window, an owner that answered recently is not pinged
// again; a crash, which closes the connection, ends that trust at once.
func TestLivenessWindowSkipsThePing(t *testing.T) {
	ctx := testCtx(t)
	cfg := smallConfig()
	cfg.LivenessWindow = time.Hour // long enough that timing plays no part
	r := buildIdeal(t, 41, cfg, 8, true)
	p := r.nodes[2] // nodes are in ID order
	owner, next := r.nodes[3], r.nodes[4]
	key := owner.Self().ID // owned by owner; p's successor
	first, err := p.Lookup(ctx, key)
	if err != nil || first.Owner != owner.Self() || first.Hops != 1 {
		t.Fatalf("first lookup: owner %v, %d hops, %v; want a ping to the owner", first.Owner.Addr, first.Hops, err)
	}
	second, err := p.Lookup(ctx, key)
	if err != nil || second.Owner != owner.Self() || second.Hops != 0 || len(second.Path) != 0 ||
		second.OwnerCheck != chord.OwnerHeard || !strings.Contains(second.OwnerReason, "no ping") {
		t.Fatalf("second lookup: owner %v (%v: %q), %d hops, path %+v; want the owner heard from, without a call",
			second.Owner.Addr, second.OwnerCheck, second.OwnerReason, second.Hops, second.Path)
	}
	r.crash(owner)
	// The transport reports the connection gone (chord.ConnectionReporter):
	// the trust ends with the crash, before any call to the owner fails.
	third, err := p.Lookup(ctx, key)
	if err != nil || third.Owner != next.Self() {
		t.Fatalf("right after the crash: owner %v, %v; want %s", third.Owner.Addr, err, next.Self().Addr)
	}
}

// The node that names the owner vouches for it when the owner answered
// it within its liveness window: the asker then takes the owner without a
// ping of its own, one call less per lookup. Without a window every owner
// is pinged.
func TestLookupTakesAnOwnerTheLastHopVouchesFor(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window time.Duration
		opts   chord.LookupOptions
		calls  int // step call to the owner's predecessor, then the ping if any
	}{
		{"no window: ping", 0, chord.LookupOptions{}, 2},
		{"window: vouched", time.Hour, chord.LookupOptions{}, 1},
		{"window, PingOwner: ping", time.Hour, chord.LookupOptions{PingOwner: true}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			cfg := smallConfig()
			cfg.LivenessWindow = tc.window
			r := buildIdeal(t, 43, cfg, 8, true)
			origin, pred, owner := r.nodes[0], r.nodes[4], r.nodes[5] // nodes are in ID order
			if err := pred.Stabilize(ctx); err != nil {               // pred hears from owner, its successor
				t.Fatal(err)
			}
			key := owner.Self().ID
			before := r.nw.Calls()
			res, err := origin.LookupWith(ctx, key, tc.opts)
			calls := int(r.nw.Calls() - before)
			if err != nil || res.Owner != owner.Self() {
				t.Fatalf("owner %v, %v; want %s", res.Owner.Addr, err, owner.Self().Addr)
			}
			if res.OwnerNamedBy != pred.Self() {
				t.Fatalf("owner named by %s, want its predecessor %s", res.OwnerNamedBy.Addr, pred.Self().Addr)
			}
			if calls != tc.calls || len(res.Path) != calls {
				t.Fatalf("%d calls, want %d; path %+v", calls, tc.calls, res.Path)
			}
			vouched := tc.window > 0 && !tc.opts.PingOwner
			want := chord.OwnerPinged
			if vouched {
				want = chord.OwnerVouched
			}
			if res.OwnerCheck != want || vouched != strings.Contains(res.OwnerReason, "which heard from it") {
				t.Fatalf("owner check %v, reason %q; want %v", res.OwnerCheck, res.OwnerReason, want)
			}
		})
	}
}
