package dht

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Shared reads. Many clients reading one hot key through one node (the
// RESP endpoint under redis-benchmark) each need the same read. While a
// GetDirect read of a key is under way, the gets of that key that arrive
// wait and then share one new read, started after all of them arrived:
// each is answered by a read that began after it was made and ended
// before it returns, as if it had read alone, so no guarantee changes.
// The new read starts when the one under way ends, or an eighth of a call
// deadline after the first of them arrived if that is sooner (as a batch
// waits, batch.go), so a slow read does not hold the next one back. A key
// with no read under way reads at once, in the caller's goroutine, so a
// quiet node reads exactly as before.

// readFlights holds, per key, the shared reads under way and the gets
// waiting for the next one.
type readFlights struct {
	mu   sync.Mutex
	keys map[string]*keyFlight
}

type keyFlight struct {
	reads int        // reads of the key under way
	next  *readGroup // the gets waiting for the next read; nil if none (then reads > 0)
}

// readGroup is the gets that share one read.
type readGroup struct {
	read     func(context.Context) (GetResult, error)
	members  int
	deadline time.Time // the latest of the members' (zero: one has none)
	ctx      context.Context
	timer    *time.Timer   // starts the read after the longest wait
	done     chan struct{} // closed once res and err are set
	res      GetResult
	err      error
}

// shared runs read for key now if no read of key is under way, and else
// waits for the next read of key, shared with the gets that arrive
// meanwhile, which starts at most maxWait after the first of them. ctx
// bounds only this caller's wait; a shared read runs until the latest of
// its members' deadlines.
func (f *readFlights) shared(ctx context.Context, key string, maxWait time.Duration, read func(context.Context) (GetResult, error)) (GetResult, error) {
	f.mu.Lock()
	if f.keys == nil {
		f.keys = map[string]*keyFlight{}
	}
	kf := f.keys[key]
	if kf == nil {
		kf = &keyFlight{}
		f.keys[key] = kf
	}
	if kf.reads == 0 {
		kf.reads++
		f.mu.Unlock()
		defer f.ended(key, kf) // also if read panics: the key is never left blocked
		return read(ctx)
	}
	g := kf.next
	if g == nil {
		g = &readGroup{read: read, ctx: context.WithoutCancel(ctx), done: make(chan struct{})}
		kf.next = g
		g.timer = time.AfterFunc(maxWait, func() { f.startWaiting(key, kf, g) }) // exits at once, or after g's read
	}
	g.join(ctx)
	f.mu.Unlock()
	select {
	case <-g.done:
		res := g.res
		res.Value = slices.Clone(res.Value) // the members' own copies
		return res, g.err
	case <-ctx.Done():
		return GetResult{}, fmt.Errorf("get %q: waiting for a read of it under way to end: %w", key, ctx.Err())
	}
}

// join adds a member with ctx's deadline to g (under readFlights.mu).
func (g *readGroup) join(ctx context.Context) {
	d, ok := ctx.Deadline()
	switch {
	case g.members == 0:
		g.deadline = d
	case !ok || g.deadline.IsZero():
		g.deadline = time.Time{}
	case d.After(g.deadline):
		g.deadline = d
	}
	g.members++
}

// ended is called as a read of key ends: it starts the read of the gets
// that waited meanwhile, if any, or forgets the key when no read is left.
func (f *readFlights) ended(key string, kf *keyFlight) {
	f.mu.Lock()
	kf.reads--
	g := kf.next
	if g != nil {
		kf.next = nil
		kf.reads++
		g.timer.Stop()
	} else if kf.reads == 0 {
		delete(f.keys, key)
	}
	f.mu.Unlock()
	if g != nil {
		go f.run(key, kf, g) // exits when g's read returns (bounded by its deadline)
	}
}

// startWaiting starts g's read if g still waits: the longest wait is over.
func (f *readFlights) startWaiting(key string, kf *keyFlight, g *readGroup) {
	f.mu.Lock()
	if kf.next != g {
		f.mu.Unlock()
		return
	}
	kf.next = nil
	kf.reads++
	f.mu.Unlock()
	f.run(key, kf, g)
}

// run reads for g's members, taken off kf.next after all of them joined.
// A panic in the read fails them all rather than the process.
func (f *readFlights) run(key string, kf *keyFlight, g *readGroup) {
	defer f.ended(key, kf)
	defer func() {
		if r := recover(); r != nil {
			g.err = fmt.Errorf("get %q: internal error: %v", key, r)
			close(g.done)
		}
	}()
	ctx, cancel := g.ctx, context.CancelFunc(func() {})
	if !g.deadline.IsZero() {
		ctx, cancel = context.WithDeadline(g.ctx, g.deadline)
	}
	defer cancel()
	g.res, g.err = g.read(ctx)
	close(g.done)
}
