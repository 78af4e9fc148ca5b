package netmux_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

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
		{"rawTCP", setupRawTCP},
		{"yamuxStream", setupYamux},
		{"netmuxCall", func(b *testing.B, callers int) []func() error { return setupNetmux(b, callers, true) }},
		{"netmuxCallNoPool", func(b *testing.B, callers int) []func() error { return setupNetmux(b, callers, false) }},
	}
	for _, k := range kinds {
		for _, callers := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/%d-callers", k.name, callers), func(b *testing.B) {
				runCallers(b, k.setup(b, callers))
			})
		}
	}
}

const benchPayload = 64

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

// echoConn copies fixed-size messages back until the connection ends.
func echoConn(c io.ReadWriteCloser) {
	defer c.Close()
	buf := make([]byte, benchPayload)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// pingPong returns a call that writes a message on c and reads the echo.
func pingPong(c io.ReadWriter) func() error {
	out := make([]byte, benchPayload)
	in := make([]byte, benchPayload)
	return func() error {
		if _, err := c.Write(out); err != nil {
			return err
		}
		_, err := io.ReadFull(c, in)
		return err
	}
}

func setupRawTCP(b *testing.B, callers int) []func() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); echoConn(c) }()
		}
	}()
	calls := make([]func() error, callers)
	conns := make([]net.Conn, callers)
	for i := range calls {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = c
		calls[i] = pingPong(c)
	}
	b.Cleanup(func() {
		_ = ln.Close()
		for _, c := range conns {
			_ = c.Close()
		}
		wg.Wait()
	})
	return calls
}

func setupYamux(b *testing.B, callers int) []func() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ycfg := yamux.DefaultConfig()
	ycfg.LogOutput = io.Discard
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		srv, err := yamux.Server(c, ycfg)
		if err != nil {
			return
		}
		defer srv.Close()
		for {
			st, err := srv.AcceptStream()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); echoConn(st) }()
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	cli, err := yamux.Client(c, ycfg)
	if err != nil {
		b.Fatal(err)
	}
	calls := make([]func() error, callers)
	for i := range calls {
		st, err := cli.OpenStream()
		if err != nil {
			b.Fatal(err)
		}
		calls[i] = pingPong(st)
	}
	b.Cleanup(func() {
		_ = cli.Close()
		_ = ln.Close()
		wg.Wait()
	})
	return calls
}

func setupNetmux(b *testing.B, callers int, pooled bool) []func() error {
	cfg := netmux.DefaultConfig()
	if !pooled {
		cfg.MaxIdleStreams = 0
	}
	server := listen(b, cfg)
	server.Serve(func(_ context.Context, _ string, req []byte) ([]byte, error) { return req, nil })
	client := listen(b, cfg)
	req := make([]byte, benchPayload)
	calls := make([]func() error, callers)
	for i := range calls {
		calls[i] = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			resp, err := client.Call(ctx, server.Addr(), "bench.echo", req)
			if err == nil && len(resp) != benchPayload {
				err = fmt.Errorf("reply of %d bytes", len(resp))
			}
			return err
		}
	}
	if err := calls[0](); err != nil { // dial outside the timed region
		b.Fatal(err)
	}
	return calls
}
