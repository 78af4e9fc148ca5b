package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
	"github.com/chordtui/chordtui/netmux"
)

// StandaloneConfig holds the settings of one node alone in its process
// (chordtui node): the same protocol as a Cluster's members, so that it
// joins their ring and they join its.
type StandaloneConfig struct {
	// Listen is the address the node listens on ("127.0.0.1:0": any port).
	Listen string
	// Join is the address of a ring member to join through; "" creates a
	// new ring.
	Join string
	// Name names the node in messages, logs and on the screens of attached
	// programs; "" names it n-<first hex digits of its identifier>, or on a
	// ring of m ≤ DecimalBits N<identifier in decimal> (N42), as lecture
	// mode names its nodes.
	Name string
	// ID is the node's identifier when HasID; else SHA-1 of its address.
	ID    chord.ID
	HasID bool
	// Chord, DHT and Net configure the node as Config does a Cluster's.
	Chord chord.Config
	DHT   dht.Config
	Net   netmux.Config
	// Admin lets the node serve admin operations (observe.go).
	Admin bool
	// OnKill runs when an admin kill arrives, after the reply: it must end
	// the process at once (chordtui node exits); nil only kills the node's
	// transport.
	OnKill func()
	// JoinTimeout bounds the join, retries included; OpTimeout bounds Leave.
	JoinTimeout time.Duration
	OpTimeout   time.Duration
	// Logger receives the node's diagnostics and events; nil discards them.
	Logger *slog.Logger
}

// DefaultStandaloneConfig returns the settings of DefaultConfig's nodes,
// listening on 127.0.0.1 on any port and creating a new ring.
func DefaultStandaloneConfig() StandaloneConfig {
	d := DefaultConfig()
	return StandaloneConfig{
		Listen:      "127.0.0.1:0",
		Chord:       d.Chord,
		DHT:         d.DHT,
		Net:         netConfigFor(d.Nodes, netmux.DescriptorLimit()),
		JoinTimeout: d.JoinTimeout,
		OpTimeout:   d.OpTimeout,
	}
}

// Adopt sets the node's protocol settings to the ring's, except those
// keep says the user gave explicitly (by RingSettings field name: "Bits",
// "R", "Replicas", "Stabilize", …).
func (c *StandaloneConfig) Adopt(r RingSettings, keep func(field string) bool) {
	for _, f := range []struct {
		name string
		set  func()
	}{
		{"Bits", func() { c.Chord.Bits = r.Bits }},
		{"R", func() { c.Chord.SuccessorListLen = r.R }},
		{"Replicas", func() { c.DHT.Replicas = r.Replicas }},
		{"Stabilize", func() { c.Chord.StabilizeInterval, c.Chord.IdleSettle = r.Stabilize, 4*r.Stabilize }},
		{"FixFingers", func() { c.Chord.FixFingersInterval = r.FixFingers }},
		{"CheckPredecessor", func() { c.Chord.CheckPredecessorInterval = r.CheckPredecessor }},
		{"Repair", func() { c.DHT.RepairInterval = r.Repair }},
		{"RPCTimeout", func() { c.Chord.RPCTimeout = r.RPCTimeout }},
		{"Liveness", func() { c.Chord.LivenessWindow = r.Liveness }},
	} {
		if !keep(f.name) {
			f.set()
		}
	}
}

// Validate reports every setting that is out of range.
func (c StandaloneConfig) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen %q: want HOST:PORT: %w", c.Listen, err))
	}
	if c.Join != "" {
		if _, _, err := net.SplitHostPort(c.Join); err != nil {
			errs = append(errs, fmt.Errorf("join %q: want HOST:PORT: %w", c.Join, err))
		}
	}
	cc := c.Chord
	cc.HasID = false
	if err := cc.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("chord: %w", err))
	}
	if c.HasID && c.ID.Mask(c.Chord.Bits) != c.ID {
		errs = append(errs, fmt.Errorf("id %s does not fit in %d bits", c.ID.Hex(160), c.Chord.Bits))
	}
	if err := c.DHT.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("dht: %w", err))
	}
	if c.DHT.Replicas > c.Chord.SuccessorListLen+1 {
		errs = append(errs, fmt.Errorf("replicas (%d) must not exceed the successor-list length + 1 (%d)",
			c.DHT.Replicas, c.Chord.SuccessorListLen+1))
	}
	if c.JoinTimeout <= 0 || c.OpTimeout <= 0 {
		errs = append(errs, errors.New("join and operation timeouts must be positive"))
	}
	return errors.Join(errs...)
}

// Standalone is one chord+dht node alone in its process, with its driver
// running the maintenance rounds on tickers. It is safe for concurrent use.
type Standalone struct {
	cfg    StandaloneConfig
	log    *slog.Logger
	m      *member // its own member record; mu guards its mutable fields
	mu     sync.RWMutex
	tr     *pausable
	faults *netmux.Faults
	events chan chord.Event
	recent recentEvents
	done   chan struct{} // closed when the node has stopped (Leave, Kill or Close)
	once   sync.Once
	wg     sync.WaitGroup

	// adminMu serialises admin operations, so that a pause's wait for its
	// driver's round (after mu is released) cannot reorder it with a
	// resume. Rounds never take it.
	adminMu sync.Mutex
}

// StartStandalone starts one node: it listens on cfg.Listen, creates a
// ring or joins the one at cfg.Join, and starts its driver. ctx bounds the
// start only.
func StartStandalone(ctx context.Context, cfg StandaloneConfig) (*Standalone, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("node config: %w", err)
	}
	s := &Standalone{cfg: cfg, log: cfg.Logger, done: make(chan struct{}), events: make(chan chord.Event, 256)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.faults = netmux.NewFaults()
	nc := cfg.Net
	nc.Faults = s.faults
	if nc.Logger == nil {
		nc.Logger = s.log
	}
	mt, err := netmux.Listen(cfg.Listen, nc)
	if err != nil {
		return nil, err
	}
	s.tr = &pausable{Transport: netmuxTransport{mt}, open: map[string]bool{
		chord.CommandMethod(adminCommand): true, chord.CommandMethod(observeCommand): true, chord.CommandMethod(keysCommand): true}}
	addr := mt.Addr()
	s.m = &member{addr: addr, state: StateDown, tr: s.tr, incarnation: 1}
	base := s.log
	s.wg.Add(1)
	go s.logEvents()
	var (
		node  *chord.Node
		store *dht.Store
		ccfg  chord.Config
		dc    dht.Config
	)
	// Without an explicit identifier, one taken already (likely on a small
	// lecture ring) is re-hashed, as a Cluster does for its own nodes.
	for k := 0; ; k++ {
		id := cfg.ID
		if !cfg.HasID {
			seed := addr
			if k > 0 {
				seed = fmt.Sprintf("%s#%d", addr, k)
			}
			id = chord.HashID(cfg.Chord.Bits, []byte(seed))
		}
		name := cfg.Name
		switch {
		case name != "":
		case cfg.Chord.Bits <= DecimalBits: // a lecture's ring: named as its nodes are
			name = idName(id)
		default:
			name = "n-" + id.Short(cfg.Chord.Bits)
		}
		s.mu.Lock()
		s.m.name, s.m.id = name, id
		s.log = base.With("node", name)
		s.mu.Unlock()
		ccfg = cfg.Chord
		ccfg.ID, ccfg.HasID = id, true
		ccfg.Events = s.events
		dc = cfg.DHT
		dc.Logger = s.log
		node, store, err = assembleNode(ccfg, dc, s.tr, s.observe, s.adminFunc())
		if err != nil {
			s.tr.Kill()
			s.stopEvents()
			return nil, err
		}
		if cfg.Join == "" {
			node.Create()
			break
		}
		attempts, err := joinRing(ctx, node, []string{cfg.Join}, cfg.JoinTimeout, s.done, func(a string) string { return a })
		if err == nil {
			s.log.Info("joined", "via", cfg.Join, "attempts", attempts)
			break
		}
		node.Stop()
		if !errors.Is(err, chord.ErrIDCollision) || cfg.HasID || k == maxRehash {
			s.tr.Kill()
			s.stopEvents()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s.log.Info("identifier taken: re-hashing", "id", id.Short(cfg.Chord.Bits))
	}
	id := s.m.id
	tasks := maintenanceTasks(node, store, ccfg, dc.RepairInterval, s.log)
	rounds := newRoundCounts(tasks, node.MaintenanceTimeouts)
	drv := chord.NewDriver(rounds.counted(tasks), ccfg.Jitter, time.Now().UnixNano()+int64(id.Uint64()))
	drv.Start()
	s.mu.Lock()
	s.m.node, s.m.store, s.m.drv, s.m.rounds, s.m.state = node, store, drv, rounds, StateAlive
	s.mu.Unlock()
	return s, nil
}

// Name is the node's name.
func (s *Standalone) Name() string { return s.m.name }

// Addr is the address the node listens on.
func (s *Standalone) Addr() string { return s.m.addr }

// ID is the node's identifier.
func (s *Standalone) ID() RingID { return RingID{ID: s.m.id, Bits: s.cfg.Chord.Bits} }

// Done is closed once the node has stopped (Leave, Kill or Close).
func (s *Standalone) Done() <-chan struct{} { return s.done }

// Observation is the node's account of itself, as its observer command
// answers it.
func (s *Standalone) Observation() Observation { return s.observe() }

func (s *Standalone) observe() Observation {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := observation(s.m)
	o.Node, o.Replicas, o.Admin = memberSnapshot(s.m, time.Now()), s.cfg.DHT.Replicas, s.cfg.Admin
	o.Ring, o.Events = ringSettings(s.cfg.Chord, s.cfg.DHT), s.recent.list()
	return o
}

// Leave departs gracefully: the driver stops, the store hands its keys on
// (dht.Store.Leave: to the successor that takes over the range, and the
// replicas to the nodes that now hold them), the node tells its neighbours
// and stops.
func (s *Standalone) Leave(ctx context.Context) error {
	s.mu.Lock()
	if s.m.state != StateAlive && s.m.state != StatePaused {
		st := s.m.state
		s.mu.Unlock()
		return errorf(ErrNodeState, "leave: %s", stateText(s.m.name, st))
	}
	drv, store, node := s.m.drv, s.m.store, s.m.node
	s.m.node, s.m.store, s.m.drv, s.m.state = nil, nil, nil, StateLeft
	s.mu.Unlock()
	s.tr.paused.Store(false)
	drv.Stop()
	alone := true // no other member in its successor list: nobody to hand keys to
	for _, r := range node.Status().Successors {
		alone = alone && (r.IsZero() || r.Addr == s.m.addr)
	}
	keys := 0
	for _, k := range store.Keys() {
		if !k.Deleted {
			keys++
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	lerr := store.Leave(ctx)
	node.Stop() // after the hand-off, which still needs the node
	cerr := s.tr.Close()
	s.stopEvents()
	if alone && keys > 0 {
		return errorf(ErrNoLiveNode, "leave: %s has left, but it was the last member of its ring: no node took its %s, so they are gone", s.m.name, plural(keys, "key"))
	}
	if lerr != nil {
		return fmt.Errorf("leave: %s did not finish a graceful departure (it is stopped now): %w", s.m.name, lerr)
	}
	return cerr
}

// Kill crashes the node: its transport closes at once, its peers find out
// by themselves.
func (s *Standalone) Kill() {
	s.mu.Lock()
	drv, node := s.m.drv, s.m.node
	s.m.node, s.m.store, s.m.drv, s.m.state = nil, nil, nil, StateDown
	s.mu.Unlock()
	s.tr.Kill()
	if node != nil {
		drv.Stop()
		node.Stop()
	}
	s.stopEvents()
}

// Close stops the node without a departure (as Kill) if it still runs.
func (s *Standalone) Close() error {
	s.Kill()
	return nil
}

// stopEvents ends the event logger once the node emits no more (a stopped
// chord node never does) and marks the node stopped.
func (s *Standalone) stopEvents() {
	s.once.Do(func() {
		close(s.done)
		close(s.events)
	})
	s.wg.Wait()
}

// logEvents writes the node's events to the log and keeps the last few
// for the observer command. It exits when stopEvents closes the channel.
func (s *Standalone) logEvents() {
	defer s.wg.Done()
	for e := range s.events {
		s.log.Info("event", "kind", e.Kind, "detail", e.Detail, "old", e.Old.Addr, "new", e.New.Addr)
		s.recent.add(fmt.Sprintf("%s %v %s", e.Time.Format("15:04:05.000"), e.Kind, e.Detail))
	}
}

// adminFunc runs admin requests on this node, or refuses them without
// StandaloneConfig.Admin.
func (s *Standalone) adminFunc() adminFunc {
	if !s.cfg.Admin {
		return nil
	}
	return func(_ context.Context, req AdminRequest) error {
		s.adminMu.Lock()
		defer s.adminMu.Unlock()
		var pause *chord.Driver
		defer func() {
			if pause != nil {
				pause.Pause() // waits for a round under way: not under s.mu
			}
		}()
		s.mu.Lock()
		defer s.mu.Unlock()
		m := s.m
		switch req.Op {
		case AdminKill:
			s.log.Warn("admin kill")
			// At once, as a crash: the reply may not get out first (Admin
			// takes a caller cut off by a kill as done). The goroutine ends
			// with the process, or after the kill.
			go func() {
				if s.cfg.OnKill != nil {
					s.cfg.OnKill()
				}
				s.Kill()
			}()
		case AdminPause:
			if m.state != StateAlive {
				return errorf(ErrNodeState, "pause: %s, not alive", stateText(m.name, m.state))
			}
			m.state = StatePaused
			s.tr.paused.Store(true)
			pause = m.drv
		case AdminResume:
			if m.state != StatePaused {
				return errorf(ErrNodeState, "resume: %s, not paused", stateText(m.name, m.state))
			}
			m.state = StateAlive
			s.tr.paused.Store(false)
			m.drv.Resume()
		case AdminDelay:
			m.delay = req.Delay
			s.faults.SetDelay(m.addr, req.Delay)
		case AdminDrop:
			m.drop = req.Percent
			s.faults.SetDrop(m.addr, req.Percent/100)
		case AdminPartition:
			m.partitioned = false
			for _, a := range req.Group {
				m.partitioned = m.partitioned || a == m.addr
			}
			s.faults.Heal()
			s.faults.Partition(req.Group)
		case AdminHeal:
			m.partitioned = false
			s.faults.Heal()
		}
		s.log.Info("admin", "op", req.Op)
		return nil
	}
}

// pausable is the transport of a standalone node: while paused it answers
// no protocol call, as a paused member of a Cluster answers nothing, but
// still the admin and observer commands (so that resume reaches it and an
// attached observer sees it paused rather than gone).
type pausable struct {
	Transport
	open   map[string]bool // the methods served while paused
	paused atomic.Bool
}

func (p *pausable) Serve(h chord.Handler) {
	p.Transport.Serve(func(ctx context.Context, method string, req []byte) ([]byte, error) {
		if p.paused.Load() && !p.open[method] {
			<-ctx.Done() // the caller's deadline: no answer, as from a paused node
			return nil, ctx.Err()
		}
		return h(ctx, method, req)
	})
}

// recentEvents keeps the last few events of a node, in words.
type recentEvents struct {
	mu   sync.Mutex
	last []string
}

// recentKept is how many events a standalone node keeps for observers.
const recentKept = 16

func (r *recentEvents) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = append(r.last, strings.TrimSpace(s))
	if len(r.last) > recentKept {
		r.last = r.last[len(r.last)-recentKept:]
	}
}

func (r *recentEvents) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.last...)
}
