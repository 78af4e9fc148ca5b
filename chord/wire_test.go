package chord

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func wireRef(v uint64, addr string) NodeRef {
	return NodeRef{ID: IDFromUint64(160, v), Addr: addr}
}

func TestWireRoundTrip(t *testing.T) {
	var intern addrTable
	steps := []stepAnswer{
		{self: wireRef(1, "a:1")},
		{self: wireRef(2, "b:2"), owners: []routeEntry{{ref: wireRef(3, "c:3"), via: viaSuccessor, idx: 0}, {ref: wireRef(4, "d:4"), via: viaSuccessor, idx: 1}}},
		{self: wireRef(5, "e:5"), cands: []routeEntry{{ref: wireRef(6, "f:6"), via: viaFinger, idx: 159}, {ref: wireRef(7, ""), via: viaSuccessor, idx: 3}}},
		{self: wireRef(8, "g:8"), owners: []routeEntry{{ref: wireRef(9, "h:9"), via: viaSuccessor, idx: 2}}, cands: []routeEntry{{ref: wireRef(10, "i:10"), via: viaSuccessor, idx: 1}}},
		// The first owner vouched for: heard from 0 and 25.123 ms ago.
		{self: wireRef(11, "j:11"), owners: []routeEntry{{ref: wireRef(12, "k:12"), via: viaSuccessor, vouched: true}, {ref: wireRef(13, "l:13"), via: viaSuccessor, idx: 1}}},
		{self: wireRef(11, "j:11"), owners: []routeEntry{{ref: wireRef(12, "k:12"), via: viaSuccessor, vouched: true, heard: 25123 * time.Microsecond}}},
	}
	var scratch lookupScratch // shared by every decode: each must leave no trace of the one before
	for i, a := range steps {
		b := appendStep(nil, &a)
		if b[0] != statusOK {
			t.Fatalf("step %d: status %d", i, b[0])
		}
		for _, s := range []*lookupScratch{nil, &scratch} {
			for _, tab := range []*addrTable{nil, &intern} {
				got, err := decodeStep(b[1:], tab, s)
				if err != nil || !reflect.DeepEqual(got, a) {
					t.Fatalf("step %d (scratch %v): decoded %+v, %v; want %+v", i, s != nil, got, err, a)
				}
			}
		}
	}
	pred, succ := wireRef(11, "p:1"), []NodeRef{wireRef(12, "s:1"), wireRef(13, "s:2")}
	b := appendState(nil, pred, succ)
	st, err := decodeState(b[1:], &intern, 0)
	if err != nil || st.pred != pred || !reflect.DeepEqual(st.succ, succ) {
		t.Fatalf("state: %+v, %v", st, err)
	}
	// Every strict prefix of a message is rejected, never read past.
	for n := 0; n < len(b)-1; n++ {
		if _, err := decodeState(b[1:1+n], nil, 0); err == nil {
			t.Fatalf("state prefix of %d bytes decoded without error", n)
		}
	}
}

// FuzzHandle feeds arbitrary requests to every protocol method of a joined
// node: it must answer (never panic, never return a transport error) and
// stay a ring member.
func FuzzHandle(f *testing.F) {
	a := appendStep(nil, &stepAnswer{self: wireRef(1, "x"), owners: []routeEntry{{ref: wireRef(2, "y"), via: viaSuccessor}}})
	f.Add(0, []byte{})
	f.Add(1, appendRef([]byte{stateNotify}, wireRef(5, "q")))
	f.Add(3, append([]byte{leavingYourSuccessor}, a[1:]...))
	f.Add(3, appendRef(appendRef([]byte{leavingYourPredecessor}, wireRef(7, "l")), wireRef(8, "m")))
	f.Add(0, make([]byte, 20))
	methods := []string{methodStep, methodState, methodPing, methodLeaving, commandPrefix + "none", "bogus"}
	f.Fuzz(func(t *testing.T, m int, req []byte) {
		cfg := DefaultConfig()
		cfg.Bits = 16
		n, err := NewNode(cfg, &loopTransport{addr: "self"})
		if err != nil {
			t.Fatal(err)
		}
		n.Create()
		if m < 0 {
			m = -m
		}
		rep, err := n.handle(context.Background(), methods[m%len(methods)], req)
		if err != nil || len(rep) == 0 {
			t.Fatalf("handler returned %q, %v", rep, err)
		}
		if !n.Joined() || len(n.Successors()) == 0 {
			t.Fatal("a request knocked the node out of its ring")
		}
	})
}

// loopTransport is a transport whose calls all fail: FuzzHandle only
// exercises the serving side.
type loopTransport struct{ addr string }

func (l *loopTransport) Addr() string { return l.addr }
func (l *loopTransport) Call(context.Context, string, string, []byte) ([]byte, error) {
	return nil, ErrNodeDown
}
func (l *loopTransport) Serve(Handler) {}

// TestStateLoadsWire round-trips a state reply with routing loads (the
// adaptive mode's piggyback): the loads come back with the list, and a
// reply read without asking for loads is the plain one.
func TestStateLoadsWire(t *testing.T) {
	var intern addrTable
	n := &Node{succ: []NodeRef{wireRef(12, "s:1"), wireRef(13, "s:2")}, routing: NewLoadCounter(0),
		loads: map[string]peerLoad{"s:2": {load: 40, at: time.Now()}}}
	n.routing.Add(time.Now(), 30)
	b := appendState(nil, wireRef(11, "p:1"), n.succ)
	b = n.appendLoadsLocked(b, time.Now())
	st, err := decodeState(b[1:], &intern, stateLoads)
	if err != nil || !st.hasLoads || len(st.succLoads) != 2 || st.succLoads[0] != 0 || st.succLoads[1] != 40 || st.load == 0 {
		t.Fatalf("with loads: %+v, %v", st, err)
	}
	for k := 0; k < len(b)-1; k++ {
		if st, err := decodeState(b[1:1+k], nil, stateLoads); err == nil && st.hasLoads && len(st.succLoads) == 2 {
			t.Fatalf("a %d-byte prefix decoded whole", k)
		}
	}
}

// Route replies decoded one after another into the same rows buffer come
// out whole: a later reply keeps nothing of an earlier one's rows (a
// failed row's error, its flags), and one with more rows than the buffer
// holds still comes out whole.
func TestRouteReplyRowsReuse(t *testing.T) {
	row := func(i int, flags byte, err string) routeRow {
		return routeRow{e: routeEntry{ref: wireRef(uint64(i), "r:1"), from: wireRef(uint64(i+1), "f:1"), via: viaFinger, idx: i},
			flags: flags, rtt: time.Duration(i) * time.Microsecond, err: err}
	}
	var many []routeRow
	for i := range 11 {
		many = append(many, row(i, 0, ""))
	}
	replies := []routeReply{
		{outcome: routeFound, owner: routeEntry{ref: wireRef(40, "o:1"), from: wireRef(41, "f:2"), via: viaSuccessor, idx: 2}, check: OwnerVouched, heard: 3 * time.Millisecond,
			rows: []routeRow{row(1, rowFailed|rowTimeout, "timed out"), row(2, rowConnected, "")}},
		{outcome: routeNoCandidate, rows: []routeRow{row(3, 0, "")}},
		{outcome: routeStepLimit},
		{outcome: routeFound, owner: routeEntry{ref: wireRef(42, "o:2"), from: wireRef(43, "f:3")}, check: OwnerPinged, rows: many},
	}
	var buf [8]routeRow
	for i, want := range replies {
		b := appendRouteReply(nil, &want)
		got, err := decodeRouteReply(b[1:], buf[:0])
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("reply %d: decoded %+v, %v; want %+v", i, got, err, want)
		}
	}
}
