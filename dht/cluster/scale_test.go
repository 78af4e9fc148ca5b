package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"
)

// TestScale is the heavy variant of TestLifecycle, off by default:
// CHORDTUI_SCALE=128 go test ./dht/cluster -run TestScale -v
// starts that many nodes, stores keys, crashes every tenth node, and checks
// that the ring becomes stable again with every key readable. It logs the
// times to stability after start and after the crashes.
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CHORDTUI_SCALE"))
	if n == 0 {
		t.Skip("set CHORDTUI_SCALE=N to run")
	}
	cfg := testConfig(n)
	cfg.Seed = 0
	cfg.Chord.RPCTimeout = DefaultConfig().Chord.RPCTimeout
	cfg.WaitTimeout = 2 * time.Minute
	began := time.Now()
	c := startCluster(t, cfg)
	t.Logf("%d nodes started (joined) in %v", n, time.Since(began))
	t.Logf("stable %.2f s after start", wait(t, c).ConvergedIn.Seconds())
	ctx := context.Background()
	keys := 10 * n
	for i := range keys {
		_, err := c.Set(ctx, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i), "")
		must(t, "set", err)
	}
	for i := 0; i < n; i += 10 {
		must(t, "kill", c.Kill(fmt.Sprintf("n%d", i)))
	}
	t.Logf("stable %.2f s after killing every tenth node", wait(t, c).ConvergedIn.Seconds())
	if r := c.Check(); !r.OK() {
		t.Fatalf("check: %v", r.Violations)
	}
	for i := range keys {
		r, err := c.Get(ctx, fmt.Sprintf("k%d", i), "")
		if err != nil || r.Value != fmt.Sprintf("v%d", i) {
			dumpGoroutines(t)
			t.Fatalf("get k%d: %q %v", i, r.Value, err)
		}
	}
}

// dumpGoroutines writes every goroutine's stack to a file for diagnosis.
func dumpGoroutines(t *testing.T) {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("chordtui-goroutines-%d.txt", os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	if err := pprof.Lookup("goroutine").WriteTo(f, 2); err != nil {
		t.Logf("writing goroutine stacks: %v", err)
		return
	}
	t.Logf("goroutine stacks written to %s", path)
}
