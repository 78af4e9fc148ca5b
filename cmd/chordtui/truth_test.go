package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The regression tests of "the screen and wait never lie", through the
// real binary on real sockets: after `FAULT; wait` the nodes listing shows
// the ideal ring the fault produced.

// ringRow is one node of a nodes listing.
type ringRow struct {
	name, id, state, side, pred, succ string
}

func rowsOf(t *testing.T, nodes map[string]any) []ringRow {
	t.Helper()
	var out []ringRow
	for _, n := range nodes["nodes"].([]any) {
		m := n.(map[string]any)
		side, _ := m["side"].(string)
		out = append(out, ringRow{m["name"].(string), m["id"].(string), m["state"].(string), side,
			m["pred"].(string), m["succ"].(string)})
	}
	return out
}

// idealRing returns "" when the alive rows of each side, in identifier
// order, point at each other as the ideal ring does (each successor is the
// next alive node, each predecessor the previous), else the first
// difference.
func idealRing(rows []ringRow) string {
	sides := map[string][]ringRow{}
	for _, r := range rows {
		if r.state == "alive" {
			sides[r.side] = append(sides[r.side], r)
		}
	}
	for side, ring := range sides {
		sort.Slice(ring, func(i, j int) bool { return ring[i].id < ring[j].id }) // same-length hex
		for i, r := range ring {
			next, prev := ring[(i+1)%len(ring)].name, ring[(i+len(ring)-1)%len(ring)].name
			if r.succ != next || r.pred != prev {
				return fmt.Sprintf("side %q: %s has pred %s, succ %s; the ideal ring says %s, %s", side, r.name, r.pred, r.succ, prev, next)
			}
		}
	}
	return ""
}

// inRingRows reports whether name has a predecessor and is some alive
// node's successor, and whether any alive node points at it.
func inRingRows(rows []ringRow, name string) (hasPred, isSucc, pointedAt bool) {
	for _, r := range rows {
		if r.name == name {
			hasPred = r.pred != "nil" && r.pred != "-"
			continue
		}
		if r.state != "alive" {
			continue
		}
		isSucc = isSucc || r.succ == name
		pointedAt = pointedAt || r.succ == name || r.pred == name
	}
	return hasPred, isSucc, pointedAt
}

// TestREPLStableAfterEveryFault injects every kind of fault through the
// REPL and checks, after each `FAULT; wait`, that wait names the fault and
// that nodes shows the ideal ring over the membership the fault produced.
func TestREPLStableAfterEveryFault(t *testing.T) {
	bin := buildBinary(t)
	p := startREPL(t, bin, "--seed", "7", "10")
	for i := range 30 {
		p.mustOK(fmt.Sprintf("set key-%d v%d", i, i))
	}
	p.mustOK("wait 60s")
	steps := []struct {
		cmd, after string
		in, out    string // a node that must be in the ring afterwards / out of it
	}{
		{"kill n2", "kill n2", "", "n2"},
		{"revive n2", "revive n2", "n2", ""},
		{"add", "add n10", "n10", ""},
		{"leave n3", "leave n3", "", "n3"},
		{"pause n4", "pause n4", "", "n4"},
		{"resume n4", "resume n4", "n4", ""},
		{"partition n5 n6", "partition n5 n6", "", ""},
		{"heal", "heal", "", ""},
		{"delay n1 5ms", "delay n1 5ms", "n1", ""},
		{"drop n7 5", "drop n7 5%", "n7", ""},
		{"drop n7 0", "drop n7 0%", "n7", ""},
	}
	for _, st := range steps {
		res := p.mustOK(st.cmd, "wait 60s", "nodes", "check")
		wait, nodes, check := res[1], res[2], res[3]
		if wait["after"] != st.after {
			t.Fatalf("%s; wait: stable after %v, want after %q", st.cmd, wait["after"], st.after)
		}
		partitioned := strings.HasPrefix(st.cmd, "partition")
		if wait["partitioned"] != partitioned || nodes["partitioned"] != partitioned || check["partitioned"] != partitioned {
			t.Fatalf("%s: partitioned in wait %v, nodes %v, check %v", st.cmd, wait["partitioned"], nodes["partitioned"], check["partitioned"])
		}
		if sides, _ := wait["sides"].([]any); partitioned && len(sides) != 2 {
			t.Fatalf("%s: wait lists sides %v", st.cmd, wait["sides"])
		}
		rows := rowsOf(t, nodes)
		if why := idealRing(rows); why != "" {
			t.Fatalf("%s; wait returned %v s, but nodes shows no ideal ring: %s", st.cmd, wait["seconds"], why)
		}
		if st.in != "" {
			if pred, succ, _ := inRingRows(rows, st.in); !pred || !succ {
				t.Fatalf("%s: %s has a predecessor %v, is some node's successor %v", st.cmd, st.in, pred, succ)
			}
		}
		if st.out != "" {
			if _, _, pointed := inRingRows(rows, st.out); pointed {
				t.Fatalf("%s: an alive node still points at %s", st.cmd, st.out)
			}
		}
		if s, _ := nodes["summary"].(string); !strings.Contains(s, "stable") {
			t.Fatalf("%s: nodes summary %q", st.cmd, s)
		}
	}
	for i, r := range p.mustOK(func() []string {
		var gets []string
		for i := range 30 {
			gets = append(gets, fmt.Sprintf("get key-%d", i))
		}
		return gets
	}()...) {
		if r["found"] != true || r["value"] != fmt.Sprintf("v%d", i) {
			t.Fatalf("get key-%d after every fault = %v", i, r)
		}
	}
	p.mustOK("quit")
	if code := p.exit(); code != 0 {
		t.Fatalf("exit status %d (stderr: %s)", code, p.errb.String())
	}
}

// TestREPLLostLinksNeverStable checks that wait never calls a ring stable
// while every call to one node is lost or outlasts the RPC deadline: the
// ring looks ideal until its neighbours drop the node, but no round that
// timed out confirms it. Once the calls get through again, it is stable
// with the node back in the ring.
func TestREPLLostLinksNeverStable(t *testing.T) {
	bin := buildBinary(t)
	for _, f := range []struct{ fault, undo, after string }{
		{"drop n3 100", "drop n3 0", "drop n3 0%"},
		{"delay n3 1s", "delay n3 0", "delay n3 0s"}, // the RPC deadline is 300ms
	} {
		// Right after the start, while every period is at its base: the
		// first round of each task then ends before n3 is dropped.
		p := startREPL(t, bin, "--seed", "1", "5")
		res := p.send(f.fault, "wait 3s")
		if res[0]["ok"] != true {
			t.Fatalf("%s: %v", f.fault, res[0]["error"])
		}
		if msg, _ := res[1]["error"].(string); res[1]["ok"] != false || !strings.Contains(msg, "not stable") {
			t.Fatalf("%s; wait 3s = %v, want not stable", f.fault, res[1])
		}
		res = p.mustOK(f.undo, "wait 60s", "nodes", "set k v", "get k")
		if res[1]["after"] != f.after {
			t.Fatalf("%s: stable after %v", f.undo, res[1]["after"])
		}
		rows := rowsOf(t, res[2])
		if why := idealRing(rows); why != "" {
			t.Fatalf("%s; wait: %v, but nodes shows no ideal ring: %s", f.undo, res[1], why)
		}
		if pred, succ, _ := inRingRows(rows, "n3"); !pred || !succ {
			t.Fatalf("%s: n3 has a predecessor %v, is some node's successor %v", f.undo, pred, succ)
		}
		if res[4]["found"] != true || res[4]["value"] != "v" {
			t.Fatalf("get k after %s = %v", f.undo, res[4])
		}
		p.mustOK("quit")
		if code := p.exit(); code != 1 { // the first wait failed
			t.Fatalf("exit status %d, want 1 (stderr: %s)", code, p.errb.String())
		}
	}
}

// runText runs the binary with stdin and returns stdout and the exit
// status, failing after deadline (a hang is a failure).
func runText(t *testing.T, bin, stdin string, deadline time.Duration, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }() // exits when the process does (killed below at the deadline)
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return stdout.String(), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		if stderr.Len() > 0 {
			t.Errorf("stderr: %s", stderr.String())
		}
		return stdout.String(), 0
	case <-time.After(deadline):
		_ = cmd.Process.Kill()
		if err := <-done; err == nil {
			t.Log("the process exited by itself as it was killed")
		}
		t.Fatalf("chordtui %s did not exit within %v; stdout so far:\n%s", strings.Join(args, " "), deadline, stdout.String())
		return "", -1
	}
}

// TestIssueReplayAdd replays `printf 'add 2\nwait 3s\ncheck\nnodes\n' |
// chordtui repl --seed 1 16`, where wait used to report stability before
// the new nodes were in the ring: now wait takes time, and nodes shows
// n16 and n17 with predecessors, each some node's successor, in the ideal
// ring.
func TestIssueReplayAdd(t *testing.T) {
	bin := buildBinary(t)
	out, code := runText(t, bin, "add 2\nwait 3s\ncheck\nnodes\n", 2*time.Minute, "repl", "--seed", "1", "16")
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[1], "added n16 n17") {
		t.Fatalf("add: %q", lines[1])
	}
	var secs float64
	if _, err := fmt.Sscanf(lines[2], "stable %f s after add n16 n17", &secs); err != nil || secs <= 0 {
		t.Fatalf("wait: %q", lines[2])
	}
	if lines[3] != "ok — invariants 1–8 hold over 18 live nodes" {
		t.Fatalf("check: %q", lines[3])
	}
	var rows []ringRow
	for _, l := range lines[5 : len(lines)-1] { // the table, without header and footer
		f := strings.Fields(l)
		if len(f) < 8 {
			t.Fatalf("nodes row %q", l)
		}
		rows = append(rows, ringRow{name: f[0], id: f[1], state: f[3], pred: f[6], succ: f[7]})
	}
	if len(rows) != 18 {
		t.Fatalf("%d nodes rows:\n%s", len(rows), out)
	}
	// Short IDs are prefixes of the same length: their order is the ring's
	// unless two share a prefix, which the seeded ring does not.
	if why := idealRing(rows); why != "" {
		t.Fatalf("nodes after add 2; wait: %s\n%s", why, out)
	}
	for _, n := range []string{"n16", "n17"} {
		if pred, succ, _ := inRingRows(rows, n); !pred || !succ {
			t.Fatalf("%s: predecessor %v, some node's successor %v\n%s", n, pred, succ, out)
		}
	}
	if footer := lines[len(lines)-1]; !strings.Contains(footer, "18 nodes; stable — converged in") {
		t.Fatalf("nodes footer %q", footer)
	}
}

// TestREPLDeadEnds checks that nothing is a dead end: with every node
// down, revive starts a new ring and says the keys are gone, add then
// joins it; on a full 6-bit ring add fails at once and quit still exits.
func TestREPLDeadEnds(t *testing.T) {
	bin := buildBinary(t)
	p := startREPL(t, bin, "--seed", "3", "3")
	p.mustOK("set k v", "kill n0", "kill n1", "kill n2")
	rv := p.mustOK("revive n1")[0]
	if rv["new_ring"] != "n1" || rv["keys_lost"] != true || !strings.Contains(fmt.Sprint(rv["note"]), "every key stored before is gone") {
		t.Fatalf("revive with every node down: %v", rv)
	}
	res := p.mustOK("wait 30s", "get k", "add", "wait 30s", "nodes")
	if res[1]["found"] != false {
		t.Fatalf("get k in the new ring: %v", res[1])
	}
	if _, ok := res[2]["new_ring"]; ok {
		t.Fatalf("add beside a live node started a new ring: %v", res[2])
	}
	if why := idealRing(rowsOf(t, res[4])); why != "" {
		t.Fatalf("after revive and add: %s", why)
	}
	p.mustOK("quit")
	if code := p.exit(); code != 0 {
		t.Fatalf("exit status %d", code)
	}

	// 62 nodes, one leaves, one crashes, two more fill the 6-bit ring.
	out, code := runText(t, bin, "leave n5\nkill n6\nadd 2\nadd 1\nquit\n", 3*time.Minute, "repl", "--bits", "6", "--seed", "1", "62")
	if code != 1 {
		t.Fatalf("exit status %d after a failed add, want 1:\n%s", code, out)
	}
	for _, want := range []string{"added n62 n63\n",
		"error: add: a 6-bit ring has 64 identifiers and 64 are taken (by live, down and departed nodes alike)\n", "bye\n"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestLogGetsEveryEvent checks that --log receives the event lines, the
// nodes' and the cluster's, in the TUI's path as in the REPL's: both log
// through the cluster. The UI cannot start without a terminal, but the
// cluster it starts first logs its events.
func TestLogGetsEveryEvent(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	replLog, uiLog := filepath.Join(dir, "repl.log"), filepath.Join(dir, "ui.log")
	runText(t, bin, "kill n1\nwait\n", time.Minute, "repl", "--log", replLog, "4")
	text, err := os.ReadFile(replLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"joined the ring", `msg="kill n1" event=fault`, "detected failure of n1", `msg="stable `} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the REPL's log lacks %q", want)
		}
	}
	if n := strings.Count(string(text), `msg="kill n1"`); n != 1 {
		t.Errorf("the kill is logged %d times, want once", n)
	}
	runText(t, bin, "", time.Minute, "--log", uiLog, "4") // exits: no terminal
	text, err = os.ReadFile(uiLog)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "joined the ring") {
		t.Errorf("the UI's log has no event line:\n%s", text)
	}
}

// TestREPLLongLines feeds the REPL a line past its limit, one of an
// unknown command just under it, and a value of 1 MiB written with an
// escape for every byte: the first is refused and dropped without being
// held, the second is named in a few bytes, the third is stored, and the
// commands after them run.
func TestREPLLongLines(t *testing.T) {
	bin := buildBinary(t)
	value := strings.Repeat(`\\`, 1<<20) // 1 MiB of backslashes
	stdin := strings.Repeat("x", maxReplLine+1) + "\n" +
		strings.Repeat("y", maxReplLine-1) + "\n" +
		"set big " + value + "\nget big\n"
	out, code := runText(t, bin, stdin, 2*time.Minute, "repl", "--json", "--seed", "1", "5")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 1 || len(lines) != 4 {
		t.Fatalf("exit %d, %d result lines (want 1 and 4)", code, len(lines))
	}
	if want := fmt.Sprintf(`{"cmd":"","ok":false,"error":"syntax error: line 1 is longer than %d bytes: ignored"}`, maxReplLine); lines[0] != want {
		t.Errorf("the line past the limit: %.300s", lines[0])
	}
	if len(lines[1]) > 400 || !strings.Contains(lines[1], `"ok":false`) || !strings.Contains(lines[1], fmt.Sprintf("(%d bytes)", maxReplLine-1)) {
		t.Errorf("the unknown command just under the limit: %.400s", lines[1])
	}
	if !strings.HasPrefix(lines[2], `{"cmd":"set","ok":true`) || !strings.Contains(lines[3], strings.Repeat(`\\`, 1<<20)) {
		t.Errorf("set and get of 1 MiB after them: %.300s / %.300s", lines[2], lines[3])
	}
}

// TestREPLBinaryKeys checks that bytes that are not UTF-8 reach the ring as
// they were typed: two keys that differ only in such a byte are two keys,
// and a value of such bytes reads back unchanged.
func TestREPLBinaryKeys(t *testing.T) {
	bin := buildBinary(t)
	out, code := runText(t, bin, "set \xff A\nget \xfe\nget \xff\nset k \xff\xfe\nget k\n", time.Minute, "repl", "--seed", "1", "5")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 6 {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	for i, want := range []string{`ok — "\xff" stored at`, "(not found)", `"A"`, `ok — "k" stored at`, `"\xff\xfe"`} {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("line %d = %q, want it to begin %q", i+2, lines[i+1], want)
		}
	}
	// JSON strings are UTF-8: there such a byte reads as U+FFFD, as the
	// README says.
	out, code = runText(t, bin, "set k \xff\xfeA\nget k\n", time.Minute, "repl", "--json", "--seed", "1", "5")
	lines = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[1], `"value":"\ufffd\ufffdA"`) {
		t.Errorf("--json: exit %d, output:\n%s", code, out)
	}
}
