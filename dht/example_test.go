package dht_test

import (
	"context"
	"fmt"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/chord/chordtest"
	"github.com/chordtui/chordtui/dht"
)

// Example starts a three-node ring on the in-memory network, writes a key
// through one node and reads it back through another.
func Example() {
	ctx := context.Background()
	nw := chordtest.NewNetwork(1)
	var nodes []*chord.Node
	var stores []*dht.Store
	for _, addr := range []string{"a", "b", "c"} {
		ep, _ := nw.Endpoint(addr)
		node, err := chord.NewNode(chord.DefaultConfig(), ep)
		if err != nil {
			panic(err)
		}
		// The first node creates the ring before its store exists: the
		// store then knows it holds every key there is (none). A store
		// whose node joins takes over its keys in its first repair round.
		if len(nodes) == 0 {
			node.Create()
		}
		store, err := dht.New(node, dht.DefaultConfig())
		if err != nil {
			panic(err)
		}
		if len(nodes) > 0 {
			if err := node.Join(ctx, "a"); err != nil {
				panic(err)
			}
		}
		nodes, stores = append(nodes, node), append(stores, store)
	}
	// Maintenance is explicit: a few stabilize rounds settle the ring, and
	// one repair round on each store is the join handoff.
	for round := 0; round < 3; round++ {
		for _, n := range nodes {
			_ = n.Stabilize(ctx)
		}
	}
	for _, s := range stores {
		_ = s.Repair(ctx)
	}

	put, err := stores[0].Set(ctx, "greeting", []byte("hello, ring"))
	if err != nil {
		panic(err)
	}
	fmt.Println("copies:", put.Copies)

	got, err := stores[2].Get(ctx, "greeting")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s (found %v)\n", got.Value, got.Found)

	if _, err := stores[1].Del(ctx, "greeting"); err != nil {
		panic(err)
	}
	got, _ = stores[0].Get(ctx, "greeting")
	fmt.Println("after del, found:", got.Found)
	// Output:
	// copies: 3
	// hello, ring (found true)
	// after del, found: false
}
