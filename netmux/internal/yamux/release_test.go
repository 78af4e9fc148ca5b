package yamux

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// TestClosedSessionIsReleased: once a session is closed, nothing of it
// stays reachable. Its streams: one closed by this side, waiting for the
// peer's FIN (its close timer); one opened and written, never acknowledged
// (its open timer); one the peer reset before acknowledging it. A chordtui
// node retires thousands of sessions while a large ring starts; each one
// held until such a timer ran out was memory held for nothing.
func TestClosedSessionIsReleased(t *testing.T) {
	conf := DefaultConfig()
	conf.StreamCloseTimeout = time.Minute
	conf.StreamOpenTimeout = time.Minute
	conf.ConnectionWriteTimeout = time.Minute
	conf.EnableKeepAlive = false
	conf.LogOutput = io.Discard
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	clientConn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer, err := l.Accept() // no session: it acknowledges nothing, sends no FIN
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	go io.Copy(io.Discard, peer) //nolint:errcheck // ends when peer is closed

	client, err := Client(clientConn, conf)
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	runtime.AddCleanup(client, func(ch chan struct{}) { close(ch) }, released)

	reset, err := client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	rst := header(make([]byte, headerSize))
	rst.encode(typeWindowUpdate, flagRST, reset.StreamID(), 0)
	if _, err := peer.Write(rst); err != nil {
		t.Fatal(err)
	}
	if _, err := reset.Read(make([]byte, 1)); err == nil {
		t.Fatal("read on a reset stream succeeded")
	}
	waiting, err := client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := waiting.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	closing, err := client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	if err := closing.Close(); err != nil {
		t.Fatal(err)
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if err := waiting.Close(); err != nil { // after the session: arms nothing either
		t.Fatal(err)
	}
	client, reset, waiting, closing = nil, nil, nil, nil //nolint:wastedassign,ineffassign // drop the references
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		select {
		case <-released:
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the closed session is still reachable 5 s after Close (a stream's timer holds it)")
		}
		time.Sleep(10 * time.Millisecond) // polling the collector, not a synchronisation
	}
}
