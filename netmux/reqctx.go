package netmux

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// requestCtx is a handler's context: the transport's lifetime with the
// deadline the request carried. Most handlers only read the deadline, or
// not even that, so the timer and the link to the lifetime that
// context.WithDeadline makes are made only when something asks for Done
// (a handler that waits, calls on, or derives a context of its own).
type requestCtx struct {
	parent   context.Context
	deadline time.Time
	mu       sync.Mutex  // held while Done makes ctx, and by finish
	made     atomic.Bool // ctx and cancel are set
	finished atomic.Bool // the handler returned: c is cancelled
	ctx      context.Context
	cancel   context.CancelFunc
}

var _ context.Context = (*requestCtx)(nil)

func newRequestCtx(parent context.Context, deadline time.Time) *requestCtx {
	return &requestCtx{parent: parent, deadline: deadline}
}

func (c *requestCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *requestCtx) Done() <-chan struct{} {
	if !c.made.Load() {
		c.mu.Lock()
		if !c.made.Load() {
			if c.finished.Load() { // asked after the handler returned
				c.ctx, c.cancel = context.WithCancel(c.parent)
				c.cancel()
			} else {
				c.ctx, c.cancel = context.WithDeadline(c.parent, c.deadline)
			}
			c.made.Store(true)
		}
		c.mu.Unlock()
	}
	return c.ctx.Done()
}

func (c *requestCtx) Err() error {
	if c.made.Load() {
		return c.ctx.Err()
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if c.finished.Load() {
		return context.Canceled
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value answers from the context Done made, once made: contexts derived
// from c then find its cancellation there and join it directly.
func (c *requestCtx) Value(key any) any {
	if c.made.Load() {
		return c.ctx.Value(key)
	}
	return c.parent.Value(key)
}

// finish cancels c when the handler returns, as the cancel function of
// context.WithDeadline would: what the handler left running sees Done
// closed and Err Canceled. It stops the timer, if Done made one.
func (c *requestCtx) finish() {
	c.mu.Lock()
	c.finished.Store(true)
	made := c.made.Load()
	c.mu.Unlock()
	if made {
		c.cancel()
	}
}
