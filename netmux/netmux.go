// Package netmux carries RPCs between chord nodes over yamux-multiplexed TCP.
//
// Each Transport listens on one TCP address. Between any two transports there
// is normally one yamux session, used in both directions: the dialling side
// announces its own listen address in a short handshake, so the accepting
// side files the session under that address and makes its own calls to the
// dialler over it. A call is a request frame and a reply frame on a yamux
// stream; streams are pooled per session and reused for later calls
// (request and reply strictly alternate on a stream). Sessions are re-dialled
// after failure and retired when idle, and a transport keeps about
// Config.MaxSessions of them: before going over, it retires the least
// recently used idle one (no call ever fails for it), so many nodes fit in
// one process's descriptors.
//
// Sessions run on netmux/internal/yamux, a copy of hashicorp/yamux v0.1.2
// in which the goroutine that sends a frame writes it, with every frame
// queued at the moment, in one syscall and learns the truth about its frame,
// and which hands incoming streams and data to hooks (its README says what
// differs and why); on the wire it is plain yamux.
//
// An idle session costs one goroutine and no buffer at each end: its
// receive loop, waiting for the socket to be readable before it takes a
// pooled read buffer. A request on a pooled stream is served by one of a
// few workers of the transport, started or woken only when the request
// arrives, so no goroutine waits on an idle stream. A transport tells
// OnChange watchers (chord's drivers) when a connection is lost, and,
// sharing a fault table with others, when a node or a fault comes or goes.
//
// With a cluster key (Config.Key) the handshake is a mutual
// challenge–response: both ends send a fresh random nonce and prove they
// hold the key by an HMAC-SHA-256 over both nonces, so a peer without the
// key, or a recorded handshake replayed, is refused before any RPC byte is
// read (Stats.AuthRefused; handshake.go). The key authenticates the
// handshake; it does not encrypt what follows.
//
// Nothing a peer sends can crash a node: a bad handshake, garbage bytes, an
// oversized or stalled frame closes that connection with a logged reason
// (a refusal before the session starts is logged once per peer host),
// and the transport goes on serving everyone else. Logs go to Config.Logger
// only (yamux's logger included), never to stderr.
//
// *Transport satisfies chord.Transport; netmux does not import chord.
package netmux

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chordtui/chordtui/netmux/internal/yamux"
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
	// MaxSessions is a soft cap on the sessions a transport keeps open,
	// dialled and accepted alike (0 = no cap). When a new session would
	// exceed it, the least recently used idle session (no call in flight in
	// either direction) is retired with a go-away, as idle reaping does, so
	// no call fails because of the cap; if every session is busy the
	// transport goes over the cap rather than fail a call. A session holds
	// one descriptor at each end, so N transports in one process hold about
	// N × MaxSessions descriptors (plus N listeners).
	MaxSessions int
	// EvictAfter is how long a session must have carried no call before the
	// cap may retire it (0 = as soon as it is idle). A transport that talks
	// to more than MaxSessions peers within this time keeps them all rather
	// than redial on nearly every call (16 nodes that all talk to each
	// other); one that reaches ever new peers (iterative lookups in a large
	// ring) stays near the cap.
	EvictAfter time.Duration
	// KeepAliveInterval is the period of yamux pings that detect a peer gone
	// silent (half-open connection); 0 disables them. Without them a session
	// is pinged once when a call on it times out, and closed if the ping
	// gets no answer within KeepAliveTimeout.
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
	// Key, when not empty, is the cluster key (at least MinKeySize bytes,
	// never modified): every connection must prove, in its handshake, that
	// both ends hold it, and a peer without it is closed before any RPC
	// byte is read. Empty: no authentication, for loopback only. The key
	// authenticates; it does not encrypt (docs/security.md).
	Key []byte
	// Advertise, when set, is the host this transport gives its peers as
	// its address (Addr) instead of the one it listens on: for a listener
	// on every interface (0.0.0.0 or ::), an address no peer can dial.
	Advertise string
	// Ring identifies the ring this transport's node belongs to: a peer
	// of another ring is refused in the handshake (ErrOtherRing). 0: not
	// known yet; the first peer this transport dials tells it (a node
	// about to join). Any non-zero value chosen at random will do.
	Ring uint64
}

// DefaultConfig returns the limits used by chordtui.
func DefaultConfig() Config {
	return Config{
		MaxFrameSize:         2 << 20, // a 1 MiB value plus overhead
		MaxStreamsPerSession: 256,
		MaxIdleStreams:       4,
		HandshakeTimeout:     2 * time.Second,
		MaxPendingHandshakes: 1024,
		ReadTimeout:          5 * time.Second,
		IdleTimeout:          60 * time.Second,
		MaxSessions:          12,
		EvictAfter:           100 * time.Millisecond,
		KeepAliveInterval:    0, // a timed-out call pings its session instead
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
	if c.MaxSessions < 0 {
		errs = append(errs, fmt.Errorf("max sessions must not be negative, got %d", c.MaxSessions))
	}
	if c.EvictAfter < 0 {
		errs = append(errs, fmt.Errorf("evict-after must not be negative, got %v", c.EvictAfter))
	}
	if c.KeepAliveInterval < 0 {
		errs = append(errs, fmt.Errorf("keep-alive interval must not be negative, got %v", c.KeepAliveInterval))
	}
	if len(c.Key) > 0 && len(c.Key) < MinKeySize {
		errs = append(errs, fmt.Errorf("cluster key must be at least %d bytes, got %d", MinKeySize, len(c.Key)))
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
	ring    ringID
	stats   counters
	epoch   time.Time // session use is stamped as time since epoch (monotonic)

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

	// refusedFrom holds the kinds and peer hosts of refused connections
	// already logged (logRefusal); later ones are only counted.
	refusedMu   sync.Mutex
	refusedFrom map[string]struct{}

	// wrapDialled, set by tests before any dial, wraps every connection
	// this transport dials (export_test.go).
	wrapDialled func(net.Conn) net.Conn

	// watch are the OnChange functions.
	watch watchers

	// work hands a stream with a request to an idle worker (server.go).
	work        chan *inStream
	idleWorkers atomic.Int32

	// wg counts every goroutine the transport starts: the accept loop, the
	// reaper, handshakes, stream servers and session retirements.
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
	ln, err := (&net.ListenConfig{KeepAlive: -1}).Listen(context.Background(), "tcp", addr) // as for dials
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
		epoch:    time.Now(),
		peers:    map[string]*session{},
		sessions: map[*session]struct{}{},
		dials:    map[string]*dialAttempt{},
		pending:  map[net.Conn]struct{}{},
		work:     make(chan *inStream),

		refusedFrom: map[string]struct{}{},
	}
	t.ring.v.Store(cfg.Ring)
	if cfg.Advertise != "" {
		_, port, _ := net.SplitHostPort(t.addr)
		t.addr = net.JoinHostPort(cfg.Advertise, port)
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
	t.faults.join(t)
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
	y.LazyOpen = true // a call writes its request first: that frame opens the stream
	y.StreamCloseTimeout = cfg.ReadTimeout + cfg.CallTimeout
	y.LogOutput = nil
	y.Logger = yamuxLogger{log}
	y.ReadBufferSize = -1 // countingConn buffers reads, only while bytes wait
	return y
}

// yamuxLogger sends yamux's log lines to slog, so they never reach the
// process's stderr: its "[ERR]" lines (a peer speaking garbage, a failed
// keep-alive) at warning level, the rest at debug level.
type yamuxLogger struct{ log *slog.Logger }

func (l yamuxLogger) emit(msg string) {
	level := slog.LevelDebug
	// A write that finds the connection closed is a session this transport
	// closed itself (retired, reaped) while yamux still had frames queued,
	// or one the peer closed (its program exited: broken pipe, reset):
	// expected, so not a warning.
	if strings.HasPrefix(msg, "[ERR]") && !peerGone(msg) {
		level = slog.LevelWarn
	}
	l.log.Log(context.Background(), level, strings.TrimSpace(msg), "source", "yamux")
}

// peerGone reports whether a yamux error line says the connection was
// closed, here or by the peer.
func peerGone(msg string) bool {
	for _, e := range []error{net.ErrClosed, syscall.EPIPE, syscall.ECONNRESET} {
		if strings.Contains(msg, e.Error()) {
			return true
		}
	}
	return false
}

func (l yamuxLogger) Print(v ...any)                 { l.emit(fmt.Sprint(v...)) }
func (l yamuxLogger) Printf(format string, v ...any) { l.emit(fmt.Sprintf(format, v...)) }
func (l yamuxLogger) Println(v ...any)               { l.emit(fmt.Sprintln(v...)) }

// Addr returns the listening address, host:port.
func (t *Transport) Addr() string { return t.addr }

// Serve sets the handler for incoming calls. It does not block; a later call
// replaces the handler. The first handler set is news to the other
// transports of a shared fault table (OnChange): a node came up.
func (t *Transport) Serve(h Handler) {
	if h == nil {
		t.handler.Store(nil)
		return
	}
	if t.handler.Swap(&h) == nil {
		t.faults.notify("")
	}
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
		Evicted:  c.evicted.Load(),

		AuthRefused: c.authRefused.Load(),
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
	t.faults.leave(t) // after the sessions: the peers have seen them close
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

// Connected reports whether t holds a usable session to the peer listening
// at addr (dialled or accepted) and the fault table leaves calls between
// them alone (no partition, drop rate or pause): the session of a crashed
// peer closes as soon as its socket does. It implements
// chord.ConnectionReporter.
func (t *Transport) Connected(addr string) bool {
	return t.hasSession(addr) && !t.faults.unreliable(t.addr, addr)
}

// WouldDial reports whether a call to addr now would open a connection
// first: t holds no usable session to it. Faults are not considered (see
// Connected). It implements chord.DialReporter.
func (t *Transport) WouldDial(addr string) bool { return !t.hasSession(addr) }

// hasSession reports whether t holds a usable session to addr.
func (t *Transport) hasSession(addr string) bool {
	t.mu.RLock()
	s := t.peers[addr]
	t.mu.RUnlock()
	return s.usable()
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
		t.makeRoom(nil)
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
	raw, err := (&net.Dialer{KeepAlive: -1}).DialContext(dctx, "tcp", addr) // calls detect dead peers (probeIfTimedOut)
	dialTimedOut := dctx.Err() != nil
	cancel()
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("netmux: dial %s: %w", addr, ctx.Err())
		case dialTimedOut:
			// Our DialTimeout, not the caller's deadline: the dial error
			// would wrap context.DeadlineExceeded, so it is not wrapped.
			return nil, fmt.Errorf("netmux: dial %s: %w (no connection within %v)", addr, ErrUnreachable, t.cfg.DialTimeout)
		default:
			return nil, fmt.Errorf("netmux: dial %s: %w (%w)", addr, ErrUnreachable, err)
		}
	}
	t.stats.dials.Add(1)
	if t.wrapDialled != nil {
		raw = t.wrapDialled(raw)
	}
	conn := newCountingConn(raw, &t.stats)
	hsDeadline := time.Now().Add(t.cfg.HandshakeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(hsDeadline) {
		hsDeadline = d
	}
	_ = conn.SetDeadline(hsDeadline)
	// A cancelled ctx ends the handshake at once, as its deadline does: a
	// caller that gives up (a paused node's round) does not wait for a
	// peer that accepted and stays silent.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	err = clientHandshake(conn, t.addr, t.cfg.Key, &t.ring)
	if !stop() && err == nil {
		err = ctx.Err() // cancelled just as the handshake ended: its deadline may be past
	}
	if err != nil {
		_ = conn.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("netmux: handshake with %s: %w", addr, ctx.Err())
		}
		return nil, fmt.Errorf("netmux: handshake with %s: %w (%w)", addr, ErrUnreachable, err)
	}
	_ = conn.SetDeadline(time.Time{})
	s, err := t.newSession(conn, addr, t.addr, true)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("netmux: session with %s: %w", addr, err)
	}
	if !t.register(s) {
		_ = s.mux.Close()
		return nil, fmt.Errorf("netmux: call to %s: %w", addr, ErrClosed)
	}
	return s, nil
}

// register files a new session and starts it (its incoming streams are
// served from then on).
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
	if !s.selfLoop {
		if cur := t.peers[s.peer]; !cur.usable() || s.dialer <= cur.dialer {
			t.peers[s.peer] = s
		}
	}
	s.mux.Start()
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

// Ring returns the ring this transport belongs to (Config.Ring, or the one
// its first dialled peer told it), 0 when not known yet.
func (t *Transport) Ring() uint64 { return t.ring.get() }
