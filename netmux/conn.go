package netmux

import (
	"encoding/binary"
	"net"
	"reflect"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

// countingConn counts the bytes that cross a connection. Once batching
// starts (after the handshake, when yamux takes over), it also decides when
// the bytes yamux writes reach the socket.
//
// Why: yamux's send loop, the only goroutine that writes a session's
// connection, writes every frame header and body with separate Write
// calls, one frame at a time; written as they come, a call costs several
// syscalls at each end. A countingConn instead keeps what it is given while
// more is certainly coming and sends it all with one syscall, in the send
// loop's own goroutine (no hand-off to another goroutine):
//
//   - a data frame's header is kept until its body, the send loop's next
//     write, has joined it;
//   - a frame is kept while other frames wait in the session's send queue
//     (yamux's send channel), which the send loop takes next: under
//     concurrent calls, frames from many streams leave together (group
//     commit), and a lone call is written at once.
//
// Order on the wire is unchanged. Bytes still kept when the connection is
// closed are sent before it closes: yamux was told they were written (a
// handler's reply among them, whose call the transport then counts as
// done before it closes the session).
type countingConn struct {
	net.Conn
	c *counters

	mu       sync.Mutex
	batching bool
	queued   func() int // frames waiting in the send queue; nil: unknown
	writing  bool       // the send loop is in a write syscall
	wantBody bool       // the last write was a data header: the next is its body
	buf      []byte     // kept bytes, not yet written
	closed   bool
	werr     error // the first write error; later writes fail with it
}

// maxKept is how many bytes Write keeps before it writes them whatever
// follows.
const maxKept = 64 << 10

// maxSpare is the largest write buffer a connection keeps between writes:
// the rare burst of large values does not pin a big buffer to every session.
const maxSpare = 4 << 10

// closeFlushTimeout bounds how long Close lets a write under way finish.
const closeFlushTimeout = 100 * time.Millisecond

func newCountingConn(conn net.Conn, c *counters) *countingConn {
	return &countingConn{Conn: conn, c: c}
}

// startBatching makes later writes go through the keep-or-write decision,
// with mux's send queue consulted for what is still to come.
func (c *countingConn) startBatching(mux *yamux.Session) {
	q := sendQueueLen(mux)
	c.mu.Lock()
	c.batching = true
	c.queued = q
	c.mu.Unlock()
}

// sendQueueLen returns a function reporting how many frames wait in mux's
// send channel (the unexported field sendCh of yamux v0.1.2, read with
// reflect, which may take the length of an unexported channel), or nil if
// this yamux has no such field; then every frame is written when complete.
func sendQueueLen(mux *yamux.Session) func() int {
	v := reflect.ValueOf(mux).Elem().FieldByName("sendCh")
	if !v.IsValid() || v.Kind() != reflect.Chan {
		return nil
	}
	return v.Len
}

// isDataHeader reports whether p is a yamux data-frame header announcing a
// body: version 0, type 0 (data), length > 0. yamux's send loop writes such
// a header and then, in its next write, the body.
func isDataHeader(p []byte) bool {
	return len(p) == 12 && p[0] == 0 && p[1] == 0 && binary.BigEndian.Uint32(p[8:]) > 0
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.c.bytesIn.Add(uint64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if !c.batching {
		c.mu.Unlock()
		n, err := c.Conn.Write(p)
		c.c.bytesOut.Add(uint64(n))
		return n, err
	}
	if c.werr != nil || c.closed {
		err := c.werr
		c.mu.Unlock()
		if err == nil {
			err = net.ErrClosed
		}
		return 0, err
	}
	c.buf = append(c.buf, p...)
	// A body may look like a header (12 bytes starting with two zeros), so
	// the write after a data header is its body whatever it looks like.
	header := !c.wantBody && isDataHeader(p)
	c.wantBody = header
	if len(c.buf) < maxKept && (header || c.queued != nil && c.queued() > 0) {
		c.mu.Unlock() // more is coming: the send loop's next write
		return len(p), nil
	}
	out := c.buf
	c.buf = nil
	c.writing = true
	c.mu.Unlock()

	n, err := c.Conn.Write(out)
	c.c.bytesOut.Add(uint64(n))

	c.mu.Lock()
	c.writing = false
	if cap(out) <= maxSpare && c.buf == nil {
		c.buf = out[:0]
	}
	closed := c.closed
	if err != nil && c.werr == nil {
		c.werr = err
	}
	c.mu.Unlock()
	if err != nil || closed {
		_ = c.Conn.Close()
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close stops reading at once (so yamux's receive loop ends and its session
// shuts down without delay). Bytes yamux has handed over go out first, for
// at most closeFlushTimeout, as a kernel sends what is in its socket
// buffer: kept bytes are written here, and a write under way is left to
// finish, its writer then closing the socket; otherwise the socket is
// closed here.
func (c *countingConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	writing, kept := c.writing, c.buf
	c.buf = nil
	c.mu.Unlock()
	if !writing {
		if len(kept) > 0 {
			_ = c.Conn.SetWriteDeadline(time.Now().Add(closeFlushTimeout))
			n, _ := c.Conn.Write(kept)
			c.c.bytesOut.Add(uint64(n))
		}
		return c.Conn.Close()
	}
	_ = c.Conn.SetWriteDeadline(time.Now().Add(closeFlushTimeout))
	if tc, ok := c.Conn.(interface{ CloseRead() error }); ok {
		_ = tc.CloseRead() // fails if the writer has already closed the socket
	}
	return nil
}
