package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// Start launches cfg.Nodes nodes: n0 creates the ring and the others join
// concurrently, as they would in real life (at most JoinParallelism at a
// time, each through a random member that has already joined). ctx bounds
// the start only; the cluster runs until Close. On error every node started
// is closed.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cluster config: %w", err)
	}
	if cfg.VNodes > 1 {
		// V identities per real node: a list of r·V identities reaches r
		// real nodes, whichever of them are another's identities.
		cfg.Chord.SuccessorListLen *= cfg.VNodes
		// Lists V times longer take more stabilize rounds to settle after
		// each join wave: the bound on settling grows with V (up to 4×).
		cfg.JoinTimeout *= time.Duration(min(cfg.VNodes, 4))
	}
	c := &Cluster{
		log:         cfg.Logger,
		net:         cfg.Network,
		cfg:         cfg,
		chordEvents: make(chan chord.Event, max(cfg.EventBuffer, 64)),
		events:      make(chan Event, cfg.EventBuffer),
		wake:        make(chan struct{}, 1),
		stop:        make(chan struct{}),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	// The RESP endpoint's address is taken first, so that a busy one
	// fails before any node starts.
	respLn, err := listenRESP(cfg.RESP)
	if err != nil {
		return nil, err
	}
	netCfg := cfg.netmuxConfig() // one ring for the nodes and the client
	if c.net == nil {
		c.net = newNetmuxNetwork(cfg.Host, netCfg, cfg.Seed, c.log)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	c.rng = rand.New(rand.NewPCG(uint64(seed), 0x63686f7264747569))

	if cfg.Network == nil {
		// Over netmux nodes started elsewhere may join the ring at any
		// time: the client finds them (remote.go).
		host := clientHost(cfg.Host)
		if netCfg.Advertise != "" {
			host = netCfg.Advertise
		}
		cl, err := NewClient(host, netCfg)
		if err != nil {
			closeListener(respLn)
			return nil, err
		}
		c.client = cl
	}
	c.wg.Add(2)
	go c.translateEvents()
	go c.monitor()
	if c.client != nil {
		c.wg.Add(1)
		go c.discover()
	}
	if cfg.Attach != "" {
		return c.startAttached(ctx, respLn)
	}

	began := time.Now()
	what := fmt.Sprintf("start %d nodes", cfg.Nodes)
	if cfg.Nodes == 1 {
		what = "start 1 node"
	}
	c.forming.Store(cfg.Nodes*max(cfg.VNodes, 1) > fixAllFingersAbove)
	c.mu.Lock()
	c.lastFault, c.lastFaultAt = what, began
	c.busy = what // nothing is judged before the whole ring has joined
	c.mu.Unlock()
	if cfg.Join != "" {
		c.refreshRemotes() // their identifiers are taken (chooseIDLocked)
	}
	var ms []*member
	for range cfg.Nodes {
		if cfg.VNodes > 1 {
			h, err := c.newHost()
			if err != nil {
				c.Close()
				return nil, err
			}
			ms = append(ms, h.members...)
			continue
		}
		m, err := c.newMember()
		if err != nil {
			closeListener(respLn)
			c.Close()
			return nil, err
		}
		ms = append(ms, m)
	}
	first := ms[0]
	if err := c.boot(ctx, first, cfg.seeds()); err != nil {
		closeListener(respLn)
		c.Close()
		return nil, err
	}
	// Zave (TSE 2017): the protocol is correct from an initial ring of at
	// least r+1 members. Form that base ring and let it settle, then let the
	// others join concurrently, in waves that at most double the ring, each
	// settling before the next (see joinInWaves).
	base := min(len(ms), cfg.Chord.SuccessorListLen+1)
	err = c.formBase(ctx, ms[:base])
	if err == nil && c.forming.Load() {
		err = c.awaitReady(ctx, ms[:base])
	}
	if err == nil {
		err = c.joinInWaves(ctx, ms, base)
	}
	c.forming.Store(false)
	if err == nil {
		err = c.awaitReady(ctx, ms)
	}
	if err == nil {
		err = c.startDFS()
	}
	if err != nil {
		closeListener(respLn)
		c.Close()
		return nil, fmt.Errorf("start: %w", err)
	}
	c.mu.Lock()
	c.origin = first.name
	// Stability is judged for the whole ring, measured from began.
	c.busy = ""
	c.lastFault, c.lastFaultAt, c.lostAt = what, began, time.Time{}
	c.gen++
	c.stable, c.convergedIn, c.sides = false, 0, nil
	c.mu.Unlock()
	c.wakeMonitor()
	c.log.Info("cluster started", "nodes", cfg.Nodes, "took", time.Since(began))
	if respLn != nil {
		if err := c.serveRESP(respLn); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// startAttached finishes Start for an attached cluster: it waits for the
// first refresh of the ring at Config.Attach and judges it from then on.
func (c *Cluster) startAttached(ctx context.Context, respLn net.Listener) (*Cluster, error) {
	began := time.Now()
	c.refreshRemotes()
	c.mu.Lock()
	n := len(c.remotes)
	if n > 0 {
		c.origin = c.remotes[0].name
	}
	what := "attach to " + c.cfg.Attach
	c.busy = ""
	c.lastFault, c.lastFaultAt, c.lostAt = what, began, time.Time{}
	c.gen++
	c.stable, c.convergedIn, c.sides = false, 0, nil
	c.mu.Unlock()
	if n == 0 {
		closeListener(respLn)
		c.Close()
		return nil, errorf(ErrNoLiveNode, "attach: no ring member answers at %s", c.cfg.Attach)
	}
	c.wakeMonitor()
	c.log.Info("cluster attached", "at", c.cfg.Attach, "members", n)
	if respLn != nil {
		if err := c.serveRESP(respLn); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// clientHost is the host a cluster's observer client listens on: Host,
// or loopback when Host is every interface.
func clientHost(host string) string {
	if host == "" || host == "0.0.0.0" || host == "::" {
		return "127.0.0.1"
	}
	return host
}

// closeListener closes ln if there is one.
func closeListener(ln net.Listener) {
	if ln != nil {
		ln.Close()
	}
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

// baseAtOnce is the most members that join the base ring at once.
const baseAtOnce = 64

// formBase lets ms[1:] join ms[0] and the ring settle. A base of r+1
// members is small for the usual r, and they join at once; with virtual
// nodes r grows V times (4 real nodes with 64 identities each make a base
// of 256), and 255 joiners at once into a ring of one did not settle in
// 40 s: they land in the same gap (see joinInWaves). So a larger base
// joins in waves of at least baseAtOnce that at most double it after the
// first, each settling before the next.
func (c *Cluster) formBase(ctx context.Context, ms []*member) error {
	for joined := 1; joined < len(ms); {
		wave := min(len(ms)-joined, max(joined, baseAtOnce))
		if err := c.joinAll(ctx, ms[joined:joined+wave]); err != nil {
			return err
		}
		joined += wave
		if err := c.settle(ctx, ms[:joined]); err != nil {
			return err
		}
	}
	return nil
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
		if c.forming.Load() {
			// Each wave takes its keys over now (the joiners' own repair
			// rounds would too, later), and gets its fingers right, which
			// the drivers do not fix while the ring forms.
			if err := c.awaitReady(ctx, ms[:joined]); err != nil {
				return err
			}
			if joined < len(ms) {
				b := time.Now()
				c.fixFingers(func() { c.fixFormingFingers(ctx, ms[:joined]) })
				c.log.Info("wave fingers fixed", "ring", joined, "took", time.Since(b))
			}
		}
	}
	if len(ms) > fixAllFingersAbove || c.cfg.SettleFingers {
		began := time.Now()
		c.fixFingers(func() {
			if len(ms) > fixAllFingersAbove {
				c.fixFormingFingers(ctx, ms)
			} else {
				c.fixAllFingers(ctx, ms)
			}
		})
		c.log.Info("fingers fixed", "nodes", len(ms), "took", time.Since(began))
	}
	return nil
}

// fixFingers runs fix, which fixes the fingers of a settled ring, while
// the drivers skip their stabilize rounds: no node joins meanwhile, so
// those rounds would only confirm the successor lists settle has just
// found right. At 1024 nodes they cost about a second of the start.
func (c *Cluster) fixFingers(fix func()) {
	c.fixing.Store(true)
	defer c.fixing.Store(false)
	fix()
}

// fixAllFingersAbove is the ring size above which Start runs one whole
// fix_fingers cycle on every node once the last wave has settled.
const fixAllFingersAbove = 64

// fixAllFingers runs one whole fix_fingers cycle (Node.FixAllFingers) on
// every node of ms. After the waves every successor list is right but many
// fingers still point past nodes that joined later; one fix_fingers round
// refreshes one distinct finger, so a large ring, whose fix-fingers period
// ConfigFor lengthens, would take log N periods to correct them all. A
// finger already right costs one call to verify it (a lookup if this node
// has no connection to it). Errors are left to the normal rounds to
// repair.
func (c *Cluster) fixAllFingers(ctx context.Context, ms []*member) {
	c.eachDriver(ctx, ms, func(ctx context.Context, node *chord.Node) { _ = node.FixAllFingers(ctx) })
}

// fixFormingFingers fixes the fingers of a large ring that forms: on
// every node of ms, each finger that is not the node the members'
// identifiers say it should be is refreshed (Node.FixFinger: a lookup, or
// one or two calls when a node joined just before it), and the fingers
// already right cost nothing, where a whole fix_fingers cycle verifies
// each with a call. Joined to another ring (Config.Join), whose members
// are not all known here, every finger is refreshed (fixAllFingers).
func (c *Cluster) fixFormingFingers(ctx context.Context, ms []*member) {
	if c.cfg.Join != "" {
		c.fixAllFingers(ctx, ms)
		return
	}
	cmp := func(a, b chord.ID) int { return a.Cmp(b) }
	var ring []chord.ID
	c.mu.RLock()
	for _, m := range ms {
		if m.node != nil {
			ring = append(ring, m.id)
		}
	}
	c.mu.RUnlock()
	if len(ring) == 0 {
		return
	}
	slices.SortFunc(ring, cmp)
	bits := c.cfg.Chord.Bits
	// successor returns the first member at or after id.
	successor := func(id chord.ID) chord.ID {
		i, _ := slices.BinarySearchFunc(ring, id, cmp)
		return ring[i%len(ring)]
	}
	c.eachDriver(ctx, ms, func(ctx context.Context, node *chord.Node) {
		self := node.Self().ID
		want := make([]chord.ID, bits)
		for k := range want {
			want[k] = successor(self.AddPow2(bits, k))
		}
		// Each finger is tried at most once: a lookup that names another
		// node leaves it to the drivers' fix_fingers.
		for k := 0; k < bits && ctx.Err() == nil; k++ {
			fs := node.Status().Fingers
			for k < bits && k < len(fs) && !fs[k].IsZero() && fs[k].ID == want[k] {
				k++
			}
			if k >= bits || node.FixFinger(ctx, k) != nil {
				return
			}
		}
	})
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
// lists full and right; fingers may still be settling). Between checks it
// runs an extra stabilize round on every node a violation names or
// involves (through its driver, so rounds never overlap): a wave of joiners is threaded into
// the ring in as many rounds as joined one gap, and at a large ring's slow
// stabilize pace those rounds are what start waits for. The nudges run
// apart, at most JoinParallelism at once, so that one node whose round is
// slow holds up no other. It gives up when the ring has not come closer to
// ideal (fewer violations than ever before) for JoinTimeout: a large wave
// may take longer than that in all, but never stands still that long.
func (c *Cluster) settle(ctx context.Context, ms []*member) error {
	ctx, cancel := context.WithCancel(ctx)
	var nudges sync.WaitGroup
	defer nudges.Wait() // after cancel: each nudge ends with its round
	defer cancel()
	// Half a stabilize period, at most settleTick: the nudges, not the
	// drivers, thread the joiners in when stabilize is slow (a lecture).
	tick := time.NewTicker(min(max(c.cfg.Chord.StabilizeInterval/2, time.Millisecond), settleTick,
		max(settleMinTick, time.Duration(len(ms))*settlePerNode)))
	defer tick.Stop()
	sem := make(chan struct{}, c.cfg.JoinParallelism)
	var mu sync.Mutex
	inFlight := make(map[*member]bool)
	best, bestAt := -1, time.Now()
	for {
		var sts []chord.Status
		byAddr := make(map[string]*member, len(ms))
		c.mu.RLock()
		for _, m := range ms {
			if m.node != nil {
				sts = append(sts, ringStatus(m.node, c.cfg.Chord))
				byAddr[m.addr] = m
			}
		}
		remotes := c.liveRemotesLocked() // the ring joined (Config.Join)
		for _, m := range remotes {
			sts = append(sts, m.status())
		}
		nm := c.namingLocked()
		c.mu.RUnlock()
		vs := chord.CheckIdealNamed(sts, false, nm)
		missing := len(ms) + len(remotes) - len(sts)
		if len(vs) == 0 && missing == 0 {
			return nil
		}
		if off := len(vs) + missing; best < 0 || off < best {
			best, bestAt = off, time.Now()
		} else if time.Since(bestAt) > c.cfg.JoinTimeout {
			why := "nodes missing"
			if len(vs) > 0 {
				why = vs[0].String()
			}
			return fmt.Errorf("the first %d nodes did not form a ring (no progress for %v): %s", len(ms), c.cfg.JoinTimeout, why)
		}
		var nudge []*member
		for _, v := range vs {
			// The node named, and the nodes involved: a wrong predecessor
			// is put right by the stabilize of the node that should be it
			// (its notification), and a successor that does not know its
			// new predecessor yet learns it from that one's stabilize.
			// While a large ring forms, no driver runs rounds of its own.
			for _, r := range append([]chord.NodeRef{v.Node}, v.Nodes...) {
				if m := byAddr[r.Addr]; m != nil {
					delete(byAddr, r.Addr)
					nudge = append(nudge, m)
				}
			}
		}
		for _, m := range nudge {
			mu.Lock()
			busy := inFlight[m]
			inFlight[m] = true
			mu.Unlock()
			if busy {
				continue
			}
			nudges.Add(1)
			go func() { // exits when its round ends or settle returns
				defer nudges.Done()
				defer func() { mu.Lock(); delete(inFlight, m); mu.Unlock() }()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				defer func() { <-sem }()
				c.mu.RLock()
				node, drv := m.node, m.drv
				c.mu.RUnlock()
				if node != nil && drv != nil {
					drv.Do(ctx, func(ctx context.Context) { _ = node.Stabilize(ctx) })
				}
			}()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the first %d nodes did not form a ring: %w", len(ms), ctx.Err())
		case <-tick.C:
		}
	}
}

// ringStatus is the part of node's status that settle checks (no
// fingers): at 1024 nodes a look every 50 ms at every node's whole status
// would copy 6 MB of fingers each time.
func ringStatus(node *chord.Node, cc chord.Config) chord.Status {
	return chord.Status{
		Self: node.Self(), Bits: cc.Bits, R: cc.SuccessorListLen,
		Joined: node.Joined(), Predecessor: node.Predecessor(), Successors: node.Successors(),
	}
}

// awaitReady returns once every store of ms has taken over its keys
// (dht.Store.Ready: a joiner serves no key before), so that a started
// cluster answers every get and set. Between checks it runs one extra
// repair round on every store still taking over, through its driver; it
// gives up after JoinTimeout.
func (c *Cluster) awaitReady(ctx context.Context, ms []*member) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.JoinTimeout)
	defer cancel()
	tick := time.NewTicker(max(c.cfg.DHT.RepairInterval/4, time.Millisecond))
	defer tick.Stop()
	before := -1
	for {
		var waiting []*member
		stores := map[*chord.Node]*dht.Store{}
		c.mu.RLock()
		for _, m := range ms {
			if m.store != nil && !m.store.Ready() {
				waiting = append(waiting, m)
				stores[m.node] = m.store
			}
		}
		c.mu.RUnlock()
		if len(waiting) == 0 {
			return nil
		}
		if before >= 0 && len(waiting) >= before {
			// The last repairs made no store ready: wait before trying again.
			select {
			case <-ctx.Done():
				return fmt.Errorf("%d of %d nodes did not take over their keys (e.g. %s)", len(waiting), len(ms), waiting[0].name)
			case <-tick.C:
			}
		}
		before = len(waiting)
		c.eachDriver(ctx, waiting, func(ctx context.Context, node *chord.Node) { _ = stores[node].Repair(ctx) })
	}
}

// settleTick bounds how long settle waits between two looks at the ring.
const settleTick = 100 * time.Millisecond

// A small ring is looked at more often: settleMinTick plus settlePerNode
// per member apart at most (a look reads every member's successor list).
const (
	settleMinTick = 5 * time.Millisecond
	settlePerNode = 50 * time.Microsecond
)

// newMember reserves a name, an identifier and a listener for a new node
// and records it as down; boot brings it up.
func (c *Cluster) newMember() (*member, error) {
	tr, err := c.net.Listen("")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		tr.Kill()
		return nil, ErrClosed
	}
	m := &member{name: fmt.Sprintf("n%d", len(c.members)), addr: tr.Addr(), state: StateDown, tr: tr}
	if m.id, err = c.chooseIDLocked(m.name, m.addr); err != nil {
		tr.Kill()
		return nil, err
	}
	if c.cfg.Names == NamesID {
		m.name = idName(m.id)
	}
	c.members = append(c.members, m)
	c.yieldNameLocked(m.name)
	return m, nil
}

// chooseIDLocked picks the identifier of a new node: Config.IDs for the
// nodes Start launches, else SHA-1 of its address (or of the seed and its
// start-order name), re-hashed with a counter in the rare case it collides
// with an existing member on a small ring. A full identifier space is an
// error at once, never a loop.
func (c *Cluster) chooseIDLocked(name, addr string) (chord.ID, error) {
	bits := c.cfg.Chord.Bits
	if bits < 63 && uint64(len(c.members)) >= uint64(1)<<bits {
		return chord.ID{}, errorf(ErrFull, "all %d identifiers of the %d-bit ring are taken (by live, down and departed nodes alike)",
			uint64(1)<<bits, bits)
	}
	if i := len(c.members); i < len(c.cfg.IDs) {
		return c.cfg.IDs[i], nil // distinct (Validate), and the first nodes
	}
	base := addr
	if c.cfg.Seed != 0 {
		base = fmt.Sprintf("chordtui seed %d %s", c.cfg.Seed, name)
	}
	taken := c.takenIDsLocked(nil)
	id := chord.HashID(bits, []byte(base))
	for k := 1; taken[id] && k <= maxRehash; k++ {
		id = chord.HashID(bits, []byte(fmt.Sprintf("%s#%d", base, k)))
	}
	for taken[id] { // a nearly full small ring: the next free identifier (one exists, see above)
		id = id.AddPow2(bits, 0)
	}
	return id, nil
}

// maxRehash bounds the re-hashes of a colliding identifier before
// chooseIDLocked walks to the next free one.
const maxRehash = 64

// takenIDsLocked are the identifiers a new node must not take: those of
// the members (but except), of the remote members found, and those a join
// found taken (a ring joined with Config.Join whose members were not all
// found yet).
func (c *Cluster) takenIDsLocked(except *member) map[chord.ID]bool {
	taken := make(map[chord.ID]bool, len(c.members)+len(c.remotes)+len(c.idsTaken))
	for _, o := range c.members {
		if o != except {
			taken[o.id] = true
		}
	}
	for _, r := range c.remotes {
		taken[r.id] = true
	}
	for id := range c.idsTaken {
		taken[id] = true
	}
	return taken
}

// rechooseIDLocked gives m, whose identifier a join found taken, the next
// free one (re-hashed as chooseIDLocked does), renaming it when nodes are
// named by identifier; false when its identifier was given (Config.IDs).
func (c *Cluster) rechooseIDLocked(m *member) bool {
	if slices.Contains(c.cfg.IDs, m.id) {
		return false
	}
	if c.idsTaken == nil {
		c.idsTaken = map[chord.ID]bool{}
	}
	c.idsTaken[m.id] = true
	bits := c.cfg.Chord.Bits
	taken := c.takenIDsLocked(m)
	if bits < 63 && uint64(len(taken)) >= uint64(1)<<bits {
		return false
	}
	base := m.addr
	if c.cfg.Seed != 0 {
		base = fmt.Sprintf("chordtui seed %d %s", c.cfg.Seed, m.name)
	}
	id := m.id
	for k := 1; taken[id] && k <= maxRehash; k++ {
		id = chord.HashID(bits, []byte(fmt.Sprintf("%s#%d", base, k)))
	}
	for taken[id] {
		id = id.AddPow2(bits, 0)
	}
	m.id = id
	if c.cfg.Names == NamesID {
		m.name = idName(id)
	}
	return true
}

// boot makes the chord node and store on m's transport (which must be
// listening), creates a ring (contacts empty) or joins through one of
// contacts, then starts the node's driver. On failure m is left down.
func (c *Cluster) boot(ctx context.Context, m *member, contacts []string) error {
	c.mu.Lock()
	nc := c.cfg.Chord
	dc := c.cfg.DHT
	dc.Logger = c.log.With("node", m.name)
	dc.OnMerge = c.onMerge
	if c.vnodes() {
		dc.Host = HostOf // replicas on distinct real nodes
	}
	if m.host != nil {
		dc.CacheGroup = m.host.cache // gets served from a sibling identity's cache
	}
	tr := m.tr
	m.incarnation++
	inc := m.incarnation
	c.mu.Unlock()
	nc.ID, nc.HasID = m.id, true
	nc.Events = c.chordEvents

	var node *chord.Node
	fail := func(err error) error {
		if node != nil {
			node.Stop()
		}
		tr.Kill()
		c.mu.Lock()
		m.tr, m.node, m.store, m.drv, m.state = nil, nil, nil, nil, StateDown
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", m.name, err)
	}
	var store *dht.Store
	for k := 0; ; k++ {
		var err error
		node, store, err = assembleNode(nc, dc, tr, func() Observation { return c.observe(m) }, c.adminFor(m))
		if err != nil {
			return fail(err)
		}
		if len(contacts) == 0 {
			node.Create()
			break
		}
		err = c.join(ctx, node, m, contacts)
		if err == nil {
			break
		}
		// A member of the ring joined (Config.Join) that was not found
		// yet has this identifier: take another, as a chordtui node does.
		c.mu.Lock()
		again := errors.Is(err, chord.ErrIDCollision) && k < maxRehash && c.rechooseIDLocked(m)
		nc.ID = m.id
		dc.Logger = c.log.With("node", m.name) // renamed with NamesID
		c.mu.Unlock()
		if !again {
			return fail(err)
		}
		node.Stop()
		node = nil
		c.log.Info("identifier taken: re-hashing", "node", m.name, "id", m.id.Short(nc.Bits))
	}
	tasks := c.tasks(node, store, nc, dc.RepairInterval)
	rounds := newRoundCounts(tasks, node.MaintenanceTimeouts)
	drv := chord.NewDriver(rounds.counted(tasks), nc.Jitter, c.driverSeed(m, inc))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		node.Stop()
		tr.Close()
		return ErrClosed
	}
	if c.maintPaused {
		drv.Pause()
	}
	drv.Start()
	m.node, m.store, m.drv, m.rounds, m.state = node, store, drv, rounds, StateAlive
	return nil
}

// join enters the ring through the first contact that works (joinRing).
func (c *Cluster) join(ctx context.Context, node *chord.Node, m *member, contacts []string) error {
	attempts, err := joinRing(ctx, node, contacts, c.cfg.JoinTimeout, c.stop, c.nameOf)
	if err == nil {
		c.log.Debug("joined", "node", m.name, "attempts", attempts)
	}
	return err
}

// tasks are the rounds a node's driver runs (maintenanceTasks).
func (c *Cluster) tasks(node *chord.Node, store *dht.Store, nc chord.Config, repair time.Duration) []chord.Task {
	ts := maintenanceTasks(node, store, nc, repair, c.log)
	for i := range ts {
		// While a large ring forms, the drivers' rounds other than
		// stabilize wait: Start runs them where forming needs them
		// (awaitReady's repairs, the fingers fixed after each wave). Run
		// by every node on its timer at the base pace (every join wakes
		// every driver) they spent the CPU the joins need; a fix_fingers
		// lookup through a ring still forming also held up its node's
		// settle nudges for seconds (rounds of one node never overlap).
		// Stabilize keeps running: at 1024 nodes the nudges alone
		// threaded a wave in twice as slowly, and the drivers that had
		// waited then all woke at once. It waits only while Start fixes
		// the fingers of a settled ring (fixFingers).
		if ts[i].Name == "stabilize" {
			if run := ts[i].Run; run != nil {
				ts[i].Run = func(ctx context.Context) {
					if !c.fixing.Load() {
						run(ctx)
					}
				}
			}
			continue
		}
		if run := ts[i].Run; run != nil {
			ts[i].Run = func(ctx context.Context) {
				if !c.forming.Load() {
					run(ctx)
				}
			}
		}
		if round := ts[i].Round; round != nil {
			ts[i].Round = func(ctx context.Context) error {
				if c.forming.Load() {
					return nil
				}
				return round(ctx)
			}
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
