package dht

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Shared reads. Many clients reading one hot key through one node (the
// RESP endpoint under redis-benchmark) each need the same read. While a
// GetDirect read of a key is under way, the gets of that key that arrive
// wait for it to end and then share one new read, started after all of
// them arrived: each is answered by a read that began after it was made
// and ended before it returns, as if it had read alone, so no guarantee
// changes. A key with no read under way reads at once, in the caller's
// goroutine, so a quiet node reads exactly as before.

// readFlights holds, per key, whether a shared read is under way and the
// gets waiting for the next one.
type readFlights struct {
	mu   sync.Mutex
	keys map[string]*keyFlight
}

type keyFlight struct {
	next *readGroup // the gets waiting for the read under way to end; nil if none
}

// readGroup is the gets that share one read.
type readGroup struct {
	members  int
	deadline time.Time // the latest of the members' (zero: one has none)
	ctx      context.Context
	done     chan struct{} // closed once res and err are set
	res      GetResult
	err      error
}

// shared runs read for key now if no read of key is under way, and else
// waits for the next read of key, shared with the gets that arrive
// meanwhile. ctx bounds only this caller's wait; the shared read runs
// until the latest of its members' deadlines.
func (f *readFlights) shared(ctx context.Context, key string, read func(context.Context) (GetResult, error)) (GetResult, error) {
	f.mu.Lock()
	if f.keys == nil {
		f.keys = map[string]*keyFlight{}
	}
	kf := f.keys[key]
	if kf == nil {
		kf = &keyFlight{}
		f.keys[key] = kf
		f.mu.Unlock()
		res, err := read(ctx)
		f.next(key, kf, read)
		return res, err
	}
	g := kf.next
	if g == nil {
		g = &readGroup{ctx: context.WithoutCancel(ctx), done: make(chan struct{})}
		kf.next = g
	}
	g.join(ctx)
	f.mu.Unlock()
	select {
	case <-g.done:
		res := g.res
		res.Value = slices.Clone(res.Value) // the members' own copies
		return res, g.err
	case <-ctx.Done():
		return GetResult{}, ctx.Err()
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

// next is called as a read of key ends: it starts the read of the gets
// that waited meanwhile, in a goroutine that goes on with the next group
// while gets wait and exits when none do (each read bounded by its
// members' latest deadline).
func (f *readFlights) next(key string, kf *keyFlight, read func(context.Context) (GetResult, error)) {
	g := f.take(key, kf)
	if g == nil {
		return
	}
	go func() { // exits when no get waits for a read of key
		for g != nil {
			ctx, cancel := g.ctx, context.CancelFunc(func() {})
			if !g.deadline.IsZero() {
				ctx, cancel = context.WithDeadline(g.ctx, g.deadline)
			}
			g.res, g.err = read(ctx)
			cancel()
			close(g.done)
			g = f.take(key, kf)
		}
	}()
}

// take returns the group waiting for the next read of key, or with none
// ends key's flight and returns nil.
func (f *readFlights) take(key string, kf *keyFlight) *readGroup {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := kf.next
	kf.next = nil
	if g == nil {
		delete(f.keys, key)
	}
	return g
}
