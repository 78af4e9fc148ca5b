// Package screentest reads a terminal program's screen the way a person
// sees it, for tests: Term feeds the program's output through a terminal
// emulator (the renderer only sends changes, so the raw bytes are not the
// screen), WaitFor polls any screen source until text appears, with a
// deadline, and SVG (svg.go) draws a coloured screen as a picture (the
// README's, from the real binary in tmux). The UI's flow test (tui) and
// the real-binary tmux tests (cmd/chordtui) share it; nothing outside
// tests imports it.
package screentest

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
)

// WaitFor calls read every interval until its screen contains every want,
// and returns that screen; at the deadline d it fails t with the last
// screen.
func WaitFor(t testing.TB, d, interval time.Duration, read func() string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		scr := read()
		if containsAll(scr, want) {
			return scr
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the screen still lacks %q:\n%s", d, want, scr)
		}
		time.Sleep(interval) // polling interval of a deadline-bound wait
	}
}

func containsAll(s string, want []string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// LastLines returns the bottom n lines of a screen (in chordtui the
// message line and the hint bar, which background refreshes never write).
func LastLines(scr string, n int) string {
	lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Term is the screen of a program whose output is read from an io.Reader
// (teatest's Output), kept by a vt terminal emulator.
type Term struct {
	out io.Reader
	emu *vt.Emulator
}

// NewTerm emulates a w×h terminal fed from out.
//
// The emulator answers the program's terminal queries on its input pipe;
// a goroutine drains it so its writes never block. vt v0.1.0's Close races
// with a blocked Read (it flips a plain bool), so the emulator is never
// closed and the goroutine ends with the test binary: use Term in tests
// only.
func NewTerm(out io.Reader, w, h int) *Term {
	emu := vt.NewEmulator(w, h)
	go func() { _, _ = io.Copy(io.Discard, emu) }()
	return &Term{out: out, emu: emu}
}

// Text pumps the pending output into the emulator and returns the screen.
func (s *Term) Text() string {
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, s.out)
	if buf.Len() > 0 {
		_, _ = s.emu.Write(bytes.ReplaceAll(buf.Bytes(), []byte("\n"), []byte("\r\n")))
	}
	return s.emu.String()
}

// WaitFor polls the screen every 20 ms until every want appears, failing t
// at the deadline d.
func (s *Term) WaitFor(t testing.TB, d time.Duration, want ...string) string {
	t.Helper()
	return WaitFor(t, d, 20*time.Millisecond, s.Text, want...)
}
