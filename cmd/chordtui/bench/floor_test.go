package bench

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// Every loopback ping-pong round-trips for each of its callers, and Close
// leaves no goroutine behind (chordtui bench runs them before the ring).
func TestPingPongsRoundTripAndClose(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(callers int) (*pingPong, error)
	}{
		{"raw TCP", rawTCPPingPong},
		{"yamux stream", yamuxPingPong},
		{"netmux call", func(callers int) (*pingPong, error) { return netmuxPingPong(netmux.DefaultConfig(), callers) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			baseline := goroutines()
			pp, err := tc.make(3)
			if err != nil {
				t.Fatal(err)
			}
			if len(pp.Calls) != 3 {
				t.Fatalf("%d callers, want 3", len(pp.Calls))
			}
			for i, call := range pp.Calls {
				for range 5 {
					if err := call(); err != nil {
						t.Fatalf("caller %d: %v", i, err)
					}
				}
			}
			pp.Close()
			checkNoLeak(t, baseline)
		})
	}
}

// measureFloor reports a p50 and a p99 for each ping-pong, in the order
// of round_trips, and stops at maxOps round trips.
func TestMeasureFloor(t *testing.T) {
	r, err := measureFloor(context.Background(), 10*time.Second, 300)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string][2]float64{
		"raw TCP": {r.RawTCPP50us, r.RawTCPP99us}, "yamux": {r.YamuxStreamP50us, r.YamuxStreamP99us},
		"netmux": {r.NetmuxCallP50us, r.NetmuxCallP99us},
	} {
		if p[0] <= 0 || p[1] < p[0] {
			t.Errorf("%s: p50 %v µs, p99 %v µs", name, p[0], p[1])
		}
	}
	if len(r.RoundTrips) != 3 || r.RoundTrips[0] != 300 || r.RoundTrips[1] != 300 || r.RoundTrips[2] != 300 {
		t.Errorf("round trips = %v, want 300 each (max-ops)", r.RoundTrips)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := measureFloor(ctx, time.Second, 300); err == nil {
		t.Error("a cancelled floor measured anyway")
	}
}

func goroutines() int {
	runtime.GC()
	return runtime.NumGoroutine()
}

// checkNoLeak polls until the goroutine count is back to baseline.
func checkNoLeak(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			var keep []string
			for g := range strings.SplitSeq(string(buf), "\n\n") {
				if strings.Contains(g, "netmux") || strings.Contains(g, "yamux") || strings.Contains(g, "bench") {
					keep = append(keep, g)
				}
			}
			t.Fatalf("%d goroutines still running, baseline %d:\n%s", runtime.NumGoroutine(), baseline, strings.Join(keep, "\n\n"))
		}
		time.Sleep(2 * time.Millisecond) // polling interval
	}
}
