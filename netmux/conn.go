package netmux

import (
	"encoding/binary"
	"net"
	"sync"
)

// countingConn counts the bytes that cross a connection. Once yamux runs on
// it (joinFrames), it also writes each yamux data frame's header and body
// with one syscall.
//
// Why: yamux's send loop, the only goroutine that writes a session's
// connection, writes a data frame as two Write calls in one iteration, the
// 12-byte header and then its body, with nothing in between; written as
// they come, every call costs two syscalls at each end. Here a data
// frame's header is kept until the body, the next Write, joins it. The
// header's Write reports success without a syscall, but only to the send
// loop, which learns nothing else before it writes the body: the frame's
// writer is told the outcome of the joined write, so no caller is ever told
// bytes were written that did not reach the socket, and nothing is kept
// when a Write for a complete frame returns.
type countingConn struct {
	net.Conn
	c *counters

	mu         sync.Mutex
	joinFrames bool                  // yamux runs on the connection
	hdr        [yamuxHeaderSize]byte // a data frame's header waiting for its body
	hasHdr     bool
	buf        []byte // header and body, joined
}

// yamuxHeaderSize is the size of a yamux frame header (yamux's spec: version,
// type, flags, stream ID, length).
const yamuxHeaderSize = 12

// maxJoined is the largest body copied next to its header; a larger one
// goes out with writev, header and body as two buffers.
const maxJoined = 16 << 10

func newCountingConn(conn net.Conn, c *counters) *countingConn {
	return &countingConn{Conn: conn, c: c}
}

// startYamux makes later writes join data headers with their bodies. It is
// called before the yamux session on c starts (so before any yamux write).
func (c *countingConn) startYamux() {
	c.mu.Lock()
	c.joinFrames = true
	c.mu.Unlock()
}

// isDataHeader reports whether p is exactly a yamux data-frame header that
// announces a body: version 0, type 0 (data), length > 0.
func isDataHeader(p []byte) bool {
	return len(p) == yamuxHeaderSize && p[0] == 0 && p[1] == 0 && binary.BigEndian.Uint32(p[8:]) > 0
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.c.bytesIn.Add(uint64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hasHdr {
		// p is the body of the data frame whose header the last Write kept
		// (a body may look like a header: this is decided first).
		c.hasHdr = false
		return c.writeFrame(p)
	}
	if c.joinFrames && isDataHeader(p) {
		copy(c.hdr[:], p)
		c.hasHdr = true
		return len(p), nil
	}
	n, err := c.Conn.Write(p)
	c.c.bytesOut.Add(uint64(n))
	return n, err
}

// writeFrame writes the kept header and body with one syscall and returns
// how much of body was written.
func (c *countingConn) writeFrame(body []byte) (int, error) {
	var n int64
	var err error
	if len(body) <= maxJoined {
		c.buf = append(append(c.buf[:0], c.hdr[:]...), body...)
		var m int
		m, err = c.Conn.Write(c.buf)
		n = int64(m)
	} else {
		bufs := net.Buffers{c.hdr[:], body}
		n, err = bufs.WriteTo(c.Conn)
	}
	c.c.bytesOut.Add(uint64(n))
	return max(int(n)-yamuxHeaderSize, 0), err
}
