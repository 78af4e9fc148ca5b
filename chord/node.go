package chord

import (
	"context"
	"errors"
)

// errUnimplemented marks the API skeleton; the chord issue replaces every use.
var errUnimplemented = errors.New("unimplemented")

// CommandHandler serves a command registered by an upper layer (dht.get, …).
type CommandHandler func(ctx context.Context, req []byte) ([]byte, error)

// Node is one Chord node: predecessor, successor list, finger table and a
// command registry, all behind one mutex. It runs no goroutines of its own:
// maintenance happens when a Driver (or a test) calls its round methods.
type Node struct{}

// NewNode makes a node that talks through tr and serves calls on it (it calls
// tr.Serve). Its ID is cfg.ID if cfg.HasID, else HashID(cfg.Bits, tr.Addr()).
func NewNode(cfg Config, tr Transport) (*Node, error) { return nil, errUnimplemented }

// Self returns the node's identifier and address.
func (n *Node) Self() NodeRef { return NodeRef{} }

// Config returns the node's configuration.
func (n *Node) Config() Config { return Config{} }

// Create starts a new ring with this node as its only member (paper: create).
func (n *Node) Create() {}

// Join enters the ring that the node at known belongs to (Zave's join: look
// up the successor, adopt it and all but the last of its successor list).
// A live member with the same ID makes it fail with ErrIDCollision.
func (n *Node) Join(ctx context.Context, known string) error { return errUnimplemented }

// Stabilize runs one stabilize round (Zave's corrected stabilize).
func (n *Node) Stabilize(ctx context.Context) error { return errUnimplemented }

// FixFingers refreshes the next finger in the cycle (paper: fix_fingers).
func (n *Node) FixFingers(ctx context.Context) error { return errUnimplemented }

// FixAllFingers refreshes every finger once.
func (n *Node) FixAllFingers(ctx context.Context) error { return errUnimplemented }

// CheckPredecessor clears the predecessor if it does not answer (paper:
// check_predecessor).
func (n *Node) CheckPredecessor(ctx context.Context) error { return errUnimplemented }

// Leave departs gracefully: tells the predecessor and successor, then stops
// answering protocol calls (paper §IV-E.3 voluntary departure).
func (n *Node) Leave(ctx context.Context) error { return errUnimplemented }

// Lookup finds the owner of id iteratively from this node, returning the path.
func (n *Node) Lookup(ctx context.Context, id ID) (LookupResult, error) {
	return LookupResult{}, errUnimplemented
}

// Register adds a command for upper layers; a duplicate name is ErrDuplicateCommand.
func (n *Node) Register(name string, h CommandHandler) error { return errUnimplemented }

// Call invokes a registered command on the node at addr.
func (n *Node) Call(ctx context.Context, addr, name string, req []byte) ([]byte, error) {
	return nil, errUnimplemented
}

// Status returns a deep copy of the node's state.
func (n *Node) Status() Status { return Status{} }

// Successors returns a copy of the successor list (cheap; no fingers).
func (n *Node) Successors() []NodeRef { return nil }

// Predecessor returns the current predecessor (zero if nil).
func (n *Node) Predecessor() NodeRef { return NodeRef{} }

// Emit delivers an event from an upper layer through the node's event sink.
func (n *Node) Emit(e Event) {}
