// Copyright (c) 2014 HashiCorp, Inc.
//
// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at https://mozilla.org/MPL/2.0/.
//
// Copied from github.com/hashicorp/yamux v0.1.2 and changed by chordtui
// where a comment says "chordtui:"; README.md lists the changes.

//nolint:errcheck,errorlint,revive,staticcheck // upstream code kept as it is, to diff cleanly against v0.1.2
package yamux

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"
)

// Session is used to wrap a reliable ordered connection and to
// multiplex it into multiple streams.
type Session struct {
	// remoteGoAway indicates the remote side does
	// not want futher connections. Must be first for alignment.
	remoteGoAway int32

	// localGoAway indicates that we should stop
	// accepting futher connections. Must be first for alignment.
	localGoAway int32

	// nextStreamID is the next stream we should
	// send. This depends if we are a client/server.
	nextStreamID uint32

	// config holds our configuration
	config *Config

	// logger is used for our logs
	logger Logger

	// conn is the underlying connection
	conn io.ReadWriteCloser

	// bufRead is a buffered reader (chordtui: conn itself when
	// Config.ReadBufferSize is negative)
	bufRead io.Reader

	// pings is used to track inflight pings
	pings    map[uint32]chan struct{}
	pingID   uint32
	pingLock sync.Mutex

	// streams maps a stream id to a stream, and inflight has an entry
	// for any outgoing stream that has not yet been established. Both are
	// protected by streamLock.
	streams    map[uint32]*Stream
	inflight   map[uint32]struct{}
	streamLock sync.Mutex

	// synCh acts like a semaphore. It is sized to the AcceptBacklog which
	// is assumed to be symmetric between the client and server. This allows
	// the client to avoid exceeding the backlog and instead blocks the open.
	synCh chan struct{}

	// acceptCh is used to pass ready streams to the client
	// (chordtui: nil when hooks.OnStream takes them instead).
	acceptCh chan *Stream

	// chordtui: the send queue, written by whoever finds no writer at
	// work (see lead); upstream has a send goroutine per session.
	sendMu  sync.Mutex
	sendQ   []*sendReady  // frames not yet taken by a writer, oldest first
	writing bool          // a writer is at work: it empties sendQ or hands over
	spaceCh chan struct{} // a writer took frames: sendNoWait may queue again
	// writeTimer closes the session when a socket write takes longer than
	// ConnectionWriteTimeout (see write). inWrite says a write is under
	// way and writeStart when it began (monotonic, since monoBase);
	// writeArmed that the timer is set, and writeTimedOut that it closed
	// the session. watchMu orders arming the timer (write, checkWrite) and
	// stopping it (Close).
	watchMu       sync.Mutex
	writeTimer    *time.Timer
	writeArmed    atomic.Bool
	inWrite       atomic.Bool
	writeStart    atomic.Int64
	writeTimedOut atomic.Bool

	// chordtui: hooks given by NewSession.
	hooks Hooks

	// recvDoneCh is closed when recv() exits to avoid a race
	// between stream registration and stream shutdown
	recvDoneCh chan struct{}

	// shutdown is used to safely close a session
	shutdown        bool
	started         bool // chordtui: Start has run (under shutdownLock)
	shutdownErr     error
	shutdownCh      chan struct{}
	closed          atomic.Bool // chordtui: set just before shutdownCh closes (IsClosed is hot)
	shutdownLock    sync.Mutex
	shutdownErrLock sync.Mutex
}

// sendReady is used to either mark a stream as ready
// or to directly send a header
type sendReady struct {
	Hdr  []byte
	mu   sync.Mutex // Protects Body from unsafe reads.
	Body []byte
	Err  chan error

	// chordtui: taken is set by the writer when it has copied the frame
	// into the buffer it writes next; from then on the frame's waiter waits
	// for the outcome of that write. cancelled is set by a waiter that gave
	// up before: writers skip the frame. lead is set when a writer hands
	// its role to this frame's waiter (errLead is on its way to Err). All
	// under mu.
	taken     bool
	cancelled bool
	lead      bool
}

// Hooks let the owner of a session take its incoming streams and learn of
// its end without a goroutine of its own waiting for either (chordtui).
type Hooks struct {
	// OnStream, if set, receives every incoming stream instead of
	// AcceptStream, from the session's receive loop: it must not block.
	// The stream is registered, not yet acknowledged: the first frame sent
	// on it (Accept, a Write) carries the ACK.
	OnStream func(*Stream)
	// OnClose, if set, is called once when the session has shut down
	// (every stream closed, the connection closed), by the goroutine that
	// closed it.
	OnClose func()
}

// NewSession prepares a session on conn with hooks (chordtui; Client and
// Server are NewSession and Start without hooks). client selects the
// stream ID parity: the side that dialled is the client. Nothing is read
// from conn, so no hook runs, until Start: the owner can record the
// session first. Close works before Start.
func NewSession(conn io.ReadWriteCloser, config *Config, client bool, hooks Hooks) (*Session, error) {
	if config == nil {
		config = DefaultConfig()
	}
	if err := VerifyConfig(config); err != nil {
		return nil, err
	}
	return newSessionHooks(config, conn, client, hooks, false), nil
}

// Start begins reading the connection (and the keep-alive pings, if
// enabled) of a session made by NewSession (chordtui). It does nothing
// after Close, or when called again.
func (s *Session) Start() {
	s.shutdownLock.Lock()
	defer s.shutdownLock.Unlock()
	if s.shutdown || s.started {
		return
	}
	s.started = true
	go s.recv()
	if s.config.EnableKeepAlive {
		go s.keepalive()
	}
}

// newSession is used to construct a new session
func newSession(config *Config, conn io.ReadWriteCloser, client bool) *Session {
	return newSessionHooks(config, conn, client, Hooks{}, true)
}

// newSessionHooks is newSession with hooks (chordtui): no send goroutine,
// a read buffer of config.ReadBufferSize, no accept queue with OnStream;
// the session reads its connection from start on, or from Start.
func newSessionHooks(config *Config, conn io.ReadWriteCloser, client bool, hooks Hooks, start bool) *Session {
	logger := config.Logger
	if logger == nil {
		logger = log.New(config.LogOutput, "", log.LstdFlags)
	}
	var bufRead io.Reader = conn
	switch size := config.ReadBufferSize; {
	case size == 0:
		bufRead = bufio.NewReader(conn) // upstream's
	case size > 0:
		bufRead = bufio.NewReaderSize(conn, size)
	}

	s := &Session{
		config:     config,
		logger:     logger,
		conn:       conn,
		bufRead:    bufRead,
		pings:      make(map[uint32]chan struct{}),
		streams:    make(map[uint32]*Stream),
		inflight:   make(map[uint32]struct{}),
		synCh:      make(chan struct{}, config.AcceptBacklog),
		hooks:      hooks,
		spaceCh:    make(chan struct{}, 1),
		recvDoneCh: make(chan struct{}),
		shutdownCh: make(chan struct{}),
	}
	if hooks.OnStream == nil {
		s.acceptCh = make(chan *Stream, config.AcceptBacklog)
	}
	if client {
		s.nextStreamID = 1
	} else {
		s.nextStreamID = 2
	}
	if start {
		s.Start()
	}
	return s
}

// IsClosed does a safe check to see if we have shutdown
func (s *Session) IsClosed() bool {
	return s.closed.Load()
}

// CloseChan returns a read-only channel which is closed as
// soon as the session is closed.
func (s *Session) CloseChan() <-chan struct{} {
	return s.shutdownCh
}

// NumStreams returns the number of currently open streams
func (s *Session) NumStreams() int {
	s.streamLock.Lock()
	num := len(s.streams)
	s.streamLock.Unlock()
	return num
}

// Open is used to create a new stream as a net.Conn
func (s *Session) Open() (net.Conn, error) {
	conn, err := s.OpenStream()
	if err != nil {
		return nil, err
	}
	return conn, nil
}

// OpenStream is used to create a new stream
func (s *Session) OpenStream() (*Stream, error) {
	if s.IsClosed() {
		return nil, ErrSessionShutdown
	}
	if atomic.LoadInt32(&s.remoteGoAway) == 1 {
		return nil, ErrRemoteGoAway
	}

	// Block if we have too many inflight SYNs
	select {
	case s.synCh <- struct{}{}:
	case <-s.shutdownCh:
		return nil, ErrSessionShutdown
	}

GET_ID:
	// Get an ID, and check for stream exhaustion
	id := atomic.LoadUint32(&s.nextStreamID)
	if id >= math.MaxUint32-1 {
		return nil, ErrStreamsExhausted
	}
	if !atomic.CompareAndSwapUint32(&s.nextStreamID, id, id+2) {
		goto GET_ID
	}

	// Register the stream
	stream := newStream(s, id, streamInit)
	s.streamLock.Lock()
	s.streams[id] = stream
	s.inflight[id] = struct{}{}
	s.streamLock.Unlock()

	if s.config.StreamOpenTimeout > 0 {
		s.setOpenTimeout(stream) // chordtui: a timer, not a goroutine
	}

	if s.config.LazyOpen {
		// chordtui: no window update to create the stream: its first
		// frame (the first Write, or Close's FIN) carries the SYN.
		return stream, nil
	}

	// Send the window update to create
	if err := stream.sendWindowUpdate(); err != nil {
		select {
		case <-s.synCh:
		default:
			s.logger.Printf("[ERR] yamux: aborted stream open without inflight syn semaphore")
		}
		return nil, err
	}
	return stream, nil
}

// setOpenTimeout implements a timeout for streams that are opened but not established.
// If the StreamOpenTimeout is exceeded we assume the peer is unable to ACK,
// and close the session.
// The number of running timers is bounded by the capacity of the synCh.
// chordtui: a timer that the ACK stops (Stream.processFlags), instead of a
// goroutine per stream open waiting for the ACK.
//
// The timer holds the stream weakly (chordtui): a pending timer keeps what
// its function refers to until it fires, and a stream its session let go
// without stopping the timer would keep the session and all it holds
// reachable for StreamOpenTimeout.
func (s *Session) setOpenTimeout(stream *Stream) {
	stream.stateLock.Lock()
	ws := weak.Make(stream)
	stream.openTimer = time.AfterFunc(s.config.StreamOpenTimeout, func() {
		stream := ws.Value()
		if stream == nil {
			return // collected: its session was closed and let go
		}
		s := stream.session
		stream.stateLock.Lock()
		pending := stream.state == streamSYNSent || stream.state == streamInit
		stream.stateLock.Unlock()
		if !pending || s.IsClosed() {
			return
		}
		// Timeout reached while waiting for ACK.
		// Close the session to force connection re-establishment.
		s.logger.Printf("[ERR] yamux: aborted stream open (destination=%s): %v", s.RemoteAddr().String(), ErrTimeout.err)
		s.Close()
	})
	stream.stateLock.Unlock()
}

// Accept is used to block until the next available stream
// is ready to be accepted.
func (s *Session) Accept() (net.Conn, error) {
	conn, err := s.AcceptStream()
	if err != nil {
		return nil, err
	}
	return conn, err
}

// AcceptStream is used to block until the next available stream
// is ready to be accepted.
func (s *Session) AcceptStream() (*Stream, error) {
	if s.acceptCh == nil { // chordtui: Hooks.OnStream takes them
		<-s.shutdownCh
		return nil, s.shutdownErr
	}
	select {
	case stream := <-s.acceptCh:
		if err := stream.sendWindowUpdate(); err != nil {
			return nil, err
		}
		return stream, nil
	case <-s.shutdownCh:
		return nil, s.shutdownErr
	}
}

// AcceptStream is used to block until the next available stream
// is ready to be accepted.
func (s *Session) AcceptStreamWithContext(ctx context.Context) (*Stream, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case stream := <-s.acceptCh:
		if err := stream.sendWindowUpdate(); err != nil {
			return nil, err
		}
		return stream, nil
	case <-s.shutdownCh:
		return nil, s.shutdownErr
	}
}

// Close is used to close the session and all streams.
// Attempts to send a GoAway before closing the connection.
func (s *Session) Close() error {
	s.shutdownLock.Lock()

	if s.shutdown {
		s.shutdownLock.Unlock()
		return nil
	}
	s.shutdown = true

	s.shutdownErrLock.Lock()
	if s.shutdownErr == nil {
		s.shutdownErr = ErrSessionShutdown
	}
	s.shutdownErrLock.Unlock()

	s.closed.Store(true)
	close(s.shutdownCh)

	s.conn.Close()
	if s.started {
		<-s.recvDoneCh
	} else {
		close(s.recvDoneCh) // chordtui: closed before Start
	}

	s.streamLock.Lock()
	for _, stream := range s.streams {
		stream.forceClose()
	}
	s.streamLock.Unlock()
	// chordtui: the write timer has nothing left to watch; armed, a late
	// write does not set it again.
	s.watchMu.Lock()
	s.writeArmed.Store(true)
	if s.writeTimer != nil {
		s.writeTimer.Stop()
	}
	s.watchMu.Unlock()
	s.shutdownLock.Unlock()
	// chordtui: no send goroutine to wait for (a writer in a socket write
	// has had it ended by conn.Close); the owner hears of the end last,
	// with no lock of the session held.
	if s.hooks.OnClose != nil {
		s.hooks.OnClose()
	}
	return nil
}

// exitErr is used to handle an error that is causing the
// session to terminate.
func (s *Session) exitErr(err error) {
	s.shutdownErrLock.Lock()
	if s.shutdownErr == nil {
		s.shutdownErr = err
	}
	s.shutdownErrLock.Unlock()
	s.Close()
}

// GoAway can be used to prevent accepting further
// connections. It does not close the underlying conn.
func (s *Session) GoAway() error {
	return s.waitForSend(s.goAway(goAwayNormal), nil)
}

// goAway is used to send a goAway message
func (s *Session) goAway(reason uint32) header {
	atomic.SwapInt32(&s.localGoAway, 1)
	hdr := header(make([]byte, headerSize))
	hdr.encode(typeGoAway, 0, 0, reason)
	return hdr
}

// Ping is used to measure the RTT response time
func (s *Session) Ping() (time.Duration, error) {
	// Get a channel for the ping
	ch := make(chan struct{})

	// Get a new ping id, mark as pending
	s.pingLock.Lock()
	id := s.pingID
	s.pingID++
	s.pings[id] = ch
	s.pingLock.Unlock()

	// Send the ping request
	hdr := header(make([]byte, headerSize))
	hdr.encode(typePing, flagSYN, 0, id)
	if err := s.waitForSend(hdr, nil); err != nil {
		return 0, err
	}

	// Wait for a response
	start := time.Now()
	select {
	case <-ch:
	case <-time.After(s.config.ConnectionWriteTimeout):
		s.pingLock.Lock()
		delete(s.pings, id) // Ignore it if a response comes later.
		s.pingLock.Unlock()
		return 0, ErrTimeout
	case <-s.shutdownCh:
		return 0, ErrSessionShutdown
	}

	// Compute the RTT
	return time.Since(start), nil
}

// keepalive is a long running goroutine that periodically does
// a ping to keep the connection alive.
func (s *Session) keepalive() {
	for {
		select {
		case <-time.After(s.config.KeepAliveInterval):
			_, err := s.Ping()
			if err != nil {
				if !errors.Is(err, ErrSessionShutdown) { // chordtui: errors.Is
					s.logger.Printf("[ERR] yamux: keepalive failed: %v", err)
					s.exitErr(ErrKeepAliveTimeout)
				}
				return
			}
		case <-s.shutdownCh:
			return
		}
	}
}

// waitForSend waits to send a header with optional data (waitForSendErr).
//
// chordtui: the frame and the channel its outcome arrives on come from a
// pool, not from every stream (two channels a stream) and every write.
func (s *Session) waitForSend(hdr header, body []byte) error {
	ready := readyPool.Get().(*sendReady)
	ready.Hdr, ready.Body = hdr, body
	err := s.waitForSendErr(ready)
	ready.mu.Lock()
	cancelled := ready.cancelled
	ready.mu.Unlock()
	if !cancelled {
		// The outcome was received: no writer holds ready any more. A
		// cancelled one stays in the queue, where writers skip it, and is
		// left to the collector.
		ready.Hdr, ready.Body, ready.taken, ready.lead = nil, nil, false, false
		readyPool.Put(ready)
	}
	return err
}

// readyPool holds the frames of waitForSend, each with its outcome channel
// (chordtui).
var readyPool = sync.Pool{New: func() any { return &sendReady{Err: make(chan error, 1)} }}

// errLead, received on a frame's Err channel, hands the writer's role to
// the frame's waiter (chordtui).
var errLead = errors.New("yamux: lead the writes")

// waitForSendErr waits to send a header with optional data, checking for a
// potential shutdown. Since there's the expectation that sends can happen
// in a timely manner, we enforce the connection write timeout here.
//
// chordtui: there is no send goroutine. The frame is queued; a waiter that
// finds no writer at work becomes the writer (lead) and writes it, with
// every frame queued meanwhile, itself. Otherwise it waits for the outcome
// of the write that carries its frame, or for the writer to hand it the
// role. The waiter never returns while the frame may still be written, nor
// reports an error for a frame that was.
func (s *Session) waitForSendErr(ready *sendReady) error {
	errCh := ready.Err
	lead, err := s.enqueue(ready)
	if err != nil {
		return err
	}
	if lead {
		s.lead()
		return s.follow(ready) // the outcome, or the role again
	}

	t := timerPool.Get()
	timer := t.(*time.Timer)
	timer.Reset(s.config.ConnectionWriteTimeout)
	defer func() {
		timer.Stop()
		select {
		case <-timer.C:
		default:
		}
		timerPool.Put(t)
	}()

	for {
		select {
		case err := <-errCh:
			if err != errLead {
				return err
			}
			ready.mu.Lock()
			ready.lead = false
			ready.mu.Unlock()
			s.lead() // the outcome of our frame, or the role again, comes meanwhile
		case <-s.shutdownCh:
			return s.abandon(ready, ErrSessionShutdown)
		case <-timer.C:
			return s.abandon(ready, ErrConnectionWriteTimeout)
		}
	}
}

// enqueue adds ready to the send queue; lead reports that no writer is at
// work, so the caller must write (chordtui).
func (s *Session) enqueue(ready *sendReady) (lead bool, err error) {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if s.IsClosed() {
		return false, ErrSessionShutdown
	}
	s.sendQ = append(s.sendQ, ready)
	if s.writing {
		return false, nil
	}
	s.writing = true
	return true, nil
}

// abandon is called by the waiter of ready when it stops waiting for reason
// (chordtui). A frame no writer has taken is never written: reason is the
// truth. A frame a writer has taken is in the write under way: the waiter
// gets the outcome of that write (nil if it was written whole). After a
// write timeout the session is closed first, which ends that write. A
// waiter that has been handed the writer's role writes first.
func (s *Session) abandon(ready *sendReady, reason error) error {
	ready.mu.Lock()
	if ready.lead {
		ready.mu.Unlock()
		return s.follow(ready) // errLead first
	}
	if !ready.taken {
		ready.cancelled = true
		ready.Body = nil
		ready.mu.Unlock()
		return reason
	}
	ready.mu.Unlock()
	timedOut := errors.Is(reason, ErrConnectionWriteTimeout)
	if timedOut {
		s.exitErr(reason) // closes the connection, which ends the write
	}
	err := <-ready.Err
	if err != nil && timedOut {
		return reason
	}
	return err
}

// follow waits for the outcome of ready's frame, taking the writer's role
// whenever it is handed over (chordtui): a writer always ends by writing
// the frame of the waiter it serves or by handing the role on.
func (s *Session) follow(ready *sendReady) error {
	for {
		err := <-ready.Err
		if err != errLead {
			return err
		}
		ready.mu.Lock()
		ready.lead = false
		ready.mu.Unlock()
		s.lead()
	}
}

// sendNoWait does a send without waiting. Since there's the expectation that
// the send happens right here, we enforce the connection write timeout if we
// can't queue the header to be sent.
//
// chordtui: the frame is queued if fewer than maxQueuedNoWait frames are
// (upstream's send channel holds 64); if no writer is at work, a goroutine
// writes it (the callers include the receive loop, which must never block
// in a socket write: two peers doing so at once would wait for each other).
func (s *Session) sendNoWait(hdr header) error {
	var timer *time.Timer
	for {
		s.sendMu.Lock()
		if s.IsClosed() {
			s.sendMu.Unlock()
			return ErrSessionShutdown
		}
		if len(s.sendQ) < maxQueuedNoWait {
			s.sendQ = append(s.sendQ, &sendReady{Hdr: hdr})
			lead := !s.writing
			s.writing = true
			s.sendMu.Unlock()
			if lead {
				go s.lead()
			}
			if timer != nil {
				timer.Stop()
			}
			return nil
		}
		s.sendMu.Unlock()
		if timer == nil {
			timer = time.NewTimer(s.config.ConnectionWriteTimeout)
			defer timer.Stop()
		}
		select {
		case <-s.spaceCh:
		case <-s.shutdownCh:
			return ErrSessionShutdown
		case <-timer.C:
			return ErrConnectionWriteTimeout
		}
	}
}

// maxQueuedNoWait bounds the send queue for sendNoWait (chordtui).
const maxQueuedNoWait = 64

// maxSendBatch is how many bytes of queued frames a writer gathers into
// one write (chordtui); a larger frame is written alone.
const maxSendBatch = 64 << 10

// lead is the writer's role (chordtui; upstream's send goroutine): take
// the frames at the head of the send queue (up to maxSendBatch bytes),
// write them with one Write, and tell each frame's waiter the outcome for
// its frame: nil for a frame written whole, an error wrapping
// ErrSessionShutdown and the write's error otherwise (a failed write closes
// the session). Then, if frames are still queued, hand the role to the
// waiter of one of them, or go on writing when none has a waiter. Upstream
// writes every frame on its own as two Writes, header and body, from a
// goroutine of its own.
func (s *Session) lead() {
	bp := sendBufPool.Get().(*[]byte)
	defer sendBufPool.Put(bp)
	for {
		s.sendMu.Lock()
		buf := (*bp)[:0]
		// chordtui: room on the stack for a usual batch.
		var batchRoom [16]*sendReady
		var endsRoom [16]int
		batch := batchRoom[:0]
		ends := endsRoom[:0] // where each frame of batch ends in buf
		taken := 0
		for _, ready := range s.sendQ {
			if len(buf) >= maxSendBatch {
				break
			}
			taken++
			if take(ready, &buf) {
				batch, ends = append(batch, ready), append(ends, len(buf))
			}
		}
		// chordtui: the frames left move to the front, so the queue keeps
		// its room (a busy session would otherwise make a new one for
		// almost every frame), unless a burst grew it large.
		left := copy(s.sendQ, s.sendQ[taken:])
		clear(s.sendQ[left:])
		s.sendQ = s.sendQ[:left]
		if left == 0 && cap(s.sendQ) > maxKeptSendQ {
			s.sendQ = nil
		}
		s.sendMu.Unlock()
		if taken > 0 {
			asyncNotify(s.spaceCh)
		}

		var n int
		var err error
		if len(buf) > 0 {
			if s.IsClosed() {
				err = errClosedBeforeWrite
			} else {
				waited := false
				for _, ready := range batch {
					waited = waited || ready.Err != nil
				}
				n, err = s.write(buf, waited)
			}
		}
		var failed error
		switch {
		case err != nil && s.writeTimedOut.Load():
			failed = ErrConnectionWriteTimeout // as upstream's waiter reports it
		case err != nil:
			failed = fmt.Errorf("%w: %w", ErrSessionShutdown, err)
		}
		for i, ready := range batch {
			if ends[i] <= n {
				asyncSendErr(ready.Err, nil)
			} else {
				asyncSendErr(ready.Err, failed)
			}
		}
		if cap(buf) > 2*maxSendBatch {
			buf = nil // do not keep the buffer a large frame grew
		}
		*bp = buf
		if err != nil && err != errClosedBeforeWrite {
			s.logger.Printf("[ERR] yamux: Failed to write frames: %v", err)
			s.exitErr(err)
		}

		s.sendMu.Lock()
		if len(s.sendQ) == 0 {
			s.writing = false
			s.sendMu.Unlock()
			return
		}
		// Hand the role to a waiter, if a queued frame has one.
		for _, ready := range s.sendQ {
			if ready.Err == nil {
				continue
			}
			ready.mu.Lock()
			ok := !ready.cancelled
			ready.lead = ok
			ready.mu.Unlock()
			if ok {
				s.sendMu.Unlock()
				ready.Err <- errLead // Err is empty: the frame has no outcome yet
				return
			}
		}
		s.sendMu.Unlock()
	}
}

// maxKeptSendQ is the most room an empty send queue keeps (chordtui).
const maxKeptSendQ = 64

// sendBufPool holds the writers' buffers, shared by every session
// (chordtui): an idle session keeps none.
var sendBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// errClosedBeforeWrite: the session had shut down before a writer wrote
// the frames it took (chordtui).
var errClosedBeforeWrite = errors.New("session closed before the write")

// write writes buf to the connection (chordtui). If a waiter waits for a
// frame in it (waited), a write that takes longer than
// ConnectionWriteTimeout closes the session, which ends it; frames nobody
// waits for (window updates, pings) wait as long as upstream's send loop.
//
// The timer is not reset and stopped around every write, which would put
// two timer operations on every frame: a write notes when it began, and
// arms the timer only if it is not armed already. When it fires,
// checkWrite closes the session if the write under way began
// ConnectionWriteTimeout ago or more, sets the timer again for the one
// under way if it began later, and leaves it unarmed if none is: so a busy
// session's timer fires about once a timeout, an idle one's not at all.
func (s *Session) write(buf []byte, waited bool) (int, error) {
	if !waited {
		return s.conn.Write(buf)
	}
	s.writeStart.Store(int64(time.Since(monoBase)))
	s.inWrite.Store(true)
	if !s.writeArmed.Load() {
		s.armWrite(s.config.ConnectionWriteTimeout)
	}
	n, err := s.conn.Write(buf)
	s.inWrite.Store(false)
	return n, err
}

// monoBase is the origin of writeStart: time.Since reads the monotonic
// clock.
var monoBase = time.Now()

// armWrite sets the write timer to fire in d, unless it is armed already.
func (s *Session) armWrite(d time.Duration) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.writeArmed.Load() {
		return
	}
	s.writeArmed.Store(true)
	if s.writeTimer == nil {
		ws := weak.Make(s) // see setOpenTimeout
		s.writeTimer = time.AfterFunc(d, func() {
			if s := ws.Value(); s != nil {
				s.checkWrite()
			}
		})
		return
	}
	s.writeTimer.Reset(d)
}

// checkWrite runs when the write timer fires (see write).
func (s *Session) checkWrite() {
	timeout := s.config.ConnectionWriteTimeout
	s.watchMu.Lock()
	if s.IsClosed() { // Close stopped the timer too late: leave it unset
		s.watchMu.Unlock()
		return
	}
	s.writeArmed.Store(false)
	s.watchMu.Unlock()
	if !s.inWrite.Load() {
		return // a write that begins from now on arms the timer itself
	}
	// A write is under way (this one, or one that began after the load
	// above and armed the timer itself: armWrite then does nothing).
	left := timeout - (time.Since(monoBase) - time.Duration(s.writeStart.Load()))
	if left > 0 {
		s.armWrite(left)
		return
	}
	s.writeTimedOut.Store(true)
	s.logger.Printf("[ERR] yamux: a write took longer than %v, closing the session", timeout)
	s.exitErr(ErrConnectionWriteTimeout)
}

// take appends the header and body of ready to *buf and reports true,
// unless its waiter has given up on it (chordtui).
func take(ready *sendReady, buf *[]byte) bool {
	ready.mu.Lock()
	defer ready.mu.Unlock()
	if ready.cancelled {
		return false
	}
	ready.taken = true
	*buf = append(*buf, ready.Hdr...)
	*buf = append(*buf, ready.Body...)
	ready.Body = nil
	return true
}

// recv is a long running goroutine that accepts new data
func (s *Session) recv() {
	if err := s.recvLoop(); err != nil {
		s.exitErr(err)
	}
}

// Ensure that the index of the handler (typeData/typeWindowUpdate/etc) matches the message type
var (
	handlers = []func(*Session, header) error{
		typeData:         (*Session).handleStreamMessage,
		typeWindowUpdate: (*Session).handleStreamMessage,
		typePing:         (*Session).handlePing,
		typeGoAway:       (*Session).handleGoAway,
	}
)

// recvLoop continues to receive data until a fatal error is encountered
func (s *Session) recvLoop() error {
	defer close(s.recvDoneCh)
	hdr := header(make([]byte, headerSize))
	for {
		// Read the header
		if _, err := io.ReadFull(s.bufRead, hdr); err != nil {
			if err != io.EOF && !strings.Contains(err.Error(), "closed") && !strings.Contains(err.Error(), "reset by peer") {
				s.logger.Printf("[ERR] yamux: Failed to read header: %v", err)
			}
			return err
		}

		// Verify the version
		if hdr.Version() != protoVersion {
			s.logger.Printf("[ERR] yamux: Invalid protocol version: %d", hdr.Version())
			return ErrInvalidVersion
		}

		mt := hdr.MsgType()
		if mt < typeData || mt > typeGoAway {
			return ErrInvalidMsgType
		}

		if err := handlers[mt](s, hdr); err != nil {
			return err
		}
	}
}

// handleStreamMessage handles either a data or window update frame
func (s *Session) handleStreamMessage(hdr header) error {
	// Check for a new stream creation
	id := hdr.StreamID()
	flags := hdr.Flags()
	if flags&flagSYN == flagSYN {
		if err := s.incomingStream(id); err != nil {
			return err
		}
	}

	// Get the stream
	s.streamLock.Lock()
	stream := s.streams[id]
	s.streamLock.Unlock()

	// If we do not have a stream, likely we sent a RST
	if stream == nil {
		// Drain any data on the wire
		if hdr.MsgType() == typeData && hdr.Length() > 0 {
			s.logger.Printf("[WARN] yamux: Discarding data for stream: %d", id)
			if _, err := io.CopyN(ioutil.Discard, s.bufRead, int64(hdr.Length())); err != nil {
				s.logger.Printf("[ERR] yamux: Failed to discard data: %v", err)
				return nil
			}
		} else {
			s.logger.Printf("[WARN] yamux: frame for missing stream: %v", hdr)
		}
		return nil
	}

	// Check if this is a window update
	if hdr.MsgType() == typeWindowUpdate {
		if err := stream.incrSendWindow(hdr, flags); err != nil {
			if sendErr := s.sendNoWait(s.goAway(goAwayProtoErr)); sendErr != nil {
				s.logger.Printf("[WARN] yamux: failed to send go away: %v", sendErr)
			}
			return err
		}
		return nil
	}

	// Read the new data
	if err := stream.readData(hdr, flags, s.bufRead); err != nil {
		if sendErr := s.sendNoWait(s.goAway(goAwayProtoErr)); sendErr != nil {
			s.logger.Printf("[WARN] yamux: failed to send go away: %v", sendErr)
		}
		return err
	}
	return nil
}

// handlePing is invokde for a typePing frame
func (s *Session) handlePing(hdr header) error {
	flags := hdr.Flags()
	pingID := hdr.Length()

	// Check if this is a query, respond back in a separate context so we
	// don't interfere with the receiving thread blocking for the write.
	if flags&flagSYN == flagSYN {
		go func() {
			hdr := header(make([]byte, headerSize))
			hdr.encode(typePing, flagACK, 0, pingID)
			if err := s.sendNoWait(hdr); err != nil {
				s.logger.Printf("[WARN] yamux: failed to send ping reply: %v", err)
			}
		}()
		return nil
	}

	// Handle a response
	s.pingLock.Lock()
	ch := s.pings[pingID]
	if ch != nil {
		delete(s.pings, pingID)
		close(ch)
	}
	s.pingLock.Unlock()
	return nil
}

// handleGoAway is invokde for a typeGoAway frame
func (s *Session) handleGoAway(hdr header) error {
	code := hdr.Length()
	switch code {
	case goAwayNormal:
		atomic.SwapInt32(&s.remoteGoAway, 1)
	case goAwayProtoErr:
		s.logger.Printf("[ERR] yamux: received protocol error go away")
		return fmt.Errorf("yamux protocol error")
	case goAwayInternalErr:
		s.logger.Printf("[ERR] yamux: received internal error go away")
		return fmt.Errorf("remote yamux internal error")
	default:
		s.logger.Printf("[ERR] yamux: received unexpected go away")
		return fmt.Errorf("unexpected go away received")
	}
	return nil
}

// incomingStream is used to create a new incoming stream
func (s *Session) incomingStream(id uint32) error {
	// Reject immediately if we are doing a go away
	if atomic.LoadInt32(&s.localGoAway) == 1 {
		hdr := header(make([]byte, headerSize))
		hdr.encode(typeWindowUpdate, flagRST, id, 0)
		return s.sendNoWait(hdr)
	}

	// Allocate a new stream
	stream := newStream(s, id, streamSYNReceived)

	s.streamLock.Lock()
	defer s.streamLock.Unlock()

	// Check if stream already exists
	if _, ok := s.streams[id]; ok {
		s.logger.Printf("[ERR] yamux: duplicate stream declared")
		if sendErr := s.sendNoWait(s.goAway(goAwayProtoErr)); sendErr != nil {
			s.logger.Printf("[WARN] yamux: failed to send go away: %v", sendErr)
		}
		return ErrDuplicateStream
	}

	// Register the stream
	s.streams[id] = stream

	// chordtui: the owner takes the stream at once (it must not block).
	if s.hooks.OnStream != nil {
		s.hooks.OnStream(stream)
		return nil
	}

	// Check if we've exceeded the backlog
	select {
	case s.acceptCh <- stream:
		return nil
	default:
		// Backlog exceeded! RST the stream
		s.logger.Printf("[WARN] yamux: backlog exceeded, forcing connection reset")
		delete(s.streams, id)
		hdr := header(make([]byte, headerSize))
		hdr.encode(typeWindowUpdate, flagRST, id, 0)
		return s.sendNoWait(hdr)
	}
}

// closeStream is used to close a stream once both sides have
// issued a close. If there was an in-flight SYN and the stream
// was not yet established, then this will give the credit back.
func (s *Session) closeStream(id uint32) {
	s.streamLock.Lock()
	if _, ok := s.inflight[id]; ok {
		select {
		case <-s.synCh:
		default:
			s.logger.Printf("[ERR] yamux: SYN tracking out of sync")
		}
		delete(s.inflight, id) // chordtui: upstream keeps the entry of a stream closed before its ACK
	}
	delete(s.streams, id)
	s.streamLock.Unlock()
}

// establishStream is used to mark a stream that was in the
// SYN Sent state as established.
func (s *Session) establishStream(id uint32) {
	s.streamLock.Lock()
	if _, ok := s.inflight[id]; ok {
		delete(s.inflight, id)
	} else {
		s.logger.Printf("[ERR] yamux: established stream without inflight SYN (no tracking entry)")
	}
	select {
	case <-s.synCh:
	default:
		s.logger.Printf("[ERR] yamux: established stream without inflight SYN (didn't have semaphore)")
	}
	s.streamLock.Unlock()
}
