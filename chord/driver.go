package chord

import (
	"context"
	"time"
)

// Task is one periodic maintenance round run by a Driver.
type Task struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context)
}

// NodeTasks returns the node's rounds (stabilize, fix_fingers,
// check_predecessor) at the intervals of its Config.
func NodeTasks(n *Node) []Task { return nil }

// Driver runs tasks on jittered tickers in one goroutine, which exits on Stop.
// It can be paused, resumed and stepped one round at a time.
type Driver struct{}

// NewDriver prepares a driver; seed makes its jitter reproducible.
func NewDriver(tasks []Task, jitter float64, seed int64) *Driver { return &Driver{} }

// Start launches the driver's goroutine.
func (d *Driver) Start() {}

// Pause stops running rounds until Resume; Step still works while paused.
func (d *Driver) Pause() {}

// Resume undoes Pause.
func (d *Driver) Resume() {}

// Paused reports whether the driver is paused.
func (d *Driver) Paused() bool { return false }

// Step runs every task once, in order, now.
func (d *Driver) Step(ctx context.Context) {}

// Stop ends the goroutine and waits for a round in progress to finish.
func (d *Driver) Stop() {}
