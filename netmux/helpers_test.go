package netmux_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// logBuffer is a thread-safe sink for a test's slog output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testConfig is DefaultConfig with timeouts short enough for tests.
func testConfig() netmux.Config {
	cfg := netmux.DefaultConfig()
	cfg.HandshakeTimeout = time.Second
	cfg.ReadTimeout = time.Second
	cfg.CallTimeout = 2 * time.Second
	cfg.CloseTimeout = time.Second
	return cfg
}

// listen starts a transport on a free port and kills it when the test ends.
func listen(t testing.TB, cfg netmux.Config) *netmux.Transport {
	t.Helper()
	tr, err := netmux.Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(tr.Kill)
	return tr
}

// echo answers every call with method + ":" + request.
func echo(_ context.Context, method string, req []byte) ([]byte, error) {
	return append([]byte(method+":"), req...), nil
}

// echoServer is a listening transport that serves echo.
func echoServer(t testing.TB, cfg netmux.Config) *netmux.Transport {
	tr := listen(t, cfg)
	tr.Serve(echo)
	return tr
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	interval := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(interval) // polling interval, not a synchronisation
		interval = min(2*interval, 20*time.Millisecond)
	}
}

// callCtx makes a call with a timeout.
func callCtx(tr *netmux.Transport, addr, method string, req []byte, d time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return tr.Call(ctx, addr, method, req)
}

// mustCall makes a call that must succeed with the echo reply.
func mustCall(t testing.TB, tr *netmux.Transport, addr, method, req string) {
	t.Helper()
	got, err := callCtx(tr, addr, method, []byte(req), 2*time.Second)
	if err != nil {
		t.Fatalf("call %s to %s: %v", method, addr, err)
	}
	if want := method + ":" + req; string(got) != want {
		t.Fatalf("call %s to %s = %q, want %q", method, addr, got, want)
	}
}

// goroutineBaseline waits for the goroutine count to settle and returns it.
func goroutineBaseline() int {
	runtime.GC()
	return runtime.NumGoroutine()
}

// checkNoLeak polls until the goroutine count is back to baseline.
func checkNoLeak(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= baseline {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines still running, baseline %d:\n%s", n, baseline, onlyNetmux(string(buf)))
		}
		time.Sleep(2 * time.Millisecond) // polling interval
	}
}

// onlyNetmux keeps the goroutine dumps that mention netmux or yamux.
func onlyNetmux(dump string) string {
	var keep []string
	for _, g := range strings.Split(dump, "\n\n") {
		if strings.Contains(g, "netmux") || strings.Contains(g, "yamux") {
			keep = append(keep, g)
		}
	}
	return strings.Join(keep, "\n\n")
}

func isDeadline(err error) bool { return errors.Is(err, context.DeadlineExceeded) }

// dialFrom connects to addr from the loopback address 127.0.0.n (n ≥ 2),
// so that the node sees a peer host of its own; it skips the test where
// only 127.0.0.1 can be bound (Linux routes all of 127.0.0.0/8 to lo).
func dialFrom(t *testing.T, n int, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(n))}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot dial from 127.0.0.%d: %v", n, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
