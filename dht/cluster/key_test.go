package cluster

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// TestClusterKey starts a cluster with a cluster key: its nodes talk to
// each other, and a transport without the key is refused by a node, which
// counts the refusal in its RPC stats.
func TestClusterKey(t *testing.T) {
	cfg := testConfig(4)
	cfg.Key = bytes.Repeat([]byte{5}, netmux.MinKeySize)
	c := startCluster(t, cfg)
	wait(t, c)
	ctx := context.Background()
	_, err := c.Set(ctx, "k", "v", "")
	must(t, "set", err)
	got, err := c.Get(ctx, "k", "")
	must(t, "get", err)
	if got.Value != "v" {
		t.Fatalf("get = %q, want v", got.Value)
	}

	node := c.Snapshot().Nodes[0]
	stranger, err := netmux.Listen("127.0.0.1:0", netmux.DefaultConfig())
	must(t, "listen", err)
	defer stranger.Kill()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := stranger.Call(cctx, node.Addr, "chord.ping", nil); !errors.Is(err, netmux.ErrKeyRequired) {
		t.Fatalf("a call without the key: %v, want %v", err, netmux.ErrKeyRequired)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Snapshot().Nodes[0].RPC.AuthRefused != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("AuthRefused = %d, want 1", c.Snapshot().Nodes[0].RPC.AuthRefused)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}

	short := testConfig(1)
	short.Key = []byte("too short")
	if err := short.Validate(); err == nil {
		t.Fatal("a 9-byte cluster key passed validation")
	}
}
