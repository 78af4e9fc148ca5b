package chord_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// stopConfig is smallConfig with events and a deadline long enough that a
// call to a paused node waits for Resume: a round blocked in a call stays
// blocked until the test lets it go.
func stopConfig(events chan chord.Event) chord.Config {
	cfg := smallConfig()
	cfg.RPCTimeout = time.Minute
	cfg.Events = events
	return cfg
}

// waitCalls polls until the network has seen at least want calls, so a
// round started in another goroutine is known to be in (or past) its call.
func waitCalls(t *testing.T, r *memRing, want uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.nw.Calls() < want {
		if time.Now().After(deadline) {
			t.Fatalf("the round never made its call: %d calls, want %d", r.nw.Calls(), want)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// eventsOf drains events and returns those that happened at node.
func eventsOf(events chan chord.Event, node chord.NodeRef) []chord.Event {
	var out []chord.Event
	for {
		select {
		case e := <-events:
			if e.Node == node {
				out = append(out, e)
			}
		default:
			return out
		}
	}
}

// A node stopped while one of its rounds is blocked in a call (its peer is
// paused) is then crashed, as chordtui's kill does, and the peer resumes:
// the blocked call, and every call after it, fails. The round must end
// with ErrStopped without acting on those failures: no event from the
// stopped node, and its Status exactly what it was when Stop returned.
// Before Stop existed, such a round dropped live successors and logged
// "detected failure" and "successor … → itself" for the dead node.
func TestStopEndsARoundInProgress(t *testing.T) {
	tests := []struct {
		name  string
		crash bool // crash the stopped node's endpoint, as a kill does
		// start returns the node to stop, the node to pause, how many calls
		// the network has seen once the round is blocked, and the round.
		start func(r *memRing) (victim, paused *chord.Node, calls uint64, round func(context.Context) error)
		// wantErr: the round's error wraps ErrStopped (false for a round
		// of another node that called the stopped one).
		wantErr bool
	}{
		{"stabilize blocked on its successor", true, func(r *memRing) (*chord.Node, *chord.Node, uint64, func(context.Context) error) {
			v := r.nodes[2] // nodes are in ID order
			return v, r.nodes[3], 1, v.Stabilize
		}, true},
		{"check_predecessor blocked on its predecessor", true, func(r *memRing) (*chord.Node, *chord.Node, uint64, func(context.Context) error) {
			v := r.nodes[2]
			return v, r.nodes[1], 1, v.CheckPredecessor
		}, true},
		{"rectify blocked on its old predecessor", true, func(r *memRing) (*chord.Node, *chord.Node, uint64, func(context.Context) error) {
			// q, two before v, believes v is its successor and notifies it;
			// v's rectify pings its predecessor p (paused) before replacing it.
			v, p, q := r.nodes[2], r.nodes[1], r.nodes[0]
			q.SetStateForTest(q.Predecessor(), []chord.NodeRef{v.Self()}, nil)
			return v, p, 2, q.Stabilize
		}, false},
		{"lookup blocked on the owner's ping", false, func(r *memRing) (*chord.Node, *chord.Node, uint64, func(context.Context) error) {
			v, owner := r.nodes[2], r.nodes[5] // in v's successor list: owner named by v itself, then pinged
			return v, owner, 1, func(ctx context.Context) error {
				_, err := v.Lookup(ctx, owner.Self().ID)
				return err
			}
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			events := make(chan chord.Event, 1024)
			r := buildIdeal(t, 61, stopConfig(events), 8, true)
			victim, paused, calls, round := tc.start(r)
			r.nw.Pause(paused.Self().Addr)
			before := r.nw.Calls()
			done := make(chan error, 1)
			go func() { done <- round(ctx) }()
			waitCalls(t, r, before+calls)

			want := victim.Status()
			victim.Stop()
			if tc.crash {
				r.crash(victim)
			}
			eventsOf(events, victim.Self()) // emitted before Stop returned
			r.nw.Resume(paused.Self().Addr)
			err := <-done

			if tc.wantErr && !errors.Is(err, chord.ErrStopped) {
				t.Errorf("round returned %v, want ErrStopped", err)
			}
			if evs := eventsOf(events, victim.Self()); len(evs) > 0 {
				t.Errorf("the stopped node emitted %d events, first %q: %s", len(evs), evs[0].Kind, evs[0].Detail)
			}
			if got := victim.Status(); !reflect.DeepEqual(got, want) {
				t.Errorf("status changed after Stop:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// After Stop every operation fails with ErrStopped (Create does nothing),
// other nodes' calls to it fail, Emit emits nothing, and Stop is
// idempotent.
func TestStoppedNodeDoesNothing(t *testing.T) {
	ctx := testCtx(t)
	events := make(chan chord.Event, 1024)
	cfg := stopConfig(events)
	cfg.RPCTimeout = time.Second
	r := buildIdeal(t, 62, cfg, 8, true)
	v, peer := r.nodes[3], r.nodes[2]
	if err := v.Register("echo", func(_ context.Context, req []byte) ([]byte, error) { return req, nil }); err != nil {
		t.Fatal(err)
	}
	want := v.Status()
	v.Stop()
	v.Stop()
	eventsOf(events, v.Self())
	if !v.Stopped() {
		t.Fatal("Stopped() is false after Stop")
	}
	ops := []struct {
		name string
		op   func() error
	}{
		{"Stabilize", func() error { return v.Stabilize(ctx) }},
		{"CheckPredecessor", func() error { return v.CheckPredecessor(ctx) }},
		{"FixFingers", func() error { return v.FixFingers(ctx) }},
		{"FixAllFingers", func() error { return v.FixAllFingers(ctx) }},
		{"Lookup", func() error { _, err := v.Lookup(ctx, peer.Self().ID); return err }},
		{"Leave", func() error { return v.Leave(ctx) }},
		{"Join", func() error { return v.Join(ctx, peer.Self().Addr) }},
		{"Call", func() error { _, err := v.Call(ctx, peer.Self().Addr, "echo", nil); return err }},
		{"Call to itself", func() error { _, err := v.Call(ctx, v.Self().Addr, "echo", nil); return err }},
		{"Create", func() error { v.Create(); return chord.ErrStopped }},
		{"Emit", func() error { v.Emit(chord.Event{Kind: chord.EventKeysMoved}); return chord.ErrStopped }},
	}
	for _, o := range ops {
		if err := o.op(); !errors.Is(err, chord.ErrStopped) {
			t.Errorf("%s after Stop: %v, want ErrStopped", o.name, err)
		}
	}
	// The others' calls fail: its predecessor drops it, as after a crash.
	if _, err := peer.Call(ctx, v.Self().Addr, "echo", []byte("x")); !errors.Is(err, chord.ErrNodeDown) {
		t.Errorf("a call to the stopped node: %v, want ErrNodeDown", err)
	}
	if err := peer.Stabilize(ctx); err != nil {
		t.Fatal(err)
	}
	if got := peer.Successors()[0]; got == v.Self() {
		t.Errorf("the stopped node's predecessor still has it as successor")
	}
	if err := r.nodes[4].CheckPredecessor(ctx); err != nil {
		t.Fatal(err)
	}
	if evs := eventsOf(events, v.Self()); len(evs) > 0 {
		t.Errorf("the stopped node emitted %d events, first %q: %s", len(evs), evs[0].Kind, evs[0].Detail)
	}
	if got := v.Status(); !reflect.DeepEqual(got, want) {
		t.Errorf("status changed after Stop:\n got %+v\nwant %+v", got, want)
	}
}

// With drivers running every node's rounds on timers and lookups running
// from the victim, Stop then a crash (chordtui's kill) leave no event from
// the victim after Stop returned, and its Status frozen. Run with -race.
func TestStopWithDriversRunning(t *testing.T) {
	ctx := testCtx(t)
	events := make(chan chord.Event, 4096)
	cfg := smallConfig()
	cfg.RPCTimeout = 20 * time.Millisecond
	cfg.StabilizeInterval, cfg.FixFingersInterval, cfg.CheckPredecessorInterval = time.Millisecond, time.Millisecond, 2*time.Millisecond
	cfg.Events = events
	r := buildIdeal(t, 63, cfg, 8, true)
	v := r.nodes[5]

	// Collect every event; a marker sent after Stop returned splits them.
	var mu sync.Mutex
	var log []chord.Event
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for e := range events {
			mu.Lock()
			log = append(log, e)
			mu.Unlock()
		}
	}()
	var drivers []*chord.Driver
	for i, n := range r.nodes {
		d := chord.NewDriver(chord.NodeTasks(n), cfg.Jitter, int64(i))
		d.Start()
		drivers = append(drivers, d)
	}
	quit, lookupsDone := make(chan struct{}), make(chan struct{})
	go func() { // exits when Lookup says the node stopped, or on quit
		defer close(lookupsDone)
		for k := uint64(0); ; k++ {
			quitting := false // quit is closed after Stop returned
			select {
			case <-quit:
				quitting = true
			default:
			}
			if _, err := v.Lookup(ctx, chord.IDFromUint64(16, k*7919)); errors.Is(err, chord.ErrStopped) {
				return
			} else if quitting {
				t.Errorf("a lookup started after Stop returned %v, want ErrStopped", err)
				return
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for v.Status().Rounds < 30 {
		if time.Now().After(deadline) {
			t.Fatal("the victim's driver never ran 30 rounds")
		}
		time.Sleep(time.Millisecond)
	}
	v.Stop()
	want := v.Status()
	marker := chord.Event{Kind: chord.EventKind(-1), Detail: "stopped"}
	events <- marker
	r.crash(v)
	// Let the others run rounds against the dead node for a while.
	for n := r.nodes[4]; n.Successors()[0] == v.Self(); {
		if time.Now().After(deadline) {
			t.Fatal("the victim's predecessor never dropped it")
		}
		time.Sleep(time.Millisecond)
	}
	close(quit)
	<-lookupsDone
	for _, d := range drivers {
		d.Stop()
	}
	close(events)
	<-collected

	mu.Lock()
	defer mu.Unlock()
	after := false
	for _, e := range log {
		if e.Kind == marker.Kind {
			after = true
			continue
		}
		if after && e.Node == v.Self() {
			t.Errorf("event from the stopped node after Stop: %q %s", e.Kind, e.Detail)
		}
	}
	if got := v.Status(); !reflect.DeepEqual(got, want) {
		t.Errorf("status changed after Stop:\n got %+v\nwant %+v", got, want)
	}
}
