package netmux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/chordtui/chordtui/netmux/internal/yamux"
)

// acceptLoop accepts connections until the listener is closed (by Close or
// Kill), handing each to a handshake goroutine.
func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	for {
		raw, err := t.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || t.state.Load() != stateOpen {
				return
			}
			t.log.Warn("netmux: accept failed", "err", err)
			select { // e.g. out of file descriptors: back off briefly
			case <-t.done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		conn := newCountingConn(raw, &t.stats)
		t.mu.Lock()
		if t.state.Load() != stateOpen {
			t.mu.Unlock()
			_ = raw.Close()
			return
		}
		if len(t.pending) >= t.cfg.MaxPendingHandshakes {
			t.mu.Unlock()
			t.stats.rejected.Add(1)
			t.log.Warn("netmux: rejected connection", "remote", raw.RemoteAddr().String(),
				"reason", fmt.Sprintf("%d handshakes already pending", t.cfg.MaxPendingHandshakes))
			_ = raw.Close()
			continue
		}
		t.pending[raw] = struct{}{}
		t.wg.Add(1)
		t.mu.Unlock()
		go t.acceptConn(conn)
	}
}

// acceptConn runs the server side of the handshake on one accepted
// connection and, if it succeeds, registers the session. It returns when the
// handshake is over.
func (t *Transport) acceptConn(conn *countingConn) {
	defer t.wg.Done()
	unpend := func() {
		t.mu.Lock()
		delete(t.pending, conn.Conn)
		t.mu.Unlock()
	}
	_ = conn.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	peer, err := serverHandshake(conn)
	if err != nil {
		unpend()
		if t.state.Load() == stateOpen {
			t.stats.rejected.Add(1)
			t.log.Warn("netmux: rejected connection", "remote", conn.RemoteAddr().String(), "reason", err.Error())
		}
		_ = conn.Close()
		return
	}
	_ = conn.SetDeadline(time.Time{})
	unpend()
	mux, err := yamux.Server(conn, t.ymx)
	if err != nil {
		_ = conn.Close()
		return
	}
	s := t.newSession(mux, peer, peer)
	s.selfLoop = peer == t.addr
	if !t.register(s) {
		_ = mux.Close()
		return
	}
	t.makeRoom(s)
}

// serveSession accepts incoming streams on s until the session ends, one
// goroutine per stream; then it removes s from the tables.
func (t *Transport) serveSession(s *session) {
	defer t.wg.Done()
	defer t.forget(s)
	for {
		st, err := s.mux.AcceptStream()
		if err != nil {
			return
		}
		if s.streamsIn.Add(1) > int64(t.cfg.MaxStreamsPerSession) {
			s.streamsIn.Add(-1)
			t.log.Warn("netmux: too many streams, refusing one", "peer", s.peer, "limit", t.cfg.MaxStreamsPerSession)
			_ = st.Close()
			continue
		}
		s.track(st, true)
		t.wg.Add(1)
		go t.serveStream(s, st)
	}
}

// reject closes a session after a protocol violation, with a logged reason.
func (t *Transport) reject(s *session, reason error) {
	t.stats.rejected.Add(1)
	t.log.Warn("netmux: closing connection", "peer", s.peer, "remote", s.remote, "reason", reason.Error())
	s.close()
}

// serveStream answers requests on one stream, strictly in sequence, until
// the caller closes the stream or the session ends.
func (t *Transport) serveStream(s *session, st *yamux.Stream) {
	defer t.wg.Done()
	defer s.streamsIn.Add(-1)
	defer s.track(st, false)
	defer st.Close()
	fr := frameReader{r: st, max: t.cfg.MaxFrameSize}
	var out []byte
	armed := false
	started := func() { // the header is in, the rest of the frame is not
		armed = true
		_ = st.SetReadDeadline(time.Now().Add(t.cfg.ReadTimeout))
	}
	for {
		if armed {
			armed = false
			_ = st.SetReadDeadline(time.Time{})
		}
		kind, body, err := fr.next(started)
		if err != nil {
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, yamux.ErrConnectionReset),
				errors.Is(err, yamux.ErrSessionShutdown), errors.Is(err, yamux.ErrStreamClosed):
				// The caller discarded the stream, or the session ended.
			case s.closing.Load():
				// We are closing the session and woke this reader.
			case errors.Is(err, yamux.ErrTimeout):
				t.reject(s, fmt.Errorf("frame not completed within %v", t.cfg.ReadTimeout))
			default:
				t.reject(s, err)
			}
			return
		}
		switch kind {
		case kindRequest:
		case kindGoAway:
			// The peer will not use this session again: finish our own calls
			// on it, then close it.
			t.log.Debug("netmux: peer retired the session", "peer", s.peer)
			t.retire(s, false)
			return
		default:
			t.reject(s, fmt.Errorf("%w: unexpected frame kind %d from a caller", errProtocol, kind))
			return
		}
		method, timeoutMicros, payload, _ := parseRequest(body)
		if len(body) > 64<<10 {
			st.Shrink() // let go of the receive buffer a large request grew
		}
		if t.faults.isPaused(t.addr) {
			continue // paused: read, never answer
		}
		s.serving.Add(1)
		s.touch()
		reply, expired, herr := t.handle(method, timeoutMicros, payload)
		if expired && herr != nil {
			// The caller's deadline (which the handler's ctx carried) has
			// passed: it is no longer waiting, and an error reply racing
			// its timer would hide the timeout. Send nothing.
			t.stats.served.Add(1)
			s.serving.Add(-1)
			continue
		}
		out = out[:0]
		switch {
		case herr != nil:
			msg := herr.Error()
			if len(msg) > t.cfg.MaxFrameSize {
				msg = msg[:t.cfg.MaxFrameSize]
			}
			out = appendFrame(out, kindError, []byte(msg))
		case len(reply) > t.cfg.MaxFrameSize:
			t.log.Warn("netmux: reply too large", "method", method, "bytes", len(reply), "limit", t.cfg.MaxFrameSize)
			out = appendFrame(out, kindError, fmt.Appendf(nil, "reply of %d bytes exceeds the %d-byte frame limit", len(reply), t.cfg.MaxFrameSize))
		default:
			out = appendFrame(out, kindReply, reply)
		}
		_ = st.SetWriteDeadline(time.Now().Add(t.cfg.ReadTimeout))
		t.stats.served.Add(1) // before the write, so a caller that has its reply sees it counted
		_, werr := st.Write(out)
		s.serving.Add(-1)
		if werr != nil {
			return
		}
		if cap(out) > 64<<10 {
			out = nil // do not pin a large buffer to an idle stream
		}
	}
}

// handle runs the handler for one request, turning a panic into an error
// reply so that nothing a peer sends can crash the node. expired reports
// that the caller's deadline had passed when the handler returned.
func (t *Transport) handle(method string, timeoutMicros uint32, req []byte) (reply []byte, expired bool, err error) {
	hp := t.handler.Load()
	if hp == nil {
		return nil, false, errors.New("no handler: the node is not serving calls yet")
	}
	ctx := t.lifetime
	if timeoutMicros > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(timeoutMicros)*time.Microsecond)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			t.log.Error("netmux: handler panicked", "method", method, "panic", fmt.Sprint(r))
			reply, err = nil, fmt.Errorf("handler for %s panicked: %v", method, r)
		}
		expired = errors.Is(ctx.Err(), context.DeadlineExceeded)
	}()
	reply, err = (*hp)(ctx, method, req)
	return reply, false, err
}
