package netmux

import (
	"net"
	"sync"
	"time"
)

// countingConn counts the bytes that cross a connection. Once batching
// starts (after the handshake, when yamux takes over), writes are queued and
// a flusher goroutine sends whatever has accumulated in one syscall.
//
// Why: yamux's send loop writes every frame header and body with separate
// Write calls, one frame at a time; under concurrent calls that is several
// syscalls per call. While the flusher is in a syscall, frames from other
// streams pile up in the buffer and go out together on the next one (group
// commit). At low load the cost is one goroutine hand-off per write burst.
// Order on the wire is unchanged.
type countingConn struct {
	net.Conn
	c *counters

	mu       sync.Mutex
	cond     sync.Cond // signals the flusher (data or close) and writers (room)
	batching bool
	buf      []byte // queued bytes, waiting for the flusher
	spare    []byte
	closed   bool
	werr     error // the first write error; later writes fail with it
}

// maxQueued is how many bytes Write queues before it waits for the flusher.
const maxQueued = 256 << 10

// maxSpare is the largest write buffer a connection keeps for reuse: the
// rare burst of large values does not pin a big buffer to every session.
const maxSpare = 16 << 10

// closeFlushTimeout bounds how long Close waits to send queued bytes.
const closeFlushTimeout = 100 * time.Millisecond

func newCountingConn(conn net.Conn, c *counters) *countingConn {
	cc := &countingConn{Conn: conn, c: c}
	cc.cond.L = &cc.mu
	return cc
}

// startBatching starts the flusher goroutine; done is called when it has
// exited, which is after Close (plus at most closeFlushTimeout) or after a
// write error.
func (c *countingConn) startBatching(done func()) {
	c.mu.Lock()
	c.batching = true
	c.mu.Unlock()
	go func() {
		defer done()
		c.flushLoop()
	}()
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
	for len(c.buf) > 0 && len(c.buf)+len(p) > maxQueued && !c.closed && c.werr == nil {
		c.cond.Wait()
	}
	if c.werr != nil || c.closed {
		err := c.werr
		c.mu.Unlock()
		if err == nil {
			err = net.ErrClosed
		}
		return 0, err
	}
	wake := len(c.buf) == 0
	c.buf = append(c.buf, p...)
	c.mu.Unlock()
	if wake {
		c.cond.Broadcast()
	}
	return len(p), nil
}

// flushLoop sends queued bytes until the connection is closed (after
// sending what was queued) or a write fails; then it closes the socket.
func (c *countingConn) flushLoop() {
	defer c.Conn.Close()
	c.mu.Lock()
	for {
		for len(c.buf) == 0 && !c.closed {
			c.cond.Wait()
		}
		if len(c.buf) == 0 {
			c.mu.Unlock()
			return
		}
		out := c.buf
		c.buf = c.spare[:0]
		c.mu.Unlock()
		c.cond.Broadcast() // room for blocked writers

		n, err := c.Conn.Write(out)
		c.c.bytesOut.Add(uint64(n))

		c.mu.Lock()
		if cap(out) <= maxSpare {
			c.spare = out[:0]
		}
		if err != nil {
			c.werr = err
			c.buf = nil
			c.mu.Unlock()
			c.cond.Broadcast()
			return
		}
	}
}

// Close stops reading at once (so yamux's receive loop ends and its
// session shuts down without delay) and leaves the flusher to send what is
// queued, for at most closeFlushTimeout, as a kernel sends what is in its
// socket buffer; the flusher then closes the socket.
func (c *countingConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	batching := c.batching
	c.mu.Unlock()
	if !batching {
		return c.Conn.Close()
	}
	c.cond.Broadcast()
	_ = c.Conn.SetWriteDeadline(time.Now().Add(closeFlushTimeout))
	if tc, ok := c.Conn.(interface{ CloseRead() error }); ok {
		return tc.CloseRead()
	}
	return nil
}
