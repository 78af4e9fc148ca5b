package netmux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
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
			t.logRefusal(refusedBusy, raw.RemoteAddr(), "netmux: rejected connection",
				fmt.Sprintf("%d handshakes already pending", t.cfg.MaxPendingHandshakes))
			t.stats.rejected.Add(1) // after the line, as acceptConn counts
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
	peer, err := serverHandshake(conn, t.cfg.Key, &t.ring)
	if err != nil {
		unpend()
		// Logged, then counted: whoever sees the count sees the line.
		switch {
		case t.state.Load() != stateOpen:
		case errors.Is(err, errOtherRing):
			t.logRefusal(refusedRing, conn.RemoteAddr(), "netmux: refused a node of another ring", err.Error())
			t.stats.rejected.Add(1)
		case errors.Is(err, errAuth):
			t.logRefusal(refusedKey, conn.RemoteAddr(), "netmux: refused a connection for the cluster key", err.Error())
			t.stats.authRefused.Add(1)
		default:
			t.logRefusal(refusedProtocol, conn.RemoteAddr(), "netmux: rejected connection", err.Error())
			t.stats.rejected.Add(1)
		}
		_ = conn.Close()
		return
	}
	_ = conn.SetDeadline(time.Time{})
	unpend()
	s, err := t.newSession(conn, peer, peer, false)
	if err != nil {
		_ = conn.Close()
		return
	}
	s.selfLoop = peer == t.addr
	if !t.register(s) {
		_ = s.mux.Close()
		return
	}
	t.makeRoom(s)
}

// maxRefusedHosts bounds the (host, kind) pairs logRefusal remembers:
// past it, refusals of new ones are only counted, so no flood of source
// addresses grows the table or the log without bound.
const maxRefusedHosts = 1024

// Kinds of connections refused before a session starts, each logged once
// per peer host.
const (
	refusedBusy     = "busy"     // too many handshakes pending
	refusedProtocol = "protocol" // a bad handshake
	refusedKey      = "key"      // a wrong or missing cluster key
	refusedRing     = "ring"     // a node of another ring
)

// logRefusal logs a connection refused before its session started, once
// per peer host (its IP address, whatever the port) and kind; later ones
// are only counted (Stats.Rejected, Stats.AuthRefused).
func (t *Transport) logRefusal(kind string, remote net.Addr, msg, reason string) {
	host := remote.String()
	if h, _, e := net.SplitHostPort(host); e == nil {
		host = h
	}
	id := kind + " " + host
	t.refusedMu.Lock()
	_, seen := t.refusedFrom[id]
	full := len(t.refusedFrom) >= maxRefusedHosts
	if !seen && !full {
		t.refusedFrom[id] = struct{}{}
	}
	t.refusedMu.Unlock()
	if seen || full {
		return
	}
	t.log.Warn(msg+" (logged once per host, all counted)", "remote", remote.String(), "reason", reason)
}

// inStream is an incoming stream: the caller's requests on it are served
// in sequence, by a worker that serves it only while a request is there
// (no goroutine waits on an idle pooled stream).
type inStream struct {
	s    *session
	st   *yamux.Stream
	fr   frameReader
	busy atomic.Bool // a worker is serving the stream
}

// incoming takes a new stream from the session's receive loop (it must not
// block): its requests are served as they arrive (readable).
func (t *Transport) incoming(s *session, st *yamux.Stream) {
	if s.streamsIn.Add(1) > int64(t.cfg.MaxStreamsPerSession) {
		s.streamsIn.Add(-1)
		t.log.Warn("netmux: too many streams, refusing one", "peer", s.peer, "limit", t.cfg.MaxStreamsPerSession)
		t.spawn(func() { _ = st.Close() }) // a close writes; the receive loop must not
		return
	}
	in := &inStream{s: s, st: st, fr: frameReader{r: st, max: t.cfg.MaxFrameSize}}
	st.SetReadableHook(func() { t.readable(in) })
}

// readable runs on the receive loop when a request (or the stream's end)
// arrives: unless a worker is already serving the stream, it hands the
// stream to an idle worker of the transport, or starts one.
func (t *Transport) readable(in *inStream) {
	if !in.busy.CompareAndSwap(false, true) {
		return
	}
	select {
	case t.work <- in:
	default:
		if !t.spawn(func() { t.worker(in) }) {
			in.busy.Store(false)
		}
	}
}

// maxIdleWorkers is how many idle workers a transport keeps for the next
// requests (one that arrives when none is idle starts a new worker). A
// worker keeps the stack its handlers grew, which a goroutine started per
// request would have to grow again.
const maxIdleWorkers = 2

// worker serves in, then waits for other streams to serve as one of the
// transport's idle workers. It exits when maxIdleWorkers are already idle,
// or when the transport is killed.
func (t *Transport) worker(in *inStream) {
	for {
		t.serveStream(in)
		if t.idleWorkers.Add(1) > maxIdleWorkers {
			t.idleWorkers.Add(-1)
			return
		}
		select {
		case in = <-t.work:
			t.idleWorkers.Add(-1)
		case <-t.done:
			t.idleWorkers.Add(-1)
			return
		}
	}
}

// spawn runs f on a goroutine counted in t.wg, unless the transport has
// been killed (false): Kill waits for every goroutine it counts.
func (t *Transport) spawn(f func()) bool {
	t.mu.RLock()
	if t.state.Load() == stateClosed {
		t.mu.RUnlock()
		return false
	}
	t.wg.Add(1)
	t.mu.RUnlock()
	go func() {
		defer t.wg.Done()
		f()
	}()
	return true
}

// ended runs once when s has shut down (yamux's OnClose): it leaves the
// tables, and a connection lost without either side retiring it, while
// this transport is open, is a change its watchers hear of (OnChange).
// Not a session the peer dialled that carried no call: a dialler whose
// caller gave up during the handshake (its deadline passed before our
// answer was read) closes the connection so, and is as live as before.
func (t *Transport) ended(s *session) {
	t.forget(s)
	if s.draining.Load() || s.closing.Load() || t.state.Load() != stateOpen {
		return
	}
	if s.dialer != t.addr && s.uses.Load() == 0 {
		return
	}
	t.changed(s.peer)
}

// reject closes a session after a protocol violation, with a logged reason.
func (t *Transport) reject(s *session, reason error) {
	t.stats.rejected.Add(1)
	t.log.Warn("netmux: closing connection", "peer", s.peer, "remote", s.remote, "reason", reason.Error())
	s.close()
}

// serveStream serves the requests that have arrived on in, in sequence,
// and returns when none is left (or the stream has ended: it is closed).
func (t *Transport) serveStream(in *inStream) {
	for {
		if !t.serveOne(in) {
			in.s.streamsIn.Add(-1)
			_ = in.st.Close()
			return // busy stays set: the stream is done
		}
		in.busy.Store(false)
		// A request that arrived after the last read found busy set, so
		// its hook started nothing: serve it now unless another has.
		if !in.st.Readable() || !in.busy.CompareAndSwap(false, true) {
			return
		}
	}
}

// serveOne reads one frame from in and, if it is a request, answers it. It
// returns false when the stream has ended (the caller discarded it, the
// session ended, a go-away, a protocol violation).
func (t *Transport) serveOne(in *inStream) bool {
	s, st := in.s, in.st
	armed := false
	started := func() { // the header is in, the rest of the frame is not
		armed = true
		_ = st.SetReadDeadline(time.Now().Add(t.cfg.ReadTimeout))
	}
	kind, body, err := in.fr.next(started)
	if armed {
		_ = st.SetReadDeadline(time.Time{})
	}
	if err != nil {
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, yamux.ErrConnectionReset),
			errors.Is(err, yamux.ErrSessionShutdown), errors.Is(err, yamux.ErrStreamClosed):
			// The caller discarded the stream, or the session ended.
		case s.closing.Load():
			// We are closing the session.
		case errors.Is(err, yamux.ErrTimeout):
			t.reject(s, fmt.Errorf("frame not completed within %v", t.cfg.ReadTimeout))
		default:
			t.reject(s, err)
		}
		return false
	}
	switch kind {
	case kindRequest:
	case kindGoAway:
		// The peer will not use this session again: finish our own calls
		// on it, then close it.
		t.log.Debug("netmux: peer retired the session", "peer", s.peer)
		t.retire(s, false)
		return false
	default:
		t.reject(s, fmt.Errorf("%w: unexpected frame kind %d from a caller", errProtocol, kind))
		return false
	}
	method, timeoutMicros, payload, _ := parseRequest(body)
	if t.faults.pausedFor(t.addr, method) {
		// Paused: read, never answer. The stream is acknowledged, as an
		// answer would have done, so the caller keeps its session.
		_ = st.Accept()
		return true
	}
	s.serving.Add(1)
	defer s.serving.Add(-1)
	s.touch()
	reply, expired, herr := t.handle(method, timeoutMicros, payload)
	if expired && herr != nil {
		// The caller's deadline (which the handler's ctx carried) has
		// passed: it is no longer waiting, and an error reply racing its
		// timer would hide the timeout. Send nothing.
		t.stats.served.Add(1)
		return true
	}
	var out *[]byte
	switch {
	case herr != nil:
		msg := herr.Error()
		if len(msg) > t.cfg.MaxFrameSize {
			msg = msg[:t.cfg.MaxFrameSize]
		}
		out = getBuf(frameHeaderSize + len(msg))
		*out = appendFrame((*out)[:0], kindError, []byte(msg))
	case len(reply) > t.cfg.MaxFrameSize:
		t.log.Warn("netmux: reply too large", "method", method, "bytes", len(reply), "limit", t.cfg.MaxFrameSize)
		out = getBuf(256)
		*out = appendFrame((*out)[:0], kindError, fmt.Appendf(nil, "reply of %d bytes exceeds the %d-byte frame limit", len(reply), t.cfg.MaxFrameSize))
	default:
		out = getBuf(frameHeaderSize + len(reply))
		*out = appendFrame((*out)[:0], kindReply, reply)
	}
	_ = st.SetWriteDeadline(time.Now().Add(t.cfg.ReadTimeout))
	t.stats.served.Add(1) // before the write, so a caller that has its reply sees it counted
	_, werr := st.Write(*out)
	putBuf(out)
	if len(body) > 64<<10 {
		st.Shrink() // let go of the receive buffer a large request grew
	}
	return werr == nil
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
		rc := newRequestCtx(ctx, time.Now().Add(time.Duration(timeoutMicros)*time.Microsecond))
		defer rc.finish()
		ctx = rc
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
