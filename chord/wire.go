package chord

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Protocol methods on the Transport. Upper-layer commands travel as
// commandPrefix + name so they can never shadow a protocol method.
const (
	methodStep    = "chord.step"    // one iterative-lookup step (find_successor at a remote node)
	methodState   = "chord.state"   // predecessor and successor list, optionally notify first
	methodPing    = "chord.ping"    // liveness and membership
	methodLeaving = "chord.leaving" // voluntary departure of a neighbour
	commandPrefix = "cmd."
)

// Every reply chord sends starts with one status byte.
const (
	statusOK             byte = iota // payload follows
	statusError                      // error text follows (upper-layer handler error)
	statusUnknownCommand             // error text follows
	statusNotJoined                  // the callee is not a ring member
	statusBadRequest                 // the request could not be decoded; text follows
)

// How a routing entry was found in the answering node's tables.
const (
	viaFinger    byte = 0
	viaSuccessor byte = 1
	viaKnown     byte = 2 // the address given to Join
	viaRoute     byte = 3 // a finger routed around its busy node (adaptive.go)
)

// Flags of a state request.
const (
	stateNotify  byte = 1 // rectify the sender first (stabilize's notification)
	stateFingers byte = 2 // append the callee's distinct fingers (a joiner's finger hints)
	// stateLoads (4, adaptive.go) appends routing loads.
)

// Roles of a leaving message.
const (
	leavingYourSuccessor   byte = 1 // sent to the predecessor, carries the successor list
	leavingYourPredecessor byte = 2 // sent to the successor, carries the predecessor
)

// maxAddrLen bounds addresses on the wire; maxRefs bounds any list.
const (
	maxAddrLen = 1024
	maxRefs    = 1024
)

var errShortMessage = errors.New("message too short")

func appendRef(b []byte, r NodeRef) []byte {
	b = append(b, r.ID[:]...)
	b = binary.AppendUvarint(b, uint64(len(r.Addr)))
	return append(b, r.Addr...)
}

func appendRefs(b []byte, rs []NodeRef) []byte {
	b = binary.AppendUvarint(b, uint64(len(rs)))
	for _, r := range rs {
		b = appendRef(b, r)
	}
	return b
}

// routeEntry is a node named in a step answer, with where the answering node
// found it (finger index or successor-list index).
type routeEntry struct {
	ref  NodeRef
	via  byte
	idx  int
	from NodeRef // node whose table held it (filled by the asker)
	// connected: asked before a closer candidate that had no open
	// connection (lookup.nextConnected).
	connected bool

	// vouched: the node offering this owner heard from it heard ago, within
	// its Config.LivenessWindow, and is still connected to it (step answers
	// carry this for their first owner).
	vouched bool
	heard   time.Duration
}

// stepAnswer is a node's answer to one lookup step: the owner candidates
// (the key lies between it and one of its successors; the first live of these
// owns the key) and its nodes closest preceding the key, nearest to the key
// first, to fall back on or to continue with when there are no owners.
type stepAnswer struct {
	self   NodeRef // the answering node
	owners []routeEntry
	cands  []routeEntry
	cached []byte // a StepCache's answer (stepcache.go), nil if none
}

// maxHeardMicros bounds the age a step answer may vouch with (an hour).
const maxHeardMicros = uint64(time.Hour / time.Microsecond)

func appendEntries(b []byte, es []routeEntry) []byte {
	b = binary.AppendUvarint(b, uint64(len(es)))
	for _, e := range es {
		b = appendRef(b, e.ref)
		b = append(b, e.via)
		b = binary.AppendUvarint(b, uint64(e.idx))
	}
	return b
}

// appendStep encodes a step answer: the answering node, its owners, its
// candidates, then how long ago it heard from its first owner in
// microseconds plus one (0: it does not vouch for it).
func appendStep(b []byte, a *stepAnswer) []byte {
	b = append(b, statusOK)
	b = appendRef(b, a.self)
	b = appendEntries(b, a.owners)
	b = appendEntries(b, a.cands)
	var heard uint64
	if len(a.owners) > 0 && a.owners[0].vouched {
		heard = min(uint64(a.owners[0].heard/time.Microsecond), maxHeardMicros-1) + 1
	}
	return binary.AppendUvarint(b, heard)
}

// decoder reads a message; the first error sticks and later reads return zero values.
type decoder struct {
	b      []byte
	err    error
	intern *addrTable // nil: every address is a new string
}

// addrTable interns addresses read off the wire: a ring has few of them and
// every answer repeats them, so decoding allocates no new strings. The
// nodes of one process share one table (internedAddrs): a table per node
// held every address once per node, N² strings for N nodes in a process.
type addrTable struct {
	mu sync.RWMutex
	m  map[string]string
}

// maxInterned bounds an addrTable; past it addresses are not kept.
const maxInterned = 1 << 14

// internedAddrs is the table every node of this process decodes with.
var internedAddrs addrTable

func (t *addrTable) get(b []byte) string {
	if t == nil {
		return string(b)
	}
	t.mu.RLock()
	s, ok := t.m[string(b)]
	t.mu.RUnlock()
	if ok {
		return s
	}
	s = string(b)
	t.mu.Lock()
	if t.m == nil {
		t.m = make(map[string]string)
	}
	if len(t.m) < maxInterned {
		t.m[s] = s
	}
	t.mu.Unlock()
	return s
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 1 {
		d.fail(errShortMessage)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint(limit uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShortMessage)
		return 0
	}
	if v > limit {
		d.fail(fmt.Errorf("value %d exceeds limit %d", v, limit))
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) ref() NodeRef {
	var r NodeRef
	if d.err != nil {
		return r
	}
	if len(d.b) < len(r.ID) {
		d.fail(errShortMessage)
		return r
	}
	copy(r.ID[:], d.b)
	d.b = d.b[len(r.ID):]
	n := int(d.uvarint(maxAddrLen))
	if d.err != nil {
		return NodeRef{}
	}
	if len(d.b) < n {
		d.fail(errShortMessage)
		return NodeRef{}
	}
	r.Addr = d.intern.get(d.b[:n])
	d.b = d.b[n:]
	return r
}

func (d *decoder) refs() []NodeRef {
	n := int(d.uvarint(maxRefs))
	if d.err != nil || n == 0 {
		return nil
	}
	out := make([]NodeRef, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.ref())
	}
	return out
}

// entries decodes a list of routing entries into buf[:0], or a new slice
// if buf has room for fewer.
func (d *decoder) entries(buf []routeEntry) []routeEntry {
	n := int(d.uvarint(maxRefs))
	if d.err != nil || n == 0 {
		return nil
	}
	out := buf[:0]
	if cap(buf) < n {
		out = make([]routeEntry, 0, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		e := routeEntry{ref: d.ref(), via: d.byte()}
		e.idx = int(d.uvarint(maxRefs))
		out = append(out, e)
	}
	return out
}

// decodeStep decodes a step answer; with s, its lists go into s's room
// while they fit (the caller drops them before it decodes the next).
func decodeStep(b []byte, intern *addrTable, s *lookupScratch) (stepAnswer, error) {
	d := decoder{b: b, intern: intern}
	a := stepAnswer{self: d.ref()}
	var owners, cands []routeEntry
	if s != nil {
		owners, cands = s.owners[:0], s.cands[:0]
	}
	a.owners = d.entries(owners)
	a.cands = d.entries(cands)
	if d.err == nil && len(d.b) > 0 {
		if heard := d.uvarint(maxHeardMicros); heard > 0 && len(a.owners) > 0 {
			a.owners[0].vouched = true
			a.owners[0].heard = time.Duration(heard-1) * time.Microsecond
		}
		a.cached = d.cachedAnswer()
	}
	return a, d.err
}

// stateReply is a decoded reply to methodState.
type stateReply struct {
	pred    NodeRef
	succ    []NodeRef
	fingers []NodeRef // only when asked with stateFingers
	// With stateLoads (adaptive.go): the callee's routing load and those
	// it heard from its successors.
	hasLoads  bool
	load      uint64
	succLoads []uint64
}

func appendState(b []byte, pred NodeRef, succ []NodeRef) []byte {
	b = append(b, statusOK)
	b = appendRef(b, pred)
	return appendRefs(b, succ)
}

// decodeState decodes a reply to a state request made with flags.
func decodeState(b []byte, intern *addrTable, flags byte) (stateReply, error) {
	d := decoder{b: b, intern: intern}
	st := stateReply{pred: d.ref(), succ: d.refs()}
	if d.err == nil && len(st.succ) == 0 {
		d.fail(errors.New("empty successor list"))
	}
	if d.err == nil && flags&stateFingers != 0 && len(d.b) > 0 {
		st.fingers = d.refs()
	}
	if d.err == nil && flags&stateLoads != 0 && len(d.b) > 0 {
		st.load, st.succLoads = d.loads()
		st.hasLoads = d.err == nil
	}
	return st, d.err
}

// replyStatus splits a reply into its status byte and the rest.
func replyStatus(rep []byte) (byte, []byte, error) {
	if len(rep) == 0 {
		return 0, nil, errShortMessage
	}
	return rep[0], rep[1:], nil
}

func errorReply(status byte, msg string) []byte {
	b := make([]byte, 0, 1+len(msg))
	b = append(b, status)
	return append(b, msg...)
}
