package chord

import (
	"context"
	"errors"
	"fmt"
)

// Ring unification. Zave's rules assume a node is suspected only when it has
// really failed. On a real network a partition (or the UI's isolate and cut
// commands) makes live nodes look dead: each side drops the other, and an
// isolated node falls back to a one-node ring. Chord alone never merges such
// rings again. So a node remembers the nodes it lost (bounded, most recent
// first) and, at the end of a stabilize round, asks one that is due to look
// up this node's own identifier — the "simple ring unification" of Shafaat
// et al., "Dealing with network partitions in structured overlay networks"
// (2009). A node is lost when
//
//   - a call to it failed (rememberLost), or
//   - it vanished from this node's neighbours (successor list and
//     predecessor) between two stabilize rounds without failing a call here:
//     a copied successor list or a departing neighbour's list no longer had
//     it, or a closer node replaced it. Such a node may be on the other side
//     of a partition that only its other neighbours saw; in a ring that is
//     whole the probe finds this node again and the hint is forgotten.
//
// A node that knows fewer than r other members (its successor list is
// shorter than r: the ring is too small for Zave's invariant, or it is the
// fragment a partition left) probes every round, and when no lost node is
// left to probe it also probes the peers it has talked to before (the peer
// table, peers.go) that are not its neighbours: the nodes that bridged two
// fragments may all have left since, and the node it joined through, or a
// former neighbour, may be in the other one.
//
// A silent node is probed with exponential back-off. Outcomes:
//
//   - the answer is this node itself: same ring again, forget the hint;
//   - another live node s: if s lies between this node and its successor
//     (always, when alone) adopt s and its list — Zave's rule of never
//     adopting a node without checking it is alive holds, as s answered —
//     and in any case notify s, so that the other ring's stabilize takes this
//     node in. The hint is kept until the rings agree;
//   - no answer: keep the hint for a later round.

// Probing a lost node that stays silent backs off: the next probe waits
// unifyEvery·2^failures stabilize rounds, at most unifyMaxWait — except in a
// ring smaller than r+1 (a node alone, or a fragment), which probes one
// lost node or former peer every round. A former peer found in the same
// ring is not probed again for unifyMaxWait rounds.
const (
	unifyEvery   = 2
	unifyMaxWait = 16
)

// maxLost bounds the remembered lost nodes.
const maxLost = 16

// lostNode is a node that stopped answering or vanished from this node's
// neighbours, and when to probe it next.
type lostNode struct {
	ref      NodeRef
	failures int
	next     uint64 // stabilize round of the next probe
}

// rememberLost records that ref did not answer, if it looked like a failure
// (not a graceful departure).
func (n *Node) rememberLost(ref NodeRef, err error) {
	if ref.IsZero() || ref.Addr == n.self.Addr || !errors.Is(err, ErrNodeDown) || errors.Is(err, ErrNotJoined) {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped.Load() {
		return
	}
	n.addLostLocked(ref)
}

// addLostLocked remembers ref as lost, newest first, unless it already is;
// its first probe is due unifyEvery rounds from now.
func (n *Node) addLostLocked(ref NodeRef) {
	for _, l := range n.lost {
		if l.ref.Addr == ref.Addr {
			return
		}
	}
	if len(n.lost) == maxLost {
		n.lost = n.lost[:maxLost-1]
	}
	n.lost = append([]lostNode{{ref: ref, next: n.stabilizeRounds + unifyEvery}}, n.lost...)
}

// noteVanishedLocked remembers as lost the neighbours (successor list and
// predecessor) of the last stabilize round that are neighbours no longer,
// and records the current ones for the next round.
func (n *Node) noteVanishedLocked() {
	prev := n.peers.neighbours
	var cur []NodeRef
	for _, r := range n.succ {
		if r.Addr != n.self.Addr && !containsAddr(cur, r.Addr) {
			cur = append(cur, r)
		}
	}
	if p := n.pred; !p.IsZero() && p.Addr != n.self.Addr && !containsAddr(cur, p.Addr) {
		cur = append(cur, p)
	}
	for _, r := range prev {
		if !containsAddr(cur, r.Addr) {
			n.addLostLocked(r)
		}
	}
	n.peers.neighbours = cur
}

// probeOutcome is what probing a lost node or former peer found.
type probeOutcome int

const (
	probeSilent    probeOutcome = iota // no answer: back off
	probeNotMember                     // it answered but is no ring member (it left)
	probeSameRing                      // its ring names this node: nothing is split
	probeOtherRing                     // it answered from another ring: keep following it
)

// lostProbed records the outcome of probing addr.
func (n *Node) lostProbed(addr string, o probeOutcome) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped.Load() {
		return
	}
	for i := range n.lost {
		l := &n.lost[i]
		if l.ref.Addr != addr {
			continue
		}
		switch o {
		case probeNotMember, probeSameRing:
			n.lost = append(n.lost[:i], n.lost[i+1:]...)
		case probeOtherRing:
			l.failures = 0
			l.next = n.stabilizeRounds + unifyEvery
		default:
			l.failures++
			l.next = n.stabilizeRounds + backoff(l.failures)
		}
		return
	}
	// A former peer (nextLostProbe), not remembered as lost.
	switch o {
	case probeNotMember:
		n.peers.forgetMet(addr) // until it answers as a member again
	case probeSameRing:
		n.peers.setProbe(addr, 0, n.stabilizeRounds+unifyMaxWait)
	case probeOtherRing:
		n.peers.setProbe(addr, 0, n.stabilizeRounds+unifyMaxWait)
		n.addLostLocked(NodeRef{Addr: addr}) // followed until the rings agree
	default:
		f := n.peers.probeFailures(addr) + 1
		n.peers.setProbe(addr, f, n.stabilizeRounds+backoff(f))
	}
}

// backoff is the wait in stabilize rounds before probing again a node that
// did not answer failures probes in a row.
func backoff(failures int) uint64 {
	return uint64(min(unifyEvery<<min(failures, 6), unifyMaxWait))
}

// nextLostProbe picks the lost node to probe in this stabilize round, if
// one is due, after noting the neighbours that vanished since the last
// round. In a ring smaller than r+1 one is always due, and a former peer
// that is not a neighbour is one too.
func (n *Node) nextLostProbe() (NodeRef, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped.Load() {
		return NodeRef{}, false
	}
	n.stabilizeRounds++
	if !n.joined {
		return NodeRef{}, false
	}
	n.noteVanishedLocked()
	now := n.stabilizeRounds
	// A ring smaller than r+1 has little to lose: it probes every round.
	small := n.succ[0].Addr == n.self.Addr || len(n.succ) < n.cfg.SuccessorListLen
	best := -1
	for i, l := range n.lost {
		if (small || l.next <= now) && (best < 0 || l.next < n.lost[best].next) {
			best = i
		}
	}
	if small && (best < 0 || n.lost[best].next > now) {
		// Nothing lost is due: try a former peer before re-probing one.
		if addr, ok := n.peers.formerPeer(now, n.isNeighbourOrLostLocked); ok {
			n.peers.setProbe(addr, n.peers.probeFailures(addr), now+unifyMaxWait) // until lostProbed says otherwise
			return NodeRef{Addr: addr}, true
		}
	}
	if best < 0 {
		return NodeRef{}, false
	}
	n.lost[best].next = now + unifyMaxWait // until lostProbed says otherwise
	return n.lost[best].ref, true
}

// isNeighbourOrLostLocked reports whether addr is this node, one of its
// neighbours or remembered as lost (so not a former peer to probe).
func (n *Node) isNeighbourOrLostLocked(addr string) bool {
	if addr == n.self.Addr || addr == n.pred.Addr || containsAddr(n.succ, addr) {
		return true
	}
	for _, l := range n.lost {
		if l.ref.Addr == addr {
			return true
		}
	}
	return false
}

// unify probes the lost node h (see the comment at the top of this file).
func (n *Node) unify(ctx context.Context, h NodeRef, rep *RoundReport) {
	res, err := n.resolve(ctx, n.self.ID, h.Addr, n.recursiveMode())
	if n.stopped.Load() {
		return
	}
	if rep != nil {
		call := RoundCall{Role: RoleProbe, Peer: h, Found: res.Owner}
		if err != nil {
			call = failedCall(RoleProbe, h, err)
		}
		rep.addCall(call)
	}
	if err != nil {
		// A node that left gracefully will find the ring by itself if it rejoins.
		o := probeSilent
		if errors.Is(err, ErrNotJoined) {
			o = probeNotMember
		}
		n.lostProbed(h.Addr, o)
		return
	}
	s := res.Owner
	if s.Addr == n.self.Addr || s.ID == n.self.ID {
		n.lostProbed(h.Addr, probeSameRing)
		return
	}
	n.lostProbed(h.Addr, probeOtherRing)
	st, err := n.callState(ctx, s.Addr, true) // also notifies s
	if rep != nil {
		call := RoundCall{Role: RoleProbeFound, Peer: s, Notify: true, Pred: st.pred, Succ: st.succ}
		if err != nil {
			call = failedCall(RoleProbeFound, s, err)
			call.Notify = true
		}
		rep.addCall(call)
	}
	if err != nil {
		return
	}
	n.mu.Lock()
	if !n.activeLocked() {
		n.mu.Unlock()
		return
	}
	old := n.succ[0]
	adopt := old.Addr == n.self.Addr || Between(n.self.ID, s.ID, old.ID)
	if adopt {
		n.succ = n.buildList(s, st.succ)
	}
	n.mu.Unlock()
	if adopt {
		via := h.Addr // a former peer is known by its address only
		if h.ID != (ID{}) {
			via = n.label(h)
		}
		n.emit(EventSuccessorChanged, old, s, fmt.Sprintf("successor %s → %s: found again through %s after a partition", n.label(old), n.label(s), via))
	}
}
