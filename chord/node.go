package chord

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// CommandHandler serves a command registered by an upper layer (dht.get, …).
type CommandHandler func(ctx context.Context, req []byte) ([]byte, error)

// RemoteError is an upper-layer command handler's error, returned by Call on
// the calling side. Its text is the handler's message.
type RemoteError struct {
	// Addr is the node that ran the command.
	Addr string
	// Command is the command name.
	Command string
	// Msg is the handler's error text.
	Msg string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("%s on %s: %s", e.Command, e.Addr, e.Msg)
}

// Node is one Chord node: predecessor, successor list, finger table and a
// command registry, all behind one mutex. It runs no goroutines of its own:
// maintenance happens when a Driver (or a test) calls its round methods.
// The mutex is never held while calling another node.
type Node struct {
	cfg  Config
	tr   Transport
	self NodeRef

	mu      sync.Mutex
	joined  bool
	pred    NodeRef
	succ    []NodeRef // never empty while joined; [self] in a one-node ring
	fingers []NodeRef // cfg.Bits entries; zero when unknown
	// fingersShared: a Status holds fingers; the next change copies it
	// first (ownFingersLocked).
	fingersShared bool
	// fingerTops are the fingers a lookup step considers, highest first:
	// the last k of each run of equal fingers (fingerTopsLocked); stale
	// once a finger changes (topsStale).
	fingerTops []int
	topsStale  bool
	nextFinger int // next finger index FixFingers refreshes

	lost            []lostNode  // nodes that stopped answering, newest first (unify.go)
	departed        []departure // neighbours that announced their departure, oldest first
	stabilizeRounds uint64

	peers peerTable // when each peer last answered (Config.LivenessWindow)

	cmdMu sync.RWMutex
	cmds  map[string]CommandHandler

	lookups, lookupFailures, rounds, eventsDropped atomic.Uint64
	maintTimeouts                                  atomic.Uint64 // MaintenanceTimeouts

	// routing counts the lookup steps this node answered for other nodes
	// (serveStep): its routing load (load.go).
	routing *LoadCounter
	// Adaptive routing (adaptive.go): on or off; the loads heard from
	// peers and, per finger, the node it routes through instead of the
	// paper's (zero: none), both guarded by mu.
	adaptive atomic.Bool
	loads    map[string]peerLoad
	routes   []NodeRef
	// stepCache answers probing lookup steps (stepcache.go).
	stepCache atomic.Pointer[stepCacheBox]

	// stopped is set once, by Stop, while holding mu and emitMu: every
	// state write checks it under mu and every event under emitMu, so
	// nothing changes and nothing is emitted after Stop returns. Reading it
	// without a lock is a fast hint for calls that fail early.
	stopped atomic.Bool
	frozen  Status       // the counters at Stop, which Status reports from then on
	emitMu  sync.RWMutex // read-held while an event is sent; Stop write-holds it
}

// Stop ends the node for good, as a crash ends a process, and is meant to
// be called before its transport is closed (a kill), and after a graceful
// Leave or when shutting down. Once Stop returns:
//   - the node emits no event (Emit included) and changes no state:
//     Status, Successors and Predecessor report what they did at Stop;
//   - every operation (rounds, Lookup, Join, Leave, Call) fails at once
//     with ErrStopped, and Create does nothing;
//   - calls from other nodes get an error reply, as from a dead node.
//
// A round or lookup in progress when Stop is called is not waited for: its
// calls in flight end with their deadline or when the transport closes, and
// it then returns ErrStopped without acting on the failures it saw. Stop
// is idempotent and safe to call concurrently with anything.
func (n *Node) Stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.emitMu.Lock() // after mu, never before: Emit takes emitMu alone
	defer n.emitMu.Unlock()
	if n.stopped.Load() {
		return
	}
	n.frozen = Status{
		Lookups:        n.lookups.Load(),
		LookupFailures: n.lookupFailures.Load(),
		Rounds:         n.rounds.Load(),
		EventsDropped:  n.eventsDropped.Load(),
	}
	n.stopped.Store(true)
}

// Stopped reports whether Stop has been called.
func (n *Node) Stopped() bool { return n.stopped.Load() }

// stoppedErr is the error of operation op refused or cut short by Stop.
func (n *Node) stoppedErr(op string) error {
	return fmt.Errorf("%s %s: %w", op, n.self.Addr, ErrStopped)
}

// memberLocked returns nil if the node may act as a ring member now: it is
// not stopped and it is joined. Caller holds n.mu.
func (n *Node) memberLocked(op string) error {
	if n.stopped.Load() {
		return n.stoppedErr(op)
	}
	if !n.joined {
		return fmt.Errorf("%s %s: %w", op, n.self.Addr, ErrNotJoined)
	}
	return nil
}

// activeLocked reports whether the node is a ring member that may still
// change its state (joined and not stopped). Caller holds n.mu.
func (n *Node) activeLocked() bool { return n.joined && !n.stopped.Load() }

// NewNode makes a node that talks through tr and serves calls on it (it calls
// tr.Serve). Its ID is cfg.ID if cfg.HasID, else HashID(cfg.Bits, tr.Addr()).
func NewNode(cfg Config, tr Transport) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid chord config: %w", err)
	}
	if tr == nil {
		return nil, errors.New("nil transport")
	}
	addr := tr.Addr()
	if addr == "" {
		return nil, errors.New("transport has an empty address")
	}
	id := cfg.ID
	if !cfg.HasID {
		id = HashID(cfg.Bits, []byte(addr))
	}
	n := &Node{
		cfg:     cfg,
		tr:      tr,
		self:    NodeRef{ID: id, Addr: addr},
		fingers: make([]NodeRef, cfg.Bits),
		cmds:    make(map[string]CommandHandler),
		routing: NewLoadCounter(cfg.Load.Window),
		routes:  make([]NodeRef, cfg.Bits),
	}
	n.adaptive.Store(cfg.Load.Adaptive)
	tr.Serve(n.handle)
	return n, nil
}

// Self returns the node's identifier and address.
func (n *Node) Self() NodeRef { return n.self }

// Config returns the node's configuration.
func (n *Node) Config() Config { return n.cfg }

// Create starts a new ring with this node as its only member (paper: create):
// no predecessor, successor = itself. A stopped node stays stopped.
func (n *Node) Create() {
	n.mu.Lock()
	if n.stopped.Load() {
		n.mu.Unlock()
		return
	}
	n.joined = true
	n.pred = NodeRef{}
	n.succ = []NodeRef{n.self}
	n.ownFingersLocked()
	clear(n.fingers)
	clear(n.routes)
	n.nextFinger = 0
	n.lost = nil
	n.mu.Unlock()
	n.emit(EventJoined, NodeRef{}, n.self, "created a new ring")
}

// Join enters the ring that the node at known belongs to (Zave's join: look
// up the successor, adopt it and all but the last of its successor list).
// A live member with the same ID makes it fail with ErrIDCollision.
func (n *Node) Join(ctx context.Context, known string) error {
	if known == "" || known == n.self.Addr {
		return fmt.Errorf("join %s via %q: need the address of another ring member", n.self.Addr, known)
	}
	n.mu.Lock()
	joined := n.joined
	n.mu.Unlock()
	if n.stopped.Load() {
		return n.stoppedErr("join")
	}
	if joined {
		return fmt.Errorf("join %s: already a ring member", n.self.Addr)
	}
	// Zave, join: s = lookup(self) via the known member (SIGCOMM'01 Fig. 6:
	// n'.find_successor(n); with RecursiveLookups the known member carries
	// the lookup on over its own connections).
	res, err := n.resolve(ctx, n.self.ID, known, n.recursiveMode())
	if err != nil {
		return fmt.Errorf("join %s via %s: looking up successor: %w", n.self.Addr, known, err)
	}
	s := res.Owner
	if s.ID == n.self.ID {
		return fmt.Errorf("join %s: %s (%s) has identifier %s: %w", n.self.Addr, s.Addr, s.ID.Label(n.cfg.Bits), n.self.ID.Label(n.cfg.Bits), ErrIDCollision)
	}
	// Zave, join: fetch s's successor list; succList = s + all but its last.
	// The reply also carries s's fingers (SIGCOMM'01 §4.4: a new node may
	// take its neighbour's finger table as hints, the tables being similar).
	st, err := n.callStateFingers(ctx, s.Addr)
	if err != nil {
		return fmt.Errorf("join %s: fetching successor list of %s: %w", n.self.Addr, s.Addr, err)
	}
	list := n.buildList(s, st.succ)
	n.mu.Lock()
	if n.stopped.Load() {
		n.mu.Unlock()
		return n.stoppedErr("join")
	}
	if n.joined {
		n.mu.Unlock()
		return fmt.Errorf("join %s: already a ring member", n.self.Addr)
	}
	n.joined = true
	n.pred = NodeRef{}
	n.succ = list
	n.fingerHintsLocked(st.fingers)
	clear(n.routes)
	n.nextFinger = 0
	n.lost = nil
	n.mu.Unlock()
	n.emit(EventJoined, NodeRef{}, s, fmt.Sprintf("joined via %s; successor %s", known, n.label(s)))
	return nil
}

// Leave departs gracefully (paper §IV-E.3 voluntary departure): it tells its
// predecessor its successor list and its first live successor its
// predecessor, then stops answering protocol calls. A neighbour that cannot
// be reached does not stop the departure (it is reported as an
// EventFailureDetected); the neighbours' maintenance rounds repair the ring
// then. Leave fails only if the node is not a member, if ctx ends, or if
// the node is stopped (before or during the departure).
func (n *Node) Leave(ctx context.Context) error {
	n.mu.Lock()
	if err := n.memberLocked("leave"); err != nil {
		n.mu.Unlock()
		return err
	}
	pred, succ := n.pred, append([]NodeRef(nil), n.succ...)
	n.joined = false
	n.pred = NodeRef{}
	n.succ = nil
	n.ownFingersLocked()
	clear(n.fingers)
	clear(n.routes)
	n.lost = nil
	n.mu.Unlock()

	if !pred.IsZero() && pred.Addr != n.self.Addr {
		req := []byte{leavingYourSuccessor}
		req = appendRef(req, n.self)
		req = appendRefs(req, succ)
		if err := n.callAck(ctx, pred.Addr, methodLeaving, req); err != nil {
			n.emit(EventFailureDetected, pred, NodeRef{}, fmt.Sprintf("leaving: predecessor %s did not answer: %v", n.label(pred), err))
		}
	}
	for _, s := range succ {
		if s.Addr == n.self.Addr || s.Addr == pred.Addr && len(succ) > 1 {
			continue
		}
		req := []byte{leavingYourPredecessor}
		req = appendRef(req, n.self)
		req = appendRef(req, pred)
		err := n.callAck(ctx, s.Addr, methodLeaving, req)
		if err == nil {
			break
		}
		n.emit(EventFailureDetected, s, NodeRef{}, fmt.Sprintf("leaving: successor %s did not answer: %v", n.label(s), err))
	}
	n.emit(EventLeft, n.self, NodeRef{}, "left the ring")
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("leave %s: %w", n.self.Addr, err)
	}
	if n.stopped.Load() {
		return n.stoppedErr("leave") // cut short: not every neighbour was told
	}
	return nil
}

// Register adds a command for upper layers; a duplicate name is ErrDuplicateCommand.
func (n *Node) Register(name string, h CommandHandler) error {
	if name == "" || h == nil {
		return errors.New("register: command needs a name and a handler")
	}
	n.cmdMu.Lock()
	defer n.cmdMu.Unlock()
	if _, ok := n.cmds[name]; ok {
		return fmt.Errorf("register %q on %s: %w", name, n.self.Addr, ErrDuplicateCommand)
	}
	n.cmds[name] = h
	return nil
}

// Call invokes a registered command on the node at addr. A transport failure
// wraps ErrNodeDown (and ErrTimeout when the deadline passed), an unknown name
// wraps ErrUnknownCommand, and the handler's own error comes back as a
// *RemoteError. If ctx has no deadline, Config.RPCTimeout applies. A call to
// the node's own address runs the handler directly.
func (n *Node) Call(ctx context.Context, addr, name string, req []byte) ([]byte, error) {
	if n.stopped.Load() {
		return nil, n.stoppedErr("command " + name + " from")
	}
	var rep []byte
	if addr == n.self.Addr {
		rep = n.serveCommand(ctx, name, req)
	} else {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, n.cfg.RPCTimeout)
			defer cancel()
		}
		var err error
		rep, err = n.tr.Call(ctx, addr, commandPrefix+name, req)
		if n.stopped.Load() {
			return nil, n.stoppedErr("command " + name + " from")
		}
		if err != nil {
			return nil, downError("command "+name, addr, err)
		}
	}
	return commandReply(addr, name, rep)
}

// CallCommand invokes the registered command name on the node at addr
// over tr, from a program that runs no node (an observer attached to a
// ring). Errors are those of Node.Call; ctx should carry a deadline.
func CallCommand(ctx context.Context, tr Transport, addr, name string, req []byte) ([]byte, error) {
	rep, err := tr.Call(ctx, addr, commandPrefix+name, req)
	if err != nil {
		return nil, downError("command "+name, addr, err)
	}
	return commandReply(addr, name, rep)
}

// CommandMethod is the transport method a registered command travels as
// (a transport wrapper that treats one command apart needs it).
func CommandMethod(name string) string { return commandPrefix + name }

// commandReply decodes the reply to a command call.
func commandReply(addr, name string, rep []byte) ([]byte, error) {
	status, body, err := replyStatus(rep)
	if err != nil {
		return nil, fmt.Errorf("command %s on %s: bad reply: %w: %w", name, addr, err, ErrNodeDown)
	}
	switch status {
	case statusOK:
		return body, nil
	case statusUnknownCommand:
		return nil, fmt.Errorf("command %q on %s: %w", name, addr, ErrUnknownCommand)
	default:
		return nil, &RemoteError{Addr: addr, Command: name, Msg: string(body)}
	}
}

// Status returns a deep copy of the node's state.
func (n *Node) Status() Status { return n.status(false) }

// StatusView is Status with Fingers shared with the node instead of
// copied: the node copies its fingers before it next changes one, so the
// view stays as it was, but the caller must not write to it. For
// observers that read every node often (the cluster's stable monitor).
func (n *Node) StatusView() Status { return n.status(true) }

func (n *Node) status(share bool) Status {
	n.mu.Lock()
	st := Status{
		Self:        n.self,
		Bits:        n.cfg.Bits,
		R:           n.cfg.SuccessorListLen,
		Joined:      n.joined,
		Predecessor: n.pred,
		Successors:  append([]NodeRef(nil), n.succ...),
	}
	if share {
		st.Fingers, n.fingersShared = n.fingers, true
	} else {
		st.Fingers = append([]NodeRef(nil), n.fingers...)
	}
	if slices.ContainsFunc(n.routes, func(r NodeRef) bool { return !r.IsZero() }) {
		st.Routes = append([]NodeRef(nil), n.routes...)
	}
	if n.stopped.Load() {
		st.Lookups, st.LookupFailures, st.Rounds, st.EventsDropped = n.frozen.Lookups, n.frozen.LookupFailures, n.frozen.Rounds, n.frozen.EventsDropped
		n.mu.Unlock()
		return st
	}
	n.mu.Unlock()
	st.Lookups = n.lookups.Load()
	st.LookupFailures = n.lookupFailures.Load()
	st.Rounds = n.rounds.Load()
	st.EventsDropped = n.eventsDropped.Load()
	return st
}

// ownFingersLocked makes n.fingers the node's own before a change: a
// Status handed out shares it until then. Caller holds n.mu.
func (n *Node) ownFingersLocked() {
	n.topsStale = true
	if n.fingersShared {
		n.fingers = slices.Clone(n.fingers)
		n.fingersShared = false
	}
}

// fingerTopsLocked returns the index of each distinct finger, highest
// first: of a run of fingers at one node (160 fingers are a few dozen
// nodes at most), its highest. Caller holds n.mu.
func (n *Node) fingerTopsLocked() []int {
	if n.topsStale || n.fingerTops == nil {
		n.fingerTops = n.fingerTops[:0]
		for k := len(n.fingers) - 1; k >= 0; k-- {
			if k == len(n.fingers)-1 || n.fingers[k].Addr != n.fingers[k+1].Addr {
				n.fingerTops = append(n.fingerTops, k)
			}
		}
		n.topsStale = false
	}
	return n.fingerTops
}

// setFingerLocked sets finger k+1 of the paper to r. Caller holds n.mu.
func (n *Node) setFingerLocked(k int, r NodeRef) {
	if n.fingers[k] == r {
		return
	}
	n.ownFingersLocked()
	n.fingers[k] = r
}

// Successors returns a copy of the successor list (cheap; no fingers).
func (n *Node) Successors() []NodeRef {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]NodeRef(nil), n.succ...)
}

// Predecessor returns the current predecessor (zero if nil).
func (n *Node) Predecessor() NodeRef {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.pred
}

// Joined reports whether the node is currently a ring member.
func (n *Node) Joined() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.joined
}

// Emit delivers an event from an upper layer through the node's event sink.
// Time and Node are filled in when zero. It never blocks. A stopped node
// emits nothing.
func (n *Node) Emit(e Event) {
	if n.cfg.Events == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.Node.IsZero() {
		e.Node = n.self
	}
	// Read-locked, so that no event follows Stop (the send never blocks).
	n.emitMu.RLock()
	defer n.emitMu.RUnlock()
	if n.stopped.Load() {
		return
	}
	select {
	case n.cfg.Events <- e:
	default:
		n.eventsDropped.Add(1)
	}
}

func (n *Node) emit(kind EventKind, old, cur NodeRef, detail string) {
	if n.cfg.Events == nil {
		return
	}
	n.Emit(Event{Kind: kind, Old: old, New: cur, Detail: detail})
}

// label names a node for event details and hop reasons: its identifier
// (ID.Label) and address.
func (n *Node) label(r NodeRef) string {
	if r.IsZero() {
		return "nil"
	}
	return r.ID.Label(n.cfg.Bits) + " (" + r.Addr + ")"
}

// buildList makes a successor list: head followed by list, in ring order
// from this node. It stops at the first entry that does not lie between the
// previous entry and this node (the list wrapped around past this node: in a
// ring smaller than r+1, or a list copied by a node that is not yet in the
// ring), and at r entries. So a ring of N ≤ r nodes has lists of N-1
// entries, and a one-node ring has [self].
func (n *Node) buildList(head NodeRef, list []NodeRef) []NodeRef {
	r := n.cfg.SuccessorListLen
	out := make([]NodeRef, 0, r)
	out = append(out, head)
	if head.Addr == n.self.Addr {
		return out
	}
	for _, e := range list {
		prev := out[len(out)-1]
		if len(out) == r || e.IsZero() || e.Addr == n.self.Addr || !Between(prev.ID, e.ID, n.self.ID) {
			break
		}
		out = append(out, e)
	}
	return out
}

// containsAddr reports whether rs names the node at addr.
func containsAddr(rs []NodeRef, addr string) bool {
	return slices.ContainsFunc(rs, func(r NodeRef) bool { return r.Addr == addr })
}

// downError wraps a transport failure: ErrNodeDown always, ErrTimeout too
// when the deadline passed, and the transport's own error.
func downError(op, addr string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: %w (%w): %w", op, addr, ErrTimeout, ErrNodeDown, err)
	}
	return fmt.Errorf("%s %s: %w: %w", op, addr, ErrNodeDown, err)
}

// rpc calls a protocol method on addr within Config.RPCTimeout and checks the
// reply status. A callee that is not a ring member yields ErrNotJoined.
//
// A stopped node makes no call, and a call that returns after Stop yields
// ErrStopped, whatever the peer did: the caller must not act on it.
func (n *Node) rpc(ctx context.Context, addr, method string, req []byte) ([]byte, error) {
	if n.stopped.Load() {
		return nil, n.stoppedErr(method + " " + addr + " from")
	}
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > n.cfg.RPCTimeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.RPCTimeout)
		defer cancel()
	}
	rep, err := n.tr.Call(ctx, addr, method, req)
	if n.stopped.Load() {
		return nil, n.stoppedErr(method + " " + addr + " from")
	}
	if err != nil {
		n.peers.failed(addr)
		return nil, downError(method, addr, err)
	}
	status, body, err := replyStatus(rep)
	if err != nil {
		n.peers.failed(addr)
		return nil, fmt.Errorf("%s %s: empty reply: %w", method, addr, ErrNodeDown)
	}
	switch status {
	case statusOK:
		n.peers.answered(addr)
		return body, nil
	case statusNotJoined:
		n.peers.failed(addr)
		return nil, fmt.Errorf("%s %s: %w", method, addr, ErrNotJoined)
	default:
		return nil, fmt.Errorf("%s %s: %s: %w", method, addr, body, ErrNodeDown)
	}
}

func (n *Node) callAck(ctx context.Context, addr, method string, req []byte) error {
	_, err := n.rpc(ctx, addr, method, req)
	return err
}

// heardFrom reports how long ago addr last answered this node, if that was
// within Config.LivenessWindow and the transport (when it can tell) is still
// connected to it: the condition under which this node vouches that addr
// is live without a new call.
func (n *Node) heardFrom(addr string) (time.Duration, bool) {
	ago, ok := n.peers.answeredWithin(addr, n.cfg.LivenessWindow)
	if !ok {
		return 0, false
	}
	if cr, isReporter := n.tr.(ConnectionReporter); isReporter && !cr.Connected(addr) {
		return 0, false
	}
	return ago, true
}

// answeredSince reports whether addr has answered this node since t.
func (n *Node) answeredSince(addr string, t time.Time) bool {
	_, ok := n.peers.answeredWithin(addr, time.Since(t))
	return ok
}

// ping checks that addr answers and is a ring member.
func (n *Node) ping(ctx context.Context, addr string) error {
	return n.callAck(ctx, addr, methodPing, nil)
}

// callState asks addr for its predecessor and successor list, notifying it of
// this node first when notify is set (stabilize's "notify the head").
func (n *Node) callState(ctx context.Context, addr string, notify bool) (stateReply, error) {
	var flags byte
	if n.adaptive.Load() {
		flags |= stateLoads // loads ride on the reply (adaptive.go)
	}
	var req []byte
	if notify {
		req = appendRef([]byte{flags | stateNotify}, n.self)
	} else {
		req = []byte{flags}
	}
	body, err := n.rpc(ctx, addr, methodState, req)
	if err != nil {
		return stateReply{}, err
	}
	st, err := decodeState(body, &internedAddrs, flags)
	if err != nil {
		return stateReply{}, fmt.Errorf("state of %s: bad reply: %w: %w", addr, err, ErrNodeDown)
	}
	n.heardLoads(NodeRef{Addr: addr}, st)
	return st, nil
}

// callStateFingers is callState (no notification) asking for the callee's
// fingers as well.
func (n *Node) callStateFingers(ctx context.Context, addr string) (stateReply, error) {
	body, err := n.rpc(ctx, addr, methodState, []byte{stateFingers})
	if err != nil {
		return stateReply{}, err
	}
	st, err := decodeState(body, &internedAddrs, stateFingers)
	if err != nil {
		return stateReply{}, fmt.Errorf("state of %s: bad reply: %w: %w", addr, err, ErrNodeDown)
	}
	return st, nil
}

// fingerHintsLocked sets a joiner's fingers from its successor's (hints):
// finger[k] is the first hint at or after its start, found by walking the
// hints from this node around the ring. A finger no hint reaches stays
// unset. fix_fingers then checks every one (verifyFinger) instead of
// looking each up from scratch.
func (n *Node) fingerHintsLocked(hints []NodeRef) {
	n.ownFingersLocked()
	clear(n.fingers)
	refs := make([]NodeRef, 0, len(hints)+len(n.succ))
	for _, h := range append(append(refs, n.succ...), hints...) {
		if h.Addr != n.self.Addr && !h.IsZero() && !containsAddr(refs, h.Addr) {
			refs = append(refs, h)
		}
	}
	// Order by distance from this node.
	slices.SortFunc(refs, func(a, b NodeRef) int {
		switch {
		case a.ID == b.ID:
			return 0
		case Between(n.self.ID, a.ID, b.ID):
			return -1
		default:
			return 1
		}
	})
	i := 0
	for k := range n.fingers {
		start := n.self.ID.AddPow2(n.cfg.Bits, k)
		for i < len(refs) && !BetweenRightIncl(n.self.ID, start, refs[i].ID) {
			i++
		}
		if i == len(refs) {
			break
		}
		n.fingers[k] = refs[i]
	}
}

// handle is the Transport handler: it dispatches protocol methods and
// upper-layer commands. Chord encodes its own replies, so it returns an
// error only when the node is stopped (before the call or while serving
// it: a dead process sends no reply), and a bad request or a panicking
// command handler never takes the node down.
func (n *Node) handle(ctx context.Context, method string, req []byte) ([]byte, error) {
	if n.stopped.Load() {
		return nil, errNotServing
	}
	rep := n.serve(ctx, method, req)
	if n.stopped.Load() {
		return nil, errNotServing
	}
	return rep, nil
}

// errNotServing is a stopped node's answer to a call. It is not ErrStopped,
// which a caller would take as its own failure, were a transport to wrap
// handler errors.
var errNotServing = errors.New("the node is stopped and serves no calls")

// serve dispatches one incoming call and encodes the reply.
func (n *Node) serve(ctx context.Context, method string, req []byte) []byte {
	if name, ok := strings.CutPrefix(method, commandPrefix); ok && name != "" {
		return n.serveCommand(ctx, name, req)
	}
	switch method {
	case methodStep:
		return n.serveStep(req)
	case methodRoute:
		return n.serveRoute(ctx, req)
	case methodState:
		return n.serveState(ctx, req)
	case methodPing:
		if !n.Joined() {
			return []byte{statusNotJoined}
		}
		return []byte{statusOK}
	case methodLeaving:
		return n.serveLeaving(req)
	}
	return errorReply(statusUnknownCommand, "unknown method "+method)
}

func (n *Node) serveCommand(ctx context.Context, name string, req []byte) (rep []byte) {
	n.cmdMu.RLock()
	h := n.cmds[name]
	n.cmdMu.RUnlock()
	if h == nil {
		return errorReply(statusUnknownCommand, "unknown command "+name)
	}
	defer func() {
		if p := recover(); p != nil {
			rep = errorReply(statusError, fmt.Sprintf("command %s panicked: %v", name, p))
		}
	}()
	out, err := h(ctx, req)
	if err != nil {
		return errorReply(statusError, err.Error())
	}
	b := make([]byte, 0, 1+len(out))
	b = append(b, statusOK)
	return append(b, out...)
}

// serveState answers a state request, first running rectify when the
// caller notifies (Zave's rectify = the paper's notify, corrected).
func (n *Node) serveState(ctx context.Context, req []byte) []byte {
	d := decoder{b: req, intern: &internedAddrs}
	flags := d.byte()
	var q NodeRef
	if flags&stateNotify != 0 {
		q = d.ref()
	}
	if d.err != nil {
		return errorReply(statusBadRequest, "bad state request: "+d.err.Error())
	}
	if !q.IsZero() {
		n.rectify(ctx, q)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.activeLocked() {
		return []byte{statusNotJoined}
	}
	rep := appendState(make([]byte, 0, 64+40*len(n.succ)), n.pred, n.succ)
	if flags&stateFingers != 0 {
		rep = appendRefs(rep, n.distinctFingersLocked())
	}
	if flags&stateLoads != 0 {
		rep = n.appendLoadsLocked(rep, time.Now())
	}
	return rep
}

// distinctFingersLocked lists the finger table without repeats, nearest
// first (fingers are in increasing distance, so repeats are adjacent).
func (n *Node) distinctFingersLocked() []NodeRef {
	var out []NodeRef
	for _, f := range n.fingers {
		if !f.IsZero() && f.Addr != n.self.Addr && (len(out) == 0 || out[len(out)-1].Addr != f.Addr) {
			out = append(out, f)
		}
	}
	return out
}

// Departure is a neighbour's announced departure (a leaving call): its
// address and how long before the report the node heard of it. Observers
// tell a node that left from one that crashed by it.
type Departure struct {
	Addr string
	Ago  time.Duration
}

// departure is a Departure as the node keeps it.
type departure struct {
	addr string
	at   time.Time
}

// Departures heard are kept for departureMemory, at most maxDepartures.
const (
	departureMemory = time.Minute
	maxDepartures   = 16
)

// noteDepartureLocked records that the node at addr announced its
// departure. Caller holds n.mu.
func (n *Node) noteDepartureLocked(addr string) {
	n.departed = slices.DeleteFunc(n.departed, func(d departure) bool { return d.addr == addr })
	if len(n.departed) >= maxDepartures {
		n.departed = n.departed[1:]
	}
	n.departed = append(n.departed, departure{addr: addr, at: time.Now()})
}

// Departures lists the neighbours that announced their departure to this
// node in the last minute, oldest first.
func (n *Node) Departures() []Departure {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []Departure
	for _, d := range n.departed {
		if ago := now.Sub(d.at); ago < departureMemory {
			out = append(out, Departure{Addr: d.addr, Ago: ago})
		}
	}
	return out
}

// serveLeaving applies a neighbour's voluntary departure (paper §IV-E.3).
func (n *Node) serveLeaving(req []byte) []byte {
	d := decoder{b: req, intern: &internedAddrs}
	role := d.byte()
	leaver := d.ref()
	var list []NodeRef
	var newPred NodeRef
	switch role {
	case leavingYourSuccessor:
		list = d.refs()
	case leavingYourPredecessor:
		newPred = d.ref()
	default:
		d.fail(errors.New("bad leaving role"))
	}
	if d.err == nil && leaver.Addr == n.self.Addr {
		d.fail(errors.New("leaving node is the receiver"))
	}
	if d.err != nil {
		return errorReply(statusBadRequest, "bad leaving request: "+d.err.Error())
	}
	n.peers.failed(leaver.Addr) // no longer vouched for as a lookup's owner
	n.mu.Lock()
	if !n.activeLocked() {
		n.mu.Unlock()
		return []byte{statusNotJoined}
	}
	n.noteDepartureLocked(leaver.Addr)
	oldPred, oldSucc := n.pred, n.succ[0]
	// Splice the leaver out of the successor list; if it was listed, its own
	// list (if given) continues ours from where it stood.
	var merged []NodeRef
	for i, e := range n.succ {
		if e.Addr == leaver.Addr {
			merged = append(append(merged, n.succ[:i]...), list...)
			merged = append(merged, n.succ[i+1:]...)
			break
		}
	}
	if merged != nil {
		var kept []NodeRef
		for _, e := range merged {
			if !e.IsZero() && e.Addr != leaver.Addr {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 || kept[0].Addr == n.self.Addr {
			n.succ = []NodeRef{n.self}
		} else {
			n.succ = n.buildList(kept[0], kept[1:])
		}
	}
	for k, f := range n.fingers {
		if f.Addr == leaver.Addr {
			n.ownFingersLocked()
			n.fingers[k] = NodeRef{}
		}
		if n.routes[k].Addr == leaver.Addr {
			n.routes[k] = NodeRef{}
		}
	}
	if role == leavingYourPredecessor && n.pred.Addr == leaver.Addr {
		if newPred.Addr == n.self.Addr {
			newPred = NodeRef{}
		}
		n.pred = newPred
	}
	newPredRef, newSucc := n.pred, n.succ[0]
	n.mu.Unlock()
	if newSucc != oldSucc {
		n.emit(EventSuccessorChanged, oldSucc, newSucc, fmt.Sprintf("successor %s left", n.label(leaver)))
	}
	if newPredRef != oldPred {
		n.emit(EventPredecessorChanged, oldPred, newPredRef, fmt.Sprintf("predecessor %s left", n.label(leaver)))
	}
	return []byte{statusOK}
}
