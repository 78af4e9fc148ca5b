//go:build unix

package netmux_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// BenchmarkCall measures a call of 100 bytes each way between two
// transports of this process, with 1 and 16 callers at once, next to the
// same exchange over plain TCP (one connection and goroutine per caller,
// a length before each message): the transport's cost over the loopback
// floor. Besides the time per call it reports cpu-µs/op, the process's
// CPU (user and system, both ends) per call. Run it with -cpu 1,2: on a
// 2-core machine the second P costs CPU per call without adding calls per
// second (docs/BENCHMARKS.md, "Where the CPU of a hop goes").
func BenchmarkCall(b *testing.B) {
	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("netmux/callers=%d", callers), func(b *testing.B) { benchNetmuxCalls(b, callers) })
		b.Run(fmt.Sprintf("tcp/callers=%d", callers), func(b *testing.B) { benchTCPCalls(b, callers) })
	}
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runCallers makes b.N calls from callers goroutines and reports the CPU
// per call.
func runCallers(b *testing.B, callers int, call func(caller int) error) {
	b.ResetTimer()
	cpu0 := processCPU()
	var next atomic.Int64
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() { // ends after the last of b.N calls, or at an error
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := call(c); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
}

func benchNetmuxCalls(b *testing.B, callers int) {
	server, err := netmux.Listen("127.0.0.1:0", netmux.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	server.Serve(func(_ context.Context, _ string, req []byte) ([]byte, error) { return req, nil })
	client, err := netmux.Listen("127.0.0.1:0", netmux.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	payload := make([]byte, 100)
	if _, err := client.Call(ctx, server.Addr(), "echo", payload); err != nil { // the session
		b.Fatal(err)
	}
	runCallers(b, callers, func(int) error {
		reply, err := client.Call(ctx, server.Addr(), "echo", payload)
		if err == nil && len(reply) != len(payload) {
			err = fmt.Errorf("reply of %d bytes, want %d", len(reply), len(payload))
		}
		return err
	})
}

func benchTCPCalls(b *testing.B, callers int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var served sync.WaitGroup
	defer served.Wait()
	defer ln.Close()
	served.Add(1)
	go func() { // ends when ln is closed; each echo ends when its client closes
		defer served.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			served.Add(1)
			go func() {
				defer served.Done()
				defer conn.Close()
				buf := make([]byte, 4+100)
				for {
					if _, err := io.ReadFull(conn, buf[:4]); err != nil {
						return
					}
					n := binary.BigEndian.Uint32(buf[:4])
					if _, err := io.ReadFull(conn, buf[4:4+n]); err != nil {
						return
					}
					if _, err := conn.Write(buf[:4+n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	conns := make([]net.Conn, callers)
	for i := range conns {
		if conns[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			b.Fatal(err)
		}
		defer conns[i].Close()
	}
	msgs := make([][]byte, callers)
	for i := range msgs {
		msgs[i] = binary.BigEndian.AppendUint32(nil, 100)
		msgs[i] = append(msgs[i], make([]byte, 100)...)
	}
	runCallers(b, callers, func(c int) error {
		if _, err := conns[c].Write(msgs[c]); err != nil {
			return err
		}
		_, err := io.ReadFull(conns[c], msgs[c])
		return err
	})
}
