package cluster

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a Cluster method returns wraps one of these,
// a chord or dht error, or a context error; test with errors.Is. The
// message itself names the operation, the node and what to do instead.
var (
	// ErrBadArgument: an argument is out of range (a negative delay, a
	// drop percentage above 100, a partition of every node, …).
	ErrBadArgument = errors.New("bad argument")
	// ErrUnknownNode: a NODE argument matches no node (or several).
	ErrUnknownNode = errors.New("unknown node")
	// ErrNodeState: the node is in the wrong state for the operation
	// (killing a node that is down, reviving one that is alive, …).
	ErrNodeState = errors.New("wrong node state")
	// ErrNoLiveNode: no live member is left to run the operation through.
	ErrNoLiveNode = errors.New("no live node")
	// ErrFull: every identifier of the ring is taken, so no node can be added.
	ErrFull = errors.New("identifier space full")
	// ErrNotStable: Wait gave up before the ring became stable.
	ErrNotStable = errors.New("not stable")
	// ErrClosed: the cluster has been closed.
	ErrClosed = errors.New("cluster closed")
)

// opError is an error with a user-facing message that wraps a sentinel.
type opError struct {
	msg  string
	kind error
}

func (e *opError) Error() string { return e.msg }
func (e *opError) Unwrap() error { return e.kind }

// errorf builds an error whose text is the formatted message and which
// wraps kind for errors.Is. The message is complete: kind's own text is
// not appended.
func errorf(kind error, format string, args ...any) error {
	return &opError{msg: fmt.Sprintf(format, args...), kind: kind}
}
