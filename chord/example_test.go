package chord_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/chord/chordtest"
)

// startNodes makes one node per identifier on the in-memory network, with
// 16-bit identifiers so the output is short, and successor lists of 2.
func startNodes(nw *chordtest.Network, ids ...uint64) []*chord.Node {
	var nodes []*chord.Node
	for i, id := range ids {
		ep, err := nw.Endpoint(fmt.Sprintf("node-%d", i))
		if err != nil {
			panic(err)
		}
		cfg := chord.DefaultConfig()
		cfg.Bits = 16
		cfg.SuccessorListLen = 2
		cfg.LivenessWindow = 0 // always ping the owner: the output does not depend on timing
		cfg.ID, cfg.HasID = chord.IDFromUint64(16, id), true
		n, err := chord.NewNode(cfg, ep)
		if err != nil {
			panic(err)
		}
		nodes = append(nodes, n)
	}
	return nodes
}

// A ring of eight nodes forms by joins and maintenance rounds; a lookup
// returns the owner and the path, hop by hop.
func Example() {
	ctx := context.Background()
	nw := chordtest.NewNetwork(1)
	nodes := startNodes(nw, 0x1000, 0x3000, 0x5000, 0x7000, 0x9000, 0xb000, 0xd000, 0xf000)
	nodes[0].Create()
	for _, n := range nodes[1:] {
		if err := n.Join(ctx, "node-0"); err != nil {
			panic(err)
		}
	}
	// Rounds a Driver would run on timers; tests and examples call them.
	for round := 0; round < 10; round++ {
		for _, n := range nodes {
			_ = n.Stabilize(ctx)
			_ = n.FixAllFingers(ctx)
		}
	}
	var sts []chord.Status
	for _, n := range nodes {
		sts = append(sts, n.Status())
	}
	fmt.Println("ideal ring:", len(chord.CheckIdeal(sts, true)) == 0)

	res, err := nodes[0].Lookup(ctx, chord.IDFromUint64(16, 0xe000))
	if err != nil {
		panic(err)
	}
	// node-0 is hop 0; every call it made is a row of the path.
	fmt.Printf("owner of e000: %s (%s), %d hops, %d failed, owner %s\n",
		res.Owner.ID.Short(16), res.Owner.Addr, res.Hops, res.Timeouts, res.OwnerCheck)
	for i, h := range res.Path {
		fmt.Printf("  hop %d: %s via %s: %s\n", i+1, h.Node.Addr, h.Via, h.Reason)
	}
	// Output:
	// ideal ring: true
	// owner of e000: f000 (node-7), 3 hops, 0 failed, owner pinged
	//   hop 1: node-4 via finger[16]: closest preceding e000 known to this node (its finger[16], start 9000)
	//   hop 2: node-6 via finger[15]: closest preceding e000 known to 9000 (its finger[15], start d000)
	//   hop 3: node-7 via successor[0]: e000 ∈ (d000, f000]: first live entry of d000's successor list at or after e000 owns it
}

// A node is stopped before its transport closes, as chordtui's kill does:
// from then on it does nothing, and its neighbours treat it as dead.
func ExampleNode_Stop() {
	ctx := context.Background()
	nw := chordtest.NewNetwork(1)
	nodes := startNodes(nw, 0x1000, 0x5000, 0x9000, 0xd000)
	nodes[0].Create()
	for _, n := range nodes[1:] {
		if err := n.Join(ctx, "node-0"); err != nil {
			panic(err)
		}
	}
	for round := 0; round < 4; round++ {
		for _, n := range nodes {
			_ = n.Stabilize(ctx)
		}
	}
	victim := nodes[1]
	before := victim.Successors()[0]
	victim.Stop()
	nw.Crash(victim.Self().Addr)
	fmt.Println("stabilize:", victim.Stabilize(ctx))
	fmt.Println("successor unchanged:", victim.Successors()[0] == before)
	_ = nodes[0].Stabilize(ctx) // its predecessor finds it dead
	fmt.Println("node-0's successor:", nodes[0].Successors()[0].Addr)
	// Output:
	// stabilize: stabilize node-1: node stopped
	// successor unchanged: true
	// node-0's successor: node-2
}

// Upper layers register commands on a node and call them on others.
func ExampleNode_Call() {
	ctx := context.Background()
	nw := chordtest.NewNetwork(1)
	nodes := startNodes(nw, 0x1000, 0x8000)
	_ = nodes[1].Register("shout", func(_ context.Context, req []byte) ([]byte, error) {
		return []byte(strings.ToUpper(string(req))), nil
	})
	rep, err := nodes[0].Call(ctx, "node-1", "shout", []byte("hello"))
	fmt.Println(string(rep), err)
	_, err = nodes[0].Call(ctx, "node-1", "whisper", nil)
	fmt.Println(err)
	// Output:
	// HELLO <nil>
	// command "whisper" on node-1: unknown command
}

// A Driver runs the maintenance rounds on timers; paused, it still steps
// one round at a time (the UI's step mode).
func ExampleDriver() {
	ctx := context.Background()
	nw := chordtest.NewNetwork(1)
	nodes := startNodes(nw, 0x1000, 0x8000)
	nodes[0].Create()
	if err := nodes[1].Join(ctx, "node-0"); err != nil {
		panic(err)
	}
	var drivers []*chord.Driver
	for i, n := range nodes {
		d := chord.NewDriver(chord.NodeTasks(n), n.Config().Jitter, int64(i))
		d.Pause()
		d.Start()
		drivers = append(drivers, d)
	}
	defer func() {
		for _, d := range drivers {
			d.Stop()
		}
	}()
	fmt.Println("before:", nodes[0].Successors()[0].Addr, "is node-0's successor")
	drivers[1].Step(ctx) // node-1 stabilizes and notifies node-0
	drivers[0].Step(ctx) // node-0 stabilizes and adopts node-1
	fmt.Println("after:", nodes[0].Successors()[0].Addr, "is node-0's successor")
	// Output:
	// before: node-0 is node-0's successor
	// after: node-1 is node-0's successor
}
