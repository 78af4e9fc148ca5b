package cluster

import (
	"fmt"
	"sort"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// monitor evaluates the stable condition until Close: every
// MonitorInterval while the ring is not stable (so ConvergedIn is measured
// to within that), every StableMonitorInterval while it is (the key check
// reads every store, which is not free). A fault wakes it at once.
func (c *Cluster) monitor() {
	defer c.wg.Done()
	t := time.NewTimer(c.cfg.MonitorInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		case <-t.C:
		}
		c.evaluate()
		next := c.cfg.MonitorInterval
		if stable, _, _ := c.Stable(); stable {
			next = c.cfg.StableMonitorInterval
		}
		t.Reset(next)
	}
}

// liveView is what the stable check looks at: the live members' routing
// state and stored keys, taken together.
type liveView struct {
	members []*member
	status  []chord.Status
	keys    [][]dht.KeyInfo
}

func (c *Cluster) takeLiveView() (liveView, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var v liveView
	for _, m := range c.liveLocked() {
		v.members = append(v.members, m)
		v.status = append(v.status, m.node.Status())
		v.keys = append(v.keys, m.store.Keys())
	}
	return v, c.gen
}

// evaluate computes the stable condition once and records the time it took
// to get there since the last fault. A result computed across a fault is
// thrown away (the generation changed).
func (c *Cluster) evaluate() {
	v, gen := c.takeLiveView()
	ok, why := stableCondition(v, c.cfg.DHT.Replicas)
	now := time.Now()
	var ev *Event
	c.mu.Lock()
	if why != "" {
		why = c.replacerLocked().Replace(why)
	}
	if gen == c.gen {
		if ok && !c.stable {
			c.stable = true
			c.convergedIn = now.Sub(c.lastFaultAt)
			ev = &Event{Time: now, Kind: "stable", Text: fmt.Sprintf("stable %.2f s after %s", c.convergedIn.Seconds(), c.lastFault)}
		} else if !ok && c.stable {
			// Lost without a fault from the user: say so, it is news.
			c.stable = false
			ev = &Event{Time: now, Kind: "unstable", Text: "no longer stable (no fault injected): " + why}
		}
		c.unstableWhy = why
	}
	c.mu.Unlock()
	if ev != nil {
		c.emit(*ev)
	}
}

// stableCondition is the "stable" condition: at least one live node, every
// live node joined, the ideal ring with correct fingers (chord.CheckIdeal),
// and every live key held by exactly its r rightful holders — the owner
// (successor of the key's ID among live nodes) and the next r-1 live nodes —
// all at the same version. When false, why says what is missing.
func stableCondition(v liveView, replicas int) (bool, string) {
	if len(v.members) == 0 {
		return false, "no live node"
	}
	for _, st := range v.status {
		if !st.Joined {
			return false, st.Self.Addr + " has not joined"
		}
	}
	if vs := chord.CheckIdeal(v.status, true); len(vs) > 0 {
		return false, fmt.Sprintf("ring not ideal: %d violation(s), first: %s", len(vs), vs[0])
	}
	return keysPlaced(v, replicas)
}

type holder struct {
	idx     int
	version dht.Version
	deleted bool
}

// keysPlaced checks that every live key sits on exactly the right nodes.
func keysPlaced(v liveView, replicas int) (bool, string) {
	order := make([]int, len(v.members)) // member indices in ring order
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return v.members[order[a]].id.Cmp(v.members[order[b]].id) < 0 })
	r := min(replicas, len(order))

	byKey := map[string][]holder{}
	ids := map[string]chord.ID{}
	for i, ks := range v.keys {
		for _, k := range ks {
			byKey[k.Key] = append(byKey[k.Key], holder{i, k.Version, k.Deleted})
			ids[k.Key] = k.ID
		}
	}
	bad := 0
	first := ""
	for key, hs := range byKey {
		live := false
		for _, h := range hs {
			live = live || !h.deleted
		}
		if !live {
			continue // tombstones may be collected at any time
		}
		want := map[int]bool{}
		start := sort.Search(len(order), func(i int) bool { return v.members[order[i]].id.Cmp(ids[key]) >= 0 })
		for j := 0; j < r; j++ {
			want[order[(start+j)%len(order)]] = true
		}
		okKey := len(hs) == len(want)
		for _, h := range hs {
			if !want[h.idx] || h.deleted || h.version != hs[0].version {
				okKey = false
			}
		}
		if !okKey {
			bad++
			if first == "" || key < first {
				first = key
			}
		}
	}
	if bad > 0 {
		return false, fmt.Sprintf("%d key(s) not at exactly %d copies on the right nodes (e.g. %q)", bad, r, first)
	}
	return true, ""
}

// Stable reports whether the ring is stable now, how long it took to get
// there after the last fault, and otherwise what is still missing.
func (c *Cluster) Stable() (stable bool, convergedIn time.Duration, why string) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stable, c.convergedIn, c.unstableWhy
}

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
	}
	var live []chord.Status
	var stores []*dht.Store
	for _, m := range c.members {
		ns := NodeSnapshot{
			Name: m.name, State: m.state, Addr: m.addr, ID: m.id,
			Delay: m.delay, DropPercent: m.drop, Partitioned: m.partitioned,
			Incarnation: m.incarnation,
		}
		if m.node != nil {
			ns.Chord = m.node.Status()
			ns.Keys = m.store.Counts()
			if m.state == StateAlive {
				live = append(live, ns.Chord)
				stores = append(stores, m.store)
			}
		}
		if m.tr != nil && m.state != StateDown {
			st := m.tr.Stats()
			ns.RPC = RPCStats{Calls: st.Calls, Errors: st.Errors, Served: st.Served,
				BytesIn: st.BytesIn, BytesOut: st.BytesOut, P50: st.P50, P99: st.P99}
		}
		s.Nodes = append(s.Nodes, ns)
	}
	s.Violations = chord.CheckInvariants(live)
	s.KeyIDs = c.keyIDs(s.Taken, stores)
	return s
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
