package dht

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"
)

// The fence (docs/load.md, rule 6): a node that writes a key in place of
// its owner (a stand-in, or a proxy not ready yet) cannot revoke the
// leases the owner grants while the write is under way, if the owner is
// alive but out of its reach. So before its grace wait it fences the key
// at every node it may write to: while fenced, a holder answers reads of
// the key as usual but marks the answer, and a get whose round read a
// fenced copy keeps no lease from that round. The stand-in counts its
// one-lease wait from the moment every fence is acknowledged and writes
// only to the nodes that acknowledged, before its deadline, which the
// fences outlast. Any lease the owner grants on an answer read from those
// nodes after the fence was up is not kept, and any read earlier was
// counted from before the fence acks, so it ends before the write is
// visible.

// cmdFence is stand-in → holder: fence a key for a while.
const cmdFence = "dht.fence"

// maxFence bounds a fence read off the wire.
const maxFence = time.Hour

// fenceTable holds the keys a node has fenced, each until when.
type fenceTable struct {
	mu    sync.Mutex
	until map[string]time.Time
}

// set fences key until end (a later fence of the key extends it); false
// when the table is full.
func (f *fenceTable) set(key string, end, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.until == nil {
		f.until = map[string]time.Time{}
	}
	if _, ok := f.until[key]; !ok && len(f.until) >= maxLeasedKeys {
		maps.DeleteFunc(f.until, func(_ string, e time.Time) bool { return !now.Before(e) })
		if len(f.until) >= maxLeasedKeys {
			return false
		}
	}
	if end.After(f.until[key]) {
		f.until[key] = end
	}
	return true
}

// on reports whether key is fenced now.
func (f *fenceTable) on(key string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	end, ok := f.until[key]
	if ok && !now.Before(end) {
		delete(f.until, key)
		return false
	}
	return ok
}

// fencing reports whether a stand-in's write must fence its key: the cache
// is on, or was less than a lease ago (beforeWrite's condition for the
// stand-in's grace wait).
func (s *Store) fencing() bool {
	c := s.cache
	now := s.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.on || now.Sub(c.offAt) < c.cfg.lease()
}

// fenceDeadline bounds a stand-in's write: ctx's deadline, or when ctx
// has none, two leases and a set's call time from now. The fences last one
// lease past it, for a push still on its way when the write gives up.
func (s *Store) fenceDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	d := 2*s.cache.cfg.lease() + time.Duration(s.cfg.Replicas+1)*s.rpc
	return context.WithTimeout(ctx, d)
}

// fence fences key here and at this node's successors (ctx must have a
// deadline: fenceDeadline) and returns the nodes that acknowledged, this
// one included: the only ones the write may go to. It fails when fewer of
// them than the write needs (r-1, or r when this node's copy does not
// count: self false) acknowledged.
func (s *Store) fence(ctx context.Context, key string, self bool) (map[string]bool, error) {
	deadline, _ := ctx.Deadline()
	d := time.Until(deadline) + s.cache.cfg.lease()
	now := s.now()
	fenced := map[string]bool{}
	if s.fences.set(key, now.Add(d), now) {
		fenced[s.self.Addr] = true
	}
	walk := s.newWalk(s.node.Successors(), s.self.Addr)
	want := min(s.cfg.Replicas-btoi(self), len(walk.queue))
	to := distinctExcept(s.node.Successors(), s.self)
	req := fenceReq{Key: key, For: d}.encode()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, h := range to {
		wg.Add(1)
		go func() { // exits when its call returns (bounded by the RPC timeout)
			defer wg.Done()
			reply, err := s.call(ctx, h, cmdFence, req)
			if err == nil {
				var m replyHead
				if m, err = decodeHeadPrefix(reply); err == nil && m.Status == statusOK {
					mu.Lock()
					fenced[h.Addr] = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	n := 0
	for _, h := range walk.queue {
		if fenced[h.Addr] {
			n++
		}
	}
	if n < want {
		return nil, fmt.Errorf("write of %q: %d of %d holders acknowledged its fence", key, n, want)
	}
	return fenced, nil
}

// fenced reports whether this node's copy of key is fenced now.
func (s *Store) fenced(key string) bool { return s.fences.on(key, s.now()) }

// handleFence serves dht.fence: mark this node's answers to reads of the
// key as fenced for the time asked.
func (s *Store) handleFence(_ context.Context, b []byte) ([]byte, error) {
	m, err := decodeFenceReq(b, s.lim)
	if err != nil {
		return replyHeadOnly(invalid(err)), nil
	}
	if h, ok := s.memberHead(accessInfo); !ok {
		return replyHeadOnly(h), nil
	}
	now := s.now()
	if !s.fences.set(m.Key, now.Add(m.For), now) {
		return replyHeadOnly(replyHead{Status: statusUnavailable, Msg: "too many keys fenced"}), nil
	}
	return replyHeadOnly(replyHead{}), nil
}

// fenceReq names the key to fence and for how long.
type fenceReq struct {
	Key string
	For time.Duration
}

func (m fenceReq) encode() []byte {
	var e encoder
	e.str(m.Key)
	e.uvarint(uint64(max(m.For, 0)))
	return e.b
}

func decodeFenceReq(b []byte, lim limits) (fenceReq, error) {
	d := decoder{b: b}
	m := fenceReq{Key: d.str(lim.key), For: time.Duration(min(d.uvarint(), uint64(maxFence)))}
	return m, d.finish()
}

// fencedOnly restricts a write's walk to the nodes that acknowledged its
// fence (nil: no restriction).
func (w *succWalk) fencedOnly(only map[string]bool) {
	if only == nil {
		return
	}
	w.only = only
	q := w.queue[:0]
	for _, n := range w.queue {
		if only[n.Addr] {
			q = append(q, n)
		}
	}
	w.queue = q
}
