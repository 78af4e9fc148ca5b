package dfs_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/chordtui/chordtui/dht/cluster"
)

// Example stores a file on a ring of 8 nodes in memory and reads it back.
func Example() {
	cfg := cluster.DefaultConfig()
	cfg.Nodes, cfg.Seed, cfg.Network = 8, 1, cluster.NewMemNetwork(1)
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	go func() { // exits when Close closes the event channel
		for range c.Events() {
		}
	}()
	ctx := context.Background()
	fs := c.FS()
	if _, err := fs.MkdirPath(ctx, "/docs", 0o755); err != nil {
		panic(err)
	}
	text := strings.Repeat("a file on the ring\n", 15000) // 285000 bytes: 2 blocks of 256 KiB
	if _, err := fs.WriteFile(ctx, "/docs/hello.txt", strings.NewReader(text), 0o644); err != nil {
		panic(err)
	}
	var back bytes.Buffer
	a, err := fs.ReadFile(ctx, "/docs/hello.txt", &back)
	if err != nil {
		panic(err)
	}
	loc, _ := fs.Locate(ctx, "/docs/hello.txt")
	fmt.Println(a.Size, back.String() == text, len(loc.Blocks), "blocks")
	_, err = fs.MkdirPath(ctx, "/docs/../etc", 0o755)
	fmt.Println(err)
	// Output:
	// 285000 true 2 blocks
	// invalid argument: "/docs/../etc": paths may not use ".."
}
