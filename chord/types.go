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
	// (Node.StatusView shares it with the node: read-only there.)
	Fingers []NodeRef
	// Routes, with adaptive routing (LoadConfig.Adaptive), has Bits
	// entries: Routes[k], when not zero, is the node finger k+1 routes
	// lookups through instead of Fingers[k], which answers many more
	// lookup steps. Nil when no finger is routed elsewhere.
	Routes []NodeRef
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

// Hop is one call a lookup made: the node called, why it was chosen, and
// what happened. The node that looks up (the origin) is hop 0 and is not
// listed, so LookupResult.Path[i] is hop i+1. An iterative lookup's origin
// makes every call; in a recursive one (LookupOptions.Recursive) From
// makes it.
type Hop struct {
	// Node is the node called.
	Node NodeRef
	// From is the node whose routing entry chose Node: the origin for its
	// own tables, else the node whose step answer named it (the zero
	// NodeRef for the address given to Join). A ring draws the hop as a
	// chord from From to Node.
	From NodeRef
	// Via names the routing entry of From that chose Node: "finger[5]",
	// "successor[0]", "successor list[2]", or "known" (Join).
	Via string
	// Reason explains the choice in words, e.g. "closest preceding 3fa2
	// known to this node (its finger[16], start 9000)" or "3fa2 ∈ (n,
	// successor]: … owns it".
	Reason string
	// Ping is true when the call asked the owner whether it is alive
	// (its last chance to be returned), not for a lookup step.
	Ping bool
	// Err is non-empty when the call failed (timed out, refused, or the
	// node is no longer a ring member); the lookup then fell back to the
	// next-best candidate.
	Err string
	// Timeout is true when Err was a timeout.
	Timeout bool
	// RTT is how long the call took: in a recursive lookup, the calls made
	// after it by the node called included.
	RTT time.Duration
	// Cached is true when the node answered the lookup from its cache
	// (LookupOptions.Probe): the last row of a lookup that ended there.
	Cached bool
}

// OwnerCheck says how a lookup established that the owner it returns is
// live. Only OwnerPinged adds a call, the last row of the Path, for it.
type OwnerCheck uint8

// How the owner's liveness was established.
const (
	// OwnerOrigin: the origin owns the key itself (hop 0); no call.
	OwnerOrigin OwnerCheck = iota + 1
	// OwnerAnswered: the owner answered a step call earlier in the Path.
	OwnerAnswered
	// OwnerPinged: the owner answered a ping, the last row of the Path.
	OwnerPinged
	// OwnerVouched: no call. The node that named it (OwnerNamedBy) had
	// heard from it OwnerHeardAgo before naming it, over a connection
	// still open (Config.LivenessWindow).
	OwnerVouched
	// OwnerHeard: no call. The origin had heard from it OwnerHeardAgo
	// before, over a connection still open (Config.LivenessWindow).
	OwnerHeard
	// OwnerTrusted: no call and no check (LookupOptions.TrustOwner: the
	// caller calls the owner next and handles its failure).
	OwnerTrusted
)

var ownerCheckNames = [...]string{
	OwnerOrigin:   "origin",
	OwnerAnswered: "answered",
	OwnerPinged:   "pinged",
	OwnerVouched:  "vouched",
	OwnerHeard:    "heard",
	OwnerTrusted:  "trusted",
}

// String is one word: "origin", "answered", "pinged", "vouched", "heard"
// or "trusted" ("" for the zero value: no owner).
func (c OwnerCheck) String() string {
	if int(c) < len(ownerCheckNames) {
		return ownerCheckNames[c]
	}
	return fmt.Sprintf("OwnerCheck(%d)", int(c))
}

// MarshalText encodes the check as its String, for JSON.
func (c OwnerCheck) MarshalText() ([]byte, error) {
	if c != 0 && int(c) >= len(ownerCheckNames) {
		return nil, fmt.Errorf("invalid owner check %d", int(c))
	}
	return []byte(c.String()), nil
}

// UnmarshalText decodes a String.
func (c *OwnerCheck) UnmarshalText(b []byte) error {
	for k, name := range ownerCheckNames {
		if name == string(b) {
			*c = OwnerCheck(k)
			return nil
		}
	}
	return fmt.Errorf("unknown owner check %q", b)
}

// LookupResult is the answer to a lookup of Key. Its numbering: the origin
// (the node that looked up, which makes every call of an iterative lookup)
// is hop 0; Path lists every call, in order, so Path[i] is hop i+1; Hops
// counts the calls that answered and Timeouts the calls that failed, so
// len(Path) = Hops + Timeouts. An owner taken without a call is no row of Path:
// OwnerCheck says how its liveness was established instead.
type LookupResult struct {
	Key   ID
	Owner NodeRef
	// OwnerCheck says how Owner was found live (zero when the lookup failed).
	OwnerCheck OwnerCheck
	// OwnerNamedBy is the node whose routing entry named Owner: the origin
	// for its own tables, else the node of the Path whose answer named it.
	OwnerNamedBy NodeRef
	// OwnerVia and OwnerReason say which routing entry of OwnerNamedBy
	// named Owner and why it owns Key, in the words of Hop.Via and
	// Hop.Reason; OwnerReason ends with how its liveness was established
	// when no call did it, e.g. "(vouched for by 3fa2, which heard from it
	// 1.2ms before naming it: no ping)". Empty for internal lookups.
	OwnerVia, OwnerReason string
	// OwnerHeardAgo is, for OwnerVouched and OwnerHeard, how long before
	// it was named the owner had last answered the node vouching for it
	// (OwnerNamedBy, or the origin).
	OwnerHeardAgo time.Duration
	// Path lists every call the lookup made, in order: step calls and the
	// owner's ping, answered and failed.
	Path []Hop
	// Hops is the number of calls in Path that answered, the owner's ping
	// included: the path length the paper measures (0 when the origin owns
	// the key or its own tables vouch for the owner).
	Hops int
	// Timeouts is the number of calls in Path that failed (Hop.Err set):
	// timed out, refused, or reached a node no longer a ring member. It
	// is the paper's count of timeouts per lookup; Hop.Timeout tells the
	// kinds apart.
	Timeouts int
	// Took is the wall time of the whole lookup.
	Took time.Duration
	// Recursive: the lookup was forwarded from node to node (recursive.go),
	// each hop called by its Hop.From; otherwise the origin made every call.
	Recursive bool
	// Answer is, for a lookup with LookupOptions.Probe, the answer a
	// hop's StepCache gave (stepcache.go), and AnsweredBy that hop: the
	// lookup ended there, with no Owner.
	Answer     []byte
	AnsweredBy NodeRef
}

// Violation is one broken invariant found by CheckInvariants or CheckIdeal,
// described in words a student can read.
type Violation struct {
	// Invariant is the name docs/chord.md lists, e.g. "OrderedRing", or
	// "Ideal…" for the quiescent-ring checks.
	Invariant string
	// Node is the node whose state breaks it (zero if global).
	Node NodeRef
	// Nodes are the nodes the message names, Node first: the ones to
	// point at when showing it.
	Nodes []NodeRef
	// Message explains the violation, naming nodes by short ID and
	// address (or as the checker's Naming says).
	Message string
}

func (v Violation) String() string {
	if v.Node.IsZero() {
		return v.Invariant + ": " + v.Message
	}
	return fmt.Sprintf("%s at %s: %s", v.Invariant, v.Node.Addr, v.Message)
}
