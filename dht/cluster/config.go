package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/bits"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
	"github.com/chordtui/chordtui/dht/dfs"
	"github.com/chordtui/chordtui/netmux"
)

// Config holds the settings of a local cluster.
type Config struct {
	// Nodes is how many nodes Start launches (at least 1).
	Nodes int
	// Host is the interface every node listens on.
	Host string
	// Chord is the template of every node's chord.Config; the cluster sets
	// ID, HasID and Events per node.
	Chord chord.Config
	// DHT configures every node's store (DHT.Replicas is the r of "every key
	// at r copies").
	DHT dht.Config
	// Net configures every node's netmux transport; the cluster sets
	// Net.Faults to its own shared fault table. Unused with Network.
	Net netmux.Config
	// Key, when not empty, is the cluster key every node's transport
	// demands of its peers (netmux.Config.Key: at least
	// netmux.MinKeySize bytes); it replaces Net.Key. Empty: no
	// authentication, which is safe on a loopback Host only.
	Key []byte
	// DFS configures the file system on the ring (package dfs); its
	// records must fit DHT.MaxValueSize.
	DFS dfs.Config
	// GCInterval is the period of the file system's garbage collection.
	GCInterval time.Duration
	// Network, when non-nil, carries the nodes' calls instead of netmux over
	// TCP on Host (NewMemNetwork: in memory, for tests). One Network serves
	// one cluster.
	Network Network
	// Seed, when non-zero, derives node identifiers from the seed and the
	// node names (the same ring every run) and seeds every random choice.
	// Zero: identifiers are SHA-1 of the address, choices are random.
	Seed int64
	// IDs, when not empty, are the identifiers of the nodes Start
	// launches, in start order: one per node, distinct, each below 2^m.
	// Nodes added later get identifiers as without it.
	IDs []chord.ID
	// Names says how nodes are named: NamesStart ("" too: n0, n1, … in
	// start order) or NamesID (N8 for the node at identifier 8; m ≤
	// DecimalBits).
	Names NameStyle
	// SettleFingers: Start runs one whole fix_fingers cycle on every node
	// before it returns, so that the ring starts with every finger right
	// even when fix_fingers is slow (LectureConfig). Above 64 nodes Start
	// always does.
	SettleFingers bool
	// MonitorInterval is how often the "stable" condition is evaluated
	// while the ring is not stable: ConvergedIn is exact to within it.
	MonitorInterval time.Duration
	// StableMonitorInterval is how often it is re-evaluated while the ring
	// is stable: a ring that degrades without a fault is reported within it.
	StableMonitorInterval time.Duration
	// JoinParallelism is how many of the initial nodes join at once (each
	// through a random member that already joined).
	JoinParallelism int
	// JoinTimeout bounds one node's join, retries included.
	JoinTimeout time.Duration
	// OpTimeout bounds a get, set, del, lookup or leave.
	OpTimeout time.Duration
	// WaitTimeout is how long Wait waits when given no timeout.
	WaitTimeout time.Duration
	// EventBuffer is the capacity of the Events channel; events beyond it
	// are dropped (counted in Snapshot.EventsDropped).
	EventBuffer int
	// RESP configures the Redis-protocol endpoint (resp.go); with
	// RESP.Addr empty there is none.
	RESP RESPConfig
	// Logger receives diagnostics; nil discards them. Never point it at the
	// terminal a UI is drawing on.
	Logger *slog.Logger

	// Join, when set, is the address of a node of an existing ring: the
	// cluster's nodes join that ring instead of forming their own, and the
	// ring's other members are judged with them (remote.go).
	Join string
	// Attach, when set, is the address of a node of a ring to observe and
	// drive without starting any node (Nodes is then 0): every member is
	// remote.
	Attach string

	// Admin lets every node serve admin operations (pause, resume, delay,
	// drop, partition, heal, kill) to programs attached to the ring
	// (observe.go); without it they refuse with ErrAdminRefused.
	Admin bool

	// VNodes, when above 1, runs that many Chord identities on each of
	// the Nodes real nodes (vnodes.go). Start then lengthens every
	// identity's successor list to Chord.SuccessorListLen × VNodes, so
	// that it always reaches SuccessorListLen real nodes.
	VNodes int
}

// DefaultConfig returns the settings chordtui uses: 16 nodes on 127.0.0.1,
// 160-bit identifiers, r = 4 successors, 3 replicas, and maintenance rounds
// fast enough that 16 nodes are stable about a second after start.
func DefaultConfig() Config {
	cc := chord.DefaultConfig()
	cc.RPCTimeout = 300 * time.Millisecond
	cc.StabilizeInterval = 25 * time.Millisecond
	cc.FixFingersInterval = 50 * time.Millisecond
	cc.CheckPredecessorInterval = 100 * time.Millisecond
	// An idle ring sleeps: rounds that change nothing stretch their periods
	// up to 16 times, 4 stabilize periods after the last change; a change,
	// a lost connection, a node started or stopped or a fault returns them
	// to the periods above at once (chord.Config.IdleBackoff).
	cc.IdleBackoff = 16
	cc.IdleSettle = 4 * cc.StabilizeInterval
	// A node that answered within two of its predecessor's longest
	// stabilize periods, over a connection still open, is taken as live by
	// lookups without a new ping: the owner's predecessor hears from it
	// every stabilize round, and a crash, a pause, a partition or a drop
	// rate ends the trust at once (netmux reports the connection and the
	// fault table: chord.ConnectionReporter).
	cc.LivenessWindow = 2 * time.Duration(cc.IdleBackoff) * cc.StabilizeInterval
	return Config{
		Nodes:                 16,
		Host:                  "127.0.0.1",
		Chord:                 cc,
		DHT:                   dht.DefaultConfig(),
		DFS:                   dfs.DefaultConfig(),
		GCInterval:            time.Minute,
		Net:                   netConfigFor(16, netmux.DescriptorLimit()),
		MonitorInterval:       50 * time.Millisecond,
		StableMonitorInterval: 500 * time.Millisecond,
		JoinParallelism:       16,
		JoinTimeout:           10 * time.Second,
		OpTimeout:             10 * time.Second,
		WaitTimeout:           30 * time.Second,
		EventBuffer:           4096,
		RESP:                  DefaultRESPConfig(),
	}
}

// MaxVNodes bounds Config.VNodes.
const MaxVNodes = 64

// scaleFreeNodes is the ring size up to which DefaultConfig's maintenance
// periods are used unchanged.
const scaleFreeNodes = 64

// fdReserve is the part of the process's descriptor limit left to
// listeners, dials in progress and everything else the process opens.
const fdReserve = 2048

// fullMeshEnds is the most session ends (one per node and peer) a ring in
// one process keeps for a full mesh: 128 nodes (16,256 ends, one
// descriptor and about 8 KiB each).
const fullMeshEnds = 1 << 14

// netConfigFor sizes the transports of a ring of n nodes in a process
// allowed limit descriptors (0: unknown). Lookups from random origins for
// random keys make every node call every other one, and a call on an open
// session costs a fraction of a dial (connect, handshake, a session at both
// ends), so while the ring is small enough every node keeps a session to
// every other. Above that a partial mesh buys little (a lookup's later hops
// go to random nodes, connected with probability MaxSessions/(n−1)), so a
// node keeps about the peers its maintenance and routing use: its distinct
// fingers and the nodes whose fingers point at it (about log2 n each), its
// successors and the nodes that list it, its predecessor, a caller or two;
// fewer if the descriptors do not allow them.
func netConfigFor(n, limit int) netmux.Config {
	c := netmux.DefaultConfig()
	fdBound := 1 << 30
	if limit > 0 {
		fdBound = (limit-fdReserve)/max(n, 1) - 1 // one listener per node
	}
	want := n - 1
	if n*(n-1) > fullMeshEnds {
		r := chord.DefaultConfig().SuccessorListLen
		want = 2*bits.Len(uint(n-1)) + 2*r + 2
	}
	c.MaxSessions = max(min(want, fdBound), 4)
	return c
}

// ConfigFor returns DefaultConfig for a ring of n nodes. Every node's
// maintenance costs a fixed number of calls per period, so the ring's
// maintenance traffic grows with N while this machine's cores do not: 1024
// nodes at the 16-node pace would need more CPU than exists, calls would
// time out, and nodes would suspect each other forever. Above 64 nodes the
// periods therefore grow with s = N/64: fix-fingers, check-predecessor and
// repair (the costly or slow-to-matter rounds) by s, stabilize (which joins
// and repairs the ring) and the RPC deadline by √s, so that the whole ring's
// maintenance stays near what 64 nodes cost at the default pace while joins
// and failures are still repaired in a few seconds. The monitor's interval
// grows by √s too (each evaluation reads every node), and N/8 nodes join
// at once (a join waits on round trips more than on the CPU). Lookups
// are recursive (chord.Config.RecursiveLookups): an iterative lookup's
// later steps call nodes the origin keeps no connection to, and a ring of
// more than 64 nodes dials for them (a full mesh at 128 nodes, forever
// above it, where the session cap evicts), while every call of a
// recursive lookup goes to a finger or successor. Up to 64 nodes the
// result is DefaultConfig, with the iterative lookups the paper explains
// first.
func ConfigFor(n int) Config {
	c := DefaultConfig()
	c.Nodes = n
	c.Net = netConfigFor(n, netmux.DescriptorLimit())
	if n <= scaleFreeNodes {
		return c
	}
	s := float64(n) / scaleFreeNodes
	root := math.Sqrt(s)
	scale := func(d time.Duration, by float64) time.Duration {
		return time.Duration(float64(d) * by).Round(time.Millisecond)
	}
	c.Chord.StabilizeInterval = scale(c.Chord.StabilizeInterval, root)
	c.Chord.LivenessWindow = scale(c.Chord.LivenessWindow, root)
	c.Chord.IdleSettle = scale(c.Chord.IdleSettle, root)
	c.Chord.RPCTimeout = scale(c.Chord.RPCTimeout, root)
	c.Chord.FixFingersInterval = scale(c.Chord.FixFingersInterval, s)
	c.Chord.CheckPredecessorInterval = scale(c.Chord.CheckPredecessorInterval, s)
	c.DHT.RepairInterval = scale(c.DHT.RepairInterval, s)
	c.MonitorInterval = scale(c.MonitorInterval, root)
	c.JoinParallelism = max(c.JoinParallelism, n/8)
	c.Chord.RecursiveLookups = true
	return c
}

// Validate reports every setting that is out of range.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.Attach != "" && c.Nodes != 0:
		errs = append(errs, fmt.Errorf("an attached cluster starts no node, got %d", c.Nodes))
	case c.Attach != "" && c.Join != "":
		errs = append(errs, errors.New("attach and join exclude each other"))
	case c.Attach == "" && c.Nodes < 1:
		errs = append(errs, fmt.Errorf("nodes must be at least 1, got %d", c.Nodes))
	}
	if (c.Join != "" || c.Attach != "") && c.Network != nil {
		errs = append(errs, errors.New("join and attach need the netmux network (no Config.Network)"))
	}
	if c.Host == "" && c.Network == nil {
		errs = append(errs, errors.New("host must not be empty"))
	}
	cc := c.Chord
	cc.HasID = false
	if err := cc.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("chord: %w", err))
	}
	if c.Chord.Bits >= chord.MinBits && c.Chord.Bits < 63 && uint64(c.Nodes) > uint64(1)<<c.Chord.Bits {
		errs = append(errs, fmt.Errorf("%d nodes do not fit on a ring of 2^%d identifiers", c.Nodes, c.Chord.Bits))
	}
	if err := c.validateIDs(); err != nil {
		errs = append(errs, fmt.Errorf("ids: %w", err))
	}
	if err := c.validateNames(); err != nil {
		errs = append(errs, err)
	}
	if err := c.DHT.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("dht: %w", err))
	}
	if err := c.validateDFS(); err != nil {
		errs = append(errs, err)
	}
	if c.DHT.Replicas > c.Chord.SuccessorListLen+1 {
		errs = append(errs, fmt.Errorf("replicas (%d) must not exceed the successor-list length + 1 (%d)",
			c.DHT.Replicas, c.Chord.SuccessorListLen+1))
	}
	if c.MonitorInterval <= 0 || c.StableMonitorInterval <= 0 {
		errs = append(errs, fmt.Errorf("monitor intervals must be positive, got %v and %v", c.MonitorInterval, c.StableMonitorInterval))
	}
	if c.JoinParallelism < 1 {
		errs = append(errs, fmt.Errorf("join parallelism must be at least 1, got %d", c.JoinParallelism))
	}
	if c.JoinTimeout <= 0 || c.OpTimeout <= 0 || c.WaitTimeout <= 0 {
		errs = append(errs, errors.New("join, operation and wait timeouts must be positive"))
	}
	if c.VNodes < 0 || c.VNodes > MaxVNodes {
		errs = append(errs, fmt.Errorf("vnodes must be from 1 to %d, got %d", MaxVNodes, c.VNodes))
	}
	if c.VNodes > 1 && (c.Names == NamesID || len(c.IDs) > 0) {
		errs = append(errs, errors.New("virtual nodes take their identifiers from their names: no IDs and no ID names"))
	}
	if c.VNodes > 1 && c.Chord.Bits >= chord.MinBits && c.Chord.Bits < 63 && uint64(c.Nodes*c.VNodes) > uint64(1)<<c.Chord.Bits {
		errs = append(errs, fmt.Errorf("%d nodes × %d identities do not fit on a ring of 2^%d identifiers", c.Nodes, c.VNodes, c.Chord.Bits))
	}
	if c.EventBuffer < 0 {
		errs = append(errs, fmt.Errorf("event buffer must not be negative, got %d", c.EventBuffer))
	}
	if err := c.RESP.validate(); err != nil {
		errs = append(errs, err)
	}
	if len(c.Key) > 0 && len(c.Key) < netmux.MinKeySize {
		errs = append(errs, fmt.Errorf("cluster key must be at least %d bytes, got %d", netmux.MinKeySize, len(c.Key)))
	}
	return errors.Join(errs...)
}

// Tunable is a setting that can be changed on a running cluster
// (SetTunable; the "config" command).
type Tunable struct {
	Name string `json:"name"`
	// Value is the current value as SetTunable accepts it ("25ms"); empty
	// in KnownTunables.
	Value   string `json:"value"`
	Summary string `json:"summary"`
}

// tunable is one row of the tunables table.
type tunable struct {
	name    string
	summary string
	// get reads the current value from cfg; set applies a parsed one to it.
	get func(cfg *Config) time.Duration
	set func(cfg *Config, d time.Duration)
	// restart: drivers must be rebuilt for the change to take effect.
	restart bool
}

var tunables = []tunable{
	{"stabilize", "stabilize period of every node (restarts the drivers)",
		func(c *Config) time.Duration { return c.Chord.StabilizeInterval },
		func(c *Config, d time.Duration) { c.Chord.StabilizeInterval = d }, true},
	{"fix-fingers", "fix-fingers period of every node (restarts the drivers)",
		func(c *Config) time.Duration { return c.Chord.FixFingersInterval },
		func(c *Config, d time.Duration) { c.Chord.FixFingersInterval = d }, true},
	{"check-pred", "check-predecessor period of every node (restarts the drivers)",
		func(c *Config) time.Duration { return c.Chord.CheckPredecessorInterval },
		func(c *Config, d time.Duration) { c.Chord.CheckPredecessorInterval = d }, true},
	{"repair", "dht repair period of every node (restarts the drivers)",
		func(c *Config) time.Duration { return c.DHT.RepairInterval },
		func(c *Config, d time.Duration) { c.DHT.RepairInterval = d }, true},
	{"rpc-timeout", "deadline of protocol calls (applies to nodes started or revived from now on)",
		func(c *Config) time.Duration { return c.Chord.RPCTimeout },
		func(c *Config, d time.Duration) { c.Chord.RPCTimeout = d }, false},
	{"wait-timeout", "default TIMEOUT of wait",
		func(c *Config) time.Duration { return c.WaitTimeout },
		func(c *Config, d time.Duration) { c.WaitTimeout = d }, false},
}

// KnownTunables lists the tunables with their summaries (no values), for
// help and completion.
func KnownTunables() []Tunable {
	out := make([]Tunable, len(tunables))
	for i, t := range tunables {
		out[i] = Tunable{Name: t.name, Summary: t.summary}
	}
	for _, t := range switches { // balance.go
		out = append(out, Tunable{Name: t.name, Summary: t.summary})
	}
	return out
}

// Config returns a copy of the cluster's current configuration, tunables
// included.
func (c *Cluster) Config() Config {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cfg
}

// Tunables lists the tunables with their current values.
func (c *Cluster) Tunables() []Tunable {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Tunable, len(tunables))
	for i, t := range tunables {
		out[i] = Tunable{Name: t.name, Value: t.get(&c.cfg).String(), Summary: t.summary}
	}
	for _, t := range switches { // balance.go
		out = append(out, Tunable{Name: t.name, Value: onOff(t.get(&c.cfg)), Summary: t.summary})
	}
	return out
}

// SetTunable sets the tunable name (see KnownTunables) to value, a
// duration of at least chord.MinInterval such as "50ms", and returns it with its new value.
// A maintenance period restarts every running driver with it, keeping its
// paused state.
func (c *Cluster) SetTunable(name, value string) (Tunable, error) {
	if err := c.RunsNodes("config " + name); err != nil {
		return Tunable{}, err
	}
	var t *tunable
	for i := range tunables {
		if tunables[i].name == name {
			t = &tunables[i]
		}
	}
	if t == nil {
		if sw := switchNamed(name); sw != nil {
			return c.setSwitch(sw, value)
		}
		return Tunable{}, errorf(ErrBadArgument, "config: unknown tunable %s", QuoteKey(name))
	}
	d, err := time.ParseDuration(value)
	if err != nil {
		return Tunable{}, errorf(ErrBadArgument, "config %s: %s is %s (try 50ms or 1s)", name, QuoteKey(value), NotADuration(value))
	}
	if d < chord.MinInterval {
		return Tunable{}, errorf(ErrBadArgument, "config %s: must be at least %v, got %v", name, chord.MinInterval, d)
	}
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	t.set(&c.cfg, d)
	c.mu.Unlock()
	if t.restart {
		c.restartDrivers()
	}
	return Tunable{Name: t.name, Value: d.String(), Summary: t.summary}, nil
}

// restartDrivers replaces every running driver by one with the current
// periods, keeping its paused state. Caller holds opMu.
func (c *Cluster) restartDrivers() {
	type restart struct{ old, new *chord.Driver }
	var rs []restart
	c.mu.Lock()
	nc := c.cfg.Chord
	for _, m := range c.members {
		if m.drv == nil {
			continue
		}
		nd := chord.NewDriver(m.rounds.counted(c.tasks(m.node, m.store, nc, c.cfg.DHT.RepairInterval)), nc.Jitter, c.driverSeed(m, m.incarnation))
		if m.drv.Paused() {
			nd.Pause()
		}
		rs = append(rs, restart{m.drv, nd})
		m.drv = nd
	}
	c.mu.Unlock()
	for _, r := range rs {
		r.old.Stop()
		r.new.Start()
	}
}

// seeds are the addresses remote members are discovered from: Join or
// Attach.
func (c Config) seeds() []string {
	var out []string
	for _, a := range []string{c.Join, c.Attach} {
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}
