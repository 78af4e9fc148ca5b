package netmux

import "time"

// reapLoop retires idle and superseded sessions until Kill.
func (t *Transport) reapLoop() {
	defer t.wg.Done()
	tick := min(max(t.cfg.IdleTimeout/4, 5*time.Millisecond), time.Second)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		select {
		case <-t.done:
			return
		case now := <-ticker.C:
			idle, open := t.idleSessions(now, tick)
			for _, s := range idle {
				t.retire(s, true)
			}
			// A session keeps as many idle streams as it had calls in
			// flight at once during the last tick (at least one): a burst
			// grows its pool, and the pool shrinks once the burst is over.
			for _, s := range open {
				s.trimPool(int(max(1, s.peak.Swap(0))))
			}
		}
	}
}

// idleSessions returns the sessions to retire now: those that carried no
// call for IdleTimeout, and superseded ones (not preferred for their peer)
// that have been quiet for a tick. open are the others, whose pools of idle
// streams the caller trims (each pooled stream holds memory at both ends).
func (t *Transport) idleSessions(now time.Time, tick time.Duration) (out, open []*session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state.Load() != stateOpen {
		return nil, nil
	}
	for s := range t.sessions {
		if s.draining.Load() {
			continue
		}
		u := s.uses.Load()
		if u != s.lastUses || s.busy() || s.lastActive.IsZero() {
			s.lastUses, s.lastActive = u, now
			open = append(open, s)
			continue
		}
		quietFor := now.Sub(s.lastActive)
		superseded := !s.selfLoop && t.peers[s.peer] != s
		if quietFor >= t.cfg.IdleTimeout || (superseded && quietFor >= tick) {
			out = append(out, s)
		} else {
			open = append(open, s)
		}
	}
	return out, open
}

// retire takes s out of use and closes it once our own calls in flight on
// it are done. If notify is set (we decided to retire it), the peer is told
// with a go-away frame and closes its end once its calls are done; if it has
// not after CloseTimeout, we close ours as soon as we are not serving one of
// its calls. Without notify (the peer told us), we close as soon as our
// calls are done. The waiting runs on its own goroutine.
func (t *Transport) retire(s *session, notify bool) {
	if s.draining.Swap(true) && notify {
		return
	}
	t.unpeer(s)
	t.mu.Lock()
	if t.state.Load() == stateClosed {
		t.mu.Unlock()
		return
	}
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		giveUp := time.Now().Add(t.cfg.CallTimeout + t.cfg.CloseTimeout)
		// Our own calls in flight finish first (rare: s was idle or superseded).
		if !s.waitWhile(func() bool { return s.inflight.Load() > 0 }, giveUp) {
			return
		}
		if !notify {
			s.close()
			return
		}
		t.log.Debug("netmux: retiring idle session", "peer", s.peer)
		s.sendGoAway()
		closeBy := time.NewTimer(t.cfg.CloseTimeout)
		defer closeBy.Stop()
		select {
		case <-s.mux.CloseChan(): // the peer closed it: the normal end
			return
		case <-closeBy.C:
		}
		// The peer has not closed it: finish serving its calls, then close.
		t.log.Debug("netmux: peer did not close a retired session", "peer", s.peer)
		if s.waitWhile(func() bool { return s.serving.Load() > 0 }, giveUp) {
			s.close()
		}
	}()
}

// waitWhile polls cond until it is false (true), the session closes (false)
// or giveUp passes (the session is closed; false).
func (s *session) waitWhile(cond func() bool, giveUp time.Time) bool {
	if !cond() {
		return true
	}
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for cond() {
		if time.Now().After(giveUp) {
			s.close()
			return false
		}
		select {
		case <-s.mux.CloseChan():
			return false
		case <-poll.C:
		}
	}
	return true
}
