package netmux

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/netmux/internal/yamux"
)

// session is one yamux session to a peer, used for calls in both directions.
type session struct {
	t        *Transport
	mux      *yamux.Session
	peer     string // the peer's listen address
	dialer   string // listen address of the side that dialled
	remote   string // the TCP address of the other end, for logs
	selfLoop bool   // our own dialled connection seen from the accepting side

	sem    chan struct{} // bounds our calls in flight on the session
	poolMu sync.Mutex
	pool   []*yamux.Stream // idle streams for reuse, most recent last

	inflight  atomic.Int64  // our calls using the session now
	peak      atomic.Int64  // most of our calls in flight at once since the reaper's last tick
	serving   atomic.Int64  // incoming requests being handled now
	streamsIn atomic.Int64  // incoming streams open now
	uses      atomic.Uint64 // calls made and served, ever
	lastUsed  atomic.Int64  // Transport.sinceEpoch at the latest call made or served
	probing   atomic.Bool   // a liveness ping is under way
	draining  atomic.Bool   // retired: no new calls use it
	closing   atomic.Bool   // close has begun

	// Reaper bookkeeping, guarded by Transport.mu.
	lastUses   uint64
	lastActive time.Time
}

// newSession prepares the session to peer (its listen address) on conn;
// dialer is the listen address of the side that dialled (client: this
// one). The yamux session is made but reads nothing until start, so the
// session can be registered first. Its incoming streams are served without
// a goroutine waiting on them (incoming), and its end removes it from the
// tables (ended).
func (t *Transport) newSession(conn net.Conn, peer, dialer string, client bool) (*session, error) {
	s := &session{
		t:      t,
		peer:   peer,
		dialer: dialer,
		remote: conn.RemoteAddr().String(),
		sem:    make(chan struct{}, t.cfg.MaxStreamsPerSession),
	}
	mux, err := yamux.NewSession(conn, t.ymx, client, yamux.Hooks{
		OnStream: func(st *yamux.Stream) { t.incoming(s, st) },
		OnClose:  func() { t.ended(s) },
	})
	if err != nil {
		return nil, err
	}
	s.mux = mux
	s.lastUsed.Store(t.sinceEpoch())
	return s, nil
}

// touch records a use of s: a call made or served.
func (s *session) touch() {
	s.uses.Add(1)
	s.lastUsed.Store(s.t.sinceEpoch())
}

// close closes the session.
func (s *session) close() {
	s.closing.Store(true)
	_ = s.mux.Close()
}

// usable reports whether new calls may use s.
func (s *session) usable() bool {
	return s != nil && !s.draining.Load() && !s.mux.IsClosed()
}

// busy reports whether calls are in flight on s in either direction.
func (s *session) busy() bool { return s.inflight.Load() > 0 || s.serving.Load() > 0 }

// sendGoAway tells the peer that we will not use s again (best effort).
func (s *session) sendGoAway() {
	st, err := s.mux.OpenStream()
	if err != nil {
		return
	}
	_ = st.SetWriteDeadline(time.Now().Add(s.t.cfg.KeepAliveTimeout))
	var b [frameHeaderSize]byte
	_, _ = st.Write(appendFrame(b[:0], kindGoAway, nil))
	// No FIN: the peer closes the whole session in answer (or retire does,
	// after CloseTimeout), which ends the stream too; a FIN would be one
	// more frame and write for each of the thousands of sessions a large
	// ring retires while it forms.
}

// getStream returns an idle pooled stream, or opens a new one.
func (s *session) getStream() (st *yamux.Stream, reused bool, err error) {
	s.poolMu.Lock()
	if n := len(s.pool); n > 0 {
		st = s.pool[n-1]
		s.pool[n-1] = nil
		s.pool = s.pool[:n-1]
		s.poolMu.Unlock()
		return st, true, nil
	}
	s.poolMu.Unlock()
	st, err = s.mux.OpenStream()
	return st, false, err
}

// putStream returns a healthy stream to the pool, or closes it.
func (s *session) putStream(st *yamux.Stream) {
	s.poolMu.Lock()
	if len(s.pool) < s.t.cfg.MaxIdleStreams && !s.draining.Load() {
		s.pool = append(s.pool, st)
		s.poolMu.Unlock()
		return
	}
	s.poolMu.Unlock()
	_ = st.Close()
}

// reuse pools st after a completed call, forgetting the call's context.
func (s *session) reuse(st *yamux.Stream) {
	st.SetCancel(nil)
	s.putStream(st)
}

// pooled returns the number of idle pooled streams.
func (s *session) pooled() int {
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	return len(s.pool)
}

// trimPool closes pooled streams beyond the keep most recently used.
func (s *session) trimPool(keep int) {
	s.poolMu.Lock()
	n := len(s.pool) - keep
	if n <= 0 {
		s.poolMu.Unlock()
		return
	}
	old := slices.Clone(s.pool[:n])
	s.pool = append(s.pool[:0], s.pool[n:]...)
	clear(s.pool[len(s.pool) : n+len(s.pool)])
	s.poolMu.Unlock()
	for _, st := range old {
		_ = st.Close()
	}
}

// dropPool forgets the pooled streams of a closed session.
func (s *session) dropPool() {
	s.poolMu.Lock()
	s.pool = nil
	s.poolMu.Unlock()
}

// call makes one call on s. retry reports that the request certainly did
// not reach the peer's handler (the session was already gone or retired),
// so the caller may try again on another session.
func (s *session) call(ctx context.Context, deadline time.Time, method string, req []byte) (resp []byte, retry bool, err error) {
	addr := s.peer
	if n := s.inflight.Add(1); n > s.peak.Load() {
		s.peak.Store(n) // racy by design: a near miss only keeps a stream fewer
	}
	defer s.inflight.Add(-1)
	if s.draining.Load() {
		return nil, true, fmt.Errorf("netmux: call %s to %s: %w (session retired)", method, addr, ErrUnreachable)
	}
	select {
	case s.sem <- struct{}{}:
	default:
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, false, callError(method, addr, ctx.Err())
		}
	}
	defer func() { <-s.sem }()
	s.touch()

	st, reused, err := s.getStream()
	if err != nil {
		s.t.unpeer(s)
		return nil, true, fmt.Errorf("netmux: call %s to %s: %w (%w)", method, addr, ErrUnreachable, err)
	}
	// ctx has a deadline (Transport.call sees to it): when it passes, or ctx
	// is cancelled, its Done channel ends the stream's waits. The stream
	// carries no deadline and no timer of its own.
	st.SetCancel(ctx.Done())

	timeoutMicros := uint32(min(max(time.Until(deadline)/time.Microsecond, 1), 1<<32-1))
	bp := getBuf(requestFrameSize(method, req))
	*bp = appendRequest((*bp)[:0], method, timeoutMicros, req)
	_, err = st.Write(*bp)
	putBuf(bp)
	if err != nil {
		_ = st.Close()
		if ctx.Err() != nil {
			s.probeIfTimedOut(ctx.Err())
			return nil, false, callError(method, addr, ctx.Err())
		}
		if errors.Is(err, yamux.ErrTimeout) {
			s.probeIfTimedOut(err)
			return nil, false, callError(method, addr, context.DeadlineExceeded)
		}
		// The request did not go out whole (the writer reports a frame
		// written only once it is): the stream or session was already dead
		// (typically a pooled stream on a session the peer closed).
		if s.mux.IsClosed() {
			s.t.unpeer(s)
		}
		return nil, reused || s.mux.IsClosed(), fmt.Errorf("netmux: call %s to %s: %w (%w)", method, addr, ErrUnreachable, err)
	}

	fr := frameReader{r: st, max: s.t.cfg.MaxFrameSize}
	kind, body, err := fr.next(nil)
	if err == nil && len(fr.rest) > 0 {
		err = fmt.Errorf("%w: %d bytes after a reply", errProtocol, len(fr.rest))
	}
	if err != nil {
		_ = st.Close()
		switch {
		case ctx.Err() != nil:
			s.probeIfTimedOut(ctx.Err())
			return nil, false, callError(method, addr, ctx.Err())
		case errors.Is(err, yamux.ErrTimeout):
			s.probeIfTimedOut(err)
			return nil, false, callError(method, addr, context.DeadlineExceeded)
		case errors.Is(err, ErrFrameTooLarge), errors.Is(err, errProtocol):
			s.t.reject(s, err)
			return nil, false, fmt.Errorf("netmux: call %s to %s: bad reply: %w", method, addr, err)
		default:
			return nil, false, fmt.Errorf("netmux: call %s to %s: %w (%w)", method, addr, ErrUnreachable, err)
		}
	}
	switch kind {
	case kindReply:
		if len(body) > 64<<10 {
			st.Shrink() // let go of the receive buffer a large reply grew
		}
		s.reuse(st)
		return body, false, nil
	case kindError:
		s.reuse(st)
		return nil, false, &RemoteError{Addr: addr, Method: method, Message: string(body)}
	default:
		_ = st.Close()
		perr := fmt.Errorf("%w: unexpected frame kind %d in a reply", errProtocol, kind)
		s.t.reject(s, perr)
		return nil, false, fmt.Errorf("netmux: call %s to %s: bad reply: %w", method, addr, perr)
	}
}

// bufPool recycles request buffers up to 64 KiB.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func getBuf(n int) *[]byte {
	if n > 64<<10 {
		b := make([]byte, 0, n)
		return &b
	}
	return bufPool.Get().(*[]byte)
}

func putBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		bufPool.Put(b)
	}
}
