package cluster

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// The read API: copies of the cluster's state for observers. None of these
// blocks on the network; each reads the nodes' local state under mu.

// Snapshot returns a copy of the whole cluster for observers. Node state is
// read now; Stable and ConvergedIn come from the monitor's last evaluation
// (at most MonitorInterval old).
func (c *Cluster) Snapshot() Snapshot {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s := Snapshot{
		Taken:             time.Now(),
		Bits:              c.cfg.Chord.Bits,
		R:                 c.cfg.Chord.SuccessorListLen,
		Replicas:          c.cfg.DHT.Replicas,
		Stable:            c.stable,
		LastFault:         c.lastFault,
		LastFaultAt:       c.lastFaultAt,
		ConvergedIn:       c.convergedIn,
		MaintenancePaused: c.maintPaused,
		Origin:            c.origin,
		UnstableReason:    c.unstableWhy,
		EventsDropped:     c.evDropped.Load(),
		LoadWindow:        c.loadWindowLocked(),
		RESP:              c.respStatusLocked(),
	}
	var stores []*dht.Store
	known := make(map[*member]chord.Status, len(c.members))
	for _, m := range c.members {
		ns := c.nodeSnapshotLocked(m, s.Taken)
		if m.node != nil {
			known[m] = ns.Chord
			if m.state == StateAlive {
				stores = append(stores, m.store)
			}
		}
		s.Nodes = append(s.Nodes, ns)
	}
	s.Nodes = append(s.Nodes, c.remoteSnapshotsLocked()...)
	j := c.judgeLocked(known)
	s.Violations = c.violationsLocked(j.violations, func(i int) string { return j.sideOf[i] })
	s.Health = c.healthLocked(j)
	s.KeyIDs = c.keyIDs(s.Taken, stores)
	if p, ok := c.Workload(); ok {
		s.Workload = &p
	}
	return s
}

// nodeSnapshotLocked copies m's state at now. Caller holds mu.
func (c *Cluster) nodeSnapshotLocked(m *member, now time.Time) NodeSnapshot {
	ns := memberSnapshot(m, now)
	ns.Side = c.sideOfLocked(m)
	if m.host != nil {
		ns.Host = m.host.name
	}
	return ns
}

// memberSnapshot copies m's own state at now: what the node itself
// knows, which its observer command answers (observe.go).
func memberSnapshot(m *member, now time.Time) NodeSnapshot {
	ns := NodeSnapshot{
		Name: m.name, State: m.state, Addr: m.addr, ID: m.id,
		Delay: m.delay, DropPercent: m.drop, Partitioned: m.partitioned,
		Incarnation: m.incarnation,
	}
	if m.node != nil {
		ns.Chord = m.node.Status()
		ns.Keys = m.store.Counts()
		ns.Load = loadLocked(m, ns.Keys, now)
	} else {
		ns.Load = NodeLoad{Name: m.name, State: m.state}
	}
	ns.RPC = rpcStatsLocked(m)
	return ns
}

// rpcStatsLocked reads m's transport counters (zero while it is down).
func rpcStatsLocked(m *member) RPCStats {
	if m.tr == nil || m.state == StateDown {
		return RPCStats{}
	}
	return m.tr.Stats()
}

// keyIDsMaxAge is how stale Snapshot.KeyIDs may be.
const keyIDsMaxAge = 250 * time.Millisecond

// keyIDs returns the sorted identifiers of the live keys in stores,
// recomputed at most every keyIDsMaxAge: listing and sorting every store's
// keys at the UI's frame rate would cost more than drawing the frame.
func (c *Cluster) keyIDs(now time.Time, stores []*dht.Store) []chord.ID {
	c.keyMu.Lock()
	defer c.keyMu.Unlock()
	if c.keyIDsAt.IsZero() || now.Sub(c.keyIDsAt) >= keyIDsMaxAge {
		set := map[chord.ID]bool{}
		for _, st := range stores {
			for _, k := range st.Keys() {
				if !k.Deleted {
					set[k.ID] = true
				}
			}
		}
		ids := make([]chord.ID, 0, len(set))
		for id := range set {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i].Cmp(ids[j]) < 0 })
		c.keyIDsCache, c.keyIDsAt = ids, now
	}
	return append([]chord.ID(nil), c.keyIDsCache...)
}

// faultsLocked lists the faults set on m, in words.
func faultsLocked(m *member) []string {
	var f []string
	if m.delay > 0 {
		f = append(f, "delay "+m.delay.String())
	}
	if m.drop > 0 {
		f = append(f, fmt.Sprintf("drop %g%%", m.drop))
	}
	if m.partitioned {
		f = append(f, "partitioned")
	}
	return f
}

// Nodes lists every node with its state, pointers and key counts.
func (c *Cluster) Nodes() NodesView {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v := NodesView{Stable: c.stable, Partitioned: c.partitioned, Origin: c.origin, LastFault: c.lastFault,
		ConvergedIn: c.convergedIn, Summary: c.healthLocked(c.judgeLocked(nil)).Summary,
		Nodes: make([]NodeRow, 0, len(c.members))}
	if c.vnodes() {
		v.Nodes = c.hostRowsLocked()
		return v
	}
	for _, m := range c.members {
		p := c.peerLocked(m)
		r := NodeRow{Name: m.name, ID: p.ID, Addr: m.addr, State: m.state, RingPosition: p.ID.Fraction(),
			Faults: faultsLocked(m), Side: c.sideOfLocked(m)}
		if m.node != nil {
			st := m.node.Status()
			k := m.store.Counts()
			r.Owned, r.Replicas, r.Keys = k.Owned, k.Replicas, k.Owned+k.Replicas
			if st.Joined {
				r.Joined, r.Pred, r.Succ = true, c.refLocked(st.Predecessor), c.refLocked(st.Successor())
			}
		}
		v.Nodes = append(v.Nodes, r)
	}
	for _, ns := range c.remoteSnapshotsLocked() {
		r := NodeRow{Name: ns.Name, ID: RingID{ID: ns.ID, Bits: c.cfg.Chord.Bits}, Addr: ns.Addr, State: ns.State,
			RingPosition: RingID{ID: ns.ID, Bits: c.cfg.Chord.Bits}.Fraction(), Remote: true, Side: ns.Side,
			Owned: ns.Keys.Owned, Replicas: ns.Keys.Replicas, Keys: ns.Keys.Owned + ns.Keys.Replicas}
		if st := ns.Chord; st.Joined && ns.State == StateAlive {
			r.Joined, r.Pred, r.Succ = true, c.refLocked(st.Predecessor), c.refLocked(st.Successor())
		}
		v.Nodes = append(v.Nodes, r)
	}
	return v
}

// Node describes one node (a name, identifier or address) in full:
// pointers, successor list, fingers (as the paper's table and collapsed to
// runs), key counts.
func (c *Cluster) Node(node string) (NodeDetail, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if h := c.hostNamedLocked(node); h != nil {
		return c.hostDetailLocked(h), nil
	}
	m, err := c.resolveLocked("node", node)
	if err != nil {
		if r := c.remoteNamedLocked(node); r != nil {
			m = r.as
		} else {
			return NodeDetail{}, c.hostsNamed(err)
		}
	}
	p := c.peerLocked(m)
	d := NodeDetail{Name: m.name, ID: p.ID, Addr: m.addr, State: m.state, Incarnation: m.incarnation, Faults: faultsLocked(m)}
	var st chord.Status
	var k dht.Counts
	switch {
	case m.remote != nil && m.remote.misses == 0: // as it last answered
		st, k = m.remote.obs.Node.Chord, m.remote.obs.Node.Keys
		d.Incarnation = m.remote.obs.Node.Incarnation
	case m.node == nil:
		return d, nil
	default:
		st, k = m.node.Status(), m.store.Counts()
	}
	d.Owned, d.Replicas, d.Tombstones, d.Bytes = k.Owned, k.Replicas, k.Tombstones, k.Bytes
	if st.Joined || m.state == StatePaused {
		r := &Routing{Pred: c.refLocked(st.Predecessor), Lookups: st.Lookups, Rounds: st.Rounds}
		for _, s := range st.Successors {
			r.Successors = append(r.Successors, c.refLocked(s))
		}
		names := make(map[string]string, len(c.members))
		for _, o := range c.members {
			names[o.addr] = o.name
		}
		for _, o := range c.remotes {
			names[o.addr] = o.name
		}
		r.Fingers = CollapseFingers(st, names)
		r.FingerTable = c.fingerTableLocked(st, c.sideIDsLocked(m))
		for k, v := range st.Routes {
			if !v.IsZero() && k < len(st.Fingers) {
				r.Routed = append(r.Routed, RoutedFinger{K: k + 1, Node: c.refLocked(st.Fingers[k]), Via: c.refLocked(v)})
			}
		}
		d.Routing = r
	}
	return d, nil
}

// Keys lists the keys the node (a name, ID prefix or address) stores,
// tombstones included. A node that is down or has left stores none.
func (c *Cluster) Keys(node string) (KeyList, error) {
	c.mu.RLock()
	if h := c.hostNamedLocked(node); h != nil {
		c.mu.RUnlock()
		return c.hostKeys(h), nil
	}
	m, err := c.resolveLocked("keys", node)
	if err != nil {
		if r := c.remoteNamedLocked(node); r != nil {
			m = r.as
		} else {
			c.mu.RUnlock()
			return KeyList{}, c.hostsNamed(err)
		}
	}
	var src keySource
	switch {
	case m.remote != nil && m.remote.misses == 0:
		src = freshKeys{m.remote.keys} // what it holds now, not the monitor's copy
	case m.store != nil:
		src = m.store
	}
	c.mu.RUnlock()
	out := KeyList{Node: m.name, Keys: []KeyEntry{}}
	if src == nil {
		return out, nil
	}
	out.Running = true
	keys := src.Keys()
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, k := range keys {
		out.Keys = append(out.Keys, c.keyEntryLocked(k))
	}
	return out, nil
}

// Stats returns every node's RPC and lookup counters, with totals.
func (c *Cluster) Stats() StatsView {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v := StatsView{Nodes: make([]NodeStats, 0, len(c.members)+len(c.remotes)), EventsDropped: c.evDropped.Load()}
	type row struct {
		name  string
		state State
		rpc   RPCStats
		st    *chord.Status
	}
	rows := make([]row, 0, len(c.members)+len(c.remotes))
	for _, m := range c.members {
		r := row{name: m.name, state: m.state, rpc: rpcStatsLocked(m)}
		if m.node != nil {
			st := m.node.Status()
			r.st = &st
		}
		rows = append(rows, r)
	}
	for _, ns := range c.remoteSnapshotsLocked() { // members started elsewhere: as they last reported
		rows = append(rows, row{name: ns.Name, state: ns.State, rpc: ns.RPC, st: &ns.Chord})
	}
	for _, row := range rows {
		r := row.rpc
		s := NodeStats{Name: row.name, State: row.state, Calls: r.Calls, Errors: r.Errors, Served: r.Served,
			BytesIn: r.BytesIn, BytesOut: r.BytesOut, P50: r.P50, P99: r.P99, AuthRefused: r.AuthRefused,
			Dials: r.Dials, Evicted: r.Evicted}
		if row.st != nil {
			s.Lookups, s.LookupFailures, s.Rounds = row.st.Lookups, row.st.LookupFailures, row.st.Rounds
		}
		v.Calls += s.Calls
		v.Errors += s.Errors
		v.Served += s.Served
		v.BytesIn += s.BytesIn
		v.BytesOut += s.BytesOut
		v.Lookups += s.Lookups
		v.AuthRefused += s.AuthRefused
		v.Dials += s.Dials
		v.Evicted += s.Evicted
		v.Nodes = append(v.Nodes, s)
	}
	return v
}

// Check checks Zave's invariants 1–8 over the live nodes' current state
// (docs/chord.md explains them): over the whole ring, or under a partition
// over each side as a ring of its own. Below r+1 live nodes invariant 8
// cannot hold; that is Note, not a violation.
func (c *Cluster) Check() CheckResult {
	c.mu.RLock()
	defer c.mu.RUnlock()
	j := c.judgeLocked(nil)
	r := CheckResult{
		Violations:  c.violationsLocked(j.violations, func(i int) string { return j.sideOf[i] }),
		Live:        j.live,
		Partitioned: c.partitioned,
		Note:        j.note,
	}
	if c.partitioned {
		r.Sides = c.healthLocked(j).Sides
	}
	return r
}

// Health returns the verdict: stable or not and why, the partition's
// sides, the violation count and a one-line summary (Snapshot.Health
// without the rest of the snapshot).
func (c *Cluster) Health() Health {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.healthLocked(c.judgeLocked(nil))
}

// Stable reports whether the ring is stable now, how long it took to get
// there after the last fault, and otherwise what is still missing.
func (c *Cluster) Stable() (stable bool, convergedIn time.Duration, why string) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stable, c.convergedIn, c.unstableWhy
}

// Wait blocks until the ring is stable or timeout passes (timeout ≤ 0: the
// configured WaitTimeout) and returns how long stabilisation took after the
// last fault. Under a partition it returns once each side is stable on its
// own, and says so (Partitioned, Sides). It polls the monitor's result: no
// fixed sleep decides anything. It first judges the ring afresh: a stable
// ring is judged only every StableMonitorInterval, and a drop or delay in
// force may have changed it since. While maintenance is paused nothing can be
// confirmed without a step, so a ring not yet stable fails at once. The
// error wraps ErrNotStable, ErrClosed or ctx's error.
func (c *Cluster) Wait(ctx context.Context, timeout time.Duration) (WaitResult, error) {
	began := time.Now()
	c.evaluate()
	c.mu.RLock()
	if timeout <= 0 {
		timeout = c.cfg.WaitTimeout
	}
	poll := max(c.cfg.MonitorInterval/2, time.Millisecond)
	c.mu.RUnlock()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		c.mu.RLock()
		stable, took, fault, at, why := c.stable, c.convergedIn, c.lastFault, c.lastFaultAt, c.unstableWhy
		inSteps, steps := c.inSteps, c.convergedSteps
		closed, maintPaused, busy := c.closed, c.maintPaused, c.busy
		var h Health
		if stable {
			h = c.healthLocked(c.judgeLocked(nil))
		}
		c.mu.RUnlock()
		if closed {
			return WaitResult{After: fault, Waited: time.Since(began)}, errorf(ErrClosed, "wait: the cluster is closed")
		}
		if stable {
			return WaitResult{ConvergedIn: took, InSteps: inSteps, ConvergedSteps: steps, After: fault, Waited: time.Since(began),
				Partitioned: h.Partitioned, Sides: h.Sides, Note: h.Note, StableAgain: h.StableAgain}, nil
		}
		if err := parent.Err(); err != nil {
			return WaitResult{After: fault, Waited: time.Since(began)}, fmt.Errorf("wait: %w", err)
		}
		if maintPaused && busy == "" {
			c.evaluate() // a step may have made it stable since the monitor last looked
			c.mu.RLock()
			stable, why = c.stable, c.unstableWhy
			c.mu.RUnlock()
			if !stable {
				return WaitResult{After: fault, Waited: time.Since(began)},
					errorf(ErrNotStable, "wait: not stable %.1f s after %s, and maintenance is paused: nothing changes until step (or maintenance step) or maintenance resume — %s",
						time.Since(at).Seconds(), fault, why)
			}
			continue
		}
		select {
		case <-ctx.Done():
			if err := parent.Err(); err != nil {
				return WaitResult{After: fault, Waited: time.Since(began)}, fmt.Errorf("wait: %w", err)
			}
			return WaitResult{After: fault, Waited: time.Since(began)},
				errorf(ErrNotStable, "wait: not stable %.1f s after %s — %s", time.Since(at).Seconds(), fault, why)
		case <-c.stop: // the next turn says so
		case <-tick.C:
		}
	}
}

// LiveNode is one live member's name with its chord node and dht store, for
// programs that drive the nodes directly (chordtui bench).
type LiveNode struct {
	Name string
	// Host names the real node it runs on with virtual nodes ("" without).
	Host  string
	Addr  string
	ID    chord.ID
	Node  *chord.Node
	Store *dht.Store
}

// LiveNodes returns the members alive now, in name order. A handle is only
// meaningful while its node stays alive: after a kill, leave or Close, calls
// through it fail or see the dead node's stale state, so fetch the list
// again after every fault.
func (c *Cluster) LiveNodes() []LiveNode {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []LiveNode
	for _, m := range c.liveLocked() {
		l := LiveNode{Name: m.name, Addr: m.addr, ID: m.id, Node: m.node, Store: m.store}
		if m.host != nil {
			l.Host = m.host.name
		}
		out = append(out, l)
	}
	return out
}
