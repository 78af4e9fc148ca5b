package netmux

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// rw joins a reader of the peer's bytes and a writer that records our answer.
type rw struct {
	io.Reader
	out bytes.Buffer
}

func (r *rw) Write(p []byte) (int, error) { return r.out.Write(p) }

// FuzzServerHandshake feeds arbitrary bytes to the accepting side of the
// handshake: it must not panic, must answer only what it accepts, and an
// accepted address must be a valid host:port that encodes back to the
// bytes consumed.
//
//	go test ./netmux -run '^$' -fuzz FuzzServerHandshake -fuzztime 10s
func FuzzServerHandshake(f *testing.F) {
	f.Add([]byte("CMUX\x01\x0e127.0.0.1:4000"))
	f.Add([]byte("CMUX\x01\x0elocalhost:4000"))
	f.Add([]byte("CMUX\x01\x07[::1]:9"))
	f.Add([]byte("CMUX\x02\x00"))
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		conn := &rw{Reader: r}
		addr, err := serverHandshake(conn)
		if err != nil {
			if conn.out.Len() != 0 {
				t.Fatalf("answered %q to a refused handshake", conn.out.Bytes())
			}
			return
		}
		if err := checkAnnouncedAddr(addr); err != nil {
			t.Fatalf("accepted %q: %v", addr, err)
		}
		consumed := data[:len(data)-r.Len()]
		if want := append([]byte("CMUX\x01"), append([]byte{byte(len(addr))}, addr...)...); !bytes.Equal(consumed, want) {
			t.Fatalf("consumed %q for address %q", consumed, addr)
		}
		if conn.out.String() != "CMUX\x01\x00" {
			t.Fatalf("answer %q", conn.out.Bytes())
		}
	})
}

func TestHandshakeRoundTrip(t *testing.T) {
	// The client's announcement is what the server accepts.
	var wire bytes.Buffer
	client := &rw{Reader: strings.NewReader("CMUX\x01\x00")}
	if err := clientHandshake(client, "127.0.0.1:4000"); err != nil {
		t.Fatal(err)
	}
	wire.Write(client.out.Bytes())
	server := &rw{Reader: &wire}
	addr, err := serverHandshake(server)
	if err != nil || addr != "127.0.0.1:4000" {
		t.Fatalf("server saw %q, %v", addr, err)
	}
	// A refusal or a stranger is reported, not trusted.
	for _, answer := range []string{"CMUX\x01\x05", "HTTP/1", ""} {
		c := &rw{Reader: strings.NewReader(answer)}
		if err := clientHandshake(c, "127.0.0.1:4000"); err == nil {
			t.Errorf("answer %q accepted", answer)
		}
	}
	if err := clientHandshake(&rw{Reader: strings.NewReader("")}, strings.Repeat("x", 300)); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("a 300-byte own address was announced: %v", err)
	}
}
