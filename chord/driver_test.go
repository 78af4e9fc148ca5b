package chord_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/chord/chordtest"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

// recorder is a set of tasks that record their runs.
type recorder struct {
	mu   sync.Mutex
	runs []string
}

func (r *recorder) task(name string, every time.Duration) chord.Task {
	return chord.Task{Name: name, Every: every, Run: func(context.Context) {
		r.mu.Lock()
		r.runs = append(r.runs, name)
		r.mu.Unlock()
	}}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.runs)
}

func TestDriverStepRunsEachTaskOnceInOrder(t *testing.T) {
	var r recorder
	d := chord.NewDriver([]chord.Task{r.task("a", time.Hour), r.task("b", time.Hour), r.task("c", 0)}, 0.2, 1)
	d.Step(context.Background()) // works without Start
	d.Start()
	d.Pause()
	if !d.Paused() {
		t.Fatal("Paused() is false after Pause")
	}
	d.Step(context.Background())
	d.Resume()
	if d.Paused() {
		t.Fatal("Paused() is true after Resume")
	}
	d.Stop()
	d.Stop() // idempotent
	if want := []string{"a", "b", "c", "a", "b", "c"}; !slices.Equal(r.runs, want) {
		t.Fatalf("runs %v, want %v", r.runs, want)
	}
}

// A paused driver runs no timer rounds while an identical running driver,
// used as the clock, runs many; after Resume it runs again; after Stop its
// goroutines are gone.
func TestDriverPauseResumeStop(t *testing.T) {
	base := runtime.NumGoroutine()
	var paused, clock recorder
	dp := chord.NewDriver([]chord.Task{paused.task("p", time.Millisecond)}, 0.5, 1)
	dc := chord.NewDriver([]chord.Task{clock.task("c", time.Millisecond)}, 0.5, 2)
	dp.Pause()
	dp.Start()
	dc.Start()
	waitFor(t, "20 rounds of the running driver", func() bool { return clock.count() >= 20 })
	if n := paused.count(); n != 0 {
		t.Fatalf("paused driver ran %d timer rounds", n)
	}
	dp.Resume()
	waitFor(t, "rounds after Resume", func() bool { return paused.count() >= 3 })
	dp.Stop()
	dc.Stop()
	// Stop waits for the loop to exit, so no round can run after it.
	waitFor(t, "driver goroutines to exit", func() bool { return runtime.NumGoroutine() <= base })
}

// Stop cancels the ctx of a round in progress and waits for it.
func TestDriverStopCancelsRunningRound(t *testing.T) {
	var started, finished atomic.Bool
	d := chord.NewDriver([]chord.Task{{Name: "slow", Every: time.Millisecond, Run: func(ctx context.Context) {
		started.Store(true)
		<-ctx.Done()
		finished.Store(true)
	}}}, 0, 1)
	d.Start()
	waitFor(t, "the round to start", started.Load)
	d.Stop()
	if !finished.Load() {
		t.Fatal("Stop returned before the running round finished")
	}
}

// Pause cancels the ctx of a timer round in progress and returns only once
// that round has ended; after Resume rounds run with a live ctx again.
func TestDriverPauseCancelsRunningRound(t *testing.T) {
	var started, finished, liveAfterResume atomic.Int32
	var resumed atomic.Bool
	d := chord.NewDriver([]chord.Task{{Name: "slow", Every: time.Millisecond, Run: func(ctx context.Context) {
		if resumed.Load() && ctx.Err() == nil {
			liveAfterResume.Add(1)
		}
		started.Add(1)
		<-ctx.Done()
		finished.Add(1)
	}}}, 0, 1)
	d.Start()
	defer d.Stop()
	waitFor(t, "the round to start", func() bool { return started.Load() == 1 })
	d.Pause()
	if finished.Load() != 1 {
		t.Fatal("Pause returned while the round it cancelled was still running")
	}
	resumed.Store(true)
	d.Resume()
	waitFor(t, "a round with a live ctx after Resume", func() bool { return liveAfterResume.Load() >= 1 })
}

// NodeTasks runs the node's three rounds; a driven ring forms by itself.
func TestNodeTasksFormARing(t *testing.T) {
	cfg := smallConfig()
	r := newMemRing(t, 31, cfg)
	a := r.add("a", chord.IDFromUint64(16, 100))
	b := r.add("b", chord.IDFromUint64(16, 30000))
	tasks := chord.NodeTasks(a)
	var names []string
	for _, tk := range tasks {
		names = append(names, tk.Name)
	}
	if want := []string{"stabilize", "fix_fingers", "check_predecessor"}; !slices.Equal(names, want) {
		t.Fatalf("tasks %v, want %v", names, want)
	}
	a.Create()
	if err := b.Join(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	da := chord.NewDriver(tasks, 0, 1)
	db := chord.NewDriver(chord.NodeTasks(b), 0, 2)
	for i := 0; i < 3; i++ { // stepping, as the UI's step mode does
		db.Step(context.Background())
		da.Step(context.Background())
	}
	if v := r.ideal(true); len(v) > 0 {
		t.Fatalf("two nodes not ideal after 3 steps each: %v", v)
	}
}

// Do runs an extra round between the driver's own: never two at once, and
// every Do runs exactly once unless its ctx is already done.
func TestDriverDoNeverOverlapsRounds(t *testing.T) {
	var running, overlaps, timerRounds atomic.Int32
	round := func(context.Context) {
		if running.Add(1) > 1 {
			overlaps.Add(1)
		}
		runtime.Gosched()
		running.Add(-1)
	}
	d := chord.NewDriver([]chord.Task{{Name: "r", Every: time.Microsecond, Run: func(ctx context.Context) {
		round(ctx)
		timerRounds.Add(1)
	}}}, 0, 1)
	d.Start()
	defer d.Stop()
	ctx := context.Background()
	var done atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				d.Do(ctx, func(ctx context.Context) { round(ctx); done.Add(1) })
			}
		}()
	}
	wg.Wait()
	waitFor(t, "timer rounds between the extra ones", func() bool { return timerRounds.Load() > 0 })
	if got := done.Load(); got != 800 {
		t.Fatalf("%d extra rounds ran, want 800", got)
	}
	if got := overlaps.Load(); got != 0 {
		t.Fatalf("%d rounds overlapped another", got)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	d.Do(cancelled, func(context.Context) { t.Error("a round ran with its ctx already done") })
}

// notifyingEndpoint is an in-memory transport that is also a
// chord.ChangeNotifier: the test says when the network changed. It is a
// chord.DialReporter too, which says a call would dial only to the peers
// in unconnected (as netmux does once it has lost its session to a peer).
type notifyingEndpoint struct {
	*chordtest.Endpoint
	mu          sync.Mutex
	watchers    []func(string)
	unconnected map[string]bool
}

func (e *notifyingEndpoint) WouldDial(addr string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.unconnected[addr]
}

func (e *notifyingEndpoint) OnChange(f func(gone string)) (stop func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.watchers = append(e.watchers, f)
	i := len(e.watchers) - 1
	return func() {
		e.mu.Lock()
		e.watchers[i] = nil
		e.mu.Unlock()
	}
}

func (e *notifyingEndpoint) change(gone string) {
	e.mu.Lock()
	fs := slices.Clone(e.watchers)
	e.mu.Unlock()
	for _, f := range fs {
		if f != nil {
			f(gone)
		}
	}
}

// backoffNet is a settled two-node ring on an in-memory network whose
// drivers back off up to 8 times; a's transport can announce changes.
type backoffNet struct {
	nw     *chordtest.Network
	cfg    chord.Config
	a, b   *chord.Node
	ea     *notifyingEndpoint
	da, db *chord.Driver
	rounds atomic.Int64 // rounds of the extra task driven with a's
}

func backoffRing(t *testing.T, settle, liveness time.Duration) *backoffNet {
	t.Helper()
	r := &backoffNet{nw: chordtest.NewNetwork(5), cfg: smallConfig()}
	r.cfg.StabilizeInterval = 2 * time.Millisecond
	r.cfg.FixFingersInterval = 2 * time.Millisecond
	r.cfg.CheckPredecessorInterval = 4 * time.Millisecond
	r.cfg.IdleBackoff = 8
	r.cfg.IdleSettle = settle
	r.cfg.LivenessWindow = liveness
	r.a, r.ea = r.node(t, "a", 100)
	r.b, _ = r.node(t, "b", 30000)
	r.a.Create()
	if err := r.b.Join(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	// An extra task driven with a's rounds (as the dht's repair is) backs
	// off with them.
	extra := chord.Task{Name: "extra", Every: 4 * time.Millisecond, Run: func(context.Context) { r.rounds.Add(1) }}
	r.da = chord.NewDriver(append(chord.NodeTasks(r.a), extra), 0.1, 1)
	r.db = chord.NewDriver(chord.NodeTasks(r.b), 0.1, 2)
	r.da.Start()
	r.db.Start()
	t.Cleanup(func() { r.da.Stop(); r.db.Stop() })
	return r
}

func (r *backoffNet) node(t *testing.T, addr string, id uint64) (*chord.Node, *notifyingEndpoint) {
	t.Helper()
	ep, err := r.nw.Endpoint(addr)
	if err != nil {
		t.Fatal(err)
	}
	ne := &notifyingEndpoint{Endpoint: ep}
	c := r.cfg
	c.ID, c.HasID = chord.IDFromUint64(16, id), true
	n, err := chord.NewNode(c, ne)
	if err != nil {
		t.Fatal(err)
	}
	return n, ne
}

// periodsAre polls until d's periods are want (the deadline is generous:
// the rounds are a few milliseconds apart).
func periodsAre(t *testing.T, what string, d *chord.Driver, want []time.Duration) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Equal(d.Periods(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: periods %v, want %v", what, d.Periods(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

var (
	ms            = time.Millisecond
	basePeriods   = []time.Duration{2 * ms, 2 * ms, 4 * ms, 4 * ms}
	backedOff     = []time.Duration{16 * ms, 16 * ms, 32 * ms, 32 * ms}
	stabilizeKept = []time.Duration{2 * ms, 16 * ms, 32 * ms, 32 * ms}
)

// An idle ring's driver stretches every period, its node's and the extra
// task's, up to IdleBackoff times its base; a word from the transport
// brings them back at once, before any round has run.
func TestDriverBacksOffWhileIdleAndWakesOnChange(t *testing.T) {
	r := backoffRing(t, 0, 0)
	periodsAre(t, "idle ring", r.da, backedOff)
	r.da.Pause() // no round runs: only the word from the transport acts
	r.ea.change("")
	if got := r.da.Periods(); !slices.Equal(got, basePeriods) {
		t.Fatalf("after the transport's change: periods %v, want the base %v", got, basePeriods)
	}
	r.da.Resume()
	periodsAre(t, "idle again", r.da, backedOff)
}

// Resuming a paused driver returns it to its base periods at once: steps
// taken while it was paused may have left the ring with work to do.
func TestDriverResumeReturnsToBase(t *testing.T) {
	r := backoffRing(t, 0, 0)
	periodsAre(t, "idle ring", r.da, backedOff)
	r.da.Pause()
	r.da.Resume()
	if got := r.da.Periods(); !slices.Equal(got, basePeriods) {
		t.Fatalf("after resume: periods %v, want the base %v", got, basePeriods)
	}
}

// A round run through Do that changes the node's pointers (a step in
// lecture mode) returns the driver to its base periods, as its own would.
func TestDriverDoThatChangesPointersWakes(t *testing.T) {
	r := backoffRing(t, 0, 0)
	periodsAre(t, "idle ring", r.da, backedOff)
	r.da.Pause()
	r.db.Pause()
	c, _ := r.node(t, "c", 20000) // between a and b
	ctx := context.Background()
	if err := c.Join(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got := r.da.Periods(); !slices.Equal(got, backedOff) {
		t.Fatalf("before the step: periods %v, want still %v", got, backedOff)
	}
	if err := c.Stabilize(ctx); err != nil { // b learns of c
		t.Fatal(err)
	}
	r.da.Do(ctx, func(ctx context.Context) { _ = r.a.Stabilize(ctx) }) // a's successor becomes c
	if r.a.Successors()[0].Addr != "c" {
		t.Fatalf("a's successor is %s after stabilize, want c", r.a.Successors()[0].Addr)
	}
	if got := r.da.Periods(); !slices.Equal(got, basePeriods) {
		t.Fatalf("after a step that changed a's successor: periods %v, want the base %v", got, basePeriods)
	}
}

// A round of a task given as Round that fails (a repair that could not
// reach a holder) is not a quiet one: the driver returns to its base
// periods, and backs off again once its rounds succeed.
func TestDriverFailedRoundReturnsToBase(t *testing.T) {
	r := backoffRing(t, 0, 0)
	r.da.Stop()
	var failing atomic.Bool
	extra := chord.Task{Name: "extra", Every: 4 * ms, Round: func(context.Context) error {
		if failing.Load() {
			return errors.New("a holder did not answer")
		}
		return nil
	}}
	r.da = chord.NewDriver(append(chord.NodeTasks(r.a), extra), 0.1, 1)
	r.da.Start()
	t.Cleanup(r.da.Stop)
	periodsAre(t, "idle ring", r.da, backedOff)
	failing.Store(true)
	periodsAre(t, "while the extra round fails", r.da, basePeriods)
	failing.Store(false)
	periodsAre(t, "once it succeeds again", r.da, backedOff)
}

// A pointer change is not idle: the node that sees it (here, the node a
// third one joins next to) returns to its base periods.
func TestDriverReturnsToBaseWhenPointersChange(t *testing.T) {
	r := backoffRing(t, 100*ms, 0) // base periods for 100 ms after a change
	periodsAre(t, "idle ring", r.da, backedOff)
	c, _ := r.node(t, "c", 20000) // between a and b: a's successor becomes c
	ctx := context.Background()
	if err := c.Join(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := c.Stabilize(ctx); err != nil { // b learns of c
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for r.a.Successors()[0].Addr != "c" || !slices.Equal(r.da.Periods(), basePeriods) {
		if time.Now().After(deadline) {
			t.Fatalf("successor %s, periods %v after a join next to the node, want c and the base %v",
				r.a.Successors()[0].Addr, r.da.Periods(), basePeriods)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// Stabilize backs off no further than keeps the successor called within
// the liveness window (lookups take an owner as live on that call).
func TestDriverStabilizeKeepsWithinLivenessWindow(t *testing.T) {
	r := backoffRing(t, 0, 3*ms) // 2 ms × (1 + 0.2 jitter) fits once: no room to grow
	periodsAre(t, "idle ring", r.da, stabilizeKept)
}

// Until nothing has changed for IdleSettle, the periods stay at their base.
func TestDriverSettlesBeforeBackingOff(t *testing.T) {
	r := backoffRing(t, time.Hour, 0)
	for r.rounds.Load() < 20 {
		if got := r.da.Periods(); !slices.Equal(got, basePeriods) {
			t.Fatalf("periods %v within IdleSettle of the last change, want the base %v", got, basePeriods)
		}
		runtime.Gosched()
	}
}

// notifiedRing makes nodes a, b, c… (16-bit IDs as given, rounds due
// every hour: the tests drive them) on an in-memory network, a's transport
// one whose changes the test announces; a has created the ring, the
// others have not joined.
func notifiedRing(t *testing.T, ids ...uint64) (*memRing, []*chord.Node, *notifyingEndpoint) {
	t.Helper()
	cfg := smallConfig()
	cfg.StabilizeInterval, cfg.FixFingersInterval, cfg.CheckPredecessorInterval = time.Hour, time.Hour, time.Hour
	r := newMemRing(t, 9, cfg)
	nodes := make([]*chord.Node, len(ids))
	var ea *notifyingEndpoint
	for i := range nodes {
		ep, err := r.nw.Endpoint(string(rune('a' + i)))
		if err != nil {
			t.Fatal(err)
		}
		ne := &notifyingEndpoint{Endpoint: ep}
		if i == 0 {
			ea = ne
		}
		c := cfg
		c.ID, c.HasID = chord.IDFromUint64(16, ids[i]), true
		if nodes[i], err = chord.NewNode(c, ne); err != nil {
			t.Fatal(err)
		}
	}
	nodes[0].Create()
	return r, nodes, ea
}

// A peer the transport says is gone is acted on at once, whatever the
// periods: the fingers that point at it are refreshed r stabilize periods
// later (once the successor lists have dropped it), although fix_fingers
// is due only every hour.
func TestDriverActsAtOnceOnAPeerGone(t *testing.T) {
	r, nodes, ea := notifiedRing(t, 100, 20000, 40000)
	ctx := context.Background()
	for _, n := range nodes[1:] {
		if err := n.Join(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	drivers := make([]*chord.Driver, 3)
	for i, n := range nodes {
		drivers[i] = chord.NewDriver(chord.NodeTasks(n), 0, int64(i))
	}
	// a's own stabilize period is short enough for the fingers' turn to come
	// within the test: 4 × 5 ms.
	aTasks := chord.NodeTasks(nodes[0])
	aTasks[0].Every = 5 * time.Millisecond
	drivers[0] = chord.NewDriver(aTasks, 0, 9)
	for range 8 { // settle the ring by hand, fingers included
		for _, d := range drivers {
			d.Step(ctx)
		}
	}
	a := nodes[0]
	fingersTo := func(addr string) int {
		return len(slices.DeleteFunc(a.Status().Fingers, func(f chord.NodeRef) bool { return f.Addr != addr }))
	}
	if a.Successors()[0].Addr != "b" || fingersTo("b") == 0 {
		t.Fatalf("setup: a's successor %s, %d fingers to b; want b and some", a.Successors()[0].Addr, fingersTo("b"))
	}
	r.nw.Crash("b")
	drivers[0].Start()
	defer drivers[0].Stop()
	ea.change("b")
	deadline := time.Now().Add(10 * time.Second)
	for a.Successors()[0].Addr != "c" || fingersTo("b") > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a's successor %s and %d fingers to b after b was reported gone; want c and none", a.Successors()[0].Addr, fingersTo("b"))
		}
		time.Sleep(time.Millisecond)
	}
}

// quickADrivers makes a driver for each node, not started; the first
// node's runs every round every 5 ms once started, the others' every hour
// (the test steps them).
func quickADrivers(nodes []*chord.Node) []*chord.Driver {
	drivers := make([]*chord.Driver, len(nodes))
	for i, n := range nodes {
		drivers[i] = chord.NewDriver(chord.NodeTasks(n), 0, int64(i))
	}
	aTasks := chord.NodeTasks(nodes[0])
	for i := range aTasks {
		aTasks[i].Every = 5 * time.Millisecond
	}
	drivers[0] = chord.NewDriver(aTasks, 0, 9)
	return drivers
}

// A peer reported gone that answers this node again (the report was wrong,
// or the peer came back at the same address) is not chased further: the
// fingers that name it are right, and fix_fingers goes on to the others,
// here one that a node joined in front of after the report.
func TestDriverForgetsAGonePeerThatAnswers(t *testing.T) {
	_, nodes, ea := notifiedRing(t, 100, 20000, 40000, 33000)
	ctx := context.Background()
	for _, n := range nodes[1:3] {
		if err := n.Join(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	drivers := quickADrivers(nodes)
	for range 8 { // settle a, b, c by hand, fingers included
		for _, d := range drivers[:3] {
			d.Step(ctx)
		}
	}
	// d joins between b and c; the ring around it settles, a's fingers do
	// not: a's finger 16 (start 100 + 2^15 = 32868) still names c.
	if err := nodes[3].Join(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		for _, d := range drivers[1:] {
			d.Step(ctx)
		}
	}
	a := nodes[0]
	const k = 15
	if got := a.Status().Fingers[k].Addr; got != "c" {
		t.Fatalf("setup: a's finger[%d] is %s, want c (d not yet known to a's fingers)", k, got)
	}
	drivers[0].Start()
	defer drivers[0].Stop()
	ea.change("b")                              // b is live: it answers a's stabilize
	deadline := time.Now().Add(5 * time.Second) // a wrong report is remembered for 10 s
	for a.Status().Fingers[k].Addr != "d" {
		if time.Now().After(deadline) {
			t.Fatalf("a's finger[%d] is %s 5 s after a live peer was reported gone, want d", k, a.Status().Fingers[k].Addr)
		}
		time.Sleep(time.Millisecond)
	}
}

// A peer reported gone that is back at its address (a revive after a
// leave) but that no round of this node calls otherwise is pinged when
// fix_fingers comes to the finger that still names it: it answers, and
// fix_fingers goes on to the other fingers, here those a node joined in
// front of after the report.
func TestDriverPingsAGonePeerItsFingerStillNames(t *testing.T) {
	// a, b, c, then d, then e: e is a's predecessor (check_predecessor
	// calls it), c neither that nor a's successor.
	_, nodes, ea := notifiedRing(t, 100, 20000, 40000, 10000, 50000)
	ctx := context.Background()
	for _, n := range []*chord.Node{nodes[1], nodes[2], nodes[4]} {
		if err := n.Join(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	drivers := quickADrivers(nodes)
	settled := []*chord.Driver{drivers[0], drivers[1], drivers[2], drivers[4]}
	for range 8 { // settle a, b, c and e by hand, fingers included
		for _, d := range settled {
			d.Step(ctx)
		}
	}
	a := nodes[0]
	const k = 15 // start 100 + 2^15 = 32868: c
	if got := a.Status().Fingers[k].Addr; got != "c" {
		t.Fatalf("setup: a's finger[%d] is %s, want c", k, got)
	}
	// d joins between a and b: a's fingers 0–13 (starts 101 to 8292) should
	// name it. c, reported gone, is live and stays right for finger 15.
	if got := a.Predecessor().Addr; got != "e" {
		t.Fatalf("setup: a's predecessor is %s, want e", got)
	}
	if err := nodes[3].Join(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		for _, d := range drivers[1:] {
			d.Step(ctx)
		}
	}
	drivers[0].Start()
	defer drivers[0].Stop()
	ea.mu.Lock()
	ea.unconnected = map[string]bool{"c": true} // the session that ended
	ea.mu.Unlock()
	ea.change("c")
	deadline := time.Now().Add(5 * time.Second) // a report is remembered for 10 s
	for a.Status().Fingers[0].Addr != "d" {
		if time.Now().After(deadline) {
			t.Fatalf("a's finger[0] is %s 5 s after a live peer was reported gone, want d", a.Status().Fingers[0].Addr)
		}
		time.Sleep(time.Millisecond)
	}
}
