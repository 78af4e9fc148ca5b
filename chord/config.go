package chord

import (
	"errors"
	"fmt"
	"time"
)

// Config holds the tunables of one node.
type Config struct {
	// Bits is the identifier size m (6..160).
	Bits int
	// ID is the node's identifier. Zero with HasID false means SHA-1 of the address.
	ID ID
	// HasID says ID was given explicitly.
	HasID bool
	// SuccessorListLen is r, the successor-list length (≥ 1).
	SuccessorListLen int
	// RPCTimeout bounds every remote call made by the protocol.
	RPCTimeout time.Duration
	// StabilizeInterval, FixFingersInterval and CheckPredecessorInterval are
	// the periods at which a Driver runs each maintenance round.
	StabilizeInterval        time.Duration
	FixFingersInterval       time.Duration
	CheckPredecessorInterval time.Duration
	// Jitter spreads each period by ±Jitter (0..1) so rounds do not align.
	Jitter float64
	// MaxLookupSteps bounds an iterative lookup (calls made, failed ones
	// included), so a lookup can never loop forever.
	MaxLookupSteps int
	// Events, if non-nil, receives events without blocking (lossy).
	Events chan<- Event
	// LivenessWindow: a lookup's owner that answered this node, or the node
	// that named it in its step answer (usually its predecessor, which calls
	// it every stabilize round), as a ring member within this window, and to
	// which that node's transport is still connected (ConnectionReporter, if
	// the transport implements it), is taken as live without a new ping:
	// one call less per lookup (the hop's Reason says so).
	// The price, where the transport cannot report connections: a crash is
	// noticed by lookups up to this late (a failed call to the node ends
	// the trust at once); a ConnectionReporter ends it with the crash, and a
	// paused or slow node stays trusted up to this late. Set to a couple of
	// stabilize intervals, lookups know no less than the maintenance rounds
	// do.
	// 0 (the default) pings the owner on every lookup.
	LivenessWindow time.Duration
	// RecursiveLookups makes the node's own lookups forward
	// (LookupOptions.Recursive): Lookup, fix_fingers, and the join's and
	// the unification probe's, which ask the member they know to carry the
	// lookup on. Every call then goes to a finger or successor of the node
	// making it, over a connection maintenance keeps open, where an
	// iterative lookup's later steps call nodes the origin may have no
	// connection to. LookupWith does as its options say.
	RecursiveLookups bool
	// IdleBackoff lets an idle node sleep: a Driver running the node's
	// rounds (NodeTasks, and tasks driven with them) doubles a task's period
	// after each of its rounds that leaves the node's routing state
	// (predecessor, successor list, fingers) as it was, once nothing has
	// changed for IdleSettle (and, for fix_fingers, once it has refreshed
	// every finger since), up to IdleBackoff times the task's base period. A change, a failed round or lookup, or a word from the
	// transport (ChangeNotifier: a lost connection, a node started or
	// stopped, a fault) returns every task to its base period at once.
	// 0 or 1 keeps the base periods (no backoff). Stabilize grows no
	// further than keeps a predecessor calling its successor within
	// LivenessWindow (lookups rely on that call to skip pinging an owner).
	IdleBackoff int
	// IdleSettle is how long the routing state must stay unchanged (and the
	// transport quiet) before periods begin to grow: the ring runs at its
	// base pace while it repairs itself and for this long after.
	IdleSettle time.Duration
	// SuspectTimeouts is K, how many maintenance calls in a row (stabilize,
	// check_predecessor, rectify's check) must time out before a node that
	// may only be slow is treated as failed and dropped. A call that is
	// refused, finds the connection closed or reaches a node that is no
	// longer a member is a definite failure and drops the node at once.
	// Zave's proofs assume a perfect failure detector; on a starved CPU a
	// live node can miss one deadline, and dropping it at once breaks the
	// ring. 1 drops on the first timeout (the paper's behaviour).
	SuspectTimeouts int

	// Load measurement and balancing (load.go, adaptive.go); the zero
	// value measures over DefaultLoadWindow and balances nothing.
	Load LoadConfig
}

// MinInterval is the shortest maintenance period: shorter ones only make
// the rounds spin, each starting as the last ends.
const MinInterval = time.Millisecond

// DefaultConfig returns the settings used by chordtui: 160-bit SHA-1 IDs,
// r = 4, and rounds fast enough that 16 local nodes settle within a second.
func DefaultConfig() Config {
	return Config{
		Bits:                     160,
		SuccessorListLen:         4,
		RPCTimeout:               500 * time.Millisecond,
		StabilizeInterval:        50 * time.Millisecond,
		FixFingersInterval:       50 * time.Millisecond,
		CheckPredecessorInterval: 100 * time.Millisecond,
		Jitter:                   0.2,
		MaxLookupSteps:           64,
		SuspectTimeouts:          3,
	}
}

// Validate reports the first setting that is out of range.
func (c Config) Validate() error {
	var errs []error
	if c.Bits < MinBits || c.Bits > MaxBits {
		errs = append(errs, fmt.Errorf("bits must be between %d and %d, got %d", MinBits, MaxBits, c.Bits))
	}
	if c.HasID && c.ID.Mask(c.Bits) != c.ID {
		errs = append(errs, fmt.Errorf("id %s does not fit in %d bits", c.ID.Hex(MaxBits), c.Bits))
	}
	if c.SuccessorListLen < 1 {
		errs = append(errs, fmt.Errorf("successor list length must be at least 1, got %d", c.SuccessorListLen))
	}
	if c.RPCTimeout < MinInterval { // no call answers sooner: a ring would never form
		errs = append(errs, fmt.Errorf("rpc timeout must be at least %v, got %v", MinInterval, c.RPCTimeout))
	}
	if c.StabilizeInterval < MinInterval || c.FixFingersInterval < MinInterval || c.CheckPredecessorInterval < MinInterval {
		errs = append(errs, fmt.Errorf("maintenance intervals must be at least %v, got stabilize %v, fix-fingers %v, check-predecessor %v",
			MinInterval, c.StabilizeInterval, c.FixFingersInterval, c.CheckPredecessorInterval))
	}
	if c.Jitter < 0 || c.Jitter >= 1 {
		errs = append(errs, fmt.Errorf("jitter must be in [0, 1), got %v", c.Jitter))
	}
	if c.LivenessWindow < 0 {
		errs = append(errs, fmt.Errorf("liveness window must not be negative, got %v", c.LivenessWindow))
	}
	if c.IdleBackoff < 0 || c.IdleBackoff > 1<<10 {
		errs = append(errs, fmt.Errorf("idle backoff must be between 0 and 1024, got %d", c.IdleBackoff))
	}
	if c.IdleSettle < 0 {
		errs = append(errs, fmt.Errorf("idle settle must not be negative, got %v", c.IdleSettle))
	}
	if c.SuspectTimeouts < 1 {
		errs = append(errs, fmt.Errorf("suspect timeouts must be at least 1, got %d", c.SuspectTimeouts))
	}
	if c.MaxLookupSteps < 1 {
		errs = append(errs, fmt.Errorf("max lookup steps must be at least 1, got %d", c.MaxLookupSteps))
	}
	if err := c.Load.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
