package readline

import (
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingWriter counts what the editor writes to the terminal.
type countingWriter struct{ n, writes atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	w.writes.Add(1)
	return len(p), nil
}

// chunkReader returns its input a chunk at a time, as a terminal hands
// over a paste.
type chunkReader struct {
	s     string
	chunk int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.chunk)], r.s)
	r.s = r.s[n:]
	return n, nil
}

// newTestEditor is an editor at a 120-column terminal that reads stdin
// and writes to out; complete nil is upstream's default (Tab inserts a tab).
func newTestEditor(t *testing.T, stdin io.ReadCloser, out io.Writer, complete AutoCompleter) *Instance {
	t.Helper()
	rl, err := NewEx(&Config{
		Prompt:         "> ",
		Stdin:          stdin,
		AutoComplete:   complete,
		Stdout:         out,
		Stderr:         out,
		FuncIsTerminal: func() bool { return true },
		FuncGetWidth:   func() int { return 120 },
		FuncMakeRaw:    func() error { return nil },
		FuncExitRaw:    func() error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return rl
}

// TestPasteDrawsOnce: a long line that arrives at once is drawn once per
// read of the terminal, not once per rune (which wrote hundreds of
// megabytes for a paste of 20,000 characters, and took a minute), at the
// end of the line or in its middle.
func TestPasteDrawsOnce(t *testing.T) {
	value := strings.Repeat("b", 20000)
	for _, tc := range []struct {
		name, input, want string
	}{
		{"at the end", "set k " + value + "\n", "set k " + value},
		{"in the middle", "set k XY\x1b[D" + value + "\n", "set k X" + value + "Y"},
		{"typed after", "set k " + value + "\x1b[D\x1b[DZ\n", "set k " + value[:len(value)-2] + "Zbb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := &countingWriter{}
			rl := newTestEditor(t, io.NopCloser(&chunkReader{s: tc.input, chunk: 1024}), out, nil)
			defer rl.Close()
			line, err := rl.Readline()
			if err != nil {
				t.Fatal(err)
			}
			if line != tc.want {
				t.Fatalf("line of %d bytes %.20q…%.20q, want %d bytes …%q", len(line), line, line[max(len(line)-20, 0):], len(tc.want), tc.want[len(tc.want)-20:])
			}
			t.Logf("%d bytes in %d writes", out.n.Load(), out.writes.Load())
			if max := int64(40 * len(value)); out.n.Load() > max {
				t.Errorf("the editor wrote %d bytes for a line of %d, want at most %d", out.n.Load(), len(line), max)
			}
		})
	}
}

// TestPasteDrawnAfterAnyLastKey: a paste whose last key draws nothing of
// its own (a Tab that completes nothing) is drawn all the same once the
// paste has arrived, before the next key.
func TestPasteDrawnAfterAnyLastKey(t *testing.T) {
	value := strings.Repeat("b", 3000) // one read of the terminal
	pr, pw := io.Pipe()
	out := &countingWriter{}
	rl := newTestEditor(t, pr, out, NewPrefixCompleter()) // completes nothing
	defer rl.Close()
	defer pw.Close() // first: Close waits for the terminal loop, which reads pr
	done := make(chan string, 1)
	go func() { // exits when Readline returns (the Enter below, or Close)
		line, _ := rl.Readline()
		done <- line
	}()
	if _, err := pw.Write([]byte("set k " + value + "\t")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); out.n.Load() < int64(len(value)); {
		if time.Now().After(deadline) {
			t.Fatalf("the pasted line is not drawn: %d bytes written for a paste of %d", out.n.Load(), len(value))
		}
		time.Sleep(10 * time.Millisecond) // polling interval of a deadline-bound wait
	}
	if _, err := pw.Write([]byte("\n")); err != nil {
		t.Fatal(err)
	}
	if line := <-done; line != "set k "+value+"\t" && line != "set k "+value {
		t.Errorf("line of %d bytes, want the paste's %d", len(line), len(value)+6)
	}
}
