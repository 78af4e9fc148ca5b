package chord

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Stabilize runs one stabilize round (Zave TSE 2017, corrected stabilize):
// walk the successor list until an entry answers; that entry becomes the head
// and the list becomes head + all but the last of head's list. If head's
// predecessor p lies between this node and head and p answers, p becomes the
// head instead. The head is always notified (the state call carries the
// notification, so a steady ring costs one call per round).
//
// An entry that fails for certain (refused, not a member) is dropped at once;
// one that times out is kept until Config.SuspectTimeouts timeouts in a row
// (suspect.go): the round then ends with the list unchanged from that entry.
// If no entry of the list answers (more than r-1 consecutive failures, which
// Zave's precondition excludes), the node falls back to its closest live
// finger or its predecessor, and finally to itself.
func (n *Node) Stabilize(ctx context.Context) error { return n.stabilize(ctx, nil) }

// stabilize is Stabilize, recording its calls in rep when rep is not nil.
func (n *Node) stabilize(ctx context.Context, rep *RoundReport) error {
	n.mu.Lock()
	if err := n.memberLocked("stabilize"); err != nil {
		n.mu.Unlock()
		return err
	}
	list := append([]NodeRef(nil), n.succ...)
	fallback := n.fallbackCandidatesLocked()
	n.mu.Unlock()
	n.rounds.Add(1)

	var head NodeRef
	var st stateReply
	for i, s := range append(list, fallback...) {
		if s.Addr == n.self.Addr {
			break // a one-node ring: head is this node itself
		}
		var err error
		st, err = n.callState(ctx, s.Addr, true)
		role := RoleSuccessor
		if i >= len(list) {
			role = RoleFallback
		}
		if err == nil {
			if rep != nil {
				rep.addCall(RoundCall{Role: role, Index: i, Peer: s, Notify: true, Pred: st.pred, Succ: st.succ})
				rep.Head = s
			}
			head = s
			break
		}
		var call RoundCall
		if rep != nil {
			call = failedCall(role, s, err)
			call.Index, call.Notify = i, true
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("stabilize %s: %w", n.self.Addr, ctxErr)
		}
		if n.stopped.Load() {
			return n.stoppedErr("stabilize") // the failure may be this node's own
		}
		if i >= len(list) {
			// A fallback is only adopted if it answers; skipping it drops nothing.
			if rep != nil {
				rep.addCall(call)
			}
			n.rememberLost(s, err)
			continue
		}
		failed, inRow := n.suspect(s, err, "successor")
		if rep != nil {
			call.Dropped, call.TimeoutsInRow = failed, inRow
			rep.addCall(call)
		}
		if !failed {
			// s may only be slow: keep it and the rest of the list, drop
			// only the entries before it (each failed for certain, or
			// timed out SuspectTimeouts times in a row), and try again
			// next round.
			n.keepSuccessors(list, i)
			if rep != nil {
				rep.KeptSuspect = true
			}
			return nil
		}
		n.rememberLost(s, err)
		n.emit(EventFailureDetected, s, NodeRef{}, fmt.Sprintf("successor %s did not answer stabilize: %v", n.label(s), err))
	}
	if head.IsZero() {
		// Alone as far as this node knows: head is itself, its state is local.
		head = n.self
		if rep != nil {
			rep.Alone = true
		}
		n.mu.Lock()
		st = stateReply{pred: n.pred, succ: []NodeRef{n.self}}
		n.mu.Unlock()
	}
	newList := n.buildList(head, st.succ)
	// Zave: adopt head.predecessor p if p ∈ (self, head) and p answers.
	if p := st.pred; !p.IsZero() && p.Addr != n.self.Addr && p.Addr != head.Addr && Between(n.self.ID, p.ID, head.ID) {
		pst, err := n.callState(ctx, p.Addr, true)
		if rep != nil {
			call := RoundCall{Role: RoleCloser, Peer: p, Notify: true, Pred: pst.pred, Succ: pst.succ}
			if err != nil {
				call = failedCall(RoleCloser, p, err)
				call.Notify = true
			} else {
				rep.Closer = p
			}
			rep.addCall(call)
		}
		if err == nil {
			newList = n.buildList(p, pst.succ)
		} else if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("stabilize %s: %w", n.self.Addr, ctxErr)
		}
	}

	n.mu.Lock()
	if err := n.memberLocked("stabilize"); err != nil {
		n.mu.Unlock()
		return err
	}
	old := n.succ[0]
	if !slices.Equal(n.succ, newList) {
		n.succ = newList
	}
	// A one-node ring notifies itself (ToN Fig. 6: n.notify(n) with a nil
	// predecessor), so its predecessor becomes itself.
	selfPred := newList[0].Addr == n.self.Addr && n.pred.IsZero()
	if selfPred {
		n.pred = n.self
	}
	n.mu.Unlock()
	if selfPred {
		n.emit(EventPredecessorChanged, NodeRef{}, n.self, "alone in the ring: predecessor is itself")
	}
	if newList[0] != old {
		n.emit(EventSuccessorChanged, old, newList[0], fmt.Sprintf("successor %s → %s", n.label(old), n.label(newList[0])))
	}
	if h, ok := n.nextLostProbe(); ok {
		n.unify(ctx, h, rep)
	}
	return nil
}

// keepSuccessors ends a stabilize round whose walk stopped at list[i], a
// suspect that is kept: the entries before it are dropped, if the list is
// still the one the round started from.
func (n *Node) keepSuccessors(list []NodeRef, i int) {
	if i == 0 {
		return
	}
	n.mu.Lock()
	changed := n.activeLocked() && slices.Equal(n.succ, list)
	if changed {
		n.succ = append([]NodeRef(nil), list[i:]...)
	}
	n.mu.Unlock()
	if changed {
		n.emit(EventSuccessorChanged, list[0], list[i], fmt.Sprintf("successor %s → %s", n.label(list[0]), n.label(list[i])))
	}
}

// fallbackCandidatesLocked lists the fingers (nearest first) and the
// predecessor: where stabilize looks when the whole successor list is dead.
func (n *Node) fallbackCandidatesLocked() []NodeRef {
	var out []NodeRef
	for _, f := range n.fingers {
		if !f.IsZero() && f.Addr != n.self.Addr && !containsAddr(out, f.Addr) && !containsAddr(n.succ, f.Addr) {
			out = append(out, f)
		}
	}
	if !n.pred.IsZero() && n.pred.Addr != n.self.Addr && !containsAddr(out, n.pred.Addr) && !containsAddr(n.succ, n.pred.Addr) {
		out = append(out, n.pred)
	}
	return out
}

// rectify handles a notification from q (Zave's rectify, the corrected
// notify of ToN Fig. 6): adopt q as predecessor if there is none, if q lies
// between the predecessor and this node, or if the predecessor is dead
// (refused, or timed out Config.SuspectTimeouts times in a row: suspect.go).
func (n *Node) rectify(ctx context.Context, q NodeRef) {
	if q.Addr == n.self.Addr {
		return
	}
	n.mu.Lock()
	if !n.activeLocked() {
		n.mu.Unlock()
		return
	}
	old := n.pred
	switch {
	case old.IsZero() || Between(old.ID, q.ID, n.self.ID):
		n.pred = q
	case old.Addr == q.Addr:
		n.mu.Unlock()
		return
	default:
		n.mu.Unlock()
		// Is the current predecessor alive? Never hold the lock across a
		// call, and leave most of the notifier's deadline for our reply: a
		// paused predecessor must not make this node look dead to q.
		budget := n.cfg.RPCTimeout / 4
		if dl, ok := ctx.Deadline(); ok {
			budget = min(budget, time.Until(dl)/4)
		}
		pctx, cancel := context.WithTimeout(ctx, budget)
		err := n.ping(pctx, old.Addr)
		cancel()
		if err == nil || ctx.Err() != nil || n.stopped.Load() {
			return
		}
		if failed, _ := n.suspect(old, err, "predecessor"); !failed {
			return
		}
		n.rememberLost(old, err)
		n.emit(EventFailureDetected, old, NodeRef{}, fmt.Sprintf("predecessor %s did not answer", n.label(old)))
		n.mu.Lock()
		if !n.activeLocked() || n.pred != old {
			n.mu.Unlock()
			return
		}
		n.pred = q
	}
	n.mu.Unlock()
	n.emit(EventPredecessorChanged, old, q, fmt.Sprintf("predecessor %s → %s (notified)", n.label(old), n.label(q)))
}

// CheckPredecessor clears the predecessor if it has failed (paper:
// check_predecessor, ToN Fig. 6): refused at once, or timed out
// Config.SuspectTimeouts times in a row (suspect.go).
func (n *Node) CheckPredecessor(ctx context.Context) error { return n.checkPredecessor(ctx, nil) }

// checkPredecessor is CheckPredecessor, recording its call in rep when rep
// is not nil.
func (n *Node) checkPredecessor(ctx context.Context, rep *RoundReport) error {
	n.mu.Lock()
	if err := n.memberLocked("check predecessor"); err != nil {
		n.mu.Unlock()
		return err
	}
	p := n.pred
	n.mu.Unlock()
	n.rounds.Add(1)
	if p.IsZero() || p.Addr == n.self.Addr {
		return nil
	}
	err := n.ping(ctx, p.Addr)
	if err == nil {
		if rep != nil {
			rep.addCall(RoundCall{Role: RolePredecessor, Peer: p})
		}
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("check predecessor %s: %w", n.self.Addr, ctxErr)
	}
	if n.stopped.Load() {
		return n.stoppedErr("check predecessor") // the failure may be this node's own
	}
	failed, inRow := n.suspect(p, err, "predecessor")
	if rep != nil {
		call := failedCall(RolePredecessor, p, err)
		call.Dropped, call.TimeoutsInRow = failed, inRow
		rep.addCall(call)
	}
	if !failed {
		return nil // maybe only slow: kept until SuspectTimeouts in a row
	}
	n.rememberLost(p, err)
	n.mu.Lock()
	cleared := n.activeLocked() && n.pred == p
	if cleared {
		n.pred = NodeRef{}
	}
	n.mu.Unlock()
	if cleared {
		n.emit(EventFailureDetected, p, NodeRef{}, fmt.Sprintf("predecessor %s did not answer: %v", n.label(p), err))
		n.emit(EventPredecessorChanged, p, NodeRef{}, fmt.Sprintf("predecessor %s cleared", n.label(p)))
	}
	return nil
}

// FixFingers refreshes the next finger in the cycle (paper: fix_fingers,
// ToN Fig. 6): finger[k] = find_successor(n + 2^k). The following fingers
// whose start also lies in (n, finger[k]] have the same successor and are
// set at once, so one cycle costs one lookup per distinct finger. As in the
// paper, the owner found is not pinged: a finger is only a routing hint, so
// a finger inside this node's successor list costs no call at all. A finger
// already set beyond the successor list, to a node this one is connected
// to, is first verified with one call to it (verifyFinger); only a finger
// that fails the check, or would need a new connection, costs a lookup.
func (n *Node) FixFingers(ctx context.Context) error { return n.fixFingers(ctx, nil) }

// fixFingers is FixFingers, recording what it did in rep when rep is not nil.
func (n *Node) fixFingers(ctx context.Context, rep *RoundReport) error {
	if n.stopped.Load() {
		return n.stoppedErr("fix fingers")
	}
	n.rounds.Add(1)
	_, err := n.fixNextFinger(ctx, rep)
	return err
}

// FixAllFingers refreshes every finger once (one lookup per distinct finger).
func (n *Node) FixAllFingers(ctx context.Context) error {
	n.mu.Lock()
	if n.stopped.Load() {
		n.mu.Unlock()
		return n.stoppedErr("fix fingers")
	}
	n.nextFinger = 0
	n.mu.Unlock()
	n.rounds.Add(1)
	var errs []error
	for {
		wrapped, err := n.fixNextFinger(ctx, nil)
		if err != nil {
			if errors.Is(err, ErrNotJoined) || errors.Is(err, ErrStopped) || ctx.Err() != nil {
				return err
			}
			errs = append(errs, err)
		}
		if wrapped {
			return errors.Join(errs...)
		}
	}
}

// FixFinger refreshes finger k (0-based: finger k+1 of the paper, start
// self + 2^k) and the fingers after it that share its successor, as the
// fix_fingers round that comes to it does; the next round goes on from
// there. For a caller that knows which fingers are wrong (the cluster
// while a large ring forms).
func (n *Node) FixFinger(ctx context.Context, k int) error {
	n.mu.Lock()
	if k < 0 || k >= len(n.fingers) {
		n.mu.Unlock()
		return fmt.Errorf("fix finger[%d] of %s: no such finger (m = %d)", k, n.self.Addr, len(n.fingers))
	}
	if n.stopped.Load() {
		n.mu.Unlock()
		return n.stoppedErr("fix fingers")
	}
	n.nextFinger = k
	n.mu.Unlock()
	n.rounds.Add(1)
	_, err := n.fixNextFinger(ctx, nil)
	return err
}

// verifyFinger checks a finger beyond the successor list with one call
// instead of a lookup: f is successor(start) iff start ∈ (f.predecessor, f]
// (a node owns the identifiers from its predecessor, exclusive, to itself).
// If a node p has joined in between (f's predecessor lies in [start, f)),
// p is checked the same way once. It returns the zero NodeRef when it cannot
// tell (a call failed, no predecessor known, more than one node joined in
// between): fix_fingers then runs the full lookup. The node that answers is
// live, and its predecessor pointer is what every lookup's last step
// relies on as well, so the finger is as right as the lookup's would be,
// and the call goes to a node this one already talks to rather than
// through the log N strangers of an iterative lookup. A node it is not
// connected to (DialReporter) is not called either: a dial costs several
// hops' worth of CPU, and the lookup goes mostly over connections already
// open (lookup.nextConnected). At 1024 nodes, where the descriptors do not
// let a node keep a connection to every finger, verifying had dialled on
// every other call.
func (n *Node) verifyFinger(ctx context.Context, start ID, f NodeRef, rep *RoundReport) NodeRef {
	dr, reports := n.tr.(DialReporter)
	for range 2 {
		if reports && dr.WouldDial(f.Addr) {
			if rep != nil {
				rep.Unconnected = f
			}
			return NodeRef{}
		}
		st, err := n.callState(ctx, f.Addr, false)
		if rep != nil {
			call := RoundCall{Role: RoleVerify, Index: rep.Finger, Peer: f, Pred: st.pred, Succ: st.succ}
			if err != nil {
				call = failedCall(RoleVerify, f, err)
				call.Index = rep.Finger
			}
			rep.addCall(call)
		}
		if err != nil || st.pred.IsZero() {
			return NodeRef{}
		}
		if BetweenRightIncl(st.pred.ID, start, f.ID) {
			return f
		}
		if st.pred.Addr == n.self.Addr || !BetweenRightIncl(n.self.ID, st.pred.ID, f.ID) || !BetweenLeftIncl(start, st.pred.ID, f.ID) {
			return NodeRef{}
		}
		f = st.pred
	}
	return NodeRef{}
}

// fixNextFinger fixes finger[nextFinger] and the ones sharing its successor;
// wrapped reports that the cycle went back to finger 0.
func (n *Node) fixNextFinger(ctx context.Context, rep *RoundReport) (wrapped bool, err error) {
	n.mu.Lock()
	if err := n.memberLocked("fix fingers"); err != nil {
		n.mu.Unlock()
		return true, err
	}
	k := n.nextFinger
	bits := n.cfg.Bits
	start := n.self.ID.AddPow2(bits, k)
	cur := n.fingers[k]
	last := n.succ[len(n.succ)-1]
	n.mu.Unlock()
	if rep != nil {
		rep.Finger, rep.Start = k+1, start
	}
	owner, err := NodeRef{}, error(nil)
	if !cur.IsZero() && cur.Addr != n.self.Addr && !BetweenRightIncl(n.self.ID, start, last.ID) {
		owner = n.verifyFinger(ctx, start, cur, rep)
		if rep != nil {
			rep.Verified = !owner.IsZero()
		}
	}
	if owner.IsZero() {
		mode := lookupHint | n.recursiveMode()
		if rep != nil {
			mode |= lookupExplain // the reasons of the hops: the same calls
		}
		var res LookupResult
		res, err = n.resolve(ctx, start, "", mode)
		owner = res.Owner
		if rep != nil {
			lr := res // a copy: res itself stays on the stack
			rep.Lookup = &lr
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.memberLocked("fix fingers"); err != nil {
		return true, err
	}
	next := k + 1
	if err == nil {
		n.setFingerLocked(k, owner)
		for ; next < bits; next++ {
			if !BetweenRightIncl(n.self.ID, n.self.ID.AddPow2(bits, next), owner.ID) {
				break
			}
			n.setFingerLocked(next, owner)
		}
		n.rerouteLocked(k, next) // adaptive.go
		if rep != nil {
			rep.Owner, rep.LastSet = owner, next
		}
	}
	if next >= bits {
		next = 0
	}
	n.nextFinger = next
	if err != nil {
		return next == 0, fmt.Errorf("fix finger[%d] of %s: %w", k, n.self.Addr, err)
	}
	return next == 0, nil
}
