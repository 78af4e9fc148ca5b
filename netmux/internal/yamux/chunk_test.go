package yamux

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// sessionPair is a client and a server session over loopback TCP.
func sessionPair(t *testing.T) (client, server *Session) {
	t.Helper()
	client, server, _ = sessionPairConf(t, false)
	return client, server
}

// writeCounter counts the writes made on a connection.
type writeCounter struct {
	net.Conn
	writes atomic.Int64
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes.Add(1)
	return w.Conn.Write(p)
}

// sessionPairConf is sessionPair with the client's LazyOpen set to lazy,
// and the client's connection counting its writes.
func sessionPairConf(t *testing.T, lazy bool) (client, server *Session, cw *writeCounter) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cw = &writeCounter{Conn: raw}
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	conf := DefaultConfig()
	conf.EnableKeepAlive = false
	conf.LogOutput = io.Discard
	cconf := conf.Clone()
	cconf.LazyOpen = lazy
	if client, err = Client(cw, cconf); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	if server, err = Server(sc, conf); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Close() })
	return client, server, cw
}

// openWritten opens a stream on client, writes data on it and accepts it
// on server.
func openWritten(t *testing.T, client, server *Session, data string) (cs, ss *Stream) {
	t.Helper()
	cs, err := client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if ss, err = server.AcceptStream(); err != nil {
		t.Fatal(err)
	}
	return cs, ss
}

// TestReadChunkAndCancel covers chordtui's additions to Stream: ReadChunk
// hands over what arrived, after any bytes Read left, and a closed cancel
// channel ends a wait as an expired deadline does.
func TestReadChunkAndCancel(t *testing.T) {
	client, server := sessionPair(t)
	cs, ss := openWritten(t, client, server, "abcd")
	chunk, err := ss.ReadChunk()
	if err != nil || string(chunk) != "abcd" {
		t.Fatalf("ReadChunk: %q, %v; want \"abcd\"", chunk, err)
	}
	if _, err := cs.Write([]byte("ef")); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	if n, err := ss.Read(one); n != 1 || err != nil || one[0] != 'e' {
		t.Fatalf("Read: %d %q %v", n, one[:n], err)
	}
	if chunk, err := ss.ReadChunk(); err != nil || string(chunk) != "f" {
		t.Fatalf("ReadChunk after a Read: %q, %v; want \"f\"", chunk, err)
	}
	if string(chunk) != "abcd" {
		t.Fatalf("a chunk handed over changed to %q", chunk)
	}

	cancel := make(chan struct{})
	ss.SetCancel(cancel)
	done := make(chan error, 1)
	go func() { _, err := ss.Read(one); done <- err }()
	close(cancel)
	select {
	case err := <-done:
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("cancelled Read: %v, want ErrTimeout", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a Read went on waiting after its cancel channel closed")
	}
	ss.SetCancel(nil)
	if _, err := cs.Write([]byte("g")); err != nil {
		t.Fatal(err)
	}
	if n, err := ss.Read(one); n != 1 || err != nil || one[0] != 'g' {
		t.Fatalf("Read after SetCancel(nil): %d %q %v", n, one[:n], err)
	}
}

// TestLazyOpen: with Config.LazyOpen a stream's first Write opens it, in
// one frame and one write where upstream's OpenStream spends one more; a
// stream closed before any Write still reaches the peer, closed.
func TestLazyOpen(t *testing.T) {
	for _, lazy := range []bool{false, true} {
		client, server, cw := sessionPairConf(t, lazy)
		before := cw.writes.Load()
		_, ss := openWritten(t, client, server, "request")
		if chunk, err := ss.ReadChunk(); err != nil || string(chunk) != "request" {
			t.Fatalf("lazy %v: the peer read %q, %v", lazy, chunk, err)
		}
		want := int64(2) // the SYN's window update, then the data
		if lazy {
			want = 1
		}
		if got := cw.writes.Load() - before; got != want {
			t.Errorf("lazy %v: open and write took %d writes, want %d", lazy, got, want)
		}

		closed, err := client.OpenStream()
		if err != nil {
			t.Fatal(err)
		}
		if err := closed.Close(); err != nil {
			t.Fatal(err)
		}
		ss, err = server.AcceptStream()
		if err != nil {
			t.Fatal(err)
		}
		if n, err := ss.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
			t.Fatalf("lazy %v: a stream closed before its first write read %d, %v; want EOF", lazy, n, err)
		}
	}
}
