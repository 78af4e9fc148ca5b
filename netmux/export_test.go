package netmux

import (
	"io"
	"net"
	"sync"
)

// RecordDials makes t copy to w everything it writes on the connections
// it dials from now on (before the first dial), for tests that replay an
// honest connection; mu guards w.
func RecordDials(t *Transport, mu *sync.Mutex, w io.Writer) {
	t.wrapDialled = func(c net.Conn) net.Conn { return &recordingConn{Conn: c, mu: mu, w: w} }
}

type recordingConn struct {
	net.Conn
	mu *sync.Mutex
	w  io.Writer
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	_, _ = c.w.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}
