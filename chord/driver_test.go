package chord_test

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
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
