package netmux

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/hashicorp/yamux"
)

// recordingConn is a net.Conn whose writes are recorded, one entry a Write.
type recordingConn struct {
	net.Conn // nil: only Write and Close are used
	mu       sync.Mutex
	writes   [][]byte
}

func (r *recordingConn) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, append([]byte(nil), p...))
	return len(p), nil
}

func (r *recordingConn) Close() error { return nil }

func yamuxHeader(typ byte, length uint32) []byte {
	return []byte{0, typ, 0, 0, 0, 0, 0, 1, byte(length >> 24), byte(length >> 16), byte(length >> 8), byte(length)}
}

// TestCountingConnJoinsHeaderAndBody checks what reaches the socket for
// the writes of yamux's send loop: a data frame's header and its body in
// one write, whatever the body looks like (a 12-byte body starting with two
// zero bytes reads like another data header); a frame without a body at
// once; and nothing kept once a complete frame was written.
func TestCountingConnJoinsHeaderAndBody(t *testing.T) {
	tests := []struct {
		name   string
		writes [][]byte
		want   [][]byte // what reaches the socket, one entry a syscall
	}{
		{"data frame", [][]byte{yamuxHeader(0, 3), []byte("abc")},
			[][]byte{append(yamuxHeader(0, 3), "abc"...)}},
		{"body that looks like a data header", [][]byte{yamuxHeader(0, 12), yamuxHeader(0, 7)},
			[][]byte{append(yamuxHeader(0, 12), yamuxHeader(0, 7)...)}},
		{"window update (no body)", [][]byte{yamuxHeader(1, 0)},
			[][]byte{yamuxHeader(1, 0)}},
		{"two data frames", [][]byte{yamuxHeader(0, 1), []byte("x"), yamuxHeader(0, 1), []byte("y")},
			[][]byte{append(yamuxHeader(0, 1), 'x'), append(yamuxHeader(0, 1), 'y')}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingConn{}
			c := newCountingConn(rec, &counters{})
			c.startYamux()
			for _, w := range tc.writes {
				if n, err := c.Write(w); n != len(w) || err != nil {
					t.Fatalf("Write(%x) = %d, %v", w, n, err)
				}
			}
			if c.hasHdr {
				t.Fatal("bytes kept after a complete frame")
			}
			if len(rec.writes) != len(tc.want) {
				t.Fatalf("%d writes reached the socket, want %d: %x", len(rec.writes), len(tc.want), rec.writes)
			}
			for i := range tc.want {
				if !bytes.Equal(rec.writes[i], tc.want[i]) {
					t.Fatalf("write %d = %x, want %x", i, rec.writes[i], tc.want[i])
				}
			}
		})
	}
}

// TestCountingConnBeforeYamux checks that handshake bytes, written before
// yamux starts, go out as they come even when they look like a data header.
func TestCountingConnBeforeYamux(t *testing.T) {
	rec := &recordingConn{}
	c := newCountingConn(rec, &counters{})
	if _, err := c.Write(yamuxHeader(0, 5)); err != nil {
		t.Fatal(err)
	}
	if len(rec.writes) != 1 {
		t.Fatalf("%d writes reached the socket, want 1", len(rec.writes))
	}
}

// TestStreamWriteFailsWhenFrameNotWritten checks the truth of a yamux
// stream write over a countingConn: when the socket refuses the joined
// header and body, the stream's writer gets the error, not a success.
func TestStreamWriteFailsWhenFrameNotWritten(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	go func() { _, _ = io.Copy(io.Discard, b) }() // exits when a closes
	rec := &failAfterConn{Conn: a}
	c := newCountingConn(rec, &counters{})
	c.startYamux()
	mux, err := yamux.Client(c, quietYamux())
	if err != nil {
		t.Fatal(err)
	}
	defer mux.Close()
	st, err := mux.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	rec.fail(errors.New("socket refused the frame"))
	if _, err := st.Write([]byte("request")); err == nil {
		t.Fatal("a stream write whose frame never reached the socket succeeded")
	}
}

// failAfterConn passes writes through until fail is called.
type failAfterConn struct {
	net.Conn
	mu  sync.Mutex
	err error
}

func (f *failAfterConn) fail(err error) { f.mu.Lock(); f.err = err; f.mu.Unlock() }

func (f *failAfterConn) Write(p []byte) (int, error) {
	f.mu.Lock()
	err := f.err
	f.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return f.Conn.Write(p)
}

// TestYamuxWritesDataHeaderThenBody pins what countingConn relies on in
// the yamux in go.mod: its send loop writes a data frame's 12-byte header
// and then, as its very next write, the body of exactly the announced
// length. If a new yamux wrote differently, a kept header could wait for a
// body that never comes.
func TestYamuxWritesDataHeaderThenBody(t *testing.T) {
	a, b := net.Pipe()
	rec := &recordingConn{Conn: a}
	server, err := yamux.Server(b, quietYamux())
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	go func() { // echoes one stream; exits when the server session closes
		st, err := server.AcceptStream()
		if err != nil {
			return
		}
		_, _ = io.Copy(st, st)
	}()
	client, err := yamux.Client(&passConn{recordingConn: rec}, quietYamux())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	st, err := client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"a", string(yamuxHeader(0, 3)), string(make([]byte, 100<<10))} {
		if _, err := st.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(st, make([]byte, len(msg))); err != nil {
			t.Fatal(err)
		}
	}
	rec.mu.Lock()
	writes := rec.writes
	rec.mu.Unlock()
	data := 0
	for i := 0; i < len(writes); i++ {
		w := writes[i]
		if len(w) < yamuxHeaderSize {
			t.Fatalf("write %d of %d bytes is no header", i, len(w))
		}
		if !isDataHeader(w) {
			if len(w) != yamuxHeaderSize {
				t.Fatalf("write %d: %d bytes that are not a data header", i, len(w))
			}
			continue
		}
		n := binary.BigEndian.Uint32(w[8:])
		if i+1 >= len(writes) || uint32(len(writes[i+1])) != n {
			t.Fatalf("data header %d announcing %d bytes is not followed by its body", i, n)
		}
		data++
		i++
	}
	if data < 3 {
		t.Fatalf("%d data frames recorded, want at least 3", data)
	}
}

// passConn records writes and passes them on to the pipe.
type passConn struct{ *recordingConn }

func (p *passConn) Write(b []byte) (int, error) {
	_, _ = p.recordingConn.Write(b)
	return p.recordingConn.Conn.Write(b)
}

func (p *passConn) Read(b []byte) (int, error) { return p.recordingConn.Conn.Read(b) }
func (p *passConn) Close() error               { return p.recordingConn.Conn.Close() }

func quietYamux() *yamux.Config {
	cfg := yamux.DefaultConfig()
	cfg.EnableKeepAlive = false
	cfg.LogOutput = io.Discard
	return cfg
}
