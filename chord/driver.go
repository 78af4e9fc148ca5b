package chord

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Task is one periodic maintenance round run by a Driver.
type Task struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context)
	// Round, if set, runs instead of Run and says whether the round did
	// its work: a round that returns an error (a repair that could not
	// reach a replica) is not a quiet one, and returns the driver to its
	// base periods as a change of the node's pointers does.
	Round func(ctx context.Context) error

	// watch is set on the tasks NodeTasks returns: a driver running them
	// backs off while the node's routing state is unchanged
	// (Config.IdleBackoff). maxBackoff, if above 0, caps this task's
	// backoff below the node's. kind says which of the node's rounds it is.
	watch      *routeWatch
	maxBackoff int
	kind       taskKind
}

// run runs one round of t and reports whether it failed (Round only).
func (t *Task) run(ctx context.Context) (failed bool) {
	if t.Round != nil {
		return t.Round(ctx) != nil && ctx.Err() == nil
	}
	t.Run(ctx)
	return false
}

// taskKind tells a node's rounds apart (0: not one of them).
type taskKind int

const (
	otherTask taskKind = iota
	stabilizeTask
	fixFingersTask
	checkPredecessorTask
)

// NodeTasks returns the node's rounds (stabilize, fix_fingers,
// check_predecessor) at the intervals of its Config. Round errors are not
// returned: failures show up as events and in the node's state. A Driver
// given these tasks (and any others with them) backs off while the ring
// around the node is idle, as Config.IdleBackoff says.
func NodeTasks(n *Node) []Task {
	w := &routeWatch{n: n}
	return []Task{
		{Name: "stabilize", Every: n.cfg.StabilizeInterval, watch: w, kind: stabilizeTask, maxBackoff: stabilizeBackoff(n.cfg),
			Run: func(ctx context.Context) { w.noteRound(n.Stabilize(ctx)) }},
		{Name: "fix_fingers", Every: n.cfg.FixFingersInterval, watch: w, kind: fixFingersTask,
			Run: func(ctx context.Context) { w.noteRound(n.FixFingers(ctx)) }},
		{Name: "check_predecessor", Every: n.cfg.CheckPredecessorInterval, watch: w, kind: checkPredecessorTask,
			Run: func(ctx context.Context) { w.noteRound(n.CheckPredecessor(ctx)) }},
	}
}

// stabilizeBackoff is the most stabilize's period may grow, as a multiple
// of its base: no further than keeps a predecessor calling its successor
// within Config.LivenessWindow (lookups take an owner as live on its
// predecessor's word only that long), whatever Config.IdleBackoff says.
func stabilizeBackoff(cfg Config) int {
	f := cfg.IdleBackoff
	if cfg.LivenessWindow > 0 && cfg.StabilizeInterval > 0 {
		longest := float64(cfg.StabilizeInterval) * (1 + cfg.Jitter)
		f = min(f, int(float64(cfg.LivenessWindow)/longest))
	}
	return max(f, 1)
}

// Driver runs tasks on jittered timers. It can be paused, resumed and
// stepped one round at a time. Rounds never overlap: timer rounds, Step and
// Do take turns.
//
// A driver has no goroutine of its own: one runtime timer (time.AfterFunc)
// fires when the earliest task is due, and its goroutine runs that round and
// sets the timer for the next. So N nodes cost N timers in the runtime's
// shared timer heap, and a goroutine only while a round runs.
//
// When the tasks include a node's (NodeTasks) and its Config.IdleBackoff is
// above 1, the driver backs off: after a round, if the node's routing state
// (predecessor, successor list, fingers) is as it was after the previous
// round, no round failed and no lookup failed, and nothing has changed for
// Config.IdleSettle, the period of the task that ran doubles, up to
// IdleBackoff times its base; fix_fingers' only once it has refreshed every
// finger since the last change. Any change returns every task to its base
// period at once, and so does a word from the node's transport when it is
// a ChangeNotifier (a connection lost, a node started or stopped, a fault
// injected), without waiting for the next round: a crash is acted on as
// fast as without backoff. A backed-off round falls due on a grid of a
// quarter of its period (coalesce), so the idle nodes of one process run
// their rounds together and the process wakes less often.
type Driver struct {
	tasks  []Task
	jitter float64

	// The node whose rounds the tasks include (NodeTasks), if any, and its
	// backoff (IdleBackoff ≤ 1: none).
	watch   *routeWatch
	backoff int           // the most a period grows, as a multiple of its base
	settle  time.Duration // how long nothing must change before periods grow

	run sync.Mutex // held while a round runs

	mu         sync.Mutex
	rng        *rand.Rand
	paused     bool
	started    bool
	stopped    bool
	due        []time.Time     // when each task runs next (zero: never)
	period     []time.Duration // each task's current period
	lastChange time.Time       // the routing state last changed, or a wake
	cycles     fingerCycles    // fix_fingers' progress since then
	timer      *time.Timer     // fires at the earliest due (nil before Start)
	armedAt    time.Time       // what timer is set for
	running    bool            // a timer round is in progress
	life       context.Context // cancelled by Stop
	end        context.CancelFunc
	ctx        context.Context // rounds' ctx: life's, cancelled also by Pause
	cancel     context.CancelFunc
	unwatch    func()               // ends the transport's change notifications
	goneAt     map[string]time.Time // peers reported gone, until when they are remembered
	rounds     sync.WaitGroup       // timer rounds in progress (Stop waits)
}

// NewDriver prepares a driver; seed makes its jitter reproducible. jitter is
// clamped to [0, 1); tasks with a non-positive period are only run by Step.
func NewDriver(tasks []Task, jitter float64, seed int64) *Driver {
	if jitter < 0 {
		jitter = 0
	}
	if jitter >= 1 {
		jitter = 0.99
	}
	d := &Driver{
		tasks:  append([]Task(nil), tasks...),
		jitter: jitter,
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x6472697665720a)), // 16 bytes, not math/rand's 5 KB
		due:    make([]time.Time, len(tasks)),
		period: make([]time.Duration, len(tasks)),
	}
	for i, t := range d.tasks {
		d.period[i] = t.Every
		if d.watch == nil && t.watch != nil {
			d.watch = t.watch
			d.backoff = t.watch.n.cfg.IdleBackoff
			d.settle = t.watch.n.cfg.IdleSettle
		}
	}
	d.life, d.end = context.WithCancel(context.Background())
	d.ctx, d.cancel = context.WithCancel(d.life)
	return d
}

// Start starts running the tasks on their timers until Stop. Starting
// twice, or after Stop, does nothing.
func (d *Driver) Start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.stopped {
		return
	}
	d.started = true
	now := time.Now()
	d.lastChange = now
	for i, t := range d.tasks {
		if t.Every > 0 {
			d.due[i] = now.Add(d.spreadLocked(t.Every))
		}
	}
	if d.watch != nil {
		if cn, ok := d.watch.n.tr.(ChangeNotifier); ok {
			d.unwatch = cn.OnChange(d.changed)
		}
	}
	d.armLocked()
}

// Pause stops running rounds until Resume; Step still works while paused.
// A timer round under way is cancelled (its calls end with its ctx, and a
// call ended so says nothing about its peer), and Pause returns only once
// no round runs: the driver starts nothing after Pause returns, and what
// it had started has ended (a request already sent may still be served).
func (d *Driver) Pause() {
	d.mu.Lock()
	d.cancel() // the rounds' ctx: Resume makes a new one
	d.mu.Unlock()
	d.run.Lock() // a round under way (timer, Step or Do) has ended
	// Set holding run, which fire reads it under: a timer round after this
	// one sees it.
	d.mu.Lock()
	d.paused = true
	d.mu.Unlock()
	d.run.Unlock()
}

// Resume undoes Pause, and returns every task to its base period (Wake):
// rounds run or stepped while paused may have left work to do.
func (d *Driver) Resume() {
	d.mu.Lock()
	if d.paused {
		d.paused = false
		d.ctx, d.cancel = context.WithCancel(d.life)
	}
	d.mu.Unlock()
	d.Wake()
}

// Paused reports whether the driver is paused.
func (d *Driver) Paused() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.paused
}

// Step runs every task once, in order, now, waiting for a timer round in
// progress to finish first.
func (d *Driver) Step(ctx context.Context) {
	d.run.Lock()
	defer d.run.Unlock()
	changed := false
	for _, t := range d.tasks {
		if ctx.Err() != nil {
			return
		}
		failed := t.run(ctx)
		if d.backoff > 1 {
			c, next := d.watch.look()
			changed = changed || c || failed
			d.mu.Lock()
			d.cycles.saw(next, t.kind == fixFingersTask)
			d.mu.Unlock()
		}
	}
	if changed {
		d.Wake()
	}
}

// Do runs round now as one more round of this driver's node: it waits for
// a round in progress to finish first, and the driver's own rounds wait
// for it, so rounds never overlap. For a caller that speeds up maintenance
// at a moment it knows matters (the cluster while a ring forms).
// A round that changes the node's routing state wakes the driver, as one
// of its own would.
func (d *Driver) Do(ctx context.Context, round func(ctx context.Context)) {
	d.run.Lock()
	if ctx.Err() != nil {
		d.run.Unlock()
		return
	}
	round(ctx)
	changed := false
	if d.backoff > 1 {
		var next int
		changed, next = d.watch.look()
		d.mu.Lock()
		d.cycles.saw(next, false)
		d.mu.Unlock()
	}
	d.run.Unlock()
	if changed {
		d.Wake()
	}
}

// Wake returns every task that has backed off to its base period, due
// within one base period from now, and restarts the wait of
// Config.IdleSettle before periods grow again. A node's driver is woken by
// its transport (ChangeNotifier) and after any round that changed the
// routing state; a caller that knows the ring is about to change (a fault
// it injects) may wake it too. Waking a driver whose tasks are all at
// their base period only restarts that wait. Safe to call at any time,
// from any goroutine, without blocking.
func (d *Driver) Wake() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started || d.stopped {
		return
	}
	now := time.Now()
	d.lastChange = now
	d.cycles.reset()
	for i, t := range d.tasks {
		if t.Every <= 0 || d.period[i] == t.Every {
			continue
		}
		d.period[i] = t.Every
		// Uniform within a base period, as a task at its base period is
		// due on average half a period after any moment.
		if at := now.Add(time.Duration(d.rng.Int64N(int64(t.Every)) + 1)); at.Before(d.due[i]) {
			d.due[i] = at
		}
	}
	if !d.running {
		d.armLocked()
	}
}

// changed is the transport's word (ChangeNotifier): the tasks return to
// their base periods, and if a peer the node routes through is gone, the
// rounds that repair the node's pointers to it run now (gone).
func (d *Driver) changed(gone string) {
	d.Wake()
	if gone != "" {
		d.gone(gone)
	}
}

// goneFor is how long a driver remembers a peer reported gone (gone).
const goneFor = 10 * time.Second

// gone runs soon the rounds that repair the node's pointers to a peer that
// is gone, instead of when they come round: stabilize now if the peer is in
// the successor list (walk past it), check_predecessor now if it is the
// predecessor (clear it), and fix_fingers at the fingers that point at it
// (they form one run: fix_fingers refreshes a finger and the ones after it
// that share its successor) once the successor lists have had r stabilize
// rounds to drop the peer; the other tasks (the dht's repair) run two
// stabilize periods from now. The peer is remembered for goneFor: while a
// finger still points at it (a lookup in the first rounds may name it
// again, from a list not yet repaired), fix_fingers goes back to that
// finger every two stabilize periods, and pings the peer after that
// round, until the peer answers this node (it may be back at its address)
// or goneFor has passed (retarget).
func (d *Driver) gone(addr string) {
	n := d.watch.n
	n.mu.Lock()
	succ := containsAddr(n.succ, addr)
	pred := n.pred.Addr == addr
	finger := slices.IndexFunc(n.fingers, func(f NodeRef) bool { return f.Addr == addr })
	r := n.cfg.SuccessorListLen
	n.mu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started || d.stopped || (!succ && !pred && finger < 0) {
		return
	}
	now := time.Now()
	if d.goneAt == nil {
		d.goneAt = map[string]time.Time{}
	}
	d.goneAt[addr] = now.Add(goneFor)
	stab := d.stabilizeEvery()
	for i, t := range d.tasks {
		at := time.Time{}
		switch {
		case t.Every <= 0:
		case t.kind == stabilizeTask && succ, t.kind == checkPredecessorTask && pred:
			at = now
		case t.kind == fixFingersTask && finger >= 0:
			at = now.Add(time.Duration(r) * stab)
		case t.kind == otherTask && (succ || pred):
			at = now.Add(2 * stab)
		}
		if !at.IsZero() && at.Before(d.due[i]) {
			d.due[i] = at
		}
	}
	if !d.running {
		d.armLocked()
	}
}

// stabilizeEvery returns the base period of the node's stabilize round.
// Caller holds d.mu.
func (d *Driver) stabilizeEvery() time.Duration {
	for _, t := range d.tasks {
		if t.kind == stabilizeTask {
			return t.Every
		}
	}
	return 0
}

// retarget points fix_fingers at the first finger that still names a peer
// reported gone, and reports whether it found one, and which peer. It
// forgets peers gone for longer than goneFor, and those that have
// answered this node since the report (it was wrong, or the peer came
// back at the same address: a finger that names it is right again, and
// fix_fingers goes on with the others). Caller holds d.run (no round runs).
func (d *Driver) retarget(now time.Time) (bool, string) {
	d.mu.Lock()
	n := d.watch.n
	for a, until := range d.goneAt {
		if now.After(until) || n.answeredSince(a, until.Add(-goneFor)) {
			delete(d.goneAt, a)
		}
	}
	if len(d.goneAt) == 0 {
		d.mu.Unlock()
		return false, ""
	}
	gone := maps.Clone(d.goneAt)
	d.mu.Unlock()
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, f := range n.fingers {
		if _, ok := gone[f.Addr]; ok && !f.IsZero() {
			n.nextFinger = i
			return true, f.Addr
		}
	}
	return false, ""
}

// Periods returns each task's current period, in task order: its base
// (Task.Every) unless the driver has backed off.
func (d *Driver) Periods() []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Duration(nil), d.period...)
}

// Stop ends the timer and waits for a round in progress to finish (the
// round's ctx is cancelled so it finishes quickly). Stop is idempotent.
func (d *Driver) Stop() {
	d.mu.Lock()
	if !d.stopped {
		d.stopped = true
		d.end()
		if d.timer != nil {
			d.timer.Stop()
		}
	}
	unwatch := d.unwatch
	d.unwatch = nil
	d.mu.Unlock()
	if unwatch != nil {
		unwatch()
	}
	d.rounds.Wait()
}

// spreadLocked returns every spread by ±jitter. Caller holds d.mu.
func (d *Driver) spreadLocked(every time.Duration) time.Duration {
	f := 1 + d.jitter*(2*d.rng.Float64()-1)
	return time.Duration(float64(every) * f)
}

// coalesce moves a backed-off round's due time at up to the next multiple
// of a quarter of its period (a grid on the wall clock, the same for every
// node's driver): the rounds of an idle ring's nodes then fall due together,
// and the process wakes a few times a period instead of once per round of
// each node. A round at its base period (every) keeps its time.
func coalesce(at time.Time, every, period time.Duration) time.Time {
	grid := period / 4
	if period <= every || grid <= 0 {
		return at
	}
	if off := at.Sub(at.Truncate(grid)); off > 0 { // at's place in its slot of the grid
		return at.Add(grid - off) // keeps at's monotonic clock reading
	}
	return at
}

// armLocked sets the timer for the earliest due task. Caller holds d.mu,
// and no timer round is in progress (it arms the timer when it ends).
func (d *Driver) armLocked() {
	next := d.nextLocked()
	if next < 0 {
		return
	}
	at := d.due[next]
	if d.timer != nil && d.armedAt.Equal(at) {
		return
	}
	d.armedAt = at
	wait := time.Until(at)
	if d.timer == nil {
		d.timer = time.AfterFunc(wait, d.fire)
		return
	}
	d.timer.Reset(wait)
}

// nextLocked returns the task due first, or -1.
func (d *Driver) nextLocked() int {
	next := -1
	for i, t := range d.tasks {
		if t.Every > 0 && (next < 0 || d.due[i].Before(d.due[next])) {
			next = i
		}
	}
	return next
}

// fire runs on the timer's goroutine: it runs the task that is due (unless
// paused), reschedules it, and sets the timer for the next.
func (d *Driver) fire() {
	d.mu.Lock()
	if d.stopped || d.running {
		d.mu.Unlock()
		return
	}
	d.armedAt = time.Time{}
	next := d.nextLocked()
	if next < 0 {
		d.mu.Unlock()
		return
	}
	if wait := time.Until(d.due[next]); wait > 0 {
		d.armLocked() // woken early: the schedule moved
		d.mu.Unlock()
		return
	}
	d.running = true
	d.rounds.Add(1)
	d.mu.Unlock()
	defer d.rounds.Done()

	// Paused is read holding run, which Pause holds while it sets it: a
	// round either sees the pause or is waited for by Pause.
	d.run.Lock()
	d.mu.Lock()
	paused, ctx := d.paused, d.ctx
	d.mu.Unlock()
	changed, nextFinger, stale := false, 0, false
	if !paused {
		failed := d.tasks[next].run(ctx)
		if d.backoff > 1 {
			changed, nextFinger = d.watch.look()
			changed = changed || failed
		}
		if d.watch != nil {
			var peer string
			if stale, peer = d.retarget(time.Now()); stale && d.tasks[next].kind == fixFingersTask {
				// fix_fingers came to the finger and it still names the
				// peer: if the peer is back at its address (a revive
				// after a kill or a leave), it answers, and the next
				// look forgets it (retarget); if not, the call fails.
				_ = d.watch.n.ping(ctx, peer)
			}
		}
	}
	d.run.Unlock()

	d.mu.Lock()
	defer d.mu.Unlock()
	d.running = false
	if d.stopped {
		return
	}
	now := time.Now()
	every := d.tasks[next].Every
	if d.backoff > 1 && !paused {
		d.cycles.saw(nextFinger, d.tasks[next].kind == fixFingersTask)
	}
	switch {
	case changed:
		d.lastChange = now
		d.cycles.reset()
		for i, t := range d.tasks {
			if t.Every > 0 && d.period[i] != t.Every {
				d.period[i] = t.Every
				if at := now.Add(d.spreadLocked(t.Every)); at.Before(d.due[i]) {
					d.due[i] = at
				}
			}
		}
	case d.backoff > 1 && !paused && now.Sub(d.lastChange) >= d.settle &&
		(d.tasks[next].kind != fixFingersTask || d.cycles.full()):
		limit := d.backoff
		if m := d.tasks[next].maxBackoff; m > 0 {
			limit = min(limit, m)
		}
		d.period[next] = min(2*d.period[next], time.Duration(limit)*every)
	}
	d.due[next] = coalesce(now.Add(d.spreadLocked(d.period[next])), every, d.period[next])
	if stale { // a finger still names a peer gone: fix it soon, at the base pace
		for i, t := range d.tasks {
			if t.kind == fixFingersTask {
				d.period[i] = t.Every
				if at := now.Add(2 * d.stabilizeEvery()); at.Before(d.due[i]) {
					d.due[i] = at
				}
			}
		}
	}
	d.armLocked()
}
