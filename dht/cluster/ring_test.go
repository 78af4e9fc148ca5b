package cluster

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// TestStrangerOnAFreedPortIsNotMerged: a node of another ring (another
// process on this machine) that takes over the port of a node the ring
// lost is refused by its ring identity, so the ring's probes of the lost
// node do not merge the two rings through it, and the ring becomes stable
// without it.
func TestStrangerOnAFreedPortIsNotMerged(t *testing.T) {
	cfg := testConfig(6)
	c := startCluster(t, cfg)
	wait(t, c)
	ring := c.net.(*netmuxNetwork).cfg.Ring
	if ring == 0 {
		t.Fatal("the cluster's nodes have no ring identity")
	}
	var lost NodeSnapshot
	for _, n := range c.Snapshot().Nodes {
		if n.Name == "n2" {
			lost = n
		}
	}
	must(t, "kill n2", c.Kill("n2"))

	// The stranger: a one-node ring of its own on n2's address.
	other := cfg.netmuxConfig()
	other.Ring = ring + 2
	nw := newNetmuxNetwork(cfg.Host, other, 0, slog.New(slog.DiscardHandler))
	var tr Transport
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		if tr, err = nw.Listen(lost.Addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Skipf("cannot listen on the freed port %s: %v", lost.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(tr.Kill)
	nc := cfg.Chord
	nc.ID, nc.HasID = lost.ID, true
	stranger, err := chord.NewNode(nc, tr)
	must(t, "stranger", err)
	t.Cleanup(stranger.Stop)
	stranger.Create()

	// Rounds enough for every node to probe the lost address (ring
	// unification probes lost nodes every few stabilize rounds).
	ctx := context.Background()
	for range 12 {
		if _, err := c.Step(ctx, TaskAll, ""); err != nil {
			t.Fatalf("step: %v", err)
		}
	}
	c.ResumeMaintenance() // Step paused it
	wait(t, c)
	for _, n := range c.Snapshot().Nodes {
		st := n.Chord
		refs := append(append([]chord.NodeRef{st.Predecessor}, st.Successors...), st.Fingers...)
		for _, ref := range refs {
			if ref.Addr == lost.Addr {
				t.Fatalf("%s names the stranger at %s: pred %v, successors %v", n.Name, lost.Addr, st.Predecessor, st.Successors)
			}
		}
	}
	if got := stranger.Status().Successor(); got.Addr != lost.Addr {
		t.Fatalf("the stranger's successor is %s: it was merged into the ring", got.Addr)
	}
}
