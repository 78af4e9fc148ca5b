package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
	"github.com/chordtui/chordtui/netmux"
)

// member is one node of the cluster across its incarnations: the name,
// address and identifier stay; transport, node, store and driver are
// replaced on revive and nil while the node is down or has left.
type member struct {
	name string
	addr string
	id   chord.ID
	// incarnation counts starts (1 for the first).
	incarnation int

	// Guarded by Cluster.mu.
	state State
	tr    *netmux.Transport
	node  *chord.Node
	store *dht.Store
	drv   *chord.Driver
	// Faults the user set on this node.
	delay       time.Duration
	drop        float64
	partitioned bool
}

// Cluster is N chord+dht nodes on one host, each with its own TCP listener,
// talking over netmux. It is safe for concurrent use: the TUI calls
// Snapshot from its render loop while Exec runs commands.
//
// Goroutines: one translating chord events into Events, one evaluating the
// stable condition, plus each node's driver and transport. All of them exit
// in Close.
type Cluster struct {
	log    *slog.Logger
	faults *netmux.Faults

	// opMu serialises control operations (kill, revive, add, leave, pause,
	// maintenance, config) so that two never interleave.
	opMu sync.Mutex

	mu          sync.RWMutex // guards the fields below and every member's mutable fields
	cfg         Config
	members     []*member
	rng         *rand.Rand
	origin      string
	maintPaused bool
	lastFault   string
	lastFaultAt time.Time
	gen         uint64 // bumped at every fault; a stale monitor result is discarded
	stable      bool
	convergedIn time.Duration
	unstableWhy string
	closed      bool

	chordEvents chan chord.Event
	evMu        sync.Mutex // guards sending on and closing events
	events      chan Event
	evClosed    bool
	evDropped   atomic.Uint64
	names       atomic.Pointer[namedReplacer] // see replacerLocked

	keyMu       sync.Mutex // guards the Snapshot.KeyIDs cache
	keyIDsCache []chord.ID
	keyIDsAt    time.Time

	wake chan struct{} // a fault tells the monitor to evaluate at the fast pace
	stop chan struct{}
	wg   sync.WaitGroup
}

// Start launches cfg.Nodes nodes: n0 creates the ring and the others join
// concurrently, as they would in real life (at most JoinParallelism at a
// time, each through a random member that has already joined). ctx bounds
// the start only; the cluster runs until Close. On error every node started is closed.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cluster config: %w", err)
	}
	c := &Cluster{
		log:         cfg.Logger,
		faults:      netmux.NewFaults(),
		cfg:         cfg,
		chordEvents: make(chan chord.Event, max(cfg.EventBuffer, 64)),
		events:      make(chan Event, cfg.EventBuffer),
		wake:        make(chan struct{}, 1),
		stop:        make(chan struct{}),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	c.rng = rand.New(rand.NewPCG(uint64(seed), 0x63686f7264747569))

	c.wg.Add(2)
	go c.translateEvents()
	go c.monitor()

	began := time.Now()
	c.mu.Lock()
	c.lastFault, c.lastFaultAt = fmt.Sprintf("start %d nodes", cfg.Nodes), began
	c.mu.Unlock()
	ms := make([]*member, cfg.Nodes)
	for i := range ms {
		m, err := c.newMember()
		if err != nil {
			c.Close()
			return nil, err
		}
		ms[i] = m
	}
	first := ms[0]
	if err := c.boot(ctx, first, nil); err != nil {
		c.Close()
		return nil, err
	}
	// Zave (TSE 2017): the protocol is correct from an initial ring of at
	// least r+1 members. Form that base ring and let it settle, then let the
	// others join concurrently, in waves that at most double the ring, each
	// settling before the next (see joinInWaves).
	base := min(len(ms), cfg.Chord.SuccessorListLen+1)
	err := c.joinAll(ctx, ms[1:base])
	if err == nil {
		err = c.settle(ctx, ms[:base])
	}
	if err == nil {
		err = c.joinInWaves(ctx, ms, base)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("start: %w", err)
	}
	c.mu.Lock()
	c.origin = first.name
	// Whatever the monitor concluded about a partial ring during the start
	// is void: stability is measured for the whole ring, from began.
	c.lastFault, c.lastFaultAt = fmt.Sprintf("start %d nodes", cfg.Nodes), began
	c.gen++
	c.stable, c.convergedIn = false, 0
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	c.log.Info("cluster started", "nodes", cfg.Nodes, "took", time.Since(began))
	return c, nil
}

// joinAll boots ms concurrently, at most JoinParallelism at a time, each
// joining through a random member that has already joined.
func (c *Cluster) joinAll(ctx context.Context, ms []*member) error {
	errs := make([]error, len(ms))
	sem := make(chan struct{}, c.cfg.JoinParallelism)
	var wg sync.WaitGroup
	for i, m := range ms {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = c.boot(ctx, m, c.pickContacts(m))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// joinInWaves lets ms[joined:] join a settled ring of ms[:joined] in waves:
// each wave is at most as large as the ring it joins, and the ring settles
// (successor lists right) before the next wave. Nodes that join a ring at
// once through lookups that cannot see each other yet all land in the same
// few gaps, and stabilize threads the nodes of one gap in one per round (a
// ring of 5 with 1000 joiners at once takes hundreds of rounds); a wave no
// larger than the ring puts about one joiner in each gap, so every wave
// settles in a few rounds and N nodes take about log2(N/r) waves.
func (c *Cluster) joinInWaves(ctx context.Context, ms []*member, joined int) error {
	for joined < len(ms) {
		wave := min(joined, len(ms)-joined)
		began := time.Now()
		if err := c.joinAll(ctx, ms[joined:joined+wave]); err != nil {
			return err
		}
		joinedIn := time.Since(began)
		joined += wave
		if err := c.settle(ctx, ms[:joined]); err != nil {
			return err
		}
		c.log.Info("join wave", "nodes", wave, "ring", joined, "joined_in", joinedIn, "settled_in", time.Since(began)-joinedIn)
	}
	if len(ms) > fixAllFingersAbove {
		began := time.Now()
		c.fixAllFingers(ctx, ms)
		c.log.Info("fingers fixed", "nodes", len(ms), "took", time.Since(began))
	}
	return nil
}

// fixAllFingersAbove is the ring size above which Start runs one whole
// fix_fingers cycle on every node once the last wave has settled.
const fixAllFingersAbove = 64

// fixAllFingers runs one whole fix_fingers cycle (Node.FixAllFingers) on
// every node of ms. After the waves every successor list is right but many
// fingers still point past nodes that joined later; one fix_fingers round
// refreshes one distinct finger, so a large ring, whose fix-fingers period
// ConfigFor lengthens, would take log N periods to correct them all. A
// finger already right costs one call to verify it. Errors are left to the
// normal rounds to repair.
func (c *Cluster) fixAllFingers(ctx context.Context, ms []*member) {
	c.eachDriver(ctx, ms, func(ctx context.Context, node *chord.Node) { _ = node.FixAllFingers(ctx) })
}

// eachDriver runs round once on the node of every member of ms that is up,
// as an extra round of its driver (chord.Driver.Do: never overlapping the
// driver's own), JoinParallelism at a time, and returns when all are done.
func (c *Cluster) eachDriver(ctx context.Context, ms []*member, round func(context.Context, *chord.Node)) {
	sem := make(chan struct{}, c.cfg.JoinParallelism)
	var wg sync.WaitGroup
	for _, m := range ms {
		c.mu.RLock()
		node, drv := m.node, m.drv
		c.mu.RUnlock()
		if node == nil || drv == nil {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() { // exits when the round ends (its calls are bounded by RPCTimeout)
			defer func() { <-sem; wg.Done() }()
			drv.Do(ctx, func(ctx context.Context) { round(ctx, node) })
		}()
	}
	wg.Wait()
}

// settle waits until ms form an ideal ring among themselves (successor
// lists full and right; fingers may still be settling), or JoinTimeout.
// Between checks it runs one extra stabilize round on every node a
// violation names (through its driver, so rounds never overlap): a wave of
// joiners is threaded into the ring in as many rounds as joined one gap,
// and at a large ring's slow stabilize pace those rounds are what start
// waits for.
func (c *Cluster) settle(ctx context.Context, ms []*member) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.JoinTimeout)
	defer cancel()
	tick := time.NewTicker(max(c.cfg.Chord.StabilizeInterval/2, time.Millisecond))
	defer tick.Stop()
	for {
		var sts []chord.Status
		byAddr := make(map[string]*member, len(ms))
		c.mu.RLock()
		for _, m := range ms {
			if m.node != nil {
				sts = append(sts, m.node.Status())
				byAddr[m.addr] = m
			}
		}
		c.mu.RUnlock()
		vs := chord.CheckIdeal(sts, false)
		if len(vs) == 0 && len(sts) == len(ms) {
			return nil
		}
		var nudge []*member
		for _, v := range vs {
			if m := byAddr[v.Node.Addr]; m != nil {
				nudge = append(nudge, m)
				delete(byAddr, v.Node.Addr)
			}
		}
		c.eachDriver(ctx, nudge, func(ctx context.Context, node *chord.Node) { _ = node.Stabilize(ctx) })
		select {
		case <-ctx.Done():
			why := "nodes missing"
			if len(vs) > 0 {
				why = vs[0].String()
			}
			return fmt.Errorf("the first %d nodes did not form a ring: %s", len(ms), why)
		case <-tick.C:
		}
	}
}

// newMember reserves a name and a listener for a new node and records it as
// down; boot brings it up.
func (c *Cluster) newMember() (*member, error) {
	tr, err := c.listen(net.JoinHostPort(c.cfg.Host, "0"))
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", c.cfg.Host, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		tr.Close()
		return nil, ErrClosed
	}
	m := &member{name: fmt.Sprintf("n%d", len(c.members)), addr: tr.Addr(), state: StateDown, tr: tr}
	m.id = c.chooseIDLocked(m.name, m.addr)
	c.members = append(c.members, m)
	return m, nil
}

func (c *Cluster) listen(addr string) (*netmux.Transport, error) {
	nc := c.cfg.Net
	nc.Faults = c.faults
	if nc.Logger == nil {
		nc.Logger = c.log
	}
	return netmux.Listen(addr, nc)
}

// chooseIDLocked picks the identifier of a new node: SHA-1 of its address
// (or of the seed and its name), re-hashed with a counter in the rare case
// it collides with an existing member on a small ring.
func (c *Cluster) chooseIDLocked(name, addr string) chord.ID {
	base := addr
	if c.cfg.Seed != 0 {
		base = fmt.Sprintf("chordtui seed %d %s", c.cfg.Seed, name)
	}
	taken := make(map[chord.ID]bool, len(c.members))
	for _, o := range c.members {
		taken[o.id] = true
	}
	id := chord.HashID(c.cfg.Chord.Bits, []byte(base))
	for k := 1; taken[id]; k++ {
		id = chord.HashID(c.cfg.Chord.Bits, []byte(fmt.Sprintf("%s#%d", base, k)))
	}
	return id
}

// boot makes the chord node and store on m's transport (which must be
// listening), creates a ring (contacts empty) or joins through one of
// contacts, then starts the node's driver. On failure m is left down.
func (c *Cluster) boot(ctx context.Context, m *member, contacts []string) error {
	c.mu.Lock()
	nc := c.cfg.Chord
	dc := c.cfg.DHT
	dc.Logger = c.log.With("node", m.name)
	tr := m.tr
	m.incarnation++
	inc := m.incarnation
	c.mu.Unlock()
	nc.ID, nc.HasID = m.id, true
	nc.Events = c.chordEvents

	fail := func(err error) error {
		tr.Kill()
		c.mu.Lock()
		m.tr, m.node, m.store, m.drv, m.state = nil, nil, nil, nil, StateDown
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", m.name, err)
	}
	node, err := chord.NewNode(nc, tr)
	if err != nil {
		return fail(err)
	}
	store, err := dht.New(node, dc)
	if err != nil {
		return fail(err)
	}
	if len(contacts) == 0 {
		node.Create()
	} else if err := c.join(ctx, node, m, contacts); err != nil {
		return fail(err)
	}
	drv := chord.NewDriver(c.tasks(node, store, nc, dc.RepairInterval), nc.Jitter, c.driverSeed(m, inc))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		tr.Close()
		return ErrClosed
	}
	if c.maintPaused {
		drv.Pause()
	}
	drv.Start()
	m.node, m.store, m.drv, m.state = node, store, drv, StateAlive
	return nil
}

// join enters the ring through the first contact that works, retrying with
// a short backoff (a contact may be busy joining itself) until JoinTimeout.
func (c *Cluster) join(ctx context.Context, node *chord.Node, m *member, contacts []string) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.JoinTimeout)
	defer cancel()
	backoff := 10 * time.Millisecond
	var last error
	for attempt := 0; ; attempt++ {
		contact := contacts[attempt%len(contacts)]
		err := node.Join(ctx, contact)
		if err == nil {
			c.log.Debug("joined", "node", m.name, "via", contact, "attempts", attempt+1)
			return nil
		}
		last = err
		if errors.Is(err, chord.ErrIDCollision) {
			return fmt.Errorf("join via %s: %w", c.nameOf(contact), err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("join gave up after %d attempts: %w", attempt+1, last)
		case <-c.stop:
			t.Stop()
			return ErrClosed
		case <-t.C:
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

// tasks are the rounds a node's driver runs: chord's maintenance at the
// cluster's current intervals, then the store's repair.
func (c *Cluster) tasks(node *chord.Node, store *dht.Store, nc chord.Config, repair time.Duration) []chord.Task {
	ts := append(chord.NodeTasks(node), store.Tasks()...)
	for i := range ts {
		switch ts[i].Name {
		case "stabilize":
			ts[i].Every = nc.StabilizeInterval
		case "fix_fingers":
			ts[i].Every = nc.FixFingersInterval
		case "check_predecessor":
			ts[i].Every = nc.CheckPredecessorInterval
		case "dht repair":
			ts[i].Every = repair
		}
	}
	return ts
}

func (c *Cluster) driverSeed(m *member, inc int) int64 {
	if c.cfg.Seed != 0 {
		return c.cfg.Seed*1000003 + int64(len(m.name))*7919 + int64(inc) + int64(m.id.Uint64()&0xffff)
	}
	return time.Now().UnixNano() + int64(m.id.Uint64())
}

// chordCfg returns the current chord template.
func (c *Cluster) chordCfg() chord.Config {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cfg.Chord
}

// setInterval changes one maintenance period and restarts every running
// driver with it, keeping its paused state.
func (c *Cluster) setInterval(v string, apply func(*chord.Config, time.Duration)) error {
	d, err := parsePositiveDuration(v)
	if err != nil {
		return err
	}
	c.mu.Lock()
	apply(&c.cfg.Chord, d)
	nc := c.cfg.Chord
	type restart struct {
		m   *member
		old *chord.Driver
		new *chord.Driver
	}
	var rs []restart
	for _, m := range c.members {
		if m.drv == nil {
			continue
		}
		nd := chord.NewDriver(c.tasks(m.node, m.store, nc, c.cfg.DHT.RepairInterval), nc.Jitter, c.driverSeed(m, m.incarnation))
		if m.drv.Paused() {
			nd.Pause()
		}
		rs = append(rs, restart{m, m.drv, nd})
		m.drv = nd
	}
	c.mu.Unlock()
	for _, r := range rs {
		r.old.Stop()
		r.new.Start()
	}
	return nil
}

// live returns the members that are alive (answering), in name order.
func (c *Cluster) liveLocked() []*member {
	var out []*member
	for _, m := range c.members {
		if m.state == StateAlive && m.node != nil {
			out = append(out, m)
		}
	}
	return out
}

// pickContacts returns the addresses of live members other than self, in
// random order, for a join.
func (c *Cluster) pickContacts(self *member) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.liveLocked() {
		if m != self {
			out = append(out, m.addr)
		}
	}
	c.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// nameOf returns the name of the member at addr, or addr itself.
func (c *Cluster) nameOf(addr string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.nameOfLocked(addr)
}

func (c *Cluster) nameOfLocked(addr string) string {
	for _, m := range c.members {
		if m.addr == addr {
			return m.name
		}
	}
	return addr
}

// replacerLocked returns the address-to-name rewriter for event texts,
// rebuilt only when members were added (addresses never change).
func (c *Cluster) replacerLocked() *strings.Replacer {
	if r, n := c.names.Load(), len(c.members); r != nil && r.n == n {
		return r.r
	}
	r := &namedReplacer{r: addrReplacer(c.namesLocked()), n: len(c.members)}
	c.names.Store(r)
	return r.r
}

// namedReplacer caches addrReplacer for a number of members.
type namedReplacer struct {
	r *strings.Replacer
	n int
}

// namesLocked maps every member's address to its name.
func (c *Cluster) namesLocked() map[string]string {
	out := make(map[string]string, len(c.members))
	for _, m := range c.members {
		out[m.addr] = m.name
	}
	return out
}

// Names returns the node names in order (n0, n1, …), for completion.
func (c *Cluster) Names() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, len(c.members))
	for i, m := range c.members {
		out[i] = m.name
	}
	return out
}

// resolve finds the member named by arg: a name (n3), an address
// (127.0.0.1:4000) or a hex identifier prefix. cmd prefixes the error.
func (c *Cluster) resolve(cmd, arg string) (*member, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.resolveLocked(cmd, arg)
}

func (c *Cluster) resolveLocked(cmd, arg string) (*member, error) {
	for _, m := range c.members {
		if strings.EqualFold(m.name, arg) || m.addr == arg {
			return m, nil
		}
	}
	prefix := strings.TrimPrefix(strings.ToLower(arg), "0x")
	if prefix != "" && isHex(prefix) {
		var matches []*member
		for _, m := range c.members {
			if strings.HasPrefix(m.id.Hex(c.cfg.Chord.Bits), prefix) {
				matches = append(matches, m)
			}
		}
		switch len(matches) {
		case 1:
			return matches[0], nil
		case 0:
		default:
			var desc []string
			for _, m := range matches {
				desc = append(desc, fmt.Sprintf("%s (%s)", m.name, m.id.Short(c.cfg.Chord.Bits)))
			}
			return nil, errorf(ErrUnknownNode, "%s: ID prefix %q is ambiguous — it matches %s; give more digits",
				cmd, arg, strings.Join(desc, ", "))
		}
	}
	return nil, errorf(ErrUnknownNode, "%s: unknown node %q — nodes are %s", cmd, arg, c.nameRangeLocked())
}

func (c *Cluster) nameRangeLocked() string {
	switch len(c.members) {
	case 0:
		return "none"
	case 1:
		return c.members[0].name
	}
	return c.members[0].name + "…" + c.members[len(c.members)-1].name
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// recordFault notes a disturbance: the ring is no longer known to be
// stable, and ConvergedIn will be measured from now.
func (c *Cluster) recordFault(what string) {
	now := time.Now()
	c.mu.Lock()
	c.lastFault, c.lastFaultAt = what, now
	c.gen++
	c.stable = false
	c.convergedIn = 0
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	c.emit(Event{Time: now, Kind: "fault", Text: what})
}

// emit delivers e without blocking; it is dropped when the buffer is full
// or the cluster is closed.
func (c *Cluster) emit(e Event) {
	c.evMu.Lock()
	defer c.evMu.Unlock()
	if c.evClosed {
		return
	}
	select {
	case c.events <- e:
	default:
		c.evDropped.Add(1)
	}
}

// Events returns the cluster's event stream: chord events with node names
// and the cluster's own actions. It is closed by Close. Events are dropped,
// never queued without bound, when nobody reads.
func (c *Cluster) Events() <-chan Event { return c.events }

// translateEvents turns chord events into cluster events. It exits when
// Close closes c.stop.
func (c *Cluster) translateEvents() {
	defer c.wg.Done()
	for {
		select {
		case <-c.stop:
			return
		case e := <-c.chordEvents:
			c.emit(c.translate(e))
		}
	}
}

func (c *Cluster) translate(e chord.Event) Event {
	c.mu.RLock()
	name := c.nameOfLocked(e.Node.Addr)
	detail := e.Detail
	if detail != "" {
		detail = c.replacerLocked().Replace(detail)
	}
	old, nw := "nil", "nil"
	if !e.Old.IsZero() {
		old = c.nameOfLocked(e.Old.Addr)
	}
	if !e.New.IsZero() {
		nw = c.nameOfLocked(e.New.Addr)
	}
	c.mu.RUnlock()
	out := Event{Time: e.Time, Node: name}
	if out.Time.IsZero() {
		out.Time = time.Now()
	}
	switch e.Kind {
	case chord.EventJoined:
		out.Kind, out.Text = "joined", name+" joined the ring"
	case chord.EventLeft:
		out.Kind, out.Text = "left", name+" left the ring"
	case chord.EventPredecessorChanged:
		out.Kind, out.Text = "pred", fmt.Sprintf("%s: predecessor %s → %s", name, old, nw)
	case chord.EventSuccessorChanged:
		out.Kind, out.Text = "succ", fmt.Sprintf("%s: successor %s → %s", name, old, nw)
	case chord.EventFailureDetected:
		out.Kind, out.Text = "failure", fmt.Sprintf("%s: detected failure of %s", name, old)
	case chord.EventKeysMoved:
		out.Kind, out.Text = "keys", name+": keys moved"
	case chord.EventLookup:
		out.Kind, out.Text = "lookup", name+": lookup"
	default:
		out.Kind, out.Text = "event", fmt.Sprintf("%s: %v", name, e.Kind)
	}
	if detail != "" {
		if e.Kind == chord.EventKeysMoved || e.Kind == chord.EventLookup {
			out.Text = name + ": " + detail
		} else {
			out.Text += " (" + detail + ")"
		}
	}
	return out
}

// Close stops every node and goroutine of the cluster and closes Events.
// It is safe to call more than once.
func (c *Cluster) Close() error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	ms := append([]*member(nil), c.members...)
	c.mu.Unlock()
	close(c.stop)
	var errs []error
	for _, m := range ms {
		c.mu.Lock()
		drv, tr := m.drv, m.tr
		m.drv, m.tr, m.node, m.store = nil, nil, nil, nil
		c.mu.Unlock()
		if drv != nil {
			drv.Stop()
		}
		if tr != nil {
			if err := tr.Close(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.name, err))
			}
		}
	}
	c.wg.Wait()
	c.evMu.Lock()
	c.evClosed = true
	close(c.events)
	c.evMu.Unlock()
	return errors.Join(errs...)
}

// ---- control operations ----

// Kill crashes a node: its listener and sessions close at once and its
// memory is lost. Peers find out by themselves.
func (c *Cluster) Kill(name string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("kill", name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if m.state == StateDown || m.state == StateLeft {
		c.mu.Unlock()
		return errorf(ErrNodeState, "kill: %s is already %s — revive %s brings it back", m.name, m.state, m.name)
	}
	tr, drv, wasPaused := m.tr, m.drv, m.state == StatePaused
	m.tr, m.node, m.store, m.drv, m.state = nil, nil, nil, nil, StateDown
	c.mu.Unlock()
	tr.Kill()
	if wasPaused {
		c.faults.Resume(m.addr) // the next incarnation answers
	}
	drv.Stop()
	c.awaitDisconnected(m.addr)
	c.recordFault("kill " + m.name)
	return nil
}

// disconnectWait bounds how long Kill and Leave wait for the other nodes to
// see a closed node's connections close.
const disconnectWait = 100 * time.Millisecond

// awaitDisconnected returns once no live node's transport still reports a
// connection to addr (or after disconnectWait). The kernel closes every
// connection of a closed transport at once, but each peer notices when its
// session's receive loop next runs; until then a lookup could still take
// the node as live on its neighbour's word (chord.Config.LivenessWindow),
// so kill and leave return only once the crash is visible everywhere, as
// a user who typed the next command would expect.
func (c *Cluster) awaitDisconnected(addr string) {
	c.mu.RLock()
	var trs []*netmux.Transport
	for _, o := range c.members {
		if o.tr != nil && o.addr != addr {
			trs = append(trs, o.tr)
		}
	}
	c.mu.RUnlock()
	deadline := time.Now().Add(disconnectWait)
	for _, tr := range trs {
		for tr.Connected(addr) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Microsecond) // the receive loop has to run: a few µs on an idle machine
		}
	}
}

// Revive restarts a crashed or departed node on the same address with the
// same identifier and empty memory, joining through a live member.
func (c *Cluster) Revive(ctx context.Context, name string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("revive", name)
	if err != nil {
		return err
	}
	c.mu.RLock()
	st := m.state
	c.mu.RUnlock()
	if st != StateDown && st != StateLeft {
		return errorf(ErrNodeState, "revive: %s is %s, not down — kill %s first", m.name, st, m.name)
	}
	contacts := c.pickContacts(m)
	if len(contacts) == 0 {
		return errorf(ErrNoLiveNode, "revive: no live node to join through — every node is down, left or paused")
	}
	tr, err := c.listen(m.addr)
	if err != nil {
		return fmt.Errorf("revive: listen on %s again: %w", m.addr, err)
	}
	c.mu.Lock()
	m.tr = tr
	c.mu.Unlock()
	c.recordFault("revive " + m.name)
	if err := c.boot(ctx, m, contacts); err != nil {
		return fmt.Errorf("revive: %w", err)
	}
	return nil
}

// Add starts count new nodes (named after the last one) and joins them
// concurrently through live members. It returns their names.
func (c *Cluster) Add(ctx context.Context, count int) ([]string, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if count < 1 {
		return nil, errorf(ErrUsage, "add: COUNT must be at least 1, got %d", count)
	}
	probe := c.pickContacts(nil)
	if len(probe) == 0 {
		return nil, errorf(ErrNoLiveNode, "add: no live node to join through — revive one first")
	}
	var ms []*member
	for range count {
		m, err := c.newMember()
		if err != nil {
			return nil, fmt.Errorf("add: %w", err)
		}
		ms = append(ms, m)
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.name
	}
	c.recordFault("add " + strings.Join(names, " "))
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		contacts := c.pickContacts(m)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.boot(ctx, m, contacts)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return names, fmt.Errorf("add: %w", err)
	}
	return names, nil
}

// Leave makes a node depart gracefully: it hands its keys to its successor
// and tells its neighbours, then stops.
func (c *Cluster) Leave(ctx context.Context, name string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("leave", name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if m.state != StateAlive {
		c.mu.Unlock()
		return errorf(ErrNodeState, "leave: %s is %s — only a live node can leave gracefully", m.name, m.state)
	}
	tr, drv, store := m.tr, m.drv, m.store
	m.tr, m.node, m.store, m.drv, m.state = nil, nil, nil, nil, StateLeft
	c.mu.Unlock()
	drv.Stop()
	c.recordFault("leave " + m.name)
	lerr := store.Leave(ctx)
	cerr := tr.Close()
	c.awaitDisconnected(m.addr)
	if lerr != nil {
		return fmt.Errorf("leave: %s did not finish a graceful departure (it is stopped now): %w", m.name, lerr)
	}
	if cerr != nil {
		c.log.Warn("close after leave", "node", m.name, "err", cerr)
	}
	return nil
}

// Pause freezes a node: its sockets stay open and accept calls, but it
// never answers and runs no maintenance.
func (c *Cluster) Pause(name string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("pause", name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if m.state != StateAlive {
		c.mu.Unlock()
		return errorf(ErrNodeState, "pause: %s is %s, not alive", m.name, m.state)
	}
	m.state = StatePaused
	drv := m.drv
	c.mu.Unlock()
	c.faults.Pause(m.addr)
	drv.Pause()
	c.recordFault("pause " + m.name)
	return nil
}

// Resume undoes Pause.
func (c *Cluster) Resume(name string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("resume", name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if m.state != StatePaused {
		c.mu.Unlock()
		return errorf(ErrNodeState, "resume: %s is %s, not paused", m.name, m.state)
	}
	m.state = StateAlive
	drv, maint := m.drv, c.maintPaused
	c.mu.Unlock()
	c.faults.Resume(m.addr)
	if !maint {
		drv.Resume()
	}
	c.recordFault("resume " + m.name)
	return nil
}

// Partition cuts the named nodes off from all others (replacing any earlier
// partition).
func (c *Cluster) Partition(names []string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	group := map[*member]bool{}
	var addrs, shown []string
	for _, n := range names {
		m, err := c.resolve("partition", n)
		if err != nil {
			return err
		}
		if !group[m] {
			group[m] = true
			addrs = append(addrs, m.addr)
			shown = append(shown, m.name)
		}
	}
	c.mu.Lock()
	if len(group) == len(c.members) {
		c.mu.Unlock()
		return errorf(ErrUsage, "partition: the group holds every node, so nothing is cut off — name a subset")
	}
	for _, m := range c.members {
		m.partitioned = group[m]
	}
	c.mu.Unlock()
	c.faults.Heal()
	c.faults.Partition(addrs)
	c.recordFault("partition " + strings.Join(shown, " "))
	return nil
}

// Heal removes every partition.
func (c *Cluster) Heal() {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	for _, m := range c.members {
		m.partitioned = false
	}
	c.mu.Unlock()
	c.faults.Heal()
	c.recordFault("heal")
}

// SetDelay adds d to every call to or from the node (0 removes it).
func (c *Cluster) SetDelay(name string, d time.Duration) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("delay", name)
	if err != nil {
		return err
	}
	if d < 0 {
		return errorf(ErrUsage, "delay: DURATION must not be negative, got %v", d)
	}
	c.mu.Lock()
	m.delay = d
	c.mu.Unlock()
	c.faults.SetDelay(m.addr, d)
	c.recordFault(fmt.Sprintf("delay %s %v", m.name, d))
	return nil
}

// SetDrop makes percent of the calls to or from the node fail (0..100).
func (c *Cluster) SetDrop(name string, percent float64) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("drop", name)
	if err != nil {
		return err
	}
	if !(percent >= 0 && percent <= 100) {
		return errorf(ErrUsage, "drop: PERCENT must be between 0 and 100, got %v", percent)
	}
	c.mu.Lock()
	m.drop = percent
	c.mu.Unlock()
	c.faults.SetDrop(m.addr, percent/100)
	c.recordFault(fmt.Sprintf("drop %s %g%%", m.name, percent))
	return nil
}

// PauseMaintenance stops every driver's rounds (step mode).
func (c *Cluster) PauseMaintenance() {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maintPaused = true
	for _, m := range c.members {
		if m.drv != nil {
			m.drv.Pause()
		}
	}
}

// ResumeMaintenance restarts the rounds of every live node.
func (c *Cluster) ResumeMaintenance() {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maintPaused = false
	for _, m := range c.members {
		if m.drv != nil && m.state == StateAlive {
			m.drv.Resume()
		}
	}
}

// StepMaintenance runs one round of every task on every live node, in name
// order, and returns how many nodes ran.
func (c *Cluster) StepMaintenance(ctx context.Context) int {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.RLock()
	var drvs []*chord.Driver
	for _, m := range c.liveLocked() {
		drvs = append(drvs, m.drv)
	}
	c.mu.RUnlock()
	for _, d := range drvs {
		if ctx.Err() != nil {
			break
		}
		d.Step(ctx)
	}
	return len(drvs)
}

// PickOrigin chooses a random live member as the default origin of
// get/set/del/lookup and returns its name.
func (c *Cluster) PickOrigin() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	live := c.liveLocked()
	if len(live) == 0 {
		return "", errorf(ErrNoLiveNode, "random: no live node to pick")
	}
	c.origin = live[c.rng.IntN(len(live))].name
	return c.origin, nil
}

// Origin names the default origin of get/set/del/lookup: the member they
// start at without "via" (while it is alive; else the first live member).
func (c *Cluster) Origin() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.origin
}

// SetOrigin makes the live member node (a name, ID prefix or address) the
// default origin and returns its name.
func (c *Cluster) SetOrigin(node string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, err := c.resolveLocked("origin", node)
	if err != nil {
		return "", err
	}
	if m.state != StateAlive {
		return "", errorf(ErrNodeState, "origin: %s is %s — pick a live member", m.name, m.state)
	}
	c.origin = m.name
	return m.name, nil
}

// originFor returns the member get/set/del/lookup start at: via if given,
// else the default origin, else (when it is not alive) the first live member.
func (c *Cluster) originFor(cmd, via string) (*member, *dht.Store, *chord.Node, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if via != "" {
		m, err := c.resolveLocked(cmd, via)
		if err != nil {
			return nil, nil, nil, err
		}
		if m.state != StateAlive {
			return nil, nil, nil, errorf(ErrNodeState, "%s: %s is %s — pick a live node after via", cmd, m.name, m.state)
		}
		return m, m.store, m.node, nil
	}
	for _, m := range c.members {
		if m.name == c.origin && m.state == StateAlive {
			return m, m.store, m.node, nil
		}
	}
	live := c.liveLocked()
	if len(live) == 0 {
		return nil, nil, nil, errorf(ErrNoLiveNode, "%s: no live node to start from — revive one", cmd)
	}
	return live[0], live[0].store, live[0].node, nil
}
