package chord

import (
	"context"
	"errors"
	"fmt"
	"syscall"
)

// Failure suspicion. Zave's proofs assume a perfect failure detector: a node
// is dropped only when it has really failed. A transport tells two kinds of
// failure apart (see Transport): a refused call, a closed connection or a
// reply saying "not a member" means the peer crashed or left — certain, and
// detected at once, so a killed node is repaired within a round — while a
// timeout only means the peer did not answer in time: it may be paused,
// starved of CPU or merely slow. Dropping a live successor after one missed
// deadline breaks the ring (OrderedRing, NoDuplicates, AtMostOneRing fail
// under CPU starvation). So the maintenance operations that drop a node
// (stabilize's walk of the successor list, check_predecessor, rectify's
// check of the old predecessor) count timeouts per peer and drop it only
// after Config.SuspectTimeouts in a row; any answer from the peer resets the
// count. Lookups do not count: a lookup skips a hop that timed out for that
// lookup only, which changes no node's state.

// definiteFailure reports whether err, from a protocol call, proves that the
// peer crashed, left or cannot be reached at all, rather than being slow.
func definiteFailure(err error) bool {
	if errors.Is(err, ErrNotJoined) {
		return true
	}
	return !isTimeout(err) && !localFailure(err)
}

// isTimeout reports whether err says a call ran out of time.
func isTimeout(err error) bool {
	return errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded)
}

// localFailure reports a failure of this node, not of the peer: it could
// not open a socket (descriptor or port limit), or it was stopped. The
// transport must wrap the system call's error with %w for errors.Is to see it.
func localFailure(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, ErrStopped)
}

// suspect records that ref failed a maintenance call with err and reports
// whether to treat it as failed now: at once for a definite failure, after
// Config.SuspectTimeouts timeouts in a row otherwise, and how many timeouts
// in a row that makes (0 for a definite failure). When it keeps ref it
// emits EventSuspected, where says which neighbour ("successor", …).
func (n *Node) suspect(ref NodeRef, err error, where string) (failed bool, inRow int) {
	if definiteFailure(err) {
		return true, 0
	}
	n.maintTimeouts.Add(1)
	k := n.cfg.SuspectTimeouts
	c := n.peers.timedOut(ref.Addr, k)
	if c >= k {
		return true, c
	}
	n.emit(EventSuspected, ref, NodeRef{}, fmt.Sprintf("%s %s timed out (%d of %d in a row before it counts as failed): kept", where, n.label(ref), c, k))
	return false, c
}

// MaintenanceTimeouts counts the maintenance calls of this node that timed
// out (each one suspect counted), since it started: a round during which
// it did not move had every call answered or failed for certain.
func (n *Node) MaintenanceTimeouts() uint64 { return n.maintTimeouts.Load() }
