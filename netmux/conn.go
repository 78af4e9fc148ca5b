package netmux

import (
	"net"
	"sync"
)

// countingConn counts the bytes that cross a connection, and buffers its
// reads without keeping a buffer of its own while the connection is idle:
// a read that finds nothing buffered waits for the socket to be readable
// and only then takes a buffer from a pool shared by every connection,
// which goes back to the pool once its bytes have been read (readBuffered,
// per platform). A session's receive loop reads a frame header and then
// its body, so one read of the socket usually serves a whole frame, and
// often several, while thousands of idle sessions hold no read buffer.
// Writes pass straight through: the session's writer (see internal/yamux)
// already writes whole frames, gathered, one Write per batch.
type countingConn struct {
	net.Conn
	c *counters
	// rd holds bytes read from the socket and not yet consumed. Only the
	// goroutine reading the connection touches it (the handshake, then the
	// session's receive loop).
	rd readBuffer
}

func newCountingConn(conn net.Conn, c *counters) *countingConn {
	cc := &countingConn{Conn: conn, c: c}
	cc.rd.init(conn)
	return cc
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.rd.read(p)
	c.c.bytesIn.Add(uint64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.c.bytesOut.Add(uint64(n))
	return n, err
}

// readChunk is the size of the pooled read buffers.
const readChunk = 4 << 10

var readPool = sync.Pool{New: func() any { b := make([]byte, readChunk); return &b }}

// take copies buffered bytes into p and releases the buffer once empty.
func (b *readBuffer) take(p []byte) int {
	n := copy(p, (*b.buf)[b.r:b.w])
	b.r += n
	if b.r == b.w {
		readPool.Put(b.buf)
		b.buf = nil
	}
	return n
}
