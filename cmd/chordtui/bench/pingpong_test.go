package bench

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// BenchmarkPingPong compares, side by side in one run, a 64-byte request
// and reply over: a raw loopback TCP connection per caller; the same with
// a multiplexer's two hand-overs between goroutines; a yamux stream
// per caller on one session; a netmux call (pooled streams); and a netmux
// call that opens a fresh stream every time. Each runs with 1 and with 16
// concurrent callers. Metrics: p50-µs and p99-µs per round trip (exact,
// over every round trip), calls/s, and cpu-µs/call (CPU time of the
// process, both ends, per round trip).
//
//	go test ./cmd/chordtui/bench -run '^$' -bench PingPong -benchtime 3s -count 3
func BenchmarkPingPong(b *testing.B) {
	noPool := netmux.DefaultConfig()
	noPool.MaxIdleStreams = 0
	kinds := []struct {
		name string
		make func(callers int) (*pingPong, error)
	}{
		{"rawTCP", rawTCPPingPong},
		{"rawTCPHandoff", rawTCPHandoffPingPong},
		{"yamuxStream", yamuxPingPong},
		{"netmuxCall", func(callers int) (*pingPong, error) { return netmuxPingPong(netmux.DefaultConfig(), callers) }},
		{"netmuxCallNoPool", func(callers int) (*pingPong, error) { return netmuxPingPong(noPool, callers) }},
	}
	for _, k := range kinds {
		for _, callers := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/%d-callers", k.name, callers), func(b *testing.B) {
				pp, err := k.make(callers)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(pp.Close)
				runCallers(b, pp.Calls)
			})
		}
	}
}

// runCallers runs b.N round trips spread over the callers and reports
// latency percentiles and throughput.
func runCallers(b *testing.B, calls []func() error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	lats := make([][]time.Duration, len(calls))
	for i := range lats { // room for an uneven share, so append rarely copies while timed
		lats[i] = make([]time.Duration, 0, 2*b.N/len(calls)+16)
	}
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	for i, call := range calls {
		wg.Add(1)
		go func() { // exits after b.N round trips in all or at the first error
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := call(); err != nil {
					failed.Store(err)
					return
				}
				lats[i] = append(lats[i], time.Since(t0))
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
	lat := slices.Concat(lats...)
	slices.Sort(lat)
	b.ReportMetric(float64(percentile(lat, 0.5))/1e3, "p50-µs")
	b.ReportMetric(float64(percentile(lat, 0.99))/1e3, "p99-µs")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	// CPU time of the whole process (both ends) per round trip: unlike
	// calls/s it does not depend on how much of the machine others use.
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/call")
}
