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
	// rawRead is b.readRaw, made once (a method value allocates); n and
	// rerr are its outcome.
	rawRead func(fd uintptr) bool
	n       int
	rerr    error
}

func (b *readBuffer) init(conn net.Conn) {
	b.conn = conn
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			b.raw = raw
			b.rawRead = b.readRaw
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
	err := b.raw.Read(b.rawRead)
	n, rerr := b.n, b.rerr
	b.rerr = nil
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

// readRaw is the function raw.Read calls when the socket may be readable:
// one read into a pooled buffer; false (wait) if there was nothing yet.
func (b *readBuffer) readRaw(fd uintptr) bool {
	buf := readPool.Get().(*[]byte)
	for {
		b.n, b.rerr = syscall.Read(int(fd), *buf)
		if !errors.Is(b.rerr, syscall.EINTR) {
			break
		}
	}
	if errors.Is(b.rerr, syscall.EAGAIN) {
		readPool.Put(buf)
		return false // nothing yet: the poller waits, no buffer held
	}
	if b.rerr != nil || b.n <= 0 {
		readPool.Put(buf)
		return true
	}
	b.buf, b.r, b.w = buf, 0, b.n
	return true
}
