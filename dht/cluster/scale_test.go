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
	res := exec(t, c, "wait")
	t.Logf("stable %.2f s after start", res.Data["seconds"])
	keys := 10 * n
	for i := range keys {
		exec(t, c, fmt.Sprintf("set k%d v%d", i, i))
	}
	for i := 0; i < n; i += 10 {
		exec(t, c, fmt.Sprintf("kill n%d", i))
	}
	res = exec(t, c, "wait")
	t.Logf("stable %.2f s after killing every tenth node", res.Data["seconds"])
	exec(t, c, "check")
	ctx := context.Background()
	for i := range keys {
		r := c.Exec(ctx, fmt.Sprintf("get k%d", i))
		if !r.OK || r.Data["value"] != fmt.Sprintf("v%d", i) {
			dumpGoroutines(t)
			t.Fatalf("get k%d: %v %v", i, r.Data["value"], r.Err)
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
	pprof.Lookup("goroutine").WriteTo(f, 2)
	t.Logf("goroutine stacks written to %s", path)
}
