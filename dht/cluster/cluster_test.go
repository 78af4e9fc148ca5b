package cluster

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// testConfig is a small, fast cluster with reproducible identifiers on
// real sockets (netmux on 127.0.0.1).
func testConfig(n int) Config {
	cfg := DefaultConfig()
	cfg.Nodes = n
	cfg.Seed = 42
	cfg.Chord.RPCTimeout = 150 * time.Millisecond
	cfg.WaitTimeout = 30 * time.Second
	return cfg
}

// memConfig is testConfig on the in-memory network.
func memConfig(n int) Config {
	cfg := testConfig(n)
	cfg.Network = NewMemNetwork(cfg.Seed)
	return cfg
}

// networks are the two networks a cluster runs on, for tests that must
// hold on both.
var networks = []struct {
	name string
	cfg  func(n int) Config
}{
	{"netmux", testConfig},
	{"mem", memConfig},
}

func startCluster(t *testing.T, cfg Config) *Cluster {
	t.Helper()
	c, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// must fails the test on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wait(t *testing.T, c *Cluster) WaitResult {
	t.Helper()
	r, err := c.Wait(context.Background(), 0)
	must(t, "wait", err)
	return r
}

// ringOrder returns the names of the alive nodes in identifier order.
func ringOrder(s Snapshot) []string {
	var alive []NodeSnapshot
	for _, n := range s.Nodes {
		if n.State == StateAlive {
			alive = append(alive, n)
		}
	}
	sort.Slice(alive, func(i, j int) bool { return alive[i].ID.Cmp(alive[j].ID) < 0 })
	out := make([]string, len(alive))
	for i, n := range alive {
		out[i] = n.Name
	}
	return out
}

// waitGoroutines polls until the goroutine count is back to at most want.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left after Close, want ≤ %d:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
}

// TestLifecycle drives a ring through the faults a lecture shows — crash of
// two neighbours, revive, add, graceful leave — and checks after each that
// the ring becomes stable again and no key is lost; then that Close leaves
// nothing running. It runs on both networks.
func TestLifecycle(t *testing.T) {
	for _, nw := range networks {
		t.Run(nw.name, func(t *testing.T) { testLifecycle(t, nw.cfg(8)) })
	}
}

func testLifecycle(t *testing.T, cfg Config) {
	ctx := context.Background()
	before := runtime.NumGoroutine()
	c, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan []string)
	go func() { // exits when Close closes the event channel
		var got []string
		for e := range c.Events() {
			got = append(got, string(e.Kind)+":"+e.Text)
		}
		events <- got
	}()
	wait(t, c)
	const keys = 60
	for i := range keys {
		_, err := c.Set(ctx, fmt.Sprintf("key%d", i), fmt.Sprintf("value %d", i), "")
		must(t, "set", err)
	}
	getAll := func(stage string) {
		t.Helper()
		for i := range keys {
			r, err := c.Get(ctx, fmt.Sprintf("key%d", i), "")
			must(t, stage+": get", err)
			if want := fmt.Sprintf("value %d", i); !r.Found || r.Value != want {
				t.Fatalf("%s: get key%d = %q (found %v), want %q", stage, i, r.Value, r.Found, want)
			}
		}
	}
	wait(t, c)

	// Crash two nodes adjacent on the ring: every key they both held
	// survives on the third replica.
	order := ringOrder(c.Snapshot())
	a, b := order[2], order[3]
	must(t, "kill", c.Kill(a))
	must(t, "kill", c.Kill(b))
	if r := wait(t, c); r.ConvergedIn <= 0 || r.After != "kill "+b {
		t.Fatalf("wait after the kills: %+v", r)
	}
	if r := c.Check(); !r.OK() {
		t.Fatalf("check after kill: %v", r.Violations)
	}
	s := c.Snapshot()
	if !s.Stable || s.LastFault != "kill "+b || s.ConvergedIn <= 0 {
		t.Fatalf("snapshot after wait: stable %v, last fault %q, converged in %v", s.Stable, s.LastFault, s.ConvergedIn)
	}
	getAll("after killing " + a + " and " + b)

	// Revive: same address and ID, a new incarnation with empty memory.
	must(t, "revive", c.Revive(ctx, a))
	wait(t, c)
	if d, err := c.Node(a); err != nil || d.State != StateAlive || d.Incarnation != 2 || d.Routing == nil {
		t.Fatalf("%s after revive: %+v, %v", a, d, err)
	}
	names, err := c.Add(ctx, 2)
	must(t, "add", err)
	if !slices.Equal(names, []string{"n8", "n9"}) {
		t.Fatalf("add 2 named the nodes %v, want [n8 n9]", names)
	}
	wait(t, c)
	must(t, "leave", c.Leave(ctx, "n9"))
	wait(t, c)
	getAll("after revive, add and leave")
	must(t, "leave", c.Leave(ctx, "n8"))
	must(t, "revive", c.Revive(ctx, "n8")) // a departed node can come back too
	wait(t, c)
	states := map[string]State{}
	for _, n := range c.Nodes().Nodes {
		states[n.Name] = n.State
	}
	if states[b] != StateDown || states["n9"] != StateLeft || states[a] != StateAlive || states["n8"] != StateAlive {
		t.Fatalf("node states %v", states)
	}

	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	joined := strings.Join(<-events, "\n")
	for _, want := range []string{"fault:kill " + a, "fault:revive " + a, "stable:stable"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no %q among the events:\n%s", want, joined)
		}
	}
	if !c.Closed() {
		t.Error("Closed() is false after Close")
	}
	afterClose := map[string]error{
		"Wait":      func() error { _, err := c.Wait(ctx, time.Second); return err }(),
		"Kill":      c.Kill(a),
		"Revive":    c.Revive(ctx, b),
		"Leave":     c.Leave(ctx, a),
		"Pause":     c.Pause(a),
		"Resume":    c.Resume(a),
		"Add":       func() error { _, err := c.Add(ctx, 1); return err }(),
		"Partition": func() error { _, err := c.Partition([]string{a}); return err }(),
		"SetDelay":  func() error { _, err := c.SetDelay(a, time.Millisecond); return err }(),
		"SetDrop":   func() error { _, err := c.SetDrop(a, 1); return err }(),
		"Get":       func() error { _, err := c.Get(ctx, "k", ""); return err }(),
		"Set":       func() error { _, err := c.Set(ctx, "k", "v", a); return err }(),
		"Lookup":    func() error { _, err := c.Lookup(ctx, "k", ""); return err }(),
	}
	for op, err := range afterClose {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", op, err)
		}
	}
	// The rest have nothing left to act on, and must not crash.
	c.Heal()
	c.PauseMaintenance()
	c.ResumeMaintenance()
	if n := c.StepMaintenance(ctx); n != 0 {
		t.Errorf("StepMaintenance after Close ran %d nodes", n)
	}
	_, _ = c.SetTunable("stabilize", "10ms")
	_, _, _, _ = c.Snapshot(), c.Nodes(), c.Stats(), c.Check()
	waitGoroutines(t, before)
}

// TestOperationErrors checks that the control and data methods refuse bad
// requests with a message naming the problem and a hint, wrapping the
// right sentinel.
func TestOperationErrors(t *testing.T) {
	ctx := context.Background()
	cfg := memConfig(8)
	cfg.Chord.Bits = 6 // 2 hex digits: 8 nodes share some first digit (written 0x…: m ≤ 10 reads decimal)
	c := startCluster(t, cfg)
	wait(t, c)
	s := c.Snapshot()
	byDigit := map[byte][]string{}
	for _, n := range s.Nodes {
		h := n.ID.Hex(s.Bits)
		byDigit[h[0]] = append(byDigit[h[0]], n.Name)
	}
	var ambiguous string
	for d, names := range byDigit {
		if len(names) > 1 {
			ambiguous = string(d)
		}
	}
	n3 := s.Nodes[3]
	for _, arg := range []string{"0x" + n3.ID.Hex(s.Bits), n3.Addr, "N3", fmt.Sprint(n3.ID.Uint64())} {
		if p, err := c.Resolve(arg); err != nil || p.Name != "n3" {
			t.Errorf("Resolve(%q) = %v, %v; want n3", arg, p, err)
		}
	}
	must(t, "kill", c.Kill("n5"))
	tests := []struct {
		name string
		call func() error
		kind error
		want string
	}{
		{"unknown node", func() error { return c.Kill("n99") }, ErrUnknownNode, `kill: unknown node "n99" — nodes are n0…n7`},
		{"unknown via", func() error { _, err := c.Get(ctx, "k", "n42"); return err }, ErrUnknownNode, `get: unknown node "n42" — nodes are n0…n7`},
		{"ambiguous prefix", func() error { _, err := c.Node("0x" + ambiguous); return err }, ErrUnknownNode, "is ambiguous — it matches"},
		{"no such identifier", func() error { _, err := c.Node("64"); return err }, ErrUnknownNode, `node: no node has identifier "64" — nodes are n0…n7`},
		{"kill down", func() error { return c.Kill("n5") }, ErrNodeState, "kill: n5 is already down — revive n5 brings it back"},
		{"resume alive", func() error { return c.Resume("n1") }, ErrNodeState, "resume: n1 is alive, not paused"},
		{"revive alive", func() error { return c.Revive(ctx, "n1") }, ErrNodeState, "revive: n1 is alive, not down"},
		{"leave down", func() error { return c.Leave(ctx, "n5") }, ErrNodeState, "leave: n5 is down"},
		{"via down", func() error { _, err := c.Get(ctx, "k", "n5"); return err }, ErrNodeState, "get: n5 is down — pick a live node after via"},
		{"origin down", func() error { _, err := c.SetOrigin("n5"); return err }, ErrNodeState, "origin: n5 is down — pick a live member"},
		{"drop 150", func() error { _, err := c.SetDrop("n1", 150); return err }, ErrBadArgument, "drop: PERCENT must be between 0 and 100, got 150"},
		{"negative delay", func() error { _, err := c.SetDelay("n1", -time.Second); return err }, ErrBadArgument, "delay: DURATION must not be negative"},
		{"add 0", func() error { _, err := c.Add(ctx, 0); return err }, ErrBadArgument, "add: COUNT must be a whole number from 1 to 1000, got 0"},
		{"add beyond the ring", func() error { _, err := c.Add(ctx, 60); return err }, ErrFull, "add: a 6-bit ring has 64 identifiers and 8 are taken"},
		{"partition all", func() error {
			_, err := c.Partition([]string{"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"})
			return err
		}, ErrBadArgument, "the group holds every node"},
		{"unknown tunable", func() error { _, err := c.SetTunable("stabilise", "1s"); return err }, ErrBadArgument, `config: unknown tunable "stabilise"`},
		{"bad tunable value", func() error { _, err := c.SetTunable("stabilize", "fast"); return err }, ErrBadArgument, `config stabilize: "fast" is not a duration`},
		// A period shorter than a millisecond only makes the rounds spin.
		{"tunable below the floor", func() error { _, err := c.SetTunable("stabilize", "1ns"); return err }, ErrBadArgument, "config stabilize: must be at least 1ms, got 1ns"},
		{"repair below the floor", func() error { _, err := c.SetTunable("repair", "999us"); return err }, ErrBadArgument, "config repair: must be at least 1ms, got 999µs"},
		{"keys of nobody", func() error { _, err := c.Keys("n77"); return err }, ErrUnknownNode, `keys: unknown node "n77"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v does not wrap %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error\n got %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
	// With maintenance paused nothing repairs the crash: Wait must time out.
	c.PauseMaintenance()
	must(t, "kill", c.Kill("n6"))
	if _, err := c.Wait(ctx, 300*time.Millisecond); !errors.Is(err, ErrNotStable) || !strings.Contains(err.Error(), "after kill n6") {
		t.Fatalf("wait with maintenance paused = %v, want ErrNotStable naming the last fault", err)
	}
	// A cancelled context is the caller's, not the ring's.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Wait(cctx, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestMaintenanceStep repairs a crash by stepping maintenance rounds by
// hand: nothing changes while paused, and enough steps make it stable.
func TestMaintenanceStep(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, memConfig(6))
	wait(t, c)
	for i := range 20 {
		_, err := c.Set(ctx, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i), "")
		must(t, "set", err)
	}
	wait(t, c)
	c.PauseMaintenance()
	if !c.Snapshot().MaintenancePaused {
		t.Fatal("snapshot does not show maintenance paused")
	}
	must(t, "kill", c.Kill("n2"))
	c.evaluate()
	if ok, _, why := c.Stable(); ok {
		t.Fatal("stable right after a kill with maintenance paused")
	} else if why == "" {
		t.Fatal("no reason given for not being stable")
	}
	steps := 0
	for ; steps < 100; steps++ {
		c.evaluate()
		if ok, _, _ := c.Stable(); ok {
			break
		}
		if n := c.StepMaintenance(ctx); n != 5 {
			t.Fatalf("step ran on %d nodes, want 5", n)
		}
	}
	if ok, _, why := c.Stable(); !ok {
		t.Fatalf("not stable after %d steps: %s", steps, why)
	}
	if steps == 0 {
		t.Fatal("stable without a single step: the kill went unnoticed")
	}
	t.Logf("stable after %d steps", steps)
	c.ResumeMaintenance()
	for i := range 20 {
		if r, err := c.Get(ctx, fmt.Sprintf("k%d", i), ""); err != nil || r.Value != fmt.Sprintf("v%d", i) {
			t.Fatalf("get k%d = %q, %v", i, r.Value, err)
		}
	}
}

// TestPauseAndPartition checks, on both networks, that a paused node and a
// partitioned one stop answering (a lookup through them fails or routes
// around them), and that resume and heal bring them back.
func TestPauseAndPartition(t *testing.T) {
	for _, nw := range networks {
		t.Run(nw.name, func(t *testing.T) {
			ctx := context.Background()
			c := startCluster(t, nw.cfg(6))
			wait(t, c)
			c.PauseMaintenance() // keep the ring as it is: only reachability changes

			pr, err := c.Partition([]string{"n0", "n0"})
			must(t, "partition", err)
			if !slices.Equal(pr.Nodes, []string{"n0"}) || pr.Replaced != nil || pr.NotApplied != nil {
				t.Fatalf("partition reported %+v, want side B [n0] and nothing else", pr)
			}
			if _, err := c.Lookup(ctx, "somekey", "n0"); err == nil {
				t.Fatal("lookup from a partitioned node succeeded")
			}
			if s := c.Snapshot(); !s.Nodes[0].Partitioned || s.Nodes[1].Partitioned {
				t.Fatal("snapshot does not mark n0 (only) as partitioned")
			}
			if r := c.Nodes(); !slices.Equal(r.Nodes[0].Faults, []string{"partitioned"}) {
				t.Fatalf("nodes lists n0's faults as %v", r.Nodes[0].Faults)
			}
			pr, err = c.Partition([]string{"n2", "n3"})
			must(t, "second partition", err)
			if !slices.Equal(pr.Nodes, []string{"n2", "n3"}) || !slices.Equal(pr.Replaced, []string{"n0"}) {
				t.Fatalf("second partition reported %+v, want [n2 n3] replacing [n0]", pr)
			}
			if s := c.Snapshot(); s.Nodes[0].Partitioned || !s.Nodes[2].Partitioned {
				t.Fatal("after the second partition, n0 is still cut off or n2 is not")
			}
			if healed := c.Heal(); !slices.Equal(healed, []string{"n2", "n3"}) {
				t.Fatalf("heal healed %v, want [n2 n3]", healed)
			}
			if healed := c.Heal(); healed != nil {
				t.Fatalf("a second heal healed %v, want nothing", healed)
			}
			_, err = c.Lookup(ctx, "somekey", "n0")
			must(t, "lookup after heal", err)

			must(t, "pause", c.Pause("n1"))
			if s := c.Snapshot(); s.Nodes[1].State != StatePaused {
				t.Fatalf("n1 is %s after pause", s.Nodes[1].State)
			}
			if _, err := c.Get(ctx, "k", "n1"); !errors.Is(err, ErrNodeState) {
				t.Fatalf("get via a paused node = %v, want ErrNodeState", err)
			}
			must(t, "resume", c.Resume("n1"))
			c.ResumeMaintenance()
			wait(t, c)
			_, err = c.SetDelay("n2", 5*time.Millisecond)
			must(t, "delay", err)
			_, err = c.SetDrop("n3", 10)
			must(t, "drop", err)
			s := c.Snapshot()
			if s.Nodes[2].Delay != 5*time.Millisecond || s.Nodes[3].DropPercent != 10 {
				t.Fatalf("faults not shown: delay %v drop %v", s.Nodes[2].Delay, s.Nodes[3].DropPercent)
			}
			if s.LastFault != "drop n3 10%" {
				t.Fatalf("last fault %q", s.LastFault)
			}
		})
	}
}

// TestOrigin checks that PickOrigin picks a live member, SetOrigin refuses
// a node that is not alive, and operations without via start at the origin.
func TestOrigin(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, memConfig(4))
	wait(t, c)
	if o := c.Origin(); o != "n0" {
		t.Fatalf("initial origin %q, want n0", o)
	}
	name, err := c.SetOrigin("n2")
	must(t, "origin", err)
	if r, err := c.Lookup(ctx, "x", ""); err != nil || r.Via != name {
		t.Fatalf("lookup started at %q (%v), want %s", r.Via, err, name)
	}
	must(t, "kill", c.Kill("n0"))
	must(t, "kill", c.Kill("n3"))
	if _, err := c.SetOrigin("n3"); !errors.Is(err, ErrNodeState) {
		t.Fatalf("origin n3 (down) = %v, want ErrNodeState", err)
	}
	if c.Origin() != "n2" {
		t.Fatalf("a refused origin changed the origin to %s", c.Origin())
	}
	wait(t, c)
	for range 10 {
		o, err := c.PickOrigin()
		must(t, "random", err)
		if o == "n0" || o == "n3" {
			t.Fatalf("PickOrigin picked %s, which is down", o)
		}
		if r, err := c.Get(ctx, "x", ""); err != nil || r.Via != o {
			t.Fatalf("get started at %q (%v), want the origin %s", r.Via, err, o)
		}
	}
}

func TestTunables(t *testing.T) {
	c := startCluster(t, memConfig(3))
	get := func(name string) string {
		for _, tu := range c.Tunables() {
			if tu.Name == name {
				return tu.Value
			}
		}
		t.Fatalf("no tunable %q", name)
		return ""
	}
	if v := get("stabilize"); v != "25ms" {
		t.Fatalf("stabilize = %v", v)
	}
	if tu, err := c.SetTunable("stabilize", "20ms"); err != nil || tu.Value != "20ms" {
		t.Fatalf("SetTunable = %+v, %v", tu, err)
	}
	_, err := c.SetTunable("repair", "40ms")
	must(t, "config repair", err)
	if get("stabilize") != "20ms" || get("repair") != "40ms" || c.Config().Chord.StabilizeInterval != 20*time.Millisecond {
		t.Fatalf("after SetTunable: %v", c.Tunables())
	}
	if len(KnownTunables()) != len(c.Tunables()) || KnownTunables()[0].Value != "" {
		t.Fatalf("KnownTunables = %v", KnownTunables())
	}
	wait(t, c) // the restarted drivers still maintain the ring
}

// TestViews checks the typed views against what the ring holds: a key's
// owner, its holders, the node detail and the counters.
func TestViews(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, memConfig(5))
	wait(t, c)
	w, err := c.Set(ctx, "greeting", "hello", "n1")
	must(t, "set", err)
	if w.Owner.IsZero() || w.Version.IsZero() || w.Version.Writer != w.Owner.Name || w.Via != "n1" || w.Hops != w.Lookup.Hops || len(w.Lookup.Path) != w.Lookup.Hops+w.Lookup.Timeouts {
		t.Fatalf("set: %+v", w)
	}
	g, err := c.Get(ctx, "greeting", "n3")
	must(t, "get", err)
	if !g.Found || g.Value != "hello" || g.Owner != w.Owner || g.Version.Compare(w.Version) != 0 || g.Via != "n3" {
		t.Fatalf("get: %+v, want the owner and version of the set %+v", g, w)
	}
	lr, err := c.Lookup(ctx, "greeting", "n3")
	must(t, "lookup", err)
	if lr.Owner != w.Owner || lr.ID.Hex() != w.Lookup.ID.Hex() || len(lr.Path) != lr.Hops+lr.Timeouts {
		t.Fatalf("lookup: %+v", lr)
	}
	wait(t, c)
	held := 0
	for _, n := range c.Names() {
		kl, err := c.Keys(n)
		must(t, "keys", err)
		for _, k := range kl.Keys {
			if k.Key == "greeting" {
				held++
				if k.Owned != (n == w.Owner.Name) || k.Version != w.Version {
					t.Errorf("%s holds %+v; owner is %s", n, k, w.Owner.Name)
				}
			}
		}
	}
	if want := c.Config().DHT.Replicas; held != want {
		t.Errorf("%d nodes hold the key, want %d", held, want)
	}
	d, err := c.Node(w.Owner.Name)
	must(t, "node", err)
	if d.Routing == nil || d.Owned < 1 || len(d.Routing.Successors) == 0 || len(d.Routing.Fingers) == 0 {
		t.Fatalf("node %s: %+v", w.Owner.Name, d)
	}
	st := c.Stats()
	if st.Calls == 0 || st.Lookups == 0 || len(st.Nodes) != 5 {
		t.Fatalf("stats: %+v", st)
	}
	nv := c.Nodes()
	if !nv.Stable || nv.Origin != "n0" || len(nv.Nodes) != 5 {
		t.Fatalf("nodes: %+v", nv)
	}
	for _, r := range nv.Nodes {
		if !r.Joined || r.Pred.IsZero() || r.Succ.IsZero() {
			t.Errorf("%s: pred %v succ %v joined %v", r.Name, r.Pred, r.Succ, r.Joined)
		}
	}
	must(t, "kill", c.Kill("n4"))
	if kl, err := c.Keys("n4"); err != nil || kl.Running || len(kl.Keys) != 0 {
		t.Fatalf("keys of a dead node: %+v, %v", kl, err)
	}
	if d, err := c.Node("n4"); err != nil || d.Routing != nil {
		t.Fatalf("node of a dead node: %+v, %v", d, err)
	}
}

func TestCollapseFingers(t *testing.T) {
	ref := func(v uint64, addr string) chord.NodeRef {
		return chord.NodeRef{ID: chord.IDFromUint64(8, v), Addr: addr}
	}
	a, b := ref(0x10, "h:1"), ref(0x80, "h:2")
	names := map[string]string{"h:1": "n1", "h:2": "n2"}
	tests := []struct {
		name    string
		fingers []chord.NodeRef
		want    []string
	}{
		{"empty", nil, nil},
		{"one run", []chord.NodeRef{a, a, a}, []string{"fingers 1–3 → n1 (16)"}}, // m = 8: decimal
		{"runs", []chord.NodeRef{a, a, b, {}, {}}, []string{"fingers 1–2 → n1 (16)", "finger 3 → n2 (128)", "fingers 4–5 → (unknown)"}},
		{"unnamed", []chord.NodeRef{ref(0x33, "h:9")}, []string{"finger 1 → h:9 (51)"}},
		{"named by identifier", []chord.NodeRef{ref(0x33, "h:3")}, []string{"finger 1 → N51"}},
	}
	names["h:3"] = "N51"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range CollapseFingers(chord.Status{Bits: 8, Fingers: tt.fingers}, names) {
				got = append(got, r.String())
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	wide := chord.NodeRef{ID: chord.IDFromUint64(12, 0xabc), Addr: "h:1"}
	if got := CollapseFingers(chord.Status{Bits: 12, Fingers: []chord.NodeRef{wide}}, names)[0].String(); got != "finger 1 → n1 (abc)" {
		t.Fatalf("m = 12: %q, want hex", got)
	}
}

// TestKeysPlaced checks the key half of the stable condition on made-up
// placements: exactly the owner and the next r-1 live nodes, same version.
func TestKeysPlaced(t *testing.T) {
	const bits = 8
	mk := func(ids ...uint64) []*member {
		var ms []*member
		for i, v := range ids {
			ms = append(ms, &member{name: fmt.Sprintf("n%d", i), id: chord.IDFromUint64(bits, v)})
		}
		return ms
	}
	members := mk(10, 50, 100, 200) // ring order n0 n1 n2 n3
	key := func(id uint64, version uint64, deleted bool) dht.KeyInfo {
		return dht.KeyInfo{Key: "k", ID: chord.IDFromUint64(bits, id), Version: dht.Version{Wall: int64(version)}, Deleted: deleted}
	}
	tests := []struct {
		name string
		keys [][]dht.KeyInfo // per member
		ok   bool
		// excused: ok only as a key written after writingAfter (below)
		excused bool
	}{
		{"owner and next", [][]dht.KeyInfo{nil, {key(30, 1, false)}, {key(30, 1, false)}, nil}, true, false},
		{"wraps around", [][]dht.KeyInfo{{key(220, 1, false)}, {key(220, 1, false)}, nil, nil}, true, false},
		{"exact owner id", [][]dht.KeyInfo{nil, nil, {key(100, 1, false)}, {key(100, 1, false)}}, true, false},
		{"missing copy", [][]dht.KeyInfo{nil, {key(30, 1, false)}, nil, nil}, false, false},
		{"extra copy", [][]dht.KeyInfo{{key(30, 1, false)}, {key(30, 1, false)}, {key(30, 1, false)}, nil}, false, false},
		{"wrong node", [][]dht.KeyInfo{nil, {key(30, 1, false)}, nil, {key(30, 1, false)}}, false, false},
		{"versions differ", [][]dht.KeyInfo{nil, {key(30, 2, false)}, {key(30, 1, false)}, nil}, false, false},
		{"stale tombstone", [][]dht.KeyInfo{nil, {key(30, 2, true)}, {key(30, 1, false)}, nil}, false, false},
		{"only tombstones", [][]dht.KeyInfo{{key(30, 2, true)}, nil, nil, nil}, true, false},
		// Written after writingAfter (10): maybe still being written.
		{"copy missing while written", [][]dht.KeyInfo{nil, {key(30, 11, false)}, nil, nil}, true, true},
		{"versions differ while written", [][]dht.KeyInfo{nil, {key(30, 11, false)}, {key(30, 1, false)}, nil}, true, true},
		{"delete under way", [][]dht.KeyInfo{nil, {key(30, 11, true)}, {key(30, 1, false)}, nil}, true, true},
		{"wrong node while written", [][]dht.KeyInfo{nil, {key(30, 11, false)}, nil, {key(30, 11, false)}}, false, false},
		{"extra copy while written", [][]dht.KeyInfo{{key(30, 11, false)}, {key(30, 11, false)}, {key(30, 11, false)}, nil}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, why, excused := keysPlaced(sideView{members: members, keys: tt.keys}, 2, 10)
			if ok != tt.ok || excused != tt.excused {
				t.Fatalf("keysPlaced = %v (%s), excused %v; want %v, %v", ok, why, excused, tt.ok, tt.excused)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no nodes", func(c *Config) { c.Nodes = 0 }, "nodes must be at least 1"},
		{"too many for the ring", func(c *Config) { c.Chord.Bits = 6; c.Nodes = 65 }, "do not fit on a ring of 2^6"},
		{"bits", func(c *Config) { c.Chord.Bits = 200 }, "bits must be between"},
		{"replicas", func(c *Config) { c.DHT.Replicas = 9 }, "must not exceed the successor-list length"},
		{"monitor", func(c *Config) { c.MonitorInterval = 0 }, "monitor intervals must be positive"},
		{"no host", func(c *Config) { c.Host = "" }, "host must not be empty"},
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig invalid: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
			if _, err := Start(context.Background(), cfg); err == nil {
				t.Fatal("Start accepted an invalid config")
			}
		})
	}
	cfg := DefaultConfig()
	cfg.Host, cfg.Network = "", NewMemNetwork(1)
	if err := cfg.Validate(); err != nil {
		t.Errorf("a config with a Network needs no host: %v", err)
	}
}

// TestUnstableWithoutFault checks that a ring which stops being stable on
// its own (here a node crashes behind the cluster's back) is reported as an
// "unstable" event rather than silently.
func TestUnstableWithoutFault(t *testing.T) {
	c := startCluster(t, memConfig(5))
	wait(t, c)
	c.mu.RLock()
	tr := c.members[2].tr
	c.mu.RUnlock()
	tr.Kill() // not through Kill: no fault is recorded
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-c.Events():
			if e.Kind == EventUnstable {
				if !strings.Contains(e.Text, "no fault injected") {
					t.Fatalf("unstable event text %q", e.Text)
				}
				if s := c.Snapshot(); s.Stable || s.UnstableReason == "" {
					t.Fatalf("snapshot after the unstable event: stable %v, reason %q", s.Stable, s.UnstableReason)
				}
				return
			}
		case <-deadline:
			t.Fatal("no unstable event within 20 s of a silent crash")
		}
	}
}

// TestLookupRightAfterKill checks, on real sockets (what matters is when
// each peer sees the connections close), that a lookup issued the moment
// kill or leave returns never names the node that is gone, though lookups
// take an owner as live without a ping when its neighbour heard from it
// recently.
func TestLookupRightAfterKill(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, testConfig(8))
	wait(t, c)
	for round, op := range []string{"kill", "leave", "kill"} {
		order := ringOrder(c.Snapshot())
		victim := order[round%len(order)]
		key := ""
		for i := 0; key == ""; i++ { // a key the victim owns: 1 in 8 on average
			k := fmt.Sprintf("key%d", i)
			lr, err := c.Lookup(ctx, k, "")
			must(t, "lookup", err)
			if lr.Owner.Name == victim {
				key = k
			}
		}
		_, err := c.Lookup(ctx, key, order[(round+len(order)-1)%len(order)]) // its predecessor hears from it
		must(t, "lookup", err)
		if op == "kill" {
			must(t, op, c.Kill(victim))
		} else {
			must(t, op, c.Leave(ctx, victim))
		}
		for _, origin := range order {
			if origin == victim {
				continue
			}
			lr, err := c.Lookup(ctx, key, origin)
			must(t, "lookup", err)
			if lr.Owner.Name == victim {
				t.Fatalf("%s %s, then lookup %s via %s: owner %v, the node that is gone", op, victim, key, origin, lr.Owner)
			}
		}
		wait(t, c)
	}
}

// TestStartAboveScaleFree starts a ring just above the size where
// ConfigFor begins to slow maintenance down, the path that ends the start
// with a fix_fingers cycle on every node: the ring must be stable (fingers
// included) and every node must have a full successor list.
func TestStartAboveScaleFree(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 72 nodes")
	}
	cfg := ConfigFor(72)
	cfg.Seed = 7
	cfg.WaitTimeout = time.Minute
	cfg.Network = NewMemNetwork(7)
	c := startCluster(t, cfg)
	wait(t, c)
	if r := c.Check(); !r.OK() || r.Live != 72 {
		t.Fatalf("check: %d live, %v", r.Live, r.Violations)
	}
	if s := c.Snapshot(); len(ringOrder(s)) != 72 {
		t.Fatalf("%d nodes in the ring, want 72", len(ringOrder(s)))
	}
}

// TestFullIdentifierSpace fills every identifier of a 6-bit ring: the last
// nodes still get free identifiers, and one more add fails at once with
// ErrFull instead of searching forever.
func TestFullIdentifierSpace(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 62 nodes")
	}
	ctx := context.Background()
	cfg := memConfig(62)
	cfg.Chord.Bits = 6
	c := startCluster(t, cfg)
	names, err := c.Add(ctx, 2)
	must(t, "add 2", err)
	if len(names) != 2 {
		t.Fatalf("add 2 = %v", names)
	}
	ids := map[string]bool{}
	for _, n := range c.Nodes().Nodes {
		if ids[n.ID.Hex()] {
			t.Fatalf("two nodes share the identifier %s", n.ID.Hex())
		}
		ids[n.ID.Hex()] = true
	}
	if _, err := c.Add(ctx, 1); !errors.Is(err, ErrFull) {
		t.Fatalf("add on a full ring = %v, want ErrFull", err)
	}
}

// TestNoNodeSleepsUntilStable: while the ring is not confirmed stable,
// every live node's driver runs at its base periods (no idle backoff slows
// convergence), even after a crash no transport reports.
func TestNoNodeSleepsUntilStable(t *testing.T) {
	c := startCluster(t, memConfig(5))
	wait(t, c)
	c.mu.RLock()
	drvs := make([]*chord.Driver, 0, len(c.members))
	for _, m := range c.members[:2] {
		drvs = append(drvs, m.drv)
	}
	drvs = append(drvs, c.members[3].drv, c.members[4].drv)
	tr := c.members[2].tr
	c.mu.RUnlock()
	cc := c.cfg.Chord
	base := []time.Duration{cc.StabilizeInterval, cc.FixFingersInterval, cc.CheckPredecessorInterval, c.cfg.DHT.RepairInterval}
	backedOff := func() bool {
		for _, d := range drvs {
			if !slices.Equal(d.Periods(), base) {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(20 * time.Second)
	for !backedOff() {
		if time.Now().After(deadline) {
			t.Fatal("no driver backed off within 20 s of a stable ring")
		}
		time.Sleep(5 * time.Millisecond)
	}
	tr.Kill() // not through Kill: no fault is recorded
	for c.Snapshot().Stable {
		if time.Now().After(deadline) {
			t.Fatal("the ring stayed stable after a silent crash")
		}
		time.Sleep(time.Millisecond)
	}
	for backedOff() {
		if time.Now().After(deadline) {
			t.Fatal("a driver stayed backed off while the ring was not stable")
		}
		time.Sleep(time.Millisecond)
	}
}
