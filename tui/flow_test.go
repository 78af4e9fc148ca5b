package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/tui/screentest"
)

// TestFlowRealCluster runs the UI over a real 16-node cluster on the
// in-memory network (cmd/chordtui's tmux test does it on sockets): start,
// kill a node through the command prompt and wait until the status bar
// says the ring is stable again; then store and read a key with the key
// prompts and add a node with a, which call the cluster directly.
func TestFlowRealCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 16 nodes; skipped with -short")
	}
	cfg := cluster.DefaultConfig()
	cfg.Nodes = 16
	cfg.Seed = 7
	cfg.Network = cluster.NewMemNetwork(7)
	c, err := cluster.Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	opts := DefaultOptions()
	opts.NoAnimate = true
	m := NewModel(Live(c), opts)
	t.Cleanup(m.Close)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	scr := screentest.NewTerm(tm.Output(), 120, 40)

	scr.WaitFor(t, 30*time.Second, "16/16 alive", "✓ stable")
	tm.Type(":kill n5")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	scr.WaitFor(t, 10*time.Second, "15/16 alive")
	got := scr.WaitFor(t, 30*time.Second, "15/16 alive", "✓ stable — converged in", "after kill n5")
	t.Logf("screen after the kill:\n%s", got)
	if !strings.Contains(got, "○ n5") {
		t.Errorf("n5 is not shown down (○) in the members table:\n%s", got)
	}
	tm.Type("s")
	tm.Type("greeting hello world")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	scr.WaitFor(t, 10*time.Second, `✓ set greeting "hello world" via n0: ok — "greeting" stored at n`)
	tm.Type("g")
	tm.Type("greeting")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	scr.WaitFor(t, 10*time.Second, `✓ get greeting via n0: "hello world"   (owner n`)
	tm.Type("a")
	scr.WaitFor(t, 30*time.Second, "✓ add: added n16", "16/17 alive")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
