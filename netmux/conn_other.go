//go:build !unix

package netmux

import "net"

// readBuffer off unix: plain reads into the caller's buffer (the session
// keeps no buffer either way); take is never reached.
type readBuffer struct {
	conn net.Conn
	buf  *[]byte
	r, w int
}

func (b *readBuffer) init(conn net.Conn) { b.conn = conn }

func (b *readBuffer) read(p []byte) (int, error) { return b.conn.Read(p) }
