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
// (2009). A silent lost node is probed with exponential back-off. Outcomes:
//
//   - the answer is this node itself: same ring again, forget the hint;
//   - another live node s: if s lies between this node and its successor
//     (always, when alone) adopt s and its list — Zave's rule of never
//     adopting a node without checking it is alive holds, as s answered —
//     and in any case notify s, so that the other ring's stabilize takes this
//     node in. The hint is kept until the rings agree;
//   - no answer: keep the hint for a later round.

// Probing a lost node that stays silent backs off: the next probe waits
// unifyEvery·2^failures stabilize rounds, at most unifyMaxWait — except for
// a node alone in its ring, which probes one lost node every round.
const (
	unifyEvery   = 2
	unifyMaxWait = 16
)

// maxLost bounds the remembered lost nodes.
const maxLost = 16

// lostNode is a node that stopped answering, and when to probe it next.
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

// lostProbed records the outcome of probing addr: forget it, or back off.
func (n *Node) lostProbed(addr string, forget, answered bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := range n.lost {
		l := &n.lost[i]
		if l.ref.Addr != addr {
			continue
		}
		switch {
		case forget:
			n.lost = append(n.lost[:i], n.lost[i+1:]...)
		case answered:
			l.failures = 0
			l.next = n.stabilizeRounds + unifyEvery
		default:
			l.failures++
			l.next = n.stabilizeRounds + uint64(min(unifyEvery<<min(l.failures, 6), unifyMaxWait))
		}
		return
	}
}

// nextLostProbe picks the lost node to probe in this stabilize round, if
// one is due.
func (n *Node) nextLostProbe() (NodeRef, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.stabilizeRounds++
	if !n.joined {
		return NodeRef{}, false
	}
	// A node alone in its ring has nothing to lose: it probes every round.
	alone := n.succ[0].Addr == n.self.Addr
	best := -1
	for i, l := range n.lost {
		if (alone || l.next <= n.stabilizeRounds) && (best < 0 || l.next < n.lost[best].next) {
			best = i
		}
	}
	if best < 0 {
		return NodeRef{}, false
	}
	n.lost[best].next = n.stabilizeRounds + unifyMaxWait // until lostProbed says otherwise
	return n.lost[best].ref, true
}

// unify probes the lost node h (see the comment at the top of this file).
func (n *Node) unify(ctx context.Context, h NodeRef) {
	res, err := n.resolve(ctx, n.self.ID, h.Addr, 0)
	if err != nil {
		// A node that left gracefully will find the ring by itself if it rejoins.
		n.lostProbed(h.Addr, errors.Is(err, ErrNotJoined), false)
		return
	}
	s := res.Owner
	if s.Addr == n.self.Addr || s.ID == n.self.ID {
		n.lostProbed(h.Addr, true, true) // same ring
		return
	}
	n.lostProbed(h.Addr, false, true)
	st, err := n.callState(ctx, s.Addr, true) // also notifies s
	if err != nil {
		return
	}
	n.mu.Lock()
	if !n.joined {
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
		n.emit(EventSuccessorChanged, old, s, fmt.Sprintf("successor %s → %s: found again through %s after a partition", n.label(old), n.label(s), n.label(h)))
	}
}
