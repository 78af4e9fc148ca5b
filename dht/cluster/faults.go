package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// The control operations: faults a user injects (kill, revive, add, leave,
// pause, resume, partition, heal, delay, drop) and the maintenance switch.
// Each takes opMu, so two never interleave. A fault is applied between
// beginFault and endFault: in between, nothing is judged (the ring is
// neither stable nor "no longer stable"), and endFault records it once it
// took effect, so that "stable" is judged over the membership it produced
// and ConvergedIn is measured from then.

// faultMark is what beginFault saved, for cancel.
type faultMark struct {
	c           *Cluster
	stable      bool
	convergedIn time.Duration
	sides       map[string]*sideVerdict
	unstableWhy string
	lastFault   string
	lastFaultAt time.Time
	lostAt      time.Time

	stepsAtFault, stepsAtLost uint64
	convergedSteps            int
	inSteps                   bool
}

// beginFault marks what as being applied. Call end (or cancel, when
// nothing changed after all) on the returned mark.
func (c *Cluster) beginFault(what string) *faultMark {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := &faultMark{c: c, stable: c.stable, convergedIn: c.convergedIn, sides: c.sides, unstableWhy: c.unstableWhy,
		lastFault: c.lastFault, lastFaultAt: c.lastFaultAt, lostAt: c.lostAt,
		stepsAtFault: c.stepsAtFault, stepsAtLost: c.stepsAtLost, convergedSteps: c.convergedSteps, inSteps: c.inSteps}
	c.busy = what
	c.gen++
	c.stable, c.convergedIn, c.sides = false, 0, nil
	c.unstableWhy = what + " in progress"
	return f
}

// cancel undoes beginFault when the operation changed nothing: the
// verdict is what it was.
func (f *faultMark) cancel() {
	c := f.c
	c.mu.Lock()
	c.busy = ""
	c.gen++
	c.stable, c.convergedIn, c.sides, c.unstableWhy = f.stable, f.convergedIn, f.sides, f.unstableWhy
	c.lastFault, c.lastFaultAt, c.lostAt = f.lastFault, f.lastFaultAt, f.lostAt
	c.stepsAtFault, c.stepsAtLost, c.convergedSteps, c.inSteps = f.stepsAtFault, f.stepsAtLost, f.convergedSteps, f.inSteps
	c.mu.Unlock()
}

// end records that the fault what took effect now: stability is judged
// afresh from here, over the membership it produced.
func (f *faultMark) end(what string) {
	c := f.c
	now := time.Now()
	c.mu.Lock()
	c.busy = ""
	c.judgeAfresh(what, now)
	c.mu.Unlock()
	c.wakeMonitor()
}

// judgeAfresh records what as the last disturbance, at now, and drops the
// stability verdict: the ring is judged again from then. c.mu is held.
func (c *Cluster) judgeAfresh(what string, now time.Time) {
	c.lastFault, c.lastFaultAt, c.lostAt = what, now, time.Time{}
	c.stepsAtFault = c.steps
	c.gen++
	c.stable, c.convergedIn, c.sides = false, 0, nil
	c.unstableWhy = "not judged yet after " + what
}

// wakeMonitor makes the monitor evaluate now.
func (c *Cluster) wakeMonitor() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// faultEvent puts the line of a fault in the event stream, after every
// event the nodes sent before it.
func (c *Cluster) faultEvent(what string) {
	c.emitOrdered(Event{Time: time.Now(), Kind: EventFault, Text: what})
}

// stateText says "n3 is down", "n3 has left", "n3 is paused".
func stateText(name string, st State) string {
	if st == StateLeft {
		return name + " has left"
	}
	return name + " is " + string(st)
}

// Kill crashes a node: its transport closes at once and its memory is
// lost. Peers find out by themselves.
func (c *Cluster) Kill(node string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.vnodes() {
		return c.killHost(node)
	}
	if _, ok, err := c.remoteFault("kill", node, AdminRequest{Op: AdminKill}, func(n string) string { return "kill " + n }); ok {
		return err
	}
	m, err := c.resolve("kill", node)
	if err != nil {
		return err
	}
	c.mu.RLock()
	st := m.state
	c.mu.RUnlock()
	if st == StateDown || st == StateLeft {
		what := m.name + " is already down"
		if st == StateLeft {
			what = m.name + " has already left"
		}
		return errorf(ErrNodeState, "kill: %s — revive %s brings it back", what, m.name)
	}
	what := "kill " + m.name
	f := c.beginFault(what)
	c.mu.Lock()
	tr, drv, cn, wasPaused := m.tr, m.drv, m.node, m.state == StatePaused
	m.tr, m.node, m.store, m.drv, m.state = nil, nil, nil, nil, StateDown
	c.mu.Unlock()
	cn.Stop() // a crashed node says and changes nothing more, even mid-round
	c.faultEvent(what)
	tr.Kill()
	if wasPaused {
		c.net.Resume(m.addr) // the next incarnation answers
	}
	drv.Stop()
	c.awaitDisconnected(m.addr)
	f.end(what)
	return nil
}

// disconnectWait bounds how long Kill and Leave wait for the other nodes to
// see a closed node's connections close.
const disconnectWait = 100 * time.Millisecond

// awaitDisconnected returns once no live node's transport still reports a
// connection to addr (or after disconnectWait). A closed transport's
// connections close at once, but each peer notices when its session's
// receive loop next runs; until then a lookup could still take the node as
// live on its neighbour's word (chord.Config.LivenessWindow), so kill and
// leave return only once the crash is visible everywhere, as a user who
// typed the next command would expect.
func (c *Cluster) awaitDisconnected(addr string) {
	c.mu.RLock()
	var trs []Transport
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

// JoinReport says how Revive or Add brought nodes up.
type JoinReport struct {
	// Nodes are the nodes started, in name order.
	Nodes []string `json:"nodes"`
	// NewRing names the node that created a new ring because no live
	// member (on its side of a partition) was left to join through; the
	// others joined through it. "" when every node joined a live ring.
	NewRing string `json:"new_ring,omitempty"`
	// KeysLost: the new ring started with no other node live or paused
	// anywhere, so every key stored before is gone: all of its holders
	// were lost.
	KeysLost bool `json:"keys_lost,omitempty"`
	// Side is the side of the partition the new ring is on ("" without a
	// partition).
	Side string `json:"side,omitempty"`
}

// NewRingText is, when the nodes started a new ring, what that means for
// the keys, for the event log and the command language ("" otherwise).
func (r JoinReport) NewRingText() string {
	switch {
	case r.NewRing == "":
		return ""
	case r.KeysLost:
		return r.NewRing + " started a new ring: no node was live to join through, so every key stored before is gone (all of its holders were lost)"
	case r.Side != "":
		return fmt.Sprintf("%s started a new ring on side %s: no node there was live to join through (the keys on the other side are kept; heal lets the rings merge)", r.NewRing, r.Side)
	}
	return r.NewRing + " started a new ring: no node was live to join through"
}

// contactsFor returns the addresses of the live members on m's side of a
// partition (everyone without one), other than m, in random order, for a
// join. When there is none, why says what to do instead (ErrNoLiveNode) or
// is "" when a new ring may start: no member on that side is paused, whose
// keys a new ring beside it would split off. keysLost reports that no
// member anywhere is live or paused.
func (c *Cluster) contactsFor(op string, m *member) (contacts []string, keysLost bool, err error) {
	contacts = c.pickContacts(m)
	if len(contacts) > 0 {
		return contacts, false, nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	side := c.sideOfLocked(m)
	keysLost = true
	for _, o := range c.members {
		if o == m {
			continue
		}
		if o.state == StatePaused && c.sideOfLocked(o) == side {
			return nil, false, errorf(ErrNoLiveNode, "%s: no live node to join through and %s — resume %s first (a new ring beside a paused node would split its keys off)",
				op, stateText(o.name, o.state), o.name)
		}
		if o.state == StateAlive || o.state == StatePaused {
			keysLost = false
		}
	}
	return nil, keysLost, nil
}

// Revive restarts a crashed or departed node on the same address with the
// same identifier and empty memory, joining through a live member.
func (c *Cluster) Revive(ctx context.Context, node string) error {
	_, err := c.ReviveNode(ctx, node)
	return err
}

// ReviveNode is Revive, reporting how the node came up: with no live
// member left to join through (on its side of a partition), it starts a
// new ring, and JoinReport says whether every key was lost with the old
// one.
func (c *Cluster) ReviveNode(ctx context.Context, node string) (JoinReport, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.vnodes() {
		return c.reviveHost(ctx, node)
	}
	if err := c.remoteOnly("revive", node, "start its process again (chordtui node --join)"); err != nil {
		return JoinReport{}, err
	}
	m, err := c.resolve("revive", node)
	if err != nil {
		return JoinReport{}, err
	}
	c.mu.RLock()
	st := m.state
	c.mu.RUnlock()
	if st != StateDown && st != StateLeft {
		return JoinReport{}, errorf(ErrNodeState, "revive: %s, not down — kill %s first", stateText(m.name, st), m.name)
	}
	contacts, keysLost, err := c.contactsFor("revive", m)
	if err != nil {
		return JoinReport{}, err
	}
	rep := JoinReport{Nodes: []string{m.name}}
	if len(contacts) == 0 {
		c.mu.RLock()
		rep.NewRing, rep.KeysLost, rep.Side = m.name, keysLost, c.sideOfLocked(m)
		c.mu.RUnlock()
	}
	what := "revive " + m.name
	f := c.beginFault(what)
	tr, err := c.net.Listen(m.addr)
	if err != nil {
		f.cancel()
		return JoinReport{}, fmt.Errorf("revive: listen on %s again: %w", m.addr, err)
	}
	c.faultEvent(what)
	c.mu.Lock()
	m.tr = tr
	c.mu.Unlock()
	err = c.boot(ctx, m, contacts)
	if err == nil && rep.NewRing != "" {
		c.emitOrdered(Event{Time: time.Now(), Node: m.name, Kind: EventNewRing, Text: rep.NewRingText()})
	}
	f.end(what)
	if err != nil {
		return JoinReport{}, fmt.Errorf("revive: %w", err)
	}
	return rep, nil
}

// maxAdd bounds one Add.
const maxAdd = 1000

// Add starts count new nodes (named after the last one) and joins them
// concurrently through live members. It returns their names, also when
// some of them failed to join (those stay down).
func (c *Cluster) Add(ctx context.Context, count int) ([]string, error) {
	rep, err := c.AddNodes(ctx, count)
	return rep.Nodes, err
}

// AddNodes is Add, reporting how the nodes came up: with no live member
// to join through (on side A of a partition, where new nodes go), the
// first new node starts a new ring and the others join it.
func (c *Cluster) AddNodes(ctx context.Context, count int) (JoinReport, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.Closed() {
		return JoinReport{}, errorf(ErrClosed, "add: the cluster is closed")
	}
	if count < 1 || count > maxAdd {
		return JoinReport{}, errorf(ErrBadArgument, "add: COUNT must be a whole number from 1 to %d, got %d", maxAdd, count)
	}
	if c.cfg.Attach != "" {
		return JoinReport{}, errorf(ErrNodeState, "add: an attached program starts no node — start one with chordtui node --join %s", c.cfg.Attach)
	}
	c.mu.RLock()
	bits, have := c.cfg.Chord.Bits, len(c.members)
	c.mu.RUnlock()
	if bits < 63 && uint64(have+count) > uint64(1)<<bits {
		return JoinReport{}, errorf(ErrFull, "add: a %d-bit ring has %d identifiers and %d are taken (by live, down and departed nodes alike)",
			bits, uint64(1)<<bits, have)
	}
	if c.vnodes() {
		return c.addHosts(ctx, count)
	}
	probe := &member{} // a new node: not partitioned, so on side A
	contacts, keysLost, err := c.contactsFor("add", probe)
	if err != nil {
		return JoinReport{}, err
	}
	f := c.beginFault("add")
	var ms []*member
	var listenErr error
	for range count {
		m, err := c.newMember()
		if err != nil {
			listenErr = err
			break
		}
		ms = append(ms, m)
	}
	rep := JoinReport{Nodes: make([]string, len(ms))}
	for i, m := range ms {
		rep.Nodes[i] = m.name
	}
	if len(ms) == 0 {
		f.cancel()
		return JoinReport{}, fmt.Errorf("add: %w", listenErr)
	}
	what := "add " + strings.Join(rep.Nodes, " ")
	c.faultEvent(what)
	errs := make([]error, len(ms))
	rest := ms
	if len(contacts) == 0 {
		// No ring to join: the first new node creates one.
		c.mu.RLock()
		rep.NewRing, rep.KeysLost, rep.Side = ms[0].name, keysLost, c.sideOfLocked(ms[0])
		c.mu.RUnlock()
		if errs[0] = c.boot(ctx, ms[0], nil); errs[0] != nil {
			rep.NewRing = ""
		} else {
			c.emitOrdered(Event{Time: time.Now(), Node: ms[0].name, Kind: EventNewRing, Text: rep.NewRingText()})
		}
		rest = ms[1:]
	}
	var wg sync.WaitGroup
	for i, m := range rest {
		contacts := c.pickContacts(m)
		if len(contacts) == 0 {
			errs[len(ms)-len(rest)+i] = fmt.Errorf("%s: no live node to join through", m.name)
			continue
		}
		wg.Add(1)
		go func() { // exits when the join succeeds or gives up (JoinTimeout)
			defer wg.Done()
			errs[len(ms)-len(rest)+i] = c.boot(ctx, m, contacts)
		}()
	}
	wg.Wait()
	f.end(what)
	if err := errors.Join(append(errs, listenErr)...); err != nil {
		return rep, fmt.Errorf("add: %w", err)
	}
	return rep, nil
}

// Leave makes a node depart gracefully: it hands its keys to its successor
// and tells its neighbours, then stops.
func (c *Cluster) Leave(ctx context.Context, node string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.vnodes() {
		return c.leaveHost(ctx, node)
	}
	if err := c.remoteOnly("leave", node, "SIGTERM or ctrl-c its process makes it leave gracefully"); err != nil {
		return err
	}
	m, err := c.resolve("leave", node)
	if err != nil {
		return err
	}
	c.mu.RLock()
	st := m.state
	opTimeout := c.cfg.OpTimeout
	last := len(c.liveRemotesLocked()) == 0 // no other member, live or paused, holds copies
	for _, o := range c.members {
		if o != m && (o.state == StateAlive || o.state == StatePaused) {
			last = false
		}
	}
	c.mu.RUnlock()
	if st != StateAlive {
		return errorf(ErrNodeState, "leave: %s — only a live node can leave gracefully", stateText(m.name, st))
	}
	what := "leave " + m.name
	f := c.beginFault(what)
	c.faultEvent(what) // leaving takes a while: its hand-off's events follow
	c.mu.Lock()
	tr, drv, store, cn := m.tr, m.drv, m.store, m.node
	m.tr, m.node, m.store, m.drv, m.state = nil, nil, nil, nil, StateLeft
	c.mu.Unlock()
	drv.Stop()
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	lerr := store.Leave(ctx)
	cn.Stop() // after the hand-off, which still needs the node
	cerr := tr.Close()
	c.awaitDisconnected(m.addr)
	f.end(what)
	if last {
		return errorf(ErrNoLiveNode, "leave: %s has left, but it was the last live node: no node took its keys, so they are gone", m.name)
	}
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
func (c *Cluster) Pause(node string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.vnodes() {
		return c.pauseHost(node, true)
	}
	if _, ok, err := c.remoteFault("pause", node, AdminRequest{Op: AdminPause}, func(n string) string { return "pause " + n }); ok {
		return err
	}
	m, err := c.resolve("pause", node)
	if err != nil {
		return err
	}
	c.mu.RLock()
	st, drv := m.state, m.drv
	c.mu.RUnlock()
	if st != StateAlive {
		return errorf(ErrNodeState, "pause: %s, not alive", stateText(m.name, st))
	}
	what := "pause " + m.name
	f := c.beginFault(what)
	c.mu.Lock()
	m.state = StatePaused
	c.mu.Unlock()
	c.net.Pause(m.addr)
	drv.Pause()
	c.faultEvent(what)
	f.end(what)
	return nil
}

// Resume undoes Pause.
func (c *Cluster) Resume(node string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.vnodes() {
		return c.pauseHost(node, false)
	}
	if _, ok, err := c.remoteFault("resume", node, AdminRequest{Op: AdminResume}, func(n string) string { return "resume " + n }); ok {
		return err
	}
	m, err := c.resolve("resume", node)
	if err != nil {
		return err
	}
	c.mu.RLock()
	st, drv, maint := m.state, m.drv, c.maintPaused
	c.mu.RUnlock()
	if st != StatePaused {
		return errorf(ErrNodeState, "resume: %s, not paused", stateText(m.name, st))
	}
	what := "resume " + m.name
	f := c.beginFault(what)
	c.mu.Lock()
	m.state = StateAlive
	c.mu.Unlock()
	c.net.Resume(m.addr)
	if !maint {
		drv.Resume()
	}
	c.faultEvent(what)
	f.end(what)
	return nil
}

// PartitionReport says what Partition did.
type PartitionReport struct {
	// Nodes is side B, each node once, as named.
	Nodes []string `json:"nodes"`
	// Replaced is the side B of the partition this one replaced (nil
	// when none was in force).
	Replaced []string `json:"replaced,omitempty"`
	// NotApplied names the remote members that refused the partition or
	// did not answer (they allow no admin operations): their own calls
	// still cross it, though this cluster's nodes cut theirs.
	NotApplied []string `json:"not_applied,omitempty"`
}

// Partition cuts the named nodes off from all others. The named nodes are
// side B, the others side A; nodes added later join side A. It replaces
// any earlier partition.
func (c *Cluster) Partition(nodes []string) (PartitionReport, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	group := map[*member]bool{}
	seen := map[string]bool{}
	var addrs, names []string
	for _, n := range nodes {
		c.mu.RLock()
		r := c.remoteNamedLocked(n)
		c.mu.RUnlock()
		if r != nil && c.remoteOnly("partition", n, "") != nil { // a remote member, not a local one
			if !seen[r.name] {
				seen[r.name] = true
				addrs = append(addrs, r.addr)
				names = append(names, r.name)
			}
			continue
		}
		t, err := c.resolveTarget("partition", n)
		if err != nil {
			return PartitionReport{}, err
		}
		if !seen[t.name] {
			seen[t.name] = true
			addrs = append(addrs, t.addr)
			names = append(names, t.name)
			for _, m := range t.members {
				group[m] = true
			}
		}
	}
	c.mu.RLock()
	total := len(c.members) + len(c.remotes)
	if c.vnodes() {
		total = len(c.hosts) + len(c.remotes)
	}
	c.mu.RUnlock()
	if len(seen) == 0 || len(seen) == total {
		return PartitionReport{}, errorf(ErrBadArgument, "partition: the group holds every node, so nothing is cut off — name a subset")
	}
	if !c.anyMemberCuts() {
		return PartitionReport{}, errorf(ErrAdminRefused, "partition: no member allows admin operations, so nothing would be cut off — start the nodes with --admin")
	}
	what := "partition " + strings.Join(names, " ")
	f := c.beginFault(what)
	inB := make(map[string]bool, len(addrs))
	for _, a := range addrs {
		inB[a] = true
	}
	c.mu.Lock()
	for _, m := range c.members {
		m.partitioned = group[m]
	}
	for _, r := range c.remotes { // at once with the flag (partitionRemotes tells them later)
		r.as.partitioned = inB[r.addr]
	}
	c.partitioned = true
	rep := PartitionReport{Nodes: names, Replaced: c.sideB}
	c.sideB = names
	c.mu.Unlock()
	if c.net != nil {
		c.net.Partition(addrs) // remote addresses too: local calls to them are cut
	}
	if rep.NotApplied = c.partitionRemotes(addrs); len(rep.NotApplied) > 0 {
		what += " (not applied on " + strings.Join(rep.NotApplied, ", ") + ": no admin operations there)"
	}
	c.faultEvent(what)
	f.end(what)
	return rep, nil
}

// anyMemberCuts reports whether a partition would be applied anywhere: on
// a local member, or on a remote one that allows admin operations.
func (c *Cluster) anyMemberCuts() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.members) > 0 {
		return true
	}
	for _, r := range c.remotes {
		if r.obs.Admin {
			return true
		}
	}
	return false
}

// Heal removes the partition in force and returns its side B (nil when
// there was none; the networks are healed either way).
func (c *Cluster) Heal() (sideB []string) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	f := c.beginFault("heal")
	c.mu.Lock()
	for _, m := range c.members {
		m.partitioned = false
	}
	c.partitioned = false
	sideB, c.sideB = c.sideB, nil
	c.mu.Unlock()
	if c.net != nil {
		c.net.Heal()
	}
	c.partitionRemotes(nil)
	c.faultEvent("heal")
	f.end("heal")
	return sideB
}

// SetDelay adds d to every call to or from the node (0 removes it) and
// returns the node's name.
func (c *Cluster) SetDelay(node string, d time.Duration) (string, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if d < 0 {
		return "", errorf(ErrBadArgument, "delay: DURATION must not be negative, got %v", d)
	}
	if name, ok, err := c.remoteFault("delay", node, AdminRequest{Op: AdminDelay, Delay: d}, func(n string) string { return fmt.Sprintf("delay %s %v", n, d) }); ok {
		return name, err
	}
	t, err := c.resolveTarget("delay", node)
	if err != nil {
		return "", err
	}
	return c.setLinkFault(t, fmt.Sprintf("delay %s %v", t.name, d), func(m *member) { m.delay = d },
		func(addr string) { c.net.SetDelay(addr, d) }), nil
}

// SetDrop makes percent (0..100) of the calls to or from the node fail and
// returns the node's name.
func (c *Cluster) SetDrop(node string, percent float64) (string, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if !(percent >= 0 && percent <= 100) { // also refuses NaN
		return "", errorf(ErrBadArgument, "drop: PERCENT must be between 0 and 100, got %v", percent)
	}
	if name, ok, err := c.remoteFault("drop", node, AdminRequest{Op: AdminDrop, Percent: percent}, func(n string) string { return fmt.Sprintf("drop %s %g%%", n, percent) }); ok {
		return name, err
	}
	t, err := c.resolveTarget("drop", node)
	if err != nil {
		return "", err
	}
	return c.setLinkFault(t, fmt.Sprintf("drop %s %g%%", t.name, percent), func(m *member) { m.drop = percent },
		func(addr string) { c.net.SetDrop(addr, percent/100) }), nil
}

// faultTarget is what a fault acts on: a node, or with virtual nodes a
// real node with every identity on it, at its listener's address.
type faultTarget struct {
	name, addr string
	members    []*member
}

// resolveTarget names the node (or, with virtual nodes, the real node)
// that op acts on.
func (c *Cluster) resolveTarget(op, arg string) (faultTarget, error) {
	if c.vnodes() {
		h, err := c.resolveHost(op, arg)
		if err != nil {
			return faultTarget{}, err
		}
		return faultTarget{name: h.name, addr: h.addr, members: h.members}, nil
	}
	m, err := c.resolve(op, arg)
	if err != nil {
		return faultTarget{}, err
	}
	return faultTarget{name: m.name, addr: m.addr, members: []*member{m}}, nil
}

// setLinkFault records a delay or a drop on t's members (set) and applies
// it to every call to or from t's address, and returns t's name.
func (c *Cluster) setLinkFault(t faultTarget, what string, set func(*member), apply func(addr string)) string {
	f := c.beginFault(what)
	c.mu.Lock()
	for _, m := range t.members {
		set(m)
	}
	c.mu.Unlock()
	apply(t.addr)
	c.faultEvent(what)
	f.end(what)
	return t.name
}

// RunsNodes reports, as an error naming op, that an attached cluster
// (Config.Attach) runs no node, so maintenance and its settings (pause,
// step, config) are not its to change: they belong to the programs that
// run the nodes. It is nil for a cluster that runs nodes.
func (c *Cluster) RunsNodes(op string) error {
	if c.cfg.Attach == "" {
		return nil
	}
	return errorf(ErrNodeState, "%s: an attached program runs no node — its maintenance is the business of the programs that run the nodes", op)
}

// PauseMaintenance stops every driver's rounds (step mode).
func (c *Cluster) PauseMaintenance() {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	drvs := c.pauseMaintenanceLocked()
	c.mu.Unlock()
	pauseAll(drvs)
}

// ResumeMaintenance restarts the rounds of every live node.
func (c *Cluster) ResumeMaintenance() {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maintPaused = false
	c.pausedAt = time.Time{}
	for _, m := range c.members {
		if m.drv != nil && m.state == StateAlive {
			m.drv.Resume()
		}
	}
}

// StepMaintenance runs one round of every task on every live node, in name
// order, and returns how many nodes ran. The stable condition is evaluated
// before and after, so that a ring that stays ideal through a step is
// confirmed stable by it. It counts as one step, as Step does; Step also
// reports what each round did.
func (c *Cluster) StepMaintenance(ctx context.Context) int {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.evaluate() // before the step is counted: what held already took no step
	c.mu.Lock()
	c.steps++
	c.mu.Unlock()
	defer c.evaluate()
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

// pickContacts returns the addresses of the live members on self's side
// of a partition (all of them without one) other than self, in random
// order, for a join: a node cannot join through a node it cannot reach.
func (c *Cluster) pickContacts(self *member) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	side := c.sideOfLocked(self)
	for _, m := range c.liveLocked() {
		if m != self && c.sideOfLocked(m) == side {
			out = append(out, m.addr)
		}
	}
	for _, m := range c.liveRemotesLocked() { // the ring joined (Config.Join)
		if c.sideOfLocked(m) == side {
			out = append(out, m.addr)
		}
	}
	c.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
