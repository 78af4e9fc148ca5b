package screentest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTermShowsTheScreenNotTheBytes: a program that rewrites a line with
// cursor movement leaves only the final text on the emulated screen.
func TestTermShowsTheScreenNotTheBytes(t *testing.T) {
	var out bytes.Buffer
	term := NewTerm(&out, 20, 3)
	out.WriteString("loading…\n")
	out.WriteString("\x1b[1A\x1b[2Kready\nsecond line")
	scr := term.WaitFor(t, time.Second, "ready", "second line")
	if strings.Contains(scr, "loading") {
		t.Errorf("the overwritten text is still on screen:\n%s", scr)
	}
	if got := LastLines(scr, 2); !strings.HasPrefix(got, "ready") {
		t.Errorf("LastLines(scr, 2) = %q, want the two lines starting with ready", got)
	}
}

// TestWaitForPollsUntilTextAppears: WaitFor keeps reading until the text
// shows up.
func TestWaitForPollsUntilTextAppears(t *testing.T) {
	reads := 0
	read := func() string {
		reads++
		if reads < 3 {
			return "starting"
		}
		return "16/16 alive ✓ stable"
	}
	scr := WaitFor(t, 5*time.Second, time.Millisecond, read, "16/16 alive", "✓ stable")
	if reads != 3 || !strings.Contains(scr, "stable") {
		t.Errorf("WaitFor returned %q after %d reads; want the third screen", scr, reads)
	}
}

func TestLastLines(t *testing.T) {
	for _, c := range []struct {
		scr  string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb", 5, "a\nb"},
		{"only", 1, "only"},
	} {
		if got := LastLines(c.scr, c.n); got != c.want {
			t.Errorf("LastLines(%q, %d) = %q, want %q", c.scr, c.n, got, c.want)
		}
	}
}

// fatalTB records a Fatalf and stops the caller, as testing.T would.
type fatalTB struct {
	testing.TB
	msg string
}

type fatalStop struct{}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(fatalStop{})
}

// TestWaitForFailsAtTheDeadline: text that never appears fails the test
// with the last screen, once the deadline has passed.
func TestWaitForFailsAtTheDeadline(t *testing.T) {
	f := &fatalTB{TB: t}
	start := time.Now()
	func() {
		defer func() {
			if p := recover(); p != nil && p != (fatalStop{}) {
				panic(p)
			}
		}()
		WaitFor(f, 30*time.Millisecond, time.Millisecond, func() string { return "15/16 alive" }, "16/16 alive")
	}()
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Errorf("WaitFor gave up after %v, before its 30ms deadline", took)
	}
	if !strings.Contains(f.msg, `still lacks ["16/16 alive"]`) || !strings.Contains(f.msg, "15/16 alive") {
		t.Errorf("failure message %q does not name the missing text and show the screen", f.msg)
	}
}

// TestSVGDrawsCells: each run of cells in one style is one text element
// of its exact width, in its colour and weight; XML is escaped.
func TestSVGDrawsCells(t *testing.T) {
	svg := SVG("\x1b[1;38;2;255;95;95mdown\x1b[0m a<b\nsecond", 12, 2)
	for _, want := range []string{
		`fill="#ff5f5f" textLength="33.6" lengthAdjust="spacingAndGlyphs" font-weight="bold">down</text>`,
		`> a&lt;b    </text>`,
		`<text x="0.0" y="32.0" fill="#d0d0d0" textLength="100.8" lengthAdjust="spacingAndGlyphs">second      </text>`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q:\n%s", want, svg)
		}
	}
	if strings.Count(svg, "<text") != 3 {
		t.Errorf("want 3 text runs (down, a<b, second):\n%s", svg)
	}
}
