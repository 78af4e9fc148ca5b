package netmux

import "net"

// countingConn counts the bytes that cross a connection. It passes every
// Read and Write straight through: the session's send loop (see
// internal/yamux) already writes whole frames, gathered, one Write per
// batch.
type countingConn struct {
	net.Conn
	c *counters
}

func newCountingConn(conn net.Conn, c *counters) *countingConn {
	return &countingConn{Conn: conn, c: c}
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.c.bytesIn.Add(uint64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.c.bytesOut.Add(uint64(n))
	return n, err
}
