//go:build unix

package netmux

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// readBuffer reads a connection through the runtime's poller: rawRead
// waits for readability with no buffer held, then reads into a pooled one.
type readBuffer struct {
	conn net.Conn
	raw  syscall.RawConn // nil: plain reads into the caller's buffer
	buf  *[]byte         // pooled, holding bytes r..w; nil when empty
	r, w int
}

func (b *readBuffer) init(conn net.Conn) {
	b.conn = conn
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			b.raw = raw
		}
	}
}

func (b *readBuffer) read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.buf != nil {
		return b.take(p), nil
	}
	if b.raw == nil || len(p) >= readChunk {
		return b.conn.Read(p) // a large read needs no buffer of ours
	}
	var n int
	var rerr error
	err := b.raw.Read(func(fd uintptr) bool {
		buf := readPool.Get().(*[]byte)
		for {
			n, rerr = syscall.Read(int(fd), *buf)
			if !errors.Is(rerr, syscall.EINTR) {
				break
			}
		}
		if errors.Is(rerr, syscall.EAGAIN) {
			readPool.Put(buf)
			return false // nothing yet: the poller waits, no buffer held
		}
		if rerr != nil || n <= 0 {
			readPool.Put(buf)
			return true
		}
		b.buf, b.r, b.w = buf, 0, n
		return true
	})
	switch {
	case err != nil: // deadline, or the connection was closed
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: b.conn.LocalAddr(), Addr: b.conn.RemoteAddr(), Err: err}
	case rerr != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: b.conn.LocalAddr(), Addr: b.conn.RemoteAddr(), Err: os.NewSyscallError("read", rerr)}
	case n == 0:
		return 0, io.EOF
	}
	return b.take(p), nil
}
