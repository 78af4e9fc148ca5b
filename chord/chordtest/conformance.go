package chordtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// Harness tells RunConformance how to make and break transports of one kind.
type Harness struct {
	// New returns a fresh transport at its own address, not yet serving,
	// and registers its Close (if any) with t.Cleanup.
	New func(t *testing.T) chord.Transport
	// Crash makes tr unreachable as a crashed process: calls to it then
	// fail fast, without waiting for the caller's deadline.
	Crash func(t *testing.T, tr chord.Transport)
	// Pause makes tr accept calls but never answer them.
	Pause func(t *testing.T, tr chord.Transport)
	// Revive, if set, starts a fresh transport (not yet serving) at the
	// address of tr, which Crash has made unreachable: the UI's revive.
	// Transports that cannot reuse an address leave it nil and the
	// subtest is skipped.
	Revive func(t *testing.T, tr chord.Transport) chord.Transport
}

// Conformance timing. Deadlines are generous because the machine running
// the suite may be loaded; "fast" means well under the caller's deadline.
const (
	// conformanceDeadline bounds every call that is expected to succeed.
	conformanceDeadline = 10 * time.Second
	// shortDeadline is the deadline of calls to a paused peer.
	shortDeadline = 200 * time.Millisecond
	// slack is how late past its deadline a call may return.
	slack = 2 * time.Second
	// fastFail is how quickly a call to a crashed peer or to a transport
	// that does not serve must fail, with a deadline of conformanceDeadline.
	fastFail = 3 * time.Second
)

// RunConformance checks the chord.Transport contract (see transport.go) on
// the transports h makes. Every transport runs it: chordtest.Network in
// this package's tests, netmux in its own.
func RunConformance(t *testing.T, h Harness) {
	t.Run("RoundTripPayloads", func(t *testing.T) { testRoundTrip(t, h) })
	t.Run("HandlerErrorComesBack", func(t *testing.T) { testHandlerError(t, h) })
	t.Run("MethodNameIntact", func(t *testing.T) { testMethodName(t, h) })
	t.Run("ConcurrentCallersPaired", func(t *testing.T) { testConcurrent(t, h) })
	t.Run("DeadlineOnPausedPeer", func(t *testing.T) { testPausedDeadline(t, h) })
	t.Run("CrashedPeerFailsFast", func(t *testing.T) { testCrashed(t, h) })
	t.Run("RevivedPeerReachable", func(t *testing.T) { testRevived(t, h) })
	t.Run("CanceledContext", func(t *testing.T) { testCanceled(t, h) })
	t.Run("BeforeServe", func(t *testing.T) { testBeforeServe(t, h) })
	t.Run("BothDirections", func(t *testing.T) { testBothDirections(t, h) })
	t.Run("HandlerCallsBack", func(t *testing.T) { testNested(t, h) })
	t.Run("SlowHandlerDoesNotBlockOthers", func(t *testing.T) { testSlowHandler(t, h) })
}

// echo serves every method by replying method + "|" + request.
func echo(_ context.Context, method string, req []byte) ([]byte, error) {
	return append([]byte(method+"|"), req...), nil
}

func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), conformanceDeadline)
	t.Cleanup(cancel)
	return ctx
}

// pattern returns n bytes that differ from one position to the next, so a
// truncated, reordered or corrupted payload cannot pass for the original.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ byte(i>>8) ^ seed
	}
	return b
}

func testRoundTrip(t *testing.T, h Harness) {
	a, b := h.New(t), h.New(t)
	b.Serve(echo)
	a.Serve(echo)
	for _, size := range []int{0, 1, 100, 64 << 10, 1 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			req := pattern(size, byte(size))
			reply, err := a.Call(callCtx(t), b.Addr(), "echo", req)
			if err != nil {
				t.Fatalf("Call with %d-byte payload: %v", size, err)
			}
			want := append([]byte("echo|"), req...)
			if !bytes.Equal(reply, want) {
				t.Fatalf("%d-byte payload: reply of %d bytes differs from the %d expected", size, len(reply), len(want))
			}
		})
	}
	t.Run("empty reply", func(t *testing.T) {
		c := h.New(t)
		c.Serve(func(context.Context, string, []byte) ([]byte, error) { return nil, nil })
		reply, err := a.Call(callCtx(t), c.Addr(), "nothing", []byte("x"))
		if err != nil || len(reply) != 0 {
			t.Fatalf("Call to a handler replying nil = %q, %v; want empty, nil", reply, err)
		}
	})
}

func testHandlerError(t *testing.T, h Harness) {
	a, b := h.New(t), h.New(t)
	const msg = "no such key: dht/7b00 (tried 3 replicas)"
	b.Serve(func(_ context.Context, method string, _ []byte) ([]byte, error) {
		if method == "fail" {
			return nil, errors.New(msg)
		}
		return []byte("ok"), nil
	})
	_, err := a.Call(callCtx(t), b.Addr(), "fail", []byte("k"))
	if err == nil || !strings.Contains(err.Error(), msg) {
		t.Fatalf("Call to a failing handler: err = %v, want one containing %q", err, msg)
	}
	// The connection is still good after an error reply.
	reply, err := a.Call(callCtx(t), b.Addr(), "fine", nil)
	if err != nil || string(reply) != "ok" {
		t.Fatalf("Call after an error reply = %q, %v; want ok", reply, err)
	}
}

func testMethodName(t *testing.T, h Harness) {
	a, b := h.New(t), h.New(t)
	b.Serve(func(_ context.Context, method string, _ []byte) ([]byte, error) { return []byte(method), nil })
	for _, m := range []string{"chord.find_successor", "dht.get", "x", "with space and ünïcode ключ", strings.Repeat("m", 200)} {
		reply, err := a.Call(callCtx(t), b.Addr(), m, []byte("payload"))
		if err != nil || string(reply) != m {
			t.Errorf("method %.20q arrived as %.20q (err %v)", m, reply, err)
		}
	}
}

func testConcurrent(t *testing.T, h Harness) {
	a, b := h.New(t), h.New(t)
	// The reply depends on the request, so a reply delivered to the wrong
	// caller is detected.
	b.Serve(func(_ context.Context, method string, req []byte) ([]byte, error) {
		out := make([]byte, len(req)+len(method))
		for i, c := range req {
			out[len(req)-1-i] = c ^ 0x5a
		}
		copy(out[len(req):], method)
		return out, nil
	})
	const callers, calls = 32, 200
	ctx := callCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for g := 0; g < callers; g++ {
		wg.Add(1)
		go func() { // exits after its calls or at its first failure
			defer wg.Done()
			for i := 0; i < calls; i++ {
				req := make([]byte, 8+g%5*100)
				binary.BigEndian.PutUint32(req, uint32(g))
				binary.BigEndian.PutUint32(req[4:], uint32(i))
				method := fmt.Sprintf("m%d", (g+i)%7)
				reply, err := a.Call(ctx, b.Addr(), method, req)
				if err != nil {
					errs <- fmt.Errorf("caller %d call %d: %w", g, i, err)
					return
				}
				if len(reply) != len(req)+len(method) || string(reply[len(req):]) != method {
					errs <- fmt.Errorf("caller %d call %d: reply %q does not belong to this call", g, i, reply)
					return
				}
				for k, c := range req {
					if reply[len(req)-1-k] != c^0x5a {
						errs <- fmt.Errorf("caller %d call %d: reply belongs to another call", g, i)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// timedCall runs a call and reports how long it took.
func timedCall(ctx context.Context, tr chord.Transport, addr, method string) (time.Duration, error) {
	start := time.Now()
	_, err := tr.Call(ctx, addr, method, []byte("ping"))
	return time.Since(start), err
}

func testPausedDeadline(t *testing.T, h Harness) {
	a, b := h.New(t), h.New(t)
	b.Serve(echo)
	if _, err := a.Call(callCtx(t), b.Addr(), "warm", nil); err != nil {
		t.Fatalf("call before pausing: %v", err)
	}
	h.Pause(t, b)
	for _, fresh := range []bool{false, true} {
		from := a
		if fresh { // a caller with no connection to b yet
			from = h.New(t)
			from.Serve(echo)
		}
		ctx, cancel := context.WithTimeout(context.Background(), shortDeadline)
		took, err := timedCall(ctx, from, b.Addr(), "ping")
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("call to a paused peer (fresh caller %v): err = %v, want context.DeadlineExceeded", fresh, err)
		}
		if took > shortDeadline+slack {
			t.Errorf("call to a paused peer returned after %v, deadline was %v", took, shortDeadline)
		}
		if took < shortDeadline/2 {
			t.Errorf("call to a paused peer gave up after %v, long before its %v deadline", took, shortDeadline)
		}
	}
}

func testCrashed(t *testing.T, h Harness) {
	a, b := h.New(t), h.New(t)
	b.Serve(echo)
	a.Serve(echo)
	if _, err := a.Call(callCtx(t), b.Addr(), "warm", nil); err != nil {
		t.Fatalf("call before crash: %v", err)
	}
	h.Crash(t, b)
	for i, from := range []chord.Transport{a, h.New(t)} { // warm caller, then a fresh one
		took, err := timedCall(callCtx(t), from, b.Addr(), "ping")
		if err == nil {
			t.Fatalf("caller %d: call to a crashed peer succeeded", i)
		}
		if took > fastFail {
			t.Errorf("caller %d: call to a crashed peer took %v to fail; a crash must be detected without waiting for the deadline", i, took)
		}
	}
	// The crash did not break the caller.
	c := h.New(t)
	c.Serve(echo)
	if _, err := a.Call(callCtx(t), c.Addr(), "ping", nil); err != nil {
		t.Errorf("call to a live peer after another crashed: %v", err)
	}
}

// testRevived: after a crash and a revive at the same address, callers that
// had a connection to the old transport reach the new one (a cached session
// to the dead process must be noticed and redialled), within fastFail.
func testRevived(t *testing.T, h Harness) {
	if h.Revive == nil {
		t.Skip("harness has no Revive")
	}
	a, b := h.New(t), h.New(t)
	b.Serve(func(context.Context, string, []byte) ([]byte, error) { return []byte("old"), nil })
	if _, err := a.Call(callCtx(t), b.Addr(), "warm", nil); err != nil {
		t.Fatalf("call before crash: %v", err)
	}
	h.Crash(t, b)
	if _, err := a.Call(callCtx(t), b.Addr(), "ping", nil); err == nil {
		t.Fatal("call to a crashed peer succeeded")
	}
	b2 := h.Revive(t, b)
	if b2.Addr() != b.Addr() {
		t.Fatalf("revived transport is at %s, want %s", b2.Addr(), b.Addr())
	}
	b2.Serve(func(context.Context, string, []byte) ([]byte, error) { return []byte("new"), nil })
	// Poll: the caller may need a failed call to notice its old session is
	// dead, but it must get through well before fastFail.
	ctx, cancel := context.WithTimeout(context.Background(), fastFail)
	defer cancel()
	var lastErr error
	for ctx.Err() == nil {
		reply, err := a.Call(ctx, b.Addr(), "ping", nil)
		if err == nil {
			if string(reply) != "new" {
				t.Fatalf("call after revive answered %q, want the revived transport's %q", reply, "new")
			}
			return
		}
		lastErr = err
	}
	t.Fatalf("revived peer still unreachable after %v: %v", fastFail, lastErr)
}

func testCanceled(t *testing.T, h Harness) {
	a, b := h.New(t), h.New(t)
	b.Serve(echo)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Call(ctx, b.Addr(), "ping", nil); err == nil {
		t.Error("call with a canceled context succeeded")
	}
}

func testBeforeServe(t *testing.T, h Harness) {
	a, b := h.New(t), h.New(t)
	a.Serve(echo)
	took, err := timedCall(callCtx(t), a, b.Addr(), "ping")
	if err == nil {
		t.Fatal("call to a transport that has not called Serve succeeded")
	}
	if errors.Is(err, context.DeadlineExceeded) || took > fastFail {
		t.Errorf("call before Serve: err %v after %v; want an error reply, not a timeout", err, took)
	}
	// Serve later, and calls work.
	b.Serve(echo)
	if reply, err := a.Call(callCtx(t), b.Addr(), "ping", []byte("1")); err != nil || string(reply) != "ping|1" {
		t.Errorf("call after Serve = %q, %v", reply, err)
	}
}

func testBothDirections(t *testing.T, h Harness) {
	a, b := h.New(t), h.New(t)
	a.Serve(func(_ context.Context, _ string, req []byte) ([]byte, error) {
		return append([]byte("a:"), req...), nil
	})
	b.Serve(func(_ context.Context, _ string, req []byte) ([]byte, error) {
		return append([]byte("b:"), req...), nil
	})
	ctx := callCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, dir := range []struct {
		from, to chord.Transport
		prefix   string
	}{{a, b, "b:"}, {b, a, "a:"}} {
		wg.Add(1)
		go func() { // exits after 100 calls or the first failure
			defer wg.Done()
			for i := 0; i < 100; i++ {
				req := []byte(fmt.Sprint(i))
				reply, err := dir.from.Call(ctx, dir.to.Addr(), "who", req)
				if err != nil || string(reply) != dir.prefix+string(req) {
					errs <- fmt.Errorf("%s → %s call %d = %q, %w", dir.from.Addr(), dir.to.Addr(), i, reply, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// testNested: a handler may call back the caller while the caller waits
// (chord's upper layers do: a replica handler asks the owner for a version).
func testNested(t *testing.T, h Harness) {
	a, b := h.New(t), h.New(t)
	a.Serve(func(_ context.Context, method string, req []byte) ([]byte, error) {
		return append([]byte("a saw "), req...), nil
	})
	b.Serve(func(ctx context.Context, method string, req []byte) ([]byte, error) {
		inner, err := b.Call(ctx, a.Addr(), "inner", req)
		if err != nil {
			return nil, fmt.Errorf("call back: %w", err)
		}
		return append([]byte("b got: "), inner...), nil
	})
	reply, err := a.Call(callCtx(t), b.Addr(), "outer", []byte("x"))
	if err != nil || string(reply) != "b got: a saw x" {
		t.Fatalf("nested call = %q, %v; want %q", reply, err, "b got: a saw x")
	}
}

func testSlowHandler(t *testing.T, h Harness) {
	a, b := h.New(t), h.New(t)
	started, release := make(chan struct{}), make(chan struct{})
	b.Serve(func(ctx context.Context, method string, req []byte) ([]byte, error) {
		if method == "slow" {
			close(started)
			select {
			case <-release:
				return []byte("slow done"), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return []byte("fast"), nil
	})
	ctx := callCtx(t)
	slowErr := make(chan error, 1)
	go func() { // exits when the slow call returns (release or ctx)
		reply, err := a.Call(ctx, b.Addr(), "slow", nil)
		if err == nil && string(reply) != "slow done" {
			err = fmt.Errorf("slow call replied %q", reply)
		}
		slowErr <- err
	}()
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("slow handler never started")
	}
	// While the slow handler holds its call, other calls — from the same
	// caller and from another one — go through.
	other := h.New(t)
	for i, from := range []chord.Transport{a, other} {
		fastCtx, cancel := context.WithTimeout(context.Background(), fastFail)
		reply, err := from.Call(fastCtx, b.Addr(), "fast", nil)
		cancel()
		if err != nil || string(reply) != "fast" {
			t.Errorf("caller %d: call during a slow handler = %q, %v", i, reply, err)
		}
	}
	close(release)
	if err := <-slowErr; err != nil {
		t.Errorf("slow call: %v", err)
	}
}
