// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at https://mozilla.org/MPL/2.0/.
//
// Written by chordtui: tests of what it changed in this copy of yamux (see
// README.md). The send loop gathers queued frames into one write, and a
// frame's waiter is told the outcome of the write that carried the frame.

package yamux

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

// gateConn is a connection whose writes are recorded and, while gated,
// wait for release (or Close); reads wait for Close.
type gateConn struct {
	mu      sync.Mutex
	writes  [][]byte
	gated   bool
	entered chan struct{} // a Write has started (buffered: one token a Write)
	release chan struct{} // one receive lets one gated Write through
	closed  chan struct{}
	once    sync.Once
	onWrite func() // called before a Write returns success
}

func newGateConn(gated bool) *gateConn {
	return &gateConn{
		gated:   gated,
		entered: make(chan struct{}, 100),
		release: make(chan struct{}),
		closed:  make(chan struct{}),
	}
}

func (c *gateConn) Read([]byte) (int, error) {
	<-c.closed
	return 0, io.EOF
}

func (c *gateConn) Write(p []byte) (int, error) {
	c.entered <- struct{}{}
	c.mu.Lock()
	gated := c.gated
	c.mu.Unlock()
	if gated {
		select {
		case <-c.release:
		case <-c.closed:
			return 0, io.ErrClosedPipe
		}
	}
	c.mu.Lock()
	c.writes = append(c.writes, append([]byte(nil), p...))
	c.mu.Unlock()
	if c.onWrite != nil {
		c.onWrite()
	}
	return len(p), nil
}

func (c *gateConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *gateConn) recorded() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// queued returns how many frames wait for a writer.
func (s *Session) queued() int {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	return len(s.sendQ)
}

func quietConfig() *Config {
	conf := DefaultConfig()
	conf.EnableKeepAlive = false
	conf.LogOutput = io.Discard
	return conf
}

func pingHeader(id uint32) header {
	hdr := header(make([]byte, headerSize))
	hdr.encode(typePing, flagACK, 0, id)
	return hdr
}

// TestSendLoopGathersQueuedFrames checks that frames queued while the send
// loop is writing leave together, in order, with the next write.
func TestSendLoopGathersQueuedFrames(t *testing.T) {
	conn := newGateConn(true)
	s, err := Client(conn, quietConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.sendNoWait(pingHeader(0)); err != nil {
		t.Fatal(err)
	}
	<-conn.entered // the send loop is in the first write
	var want []byte
	for id := uint32(1); id <= 5; id++ {
		hdr := pingHeader(id)
		want = append(want, hdr...)
		if err := s.sendNoWait(hdr); err != nil {
			t.Fatal(err)
		}
	}
	conn.release <- struct{}{}
	<-conn.entered
	conn.release <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for len(conn.recorded()) < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	w := conn.recorded()
	if len(w) != 2 || !bytes.Equal(w[0], pingHeader(0)) || !bytes.Equal(w[1], want) {
		t.Fatalf("writes %x, want the first frame alone and then the five queued ones in one write", w)
	}
}

// TestWaiterGetsOutcomeOfWrittenFrame checks that a frame written whole is
// reported written even when the session shuts down before its waiter
// hears back (upstream yamux may then report ErrSessionShutdown, and a
// caller would take a request that reached the peer for one that did not).
func TestWaiterGetsOutcomeOfWrittenFrame(t *testing.T) {
	for range 50 {
		conn := newGateConn(false)
		s, err := Client(conn, quietConfig())
		if err != nil {
			t.Fatal(err)
		}
		// The write succeeds, but only once the session has begun to shut
		// down (as when the peer answers a request and closes at once).
		conn.onWrite = func() {
			go s.Close()
			<-s.CloseChan()
		}
		if err := s.waitForSend(pingHeader(1), []byte("body")); err != nil {
			t.Fatalf("a frame written whole was reported as: %v", err)
		}
		s.Close()
	}
}

// TestFrameNotTakenIsNeverWritten checks that a frame whose waiter gave up
// (the session shut down) before the send loop took it is never written,
// and that the frame in the failed write is reported failed.
func TestFrameNotTakenIsNeverWritten(t *testing.T) {
	conn := newGateConn(true)
	s, err := Client(conn, quietConfig())
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- s.waitForSend(pingHeader(1), nil) }()
	<-conn.entered // the send loop is in the write of the first frame
	second := make(chan error, 1)
	go func() { second <- s.waitForSend(pingHeader(2), []byte("never")) }()
	for deadline := time.Now().Add(5 * time.Second); s.queued() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second frame was never queued")
		}
	}
	s.Close() // the gated write fails
	if err := <-first; !errors.Is(err, ErrSessionShutdown) || !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("frame in the failed write: %v, want session shutdown caused by the write error", err)
	}
	if err := <-second; !errors.Is(err, ErrSessionShutdown) {
		t.Fatalf("frame never taken: %v, want ErrSessionShutdown", err)
	}
	if w := conn.recorded(); len(w) != 0 {
		t.Fatalf("written: %x, want nothing", w)
	}
}

// TestWriteTimeoutClosesSession checks that a frame stuck in the socket
// write past ConnectionWriteTimeout closes the session and is reported
// failed only once that write has ended.
func TestWriteTimeoutClosesSession(t *testing.T) {
	conn := newGateConn(true)
	conf := quietConfig()
	conf.ConnectionWriteTimeout = 50 * time.Millisecond
	s, err := Client(conn, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.waitForSend(pingHeader(1), nil); !errors.Is(err, ErrConnectionWriteTimeout) {
		t.Fatalf("stuck write: %v, want ErrConnectionWriteTimeout", err)
	}
	if !s.IsClosed() {
		t.Fatal("the session is still open after a write got stuck")
	}
}

// TestWriteTimerWatchesTheWriteUnderWay checks the write timer that is not
// reset for every write: a session writing without pause for several
// timeouts stays open, a write that then gets stuck still closes it a whole
// timeout after it began (not earlier, when a timer set by an earlier write
// fires), and an idle session's timer stops setting itself again.
func TestWriteTimerWatchesTheWriteUnderWay(t *testing.T) {
	const timeout = 100 * time.Millisecond
	conn := newGateConn(false)
	conn.entered = make(chan struct{}, 1<<20) // room for the busy writes
	conf := quietConfig()
	conf.ConnectionWriteTimeout = timeout
	s, err := Client(conn, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	for i, end := uint32(0), time.Now().Add(3*timeout); time.Now().Before(end); i++ {
		if err := s.waitForSend(pingHeader(i), nil); err != nil {
			t.Fatalf("write %d of a busy session: %v", i, err)
		}
	}
	if s.IsClosed() {
		t.Fatal("the write timer closed a session whose writes all finished at once")
	}

	deadline := time.Now().Add(10 * timeout)
	for s.writeArmed.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the write timer of an idle session is still set after 10 timeouts")
		}
		time.Sleep(time.Millisecond)
	}

	// Writes for half a timeout: the first sets the timer, which then fires
	// half a timeout into the stuck write below.
	for i, end := uint32(0), time.Now().Add(timeout/2); time.Now().Before(end); i++ {
		if err := s.waitForSend(pingHeader(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	conn.mu.Lock()
	conn.gated = true
	conn.mu.Unlock()
	began := time.Now()
	if err := s.waitForSend(pingHeader(1), nil); !errors.Is(err, ErrConnectionWriteTimeout) {
		t.Fatalf("stuck write: %v, want ErrConnectionWriteTimeout", err)
	}
	if took := time.Since(began); took < timeout {
		t.Fatalf("a stuck write was given up after %v, before the %v timeout", took, timeout)
	}
	if !s.IsClosed() {
		t.Fatal("the session is still open after a write got stuck")
	}
}
