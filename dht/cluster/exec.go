package cluster

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// Exec parses and runs one line of the command language and reports the
// outcome. It never panics on bad input: every problem comes back as a
// Result with OK false and an Err that names it and gives a hint. A blank
// or comment-only line is OK with an empty Cmd.
func (c *Cluster) Exec(ctx context.Context, line string) (res Result) {
	cmd, err := Parse(line)
	if err != nil {
		return failed(firstWord(line), err)
	}
	if cmd.Name == "" {
		return Result{OK: true}
	}
	c.mu.RLock()
	closed := c.closed
	c.mu.RUnlock()
	if closed && cmd.Name != "help" && cmd.Name != "quit" {
		return failed(cmd.Name, errorf(ErrClosed, "%s: the cluster is closed", cmd.Name))
	}
	defer func() {
		if p := recover(); p != nil {
			res = failed(cmd.Name, fmt.Errorf("%s: internal error: %v", cmd.Name, p))
		}
	}()
	run, ok := runners[cmd.Name]
	if !ok { // the table and runners disagree: a programming error
		return failed(cmd.Name, errorf(ErrUnknownCommand, "%s: not implemented", cmd.Name))
	}
	res, err = run(c, ctx, cmd)
	res.Cmd = cmd.Name
	if err != nil {
		f := failed(cmd.Name, err, res.Lookup)
		f.Data = res.Data
		return f
	}
	res.OK = true
	return res
}

func failed(cmd string, err error, lookup ...*chord.LookupResult) Result {
	r := Result{Cmd: cmd, Err: err, Text: "error: " + err.Error()}
	if len(lookup) > 0 {
		r.Lookup = lookup[0]
	}
	return r
}

func firstWord(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	return strings.ToLower(f[0])
}

type runner func(c *Cluster, ctx context.Context, cmd Command) (Result, error)

var runners map[string]runner

func init() {
	runners = map[string]runner{
		"set":         (*Cluster).runSet,
		"get":         (*Cluster).runGet,
		"del":         (*Cluster).runDel,
		"lookup":      (*Cluster).runLookup,
		"random":      (*Cluster).runRandom,
		"origin":      (*Cluster).runOrigin,
		"kill":        (*Cluster).runKill,
		"revive":      (*Cluster).runRevive,
		"add":         (*Cluster).runAdd,
		"leave":       (*Cluster).runLeave,
		"pause":       (*Cluster).runPause,
		"resume":      (*Cluster).runResume,
		"partition":   (*Cluster).runPartition,
		"heal":        (*Cluster).runHeal,
		"delay":       (*Cluster).runDelay,
		"drop":        (*Cluster).runDrop,
		"wait":        (*Cluster).runWait,
		"check":       (*Cluster).runCheck,
		"nodes":       (*Cluster).runNodes,
		"node":        (*Cluster).runNode,
		"keys":        (*Cluster).runKeys,
		"stats":       (*Cluster).runStats,
		"maintenance": (*Cluster).runMaintenance,
		"config":      (*Cluster).runConfig,
		"help":        func(_ *Cluster, _ context.Context, cmd Command) (Result, error) { return runHelp(cmd) },
		"quit":        func(*Cluster, context.Context, Command) (Result, error) { return Result{Quit: true, Text: "bye"}, nil },
	}
}

// opContext bounds a data operation by OpTimeout.
func (c *Cluster) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.OpTimeout)
}

func (c *Cluster) keyID(key string) chord.ID {
	return chord.HashID(c.cfg.Chord.Bits, []byte(key))
}

func (c *Cluster) refText(r chord.NodeRef) string {
	if r.IsZero() {
		return "nil"
	}
	return fmt.Sprintf("%s (%s)", c.nameOf(r.Addr), r.ID.Short(c.cfg.Chord.Bits))
}

func (c *Cluster) runSet(ctx context.Context, cmd Command) (Result, error) {
	m, store, _, err := c.originFor("set", cmd.Via)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	pr, err := store.Set(ctx, cmd.Args[0], []byte(cmd.Args[1]))
	lk := pr.Lookup
	if err != nil {
		return Result{Lookup: &lk}, fmt.Errorf("set %q via %s: %w", cmd.Args[0], m.name, err)
	}
	owner := c.nameOf(pr.Owner.Addr)
	return Result{
		Text:   fmt.Sprintf("ok — %q stored at %s (%s), version %v, %s via %s", cmd.Args[0], owner, pr.Owner.ID.Short(c.cfg.Chord.Bits), pr.Version, plural(lk.Hops, "hop"), m.name),
		Data:   map[string]any{"key": cmd.Args[0], "owner": owner, "hops": lk.Hops, "version": pr.Version, "via": m.name},
		Lookup: &lk,
	}, nil
}

func (c *Cluster) runGet(ctx context.Context, cmd Command) (Result, error) {
	m, store, _, err := c.originFor("get", cmd.Via)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	gr, err := store.Get(ctx, cmd.Args[0])
	lk := gr.Lookup
	if err != nil {
		return Result{Lookup: &lk}, fmt.Errorf("get %q via %s: %w", cmd.Args[0], m.name, err)
	}
	owner := c.nameOf(gr.Owner.Addr)
	data := map[string]any{"key": cmd.Args[0], "found": gr.Found, "owner": owner, "hops": lk.Hops, "via": m.name}
	var text string
	if gr.Found {
		data["value"] = string(gr.Value)
		data["version"] = gr.Version
		text = fmt.Sprintf("%s   (owner %s, version %v, %s via %s)", strconv.Quote(string(gr.Value)), owner, gr.Version, plural(lk.Hops, "hop"), m.name)
	} else {
		data["value"] = nil
		text = fmt.Sprintf("(not found)   (owner %s, %s via %s)", owner, plural(lk.Hops, "hop"), m.name)
	}
	return Result{Text: text, Data: data, Lookup: &lk}, nil
}

func (c *Cluster) runDel(ctx context.Context, cmd Command) (Result, error) {
	m, store, _, err := c.originFor("del", cmd.Via)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	pr, err := store.Del(ctx, cmd.Args[0])
	lk := pr.Lookup
	if err != nil {
		return Result{Lookup: &lk}, fmt.Errorf("del %q via %s: %w", cmd.Args[0], m.name, err)
	}
	owner := c.nameOf(pr.Owner.Addr)
	return Result{
		Text:   fmt.Sprintf("ok — %q deleted at %s, version %v, %s via %s", cmd.Args[0], owner, pr.Version, plural(lk.Hops, "hop"), m.name),
		Data:   map[string]any{"key": cmd.Args[0], "owner": owner, "hops": lk.Hops, "version": pr.Version, "via": m.name},
		Lookup: &lk,
	}, nil
}

func (c *Cluster) runLookup(ctx context.Context, cmd Command) (Result, error) {
	m, _, node, err := c.originFor("lookup", cmd.Via)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	id := c.keyID(cmd.Args[0])
	lr, err := node.Lookup(ctx, id)
	bits := c.cfg.Chord.Bits
	var b strings.Builder
	path := make([]map[string]any, 0, len(lr.Path))
	for i, h := range lr.Path {
		fmt.Fprintf(&b, "\n  %d. %-5s %s  via %-16s %s", i+1, c.nameOf(h.Node.Addr), h.Node.ID.Short(bits), h.Via, h.Reason)
		if h.Err != "" {
			fmt.Fprintf(&b, " — no answer: %s", h.Err)
		} else {
			fmt.Fprintf(&b, "  [%v]", h.RTT.Round(time.Microsecond))
		}
		hop := map[string]any{"node": c.nameOf(h.Node.Addr), "id": h.Node.ID.Hex(bits), "addr": h.Node.Addr,
			"via": h.Via, "reason": h.Reason, "rtt_us": h.RTT.Microseconds()}
		if h.Err != "" {
			hop["error"] = h.Err
			hop["timeout"] = h.Timeout
		}
		path = append(path, hop)
	}
	if err != nil {
		return Result{Lookup: &lr, Text: b.String()}, fmt.Errorf("lookup %q via %s: %w%s", cmd.Args[0], m.name, err, b.String())
	}
	owner := c.nameOf(lr.Owner.Addr)
	text := fmt.Sprintf("%q → id %s is owned by %s (%s, %s) — %s, %s, %v, from %s%s",
		cmd.Args[0], id.Short(bits), owner, lr.Owner.ID.Short(bits), lr.Owner.Addr, plural(lr.Hops, "hop"), plural(lr.Timeouts, "timeout"),
		lr.Took.Round(time.Microsecond), m.name, b.String())
	return Result{
		Text: text,
		Data: map[string]any{"key": cmd.Args[0], "id": id.Hex(bits), "owner": owner, "hops": lr.Hops,
			"timeouts": lr.Timeouts, "path": path, "via": m.name, "took_us": lr.Took.Microseconds()},
		Lookup: &lr,
	}, nil
}

func (c *Cluster) runRandom(_ context.Context, _ Command) (Result, error) {
	name, err := c.PickOrigin()
	if err != nil {
		return Result{}, err
	}
	return Result{Text: "origin is now " + name, Data: map[string]any{"origin": name}}, nil
}

func (c *Cluster) runOrigin(_ context.Context, cmd Command) (Result, error) {
	if len(cmd.Args) == 0 {
		name := c.Origin()
		return Result{Text: "origin is " + name, Data: map[string]any{"origin": name}}, nil
	}
	name, err := c.SetOrigin(cmd.Args[0])
	if err != nil {
		return Result{}, err
	}
	return Result{Text: "origin is now " + name, Data: map[string]any{"origin": name}}, nil
}

func (c *Cluster) runKill(_ context.Context, cmd Command) (Result, error) {
	if err := c.Kill(cmd.Args[0]); err != nil {
		return Result{}, err
	}
	return c.didTo("killed", cmd.Args[0])
}

// didTo reports an action on one node, by its resolved name.
func (c *Cluster) didTo(verb, arg string) (Result, error) {
	m, err := c.resolve(verb, arg)
	if err != nil {
		return Result{}, err
	}
	return Result{Text: fmt.Sprintf("%s %s (%s)", verb, m.name, m.addr), Data: map[string]any{"node": m.name}}, nil
}

func (c *Cluster) runRevive(ctx context.Context, cmd Command) (Result, error) {
	if err := c.Revive(ctx, cmd.Args[0]); err != nil {
		return Result{}, err
	}
	return c.didTo("revived", cmd.Args[0])
}

func (c *Cluster) runAdd(ctx context.Context, cmd Command) (Result, error) {
	count := 1
	if len(cmd.Args) == 1 {
		n, err := strconv.Atoi(cmd.Args[0])
		if err != nil || n < 1 || n > 1000 {
			return Result{}, errorf(ErrUsage, "add: COUNT must be a whole number from 1 to 1000, got %q — usage: add [COUNT]", cmd.Args[0])
		}
		count = n
	}
	names, err := c.Add(ctx, count)
	res := Result{Text: "added " + strings.Join(names, " "), Data: map[string]any{"nodes": names}}
	return res, err
}

func (c *Cluster) runLeave(ctx context.Context, cmd Command) (Result, error) {
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	if err := c.Leave(ctx, cmd.Args[0]); err != nil {
		return Result{}, err
	}
	return c.didTo("left:", cmd.Args[0])
}

func (c *Cluster) runPause(_ context.Context, cmd Command) (Result, error) {
	if err := c.Pause(cmd.Args[0]); err != nil {
		return Result{}, err
	}
	return c.didTo("paused", cmd.Args[0])
}

func (c *Cluster) runResume(_ context.Context, cmd Command) (Result, error) {
	if err := c.Resume(cmd.Args[0]); err != nil {
		return Result{}, err
	}
	return c.didTo("resumed", cmd.Args[0])
}

func (c *Cluster) runPartition(_ context.Context, cmd Command) (Result, error) {
	if err := c.Partition(cmd.Args); err != nil {
		return Result{}, err
	}
	var in []string
	for _, a := range cmd.Args {
		m, _ := c.resolve("partition", a)
		in = append(in, m.name)
	}
	return Result{Text: "partitioned " + strings.Join(in, " ") + " from the rest", Data: map[string]any{"nodes": in}}, nil
}

func (c *Cluster) runHeal(_ context.Context, _ Command) (Result, error) {
	c.Heal()
	return Result{Text: "healed every partition"}, nil
}

func (c *Cluster) runDelay(_ context.Context, cmd Command) (Result, error) {
	d, err := time.ParseDuration(cmd.Args[1])
	if err != nil && cmd.Args[1] == "0" {
		d, err = 0, nil
	}
	if err != nil {
		return Result{}, errorf(ErrUsage, "delay: %q is not a duration (try 20ms or 1s) — usage: delay NODE DURATION", cmd.Args[1])
	}
	if err := c.SetDelay(cmd.Args[0], d); err != nil {
		return Result{}, err
	}
	m, _ := c.resolve("delay", cmd.Args[0])
	return Result{Text: fmt.Sprintf("calls to and from %s now take %v longer", m.name, d),
		Data: map[string]any{"node": m.name, "delay_ms": float64(d) / float64(time.Millisecond)}}, nil
}

func (c *Cluster) runDrop(_ context.Context, cmd Command) (Result, error) {
	p, err := strconv.ParseFloat(strings.TrimSuffix(cmd.Args[1], "%"), 64)
	if err != nil {
		return Result{}, errorf(ErrUsage, "drop: %q is not a percentage (0..100) — usage: drop NODE PERCENT", cmd.Args[1])
	}
	if err := c.SetDrop(cmd.Args[0], p); err != nil {
		return Result{}, err
	}
	m, _ := c.resolve("drop", cmd.Args[0])
	return Result{Text: fmt.Sprintf("%g%% of calls to and from %s now fail", p, m.name),
		Data: map[string]any{"node": m.name, "percent": p}}, nil
}

// Wait blocks until the ring is stable or timeout passes and returns how
// long stabilisation took after the last fault. It polls the monitor's
// result (no fixed sleep decides anything).
func (c *Cluster) Wait(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	poll := time.NewTicker(max(c.cfg.MonitorInterval/2, time.Millisecond))
	defer poll.Stop()
	for {
		stable, took, why := c.Stable()
		if stable {
			return took, nil
		}
		select {
		case <-ctx.Done():
			c.mu.RLock()
			fault, at := c.lastFault, c.lastFaultAt
			c.mu.RUnlock()
			return 0, errorf(ErrNotStable, "wait: not stable %.1f s after %s — %s",
				time.Since(at).Seconds(), fault, why)
		case <-c.stop:
			return 0, errorf(ErrClosed, "wait: the cluster was closed")
		case <-poll.C:
		}
	}
}

func (c *Cluster) runWait(ctx context.Context, cmd Command) (Result, error) {
	c.mu.RLock()
	timeout := c.cfg.WaitTimeout
	c.mu.RUnlock()
	if len(cmd.Args) == 1 {
		d, err := time.ParseDuration(cmd.Args[0])
		if err != nil || d <= 0 {
			return Result{}, errorf(ErrUsage, "wait: %q is not a positive duration (try 5s) — usage: wait [TIMEOUT]", cmd.Args[0])
		}
		timeout = d
	}
	began := time.Now()
	took, err := c.Wait(ctx, timeout)
	if err != nil {
		return Result{}, err
	}
	c.mu.RLock()
	fault := c.lastFault
	c.mu.RUnlock()
	waited := time.Since(began)
	return Result{
		Text: fmt.Sprintf("stable %.3f s after %s", took.Seconds(), fault),
		Data: map[string]any{"seconds": took.Seconds(), "after": fault, "waited": waited.Seconds()},
	}, nil
}

func (c *Cluster) runCheck(_ context.Context, _ Command) (Result, error) {
	s := c.Snapshot()
	vs := make([]string, len(s.Violations))
	names := s.Names()
	for i, v := range s.Violations {
		vs[i] = withNames(v.String(), names)
	}
	if len(vs) == 0 {
		live := 0
		for _, n := range s.Nodes {
			if n.State == StateAlive {
				live++
			}
		}
		return Result{Text: fmt.Sprintf("ok — invariants 1–8 hold over %d live nodes", live),
			Data: map[string]any{"violations": vs}}, nil
	}
	return Result{Text: strings.Join(vs, "\n"), Data: map[string]any{"violations": vs}},
		fmt.Errorf("check: %d invariant violation(s):\n%s", len(vs), strings.Join(vs, "\n"))
}

// plural writes "1 hop", "2 hops".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// withNames replaces the addresses mentioned in s by node names.
func withNames(s string, names map[string]string) string {
	return addrReplacer(names).Replace(s)
}

// addrReplacer rewrites addresses to names, longest address first so that
// 127.0.0.1:4000 never matches inside 127.0.0.1:40001.
func addrReplacer(names map[string]string) *strings.Replacer {
	addrs := make([]string, 0, len(names))
	for a := range names {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return len(addrs[i]) > len(addrs[j]) })
	pairs := make([]string, 0, 2*len(addrs))
	for _, a := range addrs {
		pairs = append(pairs, a, names[a])
	}
	return strings.NewReplacer(pairs...)
}

func (c *Cluster) runNodes(_ context.Context, _ Command) (Result, error) {
	s := c.Snapshot()
	names := s.Names()
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %-8s %-21s %-7s %5s %5s  %-6s %-6s %s", "NAME", "ID", "ADDR", "STATE", "OWNED", "REPL", "PRED", "SUCC", "FAULTS")
	list := make([]map[string]any, 0, len(s.Nodes))
	for _, n := range s.Nodes {
		pred, succ := "-", "-"
		if n.Chord.Joined {
			pred = refName(n.Chord.Predecessor, names)
			succ = refName(n.Chord.Successor(), names)
		}
		fmt.Fprintf(&b, "\n%-5s %-8s %-21s %-7s %5d %5d  %-6s %-6s %s", n.Name, n.ID.Short(s.Bits), n.Addr, n.State,
			n.Keys.Owned, n.Keys.Replicas, pred, succ, faultText(n))
		list = append(list, map[string]any{"name": n.Name, "id": n.ID.Hex(s.Bits), "addr": n.Addr, "state": string(n.State),
			"keys": n.Keys.Owned + n.Keys.Replicas, "owned": n.Keys.Owned, "replicas": n.Keys.Replicas,
			"pred": pred, "succ": succ, "ring_position": n.ID.Fraction(s.Bits)})
	}
	st := "not stable"
	if s.Stable {
		st = fmt.Sprintf("stable (%.2f s after %s)", s.ConvergedIn.Seconds(), s.LastFault)
	}
	fmt.Fprintf(&b, "\n%d nodes; %s; origin %s", len(s.Nodes), st, s.Origin)
	return Result{Text: b.String(), Data: map[string]any{"nodes": list, "stable": s.Stable, "origin": s.Origin}}, nil
}

func refName(r chord.NodeRef, names map[string]string) string {
	if r.IsZero() {
		return "nil"
	}
	if n, ok := names[r.Addr]; ok {
		return n
	}
	return r.Addr
}

func faultText(n NodeSnapshot) string {
	var f []string
	if n.Delay > 0 {
		f = append(f, "delay "+n.Delay.String())
	}
	if n.DropPercent > 0 {
		f = append(f, fmt.Sprintf("drop %g%%", n.DropPercent))
	}
	if n.Partitioned {
		f = append(f, "partitioned")
	}
	return strings.Join(f, ", ")
}

func (c *Cluster) nodeSnapshot(cmd, arg string) (NodeSnapshot, Snapshot, error) {
	m, err := c.resolve(cmd, arg)
	if err != nil {
		return NodeSnapshot{}, Snapshot{}, err
	}
	s := c.Snapshot()
	for _, n := range s.Nodes {
		if n.Name == m.name {
			return n, s, nil
		}
	}
	return NodeSnapshot{}, s, errorf(ErrUnknownNode, "%s: %s vanished", cmd, m.name)
}

func (c *Cluster) runNode(_ context.Context, cmd Command) (Result, error) {
	n, s, err := c.nodeSnapshot("node", cmd.Args[0])
	if err != nil {
		return Result{}, err
	}
	names := s.Names()
	var b strings.Builder
	fmt.Fprintf(&b, "%s  id %s  %s  %s (incarnation %d)", n.Name, n.ID.Hex(s.Bits), n.Addr, n.State, n.Incarnation)
	data := map[string]any{"name": n.Name, "id": n.ID.Hex(s.Bits), "addr": n.Addr, "state": string(n.State)}
	if n.Chord.Joined || n.State == StatePaused {
		fmt.Fprintf(&b, "\npredecessor  %s", c.refLine(n.Chord.Predecessor, names, s.Bits))
		var succ []string
		for i, r := range n.Chord.Successors {
			fmt.Fprintf(&b, "\nsuccessor[%d] %s", i, c.refLine(r, names, s.Bits))
			succ = append(succ, refName(r, names))
		}
		var fingers []map[string]any
		for _, run := range CollapseFingers(n.Chord, names) {
			fmt.Fprintf(&b, "\n%s", run)
			fingers = append(fingers, map[string]any{"from": run.From, "to": run.To, "node": run.Name})
		}
		data["pred"] = refName(n.Chord.Predecessor, names)
		data["successors"] = succ
		data["fingers"] = fingers
		data["lookups"] = n.Chord.Lookups
		data["rounds"] = n.Chord.Rounds
	}
	fmt.Fprintf(&b, "\nkeys         %d owned, %d replicas, %d tombstones, %d bytes", n.Keys.Owned, n.Keys.Replicas, n.Keys.Tombstones, n.Keys.Bytes)
	if f := faultText(n); f != "" {
		fmt.Fprintf(&b, "\nfaults       %s", f)
	}
	data["owned"], data["replicas"], data["tombstones"] = n.Keys.Owned, n.Keys.Replicas, n.Keys.Tombstones
	return Result{Text: b.String(), Data: data}, nil
}

func (c *Cluster) refLine(r chord.NodeRef, names map[string]string, bits int) string {
	if r.IsZero() {
		return "nil"
	}
	return fmt.Sprintf("%-5s %s  %s", refName(r, names), r.ID.Short(bits), r.Addr)
}

func (c *Cluster) runKeys(_ context.Context, cmd Command) (Result, error) {
	m, err := c.resolve("keys", cmd.Args[0])
	if err != nil {
		return Result{}, err
	}
	c.mu.RLock()
	store := m.store
	c.mu.RUnlock()
	if store == nil {
		return Result{Text: m.name + " holds no keys (it is not running)", Data: map[string]any{"node": m.name, "keys": []any{}}}, nil
	}
	ks := store.Keys()
	var b strings.Builder
	fmt.Fprintf(&b, "%s holds %s", m.name, plural(len(ks), "key"))
	list := make([]map[string]any, 0, len(ks))
	for _, k := range ks {
		role := "replica"
		if k.Owned {
			role = "owned"
		}
		if k.Deleted {
			role += ", deleted"
		}
		fmt.Fprintf(&b, "\n  %s  %-20s v%v  %s  %d bytes", k.ID.Short(c.cfg.Chord.Bits), strconv.Quote(k.Key), k.Version, role, k.Size)
		list = append(list, map[string]any{"key": k.Key, "id": k.ID.Hex(c.cfg.Chord.Bits), "version": k.Version,
			"owned": k.Owned, "deleted": k.Deleted, "size": k.Size})
	}
	return Result{Text: b.String(), Data: map[string]any{"node": m.name, "keys": list}}, nil
}

func (c *Cluster) runStats(_ context.Context, _ Command) (Result, error) {
	s := c.Snapshot()
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %-7s %9s %7s %9s %10s %10s %9s %9s %8s %7s", "NAME", "STATE", "CALLS", "ERRORS", "SERVED",
		"BYTES-IN", "BYTES-OUT", "P50", "P99", "LOOKUPS", "ROUNDS")
	var tot RPCStats
	var lookups uint64
	list := make([]map[string]any, 0, len(s.Nodes))
	for _, n := range s.Nodes {
		r := n.RPC
		fmt.Fprintf(&b, "\n%-5s %-7s %9d %7d %9d %10d %10d %9v %9v %8d %7d", n.Name, n.State, r.Calls, r.Errors, r.Served,
			r.BytesIn, r.BytesOut, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), n.Chord.Lookups, n.Chord.Rounds)
		tot.Calls += r.Calls
		tot.Errors += r.Errors
		tot.Served += r.Served
		tot.BytesIn += r.BytesIn
		tot.BytesOut += r.BytesOut
		lookups += n.Chord.Lookups
		list = append(list, map[string]any{"name": n.Name, "calls": r.Calls, "errors": r.Errors, "served": r.Served,
			"bytes_in": r.BytesIn, "bytes_out": r.BytesOut, "p50_us": r.P50.Microseconds(), "p99_us": r.P99.Microseconds(),
			"lookups": n.Chord.Lookups, "lookup_failures": n.Chord.LookupFailures, "rounds": n.Chord.Rounds})
	}
	fmt.Fprintf(&b, "\n%-5s %-7s %9d %7d %9d %10d %10d %9s %9s %8d", "all", "", tot.Calls, tot.Errors, tot.Served,
		tot.BytesIn, tot.BytesOut, "", "", lookups)
	if s.EventsDropped > 0 {
		fmt.Fprintf(&b, "\n%d events dropped (nobody read them in time)", s.EventsDropped)
	}
	return Result{Text: b.String(), Data: map[string]any{"nodes": list, "calls": tot.Calls, "errors": tot.Errors, "lookups": lookups}}, nil
}

func (c *Cluster) runMaintenance(ctx context.Context, cmd Command) (Result, error) {
	switch strings.ToLower(cmd.Args[0]) {
	case "pause":
		c.PauseMaintenance()
		return Result{Text: "maintenance paused — maintenance step runs one round", Data: map[string]any{"paused": true}}, nil
	case "resume":
		c.ResumeMaintenance()
		return Result{Text: "maintenance resumed", Data: map[string]any{"paused": false}}, nil
	default: // step (Parse checked the choices)
		n := c.StepMaintenance(ctx)
		return Result{Text: fmt.Sprintf("ran one round of every task on %d live nodes", n), Data: map[string]any{"nodes": n}}, nil
	}
}

func (c *Cluster) runConfig(_ context.Context, cmd Command) (Result, error) {
	if len(cmd.Args) == 0 {
		var b strings.Builder
		data := map[string]any{}
		for i, t := range tunables {
			if i > 0 {
				b.WriteByte('\n')
			}
			v := t.get(c)
			fmt.Fprintf(&b, "%-12s %-8s %s", t.name, v, t.summary)
			data[t.name] = v
		}
		return Result{Text: b.String(), Data: data}, nil
	}
	if len(cmd.Args) == 1 {
		return Result{}, errorf(ErrUsage, "config: wants 0 or 2 arguments (NAME VALUE), got 1 — usage: config [NAME VALUE]")
	}
	name := strings.ToLower(cmd.Args[0])
	for _, t := range tunables {
		if t.name != name {
			continue
		}
		c.opMu.Lock()
		err := t.set(c, cmd.Args[1])
		c.opMu.Unlock()
		if err != nil {
			return Result{}, errorf(ErrUsage, "config %s: %v", name, err)
		}
		v := t.get(c)
		return Result{Text: fmt.Sprintf("%s = %s", name, v), Data: map[string]any{"name": name, "value": v}}, nil
	}
	hint := ""
	if s := suggest(name, tunableNames()); s != "" {
		hint = fmt.Sprintf(" — did you mean %q?", s)
	}
	return Result{}, errorf(ErrUsage, "config: unknown tunable %q%s (tunables: %s)", cmd.Args[0], hint, strings.Join(tunableNames(), ", "))
}

func runHelp(cmd Command) (Result, error) {
	name := ""
	if len(cmd.Args) == 1 {
		name = cmd.Args[0]
	}
	text, err := Help(name)
	if err != nil {
		return Result{}, err
	}
	return Result{Text: text, Data: map[string]any{"help": text}}, nil
}
