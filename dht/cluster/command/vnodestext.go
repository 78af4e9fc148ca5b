package command

import (
	"fmt"
	"strings"

	"github.com/chordtui/chordtui/dht/cluster"
)

// hostsText is nodes' output with virtual nodes: one row per real node,
// its keys summed over its identities.
func hostsText(v cluster.NodesView, side func(string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %4s %-21s %-7s %s%6s %6s  %s", "NAME", "IDS", "ADDR", "STATE", side("SIDE"), "OWNED", "REPL", "FAULTS")
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n%-5s %4d %-21s %-7s %s%6d %6d  %s", n.Name, n.Identities, n.Addr, n.State, side(n.Side),
			n.Owned, n.Replicas, strings.Join(n.Faults, ", "))
	}
	fmt.Fprintf(&b, "\n%s, %d identities each (node NODE lists them); %s; origin %s", Plural(len(v.Nodes), "node"),
		v.Nodes[0].Identities, v.Summary, v.Origin)
	return b.String()
}

// hostText is node's output for a real node with virtual nodes: its
// identities, each with its pointers and keys.
func hostText(d cluster.NodeDetail) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s  %s (incarnation %d): %d identities", d.Name, d.Addr, d.State, d.Incarnation, len(d.Identities))
	fmt.Fprintf(&b, "\n  %-7s %-8s %6s %6s  %-7s %-7s", "NAME", "ID", "OWNED", "REPL", "PRED", "SUCC")
	for _, n := range d.Identities {
		pred, succ := "-", "-"
		if n.Joined {
			pred, succ = n.Pred.String(), n.Succ.String()
		}
		fmt.Fprintf(&b, "\n  %-7s %-8s %6d %6d  %-7s %-7s", n.Name, n.ID.Label(), n.Owned, n.Replicas, pred, succ)
	}
	fmt.Fprintf(&b, "\nkeys         %d owned, %d replicas, %d tombstones, %d bytes (all identities)", d.Owned, d.Replicas, d.Tombstones, d.Bytes)
	if len(d.Faults) > 0 {
		fmt.Fprintf(&b, "\nfaults       %s", strings.Join(d.Faults, ", "))
	}
	return b.String()
}
