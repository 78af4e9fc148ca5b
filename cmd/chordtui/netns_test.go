package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// netLab is a little network of Linux network namespaces for tests that
// need real links: each namespace has one veth pair whose other end sits
// on a bridge in the root namespace, and one address on a private /24 that
// the bridge routes. A process started inside a namespace (netLab.in) is
// cut off from every other namespace, and from the root one, when its
// link goes down (netLab.cut): a real partition. docs/processes.md gives
// the same recipe as shell commands.
type netLab struct {
	t      *testing.T
	bridge string // in the root namespace, holding subnet.1
	subnet string // "10.213.B": the namespaces are subnet.10, subnet.11, …
	spaces []labSpace
	undo   [][]string // ip commands that undo what was made, in order made
}

// labSpace is one namespace of a netLab.
type labSpace struct {
	name string // the namespace (ip netns)
	host string // its veth's end in the root namespace, on the bridge
	addr string // its address
}

// netLabSeq tells apart the labs of one test process; the process ID tells
// apart the test processes that run at once.
var netLabSeq atomic.Int32

// newNetLab makes n namespaces joined by a bridge, and removes them (and
// the veths and the bridge) when the test ends, passed or failed. It skips
// the test, saying why, where namespaces cannot be made.
func newNetLab(t *testing.T, n int) *netLab {
	t.Helper()
	switch {
	case runtime.GOOS != "linux":
		t.Skip("network namespaces are Linux only")
	case os.Geteuid() != 0:
		t.Skip("network namespaces need root (ip netns add): run the test as root to cut real links")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip command (Debian: apt-get install iproute2): cannot make network namespaces")
	}
	seq := netLabSeq.Add(1)
	subnet, err := freeSubnet(os.Getpid() + int(seq)*37)
	if err != nil {
		t.Skip(err.Error())
	}
	// Interface names have at most 15 bytes: "ct" + PID (7 digits at most)
	// + a letter + "br" or "h" and a digit.
	tag := fmt.Sprintf("ct%d%c", os.Getpid(), 'a'+(seq-1)%26)
	l := &netLab{t: t, bridge: tag + "br", subnet: subnet}
	t.Cleanup(l.teardown) // registered first: it undoes a setup that failed half-way
	// The first namespace decides whether namespaces can be made here at all.
	for i := range n {
		s := labSpace{name: fmt.Sprintf("%sn%d", tag, i), host: fmt.Sprintf("%sh%d", tag, i), addr: fmt.Sprintf("%s.%d", subnet, 10+i)}
		if err := l.make([]string{"netns", "add", s.name}, []string{"netns", "del", s.name}); err != nil {
			t.Skipf("cannot make a network namespace here: %v", err)
		}
		l.spaces = append(l.spaces, s)
	}
	steps := [][2][]string{
		{{"link", "add", l.bridge, "type", "bridge"}, {"link", "del", l.bridge}},
		{{"addr", "add", subnet + ".1/24", "dev", l.bridge}},
		{{"link", "set", l.bridge, "up"}},
	}
	for _, s := range l.spaces {
		steps = append(steps,
			// Deleting the root namespace's end deletes the pair.
			[2][]string{{"link", "add", s.host, "type", "veth", "peer", "name", "eth0", "netns", s.name}, {"link", "del", s.host}},
			[2][]string{{"link", "set", s.host, "master", l.bridge, "up"}},
			[2][]string{{"-n", s.name, "addr", "add", s.addr + "/24", "dev", "eth0"}},
			[2][]string{{"-n", s.name, "link", "set", "eth0", "up"}},
			[2][]string{{"-n", s.name, "link", "set", "lo", "up"}},
		)
	}
	for _, st := range steps {
		if err := l.make(st[0], st[1]); err != nil {
			t.Skipf("cannot link the network namespaces: %v", err)
		}
	}
	return l
}

// freeSubnet picks a /24 in 10.213.0.0/16, from start on, that overlaps no
// address or route of the root namespace (another lab's included).
func freeSubnet(start int) (string, error) {
	var taken []*net.IPNet
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "", fmt.Errorf("cannot list this machine's addresses: %w", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			taken = append(taken, n)
		}
	}
	routes, err := exec.Command("ip", "-4", "route", "show", "table", "all").Output()
	if err != nil {
		return "", fmt.Errorf("ip route show: %w", err)
	}
	for _, line := range strings.Split(string(routes), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && (f[0] == "local" || f[0] == "broadcast" || f[0] == "unicast") {
			f = f[1:]
		}
		if len(f) == 0 {
			continue
		}
		dst := f[0]
		if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		if _, n, err := net.ParseCIDR(dst); err == nil {
			taken = append(taken, n)
		}
	}
	for i := range 250 {
		b := (start+i)%250 + 1
		_, cand, _ := net.ParseCIDR(fmt.Sprintf("10.213.%d.0/24", b))
		free := true
		for _, n := range taken {
			if n.Contains(cand.IP) || cand.Contains(n.IP) {
				free = false
				break
			}
		}
		if free {
			return fmt.Sprintf("10.213.%d", b), nil
		}
	}
	return "", fmt.Errorf("no /24 in 10.213.0.0/16 is free of this machine's addresses and routes")
}

// make runs ip with args and, if it succeeded, remembers undo (nil: the
// step is undone with an earlier one).
func (l *netLab) make(args, undo []string) error {
	if err := runCmd("ip", args...); err != nil {
		return err
	}
	if undo != nil {
		l.undo = append(l.undo, undo)
	}
	return nil
}

// teardown undoes every step that was made, the last first.
func (l *netLab) teardown() {
	for i := len(l.undo) - 1; i >= 0; i-- {
		if err := runCmd("ip", l.undo[i]...); err != nil {
			l.t.Errorf("cleaning up the network namespaces: %v", err)
		}
	}
}

// runCmd runs a command and says what it printed when it fails.
func runCmd(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// in returns a program that runs bin inside namespace i: a script that the
// process helpers start in its place. ip netns exec replaces itself with
// bin, so the process they start, and kill, is bin's.
func (l *netLab) in(i int, bin string) string {
	l.t.Helper()
	path := filepath.Join(l.t.TempDir(), "in-"+l.spaces[i].name)
	script := fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", l.spaces[i].name, bin)
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil { //nolint:gosec // a script the test runs
		l.t.Fatal(err)
	}
	return path
}

// cut takes namespace i's link down: nothing reaches it or leaves it.
func (l *netLab) cut(i int) {
	l.t.Helper()
	if err := runCmd("ip", "link", "set", l.spaces[i].host, "down"); err != nil {
		l.t.Fatal(err)
	}
}

// heal brings namespace i's link up again.
func (l *netLab) heal(i int) {
	l.t.Helper()
	if err := runCmd("ip", "link", "set", l.spaces[i].host, "up"); err != nil {
		l.t.Fatal(err)
	}
}

// space is the index of the namespace that host:port is in (-1: none).
func (l *netLab) space(addr string) int {
	host, _, _ := net.SplitHostPort(addr)
	for i, s := range l.spaces {
		if s.addr == host {
			return i
		}
	}
	return -1
}

// keygen makes a cluster key with "chordtui keygen" and returns its file.
func keygen(t *testing.T, bin string) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "ring.key")
	if err := runCmd(bin, "keygen", key); err != nil {
		t.Fatal(err)
	}
	return key
}

// TestNamespacesPartition runs 16 "chordtui node" processes, 4 in each of
// 4 network namespaces, as one ring; cuts one namespace's link (a real
// partition), writes on both sides, heals it, and reads the later write of
// each key, as the README's table promises after a partition heals.
//
// An attached program cannot tell a cut link from crashed processes: on
// each side the other side's members stop answering, are shown down and
// no longer judged, and the larger side is stable on its own. That is what
// the test asserts (a partition started with the partition command is
// another matter: the cluster knows its sides).
func TestNamespacesPartition(t *testing.T) {
	const spaces, perSpace, cutSpace = 4, 4, 3
	lab := newNetLab(t, spaces)
	bin := buildBinary(t)
	key := keygen(t, bin)
	began := time.Now()

	var first *nodeProc
	cutNames := map[string]bool{}
	var cutAddr string
	for i := range spaces {
		for range perSpace {
			args := []string{"--admin", "--key-file", key, "--listen", lab.spaces[i].addr + ":0"}
			if first != nil {
				args = append(args, "--join", first.start.Addr)
			}
			p := startNode(t, lab.in(i, bin), args...)
			if first == nil {
				first = p
			}
			if i == cutSpace {
				cutNames[p.start.Name], cutAddr = true, p.start.Addr
			}
		}
	}
	// One REPL in the root namespace, which reaches every namespace, and one
	// inside the namespace that will be cut off, to write on its side.
	root := startREPL(t, bin, "--attach", first.start.Addr, "--key-file", key)
	inCut := startREPL(t, lab.in(cutSpace, bin), "--attach", cutAddr, "--key-file", key)
	all := spaces * perSpace
	for _, p := range []*replProc{root, inCut} {
		awaitProcMembers(t, p, fmt.Sprintf("%d live members", all), func(rows []procRow) bool { return procAlive(rows) == all })
	}
	root.mustOK("wait 60s")
	t.Logf("%d nodes in %d namespaces stable %.1f s after the first started", all, spaces, time.Since(began).Seconds())

	// sideDown: on the REPL's side the nodes named alive are alive, and
	// every other member is listed down (later, unanswered long enough, it
	// is forgotten: the test looks before).
	sideDown := func(p *replProc, what string, alive func(name string) bool, nAlive, nDown int) {
		t.Helper()
		awaitProcMembers(t, p, what, func(rows []procRow) bool {
			up, down := 0, 0
			for _, r := range rows {
				switch {
				case alive(r.name) && r.state == "alive":
					up++
				case !alive(r.name) && r.state == "down":
					down++
				}
			}
			return up == nAlive && down == nDown && len(rows) == nAlive+nDown
		})
	}
	const keys = 20
	var before []string
	for i := range keys {
		before = append(before, fmt.Sprintf("set k%02d before-%d", i, i))
	}
	root.mustOK(before...)

	// Cut the namespace's link.
	lab.cut(cutSpace)
	cutAt := time.Now()
	nCut := len(cutNames)
	isCut := func(name string) bool { return cutNames[name] }
	sideDown(root, fmt.Sprintf("the %d nodes of the cut namespace down, the %d others alive", nCut, all-nCut),
		func(n string) bool { return !isCut(n) }, all-nCut, nCut)
	sideDown(inCut, fmt.Sprintf("the %d nodes outside down, the cut namespace's %d alive", all-nCut, nCut),
		isCut, nCut, all-nCut)
	// The larger side is then stable on its own, and says that members
	// stopped answering.
	w := root.mustOK("wait 60s")[0]
	check := root.mustOK("check")[0]
	if v, ok := check["violations"].([]any); !ok || len(v) != 0 || check["live"] != float64(all-nCut) {
		t.Fatalf("the root namespace's side: check after the cut: %v", check)
	}
	if after, _ := w["after"].(string); !strings.Contains(after, "stopped answering") {
		t.Fatalf("the root namespace's side: wait after the cut says it followed %q, want members that stopped answering", after)
	}
	t.Logf("the root namespace's side: %d live, stable %.1f s after the cut (%s)", all-nCut, time.Since(cutAt).Seconds(), w["after"])
	// The cut side may not become one ring: a node that knew none of the
	// others there (its successors, fingers and former peers all outside)
	// stays a ring of its own until the heal; check says so. Logged, not
	// asserted.
	cc := inCut.send("check")[0] // not ok while it has violations
	vs, _ := cc["violations"].([]any)
	t.Logf("the cut side %.1f s after the cut: %d live, %d violations %v", time.Since(cutAt).Seconds(), nCut, len(vs), vs)

	// Write on both sides, one after the other: k00–k09 on the root side
	// first, then on the cut side; k10–k19 the other way round. Each side's
	// writes land on its own members. A write on the cut side may fail
	// while its nodes still repair their pointers (a failed write may or
	// may not have taken effect): it is retried until one is acknowledged.
	want := map[string]string{}
	retries := map[string]int{}
	write := func(p *replProc, side string, onCut bool, from, to int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for i := from; i < to; i++ {
			k, v := fmt.Sprintf("k%02d", i), fmt.Sprintf("%s-%d", side, i)
			set := fmt.Sprintf("set %s %s", k, v)
			r := p.send(set)[0]
			for r["ok"] != true && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				retries[side]++
				r = p.send(set)[0]
			}
			if r["ok"] != true {
				t.Fatalf("%q on the %s side: %v", set, side, r["error"])
			}
			if owner, _ := r["owner"].(string); isCut(owner) != onCut {
				t.Fatalf("%q on the %s side went to %s", set, side, owner)
			}
			want[k] = v
		}
	}
	write(root, "root", false, 0, keys/2)
	write(inCut, "cut", true, 0, keys)
	write(root, "root", false, keys/2, keys)
	t.Logf("%d writes on each side; failed and retried: %v", keys, retries)

	// Heal: both REPLs see all members again, and wait says stable.
	lab.heal(cutSpace)
	healAt := time.Now()
	for _, p := range []*replProc{root, inCut} {
		awaitProcMembers(t, p, fmt.Sprintf("%d live members after the heal", all), func(rows []procRow) bool { return procAlive(rows) == all })
		p.mustOK("wait 60s")
	}
	t.Logf("one ring of %d again, stable %.1f s after the heal", all, time.Since(healAt).Seconds())

	// The later write of each key wins, read through either side.
	var gets []string
	for i := range keys {
		gets = append(gets, fmt.Sprintf("get k%02d", i))
	}
	for _, side := range []struct {
		p    *replProc
		name string
	}{{root, "root"}, {inCut, "cut"}} {
		for i, r := range side.p.mustOK(gets...) {
			k := fmt.Sprintf("k%02d", i)
			if r["found"] != true || r["value"] != want[k] {
				t.Errorf("after the heal, get %s through the %s side = %v %v, want the later write %q", k, side.name, r["found"], r["value"], want[k])
			}
		}
	}
	check = root.mustOK("check")[0]
	if v, ok := check["violations"].([]any); !ok || len(v) != 0 || check["live"] != float64(all) {
		t.Fatalf("check after the heal: %v", check)
	}
	// The copies a merge replaced are marked (how many depends on where the
	// keys' holders were: logged, not asserted).
	merged := 0
	for _, r := range procMembers(root) {
		for _, k := range root.mustOK("keys " + r.name)[0]["keys"].([]any) {
			if _, ok := k.(map[string]any)["merged_over"]; ok {
				merged++
			}
		}
	}
	t.Logf("%d copies marked merged over the other side's write; %.1f s in all", merged, time.Since(began).Seconds())
}

// TestNamespacesNetem adds delay and loss on one namespace's link with tc
// netem: calls to its nodes get slower, and no acknowledged write is lost.
// Where the kernel has no netem it skips: chordtui's own fault hooks
// (delay, drop) then stand in for it.
func TestNamespacesNetem(t *testing.T) {
	lab := newNetLab(t, 2)
	if _, err := exec.LookPath("tc"); err != nil {
		t.Skip("no tc command (Debian: apt-get install iproute2): delay and loss come from chordtui's own fault hooks (delay, drop)")
	}
	const slow = 1
	if err := runCmd("tc", "qdisc", "add", "dev", lab.spaces[slow].host, "root", "netem", "delay", "50ms", "loss", "1%"); err != nil {
		if strings.Contains(err.Error(), "qdisc kind is unknown") {
			t.Skipf("kernel has no sch_netem: delay and loss come from chordtui's own fault hooks (delay, drop) (%v)", err)
		}
		t.Skipf("tc cannot add netem here: delay and loss come from chordtui's own fault hooks (delay, drop) (%v)", err)
	}
	bin := buildBinary(t)
	key := keygen(t, bin)
	var first *nodeProc
	for i := range lab.spaces {
		for range 2 {
			// A deadline well above 50 ms and a lost segment's
			// retransmission; every lookup pings the owner it finds, so
			// that it makes a call to measure.
			args := []string{"--admin", "--key-file", key, "--listen", lab.spaces[i].addr + ":0", "--rpc-timeout", "1s", "--liveness", "0"}
			if first != nil {
				args = append(args, "--join", first.start.Addr)
			}
			p := startNode(t, lab.in(i, bin), args...)
			if first == nil {
				first = p
			}
		}
	}
	p := startREPL(t, bin, "--attach", first.start.Addr, "--key-file", key)
	awaitProcMembers(t, p, "4 live members", func(rows []procRow) bool { return procAlive(rows) == 4 })
	p.mustOK("wait 60s")

	// A call that meets loss may still time out: a write or read that
	// failed may or may not have taken effect (README), so it is retried;
	// every acknowledged write must read back.
	const keys = 200
	retried := 0
	untilOK := func(cmd func(i int) string) []map[string]any {
		t.Helper()
		out := make([]map[string]any, keys)
		todo := make([]int, keys)
		for i := range todo {
			todo[i] = i
		}
		for try := 0; len(todo) > 0; try++ {
			if try == 5 {
				t.Fatalf("%d commands still failing after 5 tries, e.g. %q", len(todo), cmd(todo[0]))
			}
			var cmds []string
			for _, i := range todo {
				cmds = append(cmds, cmd(i))
			}
			var again []int
			for j, r := range p.send(cmds...) {
				if r["ok"] == true {
					out[todo[j]] = r
				} else {
					again = append(again, todo[j])
				}
			}
			retried += len(again)
			todo = again
		}
		return out
	}
	untilOK(func(i int) string { return fmt.Sprintf("set k%03d v%d", i, i) })
	lost := 0
	for i, r := range untilOK(func(i int) string { return fmt.Sprintf("get k%03d", i) }) {
		if r["found"] != true || r["value"] != fmt.Sprintf("v%d", i) {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d keys lost with 1%% loss on %s's link", lost, keys, lab.spaces[slow].name)
	}
	t.Logf("%d keys written and read back; %d commands failed and were retried", keys, retried)

	// Lookups from a node of the other namespace: every call they make to a
	// node behind the slow link takes at least the delay.
	var slowRTT, fastRTT []float64
	for i := 0; i < 50 && len(slowRTT) < 5; i++ {
		r := p.send(fmt.Sprintf("lookup k%03d via %s", i, first.start.Name))[0]
		if r["ok"] != true {
			continue // timed out under loss: no path to measure
		}
		for _, h := range r["path"].([]any) {
			hop := h.(map[string]any)
			rtt := hop["rtt_us"].(float64) / 1000
			if lab.space(hop["addr"].(string)) == slow {
				slowRTT = append(slowRTT, rtt)
			} else {
				fastRTT = append(fastRTT, rtt)
			}
		}
	}
	if len(slowRTT) == 0 {
		t.Fatalf("50 lookups via %s made no call into %s", first.start.Name, lab.spaces[slow].name)
	}
	if m := slices.Min(slowRTT); m < 50 {
		t.Fatalf("a call into %s behind 50 ms of netem delay took %.1f ms (all: %v)", lab.spaces[slow].name, m, slowRTT)
	}
	t.Logf("calls into the delayed namespace: %v ms; to the others: %v ms", slowRTT, fastRTT)
}
