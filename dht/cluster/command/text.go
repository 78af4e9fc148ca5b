package command

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
)

// text is the human-readable output of a successful command: the words
// the REPL prints and the TUI logs.
func text(cmd string, data any) string {
	switch d := data.(type) {
	case cluster.GetResult:
		if !d.Found {
			return fmt.Sprintf("(not found)   (owner %s, %s via %s)", d.Owner, Plural(d.Hops, "hop"), d.Via)
		}
		return fmt.Sprintf("%s   (owner %s, version %s, %s via %s)", strconv.Quote(d.Value), d.Owner, d.Version, Plural(d.Hops, "hop"), d.Via)
	case cluster.WriteResult:
		if cmd == "del" {
			return fmt.Sprintf("ok — %q deleted at %s, version %s, %s via %s", d.Key, d.Owner, d.Version, Plural(d.Hops, "hop"), d.Via)
		}
		return fmt.Sprintf("ok — %q stored at %s (%s), version %s, %s via %s", d.Key, d.Owner, d.Owner.ID.Short(), d.Version, Plural(d.Hops, "hop"), d.Via)
	case cluster.LookupResult:
		return fmt.Sprintf("%q → id %s is owned by %s (%s, %s) — %s, %s, %v, from %s%s",
			d.Key, d.ID.Short(), d.Owner, d.Owner.ID.Short(), d.Owner.Addr, Plural(d.Hops, "hop"), Plural(d.Timeouts, "timeout"),
			d.Took.Round(time.Microsecond), d.Via, pathText(d))
	case Origin:
		if d.Changed {
			return "origin is now " + d.Origin
		}
		return "origin is " + d.Origin
	case NodeDone:
		verb := map[string]string{"kill": "killed", "revive": "revived", "leave": "left:", "pause": "paused", "resume": "resumed"}[cmd]
		return fmt.Sprintf("%s %s (%s)", verb, d.Node.Name, d.Node.Addr)
	case NodeList:
		if cmd == "partition" {
			return "partitioned " + strings.Join(d.Nodes, " ") + " from the rest"
		}
		return "added " + strings.Join(d.Nodes, " ")
	case Delay:
		return fmt.Sprintf("calls to and from %s now take %v longer", d.Node, d.Delay)
	case Drop:
		return fmt.Sprintf("%g%% of calls to and from %s now fail", d.Percent, d.Node)
	case Maintenance:
		if d.Paused {
			return "maintenance paused — maintenance step runs one round"
		}
		return "maintenance resumed"
	case Stepped:
		return fmt.Sprintf("ran one round of every task on %d live nodes", d.Nodes)
	case cluster.WaitResult:
		return fmt.Sprintf("stable %.3f s after %s", d.ConvergedIn.Seconds(), d.After)
	case cluster.CheckResult:
		if d.OK() {
			return fmt.Sprintf("ok — invariants 1–8 hold over %d live nodes", d.Live)
		}
		return violationsText(d)
	case cluster.NodesView:
		return nodesText(d)
	case cluster.NodeDetail:
		return nodeText(d)
	case cluster.KeyList:
		return keysText(d)
	case cluster.StatsView:
		return statsText(d)
	case Tunables:
		lines := make([]string, len(d))
		for i, t := range d {
			lines[i] = fmt.Sprintf("%-12s %-8s %s", t.Name, t.Value, t.Summary)
		}
		return strings.Join(lines, "\n")
	case cluster.Tunable:
		return fmt.Sprintf("%s = %s", d.Name, d.Value)
	case HelpText:
		return d.Text
	}
	switch cmd {
	case "heal":
		return "healed every partition"
	case "quit":
		return "bye"
	}
	return ""
}

// pathText lists a lookup's calls, one a line, each starting with a newline.
func pathText(lr cluster.LookupResult) string {
	var b strings.Builder
	for i, h := range lr.Path {
		fmt.Fprintf(&b, "\n  %d. %-5s %s  via %-16s %s", i+1, h.Node, h.ID.Short(), h.Via, h.Reason)
		if h.Err != "" {
			fmt.Fprintf(&b, " — no answer: %s", h.Err)
		} else {
			fmt.Fprintf(&b, "  [%v]", h.RTT.Round(time.Microsecond))
		}
	}
	return b.String()
}

func violationsText(r cluster.CheckResult) string {
	lines := make([]string, len(r.Violations))
	for i, v := range r.Violations {
		lines[i] = v.String()
	}
	return strings.Join(lines, "\n")
}

func nodesText(v cluster.NodesView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %-8s %-21s %-7s %5s %5s  %-6s %-6s %s", "NAME", "ID", "ADDR", "STATE", "OWNED", "REPL", "PRED", "SUCC", "FAULTS")
	for _, n := range v.Nodes {
		pred, succ := "-", "-"
		if n.Joined {
			pred, succ = n.Pred.String(), n.Succ.String()
		}
		fmt.Fprintf(&b, "\n%-5s %-8s %-21s %-7s %5d %5d  %-6s %-6s %s", n.Name, n.ID.Short(), n.Addr, n.State,
			n.Owned, n.Replicas, pred, succ, strings.Join(n.Faults, ", "))
	}
	st := "not stable"
	if v.Stable {
		st = fmt.Sprintf("stable (%.2f s after %s)", v.ConvergedIn.Seconds(), v.LastFault)
	}
	fmt.Fprintf(&b, "\n%d nodes; %s; origin %s", len(v.Nodes), st, v.Origin)
	return b.String()
}

func nodeText(d cluster.NodeDetail) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  id %s  %s  %s (incarnation %d)", d.Name, d.ID.Hex(), d.Addr, d.State, d.Incarnation)
	if r := d.Routing; r != nil {
		fmt.Fprintf(&b, "\npredecessor  %s", peerLine(r.Pred))
		for i, s := range r.Successors {
			fmt.Fprintf(&b, "\nsuccessor[%d] %s", i, peerLine(s))
		}
		for _, run := range r.Fingers {
			fmt.Fprintf(&b, "\n%s", run)
		}
	}
	fmt.Fprintf(&b, "\nkeys         %d owned, %d replicas, %d tombstones, %d bytes", d.Owned, d.Replicas, d.Tombstones, d.Bytes)
	if len(d.Faults) > 0 {
		fmt.Fprintf(&b, "\nfaults       %s", strings.Join(d.Faults, ", "))
	}
	return b.String()
}

// peerLine is a pointer in the node view: name, short ID and address.
func peerLine(p cluster.Peer) string {
	if p.IsZero() {
		return "nil"
	}
	return fmt.Sprintf("%-5s %s  %s", p.Name, p.ID.Short(), p.Addr)
}

func keysText(l cluster.KeyList) string {
	if !l.Running {
		return l.Node + " holds no keys (it is not running)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s holds %s", l.Node, Plural(len(l.Keys), "key"))
	for _, k := range l.Keys {
		role := "replica"
		if k.Owned {
			role = "owned"
		}
		if k.Deleted {
			role += ", deleted"
		}
		fmt.Fprintf(&b, "\n  %s  %-20s v%s  %s  %d bytes", k.ID.Short(), strconv.Quote(k.Key), k.Version, role, k.Size)
	}
	return b.String()
}

func statsText(v cluster.StatsView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %-7s %9s %7s %9s %10s %10s %9s %9s %8s %7s", "NAME", "STATE", "CALLS", "ERRORS", "SERVED",
		"BYTES-IN", "BYTES-OUT", "P50", "P99", "LOOKUPS", "ROUNDS")
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n%-5s %-7s %9d %7d %9d %10d %10d %9v %9v %8d %7d", n.Name, n.State, n.Calls, n.Errors, n.Served,
			n.BytesIn, n.BytesOut, n.P50.Round(time.Microsecond), n.P99.Round(time.Microsecond), n.Lookups, n.Rounds)
	}
	fmt.Fprintf(&b, "\n%-5s %-7s %9d %7d %9d %10d %10d %9s %9s %8d", "all", "", v.Calls, v.Errors, v.Served,
		v.BytesIn, v.BytesOut, "", "", v.Lookups)
	if v.EventsDropped > 0 {
		fmt.Fprintf(&b, "\n%d events dropped (nobody read them in time)", v.EventsDropped)
	}
	return b.String()
}
