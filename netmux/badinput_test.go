package netmux_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
)

// hello is a valid client handshake without a key or a ring announcing
// addr (see handshake.go).
func hello(addr string) []byte {
	return append(append([]byte{'C', 'M', 'U', 'X', 3, 0, byte(len(addr))}, addr...), make([]byte, 8)...)
}

// frameHeader is the fixed part of a netmux frame.
func frameHeader(kind byte, n uint32) []byte {
	return append(binary.BigEndian.AppendUint32(nil, n), kind)
}

// yamuxStream completes the handshake on conn and opens one yamux stream.
func yamuxStream(t *testing.T, conn net.Conn) *yamux.Stream {
	t.Helper()
	if _, err := conn.Write(hello("127.0.0.1:1")); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 6+8) // status and the acceptor's ring
	if _, err := io.ReadFull(conn, ack); err != nil {
		t.Fatalf("handshake answer: %v", err)
	}
	ycfg := yamux.DefaultConfig()
	ycfg.LogOutput = io.Discard
	ycfg.EnableKeepAlive = false
	mux, err := yamux.Client(conn, ycfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mux.Close() })
	st, err := mux.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestBadPeersAreDisconnected plays a misbehaving peer against a node and
// checks that the node closes that connection with a logged reason and goes
// on serving everyone else, and that nothing reaches the process's stderr.
func TestBadPeersAreDisconnected(t *testing.T) {
	cases := []struct {
		name    string
		act     func(t *testing.T, conn net.Conn) // misbehave on a fresh connection
		wantLog string                            // in the node's log
	}{
		{"garbage instead of a handshake", func(t *testing.T, c net.Conn) {
			_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		}, "bad handshake magic"},
		{"connects and says nothing", func(t *testing.T, c net.Conn) {}, "no handshake"},
		{"handshake cut short", func(t *testing.T, c net.Conn) {
			_, _ = c.Write(hello("127.0.0.1:4000")[:9])
		}, "handshake cut short"},
		{"unsupported version", func(t *testing.T, c net.Conn) {
			_, _ = c.Write([]byte{'C', 'M', 'U', 'X', 9, 0})
		}, "unsupported handshake version"},
		{"announced address is garbage", func(t *testing.T, c net.Conn) {
			_, _ = c.Write(hello("\x00\xffnot an address"))
		}, "announced address"},
		{"announced port out of range", func(t *testing.T, c net.Conn) {
			_, _ = c.Write(hello("127.0.0.1:99999"))
		}, "bad port"},
		{"garbage after the handshake", func(t *testing.T, c net.Conn) {
			_, _ = c.Write(hello("127.0.0.1:1"))
			_, _ = io.ReadFull(c, make([]byte, 6))
			_, _ = c.Write([]byte("\xde\xad\xbe\xef garbage garbage garbage"))
		}, "Invalid protocol version"},
		{"oversized frame", func(t *testing.T, c net.Conn) {
			st := yamuxStream(t, c)
			_, _ = st.Write(frameHeader(1, 1<<30))
		}, "frame too large"},
		{"unknown frame kind", func(t *testing.T, c net.Conn) {
			st := yamuxStream(t, c)
			_, _ = st.Write(append(frameHeader(77, 3), 1, 2, 3))
		}, "unknown frame kind"},
		{"request with a bad method length", func(t *testing.T, c net.Conn) {
			st := yamuxStream(t, c)
			_, _ = st.Write(append(frameHeader(1, 8), 200, 'a', 'b', 0, 0, 0, 0, 0))
		}, "overruns"},
		{"reply frame sent as a request", func(t *testing.T, c net.Conn) {
			st := yamuxStream(t, c)
			_, _ = st.Write(append(frameHeader(2, 2), 'h', 'i'))
		}, "unexpected frame kind"},
		{"frame stalls halfway", func(t *testing.T, c net.Conn) {
			st := yamuxStream(t, c)
			_, _ = st.Write(append(frameHeader(1, 100), 4, 'p', 'i'))
		}, "frame not completed"},
		{"half-open: handshake, then silence", func(t *testing.T, c net.Conn) {
			_, _ = c.Write(hello("127.0.0.1:1"))
			// Never speak yamux: keep-alive pings go unanswered.
		}, "keepalive"},
	}

	// Nothing may reach the process's stderr (it would scribble over the UI).
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	realStderr := os.Stderr
	os.Stderr = w
	defer func() { os.Stderr = realStderr }()

	var logs logBuffer
	cfg := testConfig()
	cfg.HandshakeTimeout = 150 * time.Millisecond
	cfg.ReadTimeout = 150 * time.Millisecond
	cfg.KeepAliveInterval = 50 * time.Millisecond
	cfg.KeepAliveTimeout = 150 * time.Millisecond
	cfg.MaxFrameSize = 64 << 10
	cfg.Logger = logs.logger()
	node := echoServer(t, cfg)
	good := echoServer(t, testConfig())

	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(logs.String())
			// A refusal in the handshake is logged once per peer host:
			// each case comes from a host of its own.
			conn := dialFrom(t, 10+i, node.Addr())
			tc.act(t, conn)
			if !closedByPeer(conn, 5*time.Second) {
				t.Fatal("node kept the connection open")
			}
			eventually(t, 2*time.Second, "a logged reason", func() bool {
				return strings.Contains(logs.String()[before:], tc.wantLog)
			})
			// The node goes on serving everyone else.
			mustCall(t, good, node.Addr(), "still", "alive")
		})
	}
	if got := node.Stats().Rejected; got < 10 {
		t.Errorf("Rejected = %d, want at least 10", got)
	}

	os.Stderr = realStderr
	_ = w.Close()
	leaked, _ := io.ReadAll(r)
	if len(leaked) > 0 {
		t.Fatalf("wrote to stderr: %q", leaked)
	}
}

// closedByPeer reports whether the other end closes conn within d
// (it reads and discards anything sent before).
func closedByPeer(conn net.Conn, d time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

func TestTooManyStreamsPerSession(t *testing.T) {
	cfg := testConfig()
	cfg.MaxStreamsPerSession = 4
	cfg.MaxIdleStreams = 4
	node := echoServer(t, cfg)
	conn, err := net.Dial("tcp", node.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	first := yamuxStream(t, conn)
	// Reach the session through a second stream on the same mux: open
	// more streams than the limit and check the extra ones are closed.
	mux := first.Session()
	var refused int
	for range 8 {
		st, err := mux.OpenStream()
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_ = st.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := st.Read(make([]byte, 1)); errors.Is(err, io.EOF) {
			refused++
		}
	}
	if refused != 5 { // 4 allowed in all, the first one included
		t.Fatalf("%d streams refused, want 5", refused)
	}
	if _, err := callCtx(echoServer(t, testConfig()), node.Addr(), "m", nil, time.Second); err != nil {
		t.Fatalf("node stopped serving others: %v", err)
	}
}

func TestPendingHandshakesAreBounded(t *testing.T) {
	cfg := testConfig()
	cfg.MaxPendingHandshakes = 3
	cfg.HandshakeTimeout = time.Minute // the silent clients would stay for good
	var logs logBuffer
	cfg.Logger = logs.logger()
	node := echoServer(t, cfg)
	var silent []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", node.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		silent = append(silent, c)
	}
	// Wait until the node holds all three in their handshake.
	eventually(t, 5*time.Second, "three pending handshakes", func() bool {
		extra, err := net.Dial("tcp", node.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer extra.Close()
		return closedByPeer(extra, 200*time.Millisecond)
	})
	if !strings.Contains(logs.String(), "handshakes already pending") {
		t.Fatalf("no logged reason; log:\n%s", logs.String())
	}
	// Once they go away, the node accepts peers again.
	for _, c := range silent {
		_ = c.Close()
	}
	eventually(t, 5*time.Second, "the node to serve again", func() bool {
		_, err := callCtx(echoServer(t, testConfig()), node.Addr(), "m", nil, time.Second)
		return err == nil
	})
}
