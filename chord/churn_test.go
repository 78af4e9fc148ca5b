package chord_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/chord/chordtest"
)

var (
	churnSchedules      = flag.Int("chord.churn", 0, "number of seeded churn schedules TestChurn runs (default 200, or $CHORD_CHURN)")
	churnVouched        = flag.Int("chord.churn.vouched", 0, "number of seeded churn schedules TestChurnVouchedOwners runs (default 100, or $CHORD_CHURN_VOUCHED)")
	churnFaultSchedules = flag.Int("chord.churn.faults", 0, "number of seeded churn schedules with pauses and partitions TestChurnFaults runs (default 20, or $CHORD_CHURN_FAULTS)")
	churnConcurrent     = flag.Int("chord.churn.concurrent", 0, "number of concurrent churn schedules TestChurnConcurrent runs (default 30, or $CHORD_CHURN_CONCURRENT)")
	churnSeed           = flag.Int64("chord.churn.seed", -1, "run only the churn schedule with this seed (replay a failure)")
)

// churnSuite says how many seeded schedules one of the churn tests runs and
// how it reports failures.
type churnSuite struct {
	flag  *int   // the -chord.churn… flag; 0: not given
	env   string // else this environment variable
	def   int    // else this many
	short int    // at most this many with -short (0: no limit)
	// keepGoing runs every schedule and names all failing seeds; otherwise
	// the first failure (printed with its schedule) ends the test.
	keepGoing bool
}

// count is the number of schedules: the flag, else the environment
// variable, else the default; capped with -short.
func (s churnSuite) count(t *testing.T) int {
	t.Helper()
	n := s.def
	if *s.flag > 0 {
		n = *s.flag
	} else if v := os.Getenv(s.env); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number of schedules", s.env, v)
		}
	}
	if testing.Short() && s.short > 0 {
		n = min(n, s.short)
	}
	return n
}

// run runs the schedules with seeds 1…count as subtests (or only the one
// -chord.churn.seed names, to replay a failure).
func (s churnSuite) run(t *testing.T, schedule func(t *testing.T, seed uint64)) {
	t.Helper()
	if *churnSeed >= 0 {
		schedule(t, uint64(*churnSeed))
		return
	}
	n := s.count(t)
	var failed []uint64
	for seed := uint64(1); seed <= uint64(n); seed++ {
		if t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { schedule(t, seed) }) {
			continue
		}
		if !s.keepGoing {
			return // one printed failure is enough; replay it with -chord.churn.seed
		}
		failed = append(failed, seed)
	}
	if len(failed) > 0 {
		t.Errorf("%d of %d schedules failed; seeds %v", len(failed), n, failed)
	}
}

// TestChurn runs seeded random schedules of joins, crashes, graceful leaves
// and single maintenance steps over the in-memory network, and checks that
//
//   - Zave's invariants 1–8 (chord.CheckInvariants) hold after every single
//     step, from the moment the initial ring of ≥ r+1 nodes is ideal;
//   - after the last event, full maintenance rounds make the ring ideal,
//     fingers included (chord.CheckIdeal), within churnSettleBound rounds;
//   - a lookup after each event succeeds with a live owner, and lookups on
//     the settled ring return the true owner (what get/set rely on).
//
// Failures are only injected when Zave's precondition for Fail allows them
// (TSE 2017; the Fail operation of her Alloy model): the failing node must not be the
// last live entry of any member's successor list, and a principal may only
// fail while there are more than r+1 principals. In particular r or more
// consecutive members are never lost between repairs. A graceful leave is
// held to the same precondition: Zave's proof covers departures only as
// failures, the notifications a leave sends are a bonus.
//
// A failing schedule prints its seed and every step; replay it with
//
//	go test ./chord -run 'TestChurn$' -chord.churn.seed=SEED -v
func TestChurn(t *testing.T) {
	churnSuite{flag: churnSchedules, env: "CHORD_CHURN", def: 200, short: 40}.run(t, func(t *testing.T, seed uint64) { runChurn(t, seed, 0) })
}

// TestChurnVouchedOwners runs the same schedules with a liveness window
// longer than any schedule, so that every owner a node heard from is
// vouched for on time alone: only the transport's connection check
// (chordtest's Connected, like netmux's) keeps a crashed or departed owner
// out of lookups. Every lookup must still return a live member, and the
// true owner once the ring is ideal.
func TestChurnVouchedOwners(t *testing.T) {
	churnSuite{flag: churnVouched, env: "CHORD_CHURN_VOUCHED", def: 100, short: 20}.run(t, func(t *testing.T, seed uint64) { runChurn(t, seed, time.Hour) })
}

// churnRing is the state of one schedule: every node ever started, which
// are crashed or gone, and the log of steps for the failure report.
type churnRing struct {
	t     *testing.T
	seed  uint64
	rng   *rand.Rand
	nw    *chordtest.Network
	cfg   chord.Config
	nodes []*chord.Node
	gone  map[string]bool // crashed or left
	ids   map[chord.ID]bool
	log   []string
	ctx   context.Context
	// joinFailures indexes the log lines of joins that failed.
	joinFailures []int
}

// churnSettleBound is the number of full rounds within which the ring must
// become ideal after the last event. From any state satisfying the
// invariant, successors settle in at most n rounds (each round at least one
// more member gets its true successor, appendages included), predecessors
// one round later, lists r-1 rounds after that, and fingers need min(m, n)+1
// rounds of fix_fingers (one distinct finger per round); +1 for the round
// that finds the first dead entry.
func churnSettleBound(n, r, bits int) int {
	return n + 1 + (r - 1) + min(bits, n) + 1 + 1
}

const churnMaxNodes = 12

// newChurnRing starts the schedule seed: its random choices come from a PCG
// seeded with (seed, stream), so each test draws its own schedules; m is
// 8..16 bits and r is 2..4.
func newChurnRing(t *testing.T, seed, stream uint64, rpcTimeout time.Duration) *churnRing {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	rng := rand.New(rand.NewPCG(seed, stream))
	cfg := chord.DefaultConfig()
	cfg.Bits = 8 + rng.IntN(9)
	cfg.SuccessorListLen = 2 + rng.IntN(3)
	cfg.RPCTimeout = rpcTimeout
	return &churnRing{t: t, seed: seed, rng: rng, nw: chordtest.NewNetwork(int64(seed)), cfg: cfg,
		gone: map[string]bool{}, ids: map[chord.ID]bool{}, ctx: ctx}
}

// form creates a ring of r+extra..r+extra+3 nodes and lets it become ideal:
// Zave's invariant only holds from an ideal ring of at least r+1 members.
func (c *churnRing) form(extra int) {
	c.t.Helper()
	r := c.cfg.SuccessorListLen
	initial := r + extra + c.rng.IntN(4)
	first := c.start()
	first.Create()
	c.logf("create %s", c.name(first))
	for len(c.live()) < initial {
		c.join()
	}
	c.settle("initial ring", churnSettleBound(initial, r, c.cfg.Bits)+initial)
	c.checkInvariants("initial ring")
}

// settleIdeal runs full rounds until the ring is ideal (at most
// churnSettleBound + slack rounds), checks the invariants and then that
// lookups from random members find the true owners.
func (c *churnRing) settleIdeal(what string, slack int) {
	c.t.Helper()
	c.settle(what, churnSettleBound(len(c.live()), c.cfg.SuccessorListLen, c.cfg.Bits)+slack)
	c.checkInvariants(what + ": settled")
	for range 10 {
		c.lookup(true)
	}
}

func runChurn(t *testing.T, seed uint64, livenessWindow time.Duration) {
	// Nothing is paused: a crash fails at once.
	c := newChurnRing(t, seed, 0xc40d, 5*time.Second)
	c.cfg.LivenessWindow = livenessWindow
	c.form(1)
	c.events(func() { c.lookup(false) })
	c.settleIdeal("after the last event", 0)

	if len(c.joinFailures) > 0 {
		c.fatalf("%d joins failed although the invariants held (first at step %d)", len(c.joinFailures), c.joinFailures[0])
	}
}

// events runs the churn schedule: 15 to 40 joins, crashes and graceful
// leaves, with maintenance steps between them, checking the invariants
// after each and calling after once each event happened.
func (c *churnRing) events(after func()) {
	rng := c.rng
	events := 15 + rng.IntN(26)
	for e := 0; e < events; {
		if rng.IntN(10) < 6 {
			c.maintenanceStep()
			c.checkInvariants(c.log[len(c.log)-1])
			continue
		}
		var did bool
		switch k := rng.IntN(3); {
		case k == 0 && len(c.live()) < churnMaxNodes:
			did = c.join()
		case k == 1:
			did = c.fail(false)
		default:
			did = c.fail(true)
		}
		if did {
			e++
			c.checkInvariants(c.log[len(c.log)-1])
			after()
		}
	}
}

func (c *churnRing) logf(format string, args ...any) {
	c.log = append(c.log, fmt.Sprintf(format, args...))
}

// fatalf reports a failure with the seed and the whole schedule.
func (c *churnRing) fatalf(format string, args ...any) {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, format, args...)
	test, _, _ := strings.Cut(c.t.Name(), "/")
	fmt.Fprintf(&b, "\n\nseed %d (m=%d, r=%d); replay: go test ./chord -run '%s$' -chord.churn.seed=%d -v\nschedule:\n", c.seed, c.cfg.Bits, c.cfg.SuccessorListLen, test, c.seed)
	for i, l := range c.log {
		fmt.Fprintf(&b, "  %3d %s\n", i, l)
	}
	b.WriteString("state:\n")
	for _, st := range c.statuses() {
		fmt.Fprintf(&b, "  %s pred=%s succ=%s\n", c.ref(st.Self), c.ref(st.Predecessor), c.refs(st.Successors))
	}
	for _, n := range c.live() {
		fmt.Fprintf(&b, "  %s unification hints=%v\n", c.name(n), n.UnifyHintsForTest())
	}
	c.t.Fatal(b.String())
}

func (c *churnRing) ref(r chord.NodeRef) string {
	if r.IsZero() {
		return "nil"
	}
	s := r.ID.Hex(c.cfg.Bits) + "@" + r.Addr
	if c.gone[r.Addr] {
		s += "†"
	}
	return s
}

func (c *churnRing) refs(rs []chord.NodeRef) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = c.ref(r)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func (c *churnRing) name(n *chord.Node) string { return c.ref(n.Self()) }

// start creates an unjoined node with a fresh identifier.
func (c *churnRing) start() *chord.Node {
	addr := fmt.Sprintf("n%02d", len(c.nodes))
	var id chord.ID
	for {
		id = chord.IDFromUint64(c.cfg.Bits, c.rng.Uint64())
		if !c.ids[id] {
			break
		}
	}
	c.ids[id] = true
	ep, err := c.nw.Endpoint(addr)
	if err != nil {
		c.fatalf("endpoint %s: %v", addr, err)
	}
	cfg := c.cfg
	cfg.ID, cfg.HasID = id, true
	n, err := chord.NewNode(cfg, ep)
	if err != nil {
		c.fatalf("new node %s: %v", addr, err)
	}
	c.nodes = append(c.nodes, n)
	return n
}

// live returns the joined nodes that have neither crashed nor left.
func (c *churnRing) live() []*chord.Node {
	var out []*chord.Node
	for _, n := range c.nodes {
		if !c.gone[n.Self().Addr] && n.Joined() {
			out = append(out, n)
		}
	}
	return out
}

func (c *churnRing) statuses() []chord.Status {
	live := c.live()
	out := make([]chord.Status, len(live))
	for i, n := range live {
		out[i] = n.Status()
	}
	return out
}

func (c *churnRing) pick(ns []*chord.Node) *chord.Node { return ns[c.rng.IntN(len(ns))] }

// join starts a node and joins it via a random live member.
func (c *churnRing) join() bool {
	via := c.pick(c.live())
	n := c.start()
	c.logf("join %s via %s", c.name(n), c.name(via))
	if err := n.Join(c.ctx, via.Self().Addr); err != nil {
		c.logf("  join failed: %v", err)
		c.joinFailures = append(c.joinFailures, len(c.log)-1)
		c.nw.Crash(n.Self().Addr) // it never became a member; give up on it
		c.gone[n.Self().Addr] = true
		return false
	}
	return true
}

// maintenanceStep runs one maintenance operation on a random live member.
func (c *churnRing) maintenanceStep() {
	n := c.pick(c.live())
	var err error
	switch c.rng.IntN(3) {
	case 0:
		c.logf("stabilize %s", c.name(n))
		err = n.Stabilize(c.ctx)
	case 1:
		c.logf("fix_fingers %s", c.name(n))
		err = n.FixFingers(c.ctx)
	default:
		c.logf("check_predecessor %s", c.name(n))
		err = n.CheckPredecessor(c.ctx)
	}
	if err != nil && c.ctx.Err() != nil {
		c.fatalf("%s: %v", c.log[len(c.log)-1], err)
	}
}

// mayFail reports whether Zave's Fail precondition allows n to fail now.
func mayFail(sts []chord.Status, n chord.NodeRef) bool {
	live := map[string]bool{}
	r := 0
	for _, st := range sts {
		live[st.Self.Addr] = true
		r = max(r, st.R)
	}
	for _, st := range sts {
		if st.Self.Addr == n.Addr || !slices.ContainsFunc(st.Successors, func(e chord.NodeRef) bool { return e.Addr == n.Addr }) {
			continue
		}
		// n is in st's list: some other entry must be live.
		if !slices.ContainsFunc(st.Successors, func(e chord.NodeRef) bool { return e.Addr != n.Addr && live[e.Addr] }) {
			return false
		}
	}
	p := chord.Principals(sts)
	if slices.Contains(p, n) && len(p) <= r+1 {
		return false
	}
	return true
}

// fail crashes (or, if leave, gracefully removes) a random member that
// Zave's precondition allows to fail. It reports false if none may.
func (c *churnRing) fail(leave bool) bool {
	sts := c.statuses()
	var ok []*chord.Node
	for _, n := range c.live() {
		if mayFail(sts, n.Self()) {
			ok = append(ok, n)
		}
	}
	if len(ok) == 0 {
		return false
	}
	n := c.pick(ok)
	if leave {
		c.logf("leave %s", c.name(n))
		// A neighbour that is already dead cannot be told; Leave reports
		// it and departs anyway (the rounds repair the rest).
		if err := n.Leave(c.ctx); err != nil {
			c.logf("  leave: %v", err)
		}
	} else {
		c.logf("crash %s", c.name(n))
	}
	// A departed node stops answering either way (the in-memory network has
	// no "closed" state other than a crash).
	c.nw.Crash(n.Self().Addr)
	c.gone[n.Self().Addr] = true
	return true
}

// lookup resolves a random key from a random live member. It must succeed
// with a live owner while the invariants hold; once the ring is ideal
// (exact) the owner must be the key's true successor.
func (c *churnRing) lookup(exact bool) {
	c.t.Helper()
	from := c.pick(c.live())
	key := chord.IDFromUint64(c.cfg.Bits, c.rng.Uint64())
	c.logf("lookup %s from %s", key.Hex(c.cfg.Bits), c.name(from))
	calls := c.nw.Calls()
	res, err := from.Lookup(c.ctx, key)
	if err != nil {
		c.fatalf("lookup %s from %s failed although the invariants hold: %v", key.Hex(c.cfg.Bits), c.name(from), err)
	}
	if p := numberingProblems(from.Self(), res, int(c.nw.Calls()-calls)); len(p) > 0 {
		c.fatalf("lookup %s from %s: %s", key.Hex(c.cfg.Bits), c.name(from), strings.Join(p, "; "))
	}
	sts := c.statuses()
	owner := chord.NodeRef{}
	for _, st := range sts {
		if owner.IsZero() || chord.Distance(c.cfg.Bits, key, st.Self.ID).Cmp(chord.Distance(c.cfg.Bits, key, owner.ID)) < 0 {
			owner = st.Self
		}
	}
	if !slices.ContainsFunc(sts, func(st chord.Status) bool { return st.Self == res.Owner }) {
		c.fatalf("lookup %s from %s returned %s, which is not a live member", key.Hex(c.cfg.Bits), c.name(from), c.ref(res.Owner))
	}
	if exact && res.Owner != owner && res.Timeouts > 0 {
		// A call that timed out (deadlines of 5 ms in TestChurnFaults, on a
		// busy machine) makes a lookup take the next node, as it must for a
		// node that does not answer: the ring is ideal, so ask once more.
		c.logf("  %d call(s) timed out, owner %s: lookup again", res.Timeouts, c.ref(res.Owner))
		if res, err = from.Lookup(c.ctx, key); err != nil {
			c.fatalf("lookup %s from %s failed although the ring is ideal: %v", key.Hex(c.cfg.Bits), c.name(from), err)
		}
	}
	if exact && res.Owner != owner {
		c.fatalf("lookup %s from %s on the ideal ring returned %s (%d calls timed out), but the owner is %s",
			key.Hex(c.cfg.Bits), c.name(from), c.ref(res.Owner), res.Timeouts, c.ref(owner))
	}
}

func (c *churnRing) checkInvariants(after string) {
	c.t.Helper()
	if vs := chord.CheckInvariants(c.statuses()); len(vs) > 0 {
		c.fatalf("after %q, %d invariant violations:\n%s", after, len(vs), violationText(vs))
	}
}

// settle runs full rounds (every live member in random order: stabilize,
// check_predecessor, fix_fingers) until the ring is ideal with fingers,
// and fails if that takes more than bound rounds.
func (c *churnRing) settle(what string, bound int) {
	c.t.Helper()
	for round := 0; ; round++ {
		vs := chord.CheckIdeal(c.statuses(), true)
		if len(vs) == 0 {
			c.logf("%s: ideal after %d rounds (bound %d)", what, round, bound)
			return
		}
		if round == bound {
			c.fatalf("%s: not ideal after %d full rounds:\n%sinvariants:\n%s", what, bound, violationText(vs), violationText(chord.CheckInvariants(c.statuses())))
		}
		live := c.live()
		c.rng.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
		for _, n := range live {
			_ = n.Stabilize(c.ctx)
			_ = n.CheckPredecessor(c.ctx)
			_ = n.FixFingers(c.ctx)
		}
		c.logf("%s: round %d", what, round+1)
	}
}

func violationText(vs []chord.Violation) string {
	var b strings.Builder
	for i, v := range vs {
		if i == 20 {
			fmt.Fprintf(&b, "  … and %d more\n", len(vs)-i)
			break
		}
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
}

// TestChurnFaults adds what Zave's model leaves out: nodes that are paused,
// links that are cut and nodes that are isolated, so that live nodes are
// suspected dead (the UI's pause and partition commands do exactly this).
// False suspicion can break the invariants for a while — a node may skip a
// live successor it could not reach — so they are not asserted during the
// faults; their violations are counted and logged. What is asserted: once
// every fault is healed, full rounds bring the ring back to ideal (fingers
// included) within churnSettleBound + 2 rounds, and the invariants hold.
// Without the ring unification of unify.go about one schedule in three
// ended with separate rings that never merged (two stable 3-node rings for
// seed 2; an isolated node turned into a one-node ring for seed 1).
//
// One thing no protocol can repair: live nodes that know nothing of one
// another — a node whose every acquaintance crashed or left, and that no
// live node has heard of. Such nodes are rejoined through a member, as an
// operator would restart them, before the ring must become ideal
// (rejoinStrangers; seed 33 of the first 2000 is one).
//
// 20 schedules by default (calls to paused nodes wait for a 5 ms RPC
// timeout); more with -chord.churn.faults=N or CHORD_CHURN_FAULTS=N; replay
// one with -run 'TestChurnFaults$' -chord.churn.seed=SEED.
func TestChurnFaults(t *testing.T) {
	// The schedules run one at a time (t.Run returns when each has ended).
	broken, n := 0, 0
	var rejoined []uint64
	churnSuite{flag: churnFaultSchedules, env: "CHORD_CHURN_FAULTS", def: 20, keepGoing: true}.run(t, func(t *testing.T, seed uint64) {
		n++
		b, r := runChurnFaults(t, seed)
		if b > 0 {
			broken++
		}
		if r > 0 {
			rejoined = append(rejoined, seed)
		}
	})
	t.Logf("%d of %d schedules broke an invariant while a fault was active (allowed; all repaired after healing); %d left a node cut off from every live node, rejoined: seeds %v", broken, n, len(rejoined), rejoined)
}

// runChurnFaults runs one schedule with faults and returns how many steps
// left the invariants broken while faults were active, and how many nodes
// had to be rejoined because no live node knew them after healing.
func runChurnFaults(t *testing.T, seed uint64) (brokenSteps, rejoined int) {
	c := newChurnRing(t, seed, 0xfa17, 5*time.Millisecond) // a paused peer costs one timeout per call
	rng := c.rng
	r := c.cfg.SuccessorListLen
	c.form(2)
	c.joinFailures = nil

	var paused []string // in the order they were paused: replays resume the same node
	events := 15 + rng.IntN(20)
	for e := 0; e < events; e++ {
		for k := rng.IntN(4); k > 0; k-- {
			c.maintenanceStep()
		}
		live := c.live()
		x := c.pick(live)
		addr := x.Self().Addr
		switch k := rng.IntN(8); k {
		case 0:
			c.logf("pause %s", c.name(x))
			c.nw.Pause(addr)
			if !slices.Contains(paused, addr) {
				paused = append(paused, addr)
			}
		case 1:
			if len(paused) > 0 {
				c.logf("resume %s", paused[0])
				c.nw.Resume(paused[0])
				paused = paused[1:]
			}
		case 2:
			y := c.pick(live)
			if y == x {
				continue
			}
			c.logf("cut %s – %s", c.name(x), c.name(y))
			c.nw.Cut(addr, y.Self().Addr)
		case 3:
			c.logf("isolate %s", c.name(x))
			c.nw.Isolate(addr)
		case 4:
			c.logf("heal partitions")
			c.nw.Heal()
		case 5:
			if len(live) < churnMaxNodes {
				c.join() // may fail under faults: Zave's join is retried later
			}
		case 6, 7:
			// Zave's precondition is judged on a state the faults may have
			// disturbed, so also keep at least r+2 members.
			if len(live) >= r+3 {
				c.fail(k == 7)
			}
		}
		if vs := chord.CheckInvariants(c.statuses()); len(vs) > 0 {
			brokenSteps++
		}
	}
	for _, a := range paused {
		c.nw.Resume(a)
	}
	c.nw.Heal()
	c.logf("resume all, heal partitions")
	c.joinFailures = nil // joins may fail under faults
	rejoined = c.rejoinStrangers()
	c.settleIdeal("after healing", 2)
	return brokenSteps, rejoined
}

// rejoinStrangers finds the groups of live nodes that know nothing of each
// other: node a knows b if b is a's predecessor, in its successor list or
// finger table, or a hint of a's ring unification (a lost node, a
// neighbour of its last stabilize round, a peer that has answered a); two
// nodes are in one group if a chain of "knows", in either direction, links
// them. No protocol can merge two such groups, so only the largest can
// become the ring: the nodes of the others leave and join again through
// one of its members, as an operator would restart them. It returns how
// many nodes it rejoined.
func (c *churnRing) rejoinStrangers() int {
	c.t.Helper()
	live := c.live()
	index := map[string]int{}
	for i, n := range live {
		index[n.Self().Addr] = i
	}
	group := make([]int, len(live)) // union-find
	for i := range group {
		group[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if group[i] != i {
			group[i] = find(group[i])
		}
		return group[i]
	}
	link := func(i int, addr string) {
		if j, ok := index[addr]; ok {
			group[find(i)] = find(j)
		}
	}
	for i, n := range live {
		st := n.Status()
		link(i, st.Predecessor.Addr)
		for _, r := range slices.Concat(st.Successors, st.Fingers) {
			link(i, r.Addr)
		}
		for _, addr := range n.UnifyHintsForTest() {
			link(i, addr)
		}
	}
	size := map[int]int{}
	biggest := -1
	for i := range live {
		g := find(i)
		size[g]++
		if biggest < 0 || size[g] > size[biggest] {
			biggest = g
		}
	}
	var members []*chord.Node
	for i, n := range live {
		if find(i) == biggest {
			members = append(members, n)
		}
	}
	rejoined := 0
	for i, n := range live {
		if find(i) == biggest {
			continue
		}
		via := c.pick(members)
		c.logf("rejoin %s via %s: no live node of the largest group knows it, nor it them", c.name(n), c.name(via))
		c.t.Logf("seed %d: %s", c.seed, c.log[len(c.log)-1])
		if err := n.Leave(c.ctx); err != nil {
			c.logf("  leave: %v", err)
		}
		if err := n.Join(c.ctx, via.Self().Addr); err != nil {
			c.fatalf("rejoin %s via %s: %v", c.name(n), c.name(via), err)
		}
		members = append(members, n)
		rejoined++
	}
	return rejoined
}

// TestChurnConcurrent is TestChurn with real concurrency: in each epoch every
// live member runs a few random maintenance operations in its own goroutine
// while a join (or a graceful leave) runs in another, all at once over the
// in-memory network. Zave's proof treats each operation as atomic; here
// they interleave at every remote call. When all goroutines of an epoch
// have returned (a consistent cut), the invariants must hold; crashes are
// applied between epochs under Zave's precondition. After the last epoch
// the ring must become ideal within churnSettleBound rounds.
//
// The interleavings depend on the Go scheduler, so a failing seed may not
// fail again on replay; its printed schedule still shows what happened.
// 30 schedules by default; -chord.churn.concurrent=N or
// CHORD_CHURN_CONCURRENT=N for more.
func TestChurnConcurrent(t *testing.T) {
	churnSuite{flag: churnConcurrent, env: "CHORD_CHURN_CONCURRENT", def: 30, short: 5}.run(t, runChurnConcurrent)
}

func runChurnConcurrent(t *testing.T, seed uint64) {
	c := newChurnRing(t, seed, 0xc0c0, 5*time.Second)
	rng, ctx := c.rng, c.ctx
	c.form(1)

	epochs := 10 + rng.IntN(15)
	for e := 0; e < epochs; e++ {
		live := c.live()
		// Plan the epoch with the (single-goroutine) rng, then run it.
		type job struct {
			n   *chord.Node
			ops []int // 0 stabilize, 1 fix_fingers, 2 check_predecessor
		}
		var jobs []job
		for _, n := range live {
			j := job{n: n}
			for k := 1 + rng.IntN(3); k > 0; k-- {
				j.ops = append(j.ops, rng.IntN(3))
			}
			jobs = append(jobs, j)
		}
		var joiner, via, leaver *chord.Node
		switch k := rng.IntN(4); {
		case k <= 1 && len(live) < churnMaxNodes:
			via = c.pick(live)
			joiner = c.start()
		case k == 2:
			sts := c.statuses()
			var ok []*chord.Node
			for _, n := range live {
				if mayFail(sts, n.Self()) {
					ok = append(ok, n)
				}
			}
			if len(ok) > 0 {
				leaver = c.pick(ok)
			}
		}
		desc := fmt.Sprintf("epoch %d:", e)
		for _, j := range jobs {
			desc += fmt.Sprintf(" %s%v", j.n.Self().Addr, j.ops)
		}
		if joiner != nil {
			desc += fmt.Sprintf(" + join %s via %s", c.name(joiner), c.name(via))
		}
		if leaver != nil {
			desc += fmt.Sprintf(" + leave %s", c.name(leaver))
		}
		c.logf("%s", desc)

		var wg sync.WaitGroup
		var joinErr error
		for _, j := range jobs {
			wg.Add(1)
			go func() { // exits after its planned operations
				defer wg.Done()
				for _, op := range j.ops {
					switch op {
					case 0:
						_ = j.n.Stabilize(ctx)
					case 1:
						_ = j.n.FixFingers(ctx)
					default:
						_ = j.n.CheckPredecessor(ctx)
					}
				}
			}()
		}
		if joiner != nil {
			wg.Add(1)
			go func() { // exits when the join returns
				defer wg.Done()
				joinErr = joiner.Join(ctx, via.Self().Addr)
			}()
		}
		if leaver != nil {
			wg.Add(1)
			go func() { // exits when the leave returns
				defer wg.Done()
				_ = leaver.Leave(ctx)
			}()
		}
		wg.Wait()
		if leaver != nil {
			c.nw.Crash(leaver.Self().Addr)
			c.gone[leaver.Self().Addr] = true
		}
		if joinErr != nil {
			c.fatalf("join %s via %s failed although the invariants held: %v", c.name(joiner), c.name(via), joinErr)
		}
		c.checkInvariants(desc)

		// Between epochs, sometimes crash a member Zave's precondition
		// allows to fail.
		if rng.IntN(3) == 0 && c.fail(false) {
			c.checkInvariants(c.log[len(c.log)-1])
		}
	}
	c.settleIdeal("after the last epoch", 0)
}
