package chord

import (
	"context"
	"fmt"
)

// Round reports: what one maintenance round did, call by call, for a reader
// who follows the protocol one step at a time (chordtui's step mode). The
// report-returning round methods (StabilizeReport, FixFingersReport,
// CheckPredecessorReport) run exactly the round their plain counterparts
// run and record it as they go; the plain methods record nothing and cost
// what they always did.

// Round names, as RoundReport.Task and NodeTasks name them.
const (
	TaskStabilize        = "stabilize"
	TaskFixFingers       = "fix_fingers"
	TaskCheckPredecessor = "check_predecessor"
)

// CallRole says why a round made a call.
type CallRole uint8

// The calls of the rounds.
const (
	// RoleSuccessor: stabilize asks successor-list entry Index for its
	// predecessor and successor list, notifying it (Zave's stabilize: the
	// notification rides on the same call, and the peer rectifies first).
	RoleSuccessor CallRole = iota + 1
	// RoleFallback: every successor-list entry failed; stabilize asks a
	// finger or the predecessor the same question, to take it as successor
	// if it answers.
	RoleFallback
	// RoleCloser: the head's predecessor lies between this node and the
	// head; stabilize asks it (and notifies it) before adopting it, as Zave
	// requires: a successor must have answered.
	RoleCloser
	// RoleProbe: ring unification (unify.go) asks a lost node to look this
	// node's identifier up; Found is the owner it names.
	RoleProbe
	// RoleProbeFound: the probe found a node of another ring; stabilize
	// asks it for its state and notifies it.
	RoleProbeFound
	// RolePredecessor: check_predecessor pings the predecessor.
	RolePredecessor
	// RoleVerify: fix_fingers asks the current finger (or a node that
	// joined just before it) for its predecessor, to check the finger with
	// one call instead of a lookup.
	RoleVerify
)

var callRoleNames = [...]string{
	RoleSuccessor:   "successor",
	RoleFallback:    "fallback",
	RoleCloser:      "closer",
	RoleProbe:       "probe",
	RoleProbeFound:  "probe found",
	RolePredecessor: "predecessor",
	RoleVerify:      "verify",
}

// String is one word or two, as in JSON.
func (r CallRole) String() string {
	if r > 0 && int(r) < len(callRoleNames) {
		return callRoleNames[r]
	}
	return fmt.Sprintf("CallRole(%d)", int(r))
}

// MarshalText encodes the role as its String, for JSON.
func (r CallRole) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// RoundCall is one call a round made and what came of it.
type RoundCall struct {
	Role CallRole
	// Index is, for RoleSuccessor, the entry's position in the successor
	// list (0 is the successor); for RoleVerify, the finger checked
	// (1-based, the paper's k).
	Index int
	// Peer is the node called.
	Peer NodeRef
	// Notify: the call notified Peer of this node (Peer rectified its
	// predecessor before answering).
	Notify bool
	// Pred and Succ are Peer's predecessor and successor list as it
	// answered (state calls), after its rectify when notified.
	Pred NodeRef
	Succ []NodeRef
	// Found is, for RoleProbe, the owner of this node's identifier the
	// lost node's ring names.
	Found NodeRef
	// Err is non-empty when the call failed; Timeout when it ran out of
	// time rather than being refused.
	Err     string
	Timeout bool
	// For a failed neighbour (successor-list entry, predecessor): Dropped
	// says it now counts as failed — a certain failure, or
	// Config.SuspectTimeouts timeouts in a row. Otherwise it is kept as a
	// suspect with TimeoutsInRow timeouts so far.
	Dropped       bool
	TimeoutsInRow int
}

// Answered reports whether the call was answered.
func (c RoundCall) Answered() bool { return c.Err == "" }

// RoundReport is what one maintenance round of one node did: every call
// it made, in order, and what it decided. The node's own pointers before
// and after are not repeated here: Status before and after the round shows
// them, and notified peers' rectify changes theirs.
type RoundReport struct {
	// Task is TaskStabilize, TaskFixFingers or TaskCheckPredecessor.
	Task string
	// Node is the node that ran the round.
	Node NodeRef
	// Calls lists every call the round made, in order (a fix_fingers
	// lookup's calls are in Lookup instead).
	Calls []RoundCall

	// Stabilize: Head is the first successor-list entry (or fallback) that
	// answered, zero when none did; Closer is Head's predecessor when it
	// lay between this node and Head and answered, so it became the
	// successor instead; Alone says no other node answered or the node is
	// alone in its ring, so it is its own successor; KeptSuspect says the
	// walk stopped at an entry that timed out but is kept as a suspect, so
	// the round ended with the rest of the list unchanged.
	Head, Closer NodeRef
	Alone        bool
	KeptSuspect  bool

	// Fix fingers: Finger is the finger refreshed (1-based, the paper's
	// k), Start its start n + 2^(k−1), Owner the node found to succeed
	// Start, and LastSet the last finger set to Owner as well (fingers
	// Finger..LastSet share it). Verified says one call to the current
	// finger confirmed it (Calls); otherwise Lookup is the lookup of Start.
	// Unconnected is the node the check would have asked next when this
	// node holds no connection to it: it looked Start up instead of
	// opening one. Owner is zero when the finger could not be refreshed
	// (Err).
	Finger, LastSet int
	Start           ID
	Owner           NodeRef
	Verified        bool
	Unconnected     NodeRef
	Lookup          *LookupResult

	// Err is the round's error text, "" when it completed.
	Err string
}

// addCall records c; r may be nil (a plain round records nothing).
func (r *RoundReport) addCall(c RoundCall) {
	if r != nil {
		r.Calls = append(r.Calls, c)
	}
}

// finish records the round's error and returns the report and err.
func (r *RoundReport) finish(err error) (RoundReport, error) {
	if err != nil {
		r.Err = err.Error()
	}
	return *r, err
}

// failedCall is the record of a call that failed with err.
func failedCall(role CallRole, peer NodeRef, err error) RoundCall {
	return RoundCall{Role: role, Peer: peer, Err: err.Error(), Timeout: isTimeout(err)}
}

// StabilizeReport runs one stabilize round (Stabilize) and reports it.
func (n *Node) StabilizeReport(ctx context.Context) (RoundReport, error) {
	r := &RoundReport{Task: TaskStabilize, Node: n.self}
	return r.finish(n.stabilize(ctx, r))
}

// FixFingersReport runs one fix_fingers round (FixFingers) and reports it.
// Its lookup, if it needs one, records the reason of every hop.
func (n *Node) FixFingersReport(ctx context.Context) (RoundReport, error) {
	r := &RoundReport{Task: TaskFixFingers, Node: n.self}
	return r.finish(n.fixFingers(ctx, r))
}

// CheckPredecessorReport runs one check_predecessor round
// (CheckPredecessor) and reports it.
func (n *Node) CheckPredecessorReport(ctx context.Context) (RoundReport, error) {
	r := &RoundReport{Task: TaskCheckPredecessor, Node: n.self}
	return r.finish(n.checkPredecessor(ctx, r))
}

// RoundReporter returns the report-returning round of the task named
// (TaskStabilize, TaskFixFingers or TaskCheckPredecessor), or nil.
func (n *Node) RoundReporter(task string) func(context.Context) (RoundReport, error) {
	switch task {
	case TaskStabilize:
		return n.StabilizeReport
	case TaskFixFingers:
		return n.FixFingersReport
	case TaskCheckPredecessor:
		return n.CheckPredecessorReport
	}
	return nil
}
