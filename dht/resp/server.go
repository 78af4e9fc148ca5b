package resp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/dht"
)

// Store is what the server needs of one node's key-value store: every
// command is a Get, a Set or an Update through it. *dht.Store is one.
type Store interface {
	Get(ctx context.Context, key string) (dht.GetResult, error)
	Set(ctx context.Context, key string, value []byte) (dht.PutResult, error)
	Update(ctx context.Context, key string, fn func(value []byte, found bool) (dht.Change, error)) (dht.UpdateResult, error)
}

// Ring is what the server needs of the ring.
type Ring interface {
	// Via returns the store of the node the next request goes through
	// and that node's name, or an error when no node can serve.
	Via() (Store, string, error)
	// Info describes the ring for INFO and DBSIZE.
	Info() RingInfo
}

// RingInfo is what INFO's chord section and DBSIZE report.
type RingInfo struct {
	// Nodes counts the ring's members, Live those alive now.
	Nodes, Live int
	// Stable is the cluster's verdict; Reason says why not.
	Stable bool
	Reason string
	// Bits is m, Successors r, Replicas the copies of every key.
	Bits, Successors, Replicas int
	// Keys estimates the live keys of the ring (DBSIZE): the sum over the
	// live nodes of the keys each owns by its predecessor pointer, exact
	// when the ring is stable.
	Keys int
	// Via names the node requests go through now (it may differ from the
	// one asked for while that one is down).
	Via string
}

// Config holds the server's settings.
type Config struct {
	// Idle closes a client that sent nothing for this long (0: never).
	Idle time.Duration
	// MaxClients bounds the clients connected at once; one more is
	// answered "-ERR max number of clients reached" and closed.
	MaxClients int
	// MaxKeySize and MaxValueSize are the store's limits (dht.Config): a
	// longer key or value is refused before anything is sent.
	MaxKeySize, MaxValueSize int
	// MaxRequestBytes bounds the bytes of one request's arguments held in
	// memory; an argument past it is read and thrown away, and the request
	// refused.
	MaxRequestBytes int
	// OpTimeout bounds one command.
	OpTimeout time.Duration
	// Attempts is how many times a GET, SET or MGET key is tried while its
	// key is unavailable (dht.ErrUnavailable), RetryPause apart.
	Attempts   int
	RetryPause time.Duration
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns a 5-minute idle timeout, 128 clients, dht's
// default limits, 4 MiB of arguments a request, a 10 s command timeout and
// 3 attempts 50 ms apart.
func DefaultConfig() Config {
	d := dht.DefaultConfig()
	return Config{
		Idle:            5 * time.Minute,
		MaxClients:      128,
		MaxKeySize:      d.MaxKeySize,
		MaxValueSize:    d.MaxValueSize,
		MaxRequestBytes: 4 << 20,
		OpTimeout:       10 * time.Second,
		Attempts:        3,
		RetryPause:      50 * time.Millisecond,
	}
}

// Validate reports every setting that is out of range.
func (c Config) Validate() error {
	var errs []error
	if c.Idle < 0 {
		errs = append(errs, fmt.Errorf("idle timeout must not be negative, got %v", c.Idle))
	}
	if c.MaxClients < 1 {
		errs = append(errs, fmt.Errorf("max clients must be at least 1, got %d", c.MaxClients))
	}
	if c.MaxKeySize < 1 || c.MaxValueSize < 0 {
		errs = append(errs, fmt.Errorf("key and value limits must be positive, got %d and %d", c.MaxKeySize, c.MaxValueSize))
	}
	if c.MaxRequestBytes < max(c.MaxKeySize, c.MaxValueSize) {
		errs = append(errs, fmt.Errorf("max request bytes (%d) must hold the largest key or value (%d)", c.MaxRequestBytes, max(c.MaxKeySize, c.MaxValueSize)))
	}
	if c.OpTimeout <= 0 || c.RetryPause < 0 || c.Attempts < 1 {
		errs = append(errs, fmt.Errorf("op timeout must be positive, attempts at least 1 and the retry pause not negative, got %v, %d, %v", c.OpTimeout, c.Attempts, c.RetryPause))
	}
	return errors.Join(errs...)
}

// Stats are the server's counters.
type Stats struct {
	// Addr is where the server listens.
	Addr string `json:"addr"`
	// Clients are connected now, at most MaxClients.
	Clients    int `json:"clients"`
	MaxClients int `json:"max_clients"`
	// Connections counts the clients accepted since the start; Rejected
	// those refused because MaxClients were connected; IdleClosed those
	// closed after Config.Idle without a request.
	Connections uint64 `json:"connections"`
	Rejected    uint64 `json:"rejected"`
	IdleClosed  uint64 `json:"idle_closed"`
	// Requests counts the commands answered; Errors the error replies
	// among them (ProtocolErrors included: requests that broke the
	// protocol, each of which closed its client).
	Requests       uint64 `json:"requests"`
	Errors         uint64 `json:"errors"`
	ProtocolErrors uint64 `json:"protocol_errors"`
	// RequestsPerSec and ErrorsPerSec count the last whole second.
	RequestsPerSec uint64 `json:"requests_per_sec"`
	ErrorsPerSec   uint64 `json:"errors_per_sec"`
	// Lookups counts the DHT operations the commands made (each starts
	// with a lookup, or with 0 hops when a read goes straight to an owner
	// the node heard from, dht.Store.GetDirect); Hops the lookups' hops,
	// so Hops/Lookups is the mean.
	Lookups uint64 `json:"lookups"`
	Hops    uint64 `json:"hops"`
	// Idle is Config.Idle.
	Idle time.Duration `json:"idle_ns"`
}

// Server is a RESP endpoint over a Ring. Its methods are safe for
// concurrent use.
//
// Goroutines: Start runs one accept loop, which exits when Close closes
// the listener, and it runs one goroutine per client, which exits when the
// client disconnects, sends QUIT, stays idle past Config.Idle, breaks the
// protocol, or Close closes its connection. MGET reads its keys in
// goroutines that exit when their read returns. Close waits for all of
// them: nothing runs after it returns.
type Server struct {
	cfg   Config
	ring  Ring
	log   *slog.Logger
	start time.Time

	mu      sync.Mutex
	done    chan struct{} // closed by Close
	ln      net.Listener
	clients map[*client]struct{}
	closed  bool
	nextID  int64
	wg      sync.WaitGroup

	connections, rejected, idleClosed      atomic.Uint64
	requests, errors, protocolErrors       atomic.Uint64
	lookups, hops, keyspaceHits, keyMisses atomic.Uint64
	reqRate, errRate                       rate
	last                                   atomic.Pointer[Lookup] // the newest lookup (LastLookup)
}

// New returns a server over ring; Start serves it on a listener.
func New(ring Ring, cfg Config) (*Server, error) {
	if ring == nil {
		return nil, errors.New("resp: nil ring")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("resp: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, ring: ring, log: log, clients: map[*client]struct{}{}, done: make(chan struct{})}, nil
}

// Start serves clients on ln until Close, which closes ln.
func (s *Server) Start(ln net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.ln != nil {
		return errors.New("resp: server already started or closed")
	}
	s.ln, s.start = ln, time.Now()
	s.wg.Add(1)
	go s.accept(ln)
	return nil
}

// Addr is the listener's address (nil before Start).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops accepting, closes every client's connection, cancels the
// commands in progress and waits for every goroutine of the server.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	for c := range s.clients {
		c.cancel()
		c.conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Stats returns the server's counters now.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	st := Stats{Clients: len(s.clients), MaxClients: s.cfg.MaxClients, Idle: s.cfg.Idle}
	if s.ln != nil {
		st.Addr = s.ln.Addr().String()
	}
	s.mu.Unlock()
	now := time.Now().Unix()
	st.Connections, st.Rejected, st.IdleClosed = s.connections.Load(), s.rejected.Load(), s.idleClosed.Load()
	st.Requests, st.Errors, st.ProtocolErrors = s.requests.Load(), s.errors.Load(), s.protocolErrors.Load()
	st.RequestsPerSec, st.ErrorsPerSec = s.reqRate.last(now), s.errRate.last(now)
	st.Lookups, st.Hops = s.lookups.Load(), s.hops.Load()
	return st
}

// accept admits clients until Close closes the listener. Any other
// error (out of file descriptors, say) is logged and accepting goes on
// after a pause that doubles up to a second, as net/http's server does.
func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	var pause time.Duration
	for {
		conn, err := ln.Accept()
		if err == nil {
			pause = 0
			s.admit(conn)
			continue
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		pause = min(max(2*pause, 5*time.Millisecond), time.Second)
		s.log.Warn("resp: accept", "err", err, "retry in", pause)
		t := time.NewTimer(pause)
		select {
		case <-s.done:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// admit registers conn as a client and starts its goroutine, or refuses it
// when MaxClients are connected (or the server is closing).
func (s *Server) admit(conn net.Conn) {
	s.mu.Lock()
	if s.closed || len(s.clients) >= s.cfg.MaxClients {
		closed := s.closed
		s.mu.Unlock()
		if !closed {
			s.rejected.Add(1)
			s.errors.Add(1)
			s.errRate.add(time.Now().Unix())
			_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = io.WriteString(conn, "-ERR max number of clients reached\r\n")
		}
		conn.Close()
		return
	}
	s.nextID++
	c := &client{id: s.nextID, conn: conn, created: time.Now()}
	var ctx context.Context
	ctx, c.cancel = context.WithCancel(context.Background())
	s.clients[c] = struct{}{}
	s.connections.Add(1)
	s.wg.Add(1)
	s.mu.Unlock()
	go s.serve(ctx, c)
}

// client is one connection's state.
type client struct {
	id      int64
	conn    net.Conn
	created time.Time
	cancel  context.CancelFunc // ends the commands in progress (Close)

	// Touched only by the client's goroutine.
	name, libName, libVer string
	quit                  bool
}

// serve reads and answers c's requests in order until c goes (see
// Server). Replies are written to a buffer that is flushed whenever no
// further request has arrived, so a pipeline costs one write.
func (s *Server) serve(ctx context.Context, c *client) {
	defer s.wg.Done()
	defer func() {
		c.cancel()
		c.conn.Close()
		s.mu.Lock()
		delete(s.clients, c)
		s.mu.Unlock()
	}()
	r := newReader(c.conn, max(s.cfg.MaxKeySize, s.cfg.MaxValueSize), s.cfg.MaxRequestBytes)
	w := newWriter(c.conn)
	for {
		if r.buffered() == 0 {
			if s.cfg.Idle > 0 {
				_ = c.conn.SetWriteDeadline(time.Now().Add(s.cfg.Idle))
			}
			if w.flush() != nil {
				return
			}
			if s.cfg.Idle > 0 {
				_ = c.conn.SetReadDeadline(time.Now().Add(s.cfg.Idle))
			}
		}
		req, err := r.read()
		if err != nil {
			var pe *ProtocolError
			var ne net.Error
			switch {
			case errors.As(err, &pe):
				s.protocolErrors.Add(1)
				s.count(true)
				w.error("ERR " + pe.Error())
				_ = w.flush()
				s.log.Debug("resp: protocol error", "client", c.id, "err", err)
			case errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil:
				s.idleClosed.Add(1)
				s.log.Debug("resp: idle client closed", "client", c.id)
			}
			return
		}
		s.exec(ctx, c, req, w)
		if c.quit {
			_ = w.flush()
			return
		}
	}
}

// count records one reply.
func (s *Server) count(isErr bool) {
	now := time.Now().Unix()
	s.requests.Add(1)
	s.reqRate.add(now)
	if isErr {
		s.errors.Add(1)
		s.errRate.add(now)
	}
}

// rate counts events per second of the clock, keeping the last few
// seconds, without a lock or a goroutine.
type rate struct {
	buckets [4]struct {
		sec atomic.Int64
		n   atomic.Uint64
	}
}

func (r *rate) add(sec int64) {
	b := &r.buckets[sec&3]
	if b.sec.Load() != sec {
		if old := b.sec.Swap(sec); old != sec {
			b.n.Store(0) // a new second: a count racing this may be lost
		}
	}
	b.n.Add(1)
}

// last returns the count of the last whole second before now.
func (r *rate) last(now int64) uint64 {
	b := &r.buckets[(now-1)&3]
	if b.sec.Load() != now-1 {
		return 0
	}
	return b.n.Load()
}
