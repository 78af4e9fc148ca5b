package chord

import (
	"context"
	"math/rand"
	"sync"
	"time"
)

// Task is one periodic maintenance round run by a Driver.
type Task struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context)
}

// NodeTasks returns the node's rounds (stabilize, fix_fingers,
// check_predecessor) at the intervals of its Config. Round errors are not
// returned: failures show up as events and in the node's state.
func NodeTasks(n *Node) []Task {
	return []Task{
		{Name: "stabilize", Every: n.cfg.StabilizeInterval, Run: func(ctx context.Context) { _ = n.Stabilize(ctx) }},
		{Name: "fix_fingers", Every: n.cfg.FixFingersInterval, Run: func(ctx context.Context) { _ = n.FixFingers(ctx) }},
		{Name: "check_predecessor", Every: n.cfg.CheckPredecessorInterval, Run: func(ctx context.Context) { _ = n.CheckPredecessor(ctx) }},
	}
}

// Driver runs tasks on jittered tickers in one goroutine, which exits on Stop.
// It can be paused, resumed and stepped one round at a time. Rounds never
// overlap: timer rounds and Step take turns.
type Driver struct {
	tasks  []Task
	jitter float64

	run sync.Mutex // held while a round runs

	mu      sync.Mutex
	rng     *rand.Rand
	paused  bool
	started bool
	stopped bool
	stop    chan struct{} // closed by Stop
	done    chan struct{} // closed when the goroutine exits
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
	return &Driver{
		tasks:  append([]Task(nil), tasks...),
		jitter: jitter,
		rng:    rand.New(rand.NewSource(seed)),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
}

// Start launches the driver's goroutine. It exits when Stop is called.
// Starting twice, or after Stop, does nothing.
func (d *Driver) Start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.stopped {
		return
	}
	d.started = true
	go d.loop()
}

// Pause stops running rounds until Resume; Step still works while paused.
func (d *Driver) Pause() {
	d.mu.Lock()
	d.paused = true
	d.mu.Unlock()
}

// Resume undoes Pause.
func (d *Driver) Resume() {
	d.mu.Lock()
	d.paused = false
	d.mu.Unlock()
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
	for _, t := range d.tasks {
		if ctx.Err() != nil {
			return
		}
		t.Run(ctx)
	}
}

// Do runs round now as one more round of this driver's node: it waits for
// a round in progress to finish first, and the driver's own rounds wait
// for it, so rounds never overlap. For a caller that speeds up maintenance
// at a moment it knows matters (the cluster while a ring forms).
func (d *Driver) Do(ctx context.Context, round func(ctx context.Context)) {
	d.run.Lock()
	defer d.run.Unlock()
	if ctx.Err() == nil {
		round(ctx)
	}
}

// Stop ends the goroutine and waits for a round in progress to finish (the
// round's ctx is cancelled so it finishes quickly). Stop is idempotent.
func (d *Driver) Stop() {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		<-d.done
		return
	}
	d.stopped = true
	started := d.started
	close(d.stop)
	d.mu.Unlock()
	if started {
		<-d.done
	} else {
		close(d.done)
	}
}

// period returns every spread by ±jitter.
func (d *Driver) period(every time.Duration) time.Duration {
	d.mu.Lock()
	f := 1 + d.jitter*(2*d.rng.Float64()-1)
	d.mu.Unlock()
	return time.Duration(float64(every) * f)
}

// loop is the driver goroutine: it sleeps until the earliest task is due,
// runs it unless paused, and reschedules it. It exits when stop is closed.
func (d *Driver) loop() {
	defer close(d.done)
	ctx, cancel := context.WithCancel(context.Background())
	watcher := make(chan struct{})
	defer func() { cancel(); <-watcher }()
	go func() { // cancels an in-progress round on Stop; exits before the loop does
		defer close(watcher)
		select {
		case <-d.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	now := time.Now()
	due := make([]time.Time, len(d.tasks))
	for i, t := range d.tasks {
		if t.Every > 0 {
			due[i] = now.Add(d.period(t.Every))
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := -1
		for i, t := range d.tasks {
			if t.Every > 0 && (next < 0 || due[i].Before(due[next])) {
				next = i
			}
		}
		if next < 0 {
			<-d.stop
			return
		}
		timer.Reset(time.Until(due[next]))
		select {
		case <-d.stop:
			return
		case <-timer.C:
		}
		if !d.Paused() {
			d.run.Lock()
			d.tasks[next].Run(ctx)
			d.run.Unlock()
		}
		due[next] = time.Now().Add(d.period(d.tasks[next].Every))
	}
}
