package chord

import (
	"fmt"
	"time"
)

// NodeRef names a node: its identifier and the address it listens on.
// The zero NodeRef means "no node" (for example a nil predecessor).
type NodeRef struct {
	ID   ID
	Addr string
}

// IsZero reports whether r names no node.
func (r NodeRef) IsZero() bool { return r.Addr == "" }

// Status is a deep copy of one node's routing state, taken under its lock.
// Observers (the UI, the invariant checker, tests) only ever see Status values.
type Status struct {
	Self NodeRef
	// Bits is the identifier size m of the ring.
	Bits int
	// R is the configured successor-list length.
	R int
	// Joined is true once Create or Join succeeded and until Leave.
	Joined bool
	// Predecessor is the zero NodeRef when nil.
	Predecessor NodeRef
	// Successors is the successor list, nearest first (at most R entries).
	Successors []NodeRef
	// Fingers has Bits entries: Fingers[k] is finger k+1 of the paper, the
	// node believed to succeed Self.ID + 2^k; zero when not yet known.
	Fingers []NodeRef
	// Counters since start.
	Lookups, LookupFailures, Rounds uint64
	// EventsDropped counts events not delivered because the sink was full.
	EventsDropped uint64
}

// Successor returns the head of the successor list, or the zero NodeRef.
func (s Status) Successor() NodeRef {
	if len(s.Successors) == 0 {
		return NodeRef{}
	}
	return s.Successors[0]
}

// EventKind says what happened in an Event.
type EventKind int

// Event kinds. Upper layers add their own through Node.Emit (EventKeysMoved).
const (
	EventJoined EventKind = iota + 1
	EventLeft
	EventPredecessorChanged
	EventSuccessorChanged
	EventFailureDetected
	EventKeysMoved
	EventLookup
	// EventSuspected: a neighbour timed out but is kept (Old names it; the
	// detail counts the timeouts in a row against Config.SuspectTimeouts).
	EventSuspected
)

func (k EventKind) String() string {
	switch k {
	case EventJoined:
		return "joined"
	case EventLeft:
		return "left"
	case EventPredecessorChanged:
		return "predecessor changed"
	case EventSuccessorChanged:
		return "successor changed"
	case EventFailureDetected:
		return "failure detected"
	case EventKeysMoved:
		return "keys moved"
	case EventLookup:
		return "lookup"
	case EventSuspected:
		return "suspected"
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event is something a node did or noticed. Events are delivered to
// Config.Events without ever blocking the protocol: when the channel is
// full the event is dropped and Status.EventsDropped counts it.
type Event struct {
	Time time.Time
	Kind EventKind
	// Node is the node the event happened at.
	Node NodeRef
	// Old and New are the pointer values before and after (pointer changes),
	// or the failed node in Old (failure detected).
	Old, New NodeRef
	// Detail is a short human-readable description.
	Detail string
}

// Hop is one step of an iterative lookup: the node that was asked, why it
// was chosen, and what happened.
type Hop struct {
	// Node is the node asked at this step.
	Node NodeRef
	// Via names the routing entry that chose Node: "finger[5]",
	// "successor[0]", "successor list[2]", or "self".
	Via string
	// Reason explains the choice in words, e.g. "closest preceding finger
	// of 3fa2 known to n" or "3fa2 ∈ (n, successor]: successor owns it".
	Reason string
	// Err is non-empty when the node did not answer (timeout or refused);
	// the lookup then fell back to the next-best candidate.
	Err string
	// Timeout is true when Err was a timeout.
	Timeout bool
	// RTT is how long the call to Node took.
	RTT time.Duration
}

// LookupResult is the answer to an iterative lookup of Key.
type LookupResult struct {
	Key   ID
	Owner NodeRef
	// Path lists every node contacted, in order, including failed ones.
	Path []Hop
	// Hops counts the remote nodes that answered.
	Hops int
	// Timeouts counts the calls that timed out or were refused on the way.
	Timeouts int
	// Took is the wall time of the whole lookup.
	Took time.Duration
}

// Violation is one broken invariant found by CheckInvariants or CheckIdeal,
// described in words a student can read.
type Violation struct {
	// Invariant is the name from chord-correctness.md, e.g. "OrderedRing",
	// or "Ideal…" for the quiescent-ring checks.
	Invariant string
	// Node is the node whose state breaks it (zero if global).
	Node NodeRef
	// Message explains the violation, naming nodes by short ID and address.
	Message string
}

func (v Violation) String() string {
	if v.Node.IsZero() {
		return v.Invariant + ": " + v.Message
	}
	return fmt.Sprintf("%s at %s: %s", v.Invariant, v.Node.Addr, v.Message)
}
