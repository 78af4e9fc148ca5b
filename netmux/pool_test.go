package netmux

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestPoolShrinksAfterABurst: a burst of concurrent calls grows a session's
// pool of idle streams (each holds memory at both ends); once the calls are
// one at a time again, the reaper trims it to one, although the session
// never goes quiet.
func TestPoolShrinksAfterABurst(t *testing.T) {
	cfg := DefaultConfig()
	cfg.IdleTimeout = 400 * time.Millisecond // a reaper tick of 100 ms
	cfg.MaxIdleStreams = 4
	release := make(chan struct{})
	var held sync.WaitGroup
	server, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Kill()
	server.Serve(func(_ context.Context, method string, req []byte) ([]byte, error) {
		if method == "slow" {
			held.Done()
			<-release
		}
		return req, nil
	})
	client, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Kill()
	call := func(method string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, err := client.Call(ctx, server.Addr(), method, []byte("x")); err != nil {
			t.Error(err)
		}
	}
	pooled := func() int {
		client.mu.Lock()
		s := client.peers[server.Addr()]
		client.mu.Unlock()
		if s == nil {
			return -1
		}
		return s.pooled()
	}

	held.Add(4)
	var burst sync.WaitGroup
	for range 4 {
		burst.Add(1)
		go func() { // exits when its call returns
			defer burst.Done()
			call("slow")
		}()
	}
	held.Wait()
	close(release)
	burst.Wait()
	if n := pooled(); n != 4 {
		t.Fatalf("%d idle streams after a burst of 4 calls, want 4", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for pooled() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d idle streams 5 s after the burst, with one call at a time; want 1", pooled())
		}
		call("fast")                     // keeps the session busy, one call at a time
		time.Sleep(5 * time.Millisecond) // pacing the calls, not a synchronisation
	}
}
