package chord

import "errors"

// Sentinel errors. Callers test them with errors.Is; chord wraps them with
// the node and operation concerned.
var (
	// ErrNodeDown: the peer did not answer (refused, crashed, partitioned).
	ErrNodeDown = errors.New("node down")
	// ErrTimeout: the peer did not answer before the deadline. Errors that
	// wrap ErrTimeout wrap ErrNodeDown too: a silent node is treated as failed.
	ErrTimeout = errors.New("timed out")
	// ErrUnknownCommand: no handler is registered under that command name.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrDuplicateCommand: Register was called twice with the same name.
	ErrDuplicateCommand = errors.New("command already registered")
	// ErrIDCollision: a joining node has the identifier of a live member.
	ErrIDCollision = errors.New("identifier already in use")
	// ErrNotJoined: the node is not (or no longer) a member of a ring.
	ErrNotJoined = errors.New("node is not part of a ring")
	// ErrLookupFailed: no live candidate was left to ask, or the hop limit was hit.
	ErrLookupFailed = errors.New("lookup failed")
	// ErrStopped: the node was stopped (Node.Stop) and does nothing more.
	ErrStopped = errors.New("node stopped")
)
