package netmux_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

func TestCallRoundTrip(t *testing.T) {
	server := echoServer(t, testConfig())
	client := listen(t, testConfig())
	tests := []struct {
		name    string
		method  string
		payload []byte
	}{
		{"empty payload", "ping", nil},
		{"small", "chord.getPredecessor", []byte("hello")},
		{"binary", "dht.set", []byte{0, 1, 2, 0xff, 0xfe}},
		{"one MiB value", "dht.set", bytes.Repeat([]byte("v"), 1<<20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := callCtx(client, server.Addr(), tc.method, tc.payload, 5*time.Second)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			want := append([]byte(tc.method+":"), tc.payload...)
			if !bytes.Equal(got, want) {
				t.Fatalf("reply of %d bytes, want %d bytes", len(got), len(want))
			}
		})
	}
}

func TestHandlerErrorsAndMissingHandler(t *testing.T) {
	server := listen(t, testConfig())
	client := listen(t, testConfig())

	_, err := callCtx(client, server.Addr(), "chord.notify", nil, time.Second)
	var re *netmux.RemoteError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "no handler") {
		t.Fatalf("before Serve: got %v, want a RemoteError saying there is no handler", err)
	}

	server.Serve(func(_ context.Context, method string, req []byte) ([]byte, error) {
		switch method {
		case "fail":
			return nil, errors.New("key not found: k1")
		case "panic":
			panic("boom")
		}
		return req, nil
	})
	tests := []struct {
		method  string
		wantMsg string
	}{
		{"fail", "key not found: k1"},
		{"panic", "panicked: boom"},
	}
	for _, tc := range tests {
		_, err := callCtx(client, server.Addr(), tc.method, nil, time.Second)
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.wantMsg) {
			t.Errorf("%s: got %v, want a RemoteError containing %q", tc.method, err, tc.wantMsg)
		}
	}
	// The node survived the panic and still serves.
	if got, err := callCtx(client, server.Addr(), "ok", []byte("x"), time.Second); err != nil || string(got) != "x" {
		t.Fatalf("after panic: %q, %v", got, err)
	}
}

func TestInvalidCalls(t *testing.T) {
	cfg := testConfig()
	cfg.MaxFrameSize = 4 << 10
	server := listen(t, cfg)
	server.Serve(func(_ context.Context, _ string, req []byte) ([]byte, error) {
		return bytes.Repeat(req, 1000), nil // far larger than the frame limit
	})
	client := listen(t, cfg)
	tests := []struct {
		name    string
		method  string
		payload []byte
		check   func(error) bool
	}{
		{"request too large", "m", make([]byte, 5<<10), func(err error) bool { return errors.Is(err, netmux.ErrFrameTooLarge) }},
		{"reply too large", "m", []byte("0123456789"), func(err error) bool {
			var re *netmux.RemoteError
			return errors.As(err, &re) && strings.Contains(re.Message, "frame limit")
		}},
		{"empty method", "", nil, func(err error) bool { return err != nil && strings.Contains(err.Error(), "method") }},
		{"method with a newline", "a\nb", nil, func(err error) bool { return err != nil && strings.Contains(err.Error(), "method") }},
		{"nobody listening", "m", nil, func(err error) bool {
			// The cause is wrapped too, for callers that tell a refused
			// connection from running out of descriptors (EMFILE).
			return errors.Is(err, netmux.ErrUnreachable) && errors.Is(err, syscall.ECONNREFUSED) &&
				!errors.Is(err, context.DeadlineExceeded)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := server.Addr()
			if tc.name == "nobody listening" {
				addr = closedAddr(t)
			}
			_, err := callCtx(client, addr, tc.method, tc.payload, time.Second)
			if !tc.check(err) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// closedAddr returns an address where nothing listens.
func closedAddr(t *testing.T) string {
	tr := listen(t, testConfig())
	addr := tr.Addr()
	tr.Kill()
	return addr
}

func TestSessionIsSharedBothWays(t *testing.T) {
	a := echoServer(t, testConfig())
	b := echoServer(t, testConfig())
	mustCall(t, a, b.Addr(), "x", "1")
	// b calls a back over the session a dialled: no new connection.
	eventually(t, 2*time.Second, "b to see the session", func() bool { return b.Stats().Sessions == 1 })
	mustCall(t, b, a.Addr(), "y", "2")
	if got := b.Stats().Dials; got != 0 {
		t.Fatalf("b dialled %d times, want 0 (it should reuse a's session)", got)
	}
	if sa, sb := a.Stats(), b.Stats(); sa.Dials != 1 || sa.Sessions != 1 || sb.Sessions != 1 {
		t.Fatalf("a: %d dials %d sessions; b: %d sessions; want 1, 1, 1", sa.Dials, sa.Sessions, sb.Sessions)
	}
}

func TestSimultaneousDialSettlesOnOneSession(t *testing.T) {
	cfg := testConfig()
	cfg.IdleTimeout = 200 * time.Millisecond
	var logs logBuffer
	cfg.Logger = logs.logger()
	defer func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	}()
	for round := range 5 {
		a := echoServer(t, cfg)
		b := echoServer(t, cfg)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 20 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, err := callCtx(a, b.Addr(), "m", []byte(fmt.Sprint(i)), 2*time.Second)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := callCtx(b, a.Addr(), "m", []byte(fmt.Sprint(i)), 2*time.Second)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: concurrent cross call: %v", round, err)
			}
		}
		// Keep both busy so the preferred session stays; the other retires.
		eventually(t, 3*time.Second, "one session per side", func() bool {
			mustCall(t, a, b.Addr(), "m", "k")
			mustCall(t, b, a.Addr(), "m", "k")
			return a.Stats().Sessions == 1 && b.Stats().Sessions == 1
		})
	}
}

func TestPeerRestartAtSameAddress(t *testing.T) {
	client := echoServer(t, testConfig())
	server := echoServer(t, testConfig())
	addr := server.Addr()
	mustCall(t, client, addr, "before", "1")

	server.Kill()
	_, err := callCtx(client, addr, "during", nil, time.Second)
	if !errors.Is(err, netmux.ErrUnreachable) {
		t.Fatalf("call to a killed peer: %v, want ErrUnreachable", err)
	}

	restarted, err := netmux.Listen(addr, testConfig())
	if err != nil {
		t.Fatalf("relisten on %s: %v", addr, err)
	}
	t.Cleanup(restarted.Kill)
	restarted.Serve(echo)
	mustCall(t, client, addr, "after", "2")
	mustCall(t, restarted, client.Addr(), "back", "3")
}

func TestConcurrentCallsManyGoroutines(t *testing.T) {
	cfg := testConfig()
	nodes := make([]*netmux.Transport, 3)
	for i := range nodes {
		nodes[i] = echoServer(t, cfg)
	}
	const goroutines, calls = 24, 100
	var wg sync.WaitGroup
	var failed atomic.Int64
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from, to := nodes[g%3], nodes[(g+1+g/3)%3]
			for i := range calls {
				req := fmt.Sprintf("%d/%d", g, i)
				got, err := callCtx(from, to.Addr(), "m", []byte(req), 5*time.Second)
				if err != nil || string(got) != "m:"+req {
					failed.Add(1)
					t.Errorf("goroutine %d call %d: %q, %v", g, i, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.FailNow()
	}
	var calls64, served uint64
	for _, n := range nodes {
		s := n.Stats()
		calls64 += s.Calls
		served += s.Served
	}
	if calls64 != goroutines*calls || served != goroutines*calls {
		t.Fatalf("calls %d served %d, want %d each", calls64, served, goroutines*calls)
	}
}

func TestDeadlinesAndCancellation(t *testing.T) {
	server := listen(t, testConfig())
	handlerSawCancel := make(chan time.Duration, 4)
	entered := make(chan struct{}, 4)
	server.Serve(func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
		entered <- struct{}{}
		start := time.Now()
		<-ctx.Done()
		handlerSawCancel <- time.Since(start)
		return nil, ctx.Err()
	})
	client := listen(t, testConfig())

	t.Run("deadline", func(t *testing.T) {
		start := time.Now()
		_, err := callCtx(client, server.Addr(), "slow", nil, 100*time.Millisecond)
		if !isDeadline(err) {
			t.Fatalf("got %v, want an error wrapping context.DeadlineExceeded", err)
		}
		<-entered
		if el := time.Since(start); el > time.Second {
			t.Fatalf("call returned after %v, want about 100ms", el)
		}
		// The deadline travelled with the request: the handler's ctx ends too.
		if d := <-handlerSawCancel; d > time.Second {
			t.Fatalf("handler ctx ended after %v", d)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := client.Call(ctx, server.Addr(), "slow", nil)
			done <- err
		}()
		<-entered // the request reached the handler
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want an error wrapping context.Canceled", err)
		}
	})
	t.Run("cancel during the handshake", func(t *testing.T) {
		// A listener that accepts and never answers the handshake.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() { // exits when ln is closed
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		cfg := testConfig()
		cfg.HandshakeTimeout, cfg.CallTimeout = time.Minute, time.Minute
		caller := listen(t, cfg)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { _, err := caller.Call(ctx, ln.Addr().String(), "m", nil); done <- err }()
		eventually(t, 10*time.Second, "the dial to the silent listener", func() bool { return caller.Stats().Dials == 1 })
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want an error wrapping context.Canceled", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the call still waited for the handshake 30 s after its ctx was cancelled")
		}
	})
	// The transport still works after streams were discarded.
	server.Serve(echo)
	mustCall(t, client, server.Addr(), "m", "after")
}

func TestStatsCountCallsBytesAndLatency(t *testing.T) {
	server := echoServer(t, testConfig())
	client := listen(t, testConfig())
	for i := range 50 {
		mustCall(t, client, server.Addr(), "m", fmt.Sprint(i))
	}
	_, _ = callCtx(client, closedAddr(t), "m", nil, time.Second)
	cs, ss := client.Stats(), server.Stats()
	if cs.Calls != 51 || cs.Errors != 1 || ss.Served != 50 {
		t.Fatalf("client calls %d errors %d, server served %d; want 51, 1, 50", cs.Calls, cs.Errors, ss.Served)
	}
	if cs.BytesOut < 50*10 || ss.BytesIn < cs.BytesOut/2 || cs.BytesIn == 0 {
		t.Fatalf("bytes: client out %d in %d, server in %d", cs.BytesOut, cs.BytesIn, ss.BytesIn)
	}
	if cs.P50 <= 0 || cs.P50 > cs.P90 || cs.P90 > cs.P99 || cs.P99 > time.Second {
		t.Fatalf("latency percentiles out of order or absurd: p50 %v p90 %v p99 %v", cs.P50, cs.P90, cs.P99)
	}
}

func TestIdleSessionsAreReapedAndRedialled(t *testing.T) {
	cfg := testConfig()
	cfg.IdleTimeout = 50 * time.Millisecond
	a := echoServer(t, cfg)
	b := echoServer(t, cfg)
	mustCall(t, a, b.Addr(), "m", "1")
	eventually(t, 3*time.Second, "idle session to be retired on both sides", func() bool {
		return a.Stats().Sessions == 0 && b.Stats().Sessions == 0
	})
	mustCall(t, a, b.Addr(), "m", "2")
	if got := a.Stats().Dials; got != 2 {
		t.Fatalf("a dialled %d times, want 2 (one redial after reaping)", got)
	}
}

func TestCallToSelf(t *testing.T) {
	cfg := testConfig()
	cfg.IdleTimeout = 50 * time.Millisecond
	a := echoServer(t, cfg)
	for i := range 3 {
		mustCall(t, a, a.Addr(), "self", fmt.Sprint(i))
	}
	eventually(t, 3*time.Second, "self session to be retired", func() bool { return a.Stats().Sessions == 0 })
	mustCall(t, a, a.Addr(), "self", "again")
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*netmux.Config)
		wantErr string
	}{
		{"default", func(*netmux.Config) {}, ""},
		{"tiny frame", func(c *netmux.Config) { c.MaxFrameSize = 10 }, "max frame size"},
		{"no streams", func(c *netmux.Config) { c.MaxStreamsPerSession = 0 }, "max streams per session"},
		{"idle above max", func(c *netmux.Config) { c.MaxIdleStreams = c.MaxStreamsPerSession + 1 }, "max idle streams"},
		{"zero handshake", func(c *netmux.Config) { c.HandshakeTimeout = 0 }, "handshake timeout must be positive"},
		{"zero call timeout", func(c *netmux.Config) { c.CallTimeout = 0 }, "call timeout must be positive"},
		{"negative idle", func(c *netmux.Config) { c.IdleTimeout = -1 }, "idle timeout"},
		{"no pending handshakes", func(c *netmux.Config) { c.MaxPendingHandshakes = 0 }, "max pending handshakes"},
		{"negative session cap", func(c *netmux.Config) { c.MaxSessions = -1 }, "max sessions"},
		{"negative evict-after", func(c *netmux.Config) { c.EvictAfter = -1 }, "evict-after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := netmux.DefaultConfig()
			tc.mutate(&c)
			err := c.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.wantErr)
			}
			if _, err := netmux.Listen("127.0.0.1:0", c); err == nil {
				t.Fatal("Listen accepted an invalid config")
			}
		})
	}
}
