package cluster

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// testConfig is a small, fast cluster with reproducible identifiers.
func testConfig(n int) Config {
	cfg := DefaultConfig()
	cfg.Nodes = n
	cfg.Seed = 42
	cfg.Chord.RPCTimeout = 150 * time.Millisecond
	cfg.WaitTimeout = 30 * time.Second
	return cfg
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

// exec runs line and fails the test unless it succeeds.
func exec(t *testing.T, c *Cluster, line string) Result {
	t.Helper()
	res := c.Exec(context.Background(), line)
	if !res.OK {
		t.Fatalf("%s: %v", line, res.Err)
	}
	return res
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
// nothing running.
func TestLifecycle(t *testing.T) {
	before := runtime.NumGoroutine()
	c, err := Start(context.Background(), testConfig(8))
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan []string)
	go func() { // exits when Close closes the event channel
		var got []string
		for e := range c.Events() {
			got = append(got, e.Kind+":"+e.Text)
		}
		events <- got
	}()
	exec(t, c, "wait")
	const keys = 60
	for i := range keys {
		exec(t, c, fmt.Sprintf("set key%d 'value %d'", i, i))
	}
	getAll := func(stage string) {
		t.Helper()
		for i := range keys {
			res := exec(t, c, fmt.Sprintf("get key%d", i))
			if res.Data["found"] != true || res.Data["value"] != fmt.Sprintf("value %d", i) {
				t.Fatalf("%s: get key%d = %v (found %v), want %q", stage, i, res.Data["value"], res.Data["found"], fmt.Sprintf("value %d", i))
			}
		}
	}
	exec(t, c, "wait")

	// Crash two nodes adjacent on the ring: every key they both held
	// survives on the third replica.
	order := ringOrder(c.Snapshot())
	a, b := order[2], order[3]
	exec(t, c, "kill "+a)
	exec(t, c, "kill "+b)
	res := exec(t, c, "wait")
	if s := res.Data["seconds"].(float64); s <= 0 {
		t.Fatalf("wait reported %v s to converge after a kill", s)
	}
	if res := exec(t, c, "check"); len(res.Data["violations"].([]string)) != 0 {
		t.Fatalf("check after kill: %v", res.Data["violations"])
	}
	s := c.Snapshot()
	if !s.Stable || s.LastFault != "kill "+b || s.ConvergedIn <= 0 {
		t.Fatalf("snapshot after wait: stable %v, last fault %q, converged in %v", s.Stable, s.LastFault, s.ConvergedIn)
	}
	getAll("after killing " + a + " and " + b)

	// Revive: same address and ID, a new incarnation with empty memory.
	exec(t, c, "revive "+a)
	exec(t, c, "wait")
	s = c.Snapshot()
	for _, n := range s.Nodes {
		if n.Name == a && (n.State != StateAlive || n.Incarnation != 2) {
			t.Fatalf("%s after revive: state %s, incarnation %d", a, n.State, n.Incarnation)
		}
	}
	res = exec(t, c, "add 2")
	if got := fmt.Sprint(res.Data["nodes"]); got != "[n8 n9]" {
		t.Fatalf("add 2 named the nodes %s, want [n8 n9]", got)
	}
	exec(t, c, "wait")
	exec(t, c, "leave n9")
	exec(t, c, "wait")
	getAll("after revive, add and leave")
	exec(t, c, "leave n8")
	exec(t, c, "revive n8") // a departed node can come back too
	exec(t, c, "wait")
	res = exec(t, c, "nodes")
	states := map[string]string{}
	for _, n := range res.Data["nodes"].([]map[string]any) {
		states[n["name"].(string)] = n["state"].(string)
	}
	if states[b] != "down" || states["n9"] != "left" || states[a] != "alive" || states["n8"] != "alive" {
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
	if res := c.Exec(context.Background(), "nodes"); res.OK || !errors.Is(res.Err, ErrClosed) {
		t.Errorf("Exec after Close = %+v, want ErrClosed", res)
	}
	waitGoroutines(t, before)
}

// TestExecErrors checks that bad commands fail with a message naming the
// problem and a hint, wrapping the right sentinel, and never crash.
func TestExecErrors(t *testing.T) {
	cfg := testConfig(8)
	cfg.Chord.Bits = 6 // 2 hex digits: 8 nodes share some first digit
	c := startCluster(t, cfg)
	exec(t, c, "wait")
	s := c.Snapshot()
	// An ambiguous one-digit prefix and an unambiguous full ID.
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
	if res := exec(t, c, "node "+n3.ID.Hex(s.Bits)); res.Data["name"] != "n3" {
		t.Fatalf("node %s resolved to %v, want n3", n3.ID.Hex(s.Bits), res.Data["name"])
	}
	if res := exec(t, c, "node "+n3.Addr); res.Data["name"] != "n3" {
		t.Fatalf("node %s resolved to %v, want n3", n3.Addr, res.Data["name"])
	}
	exec(t, c, "kill n5")
	tests := []struct {
		line string
		kind error
		want string
	}{
		{"gte k", ErrUnknownCommand, `unknown command "gte" — did you mean "get"? (help lists commands)`},
		{"kill n99", ErrUnknownNode, `kill: unknown node "n99" — nodes are n0…n7`},
		{"get k via n42", ErrUnknownNode, `get: unknown node "n42" — nodes are n0…n7`},
		{"node " + ambiguous, ErrUnknownNode, "is ambiguous — it matches"},
		{"set k", ErrUsage, "set: wants 2 arguments (K V), got 1 — usage: set K V [via NODE]"},
		{"kill n5", ErrNodeState, "kill: n5 is already down — revive n5 brings it back"},
		{"resume n1", ErrNodeState, "resume: n1 is alive, not paused"},
		{"revive n1", ErrNodeState, "revive: n1 is alive, not down"},
		{"leave n5", ErrNodeState, "leave: n5 is down"},
		{"get k via n5", ErrNodeState, "get: n5 is down — pick a live node after via"},
		{"drop n1 150", ErrUsage, "drop: PERCENT must be between 0 and 100, got 150"},
		{"drop n1 lots", ErrUsage, `drop: "lots" is not a percentage`},
		{"delay n1 soon", ErrUsage, `delay: "soon" is not a duration`},
		{"add 0", ErrUsage, "add: COUNT must be a whole number from 1 to 1000"},
		{"wait forever", ErrUsage, `wait: "forever" is not a positive duration`},
		{"config stabilise 10ms", ErrUsage, `config: unknown tunable "stabilise" — did you mean "stabilize"?`},
		{"config stabilize fast", ErrUsage, `config stabilize: "fast" is not a duration`},
		{"partition n0 n1 n2 n3 n4 n5 n6 n7", ErrUsage, "the group holds every node"},
		{`set k "v`, ErrSyntax, "unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			res := c.Exec(context.Background(), tt.line)
			if res.OK {
				t.Fatalf("%q succeeded: %s", tt.line, res.Text)
			}
			if !errors.Is(res.Err, tt.kind) {
				t.Fatalf("%q error %v does not wrap %v", tt.line, res.Err, tt.kind)
			}
			if !strings.Contains(res.Err.Error(), tt.want) {
				t.Fatalf("%q error\n got %q\nwant it to contain %q", tt.line, res.Err, tt.want)
			}
			if res.Cmd != strings.Fields(tt.line)[0] {
				t.Fatalf("%q: Cmd = %q", tt.line, res.Cmd)
			}
		})
	}
	// With maintenance paused nothing repairs the crash: wait must time out.
	exec(t, c, "maintenance pause")
	exec(t, c, "kill n6")
	res := c.Exec(context.Background(), "wait 300ms")
	if res.OK || !errors.Is(res.Err, ErrNotStable) || !strings.Contains(res.Err.Error(), "after kill n6") {
		t.Fatalf("wait with maintenance paused = %+v, want ErrNotStable naming the last fault", res)
	}
}

// TestMaintenanceStep repairs a crash by stepping maintenance rounds by
// hand: nothing changes while paused, and enough steps make it stable.
func TestMaintenanceStep(t *testing.T) {
	c := startCluster(t, testConfig(6))
	exec(t, c, "wait")
	for i := range 20 {
		exec(t, c, fmt.Sprintf("set k%d v%d", i, i))
	}
	exec(t, c, "wait")
	exec(t, c, "maintenance pause")
	if !c.Snapshot().MaintenancePaused {
		t.Fatal("snapshot does not show maintenance paused")
	}
	exec(t, c, "kill n2")
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
		res := exec(t, c, "maintenance step")
		if res.Data["nodes"] != 5 {
			t.Fatalf("step ran on %v nodes, want 5", res.Data["nodes"])
		}
	}
	if ok, _, why := c.Stable(); !ok {
		t.Fatalf("not stable after %d steps: %s", steps, why)
	}
	if steps == 0 {
		t.Fatal("stable without a single step: the kill went unnoticed")
	}
	t.Logf("stable after %d steps", steps)
	exec(t, c, "maintenance resume")
	for i := range 20 {
		if res := exec(t, c, fmt.Sprintf("get k%d", i)); res.Data["value"] != fmt.Sprintf("v%d", i) {
			t.Fatalf("get k%d = %v", i, res.Data["value"])
		}
	}
}

// TestPauseAndPartition checks that a paused node and a partitioned one
// stop answering (a lookup through them fails or routes around them), and
// that resume and heal bring them back.
func TestPauseAndPartition(t *testing.T) {
	c := startCluster(t, testConfig(6))
	exec(t, c, "wait")
	exec(t, c, "maintenance pause") // keep the ring as it is: only reachability changes

	exec(t, c, "partition n0")
	res := c.Exec(context.Background(), "lookup somekey via n0")
	if res.OK {
		t.Fatalf("lookup from a partitioned node succeeded: %s", res.Text)
	}
	if s := c.Snapshot(); !s.Nodes[0].Partitioned || s.Nodes[1].Partitioned {
		t.Fatal("snapshot does not mark n0 (only) as partitioned")
	}
	exec(t, c, "heal")
	exec(t, c, "lookup somekey via n0")

	exec(t, c, "pause n1")
	if s := c.Snapshot(); s.Nodes[1].State != StatePaused {
		t.Fatalf("n1 is %s after pause", s.Nodes[1].State)
	}
	if res := c.Exec(context.Background(), "get k via n1"); res.OK || !errors.Is(res.Err, ErrNodeState) {
		t.Fatalf("get via a paused node = %+v, want ErrNodeState", res)
	}
	exec(t, c, "resume n1")
	exec(t, c, "maintenance resume")
	exec(t, c, "wait")
	exec(t, c, "delay n2 5ms")
	exec(t, c, "drop n3 10%")
	s := c.Snapshot()
	if s.Nodes[2].Delay != 5*time.Millisecond || s.Nodes[3].DropPercent != 10 {
		t.Fatalf("faults not shown: delay %v drop %v", s.Nodes[2].Delay, s.Nodes[3].DropPercent)
	}
	if s.LastFault != "drop n3 10%" {
		t.Fatalf("last fault %q", s.LastFault)
	}
}

// TestRandomOrigin checks that random picks a live member and that
// commands without via start there.
func TestRandomOrigin(t *testing.T) {
	c := startCluster(t, testConfig(4))
	exec(t, c, "wait")
	exec(t, c, "kill n0")
	exec(t, c, "wait")
	for range 10 {
		res := exec(t, c, "random")
		if res.Data["origin"] == "n0" {
			t.Fatal("random picked a dead node")
		}
		origin := res.Data["origin"].(string)
		if got := exec(t, c, "lookup x").Data["via"]; got != origin {
			t.Fatalf("lookup started at %v, want the origin %s", got, origin)
		}
	}
}

func TestOriginCommand(t *testing.T) {
	c := startCluster(t, testConfig(4))
	exec(t, c, "wait")
	if got := exec(t, c, "origin").Data["origin"]; got != "n0" {
		t.Fatalf("initial origin %v, want n0", got)
	}
	exec(t, c, "origin n2")
	if got := exec(t, c, "lookup x").Data["via"]; got != "n2" {
		t.Fatalf("lookup started at %v after origin n2", got)
	}
	if got := exec(t, c, "origin").Data["origin"]; got != "n2" {
		t.Fatalf("origin %v after origin n2", got)
	}
	exec(t, c, "kill n3")
	for line, want := range map[string]error{"origin n3": ErrNodeState, "origin n9": ErrUnknownNode, "origin n1 n2": ErrUsage} {
		res := c.Exec(context.Background(), line)
		if res.OK || !errors.Is(res.Err, want) {
			t.Errorf("%s: ok=%v err=%v, want %v", line, res.OK, res.Err, want)
		}
	}
	if got := exec(t, c, "origin").Data["origin"]; got != "n2" {
		t.Fatalf("a refused origin command changed the origin to %v", got)
	}
}

func TestConfigTunables(t *testing.T) {
	c := startCluster(t, testConfig(3))
	res := exec(t, c, "config")
	if res.Data["stabilize"] != "25ms" {
		t.Fatalf("config lists stabilize = %v", res.Data["stabilize"])
	}
	exec(t, c, "config stabilize 20ms")
	exec(t, c, "config repair 40ms")
	if got := exec(t, c, "config").Data; got["stabilize"] != "20ms" || got["repair"] != "40ms" {
		t.Fatalf("after config: %v", got)
	}
	exec(t, c, "wait") // the restarted drivers still maintain the ring
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
		{"one run", []chord.NodeRef{a, a, a}, []string{"fingers 1–3 → n1 (10)"}},
		{"runs", []chord.NodeRef{a, a, b, {}, {}}, []string{"fingers 1–2 → n1 (10)", "finger 3 → n2 (80)", "fingers 4–5 → (unknown)"}},
		{"unnamed", []chord.NodeRef{ref(0x33, "h:9")}, []string{"finger 1 → h:9 (33)"}},
	}
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
	}{
		{"owner and next", [][]dht.KeyInfo{nil, {key(30, 1, false)}, {key(30, 1, false)}, nil}, true},
		{"wraps around", [][]dht.KeyInfo{{key(220, 1, false)}, {key(220, 1, false)}, nil, nil}, true},
		{"exact owner id", [][]dht.KeyInfo{nil, nil, {key(100, 1, false)}, {key(100, 1, false)}}, true},
		{"missing copy", [][]dht.KeyInfo{nil, {key(30, 1, false)}, nil, nil}, false},
		{"extra copy", [][]dht.KeyInfo{{key(30, 1, false)}, {key(30, 1, false)}, {key(30, 1, false)}, nil}, false},
		{"wrong node", [][]dht.KeyInfo{nil, {key(30, 1, false)}, nil, {key(30, 1, false)}}, false},
		{"versions differ", [][]dht.KeyInfo{nil, {key(30, 2, false)}, {key(30, 1, false)}, nil}, false},
		{"stale tombstone", [][]dht.KeyInfo{nil, {key(30, 2, true)}, {key(30, 1, false)}, nil}, false},
		{"only tombstones", [][]dht.KeyInfo{{key(30, 2, true)}, nil, nil, nil}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, why := keysPlaced(liveView{members: members, keys: tt.keys}, 2)
			if ok != tt.ok {
				t.Fatalf("keysPlaced = %v (%s), want %v", ok, why, tt.ok)
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
}

// TestUnstableWithoutFault checks that a ring which stops being stable on
// its own (here a node crashes behind the cluster's back) is reported as an
// "unstable" event rather than silently.
func TestUnstableWithoutFault(t *testing.T) {
	c := startCluster(t, testConfig(5))
	exec(t, c, "wait")
	c.mu.RLock()
	tr := c.members[2].tr
	c.mu.RUnlock()
	tr.Kill() // not through Kill: no fault is recorded
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-c.Events():
			if e.Kind == "unstable" {
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

// TestLookupRightAfterKill checks that a lookup issued the moment kill or
// leave returns never names the node that is gone, though lookups take an
// owner as live without a ping when its neighbour heard from it recently.
func TestLookupRightAfterKill(t *testing.T) {
	c := startCluster(t, testConfig(8))
	exec(t, c, "wait")
	for round, cmd := range []string{"kill", "leave", "kill"} {
		order := ringOrder(c.Snapshot())
		victim := order[round%len(order)]
		key := ""
		for i := 0; key == ""; i++ { // a key the victim owns: 1 in 8 on average
			k := fmt.Sprintf("key%d", i)
			if exec(t, c, "lookup "+k).Data["owner"] == victim {
				key = k
			}
		}
		exec(t, c, "lookup "+key+" via "+order[(round+len(order)-1)%len(order)]) // its predecessor hears from it
		exec(t, c, cmd+" "+victim)
		for _, origin := range order {
			if origin == victim {
				continue
			}
			if got := exec(t, c, "lookup "+key+" via "+origin).Data["owner"]; got == victim {
				t.Fatalf("%s %s, then lookup %s via %s: owner %v, the node that is gone", cmd, victim, key, origin, got)
			}
		}
		exec(t, c, "wait")
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
	c := startCluster(t, cfg)
	exec(t, c, "wait")
	if res := exec(t, c, "check"); len(res.Data["violations"].([]string)) != 0 {
		t.Fatalf("check: %v", res.Data["violations"])
	}
	if s := c.Snapshot(); len(ringOrder(s)) != 72 {
		t.Fatalf("%d nodes in the ring, want 72", len(ringOrder(s)))
	}
}
