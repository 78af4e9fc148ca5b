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
			ev = &Event{Time: now, Kind: EventStable, Text: fmt.Sprintf("stable %.2f s after %s", c.convergedIn.Seconds(), c.lastFault)}
		} else if !ok && c.stable {
			// Lost without a fault from the user: say so, it is news.
			c.stable = false
			ev = &Event{Time: now, Kind: EventUnstable, Text: "no longer stable (no fault injected): " + why}
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
	version Version
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
			byKey[k.Key] = append(byKey[k.Key], holder{i, keyVersion(k), k.Deleted})
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
