package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// Example starts six real nodes on 127.0.0.1, stores a key, crashes a
// node and reads the key back once the ring has repaired itself.
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
	if _, err := c.Wait(ctx, 0); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := c.Set(ctx, "greeting", "hello, ring", ""); err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Kill("n1"); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := c.Wait(ctx, 0); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("invariants hold:", c.Check().OK())
	got, err := c.Get(ctx, "greeting", "n2")
	fmt.Printf("get via n2: %q, found %v, %v\n", got.Value, got.Found, err)
	err = c.Kill("n9")
	fmt.Println(err, errors.Is(err, cluster.ErrUnknownNode))
	// Output:
	// invariants hold: true
	// get via n2: "hello, ring", found true, <nil>
	// kill: unknown node "n9" — nodes are n0…n5 true
}

// ExampleNewMemNetwork runs a cluster without sockets, as tests do.
func ExampleNewMemNetwork() {
	cfg := cluster.DefaultConfig()
	cfg.Nodes = 4
	cfg.Seed = 1
	cfg.Network = cluster.NewMemNetwork(1)
	ctx := context.Background()
	c, err := cluster.Start(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if _, err := c.Wait(ctx, 0); err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range c.Nodes().Nodes {
		fmt.Println(n.Name, n.Addr, n.State)
	}
	// Output:
	// n0 mem:1 alive
	// n1 mem:2 alive
	// n2 mem:3 alive
	// n3 mem:4 alive
}

// ExampleCluster_Health shows a partition as a state of its own: each side
// judged as a ring, and nodes labelled by side.
func ExampleCluster_Health() {
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
	if _, err := c.Partition([]string{"n4", "n5"}); err != nil {
		fmt.Println(err)
		return
	}
	r, err := c.Wait(ctx, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range r.Sides {
		fmt.Printf("side %s: %v stable %v; %s\n", s.Label, s.Nodes, s.Stable, s.Note)
	}
	h := c.Health()
	fmt.Println(h.Partitioned, h.Violations, strings.HasPrefix(h.Summary, "partitioned: 2 sides — each stable after"))
	for _, n := range c.Snapshot().Nodes {
		fmt.Print(n.Name, ":", n.Side, " ")
	}
	fmt.Println()
	// Output:
	// side A: [n0 n1 n2 n3] stable true; ring of 4 (< r+1 = 5): not guaranteed to survive failures (invariant 8 needs r+1 principals)
	// side B: [n4 n5] stable true; ring of 2 (< r+1 = 5): not guaranteed to survive failures (invariant 8 needs r+1 principals)
	// true 0 true
	// n0:A n1:A n2:A n3:A n4:B n5:B
}

// ExampleCluster_Step crashes N14 in the paper's ten-node ring and runs
// one stabilize round at N8 by hand: the report tells it in words and
// lists every pointer it changed.
func ExampleCluster_Step() {
	cfg := cluster.LectureConfig(10) // the paper's ring: N1, N8, N14, …
	cfg.Network = cluster.NewMemNetwork(1)
	ctx := context.Background()
	c, err := cluster.Start(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.PauseMaintenance()
	if err := c.Kill("N14"); err != nil {
		fmt.Println(err)
		return
	}
	rep, err := c.Step(ctx, cluster.TaskStabilize, "N8")
	if err != nil {
		fmt.Println(err)
		return
	}
	caption := rep.Rounds[0].Caption
	fmt.Println(caption[:strings.Index(caption, ". ")+1]) // its first sentence
	for _, ch := range rep.Changes {
		fmt.Println(ch)
	}
	// Output:
	// N8 asks its successor N14 for its predecessor and successor list: N14 does not answer (refused): it has failed, so N8 drops it.
	// N8.successor: N14 → N21
	// N8.succList[1]: N21 → N32
	// N8.succList[2]: N32 → N38
	// N8.succList[3]: N38 → N42
	// N21.predecessor: N14 → N8
}

// One node alone in its process (as chordtui node runs it): a new ring of
// one, on a 6-bit ring at identifier 42, named as lecture mode names nodes.
// Another process joins it with StandaloneConfig.Join set to n.Addr().
func ExampleStartStandalone() {
	cfg := cluster.DefaultStandaloneConfig()
	cfg.Chord.Bits = 6
	cfg.ID, cfg.HasID = chord.IDFromUint64(6, 42), true
	n, err := cluster.StartStandalone(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Close()
	o := n.Observation()
	fmt.Println(n.Name(), o.Node.State, o.Ring.Bits, o.Node.Chord.Successor().Addr == n.Addr())
	// Output: N42 alive 6 true
}
