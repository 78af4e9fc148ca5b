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
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"weak"
)

type streamState int

const (
	streamInit streamState = iota
	streamSYNSent
	streamSYNReceived
	streamEstablished
	streamLocalClose
	streamRemoteClose
	streamClosed
	streamReset
)

// Stream is used to represent a logical stream
// within a session.
type Stream struct {
	recvWindow uint32
	sendWindow uint32

	id      uint32
	session *Session

	state     streamState
	stateLock sync.Mutex

	recvBuf  []byte // chordtui: the unread bytes (nil when none), not a bytes.Buffer
	recvLock sync.Mutex

	controlHdr     header
	controlHdrLock sync.Mutex

	sendHdr  header
	sendLock sync.Mutex

	// chordtui: the headers' first buffers, in the stream itself.
	controlBuf, sendBuf [headerSize]byte

	recvNotifyCh chan struct{}
	sendNotifyCh chan struct{}

	// chordtui: cancel, when closed, ends Read's and Write's waits with
	// ErrTimeout, as an expired deadline does. Set with SetCancel by the
	// stream's one user, read only by that user's Read and Write.
	cancel <-chan struct{}

	// chordtui: deadlines as deadlineClock offsets (0: none), not
	// time.Time in an atomic.Value, which allocates on every Store.
	readDeadline  atomic.Int64
	writeDeadline atomic.Int64

	// establishCh is notified if the stream is established or being closed.
	establishCh chan struct{}

	// closeTimer is set with stateLock held to honor the StreamCloseTimeout
	// setting on Session.
	closeTimer *time.Timer

	// chordtui: openTimer (under stateLock) closes the session if the peer
	// does not acknowledge the stream within StreamOpenTimeout; the ACK
	// stops it.
	openTimer *time.Timer

	// chordtui: onReadable, if set (SetReadableHook), is called by the
	// session's receive loop after data or a close arrives for the stream.
	onReadable atomic.Pointer[func()]
}

// SetReadableHook makes f run after every arrival of data, a FIN or a
// reset for the stream, and when the session closes it, on the session's
// receive loop: f must not block (chordtui). With it, a server needs no
// goroutine parked in Read on an idle stream: f starts one when a Read
// would not block (Readable).
func (s *Stream) SetReadableHook(f func()) {
	s.onReadable.Store(&f)
}

// readable runs the readable hook, if any (chordtui).
func (s *Stream) readable() {
	if f := s.onReadable.Load(); f != nil {
		(*f)()
	}
}

// Readable reports whether a Read would return without waiting: data is
// buffered, or the stream is closed for reading or reset (chordtui).
func (s *Stream) Readable() bool {
	s.stateLock.Lock()
	state := s.state
	s.stateLock.Unlock()
	switch state {
	case streamRemoteClose, streamClosed, streamReset:
		return true
	}
	s.recvLock.Lock()
	defer s.recvLock.Unlock()
	return len(s.recvBuf) > 0
}

// Accept acknowledges an incoming stream handed over by Hooks.OnStream, as
// AcceptStream does before it returns one (chordtui).
func (s *Stream) Accept() error {
	return s.sendWindowUpdate()
}

// newStream is used to construct a new stream within
// a given session for an ID
func newStream(session *Session, id uint32, state streamState) *Stream {
	s := &Stream{
		id:           id,
		session:      session,
		state:        state,
		recvWindow:   initialStreamWindow,
		sendWindow:   initialStreamWindow,
		recvNotifyCh: make(chan struct{}, 1),
		sendNotifyCh: make(chan struct{}, 1),
		// chordtui: establishCh is nil: nothing waits on it (the open
		// timeout is a timer the ACK stops), and a send to nil is skipped.
	}
	s.controlHdr, s.sendHdr = s.controlBuf[:], s.sendBuf[:]
	return s
}

// Session returns the associated stream session
func (s *Stream) Session() *Session {
	return s.session
}

// StreamID returns the ID of this stream
func (s *Stream) StreamID() uint32 {
	return s.id
}

// Read is used to read from the stream
func (s *Stream) Read(b []byte) (n int, err error) {
	_, n, err = s.read(b, false)
	return n, err
}

// ReadChunk waits as Read does, then returns every byte buffered, in a
// slice the caller owns (chordtui): a frame the peer wrote at once comes
// whole, with no copy. The slice is never empty when err is nil.
func (s *Stream) ReadChunk() ([]byte, error) {
	out, _, err := s.read(nil, true)
	return out, err
}

// read is Read, or with chunk ReadChunk (chordtui).
func (s *Stream) read(b []byte, chunk bool) (out []byte, n int, err error) {
	defer asyncNotify(s.recvNotifyCh)
	shut := false // chordtui: the session has shut down
START:

	// If the stream is closed and there's no data buffered, return EOF
	s.stateLock.Lock()
	switch s.state {
	case streamLocalClose:
		// LocalClose only prohibits further local writes. Handle reads normally.
	case streamRemoteClose:
		fallthrough
	case streamClosed:
		s.recvLock.Lock()
		if len(s.recvBuf) == 0 {
			s.recvLock.Unlock()
			s.stateLock.Unlock()
			return nil, 0, io.EOF
		}
		s.recvLock.Unlock()
	case streamReset:
		s.stateLock.Unlock()
		return nil, 0, ErrConnectionReset
	}
	s.stateLock.Unlock()

	// If there is no data available, block
	s.recvLock.Lock()
	if len(s.recvBuf) == 0 {
		s.recvLock.Unlock()
		if shut {
			// chordtui: upstream waits again, and spins until Close has
			// marked the stream closed.
			return nil, 0, ErrSessionShutdown
		}
		goto WAIT
	}

	// Read any bytes
	if chunk {
		// chordtui: ReadChunk takes the buffer itself.
		out, n = s.recvBuf, len(s.recvBuf)
		s.recvBuf = nil
	} else {
		n = copy(b, s.recvBuf)
		s.recvBuf = s.recvBuf[n:]
		if len(s.recvBuf) == 0 {
			// chordtui: an idle (pooled) stream keeps no buffer; the next
			// frame gets one of its own size.
			s.recvBuf = nil
		}
	}
	s.recvLock.Unlock()

	// Send a window update potentially
	err = s.sendWindowUpdate()
	if errors.Is(err, ErrSessionShutdown) { // chordtui: errors.Is (a failed write wraps it)
		err = nil
	}
	return out, n, err

WAIT:
	var timeout <-chan time.Time
	var timer *time.Timer
	if readDeadline := s.readDeadline.Load(); readDeadline != 0 {
		delay := time.Until(fromDeadline(readDeadline))
		timer = time.NewTimer(delay)
		timeout = timer.C
	}
	select {
	case <-s.session.shutdownCh:
		shut = true
	case <-s.recvNotifyCh:
	case <-timeout:
		return nil, 0, ErrTimeout
	case <-s.cancel:
		return nil, 0, ErrTimeout
	}
	if timer != nil {
		if !timer.Stop() {
			<-timeout
		}
	}
	goto START
}

// Write is used to write to the stream
func (s *Stream) Write(b []byte) (n int, err error) {
	s.sendLock.Lock()
	defer s.sendLock.Unlock()
	total := 0
	for total < len(b) {
		n, err := s.write(b[total:])
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// write is used to write to the stream, may return on
// a short write.
func (s *Stream) write(b []byte) (n int, err error) {
	var flags uint16
	var max uint32
	var body []byte
START:
	s.stateLock.Lock()
	switch s.state {
	case streamLocalClose:
		fallthrough
	case streamClosed:
		s.stateLock.Unlock()
		return 0, ErrStreamClosed
	case streamReset:
		s.stateLock.Unlock()
		return 0, ErrConnectionReset
	}
	s.stateLock.Unlock()

	// If there is no data available, block
	window := atomic.LoadUint32(&s.sendWindow)
	if window == 0 {
		if s.session.IsClosed() {
			return 0, ErrSessionShutdown // chordtui: upstream spins until the stream is closed
		}
		goto WAIT
	}

	// Determine the flags if any
	flags = s.sendFlags()

	// Send up to our send window
	max = min(window, uint32(len(b)))
	body = b[:max]

	// Send the header
	s.sendHdr.encode(typeData, flags, s.id, max)
	if err = s.session.waitForSend(s.sendHdr, body); err != nil {
		if errors.Is(err, ErrSessionShutdown) || errors.Is(err, ErrConnectionWriteTimeout) {
			// Message left in ready queue, header re-use is unsafe.
			s.sendHdr = header(make([]byte, headerSize))
		}
		return 0, err
	}

	// Reduce our send window
	atomic.AddUint32(&s.sendWindow, ^uint32(max-1))

	// Unlock
	return int(max), err

WAIT:
	var timeout <-chan time.Time
	var timer *time.Timer
	if writeDeadline := s.writeDeadline.Load(); writeDeadline != 0 {
		delay := time.Until(fromDeadline(writeDeadline))
		timer = time.NewTimer(delay)
		timeout = timer.C
	}
	select {
	case <-s.session.shutdownCh:
	case <-s.sendNotifyCh:
	case <-timeout:
		return 0, ErrTimeout
	case <-s.cancel:
		return 0, ErrTimeout
	}
	if timer != nil {
		if !timer.Stop() {
			<-timeout
		}
	}
	goto START
}

// sendFlags determines any flags that are appropriate
// based on the current stream state
func (s *Stream) sendFlags() uint16 {
	s.stateLock.Lock()
	defer s.stateLock.Unlock()
	var flags uint16
	switch s.state {
	case streamInit:
		flags |= flagSYN
		s.state = streamSYNSent
	case streamSYNReceived:
		flags |= flagACK
		s.state = streamEstablished
	}
	return flags
}

// sendWindowUpdate potentially sends a window update enabling
// further writes to take place. Must be invoked with the lock.
func (s *Stream) sendWindowUpdate() error {
	s.controlHdrLock.Lock()
	defer s.controlHdrLock.Unlock()

	// Determine the delta update
	max := s.session.config.MaxStreamWindowSize
	var bufLen uint32
	s.recvLock.Lock()
	bufLen = uint32(len(s.recvBuf))
	delta := (max - bufLen) - s.recvWindow

	// Determine the flags if any
	flags := s.sendFlags()

	// Check if we can omit the update
	if delta < (max/2) && flags == 0 {
		s.recvLock.Unlock()
		return nil
	}

	// Update our window
	s.recvWindow += delta
	s.recvLock.Unlock()

	// Send the header
	s.controlHdr.encode(typeWindowUpdate, flags, s.id, delta)
	if err := s.session.waitForSend(s.controlHdr, nil); err != nil {
		if errors.Is(err, ErrSessionShutdown) || errors.Is(err, ErrConnectionWriteTimeout) {
			// Message left in ready queue, header re-use is unsafe.
			s.controlHdr = header(make([]byte, headerSize))
		}
		return err
	}
	return nil
}

// sendClose is used to send a FIN
func (s *Stream) sendClose(syn bool) error {
	s.controlHdrLock.Lock()
	defer s.controlHdrLock.Unlock()

	flags := s.sendFlags()
	flags |= flagFIN
	if syn { // chordtui: a stream closed before its first frame
		flags |= flagSYN
	}
	s.controlHdr.encode(typeWindowUpdate, flags, s.id, 0)
	if err := s.session.waitForSend(s.controlHdr, nil); err != nil {
		if errors.Is(err, ErrSessionShutdown) || errors.Is(err, ErrConnectionWriteTimeout) {
			// Message left in ready queue, header re-use is unsafe.
			s.controlHdr = header(make([]byte, headerSize))
		}
		return err
	}
	return nil
}

// Close is used to close the stream
func (s *Stream) Close() error {
	closeStream := false
	syn := false // chordtui
	s.stateLock.Lock()
	switch s.state {
	case streamInit:
		// chordtui: opened with Config.LazyOpen, nothing sent yet: the FIN
		// carries the SYN, so the peer still accepts the stream, closed,
		// as it would have without LazyOpen.
		syn = true
		s.state = streamLocalClose
		goto SEND_CLOSE
	// Opened means we need to signal a close
	case streamSYNSent:
		fallthrough
	case streamSYNReceived:
		fallthrough
	case streamEstablished:
		s.state = streamLocalClose
		goto SEND_CLOSE

	case streamLocalClose:
	case streamRemoteClose:
		s.state = streamClosed
		closeStream = true
		goto SEND_CLOSE

	case streamClosed:
	case streamReset:
	default:
		panic("unhandled state")
	}
	s.stateLock.Unlock()
	return nil
SEND_CLOSE:
	// This shouldn't happen (the more realistic scenario to cancel the
	// timer is via processFlags) but just in case this ever happens, we
	// cancel the timer to prevent dangling timers.
	if s.closeTimer != nil {
		s.closeTimer.Stop()
		s.closeTimer = nil
	}

	// If we have a StreamCloseTimeout set we start the timeout timer.
	// We do this only if we're not already closing the stream since that
	// means this was a graceful close.
	//
	// This prevents memory leaks if one side (this side) closes and the
	// remote side poorly behaves and never responds with a FIN to complete
	// the close. After the specified timeout, we clean our resources up no
	// matter what.
	// chordtui: not once the session is closed (no FIN can come), where
	// the timer would hold the stream and the session for its duration.
	if !closeStream && s.session.config.StreamCloseTimeout > 0 && !s.session.IsClosed() {
		ws := weak.Make(s) // see Session.setOpenTimeout
		s.closeTimer = time.AfterFunc(s.session.config.StreamCloseTimeout, func() {
			if s := ws.Value(); s != nil {
				s.closeTimeout()
			}
		})
	}

	s.stateLock.Unlock()
	s.sendClose(syn)
	s.notifyWaiting()
	if closeStream {
		s.session.closeStream(s.id)
	}
	return nil
}

// closeTimeout is called after StreamCloseTimeout during a close to
// close this stream.
func (s *Stream) closeTimeout() {
	// Close our side forcibly
	s.forceClose()

	// Free the stream from the session map
	s.session.closeStream(s.id)

	// Send a RST so the remote side closes too.
	s.sendLock.Lock()
	defer s.sendLock.Unlock()
	hdr := header(make([]byte, headerSize))
	hdr.encode(typeWindowUpdate, flagRST, s.id, 0)
	_ = s.session.sendNoWait(hdr)
}

// forceClose is used for when the session is exiting
func (s *Stream) forceClose() {
	s.stateLock.Lock()
	s.state = streamClosed
	if s.openTimer != nil { // chordtui
		s.openTimer.Stop()
		s.openTimer = nil
	}
	if s.closeTimer != nil { // chordtui: a pending timer would hold the stream and its session
		s.closeTimer.Stop()
		s.closeTimer = nil
	}
	s.stateLock.Unlock()
	s.notifyWaiting()
	s.readable() // chordtui
}

// processFlags is used to update the state of the stream
// based on set flags, if any. Lock must be held
func (s *Stream) processFlags(flags uint16) error {
	s.stateLock.Lock()
	defer s.stateLock.Unlock()

	// Close the stream without holding the state lock
	closeStream := false
	defer func() {
		if closeStream {
			if s.closeTimer != nil {
				// Stop our close timeout timer since we gracefully closed
				s.closeTimer.Stop()
			}
			if s.openTimer != nil { // chordtui: reset (or closed) before the ACK
				s.openTimer.Stop()
				s.openTimer = nil
			}

			s.session.closeStream(s.id)
		}
	}()

	if flags&flagACK == flagACK {
		if s.state == streamSYNSent {
			s.state = streamEstablished
		}
		if s.openTimer != nil { // chordtui
			s.openTimer.Stop()
			s.openTimer = nil
		}
		asyncNotify(s.establishCh)
		s.session.establishStream(s.id)
	}
	if flags&flagFIN == flagFIN {
		switch s.state {
		case streamSYNSent:
			fallthrough
		case streamSYNReceived:
			fallthrough
		case streamEstablished:
			s.state = streamRemoteClose
			s.notifyWaiting()
		case streamLocalClose:
			s.state = streamClosed
			closeStream = true
			s.notifyWaiting()
		default:
			s.session.logger.Printf("[ERR] yamux: unexpected FIN flag in state %d", s.state)
			return ErrUnexpectedFlag
		}
	}
	if flags&flagRST == flagRST {
		s.state = streamReset
		closeStream = true
		s.notifyWaiting()
	}
	return nil
}

// notifyWaiting notifies all the waiting channels
func (s *Stream) notifyWaiting() {
	asyncNotify(s.recvNotifyCh)
	asyncNotify(s.sendNotifyCh)
	asyncNotify(s.establishCh)
}

// incrSendWindow updates the size of our send window
func (s *Stream) incrSendWindow(hdr header, flags uint16) error {
	if err := s.processFlags(flags); err != nil {
		return err
	}

	// Increase window, unblock a sender
	atomic.AddUint32(&s.sendWindow, hdr.Length())
	asyncNotify(s.sendNotifyCh)
	if flags&(flagFIN|flagRST) != 0 {
		s.readable() // chordtui
	}
	return nil
}

// readData is used to handle a data frame
func (s *Stream) readData(hdr header, flags uint16, conn io.Reader) error {
	if err := s.processFlags(flags); err != nil {
		return err
	}

	// Check that our recv window is not exceeded
	length := hdr.Length()
	if length == 0 {
		if flags&(flagFIN|flagRST) != 0 {
			s.readable() // chordtui
		}
		return nil
	}

	// Copy into buffer
	s.recvLock.Lock()

	if length > s.recvWindow {
		s.session.logger.Printf("[ERR] yamux: receive window exceeded (stream: %d, remain: %d, recv: %d)", s.id, s.recvWindow, length)
		s.recvLock.Unlock()
		return ErrRecvWindowExceeded
	}

	// chordtui: read the frame into a slice of its exact size (upstream's
	// bytes.Buffer.ReadFrom grows it to at least 512 bytes more), or after
	// the bytes not yet read.
	var copiedLength int
	var err error
	if len(s.recvBuf) == 0 {
		data := make([]byte, length)
		copiedLength, err = io.ReadFull(conn, data)
		s.recvBuf = data[:copiedLength]
	} else {
		old := len(s.recvBuf)
		s.recvBuf = slices.Grow(s.recvBuf, int(length))[:old+int(length)]
		copiedLength, err = io.ReadFull(conn, s.recvBuf[old:])
		s.recvBuf = s.recvBuf[:old+copiedLength]
	}
	if err != nil {
		s.session.logger.Printf("[ERR] yamux: Failed to read stream data: %v", err)
		s.recvLock.Unlock()
		return err
	}

	// Decrement the receive window
	s.recvWindow -= uint32(copiedLength)
	s.recvLock.Unlock()

	// Unblock any readers
	asyncNotify(s.recvNotifyCh)
	s.readable() // chordtui
	return nil
}

// SetCancel makes a closed ch end Read's and Write's waits with ErrTimeout
// (chordtui), as a deadline would, without a timer: a caller passes its
// context's Done channel, and nil when the call is over. Only the
// goroutine that reads and writes the stream may call it.
func (s *Stream) SetCancel(ch <-chan struct{}) { s.cancel = ch }

// SetDeadline sets the read and write deadlines
func (s *Stream) SetDeadline(t time.Time) error {
	if err := s.SetReadDeadline(t); err != nil {
		return err
	}
	if err := s.SetWriteDeadline(t); err != nil {
		return err
	}
	return nil
}

// SetReadDeadline sets the deadline for blocked and future Read calls.
func (s *Stream) SetReadDeadline(t time.Time) error {
	s.readDeadline.Store(toDeadline(t))
	asyncNotify(s.recvNotifyCh)
	return nil
}

// SetWriteDeadline sets the deadline for blocked and future Write calls
func (s *Stream) SetWriteDeadline(t time.Time) error {
	s.writeDeadline.Store(toDeadline(t))
	asyncNotify(s.sendNotifyCh)
	return nil
}

// deadlineClock is the origin of stored deadlines (chordtui): an offset
// from it keeps time.Time's monotonic reading.
var deadlineClock = time.Now()

// toDeadline stores t as an offset from deadlineClock; the zero Time is 0
// (no deadline), any other time a non-zero offset.
func toDeadline(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	if d := int64(t.Sub(deadlineClock)); d != 0 {
		return d
	}
	return -1 // a nanosecond earlier: the same instant for every purpose
}

func fromDeadline(d int64) time.Time { return deadlineClock.Add(time.Duration(d)) }

// Shrink is used to compact the amount of buffers utilized
// This is useful when using Yamux in a connection pool to reduce
// the idle memory utilization.
func (s *Stream) Shrink() {
	s.recvLock.Lock()
	if len(s.recvBuf) == 0 {
		s.recvBuf = nil
	}
	s.recvLock.Unlock()
}
