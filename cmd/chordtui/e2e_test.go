package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// built holds the chordtui binaries the tests run, each built on first
// use, once per test process (TestMain removes them): [0] without the race
// detector, [1] with it.
var built [2]struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	for i := range built {
		if built[i].dir != "" {
			_ = os.RemoveAll(built[i].dir)
		}
	}
	os.Exit(code)
}

// buildBinary returns chordtui built with -race when the tests run with
// -race, so the real binary is checked too.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	return binaryBuilt(t, raceEnabled)
}

// binaryBuilt returns chordtui built into a temporary directory, with the
// race detector or without, once for all the tests of the process.
func binaryBuilt(t *testing.T, race bool) string {
	t.Helper()
	b := &built[0]
	if race {
		b = &built[1]
	}
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "chordtui-test-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "chordtui")
		args := []string{"build", "-o", b.path}
		if race {
			args = append(args, "-race")
		}
		if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// replProc is a running "chordtui repl --json" fed one command at a time.
type replProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	errb  strings.Builder
}

func startREPL(t *testing.T, bin string, args ...string) *replProc {
	t.Helper()
	p := &replProc{t: t, lines: make(chan string, 1024)}
	p.cmd = exec.Command(bin, append([]string{"repl", "--json"}, args...)...)
	p.cmd.Stderr = &p.errb
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { // exits when the process closes its stdout
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 4<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait() // the exit error of a killed process says nothing new
		}
	})
	return p
}

// send writes the commands and returns their JSON results, in order.
func (p *replProc) send(cmds ...string) []map[string]any {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, strings.Join(cmds, "\n")+"\n"); err != nil {
		p.t.Fatalf("writing commands: %v (stderr: %s)", err, p.errb.String())
	}
	out := make([]map[string]any, 0, len(cmds))
	// A batch of hundreds of gets and sets under -race on a loaded 2-core
	// machine takes a while: the deadline grows with the batch.
	limit := 90*time.Second + time.Duration(len(cmds))*200*time.Millisecond
	deadline := time.After(limit)
	for range cmds {
		select {
		case line, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("the REPL exited early (stderr: %s)", p.errb.String())
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				p.t.Fatalf("not one JSON object per line: %q: %v", line, err)
			}
			if _, ok := m["cmd"]; !ok {
				p.t.Fatalf("result without cmd: %s", line)
			}
			if _, ok := m["ok"].(bool); !ok {
				p.t.Fatalf("result without a boolean ok: %s", line)
			}
			out = append(out, m)
		case <-deadline:
			p.t.Fatalf("no answer within %v to %q (%d of %d answered)", limit, cmds[len(out)], len(out), len(cmds))
		}
	}
	return out
}

// mustOK sends the commands and fails unless every one succeeded.
func (p *replProc) mustOK(cmds ...string) []map[string]any {
	p.t.Helper()
	res := p.send(cmds...)
	for i, r := range res {
		if r["ok"] != true {
			p.t.Fatalf("%q failed: %v", cmds[i], r["error"])
		}
		if r["cmd"] != strings.Fields(cmds[i])[0] {
			p.t.Fatalf("%q answered as cmd %v", cmds[i], r["cmd"])
		}
	}
	return res
}

// exit closes stdin and returns the exit status.
func (p *replProc) exit() int {
	p.t.Helper()
	p.stdin.Close()
	for range p.lines { // drain until stdout closes
	}
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		p.t.Fatalf("wait: %v", err)
	}
	return 0
}

// TestE2EKillAdjacent is the product's promise end to end: 16 real nodes
// over yamux, 200 keys, two neighbours on the ring crash, the ring repairs
// itself and every key is still there with the right value.
func TestE2EKillAdjacent(t *testing.T) {
	bin := buildBinary(t)
	p := startREPL(t, bin, "16")
	const keys = 200
	var sets, gets []string
	for i := range keys {
		sets = append(sets, fmt.Sprintf("set key-%03d \"value %d\"", i, i))
		gets = append(gets, fmt.Sprintf("get key-%03d", i))
	}
	for i, r := range p.mustOK(sets...) {
		if owner, _ := r["owner"].(string); !strings.HasPrefix(owner, "n") {
			t.Fatalf("set key-%03d: owner %v is not a node name", i, r["owner"])
		}
		if _, ok := r["hops"].(float64); !ok {
			t.Fatalf("set key-%03d: no hop count: %v", i, r)
		}
	}

	// Find two nodes adjacent on the ring from the nodes listing.
	nodes := p.mustOK("nodes")[0]["nodes"].([]any)
	if len(nodes) != 16 {
		t.Fatalf("nodes lists %d nodes, want 16", len(nodes))
	}
	type node struct{ name, id string }
	var ring []node
	for _, n := range nodes {
		m := n.(map[string]any)
		if m["state"] != "alive" {
			t.Fatalf("node %v is %v before any fault", m["name"], m["state"])
		}
		for _, f := range []string{"name", "id", "addr", "state", "keys", "pred", "succ"} {
			if _, ok := m[f]; !ok {
				t.Fatalf("nodes entry lacks %q: %v", f, m)
			}
		}
		ring = append(ring, node{m["name"].(string), m["id"].(string)})
	}
	sort.Slice(ring, func(i, j int) bool { return ring[i].id < ring[j].id }) // same-length hex: string order is ring order
	a, b := ring[7].name, ring[8].name

	p.mustOK("kill "+a, "kill "+b)
	wait := p.mustOK("wait 60s")[0]
	if s, ok := wait["seconds"].(float64); !ok || s <= 0 {
		t.Fatalf("wait: seconds = %v", wait["seconds"])
	}
	t.Logf("ring stable %.3f s after killing %s and %s", wait["seconds"], a, b)
	check := p.mustOK("check")[0]
	if v, ok := check["violations"].([]any); !ok || len(v) != 0 {
		t.Fatalf("check after repair: violations %v", check["violations"])
	}
	for i, r := range p.mustOK(gets...) {
		want := fmt.Sprintf("value %d", i)
		if r["found"] != true || r["value"] != want {
			t.Fatalf("get key-%03d = %v (found %v), want %q", i, r["value"], r["found"], want)
		}
		if v, ok := r["version"].(map[string]any); !ok || v["writer"] == "" || v["time"] == "" {
			t.Fatalf("get key-%03d: no version: %v", i, r)
		}
		if r["owner"] == a || r["owner"] == b {
			t.Fatalf("get key-%03d: owner is the dead node %v", i, r["owner"])
		}
	}
	lk := p.mustOK("lookup key-000 via " + ring[0].name)[0]
	path, _ := lk["path"].([]any)
	if lk["owner"] == nil || lk["owner"] == a || lk["owner"] == b {
		t.Fatalf("lookup: owner %v, path %v", lk["owner"], lk["path"])
	}
	// No call at all is right only when the origin's own tables name the
	// owner and it answered the origin recently (or is the origin).
	if check := lk["owner_check"]; len(path) == 0 && (check != "heard" && check != "origin" || lk["owner_reason"] == "") {
		t.Fatalf("lookup without a call: owner check %v, reason %v", check, lk["owner_reason"])
	}
	for _, h := range path {
		hop := h.(map[string]any)
		if hop["node"] == nil || hop["via"] == nil || hop["reason"] == "" {
			t.Fatalf("lookup hop without node, via or reason: %v", hop)
		}
		for _, f := range []string{"id", "addr", "rtt_us"} {
			if _, ok := hop[f]; !ok {
				t.Fatalf("lookup hop without %s: %v", f, hop)
			}
		}
	}
	if _, ok := lk["timeouts"].(float64); !ok {
		t.Fatalf("lookup without timeouts: %v", lk)
	}
	after := p.mustOK("nodes")[0]["nodes"].([]any)
	for _, n := range after {
		m := n.(map[string]any)
		if (m["name"] == a || m["name"] == b) != (m["state"] == "down") {
			t.Fatalf("%v is %v after killing %s and %s", m["name"], m["state"], a, b)
		}
	}
	p.mustOK("quit")
	if code := p.exit(); code != 0 {
		t.Fatalf("exit status %d, want 0 (stderr: %s)", code, p.errb.String())
	}
}

// TestExitStatus checks the REPL's contract with scripts: 0 when every
// command succeeded, 1 when one failed, 2 for bad flags or arguments.
func TestExitStatus(t *testing.T) {
	bin := buildBinary(t)
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string // substring expected in stdout
		stderr string // substring expected in stderr
	}{
		{"all ok", []string{"repl", "3"}, "# a comment\n\nset k 'a b'\nget k\n", 0, `"a b"`, ""},
		{"get of a missing key is ok", []string{"repl", "--json", "3"}, "get nothing\n", 0, `"found":false`, ""},
		{"unknown node", []string{"repl", "3"}, "set k v\nkill n99\nget k\n", 1, `kill: unknown node "n99" — nodes are n0…n2`, ""},
		{"typo, json", []string{"repl", "--json", "3"}, "gte k\n", 1, `"error":"unknown command \"gte\" — did you mean \"get\"? (help lists commands)"`, ""},
		{"quit stops reading", []string{"repl", "3"}, "quit\nkill n99\n", 0, "bye", ""},
		{"flags after N", []string{"repl", "3", "--json"}, "nodes\n", 0, `"cmd":"nodes"`, ""},
		{"unknown flag", []string{"repl", "--bogus", "3"}, "", 2, "", "chordtui repl: unknown flag --bogus (chordtui repl -h lists the flags)"},
		{"missing N", []string{"repl"}, "", 2, "", "missing N"},
		{"bad N", []string{"repl", "many"}, "", 2, "", `N must be a whole number from 1 to 4096, got "many"`},
		{"two Ns", []string{"repl", "3", "4"}, "", 2, "", "want one argument N, got 2"},
		{"bad config", []string{"repl", "--bits", "4", "3"}, "", 2, "", "bits must be between 6 and 160"},
		{"replicas above r+1", []string{"repl", "--successors", "2", "--replicas", "4", "3"}, "", 2, "", "must not exceed the successor-list length"},
		{"no arguments", nil, "", 2, "", "usage:"},
		{"vnodes 0", []string{"repl", "--vnodes", "0", "3"}, "", 2, "", "--vnodes 0: must be from 1 to 64"},
		{"vnodes far too many", []string{"repl", "--vnodes", "100000", "3"}, "", 2, "", "chordtui repl: --vnodes 100000: must be from 1 to 64\n"},
		{"negative start wait", []string{"repl", "--start-wait", "-1s", "3"}, "", 2, "", "--start-wait -1s: must not be negative"},
		{"resp port out of range", []string{"repl", "--resp", ":99999", "3"}, "", 2, "", `--resp ":99999": the port must be a number from 0 to 65535`},
		{"attach with a mount", []string{"repl", "--attach", "127.0.0.1:1", "--mount", "/nonexistent/m"}, "", 2, "", "--mount runs the file system on a node of this program, and --attach starts none"},
		{"attach with resp", []string{"attach", "127.0.0.1:1", "--resp", ":0"}, "", 2, "", "--resp serves through a node of this program, and --attach starts none"},
		{"help", []string{"--help"}, "", 0, "chordtui repl [flags] N", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Stdin = strings.NewReader(tt.stdin)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code {
				t.Fatalf("exit status %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Fatalf("stdout lacks %q:\n%s", tt.stdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("stderr lacks %q:\n%s", tt.stderr, stderr.String())
			}
			if tt.code != 2 && stderr.Len() > 0 {
				t.Fatalf("the REPL wrote to stderr: %s", stderr.String())
			}
		})
	}
}

// TestLogFile checks that --log receives the diagnostics and events, and
// that nothing else but results reaches stdout.
func TestLogFile(t *testing.T) {
	bin := buildBinary(t)
	logPath := filepath.Join(t.TempDir(), "chordtui.log")
	cmd := exec.Command(bin, "repl", "--json", "--log", logPath, "4")
	cmd.Stdin = strings.NewReader("kill n1\nwait\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := strings.Count(string(out), "\n"); n != 2 {
		t.Fatalf("stdout has %d lines, want one per command:\n%s", n, out)
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cluster ready", "kill n1", "stable"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// TestREPLVnodesFaults: with virtual nodes the start line names the real
// nodes, faults act on a real node and refuse an identity, and a bad
// argument is called one whatever the node.
func TestREPLVnodesFaults(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "repl", "--seed", "1", "--vnodes", "2", "4")
	cmd.Stdin = strings.NewReader("delay n1 5ms\ndelay n1.1 5ms\ndrop n1 150\npartition n0 n1 n2 n3\npartition n3\nheal\n")
	out, err := cmd.CombinedOutput()
	// Commands failed, so the script's exit status is 1.
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("chordtui repl: %v, want exit status 1\n%s", err, out)
	}
	for _, want := range []string{
		"started 4 nodes on 127.0.0.1 (n0…n3), stable after",
		"calls to and from n1 now take 5ms longer",
		"error: delay: n1.1 is an identity of n1; faults act on real nodes — delay n1",
		"error: drop: PERCENT must be between 0 and 100, got 150",
		"error: partition: the group holds every node, so nothing is cut off — name a subset",
		"partitioned n3 from the rest",
		"healed the partition that cut off n3: one ring again",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
