package chordtest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord/chordtest"
)

// echo serves every call by returning "method:req".
func echo(_ context.Context, method string, req []byte) ([]byte, error) {
	if method == "fail" {
		return nil, errors.New("handler says no")
	}
	return append([]byte(method+":"), req...), nil
}

func endpoints(t *testing.T, nw *chordtest.Network, addrs ...string) []*chordtest.Endpoint {
	t.Helper()
	out := make([]*chordtest.Endpoint, len(addrs))
	for i, a := range addrs {
		ep, err := nw.Endpoint(a)
		if err != nil {
			t.Fatal(err)
		}
		ep.Serve(echo)
		out[i] = ep
	}
	return out
}

func TestNetworkFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault func(nw *chordtest.Network)
		from  int    // caller index among a, b, c
		to    string // target address
		want  error  // nil: the call succeeds
	}{
		{"healthy", func(*chordtest.Network) {}, 0, "b", nil},
		{"crashed target", func(nw *chordtest.Network) { nw.Crash("b") }, 0, "b", chordtest.ErrUnreachable},
		{"crashed caller", func(nw *chordtest.Network) { nw.Crash("a") }, 0, "b", chordtest.ErrUnreachable},
		{"unknown address", func(*chordtest.Network) {}, 0, "zz", chordtest.ErrUnreachable},
		{"cut link", func(nw *chordtest.Network) { nw.Cut("b", "a") }, 0, "b", chordtest.ErrUnreachable},
		{"cut is per pair", func(nw *chordtest.Network) { nw.Cut("a", "b") }, 2, "b", nil},
		{"isolated target", func(nw *chordtest.Network) { nw.Isolate("b") }, 2, "b", chordtest.ErrUnreachable},
		{"isolated caller", func(nw *chordtest.Network) { nw.Isolate("c") }, 2, "a", chordtest.ErrUnreachable},
		{"healed", func(nw *chordtest.Network) { nw.Cut("a", "b"); nw.Isolate("b"); nw.Heal() }, 0, "b", nil},
		{"paused target", func(nw *chordtest.Network) { nw.Pause("b") }, 0, "b", context.DeadlineExceeded},
		{"resumed target", func(nw *chordtest.Network) { nw.Pause("b"); nw.Resume("b") }, 0, "b", nil},
		{"dropped always", func(nw *chordtest.Network) { nw.SetDrop("b", 1) }, 0, "b", context.DeadlineExceeded},
		{"partition: across", func(nw *chordtest.Network) { nw.Partition([]string{"a", "c"}) }, 0, "b", chordtest.ErrUnreachable},
		{"partition: back across", func(nw *chordtest.Network) { nw.Partition([]string{"a", "c"}) }, 1, "c", chordtest.ErrUnreachable},
		{"partition: same side", func(nw *chordtest.Network) { nw.Partition([]string{"a", "c"}) }, 2, "a", nil},
		{"partitions accumulate", func(nw *chordtest.Network) { nw.Partition([]string{"a", "b"}); nw.Partition([]string{"a"}) }, 1, "a", chordtest.ErrUnreachable},
		{"partition healed", func(nw *chordtest.Network) { nw.Partition([]string{"b"}); nw.Heal() }, 0, "b", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nw := chordtest.NewNetwork(1)
			eps := endpoints(t, nw, "a", "b", "c")
			tc.fault(nw)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			rep, err := eps[tc.from].Call(ctx, tc.to, "m", []byte("x"))
			if tc.want == nil {
				if err != nil || string(rep) != "m:x" {
					t.Fatalf("got %q, %v; want m:x", rep, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %q, %v; want an error wrapping %v", rep, err, tc.want)
			}
		})
	}
}

func TestNetworkHandlerErrorAndNotServing(t *testing.T) {
	nw := chordtest.NewNetwork(1)
	eps := endpoints(t, nw, "a", "b")
	if _, err := eps[0].Call(context.Background(), "b", "fail", nil); err == nil || !contains(err.Error(), "handler says no") {
		t.Fatalf("handler error: got %v", err)
	}
	if _, err := nw.Endpoint("silent"); err != nil {
		t.Fatal(err)
	}
	if _, err := eps[0].Call(context.Background(), "silent", "m", nil); err == nil {
		t.Fatal("call before Serve succeeded")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestNetworkEndpointReuseAfterCrash(t *testing.T) {
	nw := chordtest.NewNetwork(1)
	eps := endpoints(t, nw, "a", "b")
	if _, err := nw.Endpoint("b"); err == nil {
		t.Fatal("second endpoint on a live address was allowed")
	}
	nw.Crash("b")
	if !nw.Crashed("b") {
		t.Fatal("Crashed(b) is false after Crash")
	}
	revived, err := nw.Endpoint("b")
	if err != nil {
		t.Fatalf("revive: %v", err)
	}
	revived.Serve(func(context.Context, string, []byte) ([]byte, error) { return []byte("new"), nil })
	rep, err := eps[0].Call(context.Background(), "b", "m", nil)
	if err != nil || string(rep) != "new" {
		t.Fatalf("call to revived b: %q, %v", rep, err)
	}
	// The crashed endpoint object stays dead.
	if _, err := eps[1].Call(context.Background(), "a", "m", nil); !errors.Is(err, chordtest.ErrUnreachable) {
		t.Fatalf("old endpoint of b could still call: %v", err)
	}
}

// Kill and Close crash an endpoint, but never the newer endpoint that
// took its address since.
func TestEndpointKillAndClose(t *testing.T) {
	ctx := context.Background()
	for _, stop := range []struct {
		name string
		do   func(*chordtest.Endpoint) error
	}{
		{"Kill", func(e *chordtest.Endpoint) error { e.Kill(); return nil }},
		{"Close", (*chordtest.Endpoint).Close},
	} {
		t.Run(stop.name, func(t *testing.T) {
			nw := chordtest.NewNetwork(1)
			eps := endpoints(t, nw, "a", "b")
			if err := stop.do(eps[1]); err != nil {
				t.Fatal(err)
			}
			if _, err := eps[0].Call(ctx, "b", "m", nil); !errors.Is(err, chordtest.ErrUnreachable) || !nw.Crashed("b") {
				t.Fatalf("call after %s: %v, want ErrUnreachable", stop.name, err)
			}
			revived := endpoints(t, nw, "b")[0]
			_ = stop.do(eps[1]) // the old endpoint again: the revived one lives on
			if rep, err := eps[0].Call(ctx, "b", "m", nil); err != nil || string(rep) != "m:" || !eps[0].Connected("b") {
				t.Fatalf("call to the revived b after stopping the old one: %q, %v", rep, err)
			}
			_ = stop.do(revived)
			if eps[0].Connected("b") {
				t.Fatal("Connected(b) after the revived b stopped")
			}
		})
	}
}

// Each endpoint counts its own calls, failures, served calls and bytes.
func TestEndpointStats(t *testing.T) {
	ctx := context.Background()
	nw := chordtest.NewNetwork(1)
	eps := endpoints(t, nw, "a", "b")
	for range 3 {
		if _, err := eps[0].Call(ctx, "b", "m", []byte("xy")); err != nil { // reply "m:xy"
			t.Fatal(err)
		}
	}
	if _, err := eps[0].Call(ctx, "zz", "m", nil); err == nil {
		t.Fatal("call to an unknown address succeeded")
	}
	if _, err := eps[1].Call(ctx, "a", "fail", nil); err == nil {
		t.Fatal("a failing handler succeeded")
	}
	a, b := eps[0].Stats(), eps[1].Stats()
	wantA := chordtest.EndpointStats{Calls: 4, Errors: 1, Served: 1, BytesIn: 12, BytesOut: 6}
	wantB := chordtest.EndpointStats{Calls: 1, Errors: 1, Served: 3, BytesIn: 6, BytesOut: 12}
	if a != wantA || b != wantB {
		t.Fatalf("stats a %+v, b %+v; want %+v and %+v", a, b, wantA, wantB)
	}
}

func TestNetworkCopiesBytes(t *testing.T) {
	nw := chordtest.NewNetwork(1)
	a, _ := nw.Endpoint("a")
	b, _ := nw.Endpoint("b")
	a.Serve(echo)
	var kept []byte
	b.Serve(func(_ context.Context, _ string, req []byte) ([]byte, error) {
		req[0] = 'Z' // scribbling on the request must not reach the caller
		kept = []byte("reply")
		return kept, nil
	})
	req := []byte("abc")
	rep, err := a.Call(context.Background(), "b", "m", req)
	if err != nil {
		t.Fatal(err)
	}
	if string(req) != "abc" {
		t.Fatalf("handler changed the caller's request: %q", req)
	}
	rep[0] = 'X'
	if string(kept) != "reply" {
		t.Fatalf("caller changed the handler's reply buffer: %q", kept)
	}
}

func TestNetworkDelayAndCalls(t *testing.T) {
	nw := chordtest.NewNetwork(1)
	eps := endpoints(t, nw, "a", "b")
	nw.SetDelay("b", 5*time.Millisecond)
	start := time.Now()
	if _, err := eps[0].Call(context.Background(), "b", "m", nil); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 5*time.Millisecond {
		t.Fatalf("delayed call took %v, want ≥ 5ms", took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := eps[0].Call(ctx, "b", "m", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delay longer than the deadline: got %v", err)
	}
	nw.SetDelay("b", 0)
	if got := nw.Calls(); got != 2 {
		t.Fatalf("Calls() = %d, want 2", got)
	}
}

func TestNetworkPauseUnblocksOnResume(t *testing.T) {
	nw := chordtest.NewNetwork(1)
	eps := endpoints(t, nw, "a", "b")
	nw.Pause("b")
	done := make(chan error, 1)
	go func() { // exits when the call returns (Resume below, or the 10s deadline)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := eps[0].Call(ctx, "b", "m", nil)
		done <- err
	}()
	// Resume once the call has reached the network (Calls counts it).
	deadline := time.Now().Add(5 * time.Second)
	for nw.Calls() == 0 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	nw.Resume("b")
	if err := <-done; err != nil {
		t.Fatalf("call blocked on a paused peer failed after Resume: %v", err)
	}
}

// The drop decisions come from the seeded RNG: same seed, same fate.
func TestNetworkDropIsSeeded(t *testing.T) {
	fates := func(seed int64) string {
		nw := chordtest.NewNetwork(seed)
		eps := endpoints(t, nw, "a", "b")
		nw.SetDrop("b", 0.5)
		out := ""
		for i := 0; i < 32; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			_, err := eps[0].Call(ctx, "b", "m", nil)
			cancel()
			// Lost, or not: a call the scheduler held past its deadline
			// counts as not lost.
			out += fmt.Sprint(map[bool]int{true: 0, false: 1}[err != nil && strings.Contains(err.Error(), "message lost")])
		}
		return out
	}
	a, b := fates(7), fates(7)
	if a != b {
		t.Fatalf("same seed, different drops:\n%s\n%s", a, b)
	}
	if !contains(a, "0") || !contains(a, "1") {
		t.Fatalf("drop probability 0.5 gave %s", a)
	}
}
