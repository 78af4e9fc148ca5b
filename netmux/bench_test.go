package netmux_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// BenchmarkPingPong compares, side by side in one run, a 64-byte request
// and reply over: a raw loopback TCP connection per caller; a yamux stream
// per caller on one session; a netmux call (pooled streams); and a netmux
// call that opens a fresh stream every time. Each runs with 1 and with 16
// concurrent callers. Metrics: p50-µs and p99-µs per round trip, calls/s,
// and cpu-µs/call (CPU time of the process, both ends, per round trip).
//
//	go test ./netmux -run '^$' -bench PingPong -benchtime 3s -count 3
func BenchmarkPingPong(b *testing.B) {
	kinds := []struct {
		name  string
		setup func(b *testing.B, callers int) []func() error
	}{
		{"rawTCP", pingPongSetup(netmux.RawTCPPingPong)},
		{"yamuxStream", pingPongSetup(netmux.YamuxPingPong)},
		{"netmuxCall", pingPongSetup(netmuxPingPong(true))},
		{"netmuxCallNoPool", pingPongSetup(netmuxPingPong(false))},
	}
	for _, k := range kinds {
		for _, callers := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/%d-callers", k.name, callers), func(b *testing.B) {
				runCallers(b, k.setup(b, callers))
			})
		}
	}
}

// runCallers runs b.N round trips spread over the callers and reports
// latency percentiles and throughput.
func runCallers(b *testing.B, calls []func() error) {
	var hist netmux.Histogram
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	for _, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := call(); err != nil {
					failed.Store(err)
					return
				}
				hist.Record(time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(hist.Percentile(0.5))/1e3, "p50-µs")
	b.ReportMetric(float64(hist.Percentile(0.99))/1e3, "p99-µs")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	// CPU time of the whole process (both ends) per round trip: unlike
	// calls/s it does not depend on how much of the machine others use.
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/call")
}

// processCPU returns the user plus system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pingPongSetup adapts a netmux floor ping-pong to the benchmark.
func pingPongSetup(setup func(callers int) (*netmux.PingPong, error)) func(b *testing.B, callers int) []func() error {
	return func(b *testing.B, callers int) []func() error {
		pp, err := setup(callers)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pp.Close)
		return pp.Calls
	}
}

func netmuxPingPong(pooled bool) func(callers int) (*netmux.PingPong, error) {
	return func(callers int) (*netmux.PingPong, error) {
		cfg := netmux.DefaultConfig()
		if !pooled {
			cfg.MaxIdleStreams = 0
		}
		return netmux.NetmuxPingPong(cfg, callers)
	}
}
