package command_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// Example runs the lines `chordtui repl` would read, on a cluster in
// memory, and prints what a script would check.
func Example() {
	cfg := cluster.DefaultConfig()
	cfg.Nodes = 6
	cfg.Seed = 1
	cfg.Network = cluster.NewMemNetwork(1)
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
		res := command.Exec(ctx, c, line)
		switch {
		case !res.OK:
			fmt.Printf("%-26s %v\n", line, res.Text)
		case res.Cmd == "get":
			fmt.Printf("%-26s %q\n", line, res.Data.(cluster.GetResult).Value)
		default:
			fmt.Printf("%-26s ok\n", line)
		}
	}
	// Output:
	// wait                       ok
	// set greeting "hello, ring" ok
	// kill n1                    ok
	// wait                       ok
	// check                      ok
	// get greeting via n2        "hello, ring"
	// kill n9                    error: kill: unknown node "n9" — nodes are n0…n5
}

// ExampleResult_MarshalJSON shows the one JSON object per command that
// `chordtui repl --json` prints.
func ExampleResult_MarshalJSON() {
	res := command.Exec(context.Background(), nil, "frobnicate")
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	// Output: {"cmd":"frobnicate","ok":false,"error":"unknown command \"frobnicate\" (help lists commands)"}
}
