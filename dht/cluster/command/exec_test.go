package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht"
	"github.com/chordtui/chordtui/dht/cluster"
)

// startMem starts a cluster of n nodes on the in-memory network and waits
// until it is stable.
func startMem(t *testing.T, n int) *cluster.Cluster {
	t.Helper()
	return startMemV(t, n, 1)
}

// startMemV is startMem with v identities per real node.
func startMemV(t *testing.T, n, v int) *cluster.Cluster {
	t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.Nodes, cfg.VNodes = n, v
	cfg.Seed = 42
	cfg.Network = cluster.NewMemNetwork(42)
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	run(t, c, "wait")
	return c
}

// run executes line and fails the test unless it succeeds.
func run(t *testing.T, c *cluster.Cluster, line string) Result {
	t.Helper()
	r := Exec(context.Background(), c, line)
	if !r.OK {
		t.Fatalf("%s: %v", line, r.Err)
	}
	return r
}

// asJSON marshals r and decodes it into a map, as a script would read it.
func asJSON(t *testing.T, r Result) map[string]any {
	t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("%s: %v", r.Cmd, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %s is not one JSON object: %v", r.Cmd, raw, err)
	}
	return m
}

// TestExecErrors checks that bad commands fail with a message naming the
// problem and a hint, wrapping the right sentinel, and never crash.
func TestExecErrors(t *testing.T) {
	c := startMem(t, 8)
	run(t, c, "kill n5")
	tests := []struct {
		line string
		kind error
		want string
	}{
		{"gte k", ErrUnknownCommand, `unknown command "gte" — did you mean "get"? (help lists commands)`},
		{"kill n99", cluster.ErrUnknownNode, `kill: unknown node "n99" — nodes are n0…n7`},
		{"get k via n42", cluster.ErrUnknownNode, `get: unknown node "n42" — nodes are n0…n7`},
		{"workload get 5 keys ops 5 via n42", cluster.ErrUnknownNode, `workload: unknown node "n42" — nodes are n0…n7`},
		{"set k", ErrUsage, "set: wants 2 arguments (K V), got 1 — usage: set K V [via NODE]"},
		{"kill n5", cluster.ErrNodeState, "kill: n5 is already down — revive n5 brings it back"},
		{"get k via n5", cluster.ErrNodeState, "get: n5 is down — pick a live node after via"},
		{"origin n5", cluster.ErrNodeState, "origin: n5 is down — pick a live member"},
		{"origin n1 n2", ErrUsage, "origin: wants at most 1 argument (NODE), got 2"},
		{"drop n1 150", ErrUsage, "drop: PERCENT must be between 0 and 100, got 150"},
		{"drop n1 lots", ErrUsage, `drop: "lots" is not a percentage`},
		{"drop n1 1e2", ErrUsage, `drop: "1e2" is not a percentage`},
		{"drop n1 1_0", ErrUsage, `drop: "1_0" is not a percentage`},
		{"drop n1 -0", ErrUsage, `drop: "-0" is not a percentage`},
		{"drop n1 nan", ErrUsage, `drop: "nan" is not a percentage`},
		{"drop n1 .", ErrUsage, `drop: "." is not a percentage`},
		{`lookup ""`, dht.ErrEmptyKey, `lookup "" via n0: empty key`},
		{"delay n1 soon", ErrUsage, `delay: "soon" is not a duration`},
		{"add 0", ErrUsage, "add: COUNT must be a whole number from 1 to 1000"},
		{"wait forever", ErrUsage, `wait: "forever" is not a positive duration`},
		{"wait -5s", ErrUsage, `wait: "-5s" is not a positive duration`},
		{"wait 99999999999h", ErrUsage, `wait: "99999999999h" is longer than a duration can be, 2562047h`},
		{"delay n1 3000000h", ErrUsage, `delay: "3000000h" is longer than a duration can be`},
		{"config stabilize", ErrUsage, "config: wants 0 or 2 arguments (NAME VALUE), got 1"},
		{"config stabilise 10ms", ErrUsage, `config: unknown tunable "stabilise" — did you mean "stabilize"?`},
		{"config stabilize fast", ErrUsage, `config stabilize: "fast" is not a duration`},
		{"config stabilize 1e9h", ErrUsage, `config stabilize: "1e9h" is not a duration`},
		{"config stabilize 9223372036854775808ns", ErrUsage, `config stabilize: "9223372036854775808ns" is longer than a duration can be`},
		{"partition n0 n1 n2 n3 n4 n5 n6 n7", ErrUsage, "the group holds every node"},
		{"help frob", ErrUnknownCommand, `unknown command "frob"`},
		{`set k "v`, ErrSyntax, "unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			res := Exec(context.Background(), c, tt.line)
			if res.OK {
				t.Fatalf("%q succeeded: %s", tt.line, res.Text)
			}
			if !errors.Is(res.Err, tt.kind) {
				t.Fatalf("%q error %v does not wrap %v", tt.line, res.Err, tt.kind)
			}
			if !strings.Contains(res.Err.Error(), tt.want) {
				t.Fatalf("%q error\n got %q\nwant it to contain %q", tt.line, res.Err, tt.want)
			}
			if res.Cmd != strings.Fields(tt.line)[0] || res.Text != "error: "+res.Err.Error() {
				t.Fatalf("%q: Cmd %q, Text %q", tt.line, res.Cmd, res.Text)
			}
			if m := asJSON(t, res); m["ok"] != false || m["error"] != res.Err.Error() || m["cmd"] != res.Cmd {
				t.Fatalf("%q as JSON: %v", tt.line, m)
			}
		})
	}
	// With maintenance paused nothing repairs a crash: wait must time out.
	run(t, c, "maintenance pause")
	run(t, c, "kill n6")
	res := Exec(context.Background(), c, "wait 300ms")
	if res.OK || !errors.Is(res.Err, cluster.ErrNotStable) || !strings.Contains(res.Err.Error(), "after kill n6") {
		t.Fatalf("wait with maintenance paused = %+v, want ErrNotStable naming the last fault", res)
	}
}

// TestJSONFields checks every field the README documents for --json, with
// its type, on a real (in-memory) cluster, and that the text says the same.
func TestJSONFields(t *testing.T) {
	c := startMem(t, 6)
	type field struct {
		name string
		kind string // "string", "number", "bool", "array", "object", "null"
	}
	tests := []struct {
		line   string
		fields []field
		text   string // substring of the text
	}{
		{`set greeting "hello world"`, []field{{"owner", "string"}, {"hops", "number"}, {"version", "object"}, {"key", "string"}, {"via", "string"}}, `ok — "greeting" stored at n`},
		{"get greeting via n2", []field{{"value", "string"}, {"found", "bool"}, {"owner", "string"}, {"hops", "number"}, {"version", "object"}}, `"hello world"   (owner n`},
		{"get nothing", []field{{"value", "null"}, {"found", "bool"}, {"owner", "string"}, {"hops", "number"}}, "(not found)"},
		{"lookup greeting via n3", []field{{"owner", "string"}, {"path", "array"}, {"hops", "number"}, {"timeouts", "number"}, {"id", "string"}, {"took_us", "number"},
			{"owner_check", "string"}, {"owner_named_by", "string"}}, `"greeting" → id`},
		{"del greeting", []field{{"owner", "string"}, {"version", "object"}, {"hops", "number"}, {"existed", "bool"}}, `ok — "greeting" deleted at n`},
		{"del greeting", []field{{"existed", "bool"}}, `ok — "greeting" was absent: nothing to delete (a tombstone at n`},
		{"nodes", []field{{"nodes", "array"}, {"stable", "bool"}, {"origin", "string"}, {"partitioned", "bool"}, {"summary", "string"}}, "NAME  ID"},
		{"node n1", []field{{"name", "string"}, {"id", "string"}, {"pred", "string"}, {"successors", "array"}, {"fingers", "array"}, {"owned", "number"}}, "predecessor  n"},
		{"keys n1", []field{{"node", "string"}, {"keys", "array"}}, "n1 holds"},
		{"stats", []field{{"nodes", "array"}, {"calls", "number"}, {"errors", "number"}, {"lookups", "number"}}, "BYTES-IN"},
		{"check", []field{{"violations", "array"}}, "ok — invariants 1–8 hold over 6 live nodes"},
		{"wait", []field{{"seconds", "number"}, {"after", "string"}, {"waited", "number"}}, "stable "},
		{"origin", []field{{"origin", "string"}}, "origin is n0"},
		{"random", []field{{"origin", "string"}}, "origin is now n"},
		{"delay n1 20ms", []field{{"node", "string"}, {"delay_ms", "number"}}, "calls to and from n1 now take 20ms longer"},
		{"delay n1 0", []field{{"delay_ms", "number"}}, "now take 0s longer"},
		{"drop n1 5%", []field{{"node", "string"}, {"percent", "number"}}, "5% of calls to and from n1 now fail"},
		{"drop n1 0", nil, "0% of calls"},
		{"drop n1 2.5%", nil, "2.5% of calls to and from n1 now fail"},
		{"partition n3", []field{{"nodes", "array"}}, "partitioned n3 from the rest: side B is n3, side A the others"},
		{"partition n4 n5", []field{{"nodes", "array"}, {"replaced", "array"}}, "partitioned n4 n5 from the rest: side B is n4 n5, side A the others (this replaces the partition that cut off n3)"},
		{"wait", []field{{"partitioned", "bool"}, {"sides", "array"}, {"seconds", "number"}}, "partitioned: 2 sides, each stable on its own"},
		{"check", []field{{"partitioned", "bool"}, {"sides", "array"}, {"violations", "array"}}, "side B (n4 n5): ok — invariants 1–7 hold over 2 live nodes; ring of 2 (< r+1 = 5)"},
		{"nodes", []field{{"partitioned", "bool"}}, "partitioned: 2 sides — each stable after"},
		{"heal", []field{{"nodes", "array"}}, "healed the partition that cut off n4 n5"},
		{"heal", []field{{"nodes", "array"}}, "no partition was in force: nothing to heal"},
		{"wait", []field{{"partitioned", "bool"}}, "stable "},
		{"pause n3", []field{{"node", "string"}}, "paused n3 (mem:4)"},
		{"resume n3", []field{{"node", "string"}}, "resumed n3 (mem:4)"},
		{"kill n5", []field{{"node", "string"}}, "killed n5 (mem:6)"},
		{"revive n5", []field{{"node", "string"}}, "revived n5 (mem:6)"},
		{"add", []field{{"nodes", "array"}}, "added n6"},
		{"leave n6", []field{{"node", "string"}}, "n6 (mem:7) has left the ring"},
		{"maintenance pause", []field{{"paused", "bool"}}, "maintenance paused"},
		{"maintenance step", []field{{"nodes", "number"}}, "ran one round of every task on 6 live nodes"},
		{"maintenance resume", []field{{"paused", "bool"}}, "maintenance resumed"},
		{"config", []field{{"stabilize", "string"}, {"wait-timeout", "string"}}, "stabilize    25ms"},
		{"config stabilize 20ms", []field{{"name", "string"}, {"value", "string"}}, "stabilize = 20ms"},
		{"help get", []field{{"help", "string"}}, "usage: get K [via NODE]"},
	}
	kindOf := func(v any) string {
		switch v.(type) {
		case string:
			return "string"
		case float64:
			return "number"
		case bool:
			return "bool"
		case []any:
			return "array"
		case map[string]any:
			return "object"
		case nil:
			return "null"
		}
		return "?"
	}
	for _, tt := range tests {
		res := run(t, c, tt.line)
		m := asJSON(t, res)
		if m["cmd"] != strings.Fields(tt.line)[0] || m["ok"] != true {
			t.Errorf("%s: cmd %v ok %v", tt.line, m["cmd"], m["ok"])
		}
		if _, ok := m["error"]; ok {
			t.Errorf("%s: a successful result has an error field", tt.line)
		}
		for _, f := range tt.fields {
			v, ok := m[f.name]
			if !ok {
				t.Errorf("%s: no %q in %v", tt.line, f.name, m)
			} else if kindOf(v) != f.kind {
				t.Errorf("%s: %q is %v (%s), want a %s", tt.line, f.name, v, kindOf(v), f.kind)
			}
		}
		if !strings.Contains(res.Text, tt.text) {
			t.Errorf("%s: text %q lacks %q", tt.line, res.Text, tt.text)
		}
	}
	// The lookup path as the README describes it, and nodes' entries.
	lk := asJSON(t, run(t, c, "lookup somekey via n0"))
	answered := 0
	for _, h := range lk["path"].([]any) {
		hop := h.(map[string]any)
		for _, f := range []string{"node", "id", "addr", "from", "via", "reason", "rtt_us"} {
			if _, ok := hop[f]; !ok {
				t.Errorf("lookup hop lacks %q: %v", f, hop)
			}
		}
		if _, failed := hop["error"]; !failed {
			answered++
		}
	}
	// One numbering: hops counts the rows that answered, timeouts the rest.
	if hops, timeouts := lk["hops"].(float64), lk["timeouts"].(float64); int(hops) != answered || int(hops+timeouts) != len(lk["path"].([]any)) {
		t.Errorf("lookup: hops %v, timeouts %v, %d rows of which %d answered", hops, timeouts, len(lk["path"].([]any)), answered)
	}
	for _, n := range asJSON(t, run(t, c, "nodes"))["nodes"].([]any) {
		row := n.(map[string]any)
		for _, f := range []string{"name", "id", "addr", "state", "keys", "pred", "succ"} {
			if _, ok := row[f]; !ok {
				t.Errorf("nodes entry lacks %q: %v", f, row)
			}
		}
	}
}

// TestResultJSON checks the flattening: cmd, ok and error first, the data's
// fields after, and data never overriding cmd, ok or error.
func TestResultJSON(t *testing.T) {
	type clash struct {
		OK   string `json:"ok"`
		Cmd  string `json:"cmd"`
		Note string `json:"note"`
	}
	tests := []struct {
		name string
		r    Result
		want string
	}{
		{"no data", Result{Cmd: "heal", OK: true}, `{"cmd":"heal","ok":true}`},
		{"error", Result{Cmd: "kill", Err: errors.New(`kill: unknown node "n9"`)}, `{"cmd":"kill","ok":false,"error":"kill: unknown node \"n9\""}`},
		{"data in order", Result{Cmd: "drop", OK: true, Data: Drop{Node: "n1", Percent: 5}}, `{"cmd":"drop","ok":true,"node":"n1","percent":5}`},
		{"data cannot override", Result{Cmd: "x", Err: errors.New("boom"), Data: clash{"yes", "y", "kept"}}, `{"cmd":"x","ok":false,"error":"boom","note":"kept"}`},
		{"not an object", Result{Cmd: "x", OK: true, Data: []int{1, 2}}, `{"cmd":"x","ok":true,"data":[1,2]}`},
		{"delay", Result{Cmd: "delay", OK: true, Data: Delay{Node: "n2", Delay: 1500 * time.Microsecond}}, `{"cmd":"delay","ok":true,"node":"n2","delay_ms":1.5}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestExecWithoutCluster checks help and quit work on no cluster, and
// anything else says the cluster is closed.
func TestExecWithoutCluster(t *testing.T) {
	ctx := context.Background()
	if r := Exec(ctx, nil, "help"); !r.OK || !strings.Contains(r.Text, "commands (NODE is") {
		t.Errorf("help without a cluster: %+v", r)
	}
	if r := Exec(ctx, nil, "quit"); !r.OK || !r.Quit || r.Text != "bye" {
		t.Errorf("quit without a cluster: %+v", r)
	}
	if r := Exec(ctx, nil, "nodes"); r.OK || !errors.Is(r.Err, cluster.ErrClosed) {
		t.Errorf("nodes without a cluster: %+v", r)
	}
	if r := Exec(ctx, nil, "  # only a comment"); !r.OK || r.Cmd != "" {
		t.Errorf("a comment line: %+v", r)
	}
}

// TestDoneOnFailure checks what a failed command keeps: a failed get its
// lookup (the TUI draws it) but no data (a script must not read found:
// false from it); a failed check its violations; a failed lookup lists its
// path in the error.
func TestDoneOnFailure(t *testing.T) {
	lr := cluster.LookupResult{Key: "k", Path: []cluster.Hop{{Node: "n1", Err: "timeout", Timeout: true}}}
	r := Done("get", cluster.GetResult{Key: "k", Lookup: lr}, errors.New("get \"k\" via n0: deadline exceeded"))
	if r.OK || r.Data != nil || r.Lookup == nil || len(r.Lookup.Path) != 1 {
		t.Fatalf("Done = %+v", r)
	}
	cr := cluster.CheckResult{Live: 3, Violations: []cluster.Violation{{Invariant: "OrderedRing", Node: "n2", Message: "successor n0 skips n1"}}}
	r = Done("check", cr, errorf(ErrViolations, "check: 1 invariant violation(s):\n%s", violationsText(cr)))
	if m := asJSON(t, r); m["ok"] != false || fmt.Sprint(m["violations"]) != "[OrderedRing at n2: successor n0 skips n1]" {
		t.Fatalf("a failed check as JSON: %v", m)
	}
	r = Done("lookup", lr, errors.New("lookup \"k\" via n0: no route"))
	if !strings.Contains(r.Err.Error(), "hop 1  ✗ n1") || !strings.Contains(r.Err.Error(), "no answer: timeout") {
		t.Fatalf("a failed lookup's error does not list its path: %v", r.Err)
	}
}

// TestHugeArgumentsAreNotEchoed checks that no error repeats a huge word of
// the input: it is quoted short, with its length.
func TestHugeArgumentsAreNotEchoed(t *testing.T) {
	c := startMem(t, 3)
	huge := strings.Repeat("x", 100<<10)
	for _, line := range []string{
		huge, "kill " + huge, "get " + huge, "set " + huge + " v", "del " + huge,
		"delay n1 " + huge, "drop n1 " + huge, "wait " + huge, "config " + huge + " 1s", "add " + huge,
		"maintenance " + huge, "get k via " + huge,
	} {
		res := Exec(context.Background(), c, line)
		if res.OK {
			t.Errorf("%.20s…: succeeded", line)
			continue
		}
		if msg := res.Err.Error(); len(msg) > 300 || !strings.Contains(msg, "(102400 bytes)") {
			t.Errorf("%.20s…: error of %d bytes: %.300s", line, len(msg), msg)
		}
	}
}

// A check with every node down says there is nothing to check, not that
// the invariants hold.
func TestCheckWithNoLiveNode(t *testing.T) {
	r := Done("check", cluster.CheckResult{}, nil)
	if !strings.Contains(r.Text, "no live node: nothing to check") || strings.Contains(r.Text, "hold") {
		t.Fatalf("check over no live node = %q", r.Text)
	}
}
