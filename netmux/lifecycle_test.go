package netmux_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

func TestNoGoroutineLeftAfterCloseOrKill(t *testing.T) {
	for _, mode := range []string{"close", "kill", "close-then-kill"} {
		t.Run(mode, func(t *testing.T) {
			baseline := goroutineBaseline()
			cfg := testConfig()
			cfg.IdleTimeout = time.Minute // reaper running
			cfg.KeepAliveInterval = time.Second
			nodes := make([]*netmux.Transport, 4)
			for i := range nodes {
				tr, err := netmux.Listen("127.0.0.1:0", cfg)
				if err != nil {
					t.Fatal(err)
				}
				tr.Serve(echo)
				nodes[i] = tr
			}
			// Sessions in both directions, pooled streams, and a silent
			// client still in its handshake.
			silent, err := net.Dial("tcp", nodes[0].Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer silent.Close()
			var wg sync.WaitGroup
			for i, from := range nodes {
				for j, to := range nodes {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for k := range 5 {
							_, _ = callCtx(from, to.Addr(), "m", []byte(fmt.Sprint(i, j, k)), time.Second)
						}
					}()
				}
			}
			wg.Wait()
			for _, tr := range nodes {
				switch mode {
				case "close":
					if err := tr.Close(); err != nil {
						t.Fatal(err)
					}
				case "kill":
					tr.Kill()
				default:
					_ = tr.Close()
					tr.Kill()
				}
			}
			for _, tr := range nodes {
				if _, err := callCtx(tr, nodes[0].Addr(), "m", nil, time.Second); !errors.Is(err, netmux.ErrClosed) {
					t.Fatalf("call after shutdown: %v, want ErrClosed", err)
				}
			}
			checkNoLeak(t, baseline)
		})
	}
}

func TestCloseLetsCallsInFlightFinish(t *testing.T) {
	server := listen(t, testConfig())
	release := make(chan struct{})
	entered := make(chan struct{})
	server.Serve(func(ctx context.Context, _ string, req []byte) ([]byte, error) {
		close(entered)
		<-release
		return req, nil
	})
	client := listen(t, testConfig())
	result := make(chan error, 1)
	go func() {
		got, err := callCtx(client, server.Addr(), "m", []byte("done"), 5*time.Second)
		if err == nil && string(got) != "done" {
			err = fmt.Errorf("reply %q", got)
		}
		result <- err
	}()
	<-entered
	closed := make(chan error, 1)
	go func() { closed <- server.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a call was in flight", err)
	default:
	}
	close(release)
	if err := <-result; err != nil {
		t.Fatalf("in-flight call during Close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := callCtx(client, server.Addr(), "m", nil, time.Second); !errors.Is(err, netmux.ErrUnreachable) {
		t.Fatalf("call to a closed node: %v, want ErrUnreachable", err)
	}
}

func TestKillFailsCallsInFlightAtOnce(t *testing.T) {
	server := listen(t, testConfig())
	entered := make(chan struct{})
	server.Serve(func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
		close(entered)
		<-ctx.Done() // released by Kill
		return nil, ctx.Err()
	})
	client := listen(t, testConfig())
	result := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := callCtx(client, server.Addr(), "m", nil, 10*time.Second)
		result <- err
	}()
	<-entered
	server.Kill()
	err := <-result
	if !errors.Is(err, netmux.ErrUnreachable) {
		t.Fatalf("call to a node killed mid-call: %v, want ErrUnreachable", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("caller waited %v; a crash should be seen at once", el)
	}
}

// TestCallsNeverFailBecauseOfReaping runs calls with idle gaps around the
// idle timeout, so sessions are retired and redialled over and over while
// other calls start: the go-away protocol must never make a call fail.
func TestCallsNeverFailBecauseOfReaping(t *testing.T) {
	cfg := testConfig()
	cfg.IdleTimeout = 5 * time.Millisecond
	nodes := [3]*netmux.Transport{echoServer(t, cfg), echoServer(t, cfg), echoServer(t, cfg)}
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for g := range 12 {
		wg.Add(1)
		go func() { // exits after its calls or at its first failure
			defer wg.Done()
			from, to := nodes[g%3], nodes[(g+1+g/6)%3]
			for i := range 60 {
				if _, err := callCtx(from, to.Addr(), "m", []byte{byte(i)}, 5*time.Second); err != nil {
					errs <- fmt.Errorf("caller %d call %d: %w", g, i, err)
					return
				}
				// Workload pacing: gaps of 0–19 ms straddle the 5 ms idle
				// timeout, so some sessions retire between calls.
				<-time.After(time.Duration((g*7+i*3)%20) * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var dials uint64
	for _, n := range nodes {
		dials += n.Stats().Dials
	}
	if dials < 10 {
		t.Fatalf("only %d dials: sessions were not being retired, the test proved nothing", dials)
	}
	t.Logf("%d dials for %d calls", dials, 12*60)
}
