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

// The faults on real nodes when the cluster runs virtual nodes: each acts
// on every identity of the host at once, as the same fault on one process
// would. faults.go's operations hand over to these.

// killHost crashes a host: every identity stops, then its transport dies.
func (c *Cluster) killHost(node string) error {
	h, err := c.resolveHost("kill", node)
	if err != nil {
		return err
	}
	c.mu.RLock()
	st := hostStateLocked(h)
	c.mu.RUnlock()
	if st == StateDown || st == StateLeft {
		what := h.name + " is already down"
		if st == StateLeft {
			what = h.name + " has already left"
		}
		return errorf(ErrNodeState, "kill: %s — revive %s brings it back", what, h.name)
	}
	what := "kill " + h.name
	f := c.beginFault(what)
	c.mu.Lock()
	tr, wasPaused := h.tr, st == StatePaused
	h.tr, h.mux = nil, nil
	var nodes []*chord.Node
	var drvs []*chord.Driver
	for _, m := range h.members {
		if m.node != nil {
			nodes = append(nodes, m.node)
		}
		if m.drv != nil {
			drvs = append(drvs, m.drv)
		}
		m.tr, m.node, m.store, m.drv, m.state = nil, nil, nil, nil, StateDown
	}
	c.mu.Unlock()
	for _, n := range nodes {
		n.Stop() // a crashed node says and changes nothing more, even mid-round
	}
	c.faultEvent(what)
	if tr != nil {
		tr.Kill()
	}
	if wasPaused {
		c.net.Resume(h.addr) // the next incarnation answers
	}
	for _, d := range drvs {
		d.Stop()
	}
	c.awaitDisconnected(h.members[0].addr)
	f.end(what)
	return nil
}

// reviveHost restarts a host's identities on its address.
func (c *Cluster) reviveHost(ctx context.Context, node string) (JoinReport, error) {
	h, err := c.resolveHost("revive", node)
	if err != nil {
		return JoinReport{}, err
	}
	c.mu.RLock()
	st := hostStateLocked(h)
	c.mu.RUnlock()
	if st != StateDown && st != StateLeft {
		return JoinReport{}, errorf(ErrNodeState, "revive: %s, not down — kill %s first", stateText(h.name, st), h.name)
	}
	contacts, keysLost, err := c.contactsFor("revive", h.members[0])
	if err != nil {
		return JoinReport{}, err
	}
	rep := JoinReport{Nodes: []string{h.name}}
	if len(contacts) == 0 {
		c.mu.RLock()
		rep.NewRing, rep.KeysLost, rep.Side = h.name, keysLost, c.sideOfLocked(h.members[0])
		c.mu.RUnlock()
	}
	what := "revive " + h.name
	f := c.beginFault(what)
	if err := c.listenHost(h); err != nil {
		f.cancel()
		return JoinReport{}, fmt.Errorf("revive: listen on %s again: %w", h.addr, err)
	}
	c.faultEvent(what)
	err = c.bootHost(ctx, h, len(contacts) == 0)
	if err == nil && rep.NewRing != "" {
		c.emitOrdered(Event{Time: time.Now(), Node: h.name, Kind: EventNewRing, Text: rep.NewRingText()})
	}
	f.end(what)
	if err != nil {
		return JoinReport{}, fmt.Errorf("revive: %w", err)
	}
	return rep, nil
}

// bootHost boots h's identities: the first creates a ring when newRing,
// the others (all, otherwise) join through the live members on their
// side, several at once.
func (c *Cluster) bootHost(ctx context.Context, h *vhost, newRing bool) error {
	rest := h.members
	if newRing {
		if err := c.boot(ctx, h.members[0], nil); err != nil {
			return err
		}
		rest = rest[1:]
	}
	errs := make([]error, len(rest))
	var wg sync.WaitGroup
	for i, m := range rest {
		contacts := c.pickContacts(m)
		if len(contacts) == 0 {
			errs[i] = fmt.Errorf("%s: no live node to join through", m.name)
			continue
		}
		wg.Add(1)
		go func() { // exits when the join succeeds or gives up (JoinTimeout)
			defer wg.Done()
			errs[i] = c.boot(ctx, m, contacts)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// addHosts starts count new real nodes, each with its identities.
func (c *Cluster) addHosts(ctx context.Context, count int) (JoinReport, error) {
	probe := &member{} // a new node: not partitioned, so on side A
	contacts, keysLost, err := c.contactsFor("add", probe)
	if err != nil {
		return JoinReport{}, err
	}
	f := c.beginFault("add")
	var hs []*vhost
	var listenErr error
	for range count {
		h, err := c.newHost()
		if err != nil {
			listenErr = err
			break
		}
		hs = append(hs, h)
	}
	if len(hs) == 0 {
		f.cancel()
		return JoinReport{}, fmt.Errorf("add: %w", listenErr)
	}
	rep := JoinReport{Nodes: make([]string, len(hs))}
	for i, h := range hs {
		rep.Nodes[i] = h.name
	}
	what := "add " + strings.Join(rep.Nodes, " ")
	c.faultEvent(what)
	errs := make([]error, len(hs))
	rest := hs
	if len(contacts) == 0 {
		c.mu.RLock()
		rep.NewRing, rep.KeysLost, rep.Side = hs[0].name, keysLost, c.sideOfLocked(hs[0].members[0])
		c.mu.RUnlock()
		if errs[0] = c.bootHost(ctx, hs[0], true); errs[0] != nil {
			rep.NewRing = ""
		} else {
			c.emitOrdered(Event{Time: time.Now(), Node: hs[0].name, Kind: EventNewRing, Text: rep.NewRingText()})
		}
		rest = hs[1:]
	}
	var wg sync.WaitGroup
	for i, h := range rest {
		wg.Add(1)
		go func() { // exits when its identities joined or gave up
			defer wg.Done()
			errs[len(hs)-len(rest)+i] = c.bootHost(ctx, h, false)
		}()
	}
	wg.Wait()
	f.end(what)
	if err := errors.Join(append(errs, listenErr)...); err != nil {
		return rep, fmt.Errorf("add: %w", err)
	}
	return rep, nil
}

// leaveHost makes every identity of a host leave gracefully, one after
// the other, then closes its transport.
func (c *Cluster) leaveHost(ctx context.Context, node string) error {
	h, err := c.resolveHost("leave", node)
	if err != nil {
		return err
	}
	c.mu.RLock()
	st := hostStateLocked(h)
	opTimeout := c.cfg.OpTimeout
	last := len(c.liveRemotesLocked()) == 0 // no other member, live or paused, holds copies
	for _, m := range c.members {
		if m.host != h && (m.state == StateAlive || m.state == StatePaused) {
			last = false
		}
	}
	c.mu.RUnlock()
	if st != StateAlive {
		return errorf(ErrNodeState, "leave: %s — only a live node can leave gracefully", stateText(h.name, st))
	}
	what := "leave " + h.name
	f := c.beginFault(what)
	c.faultEvent(what)
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var errs []error
	for _, m := range h.members {
		c.mu.Lock()
		drv, store, cn := m.drv, m.store, m.node
		m.tr, m.node, m.store, m.drv, m.state = nil, nil, nil, nil, StateLeft
		c.mu.Unlock()
		if drv == nil {
			continue
		}
		drv.Stop()
		if err := store.Leave(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.name, err))
		}
		cn.Stop()
	}
	c.mu.Lock()
	tr := h.tr
	h.tr, h.mux = nil, nil
	c.mu.Unlock()
	if tr != nil {
		if err := tr.Close(); err != nil {
			c.log.Warn("close after leave", "node", h.name, "err", err)
		}
	}
	c.awaitDisconnected(h.members[0].addr)
	f.end(what)
	if last {
		return errorf(ErrNoLiveNode, "leave: %s has left, but it was the last live node: no node took its keys, so they are gone", h.name)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("leave: %s did not finish a graceful departure (it is stopped now): %w", h.name, err)
	}
	return nil
}

// pauseHost freezes a host: none of its identities answers or runs
// maintenance (resume undoes it).
func (c *Cluster) pauseHost(node string, pause bool) error {
	op := "pause"
	if !pause {
		op = "resume"
	}
	h, err := c.resolveHost(op, node)
	if err != nil {
		return err
	}
	c.mu.RLock()
	st, maint := hostStateLocked(h), c.maintPaused
	c.mu.RUnlock()
	switch {
	case pause && st != StateAlive:
		return errorf(ErrNodeState, "pause: %s, not alive", stateText(h.name, st))
	case !pause && st != StatePaused:
		return errorf(ErrNodeState, "resume: %s, not paused", stateText(h.name, st))
	}
	what := op + " " + h.name
	f := c.beginFault(what)
	var drvs []*chord.Driver
	c.mu.Lock()
	for _, m := range h.members {
		m.state = StateAlive
		if pause {
			m.state = StatePaused
		}
		drvs = append(drvs, m.drv)
	}
	c.mu.Unlock()
	if pause {
		c.net.Pause(h.addr)
	} else {
		c.net.Resume(h.addr)
	}
	for _, d := range drvs {
		switch {
		case pause:
			d.Pause()
		case !maint:
			d.Resume()
		}
	}
	c.faultEvent(what)
	f.end(what)
	return nil
}
