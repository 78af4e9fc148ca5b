package cluster_test

import (
	"context"
	"fmt"

	"github.com/chordtui/chordtui/dht/cluster"
)

// Example starts six real nodes on 127.0.0.1, stores a key, crashes a
// node and reads the key back once the ring has repaired itself — the same
// commands `chordtui repl` reads from stdin.
func Example() {
	cfg := cluster.DefaultConfig()
	cfg.Nodes = 6
	cfg.Seed = 1 // reproducible identifiers
	ctx := context.Background()
	c, err := cluster.Start(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	for _, line := range []string{
		"wait",
		`set greeting "hello, ring"`,
		"kill n1",
		"wait",
		"check",
		"get greeting via n2",
		"kill n9",
	} {
		res := c.Exec(ctx, line)
		switch {
		case !res.OK:
			fmt.Printf("%-22s error: %v\n", line, res.Err)
		case res.Cmd == "get":
			fmt.Printf("%-22s %q\n", line, res.Data["value"])
		default:
			fmt.Printf("%-22s ok\n", line)
		}
	}
	// Output:
	// wait                   ok
	// set greeting "hello, ring" ok
	// kill n1                ok
	// wait                   ok
	// check                  ok
	// get greeting via n2    "hello, ring"
	// kill n9                error: kill: unknown node "n9" — nodes are n0…n5
}
