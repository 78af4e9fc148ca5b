// Package cluster runs N chord+dht nodes on 127.0.0.1 over netmux and
// drives them: kill, revive, add, leave, pause, partition, delay, drop,
// maintenance. It also holds the command language shared by the REPL and
// the TUI's ":" prompt.
package cluster

import (
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// State is a node's lifecycle state as the user sees it.
type State string

// Node states.
const (
	StateAlive  State = "alive"
	StateDown   State = "down"   // crashed (kill)
	StatePaused State = "paused" // sockets open, never answers
	StateLeft   State = "left"   // left gracefully
)

// RPCStats are one node's transport counters.
type RPCStats struct {
	Calls, Errors, Served uint64
	BytesIn, BytesOut     uint64
	P50, P99              time.Duration
}

// NodeSnapshot is a copy of one node's state at Snapshot time.
type NodeSnapshot struct {
	// Name is n0, n1, … in start order.
	Name  string
	State State
	Addr  string
	ID    chord.ID
	// Chord is the node's routing state (zero value when down or left).
	Chord chord.Status
	// Keys are the node's key counts (zero when down or left).
	Keys dht.Counts
	RPC  RPCStats
	// Faults set on this node by the user.
	Delay       time.Duration
	DropPercent float64
	Partitioned bool
	// Incarnation counts the node's starts: 1 for the first, +1 per revive.
	Incarnation int
}

// Snapshot is a consistent-enough copy of the whole cluster for observers.
type Snapshot struct {
	Taken             time.Time
	Bits, R, Replicas int
	// Nodes in name order, including down and left ones.
	Nodes []NodeSnapshot
	// Stable: ideal ring, fingers correct, every key at r copies.
	Stable bool
	// LastFault describes the last disturbance ("kill n5", "start"), at LastFaultAt.
	LastFault   string
	LastFaultAt time.Time
	// ConvergedIn is how long it took to become stable after LastFault
	// (valid when Stable).
	ConvergedIn time.Duration
	// Violations of invariants 1–8 right now.
	Violations []chord.Violation
	// MaintenancePaused is true while the drivers are paused (step mode).
	MaintenancePaused bool
	// KeyIDs are the identifiers of stored live keys (for ring ticks).
	KeyIDs []chord.ID
	// Origin is the name of the default origin member ("random" picks it).
	Origin string
	// UnstableReason says what keeps the ring from being stable ("" when
	// Stable), e.g. "ring not ideal: 3 violation(s), first: …".
	UnstableReason string
	// EventsDropped counts events not delivered because nobody read Events
	// fast enough.
	EventsDropped uint64
}

// Names maps every node's address to its name, for labelling NodeRefs.
func (s Snapshot) Names() map[string]string {
	out := make(map[string]string, len(s.Nodes))
	for _, n := range s.Nodes {
		out[n.Addr] = n.Name
	}
	return out
}

// Event is one line of the cluster's event log: a chord event translated to
// node names, or a cluster action ("kill n5"). Delivered without blocking.
type Event struct {
	Time time.Time
	// Node is the name of the node concerned ("" for cluster-wide events).
	Node string
	// Kind is a short tag: "joined", "left", "pred", "succ", "failure",
	// "keys", "lookup", "fault", "stable", "unstable" (stability lost
	// without a fault, e.g. a slow node taken for dead).
	Kind string
	// Text is the full sentence shown in the log.
	Text string
}

// Result is the outcome of one command of the command language.
type Result struct {
	// Cmd is the command name ("get", "kill", …).
	Cmd string
	OK  bool
	// Err explains the failure (with a hint) when !OK.
	Err error
	// Text is the human-readable output, possibly several lines.
	Text string
	// Data holds the command's fields for --json (get: value, owner, hops; …).
	Data map[string]any
	// Lookup is the lookup behind get/set/del/lookup, for drawing its path.
	Lookup *chord.LookupResult
	// Quit is set by the quit command.
	Quit bool
}
