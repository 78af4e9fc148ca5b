package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chordtui/chordtui/tui/screentest"
	"github.com/redis/go-redis/v9"
)

// The RESP endpoint through the real binary, with the real redis-cli and
// redis-benchmark (Debian's redis-tools; .ci/run installs them). Each test
// skips, saying so, when they are missing.

// needTool skips the test when tool is not on PATH.
func needTool(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install redis-tools): skipping the end-to-end RESP test", tool)
	}
	return path
}

// startRESP starts "chordtui repl --json --resp 127.0.0.1:0 N" and
// returns it with the port its resp command reports.
func startRESP(t *testing.T, n int, extra ...string) (*replProc, string) {
	t.Helper()
	bin := buildBinary(t)
	p := startREPL(t, bin, append([]string{"--resp", "127.0.0.1:0", strconv.Itoa(n)}, extra...)...)
	r := p.mustOK("resp")[0]
	addr, _ := r["addr"].(string)
	i := strings.LastIndexByte(addr, ':')
	if i < 0 || r["serving"] != "n0" {
		t.Fatalf("resp: %v", r)
	}
	return p, addr[i+1:]
}

// redisCLI runs redis-cli against port with args (and stdin), returning
// its output.
func redisCLI(t *testing.T, port string, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("redis-cli", append([]string{"-p", port}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %q: %v\n%s", args, err, out)
	}
	return out
}

func TestRESPRedisCLI(t *testing.T) {
	needTool(t, "redis-cli")
	p, port := startRESP(t, 8)
	if out := redisCLI(t, port, nil, "ping"); string(out) != "PONG\n" {
		t.Errorf("ping = %q", out)
	}
	if out := redisCLI(t, port, nil, "set", "greeting", "hello, wide world"); string(out) != "OK\n" {
		t.Errorf("set = %q", out)
	}
	if out := redisCLI(t, port, nil, "get", "greeting"); string(out) != "hello, wide world\n" {
		t.Errorf("get = %q", out)
	}
	// The same key through the command language: one DHT.
	if r := p.mustOK("get greeting")[0]; r["value"] != "hello, wide world" {
		t.Errorf("the REPL's get greeting = %v", r["value"])
	}
	bin := []byte{'a', ' ', 0, 1, '\r', '\n', 0xfe, 0xff, ' ', 'z'}
	if out := redisCLI(t, port, bin, "-x", "set", "binary key"); string(out) != "OK\n" {
		t.Errorf("set -x = %q", out)
	}
	if out := redisCLI(t, port, nil, "--raw", "get", "binary key"); !bytes.Equal(out, append(bin, '\n')) {
		t.Errorf("get of binary bytes = %q, want %q", out, bin)
	}
	// Not at a terminal, redis-cli prints replies raw ("10", not "(integer) 10").
	if out := redisCLI(t, port, nil, "strlen", "binary key"); string(out) != "10\n" {
		t.Errorf("strlen = %q", out)
	}
	if out := redisCLI(t, port, nil, "incrby", "counter", "5"); string(out) != "5\n" {
		t.Errorf("incrby = %q", out)
	}
	if out := redisCLI(t, port, nil, "frobnicate", "x"); !strings.HasPrefix(string(out), "ERR unknown command 'frobnicate', with args beginning with: 'x'") {
		t.Errorf("unknown command = %q", out)
	}
	if out := redisCLI(t, port, nil, "set", "k", "v", "EX", "10"); !strings.Contains(string(out), "ERR SET EX is not supported") {
		t.Errorf("set EX = %q", out)
	}
	if out := redisCLI(t, port, nil, "info", "chord"); !strings.Contains(string(out), "ring_live_nodes:8") {
		t.Errorf("info chord = %q", out)
	}
	// A session: several commands on one connection (redis-cli reads
	// COMMAND DOCS first, for its help and hints).
	out := redisCLI(t, port, []byte("set session 'two words'\nget session\nclient setname tester\nclient getname\nexists session nothing\n"))
	if string(out) != "OK\ntwo words\nOK\ntester\n1\n" {
		t.Errorf("a session of commands:\n%s", out)
	}
	if out := redisCLI(t, port, nil, "--no-raw", "command", "docs", "get"); !strings.Contains(string(out), "Returns the value of a key") {
		t.Errorf("command docs get:\n%s", out)
	}
	r := p.mustOK("resp")[0]
	if r["requests"].(float64) < 12 || r["errors"].(float64) != 2 {
		t.Errorf("resp after the session: %v requests, %v errors; want at least 12 and exactly 2", r["requests"], r["errors"])
	}
	p.mustOK("quit")
	if code := p.exit(); code != 0 {
		t.Fatalf("exit status %d (stderr: %s)", code, p.errb.String())
	}
}

func TestRESPBenchmark(t *testing.T) {
	needTool(t, "redis-benchmark")
	p, port := startRESP(t, 16)
	cmd := exec.Command("redis-benchmark", "-p", port, "-t", "set,get", "-n", "5000", "-c", "16", "-q")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	text := strings.ReplaceAll(string(out), "\r", "\n")
	for _, op := range []string{"SET", "GET"} {
		if !regexp.MustCompile(`(?m)^` + op + `: [0-9.]+ requests per second`).MatchString(text) {
			t.Errorf("redis-benchmark did not complete %s:\n%s", op, text)
		}
	}
	if strings.Contains(strings.ToLower(text), "error") {
		t.Errorf("redis-benchmark reported errors:\n%s", text)
	}
	r := p.mustOK("resp")[0]
	if r["errors"].(float64) != 0 || r["requests"].(float64) < 10000 {
		t.Errorf("resp after the benchmark: %v requests, %v errors", r["requests"], r["errors"])
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "requests per second") {
			t.Log(strings.TrimSpace(l))
		}
	}
}

// TestRESPConcurrentIncr: 24 redis-benchmark clients INCR one counter
// through the endpoint at once: none gets an error reply, the counter ends
// at the number of INCRs, and they take turns at the node instead of
// conflicting: the node the endpoint goes through makes no more calls per
// INCR (stats) than for the INCRs of one client alone.
func TestRESPConcurrentIncr(t *testing.T) {
	needTool(t, "redis-benchmark")
	p, port := startRESP(t, 8)
	calls := func() float64 {
		for _, n := range p.mustOK("stats")[0]["nodes"].([]any) {
			if m := n.(map[string]any); m["name"] == "n0" {
				return m["calls"].(float64)
			}
		}
		t.Fatal("stats: no n0")
		return 0
	}
	incr := func(clients, n int) float64 { // n0's calls per INCR
		t.Helper()
		before := calls()
		cmd := exec.Command("redis-benchmark", "-p", port, "-t", "incr", "-n", strconv.Itoa(n), "-c", strconv.Itoa(clients), "-q")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-benchmark: %v\n%s", err, out)
		}
		text := strings.ReplaceAll(string(out), "\r", "\n")
		if strings.Contains(strings.ToLower(text), "error") || !strings.Contains(text, "INCR: ") {
			t.Fatalf("redis-benchmark -c %d did not complete its INCRs without errors:\n%s", clients, text)
		}
		return (calls() - before) / float64(n)
	}
	const alone, together = 500, 3000
	one := incr(1, alone)
	many := incr(24, together)
	// redis-benchmark's INCR test increments the key counter:__rand_int__.
	if got := strings.TrimSpace(string(redisCLI(t, port, nil, "GET", "counter:__rand_int__"))); got != strconv.Itoa(alone+together) {
		t.Errorf("counter after %d INCRs = %q", alone+together, got)
	}
	if r := p.mustOK("resp")[0]; r["errors"].(float64) != 0 {
		t.Errorf("resp after the INCRs: %v errors", r["errors"])
	}
	if many > 1.5*one {
		t.Errorf("n0 made %.1f calls per INCR of 24 clients at once, against %.1f for one client alone: they conflict", many, one)
	}
	t.Logf("n0's calls per INCR: %.2f alone, %.2f with 24 clients", one, many)
}

// TestRESPUnderFaults: while redis-benchmark runs and clients read and
// write through the endpoint, one node is killed from the REPL, then two
// nodes adjacent on the ring (never the node the endpoint goes through).
// Every read of a key written before the faults returns its value (its
// holders are never all down: r = 3); a write may fail while its owner is
// replaced, always as an error reply; afterwards every key holds its last
// acknowledged value or a later one that was attempted.
func TestRESPUnderFaults(t *testing.T) {
	needTool(t, "redis-benchmark")
	p, port := startRESP(t, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, PoolSize: 8, MaxRetries: -1, ReadTimeout: 30 * time.Second})
	defer rc.Close()

	const static, written = 200, 40
	for i := range static {
		if err := rc.Set(ctx, fmt.Sprintf("static-%03d", i), fmt.Sprintf("value %d", i), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}

	bench := exec.Command("redis-benchmark", "-p", port, "-t", "set,get", "-n", "100000000", "-c", "8", "-r", "10000", "-e", "-q")
	var benchOut bytes.Buffer
	bench.Stdout, bench.Stderr = &benchOut, &benchOut
	if err := bench.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = bench.Process.Kill(); _ = bench.Wait() }()

	// gate holds the load while the test waits for a stable ring between
	// the faults, so that each wait judges every key at rest (a wait under
	// writes: TestRESPStableUnderWrites). The faults themselves and the
	// repair after them happen under load.
	var gate sync.RWMutex
	pause := func() { gate.Lock(); _ = bench.Process.Signal(syscall.SIGSTOP) }
	resume := func() { _ = bench.Process.Signal(syscall.SIGCONT); gate.Unlock() }
	var reads, readFails, wrongReads, writes, writeFails atomic.Int64
	var failMu sync.Mutex
	var failures []string
	note := func(format string, args ...any) {
		failMu.Lock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
		failMu.Unlock()
	}
	// attempted[k] are the values written to key k in order; acked[k] the
	// index of the last acknowledged one (-1: none).
	attempted := make([][]string, written)
	acked := make([]int, written)
	for k := range acked {
		acked[k] = -1
	}
	var wg sync.WaitGroup
	for c := range 4 { // readers of the static keys
		wg.Add(1)
		go func() { // exits when ctx is cancelled
			defer wg.Done()
			for i := c; ctx.Err() == nil; i += 4 {
				k := i % static
				gate.RLock()
				v, err := rc.Get(ctx, fmt.Sprintf("static-%03d", k)).Result()
				gate.RUnlock()
				if ctx.Err() != nil {
					return
				}
				reads.Add(1)
				switch {
				case err != nil:
					readFails.Add(1)
					note("GET static-%03d: %v", k, err)
				case v != fmt.Sprintf("value %d", k):
					wrongReads.Add(1)
					note("GET static-%03d = %q", k, v)
				}
			}
		}()
	}
	for c := range 2 { // writers, each on its own half of the keys
		wg.Add(1)
		go func() { // exits when ctx is cancelled
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				k := c + 2*(i%(written/2))
				v := fmt.Sprintf("w%d-%d", k, i)
				attempted[k] = append(attempted[k], v)
				gate.RLock()
				err := rc.Set(ctx, fmt.Sprintf("written-%02d", k), v, 0).Err()
				gate.RUnlock()
				if ctx.Err() != nil {
					return
				}
				writes.Add(1)
				if err != nil {
					writeFails.Add(1)
					note("SET written-%02d: %v", k, err)
					continue
				}
				acked[k] = len(attempted[k]) - 1
			}
		}()
	}
	ring := respRingOrder(t, p)
	pick := func(i int) string { // the i-th node in ring order after n0
		start := 0
		for j, n := range ring {
			if n == "n0" {
				start = j
			}
		}
		return ring[(start+i)%len(ring)]
	}
	// Each phase runs the load for two seconds: before the first fault,
	// after each (the repair happens under load), then the ring must be
	// stable before the next fault.
	loadFor := func() { time.Sleep(2 * time.Second) }
	loadFor()
	one, a, b := pick(5), pick(10), pick(11)
	p.mustOK("kill " + one)
	loadFor()
	pause()
	waitRes := p.mustOK("wait 60s")[0]
	resume()
	t.Logf("killed %s: stable %.3f s after", one, waitRes["seconds"])
	p.mustOK("kill "+a, "kill "+b)
	loadFor()
	pause()
	waitRes = p.mustOK("wait 60s")[0]
	resume()
	t.Logf("killed %s and %s (adjacent): stable %.3f s after", a, b, waitRes["seconds"])
	loadFor()
	cancel()
	wg.Wait()
	_ = bench.Process.Kill()
	_ = bench.Wait()

	// Every written key holds its last acknowledged value or a later one.
	fresh := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, MaxRetries: -1})
	defer fresh.Close()
	for k := range written {
		v, err := fresh.Get(context.Background(), fmt.Sprintf("written-%02d", k)).Result()
		if acked[k] < 0 {
			continue
		}
		if err != nil {
			t.Errorf("GET written-%02d after the faults: %v", k, err)
			continue
		}
		later := attempted[k][acked[k]:]
		if !contains(later, v) {
			t.Errorf("written-%02d = %q, not its last acknowledged value %q or a later one", k, v, later[0])
		}
	}
	benchErrors := strings.Count(benchOut.String(), "Error from server")
	st := p.mustOK("resp")[0]
	t.Logf("clients: %d reads of keys never rewritten, %d failed, %d wrong; %d writes, %d failed (each an error reply)",
		reads.Load(), readFails.Load(), wrongReads.Load(), writes.Load(), writeFails.Load())
	t.Logf("endpoint: %v requests, %v error replies; redis-benchmark printed %d errors (at most one a second)", st["requests"], st["errors"], benchErrors)
	for _, f := range failures {
		t.Log("  " + f)
	}
	if readFails.Load() > 0 || wrongReads.Load() > 0 {
		t.Errorf("%d reads failed and %d returned a wrong value, want 0 and 0: the holders of every key were never all down",
			readFails.Load(), wrongReads.Load())
	}
	if reads.Load() == 0 || writes.Load() == 0 {
		t.Errorf("the clients made %d reads and %d writes", reads.Load(), writes.Load())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// respRingOrder lists the live nodes' names in ring order (by identifier).
func respRingOrder(t *testing.T, p *replProc) []string {
	t.Helper()
	type node struct{ name, id string }
	var ring []node
	for _, n := range p.mustOK("nodes")[0]["nodes"].([]any) {
		m := n.(map[string]any)
		if m["state"] == "alive" {
			ring = append(ring, node{m["name"].(string), m["id"].(string)})
		}
	}
	sort.Slice(ring, func(i, j int) bool { return ring[i].id < ring[j].id })
	out := make([]string, len(ring))
	for i, n := range ring {
		out[i] = n.name
	}
	if len(out) == 0 {
		t.Fatal(errors.New("no live node"))
	}
	return out
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago
// (the TUI cannot print the one port 0 would pick).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestRESPWithTUI is the promise in the terminal UI: a value
// redis-cli stores is what :get shows, redis-benchmark's traffic is on
// screen (requests/s in the status bar, with f its lookups on the ring),
// and it runs without an error reply while a node is killed from the UI.
func TestRESPWithTUI(t *testing.T) {
	needTool(t, "redis-cli")
	needTool(t, "redis-benchmark")
	port := freePort(t)
	s := startTmux(t, "--resp", ":"+port, "16")
	s.waitFor(60*time.Second, "16/16 alive", "✓ stable")
	if out := redisCLI(t, port, nil, "set", "greeting", "hello from redis-cli"); string(out) != "OK\n" {
		t.Fatalf("redis-cli set = %q", out)
	}
	s.keys(":get greeting", "Enter")
	scr := s.waitFor(10*time.Second, "✓ get greeting")
	if msg := screentest.LastLines(scr, 2); !strings.Contains(msg, `"hello from redis-cli"`) {
		t.Errorf(":get greeting does not show the value redis-cli stored:\n%s", msg)
	}
	// esc closes the get's lookup; f shows the nodes' lookups, and so the
	// clients' lookups on the ring.
	s.keys("", "Escape")                  // alone: an escape followed at once by f reads as alt+f
	s.waitFor(5*time.Second, "⠉ fingers") // the ring's legend without a lookup
	s.keys("f")
	bench := exec.Command("redis-benchmark", "-p", port, "-t", "set,get", "-n", "20000", "-c", "16", "-r", "1000", "-e", "-q")
	var out bytes.Buffer
	bench.Stdout, bench.Stderr = &out, &out
	if err := bench.Start(); err != nil {
		t.Fatal(err)
	}
	// While it runs: its requests per second in the status bar, and the
	// newest lookup of a client's command on the ring, named in the legend.
	busy, drawn := regexp.MustCompile(`RESP [1-9][0-9]* req/s`), regexp.MustCompile(`RESP (set|get) key:0`)
	for deadline := time.Now().Add(20 * time.Second); ; {
		scr := s.capture()
		bar, _, _ := strings.Cut(scr, "\n")
		if busy.MatchString(bar) && drawn.MatchString(scr) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no RESP traffic on screen while redis-benchmark runs:\n%s", scr)
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bound wait
	}
	s.keys(":kill n5", "Enter") // while the benchmark runs
	s.waitFor(10*time.Second, "15/16 alive")
	if err := bench.Wait(); err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, out.String())
	}
	text := strings.ReplaceAll(out.String(), "\r", "\n")
	if strings.Contains(text, "Error") || !strings.Contains(text, "GET: ") {
		t.Errorf("redis-benchmark with n5 killed during the run:\n%s", text)
	}
	if got := redisCLI(t, port, nil, "get", "greeting"); string(got) != "hello from redis-cli\n" {
		t.Errorf("get greeting after the kill = %q", got)
	}
	s.keys("q")
	s.waitExit(15 * time.Second)
}

// TestRESPHotKeyReadsAreFresh: many clients GET one key while another
// SETs it to 1, 2, 3, ...: GETs of a key that arrive together share reads
// at the serving node, and each must still return a value at least as new
// as the last SET acknowledged before it was sent.
func TestRESPHotKeyReadsAreFresh(t *testing.T) {
	_, port := startRESP(t, 16)
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, PoolSize: 20, MaxRetries: -1, ReadTimeout: 30 * time.Second})
	defer rc.Close()
	const writes, readers = 300, 16
	var acked atomic.Int64
	if err := rc.Set(ctx, "hot", "0", 0).Err(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var reads, stale atomic.Int64
	var mu sync.Mutex
	var firstStale string
	var wg sync.WaitGroup
	for range readers {
		wg.Add(1)
		go func() { // exits when the writer is done
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				before := acked.Load()
				v, err := rc.Get(ctx, "hot").Result()
				if err != nil {
					t.Errorf("GET hot: %v", err)
					return
				}
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Errorf("GET hot = %q", v)
					return
				}
				reads.Add(1)
				if n < before {
					stale.Add(1)
					mu.Lock()
					if firstStale == "" {
						firstStale = fmt.Sprintf("GET returned %d after SET %d was acknowledged", n, before)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := int64(1); i <= writes; i++ {
		if err := rc.Set(ctx, "hot", strconv.FormatInt(i, 10), 0).Err(); err != nil {
			t.Fatalf("SET hot %d: %v", i, err)
		}
		acked.Store(i)
	}
	close(done)
	wg.Wait()
	if stale.Load() > 0 {
		t.Fatalf("%d of %d GETs were stale; the first: %s", stale.Load(), reads.Load(), firstStale)
	}
	if reads.Load() < writes {
		t.Errorf("only %d GETs ran during %d SETs", reads.Load(), writes)
	}
	t.Logf("%d GETs by %d clients during %d SETs, none stale", reads.Load(), readers, writes)
}

// TestRESPStableUnderWrites checks that a ring repaired after a crash is
// called stable while clients keep writing: the stable check reads the
// nodes' keys one after another, and a key written meanwhile is judged by
// where its copies are, not by their versions (a write is under way).
// Every acknowledged value is read back afterwards.
func TestRESPStableUnderWrites(t *testing.T) {
	p, port := startRESP(t, 10, "--seed", "3")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, PoolSize: 8, MaxRetries: -1, ReadTimeout: 30 * time.Second})
	defer rc.Close()
	const keys = 200
	// Many keys at rest make each stable check read for longer, and so
	// see more writes under way.
	for i := 0; i < 2000; i += 100 {
		var kv []any
		for j := i; j < i+100; j++ {
			kv = append(kv, fmt.Sprintf("rest-%04d", j), j)
		}
		if err := rc.MSet(ctx, kv...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	p.mustOK("wait 60s")
	var mu sync.Mutex
	acked, tried := map[string]string{}, map[string]string{} // the last acknowledged and attempted values
	var writes atomic.Int64
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Add(1)
		go func() { // exits when ctx is cancelled
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				k, v := fmt.Sprintf("w-%02d", (i*8+c)%keys), fmt.Sprintf("v%d-%d", c, i)
				mu.Lock()
				tried[k] = v
				mu.Unlock()
				if err := rc.Set(ctx, k, v, 0).Err(); err == nil {
					mu.Lock()
					acked[k] = v
					mu.Unlock()
					writes.Add(1)
				}
			}
		}()
	}
	for writes.Load() < 200 { // under way
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
		time.Sleep(time.Millisecond) // polling the count
	}
	res := p.send("kill n5", "wait 10s")
	before := writes.Load()
	cancel()
	wg.Wait()
	if res[0]["ok"] != true || res[1]["ok"] != true || res[1]["after"] != "kill n5" {
		t.Fatalf("kill n5, wait 10s under writes: %v / %v", res[0], res[1])
	}
	if writes.Load() <= 200 || before <= 200 {
		t.Fatalf("only %d writes: the wait was not under load", writes.Load())
	}
	// Sequential reads through a fresh client: each key reads its last
	// acknowledged value, or the one attempted after it, which failed only
	// because the test stopped and may have been applied (each key has one
	// writer).
	rc2 := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port})
	defer rc2.Close()
	for k, v := range acked {
		if got, err := rc2.Get(context.Background(), k).Result(); err != nil || got != v && got != tried[k] {
			t.Errorf("GET %s = %q, %v; want %q (or %q)", k, got, err, v, tried[k])
		}
	}
}
