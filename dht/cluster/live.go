package cluster

import (
	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// LiveNode is one live member's name with its chord node and dht store, for
// programs that drive the nodes directly (chordtui bench) rather than
// through the command language.
type LiveNode struct {
	Name  string
	Addr  string
	ID    chord.ID
	Node  *chord.Node
	Store *dht.Store
}

// LiveNodes returns the members alive now, in name order. A handle is only
// meaningful while its node stays alive: after a kill, leave or Close, calls
// through it fail or see the dead node's stale state, so fetch the list
// again after every fault.
func (c *Cluster) LiveNodes() []LiveNode {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []LiveNode
	for _, m := range c.liveLocked() {
		out = append(out, LiveNode{Name: m.name, Addr: m.addr, ID: m.id, Node: m.node, Store: m.store})
	}
	return out
}
