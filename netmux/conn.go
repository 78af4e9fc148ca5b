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
// commit). Order on the wire is unchanged. The flusher runs only while there
// is something to send: the first write into an empty queue starts it, and
// it exits when the queue is empty, so an idle session costs no goroutine
// here.
type countingConn struct {
	net.Conn
	c *counters

	mu       sync.Mutex
	cond     sync.Cond // signals writers waiting for room in the queue
	wg       *sync.WaitGroup
	batching bool
	flushing bool   // a flusher goroutine is running
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

// startBatching makes later writes queue for a flusher goroutine, counted
// in wg; a flusher exits when the queue is empty or a write fails, and the
// one running at Close exits after sending what is queued (for at most
// closeFlushTimeout).
func (c *countingConn) startBatching(wg *sync.WaitGroup) {
	c.mu.Lock()
	c.batching = true
	c.wg = wg
	c.mu.Unlock()
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
	c.buf = append(c.buf, p...)
	if !c.flushing {
		// Added under mu, before Close can see the flusher: Kill's Wait
		// comes after Close.
		c.flushing = true
		c.wg.Add(1)
		go c.flushLoop()
	}
	c.mu.Unlock()
	return len(p), nil
}

// flushLoop sends queued bytes until the queue is empty, then exits; if the
// connection was closed meanwhile, or a write fails, it closes the socket.
func (c *countingConn) flushLoop() {
	defer c.wg.Done()
	c.mu.Lock()
	for len(c.buf) > 0 {
		out := c.buf
		c.buf, c.spare = c.spare[:0], nil // never let buf and spare share an array
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
			c.flushing = false
			c.mu.Unlock()
			c.cond.Broadcast()
			_ = c.Conn.Close()
			return
		}
	}
	c.flushing = false
	closed := c.closed
	c.mu.Unlock()
	if closed {
		_ = c.Conn.Close()
	}
}

// Close stops reading at once (so yamux's receive loop ends and its
// session shuts down without delay). If a flusher is sending, it is left to
// send what is queued, for at most closeFlushTimeout, as a kernel sends
// what is in its socket buffer, and then closes the socket; otherwise the
// socket is closed here.
func (c *countingConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	flushing := c.flushing
	c.mu.Unlock()
	if !flushing {
		return c.Conn.Close()
	}
	c.cond.Broadcast()
	_ = c.Conn.SetWriteDeadline(time.Now().Add(closeFlushTimeout))
	if tc, ok := c.Conn.(interface{ CloseRead() error }); ok {
		_ = tc.CloseRead() // fails if the flusher has already closed the socket
	}
	return nil
}
