package command

import (
	"fmt"
	"strings"

	"github.com/chordtui/chordtui/dht/cluster"
)

// loadText is load's output: a row per node, then each load's spread.
func loadText(v cluster.LoadView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %-7s %6s %6s %9s %9s %9s %9s %9s", "NAME", "STATE", "OWNED", "REPL", "BYTES",
		"REQ/S", "REQUESTS", "ROUTE/S", "ROUTING")
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n%-5s %-7s %6d %6d %9d %9.1f %9d %9.1f %9d", n.Name, n.State, n.Owned, n.Replicas, n.Bytes,
			n.RequestRate, n.Requests, n.RoutingRate, n.Routing)
	}
	fmt.Fprintf(&b, "\nover %s:", Plural(v.Keys.Nodes, "live node"))
	fmt.Fprintf(&b, "\n  keys owned       %s", spreadText(v.Keys, "%.1f"))
	fmt.Fprintf(&b, "\n  requests/s       %s", spreadText(v.Requests, "%.1f"))
	fmt.Fprintf(&b, "\n  routing steps/s  %s", spreadText(v.Routing, "%.1f"))
	fmt.Fprintf(&b, "\n(requests: gets and sets a node answered; routing: lookup steps it answered for other nodes; per second over the last %gs)", v.Window.Seconds())
	return b.String()
}

// spreadText is one load's spread: "mean 12.5, max 40 at n3 (3.20× the
// mean), 1st percentile 2, 99th 40".
func spreadText(s cluster.LoadStats, f string) string {
	if s.Nodes == 0 {
		return "no live node"
	}
	num := func(x float64) string {
		t := fmt.Sprintf(f, x)
		if strings.Contains(t, ".") {
			t = strings.TrimSuffix(strings.TrimSuffix(t, "0"), ".")
		}
		return t
	}
	out := "mean " + num(s.Mean) + ", max " + num(s.Max)
	if s.MaxNode != "" {
		out += " at " + s.MaxNode
	}
	if s.Mean > 0 {
		out += fmt.Sprintf(" (%.2f× the mean)", s.MaxOverMean)
	}
	return out + ", 1st percentile " + num(s.P1) + ", 99th " + num(s.P99)
}
