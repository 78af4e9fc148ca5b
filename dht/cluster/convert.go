package cluster

import (
	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// Every conversion from chord's and dht's result types into the cluster's
// own lives here, so a change in theirs is adapted in one place.

// lookupResult converts chord's lookup of key, started at via, naming
// every node. It is the only place that reads chord.LookupResult.
func (c *Cluster) lookupResult(key, via string, lr chord.LookupResult) LookupResult {
	c.mu.RLock()
	defer c.mu.RUnlock()
	bits := c.cfg.Chord.Bits
	// The ID is set also when the lookup failed early.
	return c.lookupResultLocked(key, RingID{ID: chord.HashID(bits, []byte(key)), Bits: bits}, via, lr)
}

// lookupResultLocked is lookupResult for a lookup of id, which is key's
// identifier or (key "") an identifier looked up for itself, as
// fix_fingers does. Caller holds mu.
func (c *Cluster) lookupResultLocked(key string, id RingID, via string, lr chord.LookupResult) LookupResult {
	bits := c.cfg.Chord.Bits
	names := c.replacerLocked()
	out := LookupResult{
		Key:           key,
		ID:            id,
		Owner:         c.refLocked(lr.Owner),
		Hops:          lr.Hops,
		Timeouts:      lr.Timeouts,
		Path:          make([]Hop, 0, len(lr.Path)),
		OwnerCheck:    lr.OwnerCheck,
		OwnerVia:      lr.OwnerVia,
		OwnerReason:   names.Replace(lr.OwnerReason),
		OwnerHeardAgo: lr.OwnerHeardAgo,
		Via:           via,
		Took:          lr.Took,
		Recursive:     lr.Recursive,
	}
	if !lr.OwnerNamedBy.IsZero() {
		out.OwnerNamedBy = c.nameOfLocked(lr.OwnerNamedBy.Addr)
	}
	for _, h := range lr.Path {
		from := ""
		if !h.From.IsZero() {
			from = c.nameOfLocked(h.From.Addr)
		}
		out.Path = append(out.Path, Hop{
			Node: c.nameOfLocked(h.Node.Addr), ID: RingID{ID: h.Node.ID, Bits: bits}, Addr: h.Node.Addr,
			From: from, Via: h.Via, Reason: names.Replace(h.Reason), Ping: h.Ping,
			Err: names.Replace(h.Err), Timeout: h.Timeout, RTT: h.RTT, Cached: h.Cached,
		})
	}
	return out
}

// version converts a dht version, naming its writer. It is the only reader
// of dht's version fields.
func (c *Cluster) version(v dht.Version) Version {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.versionLocked(v)
}

func (c *Cluster) versionLocked(v dht.Version) Version {
	if v.IsZero() {
		return Version{}
	}
	writer := v.Writer.Hex(c.cfg.Chord.Bits)
	for _, m := range c.members {
		if m.id == v.Writer {
			writer = m.name
			break
		}
	}
	for _, r := range c.remotes {
		if r.id == v.Writer {
			writer = r.name
		}
	}
	return Version{Time: v.Time().UTC(), Logical: v.Logical, Writer: writer, raw: v}
}

// keyEntryLocked converts one key a store holds.
func (c *Cluster) keyEntryLocked(k dht.KeyInfo) KeyEntry {
	e := KeyEntry{Key: k.Key, ID: RingID{ID: k.ID, Bits: c.cfg.Chord.Bits},
		Version: c.versionLocked(k.Version), Owned: k.Owned, Deleted: k.Deleted, Size: k.Size}
	if !k.MergedOver.IsZero() {
		over := c.versionLocked(k.MergedOver)
		e.MergedOver = &over
	}
	return e
}

// violationsLocked words chord's violations with node names; side(i) is
// the side of the partition vs[i] was found on. Caller holds mu.
func (c *Cluster) violationsLocked(vs []chord.Violation, side func(i int) string) []Violation {
	out := make([]Violation, 0, len(vs))
	names := c.replacerLocked()
	for i, v := range vs {
		node := ""
		if !v.Node.IsZero() {
			node = c.nameOfLocked(v.Node.Addr)
		}
		var involved []string
		for _, r := range v.Nodes {
			involved = append(involved, c.nameOfLocked(r.Addr))
		}
		out = append(out, Violation{Invariant: v.Invariant, Node: node, Nodes: involved, Message: names.Replace(v.Message), Side: side(i)})
	}
	return out
}
