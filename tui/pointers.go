package tui

import (
	"fmt"
	"sort"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// mark says what is wrong with one pointer right now.
type mark uint8

const (
	markOK       mark = iota
	markNotIdeal      // points at a live node, but not the one the ideal ring has
	markNil           // no pointer at all
	markDead          // points at a node that is down, paused or gone
	markUnjudged      // no ideal value to compare with (the pointing node is not alive)
)

// suffix is the symbol shown after a pointer, so a wrong pointer is visible
// without colour.
func (k mark) suffix() string {
	switch k {
	case markDead:
		return "✗"
	case markNotIdeal, markNil:
		return "!"
	}
	return ""
}

func (k mark) style() styleID {
	switch k {
	case markNil, markDead:
		return stDown
	case markNotIdeal:
		return stWarn
	}
	return stText
}

// ringIndex is the ideal ring of a snapshot, one per side of a partition:
// each side's alive nodes sorted by identifier, and a way to name any node
// reference.
type ringIndex struct {
	bits int
	// rings holds each side's alive nodes sorted by ID, keyed by side label
	// ("" when there is no partition): under a partition each side is
	// judged as a ring of its own, as the cluster judges it.
	rings  map[string][]chord.NodeRef
	pos    map[string]int    // addr → index in its side's ring
	side   map[string]string // addr → side label
	byAddr map[string]*cluster.NodeSnapshot
	names  map[string]string // addr → name
}

// newRingIndex indexes snap. Only alive nodes are members of the ideal ring:
// a paused node answers nobody, so the live nodes must route around it.
func newRingIndex(snap *cluster.Snapshot) *ringIndex {
	ix := &ringIndex{
		bits:   snap.Bits,
		rings:  map[string][]chord.NodeRef{},
		pos:    make(map[string]int, len(snap.Nodes)),
		side:   make(map[string]string, len(snap.Nodes)),
		byAddr: make(map[string]*cluster.NodeSnapshot, len(snap.Nodes)),
		names:  snap.Names(),
	}
	for i := range snap.Nodes {
		n := &snap.Nodes[i]
		ix.byAddr[n.Addr] = n
		ix.side[n.Addr] = n.Side
		if n.State == cluster.StateAlive {
			ix.rings[n.Side] = append(ix.rings[n.Side], chord.NodeRef{ID: n.ID, Addr: n.Addr})
		}
	}
	for _, ring := range ix.rings {
		sort.Slice(ring, func(i, j int) bool { return ring[i].ID.Cmp(ring[j].ID) < 0 })
		for i, r := range ring {
			ix.pos[r.Addr] = i
		}
	}
	return ix
}

// successorOf returns the first alive node of side at or after id
// clockwise: the node that owns id in that side's ideal ring (the paper's
// successor(id)).
func (ix *ringIndex) successorOf(side string, id chord.ID) chord.NodeRef {
	ring := ix.rings[side]
	if len(ring) == 0 {
		return chord.NodeRef{}
	}
	i := sort.Search(len(ring), func(i int) bool { return ring[i].ID.Cmp(id) >= 0 })
	return ring[i%len(ring)]
}

// ideal returns the ideal predecessor and successor list (length r) of the
// alive node addr in its side's ring, and false when addr is not alive.
func (ix *ringIndex) ideal(addr string, r int) (pred chord.NodeRef, succs []chord.NodeRef, ok bool) {
	i, ok := ix.pos[addr]
	if !ok {
		return chord.NodeRef{}, nil, false
	}
	ring := ix.rings[ix.side[addr]]
	n := len(ring)
	pred = ring[(i-1+n)%n]
	if n == 1 {
		return pred, []chord.NodeRef{ring[i]}, true
	}
	// With fewer than r other nodes the list cannot be judged past them.
	k := min(r, n-1)
	for j := 1; j <= k; j++ {
		succs = append(succs, ring[(i+j)%n])
	}
	return pred, succs, true
}

// judge classifies pointer p against its ideal value. ideal is ignored when
// hasIdeal is false.
func (ix *ringIndex) judge(p chord.NodeRef, ideal chord.NodeRef, hasIdeal bool) mark {
	if p.IsZero() {
		if hasIdeal {
			return markNil
		}
		return markUnjudged
	}
	if t, ok := ix.byAddr[p.Addr]; !ok || t.State != cluster.StateAlive {
		return markDead
	}
	if !hasIdeal {
		return markUnjudged
	}
	if p.Addr != ideal.Addr {
		return markNotIdeal
	}
	return markOK
}

// pointerMarks judges one node's predecessor and successor.
func (ix *ringIndex) pointerMarks(n *cluster.NodeSnapshot) (pred, succ mark) {
	ip, is, ok := ix.ideal(n.Addr, max(n.Chord.R, 1))
	var isucc chord.NodeRef
	if len(is) > 0 {
		isucc = is[0]
	}
	return ix.judge(n.Chord.Predecessor, ip, ok), ix.judge(n.Chord.Successor(), isucc, ok)
}

// name returns the cluster name of the node r points at ("n3"), or its short
// identifier when no node of the snapshot listens at that address.
func (ix *ringIndex) name(r chord.NodeRef) string {
	if r.IsZero() {
		return "nil"
	}
	if n, ok := ix.byAddr[r.Addr]; ok {
		return n.Name
	}
	return r.ID.Label(ix.bits)
}

// fingerRun is a run of consecutive fingers pointing at the same node
// (cluster.CollapseFingers, the REPL's "node" view), judged against the
// ideal ring.
type fingerRun struct {
	cluster.FingerRun
	// Wrong is the worst mark of the run's fingers against the ideal ring.
	Wrong mark
}

func (r fingerRun) span() string {
	if r.From == r.To {
		return fmt.Sprint(r.From)
	}
	return fmt.Sprintf("%d–%d", r.From, r.To)
}

// collapseFingers folds a finger table into runs and judges each finger k
// against successor(n + 2^(k-1)) in n's side's ideal ring when n is alive.
func (ix *ringIndex) collapseFingers(n *cluster.NodeSnapshot) []fingerRun {
	_, isAlive := ix.pos[n.Addr]
	var out []fingerRun
	for _, r := range cluster.CollapseFingers(n.Chord, ix.names) {
		fr := fingerRun{FingerRun: r}
		for k := r.From - 1; k < r.To; k++ {
			var want chord.NodeRef
			if isAlive {
				want = ix.successorOf(n.Side, n.ID.AddPow2(ix.bits, k))
			}
			if m := ix.judge(r.Node, want, isAlive); m != markUnjudged {
				fr.Wrong = max(fr.Wrong, m)
			}
		}
		out = append(out, fr)
	}
	return out
}
