package cluster

import (
	"slices"
	"strings"
	"time"
)

// The read API over real nodes when the cluster runs virtual nodes: nodes
// lists real nodes with their identities' keys summed, node NODE lists a
// real node's identities, load sums per real node.

// hostPeerLocked describes h as results name it: its name and address,
// and its first identity's identifier. Caller holds mu.
func (c *Cluster) hostPeerLocked(h *vhost) Peer {
	return Peer{Name: h.name, ID: RingID{ID: h.members[0].id, Bits: c.cfg.Chord.Bits}, Addr: h.addr}
}

// hostRowsLocked is Nodes' rows with virtual nodes: one per real node.
// Caller holds mu.
func (c *Cluster) hostRowsLocked() []NodeRow {
	out := make([]NodeRow, 0, len(c.hosts))
	for _, h := range c.hosts {
		lead := h.members[0]
		p := c.hostPeerLocked(h)
		r := NodeRow{Name: h.name, ID: p.ID, Addr: h.addr, State: lead.state, RingPosition: p.ID.Fraction(),
			Faults: faultsLocked(lead), Side: c.sideOfLocked(lead), Identities: len(h.members)}
		for _, m := range h.members {
			if m.store != nil {
				k := m.store.Counts()
				r.Owned += k.Owned
				r.Replicas += k.Replicas
			}
		}
		r.Keys = r.Owned + r.Replicas
		out = append(out, r)
	}
	return out
}

// hostDetailLocked is Node for a real node: its identities and its keys
// summed over them. Caller holds mu.
func (c *Cluster) hostDetailLocked(h *vhost) NodeDetail {
	lead := h.members[0]
	p := c.hostPeerLocked(h)
	d := NodeDetail{Name: h.name, ID: p.ID, Addr: h.addr, State: lead.state, Incarnation: lead.incarnation, Faults: faultsLocked(lead)}
	for _, m := range h.members {
		mp := c.peerLocked(m)
		r := NodeRow{Name: m.name, ID: mp.ID, Addr: m.addr, State: m.state, RingPosition: mp.ID.Fraction()}
		if m.node != nil {
			st := m.node.Status()
			k := m.store.Counts()
			r.Owned, r.Replicas, r.Keys = k.Owned, k.Replicas, k.Owned+k.Replicas
			d.Owned += k.Owned
			d.Replicas += k.Replicas
			d.Tombstones += k.Tombstones
			d.Bytes += k.Bytes
			if st.Joined {
				r.Joined, r.Pred, r.Succ = true, c.refLocked(st.Predecessor), c.refLocked(st.Successor())
			}
		}
		d.Identities = append(d.Identities, r)
	}
	return d
}

// hostLoadsLocked is Load's rows with virtual nodes: each real node's
// load, summed over its identities. Caller holds mu.
func (c *Cluster) hostLoadsLocked(now time.Time) []NodeLoad {
	out := make([]NodeLoad, 0, len(c.hosts))
	for _, h := range c.hosts {
		sum := NodeLoad{Name: h.name, State: h.members[0].state}
		for _, m := range h.members {
			if m.store == nil {
				continue
			}
			l := loadLocked(m, m.store.Counts(), now)
			sum.Owned += l.Owned
			sum.Replicas += l.Replicas
			sum.Bytes += l.Bytes
			sum.Gets += l.Gets
			sum.Sets += l.Sets
			sum.Requests += l.Requests
			sum.RequestRate += l.RequestRate
			sum.Routing += l.Routing
			sum.RoutingRate += l.RoutingRate
		}
		out = append(out, sum)
	}
	return out
}

// hostNamedLocked is the real node named (or addressed) by arg, nil for
// none (and always without virtual nodes). Caller holds mu.
func (c *Cluster) hostNamedLocked(arg string) *vhost {
	for _, h := range c.hosts {
		if strings.EqualFold(h.name, arg) || h.addr == arg {
			return h
		}
	}
	return nil
}

// hostKeys lists the keys of every identity of h, each identity's in
// order of identifier.
func (c *Cluster) hostKeys(h *vhost) KeyList {
	out := KeyList{Node: h.name, Keys: []KeyEntry{}}
	for _, m := range h.members {
		c.mu.RLock()
		store := m.store
		c.mu.RUnlock()
		if store == nil {
			continue
		}
		out.Running = true
		keys := store.Keys()
		c.mu.RLock()
		for _, k := range keys {
			e := c.keyEntryLocked(k)
			e.Node = m.name
			out.Keys = append(out.Keys, e)
		}
		c.mu.RUnlock()
	}
	slices.SortStableFunc(out.Keys, func(a, b KeyEntry) int { return a.ID.ID.Cmp(b.ID.ID) })
	return out
}

// liveIdentityLocked is h's first live identity, nil for none. Caller
// holds mu.
func liveIdentityLocked(h *vhost) *member {
	for _, m := range h.members {
		if m.state == StateAlive && m.node != nil {
			return m
		}
	}
	return nil
}
