package tui

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	"github.com/chordtui/chordtui/dht/cluster"
)

// termScreen feeds a program's output through a terminal emulator, so tests
// read the screen a person would see (the renderer only sends changes).
type termScreen struct {
	out io.Reader
	emu *vt.Emulator
}

func newTermScreen(out io.Reader, w, h int) *termScreen {
	emu := vt.NewEmulator(w, h)
	// The emulator answers the program's terminal queries on its input
	// pipe; drain it so its writes never block. vt v0.1.0's Close races
	// with a blocked Read (it flips a plain bool), so the emulator is never
	// closed and this test-only goroutine ends with the test binary.
	go func() { _, _ = io.Copy(io.Discard, emu) }()
	return &termScreen{out: out, emu: emu}
}

// text pumps pending output into the emulator and returns the screen.
func (s *termScreen) text() string {
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, s.out)
	if buf.Len() > 0 {
		_, _ = s.emu.Write(bytes.ReplaceAll(buf.Bytes(), []byte("\n"), []byte("\r\n")))
	}
	return s.emu.String()
}

// waitFor polls the screen until every want appears, failing at deadline.
func (s *termScreen) waitFor(t *testing.T, d time.Duration, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		scr := s.text()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(scr, w)
		}
		if ok {
			return scr
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the screen still lacks %q:\n%s", d, want, scr)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a deadline-bound wait
	}
}

// TestFlowRealCluster runs the UI over a real 16-node cluster on loopback:
// start, kill a node through the command prompt, and wait until the status
// bar says the ring is stable again.
func TestFlowRealCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 16 real nodes; skipped with -short")
	}
	cfg := cluster.DefaultConfig()
	cfg.Nodes = 16
	cfg.Seed = 7
	c, err := cluster.Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	opts := DefaultOptions()
	opts.NoAnimate = true
	m := NewModel(c, opts)
	t.Cleanup(m.Close)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	scr := newTermScreen(tm.Output(), 120, 40)

	scr.waitFor(t, 30*time.Second, "16/16 alive", "✓ stable")
	tm.Type(":kill n5")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	scr.waitFor(t, 10*time.Second, "15/16 alive")
	got := scr.waitFor(t, 30*time.Second, "15/16 alive", "✓ stable — converged in", "after kill n5")
	t.Logf("screen after the kill:\n%s", got)
	if !strings.Contains(got, "○ n5") {
		t.Errorf("n5 is not shown down (○) in the members table:\n%s", got)
	}
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
