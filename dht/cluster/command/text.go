package command

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// text is the human-readable output of a successful command: the words
// the REPL prints and the TUI logs.
func text(cmd string, data any) string {
	if t, ok := fileText(cmd, data); ok {
		return t
	}
	switch d := data.(type) {
	case cluster.GetResult:
		if d.Cached {
			v := "(not found)   ("
			if d.Found {
				v = strconv.Quote(d.Value) + "   (version " + d.Version.String() + ", "
			}
			if d.CachedAt != "" && d.CachedAt != d.Via && d.Hops == 0 {
				return fmt.Sprintf("%scached at %s, an identity of the same real node, under owner %s's lease: no lookup, no holder asked)\n  hop 0 ⚡ %-5s origin: answered from %s's cache", v, d.CachedAt, d.Owner, d.Via, d.CachedAt)
			}
			if d.CachedAt != "" && d.CachedAt != d.Via {
				return fmt.Sprintf("%scached at %s, a hop of the lookup, under owner %s's lease: no holder asked; %s via %s)%s",
					v, d.CachedAt, d.Owner, HopsText(d.Hops, d.Timeouts), d.Via, pathText(d.Lookup))
			}
			return fmt.Sprintf("%scached at %s under owner %s's lease: no lookup, no holder asked)\n  hop 0 ⚡ %-5s origin: answered from its cache", v, d.Via, d.Owner, d.Via)
		}
		if !d.Found {
			return fmt.Sprintf("(not found)   (owner %s, %s via %s)", d.Owner, HopsText(d.Hops, d.Timeouts), d.Via)
		}
		return fmt.Sprintf("%s   (owner %s, version %s, %s via %s)", strconv.Quote(d.Value), d.Owner, d.Version, HopsText(d.Hops, d.Timeouts), d.Via)
	case cluster.WriteResult:
		if cmd == "del" {
			if d.Existed != nil && !*d.Existed {
				return fmt.Sprintf("ok — %s was absent: nothing to delete (a tombstone at %s, version %s, keeps it deleted; %s via %s)",
					cluster.QuoteKey(d.Key), d.Owner, d.Version, HopsText(d.Hops, d.Timeouts), d.Via)
			}
			return fmt.Sprintf("ok — %s deleted at %s, version %s, %s via %s", cluster.QuoteKey(d.Key), d.Owner, d.Version, HopsText(d.Hops, d.Timeouts), d.Via)
		}
		return fmt.Sprintf("ok — %s stored at %s, version %s, %s via %s", cluster.QuoteKey(d.Key), peerWithID(d.Owner), d.Version, HopsText(d.Hops, d.Timeouts), d.Via)
	case cluster.LookupResult:
		owner := d.Owner.Addr
		if id := idOf(d.Owner); id != "" {
			owner = id + ", " + owner
		}
		return fmt.Sprintf("%s → id %s is owned by %s (%s) — %s, %v, from %s%s",
			cluster.QuoteKey(d.Key), d.ID.Label(), d.Owner, owner, HopsText(d.Hops, d.Timeouts),
			d.Took.Round(time.Microsecond), d.Via, pathText(d))
	case Origin:
		if d.Changed {
			return "origin is now " + d.Origin
		}
		return "origin is " + d.Origin
	case NodeDone:
		var out string
		if cmd == "leave" {
			out = fmt.Sprintf("%s (%s) has left the ring", d.Node.Name, d.Node.Addr)
		} else {
			verb := map[string]string{"kill": "killed", "revive": "revived", "pause": "paused", "resume": "resumed"}[cmd]
			out = fmt.Sprintf("%s %s (%s)", verb, d.Node.Name, d.Node.Addr)
		}
		if d.Note != "" {
			out += " — " + d.Note
		}
		return out
	case cluster.PartitionReport:
		b := strings.Join(d.Nodes, " ")
		out := "partitioned " + b + " from the rest: side B is " + b + ", side A the others"
		if d.Replaced != nil {
			out += " (this replaces the partition that cut off " + strings.Join(d.Replaced, " ") + ")"
		}
		switch len(d.NotApplied) {
		case 0:
		case 1:
			out += "\nnot applied on " + d.NotApplied[0] + ", which allows no admin operations or did not answer: its own calls still cross the partition"
		default:
			out += "\nnot applied on " + strings.Join(d.NotApplied, ", ") + ", which allow no admin operations or did not answer: their own calls still cross the partition"
		}
		return out
	case Healed:
		if len(d.Nodes) == 0 {
			return "no partition was in force: nothing to heal"
		}
		return "healed the partition that cut off " + strings.Join(d.Nodes, " ") + ": one ring again once the sides merge"
	case NodeList:
		out := "added " + strings.Join(d.Nodes, " ")
		if d.Note != "" {
			out += " — " + d.Note
		}
		return out
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
	case cluster.StepReport:
		return stepText(d)
	case SourceResult:
		return sourceText(d)
	case cluster.WaitResult:
		return waitText(d)
	case cluster.CheckResult:
		return checkText(d)
	case cluster.NodesView:
		return nodesText(d)
	case NodeView:
		return nodeText(d.NodeDetail, d.Table)
	case cluster.NodeDetail:
		return nodeText(d, d.ID.Decimal())
	case cluster.KeyList:
		return keysText(d)
	case cluster.StatsView:
		return statsText(d)
	case cluster.LoadView:
		return loadText(d)
	case cluster.WorkloadResult:
		return workloadText(d)
	case WorkloadStopped:
		return "workload stopped: it reports what it did when it returns"
	case cluster.RESPStatus:
		return respText(d)
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
	case "quit":
		return "bye"
	}
	return ""
}

// HopsText says how many calls of a lookup answered ("2 hops", the
// paper's path length) and, when any failed, how many ("1 failed call").
func HopsText(hops, failed int) string {
	if failed == 0 {
		return Plural(hops, "hop")
	}
	return Plural(hops, "hop") + ", " + Plural(failed, "failed call")
}

// pathText lists a lookup's calls, one a line, each starting with a
// newline: the origin as hop 0, every call made as hops 1..k (a failed one
// marked ✗ with its error), then how the owner was found live.
func pathText(lr cluster.LookupResult) string {
	var b strings.Builder
	switch {
	case lr.Via != "" && lr.Recursive:
		fmt.Fprintf(&b, "\n  hop 0    %-5s origin: forwards the lookup, as does each node after it", lr.Via)
	case lr.Via != "":
		fmt.Fprintf(&b, "\n  hop 0    %-5s origin: makes every call", lr.Via)
	}
	for i, h := range lr.Path {
		mark := " "
		if !h.Answered() {
			mark = "✗"
		}
		what := "step"
		if h.Cached {
			mark, what = "⚡", "step answered from its cache"
		}
		if h.Ping {
			what = "ping"
		}
		switch {
		case h.From != "" && h.Via != "" && lr.Recursive:
			what += ", called by " + h.From + " via its " + h.Via
		case h.From != "" && h.Via != "":
			what += ", named by " + h.From + "'s " + h.Via
		}
		who := fmt.Sprintf("%-5s %s", h.Node, h.ID.Label())
		if namedByID(h.Node, h.ID) {
			who = fmt.Sprintf("%-5s", h.Node)
		}
		fmt.Fprintf(&b, "\n  hop %-3d%s %s  %s", i+1, mark, who, what)
		if h.Reason != "" {
			b.WriteString(": " + h.Reason)
		}
		if h.Err != "" {
			fmt.Fprintf(&b, " — no answer: %s", h.Err)
		} else {
			fmt.Fprintf(&b, "  [%v]", h.RTT.Round(time.Microsecond))
		}
	}
	if line := ownerLine(lr); line != "" {
		b.WriteString("\n  " + line)
	}
	return b.String()
}

// OwnerLine says how a lookup's owner was found live, as the text after
// its path does ("" when it found no owner): the TUI's Lookup pane uses it.
func OwnerLine(lr cluster.LookupResult) string { return ownerLine(lr) }

// ownerLine says how the lookup's owner was found live.
func ownerLine(lr cluster.LookupResult) string {
	if lr.Owner.IsZero() || lr.OwnerCheck == 0 {
		return ""
	}
	named := ""
	if lr.OwnerNamedBy != "" && lr.OwnerVia != "" && lr.OwnerCheck != chord.OwnerOrigin {
		named = fmt.Sprintf(", named by %s's %s", lr.OwnerNamedBy, lr.OwnerVia)
	}
	how := ""
	switch lr.OwnerCheck {
	case chord.OwnerOrigin:
		how = "the origin owns the key itself (hop 0) — no call"
	case chord.OwnerAnswered:
		how = "answered a step earlier in this lookup (hop " + strconv.Itoa(hopOf(lr, lr.Owner.Name)) + ") — no further call"
	case chord.OwnerPinged:
		how = "answered a ping (hop " + strconv.Itoa(len(lr.Path)) + ")"
	case chord.OwnerVouched:
		how = fmt.Sprintf("vouched for by %s, which heard from it %v before naming it — no call", lr.OwnerNamedBy, lr.OwnerHeardAgo.Round(time.Microsecond))
	case chord.OwnerHeard:
		how = fmt.Sprintf("the origin heard from it %v before — no call", lr.OwnerHeardAgo.Round(time.Microsecond))
	case chord.OwnerTrusted:
		how = "not checked (the operation calls it next) — no call"
	}
	return fmt.Sprintf("owner  %s%s: %s", peerWithID(lr.Owner), named, how)
}

// hopOf is the hop number of the first answered call to name in lr.
func hopOf(lr cluster.LookupResult, name string) int {
	for i, h := range lr.Path {
		if h.Node == name && h.Answered() {
			return i + 1
		}
	}
	return 0
}

// violationsText lists the violations, one a line.
func violationsText(r cluster.CheckResult) string {
	lines := make([]string, len(r.Violations))
	for i, v := range r.Violations {
		lines[i] = v.String()
	}
	return strings.Join(lines, "\n")
}

// holdText says which invariants hold over live nodes: 1–8, or 1–7 with
// the note of a ring too small for invariant 8.
func holdText(live int, note string) string {
	if live == 0 {
		return "no live node: nothing to check (revive or add brings one up)"
	}
	if note == "" {
		return fmt.Sprintf("invariants 1–8 hold over %s", Plural(live, "live node"))
	}
	return fmt.Sprintf("invariants 1–7 hold over %s; %s", Plural(live, "live node"), note)
}

// checkText is check's output: ok, or the violations; under a partition,
// per side.
func checkText(r cluster.CheckResult) string {
	if !r.Partitioned {
		if r.OK() {
			return "ok — " + holdText(r.Live, r.Note)
		}
		out := violationsText(r)
		if r.Note != "" {
			out += "\nnote: " + r.Note
		}
		return out
	}
	var b strings.Builder
	fmt.Fprintf(&b, "partitioned: %d sides, each checked as a ring of its own", len(r.Sides))
	for _, s := range r.Sides {
		fmt.Fprintf(&b, "\nside %s (%s): ", s.Label, sideNodes(s.Nodes))
		switch {
		case len(s.Nodes) == 0:
			b.WriteString("nothing to check")
		case s.Violations == 0:
			b.WriteString("ok — " + holdText(len(s.Nodes), s.Note))
		default:
			b.WriteString(Plural(s.Violations, "invariant violation"))
			for _, v := range r.Violations {
				if v.Side == s.Label {
					b.WriteString("\n  " + v.String())
				}
			}
			if s.Note != "" {
				b.WriteString("\n  note: " + s.Note)
			}
		}
	}
	return b.String()
}

// sideNodes names a side's live nodes: "n3 n4", or "14 live nodes" when
// there are many.
func sideNodes(names []string) string {
	switch {
	case len(names) == 0:
		return "no live node"
	case len(names) <= 6:
		return strings.Join(names, " ")
	}
	return Plural(len(names), "live node")
}

// waitText is wait's output.
func waitText(d cluster.WaitResult) string {
	after := fmt.Sprintf("%.3f s after", d.ConvergedIn.Seconds())
	if d.InSteps {
		after = "after " + Plural(d.ConvergedSteps, "step") + " since"
	}
	if d.StableAgain {
		out := fmt.Sprintf("stable again %s it was lost (no new fault since %s)", after, d.After)
		if d.Note != "" {
			out += "; " + d.Note
		}
		return out
	}
	if !d.Partitioned {
		out := fmt.Sprintf("stable %s %s", after, d.After)
		if d.InSteps {
			out += " (counted in steps: maintenance was paused)"
		} else if d.ConvergedIn < time.Millisecond {
			// The condition held at the first look: say what was waited for.
			out += " (the ring stayed ideal; every node has since run a round of each maintenance task under it)"
		}
		if d.Note != "" {
			out += "; " + d.Note
		}
		return out
	}
	var b strings.Builder
	fmt.Fprintf(&b, "partitioned: %d sides, each stable on its own %s %s", len(d.Sides), after, d.After)
	for _, s := range d.Sides {
		fmt.Fprintf(&b, "\nside %s (%s): ", s.Label, sideNodes(s.Nodes))
		if len(s.Nodes) == 0 {
			b.WriteString("no live node")
			continue
		}
		if s.InSteps {
			fmt.Fprintf(&b, "stable after %s", Plural(s.ConvergedSteps, "step"))
		} else {
			fmt.Fprintf(&b, "stable after %.3f s", s.ConvergedIn.Seconds())
		}
		if s.Note != "" {
			b.WriteString("; " + s.Note)
		}
	}
	return b.String()
}

func nodesText(v cluster.NodesView) string {
	var b strings.Builder
	side := func(string) string { return "" }
	if v.Partitioned {
		side = func(s string) string { return fmt.Sprintf("%-4s ", s) }
	}
	if len(v.Nodes) > 0 && v.Nodes[0].Identities > 0 {
		return hostsText(v, side)
	}
	remote := 0
	// Columns as wide as their longest entry (a remote node's name, such
	// as n-099178, is longer than n12).
	nameW, addrW, peerW := 5, 21, 6
	for _, n := range v.Nodes {
		nameW, addrW = max(nameW, len(n.Name)), max(addrW, len(n.Addr))
		if n.Joined {
			peerW = max(peerW, len(n.Pred.String()), len(n.Succ.String()))
		}
	}
	fmt.Fprintf(&b, "%-*s %-8s %-*s %-7s %s%5s %5s  %-*s %-*s %s", nameW, "NAME", "ID", addrW, "ADDR", "STATE", side("SIDE"), "OWNED", "REPL", peerW, "PRED", peerW, "SUCC", "FAULTS")
	for _, n := range v.Nodes {
		pred, succ := "-", "-"
		if n.Joined {
			pred, succ = n.Pred.String(), n.Succ.String()
		}
		faults := n.Faults
		if n.Remote {
			remote++
			faults = append([]string{"(remote)"}, faults...)
		}
		fmt.Fprintf(&b, "\n%-*s %-8s %-*s %-7s %s%5d %5d  %-*s %-*s %s", nameW, n.Name, n.ID.Label(), addrW, n.Addr, n.State, side(n.Side),
			n.Owned, n.Replicas, peerW, pred, peerW, succ, strings.Join(faults, ", "))
	}
	count := Plural(len(v.Nodes), "node")
	if remote > 0 {
		count += fmt.Sprintf(" (%d remote: started elsewhere, as they last answered)", remote)
	}
	fmt.Fprintf(&b, "\n%s; %s; origin %s", count, v.Summary, v.Origin)
	return b.String()
}

// nodeText is node's output; table shows the fingers as the paper's
// table rather than collapsed runs.
func nodeText(d cluster.NodeDetail, table bool) string {
	var b strings.Builder
	id := d.ID.Hex()
	if d.ID.Decimal() {
		id = d.ID.Dec()
	}
	if len(d.Identities) > 0 {
		return hostText(d)
	}
	fmt.Fprintf(&b, "%s  id %s  %s  %s (incarnation %d)", d.Name, id, d.Addr, d.State, d.Incarnation)
	if r := d.Routing; r != nil {
		fmt.Fprintf(&b, "\npredecessor  %s", peerLine(r.Pred))
		for i, s := range r.Successors {
			fmt.Fprintf(&b, "\nsuccessor[%d] %s", i, peerLine(s))
		}
		if table {
			b.WriteString(fingerTableText(r.FingerTable))
		} else {
			for _, run := range r.Fingers {
				fmt.Fprintf(&b, "\n%s", run)
			}
		}
		for _, f := range r.Routed {
			fmt.Fprintf(&b, "\nadaptive     finger[%d] → %s is busy: lookups go through %s", f.K, f.Node.Name, f.Via.Name)
		}
	}
	fmt.Fprintf(&b, "\nkeys         %d owned, %d replicas, %d tombstones, %d bytes", d.Owned, d.Replicas, d.Tombstones, d.Bytes)
	if len(d.Faults) > 0 {
		fmt.Fprintf(&b, "\nfaults       %s", strings.Join(d.Faults, ", "))
	}
	return b.String()
}

// peerLine is a pointer in the node view: name, ID (unless the name is
// it) and address.
func peerLine(p cluster.Peer) string {
	if p.IsZero() {
		return "nil"
	}
	if id := idOf(p); id != "" {
		return fmt.Sprintf("%-5s %s  %s", p.Name, id, p.Addr)
	}
	return fmt.Sprintf("%-5s %s", p.Name, p.Addr)
}

// idOf is p's identifier as texts show it (RingID.Label), or "" when its
// name already is its identifier (N8, cluster.NamesID).
func idOf(p cluster.Peer) string {
	if namedByID(p.Name, p.ID) {
		return ""
	}
	return p.ID.Label()
}

// namedByID reports whether name is the identifier's (N8 for 8).
func namedByID(name string, id cluster.RingID) bool {
	return id.Decimal() && name == "N"+id.Dec()
}

// peerWithID is "n3 (3fa2c1)", or "N8" when the name is the identifier.
func peerWithID(p cluster.Peer) string {
	if id := idOf(p); id != "" {
		return p.Name + " (" + id + ")"
	}
	return p.Name
}

// fingerTableText is the finger table as the paper draws it, one row per
// finger: k, start, interval, node; ✗ marks a finger that is not the
// first live node at or after its start.
func fingerTableText(rows []cluster.FingerEntry) string {
	var b strings.Builder
	sw, iw := len("start"), len("interval")
	for _, e := range rows {
		sw = max(sw, len(e.StartText()))
		iw = max(iw, len(e.Interval()))
	}
	fmt.Fprintf(&b, "\nfinger table (m = %d):", len(rows))
	fmt.Fprintf(&b, "\n  %3s  %*s  %-*s  %s", "k", sw, "start", iw, "interval", "node")
	for _, e := range rows {
		node := "(unknown)"
		if !e.Node.IsZero() {
			node = peerWithID(e.Node)
		}
		mark := ""
		if !e.Right {
			mark = "  ✗ not the first live node at or after " + e.StartText()
		}
		fmt.Fprintf(&b, "\n  %3d  %*s  %-*s  %s%s", e.K, sw, e.StartText(), iw, e.Interval(), node, mark)
	}
	return b.String()
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
		if k.MergedOver != nil {
			role += ", merged over " + k.MergedOver.String()
		}
		fmt.Fprintf(&b, "\n  %s  %-20s version %s  %s  %d bytes", k.ID.Label(), strconv.Quote(k.Key), k.Version, role, k.Size)
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
	if v.AuthRefused > 0 {
		var per []string
		for _, n := range v.Nodes {
			if n.AuthRefused > 0 {
				per = append(per, fmt.Sprintf("%s %d", n.Name, n.AuthRefused))
			}
		}
		fmt.Fprintf(&b, "\n%d connections refused for the cluster key (wrong key, none, or a replayed handshake): %s", v.AuthRefused, strings.Join(per, ", "))
	}
	if v.EventsDropped > 0 {
		fmt.Fprintf(&b, "\n%d events dropped (nobody read them in time)", v.EventsDropped)
	}
	return b.String()
}

// stepText is step's output: each round's caption (for a step of many
// rounds, only those that changed something), the pointers changed, and
// where the ring stands.
func stepText(d cluster.StepReport) string {
	var b strings.Builder
	if d.PausedNow {
		b.WriteString("maintenance paused: from now on only step runs rounds (maintenance resume restarts them)\n")
	}
	many := len(d.Rounds) > 1
	quiet := 0
	for _, r := range d.Rounds {
		if d.Node == "" && many && !r.Changed() && r.Err == "" { // every node: only what changed
			quiet++
			continue
		}
		fmt.Fprintf(&b, "%s at %s: %s\n", r.Task, r.Node, r.Caption)
		if len(r.Changes) > 0 {
			parts := make([]string, len(r.Changes))
			for i, ch := range r.Changes {
				parts[i] = ch.String()
			}
			fmt.Fprintf(&b, "  changed: %s\n", strings.Join(parts, "; "))
		}
		if len(r.Keys) > 0 {
			parts := make([]string, len(r.Keys))
			for i, k := range r.Keys {
				parts[i] = k.String()
			}
			fmt.Fprintf(&b, "  keys: %s\n", strings.Join(parts, "; "))
		}
	}
	if many {
		what := "every task"
		if d.Task != cluster.TaskAll {
			what = d.Task
		}
		where := "on " + d.Node
		if d.Node == "" {
			where = "on every live node"
		}
		changed, failed := 0, 0
		for _, r := range d.Rounds {
			if r.Changed() {
				changed++
			}
			if r.Err != "" {
				failed++
			}
		}
		fmt.Fprintf(&b, "ran %s of %s %s: %s changed something", Plural(len(d.Rounds), "round"), what, where, Plural(changed, "round"))
		switch {
		case quiet > 0 && changed > 0:
			fmt.Fprintf(&b, " (shown above), %d changed nothing", quiet)
		case quiet > 0:
			fmt.Fprintf(&b, ", %d changed nothing", quiet)
		}
		if failed > 0 {
			fmt.Fprintf(&b, ", %d failed (shown above)", failed)
		}
		fmt.Fprintf(&b, " (%s, %s)%s\n", Plural(len(d.Changes), "pointer change"), Plural(len(d.Keys), "key change"), d.SparesNote())
	}
	h := d.Health
	status := h.Summary
	if h.Violations > 0 {
		status = "⚠ " + Plural(h.Violations, "invariant violation") + " (check lists them); " + status
	}
	fmt.Fprintf(&b, "step %d since %s — %s", d.Steps, h.LastFault, status)
	return b.String()
}

// respText is the resp command's output.
func respText(d cluster.RESPStatus) string {
	var b strings.Builder
	through := "no live node (every request fails)"
	switch {
	case d.Serving == "":
	case d.Via != "" && d.Serving == d.Via:
		through = d.Serving + " (--resp-via)"
	case d.Via != "" && d.Serving == d.Origin:
		through = fmt.Sprintf("%s, the default origin (%s, given with --resp-via, is not alive)", d.Serving, d.Via)
	case d.Via != "":
		through = fmt.Sprintf("%s, the first live member (%s, given with --resp-via, and the default origin %s are not alive)", d.Serving, d.Via, d.Origin)
	case d.Serving == d.Origin:
		through = d.Serving + " (the default origin)"
	default:
		through = fmt.Sprintf("%s, the first live member (the default origin %s is not alive)", d.Serving, d.Origin)
	}
	port := d.Addr
	if i := strings.LastIndexByte(port, ':'); i >= 0 {
		port = port[i+1:]
	}
	fmt.Fprintf(&b, "RESP endpoint on %s (redis-cli -p %s) — commands go through %s", d.Addr, port, through)
	idle := "never"
	if d.Idle > 0 {
		idle = "after " + d.Idle.String()
	}
	fmt.Fprintf(&b, "\n  clients    %d connected (at most %d); %d connections, %d refused (too many), %d closed idle (%s)",
		d.Clients, d.MaxClients, d.Connections, d.Rejected, d.IdleClosed, idle)
	fmt.Fprintf(&b, "\n  requests   %d answered, %d error replies (%d protocol errors); last second %d requests/s, %d errors/s",
		d.Requests, d.Errors, d.ProtocolErrors, d.RequestsPerSec, d.ErrorsPerSec)
	fmt.Fprintf(&b, "\n  lookups    %d, %.2f hops on average", d.Lookups, d.HopsMean)
	return b.String()
}
