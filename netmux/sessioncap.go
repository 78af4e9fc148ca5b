package netmux

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/chordtui/chordtui/netmux/internal/yamux"
)

// makeRoom keeps the transport within Config.MaxSessions. While the live
// sessions (not retired) plus the dials in progress exceed the cap, it
// retires the least recently used idle session with a go-away, exactly as
// idle reaping does, so no call fails because of it. keep (a session just
// accepted, or nil) is never chosen, nor is a session with a call in flight
// in either direction, one that has not carried a call yet, or one used
// within Config.EvictAfter: when nothing qualifies the transport stays over
// the cap (it is soft).
func (t *Transport) makeRoom(keep *session) {
	limit := t.cfg.MaxSessions
	if limit <= 0 {
		return
	}
	var victims []*session
	usedBefore := t.sinceEpoch() - int64(t.cfg.EvictAfter)
	t.mu.Lock()
	if t.state.Load() != stateOpen {
		t.mu.Unlock()
		return
	}
	live := len(t.dials)
	for s := range t.sessions {
		if !s.draining.Load() && !s.mux.IsClosed() {
			live++
		}
	}
	for ; live > limit; live-- {
		var lru *session
		for s := range t.sessions {
			if s == keep || s.draining.Load() || s.busy() || s.uses.Load() == 0 ||
				s.lastUsed.Load() > usedBefore || slices.Contains(victims, s) {
				continue
			}
			if lru == nil || s.lastUsed.Load() < lru.lastUsed.Load() {
				lru = s
			}
		}
		if lru == nil {
			break
		}
		victims = append(victims, lru)
	}
	t.mu.Unlock()
	for _, s := range victims {
		t.stats.evicted.Add(1)
		t.log.Debug("netmux: retiring the least recently used idle session", "peer", s.peer, "max_sessions", limit)
		t.retire(s, true)
	}
}

// sinceEpoch is the monotonic time since the transport started, in
// nanoseconds: the clock of session use.
func (t *Transport) sinceEpoch() int64 { return int64(time.Since(t.epoch)) }

// probeIfTimedOut runs when a call on s ran out of time (err is the
// reason). With keep-alive pings off, it is what tells a slow peer from a
// dead connection: one yamux ping, answered by the peer's receive loop
// however busy its handlers are, bounded by KeepAliveTimeout; no answer
// closes s, so later calls dial afresh instead of timing out on a half-open
// connection. At most one probe per session runs at a time.
func (s *session) probeIfTimedOut(err error) {
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, yamux.ErrTimeout) {
		return
	}
	t := s.t
	if t.cfg.KeepAliveInterval > 0 || s.mux.IsClosed() || !s.probing.CompareAndSwap(false, true) {
		return
	}
	t.mu.Lock()
	if t.state.Load() == stateClosed {
		t.mu.Unlock()
		s.probing.Store(false)
		return
	}
	t.wg.Add(1)
	t.mu.Unlock()
	// Exits when the ping is answered, after KeepAliveTimeout, or when the
	// session closes (Kill closes every session).
	go func() {
		defer t.wg.Done()
		defer s.probing.Store(false)
		if _, err := s.mux.Ping(); err != nil && !s.mux.IsClosed() {
			t.log.Warn("netmux: no answer to a ping after a call timed out, closing the session", "peer", s.peer, "err", err)
			s.close()
		}
	}()
}
