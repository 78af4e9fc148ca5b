package chord_test

import (
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// TestLoadCounterWindow checks the sliding window: events count while
// they are within the window and drop out of it bucket by bucket, the
// total keeps them all, and the span and rate say what the count covers.
func TestLoadCounterWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	c := chord.NewLoadCounterAtForTest(10*time.Second, t0) // 10 buckets of 1 s
	type want struct {
		total, window uint64
		span          time.Duration
	}
	steps := []struct {
		name string
		add  map[time.Duration]uint64 // events added before reading
		read time.Duration
		want want
	}{
		{"fresh", nil, 0, want{0, 0, 0}},
		{"first second", map[time.Duration]uint64{0: 3, 500 * time.Millisecond: 2}, 900 * time.Millisecond, want{5, 5, 900 * time.Millisecond}},
		{"later buckets", map[time.Duration]uint64{4 * time.Second: 10, 9500 * time.Millisecond: 1}, 9900 * time.Millisecond, want{16, 16, 9900 * time.Millisecond}},
		// At 10.5 s the window covers [1 s, 10.5 s): the first second's 5 events fell out.
		{"first bucket slides out", nil, 10500 * time.Millisecond, want{16, 11, 9500 * time.Millisecond}},
		// At 14.2 s the window covers [5 s, 14.2 s): only the event at 9.5 s is left.
		{"more slide out", map[time.Duration]uint64{14 * time.Second: 4}, 14200 * time.Millisecond, want{20, 5, 9200 * time.Millisecond}},
		// Long idle: every bucket is stale and reused.
		{"idle", nil, time.Hour, want{20, 0, 9 * time.Second}},
		{"after idle", map[time.Duration]uint64{time.Hour + 100*time.Millisecond: 7}, time.Hour + 200*time.Millisecond, want{27, 7, 9200 * time.Millisecond}},
	}
	for _, s := range steps {
		for d, n := range s.add {
			c.Add(at(d), n)
		}
		got := c.Sample(at(s.read))
		if got.Total != s.want.total || got.Window != s.want.window || got.Span != s.want.span {
			t.Errorf("%s: got total %d, window %d over %v; want %d, %d over %v", s.name, got.Total, got.Window, got.Span,
				s.want.total, s.want.window, s.want.span)
		}
	}
	// The rate is the window's count per second of its span.
	if r := c.Sample(at(time.Hour + 200*time.Millisecond)).Rate(); r < 0.76 || r > 0.77 {
		t.Errorf("rate %.3f/s, want 7 / 9.2 s = 0.761/s", r)
	}
	// Recent narrows the window to the last buckets.
	c.Add(at(time.Hour+3*time.Second), 5)
	if got := c.Recent(at(time.Hour+3500*time.Millisecond), 2*time.Second); got.Window != 5 || got.Span != 1500*time.Millisecond {
		t.Errorf("last 2 s: got %d over %v, want 5 over 1.5s", got.Window, got.Span)
	}
}

// TestLoadCounterConcurrent adds from many goroutines (run with -race):
// nothing is lost.
func TestLoadCounterConcurrent(t *testing.T) {
	c := chord.NewLoadCounter(time.Minute)
	done := make(chan struct{})
	for range 8 {
		go func() {
			for range 1000 {
				c.Add(time.Now(), 1)
			}
			done <- struct{}{}
		}()
	}
	for range 8 {
		<-done
	}
	if got := c.Sample(time.Now()); got.Total != 8000 || got.Window != 8000 {
		t.Fatalf("got total %d, window %d; want 8000 and 8000", got.Total, got.Window)
	}
}

// TestRoutingLoadCountsStepsForOthers checks what a node's routing load
// counts: every lookup step it answered for another node, and neither the
// origin's own first step (no call) nor a ping.
func TestRoutingLoadCountsStepsForOthers(t *testing.T) {
	cfg := chord.DefaultConfig()
	cfg.Bits = 32
	r := buildIdeal(t, 7, cfg, 64, true)
	ctx := testCtx(t)
	want := map[string]uint64{}
	for i := range 200 {
		origin := r.nodes[i%len(r.nodes)]
		key := chord.HashID(cfg.Bits, []byte{byte(i), byte(i >> 8), 'k'})
		res, err := origin.Lookup(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Path {
			if h.Err == "" && !h.Ping {
				want[h.Node.Addr]++
			}
		}
	}
	now := time.Now()
	total := uint64(0)
	for _, n := range r.nodes {
		got := n.RoutingLoad(now)
		if got.Total != want[n.Self().Addr] || got.Window != got.Total {
			t.Errorf("%s: routing load %d (window %d), want %d steps answered for others", n.Self().Addr, got.Total, got.Window, want[n.Self().Addr])
		}
		total += got.Total
	}
	if total == 0 {
		t.Fatal("no lookup step was answered remotely: the test proves nothing")
	}
}
