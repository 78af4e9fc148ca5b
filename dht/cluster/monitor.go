package cluster

import (
	"fmt"
	"slices"
	"sort"
	"strings"
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
		c.mu.RLock()
		next := c.cfg.MonitorInterval
		if c.stable {
			next = c.cfg.StableMonitorInterval
		}
		c.mu.RUnlock()
		t.Reset(next)
	}
}

// sideView is what the stable check looks at on one side: the live
// members' routing state, stored keys and round counters, taken together.
type sideView struct {
	naming  chord.Naming // how messages name nodes (namingLocked)
	label   string
	members []*member
	status  []chord.Status
	keys    [][]dht.KeyInfo // read only when gens moved (keysPlacedMemo)
	stores  []keySource
	gens    []uint64 // dht.Store.KeysGen, read before the keys
	ready   []bool   // the store has taken over its keys (dht.Store.Ready)
	rounds  []*roundCounts
}

// sideVerdict is the monitor's state for one side (the whole ring when
// there is no partition) since the last fault.
type sideVerdict struct {
	live int
	// heldSince is the evaluation from which the stable condition has held
	// at every evaluation; zero while it does not hold.
	heldSince time.Time
	// base is each live incarnation's started rounds at heldSince (or when
	// it was first seen after): confirmation needs a round of each task
	// begun after it.
	base map[*roundCounts][]uint64
	// heldSteps is the steps since the fault at heldSince, and
	// heldPaused whether maintenance had been paused throughout until
	// then: convergence is then counted in steps.
	heldSteps  int
	heldPaused bool
	// confirmed: the side is stable; convergedIn = heldSince − fault.
	confirmed   bool
	convergedIn time.Duration
	// why says what is missing when not confirmed.
	why string
}

// confirming reports whether the condition holds but is not yet confirmed.
func (v *sideVerdict) confirming() bool { return !v.heldSince.IsZero() && !v.confirmed }

func (c *Cluster) takeSideViews() ([]sideView, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []sideView
	for _, g := range c.sidesLocked() {
		v := sideView{naming: c.namingLocked(), label: g.label, members: g.live}
		for _, m := range g.live {
			v.status = append(v.status, m.status())
			v.stores = append(v.stores, m.keySource())
			v.gens = append(v.gens, m.keysGen())
			v.ready = append(v.ready, m.ready())
			v.rounds = append(v.rounds, m.rounds)
		}
		out = append(out, v)
	}
	return out, c.gen
}

// evaluate judges the stable condition once on every side, moves each
// side's verdict on (see the package doc) and emits "stable" or "no longer
// stable" when the whole verdict changes. A result computed across a fault
// is thrown away (the generation changed); nothing is judged while a fault
// is being applied.
func (c *Cluster) evaluate() {
	c.evalMu.Lock()
	defer c.evalMu.Unlock()
	c.mu.RLock()
	busy := c.busy != ""
	c.mu.RUnlock()
	if busy { // nothing is judged now: reading every node would be wasted
		return
	}
	views, gen := c.takeSideViews()
	oks := make([]bool, len(views))
	whys := make([]string, len(views))
	for i, v := range views {
		oks[i], whys[i] = stableCondition(v, c.cfg.DHT.Replicas, c.keysPlacedMemo)
	}
	now := time.Now()
	var ev *Event
	c.mu.Lock()
	if gen != c.gen || c.busy != "" {
		c.mu.Unlock()
		return
	}
	names := c.replacerLocked()
	sides := make(map[string]*sideVerdict, len(views))
	all, anyLive, inSteps := true, false, true
	var converged time.Duration
	var convergedSteps int
	var firstWhy string
	for i, v := range views {
		sv := c.sides[v.label]
		if sv == nil {
			sv = &sideVerdict{}
		}
		sides[v.label] = sv
		sv.live = len(v.members)
		switch {
		case len(v.members) == 0:
			*sv = sideVerdict{why: "no live node"}
			if !c.partitioned {
				all = false
			}
			continue
		case !oks[i]:
			*sv = sideVerdict{live: sv.live, why: names.Replace(whys[i])}
		default:
			if sv.heldSince.IsZero() {
				sv.heldSince, sv.base = now, map[*roundCounts][]uint64{}
				sv.heldSteps, sv.heldPaused = int(c.steps-c.disturbedStepsLocked()), c.pausedThroughLocked()
			}
			if !sv.confirmed {
				if pending := sv.confirm(v); pending != "" {
					if c.maintPaused {
						pending += " (maintenance is paused: step runs a round)"
					}
					sv.why = names.Replace(pending)
				} else {
					sv.confirmed, sv.why = true, ""
					sv.convergedIn = max(0, sv.heldSince.Sub(c.disturbedAtLocked()))
				}
			}
		}
		anyLive = true
		if !sv.confirmed {
			all = false
			if firstWhy == "" {
				firstWhy = sv.why
				if v.label != "" {
					firstWhy = "side " + v.label + ": " + firstWhy
				}
			}
			continue
		}
		converged = max(converged, sv.convergedIn)
		convergedSteps = max(convergedSteps, sv.heldSteps)
		inSteps = inSteps && sv.heldPaused
	}
	if !anyLive {
		all, firstWhy = false, "no live node"
	}
	c.sides = sides
	switch {
	case all && !c.stable:
		c.stable, c.convergedIn, c.convergedSteps, c.inSteps = true, converged, convergedSteps, inSteps
		after := convergedAfter(converged, convergedSteps, inSteps)
		text := fmt.Sprintf("stable %s %s", after, c.lastFault)
		if c.partitioned {
			text = fmt.Sprintf("each side stable %s %s (partitioned: %d sides)", after, c.lastFault, len(views))
		}
		if !c.lostAt.IsZero() {
			text = fmt.Sprintf("stable again %s it was lost (no new fault since %s)", after, c.lastFault)
		}
		ev = &Event{Time: now, Kind: EventStable, Text: text}
	case !all && c.stable:
		// Lost after a confirmation, without a new fault: news.
		c.stable, c.convergedIn, c.lostAt = false, 0, now
		c.stepsAtLost, c.convergedSteps, c.inSteps = c.steps, 0, false
		cause := "no fault injected"
		if f := c.activeFaultsLocked(); len(f) > 0 {
			cause = "while " + strings.Join(f, ", ") + " in force"
		}
		ev = &Event{Time: now, Kind: EventUnstable, Text: fmt.Sprintf("no longer stable (%s): %s", cause, firstWhy)}
	}
	c.unstableWhy = ""
	var wake []*chord.Driver
	if !all {
		c.unstableWhy = firstWhy
		// No node sleeps until the ring is confirmed stable: backoff
		// (chord.Config.IdleBackoff) never slows convergence, a missing
		// replica's repair, or the confirming rounds.
		for _, v := range views {
			for _, m := range v.members {
				if m.drv != nil {
					wake = append(wake, m.drv)
				}
			}
		}
	}
	c.mu.Unlock()
	for _, d := range wake {
		d.Wake()
	}
	if ev != nil {
		c.emitOrdered(*ev)
	}
}

// disturbedAtLocked is what ConvergedIn is measured from: the last fault,
// or when stability was lost since without one. Caller holds mu.
func (c *Cluster) disturbedAtLocked() time.Time {
	if !c.lostAt.IsZero() {
		return c.lostAt
	}
	return c.lastFaultAt
}

// confirm records the base rounds of nodes seen for the first time since
// the condition began to hold and returns what is still pending: "" once
// every live node has completed a round of each task begun after its base
// in which none of its calls timed out (roundCounts.counted): a round
// that kept a neighbour as maybe only slow confirms nothing, so a drop or
// delay that makes every call to a node time out is never confirmed (its
// neighbours drop it in the end, and the ring is no longer ideal).
func (v *sideVerdict) confirm(sv sideView) string {
	pending := ""
	for i, rc := range sv.rounds {
		base, ok := v.base[rc]
		if !ok {
			v.base[rc] = rc.startedNow()
			if pending == "" {
				pending = fmt.Sprintf("confirming: %s has not yet run a round of every maintenance task since the ring became ideal", sv.members[i].name)
			}
			continue
		}
		if task := rc.pendingSince(base); task != "" && pending == "" {
			pending = fmt.Sprintf("confirming: %s has not yet run a %s round with no call timed out since the ring became ideal", sv.members[i].name, task)
		}
	}
	return pending
}

// stableCondition is the "stable" condition: at least one live node, every
// live node joined and serving its keys (a joiner takes them over in its
// first repair rounds), the ideal ring with correct fingers
// (chord.CheckIdeal), and every live key held by exactly its r rightful
// holders — the owner
// (successor of the key's ID among live nodes) and the next r-1 live nodes —
// all at the same version. When false, why says what is missing.
func stableCondition(v sideView, replicas int, placed func(sideView, int) (bool, string)) (bool, string) {
	if len(v.members) == 0 {
		return false, "no live node"
	}
	for _, st := range v.status {
		if !st.Joined {
			return false, st.Self.Addr + " has not joined"
		}
	}
	for i, ready := range v.ready {
		if !ready {
			return false, v.members[i].name + " is still taking over its keys"
		}
	}
	if vs := chord.CheckIdealNamed(v.status, true, v.naming); len(vs) > 0 {
		// The first difference only: the one count on screen is that of
		// invariants 1–8 (Health.Violations), not of these.
		return false, "not yet the ideal ring: " + vs[0].Message
	}
	return placed(v, replicas)
}

// placedMemo is a side's last keysPlaced verdict and what it judged.
type placedMemo struct {
	stores []keySource
	gens   []uint64
	r      int
	ok     bool
	why    string
}

// keysPlacedMemo is keysPlaced, read again only when a store of the side
// changed a key since the last verdict or the side's members changed:
// with many keys reading and matching them all every evaluation cost more
// than the rest of an idle ring. Called under evalMu.
func (c *Cluster) keysPlacedMemo(v sideView, replicas int) (bool, string) {
	if m := c.placed[v.label]; m != nil && m.r == replicas && slices.Equal(m.stores, v.stores) && slices.Equal(m.gens, v.gens) {
		return m.ok, m.why
	}
	// A write acknowledged or given up on was versioned at most its
	// deadline (dht's, RPCTimeout × (r+1)) before it ended: a copy newer
	// than that, when the reading began, may belong to one still under way.
	c.mu.RLock()
	grace := c.cfg.Chord.RPCTimeout * time.Duration(replicas+1)
	c.mu.RUnlock()
	writingAfter := time.Now().Add(-grace).UnixNano()
	v.keys = make([][]dht.KeyInfo, len(v.stores))
	for i, st := range v.stores {
		v.keys[i] = st.Keys()
	}
	ok, why, excused := keysPlaced(v, replicas, writingAfter)
	if excused { // judged again when those writes are done, changed or not
		delete(c.placed, v.label)
		return ok, why
	}
	if c.placed == nil {
		c.placed = map[string]*placedMemo{}
	}
	c.placed[v.label] = &placedMemo{stores: v.stores, gens: v.gens, r: replicas, ok: ok, why: why}
	return ok, why
}

type holder struct {
	idx     int
	version dht.Version
	deleted bool
}

// keysPlaced checks that every live key sits on exactly the right nodes:
// its owner and the next r-1 live nodes, each on a real node of its own
// (one node each without virtual nodes), all at one version. The stores
// are read one after another while clients may write, so a key whose
// newest copy is versioned after writingAfter (Unix nanoseconds) may be in
// the middle of a write: its copies must be on the right nodes, but may be
// fewer or differ, and excused says some key was let off so.
func keysPlaced(v sideView, replicas int, writingAfter int64) (ok bool, why string, excused bool) {
	order := make([]int, len(v.members)) // member indices in ring order
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return v.members[order[a]].id.Cmp(v.members[order[b]].id) < 0 })
	// With virtual nodes the holders are on distinct real nodes.
	hosts := map[string]bool{}
	for _, m := range v.members {
		hosts[hostName(m)] = true
	}
	r := min(replicas, len(hosts))

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
		taken := map[string]bool{}
		for j := 0; len(want) < r && j < len(order); j++ {
			m := order[(start+j)%len(order)]
			if h := hostName(v.members[m]); !taken[h] {
				taken[h] = true
				want[m] = true
			}
		}
		okKey, onRightNodes, writing := len(hs) == len(want), true, false
		for _, h := range hs {
			if !want[h.idx] {
				onRightNodes = false
			}
			if h.deleted || h.version != hs[0].version {
				okKey = false
			}
			writing = writing || h.version.Wall > writingAfter
		}
		switch {
		case okKey && onRightNodes:
		case onRightNodes && writing:
			excused = true
		default:
			bad++
			if first == "" || key < first {
				first = key
			}
		}
	}
	if bad > 0 {
		return false, fmt.Sprintf("%d key(s) not at exactly %d copies on the right nodes (e.g. %s)", bad, r, QuoteKey(first)), excused
	}
	return true, "", excused
}
