package cluster

import (
	"github.com/chordtui/chordtui/chord"
)

// Every conversion from chord's and dht's result types into the cluster's
// own lives here, so a change in theirs is adapted in one place.

// lookupResult converts chord's lookup of key, started at via, naming
// every node. It is the only place that reads chord.LookupResult.
func (c *Cluster) lookupResult(key, via string, lr chord.LookupResult) LookupResult {
	c.mu.RLock()
	defer c.mu.RUnlock()
	bits := c.cfg.Chord.Bits
	out := LookupResult{
		Key:      key,
		ID:       RingID{ID: chord.HashID(bits, []byte(key)), Bits: bits}, // set also when the lookup failed early
		Owner:    c.refLocked(lr.Owner),
		Hops:     lr.Hops,
		Timeouts: lr.Timeouts,
		Path:     make([]Hop, 0, len(lr.Path)),
		Via:      via,
		Took:     lr.Took,
	}
	for _, h := range lr.Path {
		out.Path = append(out.Path, Hop{
			Node: c.nameOfLocked(h.Node.Addr), ID: RingID{ID: h.Node.ID, Bits: bits}, Addr: h.Node.Addr,
			Via: h.Via, Reason: h.Reason, Err: h.Err, Timeout: h.Timeout, RTT: h.RTT,
		})
	}
	return out
}

// versionOf converts a dht record's version (its Counter; the writer ID
// completes it and is not shown). It is the only place that reads dht's
// version fields; callers pass them as they are.
func versionOf(counter uint64, _ chord.ID) Version { return Version(counter) }

// violationsLocked words chord's violations with node names. Caller holds
// mu.
func (c *Cluster) violationsLocked(vs []chord.Violation) []Violation {
	out := make([]Violation, 0, len(vs))
	names := c.replacerLocked()
	for _, v := range vs {
		node := ""
		if !v.Node.IsZero() {
			node = c.nameOfLocked(v.Node.Addr)
		}
		out = append(out, Violation{Invariant: v.Invariant, Node: node, Message: names.Replace(v.Message)})
	}
	return out
}
