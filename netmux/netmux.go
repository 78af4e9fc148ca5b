// Package netmux carries RPCs between chord nodes over yamux-multiplexed TCP.
//
// Each Transport listens on one TCP address. Between any two transports there
// is normally one yamux session, used in both directions: the dialling side
// announces its own listen address in a short handshake, so the accepting
// side files the session under that address and makes its own calls to the
// dialler over it. A call is a request frame and a reply frame on a yamux
// stream; streams are pooled per session and reused for later calls
// (request and reply strictly alternate on a stream). Sessions are re-dialled
// after failure and retired when idle.
//
// Nothing a peer sends can crash a node: a bad handshake, garbage bytes, an
// oversized or stalled frame closes that connection with a logged reason,
// and the transport goes on serving everyone else. Logs go to Config.Logger
// only (yamux's logger included), never to stderr.
//
// *Transport satisfies chord.Transport; netmux does not import chord.
package netmux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"
)

// Handler serves one incoming call (same shape as chord.Handler). The
// context is cancelled when the caller's deadline passes or the transport is
// killed; req is owned by the handler.
type Handler = func(ctx context.Context, method string, req []byte) ([]byte, error)

// Sentinel errors, tested with errors.Is.
var (
	// ErrClosed: the transport was closed or killed.
	ErrClosed = errors.New("netmux: transport closed")
	// ErrFrameTooLarge: a request or reply exceeds Config.MaxFrameSize.
	ErrFrameTooLarge = errors.New("netmux: frame too large")
	// ErrUnreachable: the peer could not be reached (connection refused,
	// handshake failed, session lost, or partitioned by the fault table).
	ErrUnreachable = errors.New("netmux: peer unreachable")
	// ErrDropped: the fault table dropped the request; the error also wraps
	// the context error met while waiting for the reply that never came.
	ErrDropped = errors.New("netmux: request dropped by fault injection")
)

// RemoteError is the error reply of a remote handler.
type RemoteError struct {
	// Addr and Method identify the call.
	Addr, Method string
	// Message is the remote handler's error text.
	Message string
}

// Error returns the remote handler's message with the call it answered.
func (e *RemoteError) Error() string {
	return fmt.Sprintf("netmux: %s at %s: %s", e.Method, e.Addr, e.Message)
}

// Config holds the limits and timeouts of a transport.
type Config struct {
	// MaxFrameSize is the largest request or reply body, in bytes. A peer
	// that announces a larger frame has its connection closed.
	MaxFrameSize int
	// MaxStreamsPerSession bounds the streams open at once on one session
	// in each direction (calls in flight plus pooled idle streams).
	MaxStreamsPerSession int
	// MaxIdleStreams is how many idle streams a session keeps for reuse by
	// later calls (0 = open a fresh stream for every call).
	MaxIdleStreams int
	// HandshakeTimeout bounds the connection handshake; a client that
	// connects and says nothing is dropped after it.
	HandshakeTimeout time.Duration
	// MaxPendingHandshakes bounds the accepted connections still in their
	// handshake; more are closed at once.
	MaxPendingHandshakes int
	// ReadTimeout bounds the time between the first and the last byte of a
	// frame; a peer that stalls mid-frame has its connection closed.
	ReadTimeout time.Duration
	// IdleTimeout retires a session that carried no call for this long
	// (0 = keep sessions until they fail).
	IdleTimeout time.Duration
	// KeepAliveInterval is the period of yamux pings that detect a peer gone
	// silent (half-open connection); 0 disables them.
	KeepAliveInterval time.Duration
	// KeepAliveTimeout is how long a ping or a write may wait before the
	// connection is declared dead.
	KeepAliveTimeout time.Duration
	// DialTimeout bounds a TCP connect.
	DialTimeout time.Duration
	// CallTimeout is the deadline of a call whose ctx has none.
	CallTimeout time.Duration
	// CloseTimeout bounds how long Close waits for calls in flight.
	CloseTimeout time.Duration
	// Logger receives connection-level events (rejected peers, failed
	// sessions). nil discards them.
	Logger *slog.Logger
	// Faults, if non-nil, is the fault table shared by every transport of a
	// local cluster (delay, drop, partition, pause).
	Faults *Faults
}

// DefaultConfig returns the limits used by chordtui.
func DefaultConfig() Config {
	return Config{
		MaxFrameSize:         2 << 20, // a 1 MiB value plus overhead
		MaxStreamsPerSession: 256,
		MaxIdleStreams:       32,
		HandshakeTimeout:     2 * time.Second,
		MaxPendingHandshakes: 1024,
		ReadTimeout:          5 * time.Second,
		IdleTimeout:          60 * time.Second,
		KeepAliveInterval:    10 * time.Second,
		KeepAliveTimeout:     5 * time.Second,
		DialTimeout:          2 * time.Second,
		CallTimeout:          10 * time.Second,
		CloseTimeout:         2 * time.Second,
	}
}

// Validate reports every setting that is out of range.
func (c Config) Validate() error {
	var errs []error
	if c.MaxFrameSize < 1<<10 || c.MaxFrameSize > 1<<30 {
		errs = append(errs, fmt.Errorf("max frame size must be between 1 KiB and 1 GiB, got %d", c.MaxFrameSize))
	}
	if c.MaxStreamsPerSession < 1 {
		errs = append(errs, fmt.Errorf("max streams per session must be at least 1, got %d", c.MaxStreamsPerSession))
	}
	if c.MaxPendingHandshakes < 1 {
		errs = append(errs, fmt.Errorf("max pending handshakes must be at least 1, got %d", c.MaxPendingHandshakes))
	}
	if c.MaxIdleStreams < 0 || c.MaxIdleStreams > c.MaxStreamsPerSession {
		errs = append(errs, fmt.Errorf("max idle streams must be between 0 and max streams per session, got %d", c.MaxIdleStreams))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"handshake timeout", c.HandshakeTimeout},
		{"read timeout", c.ReadTimeout},
		{"keep-alive timeout", c.KeepAliveTimeout},
		{"dial timeout", c.DialTimeout},
		{"call timeout", c.CallTimeout},
		{"close timeout", c.CloseTimeout},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %v", d.name, d.v))
		}
	}
	if c.IdleTimeout < 0 {
		errs = append(errs, fmt.Errorf("idle timeout must not be negative, got %v", c.IdleTimeout))
	}
	if c.KeepAliveInterval < 0 {
		errs = append(errs, fmt.Errorf("keep-alive interval must not be negative, got %v", c.KeepAliveInterval))
	}
	return errors.Join(errs...)
}

// Transport states.
const (
	stateOpen int32 = iota
	stateClosing
	stateClosed
)

// Transport is one node's endpoint: a TCP listener and its yamux sessions.
// All methods are safe for concurrent use.
type Transport struct {
	cfg    Config
	log    *slog.Logger
	faults *Faults
	ymx    *yamux.Config
	ln     net.Listener
	addr   string

	handler atomic.Pointer[Handler]
	state   atomic.Int32
	stats   counters

	// lifetime is cancelled by Kill; handler contexts derive from it. It is
	// the transport's lifetime (like http.Server's BaseContext), not a
	// request context.
	lifetime context.Context
	cancel   context.CancelFunc
	done     chan struct{} // closed by Kill: background goroutines exit

	mu       sync.RWMutex
	peers    map[string]*session     // preferred session per peer listen address
	sessions map[*session]struct{}   // every open session
	dials    map[string]*dialAttempt // dials in progress, one per address
	pending  map[net.Conn]struct{}   // accepted connections still in handshake

	// wg counts every goroutine the transport starts: the accept loop, the
	// reaper, handshakes, per-session accept loops, per-stream servers and
	// session retirements.
	wg sync.WaitGroup
}

// dialAttempt lets concurrent calls to an address share one dial.
type dialAttempt struct {
	done chan struct{}
	s    *session
	err  error
}

// Listen opens a listener on addr ("127.0.0.1:0" for any port; "" means
// that) and starts serving. Incoming calls get an error reply until Serve.
func Listen(addr string, cfg Config) (*Transport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("netmux: invalid config: %w", err)
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("netmux: listen on %s: %w", addr, err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Transport{
		cfg:      cfg,
		faults:   cfg.Faults,
		ln:       ln,
		addr:     ln.Addr().String(),
		done:     make(chan struct{}),
		peers:    map[string]*session{},
		sessions: map[*session]struct{}{},
		dials:    map[string]*dialAttempt{},
		pending:  map[net.Conn]struct{}{},
	}
	t.log = log.With("node", t.addr)
	t.ymx = yamuxConfig(cfg, t.log)
	t.lifetime, t.cancel = context.WithCancel(context.Background())
	t.wg.Add(1)
	go t.acceptLoop()
	if cfg.IdleTimeout > 0 {
		t.wg.Add(1)
		go t.reapLoop()
	}
	return t, nil
}

// yamuxConfig maps Config onto yamux's settings, with its logger bridged to log.
func yamuxConfig(cfg Config, log *slog.Logger) *yamux.Config {
	y := yamux.DefaultConfig()
	y.AcceptBacklog = cfg.MaxStreamsPerSession
	y.EnableKeepAlive = cfg.KeepAliveInterval > 0
	if cfg.KeepAliveInterval > 0 {
		y.KeepAliveInterval = cfg.KeepAliveInterval
	}
	y.ConnectionWriteTimeout = cfg.KeepAliveTimeout
	y.StreamOpenTimeout = cfg.KeepAliveTimeout + cfg.ReadTimeout
	y.StreamCloseTimeout = cfg.ReadTimeout + cfg.CallTimeout
	y.LogOutput = nil
	y.Logger = yamuxLogger{log}
	return y
}

// yamuxLogger sends yamux's log lines to slog, so they never reach the
// process's stderr: its "[ERR]" lines (a peer speaking garbage, a failed
// keep-alive) at warning level, the rest at debug level.
type yamuxLogger struct{ log *slog.Logger }

func (l yamuxLogger) emit(msg string) {
	level := slog.LevelDebug
	if strings.HasPrefix(msg, "[ERR]") {
		level = slog.LevelWarn
	}
	l.log.Log(context.Background(), level, strings.TrimSpace(msg), "source", "yamux")
}

func (l yamuxLogger) Print(v ...any)                 { l.emit(fmt.Sprint(v...)) }
func (l yamuxLogger) Printf(format string, v ...any) { l.emit(fmt.Sprintf(format, v...)) }
func (l yamuxLogger) Println(v ...any)               { l.emit(fmt.Sprintln(v...)) }

// Addr returns the listening address, host:port.
func (t *Transport) Addr() string { return t.addr }

// Serve sets the handler for incoming calls. It does not block; a later call
// replaces the handler.
func (t *Transport) Serve(h Handler) {
	if h == nil {
		t.handler.Store(nil)
		return
	}
	t.handler.Store(&h)
}

// Stats returns a copy of the transport's counters.
func (t *Transport) Stats() Stats {
	t.mu.RLock()
	n := len(t.sessions)
	t.mu.RUnlock()
	c := &t.stats
	p := c.latency.Percentiles(0.50, 0.90, 0.99)
	return Stats{
		Calls:    c.calls.Load(),
		Errors:   c.errors.Load(),
		Served:   c.served.Load(),
		BytesIn:  c.bytesIn.Load(),
		BytesOut: c.bytesOut.Load(),
		P50:      p[0],
		P90:      p[1],
		P99:      p[2],
		Sessions: n,
		Dials:    c.dials.Load(),
		Rejected: c.rejected.Load(),
	}
}

// Kill closes the listener and every session at once, as peers see a crash,
// and waits for every goroutine of the transport to exit, handlers included
// (their ctx is cancelled; a handler that ignores it delays Kill). Calls in
// flight fail. It is safe to call more than once, and after Close.
func (t *Transport) Kill() {
	t.mu.Lock()
	if t.state.Load() == stateClosed {
		t.mu.Unlock()
		t.wg.Wait()
		return
	}
	t.state.Store(stateClosed)
	sessions := make([]*session, 0, len(t.sessions))
	for s := range t.sessions {
		sessions = append(sessions, s)
	}
	pending := make([]net.Conn, 0, len(t.pending))
	for c := range t.pending {
		pending = append(pending, c)
	}
	t.mu.Unlock()

	close(t.done)
	_ = t.ln.Close()
	for _, c := range pending {
		_ = c.Close()
	}
	for _, s := range sessions {
		s.close()
	}
	t.cancel() // after the sessions: a crashed node sends no error replies
	t.wg.Wait()
}

// Close shuts down gracefully: it refuses new calls and connections, tells
// every peer to stop using its sessions, lets calls in flight in both
// directions finish (for at most Config.CloseTimeout), then closes
// everything and waits for every goroutine to exit.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.state.Load() != stateOpen {
		t.mu.Unlock()
		t.Kill()
		return nil
	}
	t.state.Store(stateClosing)
	sessions := make([]*session, 0, len(t.sessions))
	for s := range t.sessions {
		sessions = append(sessions, s)
	}
	t.mu.Unlock()
	_ = t.ln.Close()

	for _, s := range sessions {
		s.draining.Store(true)
		s.sendGoAway()
	}
	deadline := time.NewTimer(t.cfg.CloseTimeout)
	defer deadline.Stop()
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
wait:
	for _, s := range sessions {
		for s.busy() && !s.mux.IsClosed() {
			select {
			case <-deadline.C:
				break wait
			case <-poll.C:
			}
		}
	}
	t.Kill()
	return nil
}

// Call sends req to method at addr and waits for the reply, within the
// deadline of ctx (Config.CallTimeout if ctx has none). A handler error comes
// back as a *RemoteError; an expired deadline as an error wrapping
// context.DeadlineExceeded; a peer that cannot be reached as ErrUnreachable.
func (t *Transport) Call(ctx context.Context, addr, method string, req []byte) ([]byte, error) {
	start := time.Now()
	resp, err := t.call(ctx, addr, method, req)
	t.stats.calls.Add(1)
	if err != nil {
		t.stats.errors.Add(1)
	}
	t.stats.latency.Record(time.Since(start))
	return resp, err
}

func (t *Transport) call(ctx context.Context, addr, method string, req []byte) ([]byte, error) {
	if t.state.Load() != stateOpen {
		return nil, fmt.Errorf("netmux: call %s to %s: %w", method, addr, ErrClosed)
	}
	if !validMethod([]byte(method)) {
		return nil, fmt.Errorf("netmux: call to %s: invalid method name %q", addr, method)
	}
	if n := requestFrameSize(method, req) - frameHeaderSize; n > t.cfg.MaxFrameSize {
		return nil, fmt.Errorf("netmux: call %s to %s: request of %d bytes: %w", method, addr, n, ErrFrameTooLarge)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.cfg.CallTimeout)
		defer cancel()
		deadline, _ = ctx.Deadline()
	}
	if err := ctx.Err(); err != nil {
		return nil, callError(method, addr, err)
	}
	if lf, ok := t.faults.forCall(t.addr, addr); ok {
		if err := t.applyFault(ctx, lf, method, addr); err != nil {
			return nil, err
		}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := t.session(ctx, addr)
		if err != nil {
			return nil, err
		}
		resp, retry, err := s.call(ctx, deadline, method, req)
		if !retry {
			return resp, err
		}
		lastErr = err
	}
	return nil, lastErr
}

// applyFault carries out what the fault table decided for one call.
func (t *Transport) applyFault(ctx context.Context, lf linkFault, method, addr string) error {
	if lf.partitioned {
		return fmt.Errorf("netmux: call %s to %s: %w (partitioned)", method, addr, ErrUnreachable)
	}
	if lf.dropped {
		<-ctx.Done()
		return fmt.Errorf("netmux: call %s to %s: %w: %w", method, addr, ErrDropped, ctx.Err())
	}
	if lf.delay > 0 {
		timer := time.NewTimer(lf.delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			return callError(method, addr, ctx.Err())
		}
	}
	return nil
}

// callError wraps a context error for a call.
func callError(method, addr string, err error) error {
	return fmt.Errorf("netmux: call %s to %s: %w", method, addr, err)
}

// session returns a usable session to addr, dialling one if needed.
// Concurrent callers share one dial.
func (t *Transport) session(ctx context.Context, addr string) (*session, error) {
	for {
		t.mu.RLock()
		s := t.peers[addr]
		t.mu.RUnlock()
		if s.usable() {
			return s, nil
		}
		t.mu.Lock()
		if t.state.Load() != stateOpen {
			t.mu.Unlock()
			return nil, fmt.Errorf("netmux: call to %s: %w", addr, ErrClosed)
		}
		if s := t.peers[addr]; s.usable() {
			t.mu.Unlock()
			return s, nil
		}
		if d, ok := t.dials[addr]; ok {
			t.mu.Unlock()
			select {
			case <-d.done:
			case <-ctx.Done():
				return nil, fmt.Errorf("netmux: dial %s: %w", addr, ctx.Err())
			}
			if d.err == nil || ctx.Err() != nil || !isContextError(d.err) {
				return d.s, d.err
			}
			continue // the dialler gave up on its own deadline; ours has time left
		}
		d := &dialAttempt{done: make(chan struct{})}
		t.dials[addr] = d
		t.mu.Unlock()
		d.s, d.err = t.dial(ctx, addr)
		t.mu.Lock()
		delete(t.dials, addr)
		t.mu.Unlock()
		close(d.done)
		return d.s, d.err
	}
}

func isContextError(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// dial connects to addr, runs the client side of the handshake and
// registers the new session.
func (t *Transport) dial(ctx context.Context, addr string) (*session, error) {
	dctx, cancel := context.WithTimeout(ctx, t.cfg.DialTimeout)
	raw, err := (&net.Dialer{}).DialContext(dctx, "tcp", addr)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("netmux: dial %s: %w", addr, ctx.Err())
		}
		return nil, fmt.Errorf("netmux: dial %s: %w (%v)", addr, ErrUnreachable, err)
	}
	t.stats.dials.Add(1)
	conn := newCountingConn(raw, &t.stats)
	hsDeadline := time.Now().Add(t.cfg.HandshakeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(hsDeadline) {
		hsDeadline = d
	}
	_ = conn.SetDeadline(hsDeadline)
	if err := clientHandshake(conn, t.addr); err != nil {
		_ = conn.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("netmux: handshake with %s: %w", addr, ctx.Err())
		}
		return nil, fmt.Errorf("netmux: handshake with %s: %w (%v)", addr, ErrUnreachable, err)
	}
	_ = conn.SetDeadline(time.Time{})
	mux, err := yamux.Client(conn, t.ymx)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("netmux: session with %s: %w", addr, err)
	}
	s := t.newSession(mux, conn, addr, t.addr)
	if !t.register(s) {
		_ = mux.Close()
		return nil, fmt.Errorf("netmux: call to %s: %w", addr, ErrClosed)
	}
	return s, nil
}

// register files a new session and starts serving incoming streams on it.
// The session becomes the preferred one for its peer unless a live session
// dialled by a lower address exists (both ends apply the same rule, so when
// two nodes dial each other at once they settle on the same session and the
// other one is retired when idle). It returns false if the transport is
// shutting down.
func (t *Transport) register(s *session) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state.Load() != stateOpen {
		return false
	}
	t.sessions[s] = struct{}{}
	t.wg.Add(1)
	s.conn.startBatching(t.wg.Done)
	if !s.selfLoop {
		if cur := t.peers[s.peer]; !cur.usable() || s.dialer <= cur.dialer {
			t.peers[s.peer] = s
		}
	}
	t.wg.Add(1)
	go t.serveSession(s)
	return true
}

// unpeer stops s from being chosen for new calls, promoting another live
// session to the same peer if there is one.
func (t *Transport) unpeer(s *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.peers[s.peer] != s {
		return
	}
	delete(t.peers, s.peer)
	for o := range t.sessions {
		if o != s && o.peer == s.peer && !o.selfLoop && o.usable() {
			if cur := t.peers[s.peer]; cur == nil || o.dialer < cur.dialer {
				t.peers[s.peer] = o
			}
		}
	}
}

// forget removes a closed session from the tables.
func (t *Transport) forget(s *session) {
	t.unpeer(s)
	t.mu.Lock()
	delete(t.sessions, s)
	t.mu.Unlock()
	s.dropPool()
}

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
	s := t.newSession(mux, conn, peer, peer)
	s.selfLoop = peer == t.addr
	if !t.register(s) {
		_ = mux.Close()
	}
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
	var hb [frameHeaderSize]byte
	var out []byte
	armed := false
	started := func() {
		armed = true
		_ = st.SetReadDeadline(time.Now().Add(t.cfg.ReadTimeout))
	}
	for {
		if armed {
			armed = false
			_ = st.SetReadDeadline(time.Time{})
		}
		kind, body, err := decodeFrame(st, &hb, t.cfg.MaxFrameSize, started)
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
		s.uses.Add(1)
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
			for _, s := range t.idleSessions(now, tick) {
				t.retire(s, true)
			}
		}
	}
}

// idleSessions returns the sessions to retire now: those that carried no
// call for IdleTimeout, and superseded ones (not preferred for their peer)
// that have been quiet for a tick.
func (t *Transport) idleSessions(now time.Time, tick time.Duration) []*session {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state.Load() != stateOpen {
		return nil
	}
	var out []*session
	for s := range t.sessions {
		if s.draining.Load() {
			continue
		}
		u := s.uses.Load()
		if u != s.lastUses || s.busy() || s.lastActive.IsZero() {
			s.lastUses, s.lastActive = u, now
			continue
		}
		quiet := now.Sub(s.lastActive)
		superseded := !s.selfLoop && t.peers[s.peer] != s
		if quiet >= t.cfg.IdleTimeout || (superseded && quiet >= tick) {
			out = append(out, s)
		}
	}
	return out
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
