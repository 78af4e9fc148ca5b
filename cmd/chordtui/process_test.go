package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// nodeOut is a line of "chordtui node --json" as a script reads it.
type nodeOut struct {
	Event string `json:"event"`
	Name  string `json:"name"`
	Addr  string `json:"addr"`
	ID    string `json:"id"`
	Err   string `json:"error"`
}

// nodeProc is a running "chordtui node --json".
type nodeProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	start nodeOut
	lines chan nodeOut // the lines after the start line
	errb  syncBuffer
}

// startNode starts "chordtui node --json" with args and returns once it
// printed its start line; the process is killed when the test ends.
func startNode(t *testing.T, bin string, args ...string) *nodeProc {
	t.Helper()
	p := &nodeProc{t: t, lines: make(chan nodeOut, 4)}
	p.cmd = exec.Command(bin, append([]string{"node", "--json", "--log-level", "warn"}, args...)...)
	p.cmd.Stderr = &p.errb
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait() // a killed process's exit error says nothing new
		}
	})
	first := make(chan nodeOut, 1)
	go func() { // exits when the process closes its stdout
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		n := 0
		for sc.Scan() {
			var l nodeOut
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				l = nodeOut{Event: "unparsed", Err: sc.Text()}
			}
			if n == 0 {
				first <- l
			} else {
				p.lines <- l
			}
			n++
		}
		if n == 0 {
			close(first)
		}
	}()
	select {
	case l, ok := <-first:
		if !ok || l.Event != "listening" || l.Addr == "" {
			t.Fatalf("chordtui node %v: start line %+v (stderr: %s)", args, l, p.errb.String())
		}
		p.start = l
	case <-time.After(60 * time.Second):
		t.Fatalf("chordtui node %v printed no start line within 60 s", args)
	}
	return p
}

// syncBuffer is a buffer that exec's copying goroutine and the test can
// use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sigterm sends SIGTERM and returns the leave line and the exit status.
func (p *nodeProc) sigterm() (nodeOut, int) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	var left nodeOut
	select {
	case l, ok := <-p.lines:
		if ok {
			left = l
		}
	case <-time.After(60 * time.Second):
		p.t.Fatalf("%s printed no leave line within 60 s of SIGTERM", p.start.Name)
	}
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return left, ee.ExitCode()
	}
	if err != nil {
		p.t.Fatalf("wait: %v", err)
	}
	return left, 0
}

// procRow is one member of the nodes listing.
type procRow struct{ name, id, addr, state string }

// members lists the nodes the REPL shows.
func procMembers(p *replProc) []procRow {
	var out []procRow
	for _, n := range p.mustOK("nodes")[0]["nodes"].([]any) {
		m := n.(map[string]any)
		out = append(out, procRow{m["name"].(string), m["id"].(string), m["addr"].(string), m["state"].(string)})
	}
	return out
}

// awaitMembers polls the REPL's nodes until ok holds for them, or fails
// after the deadline.
func awaitProcMembers(t *testing.T, p *replProc, what string, ok func([]procRow) bool) []procRow {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		rows := procMembers(p)
		if ok(rows) {
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes never showed %s: %v", what, rows)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// alive counts the rows alive.
func procAlive(rows []procRow) int {
	n := 0
	for _, r := range rows {
		if r.state == "alive" {
			n++
		}
	}
	return n
}

// procState is the state of the member named, or "" if none is listed.
func procState(rows []procRow, name string) string {
	for _, r := range rows {
		if r.name == name {
			return r.state
		}
	}
	return ""
}

// TestProcessesCrashAndLeave runs the ring as 8 processes (chordtui node),
// drives it from an attached REPL, crashes two neighbours with SIGKILL and
// makes another leave with SIGTERM: the crashed are shown down, the one
// that left left; no key is lost, and check holds.
func TestProcessesCrashAndLeave(t *testing.T) {
	bin := buildBinary(t)
	first := startNode(t, bin, "--admin")
	procs := []*nodeProc{first}
	for range 7 {
		procs = append(procs, startNode(t, bin, "--admin", "--join", first.start.Addr))
	}
	byAddr := map[string]*nodeProc{}
	for _, p := range procs {
		byAddr[p.start.Addr] = p
	}
	p := startREPL(t, bin, "--attach", first.start.Addr)
	awaitProcMembers(t, p, "8 live members", func(rows []procRow) bool { return procAlive(rows) == 8 })
	p.mustOK("wait 60s")

	const keys = 1000
	var sets, gets []string
	for i := range keys {
		sets = append(sets, fmt.Sprintf("set key-%04d v%d", i, i))
		gets = append(gets, fmt.Sprintf("get key-%04d", i))
	}
	p.mustOK(sets...)
	readAll := func(when string) {
		t.Helper()
		lost := 0
		for i, r := range p.send(gets...) {
			if r["ok"] != true || r["found"] != true || r["value"] != fmt.Sprintf("v%d", i) {
				lost++
				if lost == 1 {
					t.Errorf("%s: get key-%04d = %v", when, i, r)
				}
			}
		}
		if lost > 0 {
			t.Fatalf("%s: %d of %d keys lost", when, lost, keys)
		}
	}

	// Two processes adjacent on the ring crash.
	rows := procMembers(p)
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id }) // same-length hex: string order is ring order
	a, b := byAddr[rows[3].addr], byAddr[rows[4].addr]
	if a == nil || b == nil {
		t.Fatalf("nodes lists %s and %s, not among the processes started", rows[3].addr, rows[4].addr)
	}
	for _, v := range []*nodeProc{a, b} {
		_ = v.cmd.Process.Kill()
		_ = v.cmd.Wait()
	}
	awaitProcMembers(t, p, "the two crashed nodes down", func(rows []procRow) bool {
		return procAlive(rows) == 6 && procState(rows, a.start.Name) == "down" && procState(rows, b.start.Name) == "down"
	})
	w := p.mustOK("wait 60s")[0]
	t.Logf("stable %.3f s after %s and %s crashed", w["seconds"], a.start.Name, b.start.Name)
	readAll("after two adjacent crashes")

	// Another one leaves gracefully.
	var c *nodeProc
	for _, v := range procs[1:] {
		if v != a && v != b {
			c = v
			break
		}
	}
	left, code := c.sigterm()
	if code != 0 || left.Event != "left" || left.Err != "" {
		t.Fatalf("SIGTERM: exit status %d, leave line %+v (stderr: %s)", code, left, c.errb.String())
	}
	// Its neighbours heard it go: it is shown left, not down.
	awaitProcMembers(t, p, "the node that left shown left", func(rows []procRow) bool {
		return procAlive(rows) == 5 && procState(rows, c.start.Name) == "left"
	})
	p.mustOK("wait 60s")
	readAll("after a graceful leave")
	// A fault through the admin command: a paused node is listed paused
	// and not judged; resumed, the ring is stable again.
	var d *nodeProc
	for _, v := range procs[1:] {
		if v != a && v != b && v != c {
			d = v
			break
		}
	}
	p.mustOK("pause " + d.start.Name)
	awaitProcMembers(t, p, d.start.Name+" paused", func(rows []procRow) bool { return procState(rows, d.start.Name) == "paused" })
	p.mustOK("resume "+d.start.Name, "wait 60s")
	check := p.mustOK("check")[0]
	if v, ok := check["violations"].([]any); !ok || len(v) != 0 || check["live"] != float64(5) {
		t.Fatalf("check: %v", check)
	}
	// kill through the admin command ends the process at once.
	p.mustOK("kill " + d.start.Name)
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != killStatus {
			t.Fatalf("%s after an admin kill: %v, want exit status %d", d.start.Name, err, killStatus)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s still runs 30 s after an admin kill", d.start.Name)
	}
}

// TestClassroom is the lecture: a ring of 16 local nodes, which 4 node
// processes join; the REPL shows 20 members and judges them stable.
func TestClassroom(t *testing.T) {
	bin := buildBinary(t)
	p := startREPL(t, bin, "16", "--listen", "127.0.0.1")
	rows := procMembers(p)
	if len(rows) != 16 {
		t.Fatalf("nodes lists %d members, want 16", len(rows))
	}
	for range 4 {
		startNode(t, bin, "--join", rows[0].addr)
	}
	got := awaitProcMembers(t, p, "20 live members", func(rows []procRow) bool { return len(rows) == 20 && procAlive(rows) == 20 })
	remote := 0
	for _, r := range got {
		if strings.HasPrefix(r.name, "n-") {
			remote++
		}
	}
	if remote != 4 {
		t.Fatalf("%d remote members listed, want 4: %v", remote, got)
	}
	// The node processes were started without --admin: they refuse faults.
	var student string
	for _, r := range got {
		if strings.HasPrefix(r.name, "n-") {
			student = r.name
		}
	}
	if r := p.send("kill " + student)[0]; r["ok"] != false || !strings.Contains(fmt.Sprint(r["error"]), student+" does not allow admin operations: start it with --admin") {
		t.Fatalf("kill %s without --admin: %v", student, r)
	}
	w := p.mustOK("wait 60s")[0]
	if _, ok := w["seconds"].(float64); !ok {
		t.Fatalf("wait: %v", w)
	}
	check := p.mustOK("check")[0]
	if v, ok := check["violations"].([]any); !ok || len(v) != 0 || check["live"] != float64(20) {
		t.Fatalf("check over 20 members: %v", check)
	}
}
