package netmux_test

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

var scaleNodes = flag.Int("netmux.scale", 64, "number of transports in TestScaleFileDescriptors (1024 for the full run)")

// openFDs counts this process's open file descriptors.
func openFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count file descriptors: %v", err)
	}
	return len(ents)
}

// TestScaleFileDescriptors starts N transports in one process under a
// 20,000 file-descriptor limit. Every node calls 16 others the way Chord
// nodes talk: node i calls i±1, i±2, i±4, … i±128 (its fingers, and the
// nodes whose fingers point at it). Because a session serves both
// directions, that is 8 sessions per node, 2 descriptors each (both ends are
// in this process), plus one listener per node. With 1024 nodes that is 16
// session ends per node, more than the default MaxSessions (12): the cap
// retires idle ones and keeps the descriptors near n × 12 + n. Then idle
// reaping closes every session. The default run uses 64 nodes; the full one:
//
//	go test ./netmux -run TestScaleFileDescriptors -netmux.scale 1024 -v
func TestScaleFileDescriptors(t *testing.T) {
	n := *scaleNodes
	const limit = 20000
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	if rl.Max < limit && n >= 1024 {
		t.Skipf("hard file-descriptor limit %d is below %d", rl.Max, limit)
	}
	if rl.Cur > limit {
		saved := rl
		rl.Cur = limit
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			t.Fatalf("setrlimit: %v", err)
		}
		t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &saved) })
	}

	// Count from a state where the runtime's network poller (epoll and
	// eventfd descriptors) already exists.
	if tr, err := netmux.Listen("127.0.0.1:0", netmux.DefaultConfig()); err == nil {
		tr.Kill()
	}
	before := openFDs(t)
	cfg := netmux.DefaultConfig()
	cfg.IdleTimeout = max(time.Second, time.Duration(n)*30*time.Millisecond) // longer than the calls take
	cfg.KeepAliveInterval = 0                                                // 2n·8 idle pings would only add noise here
	cfg.MaxIdleStreams = 1
	// The point is descriptors, not speed: on a loaded 2-core machine a
	// thousand nodes handshaking at once need patience.
	cfg.DialTimeout = 20 * time.Second
	cfg.HandshakeTimeout = 20 * time.Second
	nodes := make([]*netmux.Transport, n)
	for i := range nodes {
		tr, err := netmux.Listen("127.0.0.1:0", cfg)
		if err != nil {
			t.Fatalf("listen #%d: %v", i, err)
		}
		tr.Serve(echo)
		nodes[i] = tr
	}
	defer func() {
		var wg sync.WaitGroup
		for _, tr := range nodes {
			wg.Add(1)
			go func() { defer wg.Done(); tr.Kill() }()
		}
		wg.Wait()
	}()

	var offsets []int
	for k := 1; k <= 128 && 2*k <= n; k *= 2 {
		offsets = append(offsets, k, -k)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	busy := make(chan struct{}, 64) // at most 64 nodes making calls at once
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			busy <- struct{}{}
			defer func() { <-busy }()
			for _, off := range offsets {
				to := nodes[((i+off)%n+n)%n]
				if _, err := callCtx(nodes[i], to.Addr(), "finger", []byte("x"), 60*time.Second); err != nil {
					errs <- fmt.Errorf("node %d → %+d: %w", i, off, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	callsTook := time.Since(start)
	peak := openFDs(t) - before

	// Sessions opened by both ends at once are settled within a reaper tick;
	// count again when that is done.
	distinctPairs := n * len(offsets) / 2
	if n == 2*offsets[len(offsets)-2] { // i+n/2 and i-n/2 are the same node
		distinctPairs -= n / 2
	}
	sessions := func() int {
		total := 0
		for _, tr := range nodes {
			total += tr.Stats().Sessions
		}
		return total / 2
	}
	eventually(t, 30*time.Second, "duplicate sessions to be retired", func() bool { return sessions() <= distinctPairs })
	steady := openFDs(t) - before
	t.Logf("%d nodes, %d calls each in %v: peak %d fds, steady %d fds (%d sessions for %d node pairs, %d listeners), limit %d",
		n, len(offsets), callsTook.Round(time.Millisecond), peak, steady, sessions(), distinctPairs, n, limit)
	if peak+before >= limit {
		t.Fatalf("peak of %d descriptors reached the %d limit", peak+before, limit)
	}
	if capped := n*(cfg.MaxSessions+2) + n; cfg.MaxSessions > 0 && peak > capped {
		t.Fatalf("peak of %d descriptors above %d: the session cap (%d) did not hold", peak, capped, cfg.MaxSessions)
	}
	if want := n + 2*distinctPairs; steady > want+n/8 {
		t.Fatalf("%d descriptors in steady state, want about %d (sessions not shared?)", steady, want)
	}

	// With no traffic, idle reaping closes every session.
	eventually(t, 2*cfg.IdleTimeout+10*time.Second, "idle sessions to be reaped", func() bool { return sessions() == 0 })
	t.Logf("sessions reaped %v after the calls began", time.Since(start).Round(time.Millisecond))
	eventually(t, 10*time.Second, "descriptors to be released", func() bool { return openFDs(t)-before <= n })
	t.Logf("after idle reaping (%v after the calls began): %d fds (the %d listeners)", time.Since(start).Round(time.Millisecond), openFDs(t)-before, n)
}

// TestSessionFootprint measures what an idle session costs: goroutines and
// memory (heap and goroutine stacks, both ends in this process) per session
// after every pair of n transports made one call. These are what limit the
// ring size one process can hold.
func TestSessionFootprint(t *testing.T) {
	const n = 40
	cfg := testConfig()
	cfg.MaxSessions = 0
	cfg.IdleTimeout = 0
	nodes := make([]*netmux.Transport, n)
	for i := range nodes {
		nodes[i] = echoServer(t, cfg)
	}
	g0, m0, s0 := goroutinesAndMemory()
	for i, from := range nodes {
		for _, to := range nodes[i+1:] {
			mustCall(t, from, to.Addr(), "m", "x")
		}
	}
	pairs := n * (n - 1) / 2
	eventually(t, 5*time.Second, "one session per pair", func() bool {
		total := 0
		for _, tr := range nodes {
			total += tr.Stats().Sessions
		}
		return total == 2*pairs
	})
	g1, m1, s1 := goroutinesAndMemory()
	perG := float64(g1-g0) / float64(pairs)
	kib := func(b0, b1 uint64) float64 { return (float64(b1) - float64(b0)) / float64(pairs) / 1024 }
	t.Logf("per idle session (both ends): %.1f goroutines, %.1f KiB heap, %.1f KiB stacks",
		perG, kib(m0, m1), kib(s0, s1))
	// Both ends: yamux's receive and send loops and netmux's stream
	// acceptor (3 each), plus the server of the one pooled stream.
	if perG > 7.5 {
		t.Errorf("%.1f goroutines per idle session, want at most 7", perG)
	}
}

// goroutinesAndMemory returns the goroutine count, the bytes of heap in
// use and of goroutine stacks, after a GC.
func goroutinesAndMemory() (goroutines int, heap, stacks uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), ms.HeapInuse, ms.StackInuse
}
