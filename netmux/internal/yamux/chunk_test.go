package yamux

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// sessionPair is a client and a server session over loopback TCP.
func sessionPair(t *testing.T) (client, server *Session) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	conf := DefaultConfig()
	conf.EnableKeepAlive = false
	conf.LogOutput = io.Discard
	if client, err = Client(cc, conf); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	if server, err = Server(sc, conf); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Close() })
	return client, server
}

// TestReadChunkAndCancel covers chordtui's additions to Stream: ReadChunk
// hands over what arrived, after any bytes Read left, and a closed cancel
// channel ends a wait as an expired deadline does.
func TestReadChunkAndCancel(t *testing.T) {
	client, server := sessionPair(t)
	cs, err := client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Write([]byte("abcd")); err != nil {
		t.Fatal(err)
	}
	ss, err := server.AcceptStream()
	if err != nil {
		t.Fatal(err)
	}
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
