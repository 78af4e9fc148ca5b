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
// Each takes opMu, so two never interleave, and records itself with
// recordFault so that "stable" is measured from it.

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
	c.emit(Event{Time: now, Kind: EventFault, Text: what})
}

// Kill crashes a node: its transport closes at once and its memory is
// lost. Peers find out by themselves.
func (c *Cluster) Kill(node string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("kill", node)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if m.state == StateDown || m.state == StateLeft {
		c.mu.Unlock()
		return errorf(ErrNodeState, "kill: %s is already %s — revive %s brings it back", m.name, m.state, m.name)
	}
	tr, drv, cn, wasPaused := m.tr, m.drv, m.node, m.state == StatePaused
	m.tr, m.node, m.store, m.drv, m.state = nil, nil, nil, nil, StateDown
	c.mu.Unlock()
	cn.Stop() // a crashed node says and changes nothing more, even mid-round
	tr.Kill()
	if wasPaused {
		c.net.Resume(m.addr) // the next incarnation answers
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

// Revive restarts a crashed or departed node on the same address with the
// same identifier and empty memory, joining through a live member.
func (c *Cluster) Revive(ctx context.Context, node string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("revive", node)
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
	tr, err := c.net.Listen(m.addr)
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

// maxAdd bounds one Add.
const maxAdd = 1000

// Add starts count new nodes (named after the last one) and joins them
// concurrently through live members. It returns their names, also when
// some of them failed to join (those stay down).
func (c *Cluster) Add(ctx context.Context, count int) ([]string, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	if c.Closed() {
		return nil, errorf(ErrClosed, "add: the cluster is closed")
	}
	if count < 1 || count > maxAdd {
		return nil, errorf(ErrBadArgument, "add: COUNT must be a whole number from 1 to %d, got %d", maxAdd, count)
	}
	if len(c.pickContacts(nil)) == 0 {
		return nil, errorf(ErrNoLiveNode, "add: no live node to join through — revive one first")
	}
	c.mu.RLock()
	bits, have := c.cfg.Chord.Bits, len(c.members)
	c.mu.RUnlock()
	if bits < 63 && uint64(have+count) > uint64(1)<<bits {
		return nil, errorf(ErrFull, "add: a %d-bit ring has %d identifiers and %d are taken (by live, down and departed nodes alike)",
			bits, uint64(1)<<bits, have)
	}
	var ms []*member
	var listenErr error
	for range count {
		m, err := c.newMember()
		if err != nil {
			listenErr = fmt.Errorf("add: %w", err)
			break
		}
		ms = append(ms, m)
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.name
	}
	if len(ms) == 0 {
		return nil, listenErr
	}
	c.recordFault("add " + strings.Join(names, " "))
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		contacts := c.pickContacts(m)
		wg.Add(1)
		go func() { // exits when the join succeeds or gives up (JoinTimeout)
			defer wg.Done()
			errs[i] = c.boot(ctx, m, contacts)
		}()
	}
	wg.Wait()
	if err := errors.Join(append(errs, listenErr)...); err != nil {
		return names, fmt.Errorf("add: %w", err)
	}
	return names, nil
}

// Leave makes a node depart gracefully: it hands its keys to its successor
// and tells its neighbours, then stops.
func (c *Cluster) Leave(ctx context.Context, node string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("leave", node)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if m.state != StateAlive {
		c.mu.Unlock()
		return errorf(ErrNodeState, "leave: %s is %s — only a live node can leave gracefully", m.name, m.state)
	}
	tr, drv, store, cn := m.tr, m.drv, m.store, m.node
	m.tr, m.node, m.store, m.drv, m.state = nil, nil, nil, nil, StateLeft
	opTimeout := c.cfg.OpTimeout
	c.mu.Unlock()
	drv.Stop()
	c.recordFault("leave " + m.name)
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	lerr := store.Leave(ctx)
	cn.Stop() // after the hand-off, which still needs the node
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
func (c *Cluster) Pause(node string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("pause", node)
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
	c.net.Pause(m.addr)
	drv.Pause()
	c.recordFault("pause " + m.name)
	return nil
}

// Resume undoes Pause.
func (c *Cluster) Resume(node string) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("resume", node)
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
	c.net.Resume(m.addr)
	if !maint {
		drv.Resume()
	}
	c.recordFault("resume " + m.name)
	return nil
}

// Partition cuts the named nodes off from all others (replacing any earlier
// partition) and returns their names, each once.
func (c *Cluster) Partition(nodes []string) ([]string, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	group := map[*member]bool{}
	var addrs, names []string
	for _, n := range nodes {
		m, err := c.resolve("partition", n)
		if err != nil {
			return nil, err
		}
		if !group[m] {
			group[m] = true
			addrs = append(addrs, m.addr)
			names = append(names, m.name)
		}
	}
	c.mu.Lock()
	if len(group) == 0 || len(group) == len(c.members) {
		c.mu.Unlock()
		return nil, errorf(ErrBadArgument, "partition: the group holds every node, so nothing is cut off — name a subset")
	}
	for _, m := range c.members {
		m.partitioned = group[m]
	}
	c.mu.Unlock()
	c.net.Partition(addrs)
	c.recordFault("partition " + strings.Join(names, " "))
	return names, nil
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
	c.net.Heal()
	c.recordFault("heal")
}

// SetDelay adds d to every call to or from the node (0 removes it) and
// returns the node's name.
func (c *Cluster) SetDelay(node string, d time.Duration) (string, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("delay", node)
	if err != nil {
		return "", err
	}
	if d < 0 {
		return "", errorf(ErrBadArgument, "delay: DURATION must not be negative, got %v", d)
	}
	c.mu.Lock()
	m.delay = d
	c.mu.Unlock()
	c.net.SetDelay(m.addr, d)
	c.recordFault(fmt.Sprintf("delay %s %v", m.name, d))
	return m.name, nil
}

// SetDrop makes percent (0..100) of the calls to or from the node fail and
// returns the node's name.
func (c *Cluster) SetDrop(node string, percent float64) (string, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.resolve("drop", node)
	if err != nil {
		return "", err
	}
	if !(percent >= 0 && percent <= 100) { // also refuses NaN
		return "", errorf(ErrBadArgument, "drop: PERCENT must be between 0 and 100, got %v", percent)
	}
	c.mu.Lock()
	m.drop = percent
	c.mu.Unlock()
	c.net.SetDrop(m.addr, percent/100)
	c.recordFault(fmt.Sprintf("drop %s %g%%", m.name, percent))
	return m.name, nil
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
