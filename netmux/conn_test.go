package netmux

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

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

func (r *recordingConn) Close() error                     { return nil }
func (r *recordingConn) SetWriteDeadline(time.Time) error { return nil }

// TestCountingConnJoinsHeaderAndBody checks the keep-or-write decision of
// a batching connection with nothing else in yamux's send queue: a data
// frame's header waits for its body and both leave in one write, whatever
// the body looks like (a 12-byte body starting with two zero bytes reads
// like another data header; taking it for one once held a request back
// until its call timed out); a frame without a body leaves at once.
func TestCountingConnJoinsHeaderAndBody(t *testing.T) {
	header := func(typ byte, length uint32) []byte {
		return []byte{0, typ, 0, 0, 0, 0, 0, 1, byte(length >> 24), byte(length >> 16), byte(length >> 8), byte(length)}
	}
	tests := []struct {
		name   string
		writes [][]byte
		want   [][]byte // what reaches the socket, one entry a syscall
	}{
		{"data frame", [][]byte{header(0, 3), []byte("abc")},
			[][]byte{append(header(0, 3), "abc"...)}},
		{"body that looks like a data header", [][]byte{header(0, 12), header(0, 7)},
			[][]byte{append(header(0, 12), header(0, 7)...)}},
		{"window update (no body)", [][]byte{header(1, 0)},
			[][]byte{header(1, 0)}},
		{"two data frames", [][]byte{header(0, 1), []byte("x"), header(0, 1), []byte("y")},
			[][]byte{append(header(0, 1), 'x'), append(header(0, 1), 'y')}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingConn{}
			c := newCountingConn(rec, &counters{})
			c.batching = true // no send queue to consult: every complete frame is written
			for _, w := range tc.writes {
				if n, err := c.Write(w); n != len(w) || err != nil {
					t.Fatalf("Write(%x) = %d, %v", w, n, err)
				}
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

// TestCountingConnCloseSendsKeptBytes checks that Close writes what the
// connection kept because more frames were queued: yamux was told those
// bytes were written (a reply among them, whose call the transport then
// counts as done), so dropping them would lose frames the peer is owed.
func TestCountingConnCloseSendsKeptBytes(t *testing.T) {
	rec := &recordingConn{}
	c := newCountingConn(rec, &counters{})
	c.batching = true
	c.queued = func() int { return 1 } // another frame waits: keep this one
	frame := append([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2}, "ok"...)
	for _, w := range [][]byte{frame[:12], frame[12:]} {
		if _, err := c.Write(w); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.writes) != 0 {
		t.Fatalf("written before Close: %x", rec.writes)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if len(rec.writes) != 1 || !bytes.Equal(rec.writes[0], frame) {
		t.Fatalf("Close wrote %x, want the kept frame %x", rec.writes, frame)
	}
	if _, err := c.Write([]byte("late")); err == nil {
		t.Fatal("a write after Close succeeded")
	}
}

// TestSendQueueLenReadsYamuxQueue checks that the yamux in go.mod still has
// the send queue countingConn consults: without it every frame is written
// on its own and concurrent calls lose their group commit, silently.
func TestSendQueueLenReadsYamuxQueue(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	cfg := yamux.DefaultConfig()
	cfg.EnableKeepAlive = false
	cfg.LogOutput = io.Discard
	mux, err := yamux.Client(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer mux.Close()
	q := sendQueueLen(mux)
	if q == nil {
		t.Fatal("yamux.Session has no sendCh channel: countingConn cannot see what is queued")
	}
	if got := q(); got != 0 {
		t.Fatalf("send queue of an idle session holds %d frames, want 0", got)
	}
}
