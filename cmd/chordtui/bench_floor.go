package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/chordtui/chordtui/netmux"
)

// floorPayload is the size of every ping-pong message of the loopback
// floor: about the size of a chord step request.
const floorPayload = 64

// floorReport is the loopback floor measured in the same process and run as
// the ring: one caller, a 64-byte request and a 64-byte reply.
type floorReport struct {
	RawTCPP50us      float64 `json:"raw_tcp_p50_us"`
	RawTCPP99us      float64 `json:"raw_tcp_p99_us"`
	YamuxStreamP50us float64 `json:"yamux_stream_p50_us"`
	YamuxStreamP99us float64 `json:"yamux_stream_p99_us"`
	NetmuxCallP50us  float64 `json:"netmux_call_p50_us"`
	NetmuxCallP99us  float64 `json:"netmux_call_p99_us"`
	// RoundTrips is how many round trips each of the three measured.
	RoundTrips []int `json:"round_trips"`
}

// measureFloor runs the three ping-pongs one after the other, each for at
// most d and at most maxOps round trips (after a short warm-up).
func measureFloor(ctx context.Context, d time.Duration, maxOps int) (floorReport, error) {
	var r floorReport
	kinds := []struct {
		name     string
		setup    func() (call func() error, closeAll func(), err error)
		p50, p99 *float64
	}{
		{"raw TCP", setupRawTCPPingPong, &r.RawTCPP50us, &r.RawTCPP99us},
		{"yamux stream", setupYamuxPingPong, &r.YamuxStreamP50us, &r.YamuxStreamP99us},
		{"netmux call", setupNetmuxPingPong, &r.NetmuxCallP50us, &r.NetmuxCallP99us},
	}
	for _, k := range kinds {
		call, closeAll, err := k.setup()
		if err != nil {
			return r, fmt.Errorf("loopback floor, %s: %w", k.name, err)
		}
		lat, err := pingPongLoop(ctx, call, d, maxOps)
		closeAll()
		if err != nil {
			return r, fmt.Errorf("loopback floor, %s: %w", k.name, err)
		}
		*k.p50, *k.p99 = micros(percentile(lat, 0.5)), micros(percentile(lat, 0.99))
		r.RoundTrips = append(r.RoundTrips, len(lat))
	}
	return r, nil
}

// pingPongLoop calls call (after 200 unmeasured warm-up calls) until d has
// passed, maxOps calls were made or ctx ends, and returns the sorted
// latencies.
func pingPongLoop(ctx context.Context, call func() error, d time.Duration, maxOps int) ([]time.Duration, error) {
	for range 200 {
		if err := call(); err != nil {
			return nil, err
		}
	}
	lat := make([]time.Duration, 0, min(maxOps, 1<<16))
	end := time.Now().Add(d)
	for len(lat) < maxOps && ctx.Err() == nil {
		t0 := time.Now()
		if err := call(); err != nil {
			return nil, err
		}
		t1 := time.Now()
		lat = append(lat, t1.Sub(t0))
		if t1.After(end) {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sortDurations(lat)
	return lat, nil
}

// echo copies fixed-size messages back until the connection ends.
func echo(c io.ReadWriteCloser) {
	defer c.Close()
	buf := make([]byte, floorPayload)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// pingPongOn returns a call that writes one message on c and reads the echo.
func pingPongOn(c io.ReadWriter) func() error {
	out := make([]byte, floorPayload)
	in := make([]byte, floorPayload)
	return func() error {
		if _, err := c.Write(out); err != nil {
			return err
		}
		_, err := io.ReadFull(c, in)
		return err
	}
}

// setupRawTCPPingPong connects one TCP connection to an echo server on
// loopback. The server goroutines exit when closeAll closes both ends.
func setupRawTCPPingPong() (func() error, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // exits when ln is closed (after the one accept)
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		echo(c) // exits when the client closes
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		ln.Close()
		wg.Wait()
		return nil, nil, err
	}
	closeAll := func() {
		c.Close()
		ln.Close()
		wg.Wait()
	}
	return pingPongOn(c), closeAll, nil
}

// setupYamuxPingPong opens one yamux stream (over one TCP connection) to an
// echo server: the multiplexer's cost over raw TCP, without netmux framing.
func setupYamuxPingPong() (func() error, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	ycfg := yamux.DefaultConfig()
	ycfg.LogOutput = io.Discard
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // exits when the client session closes
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		srv, err := yamux.Server(c, ycfg)
		if err != nil {
			c.Close()
			return
		}
		defer srv.Close()
		for {
			st, err := srv.AcceptStream()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); echo(st) }() // exits when the stream closes
		}
	}()
	fail := func(err error) (func() error, func(), error) {
		ln.Close()
		wg.Wait()
		return nil, nil, err
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return fail(err)
	}
	cli, err := yamux.Client(c, ycfg)
	if err != nil {
		c.Close()
		return fail(err)
	}
	st, err := cli.OpenStream()
	if err != nil {
		cli.Close()
		return fail(err)
	}
	closeAll := func() {
		st.Close()
		cli.Close()
		ln.Close()
		wg.Wait()
	}
	return pingPongOn(st), closeAll, nil
}

// setupNetmuxPingPong makes a netmux call between two transports, the one
// every chord and dht message takes: framing, pooled streams, deadlines.
func setupNetmuxPingPong() (func() error, func(), error) {
	cfg := netmux.DefaultConfig()
	srv, err := netmux.Listen("127.0.0.1:0", cfg)
	if err != nil {
		return nil, nil, err
	}
	srv.Serve(func(_ context.Context, _ string, req []byte) ([]byte, error) { return req, nil })
	cli, err := netmux.Listen("127.0.0.1:0", cfg)
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	req := make([]byte, floorPayload)
	ctx := context.Background()
	addr := srv.Addr()
	call := func() error {
		reply, err := cli.Call(ctx, addr, "echo", req)
		if err == nil && len(reply) != floorPayload {
			err = errors.New("short echo")
		}
		return err
	}
	closeAll := func() {
		cli.Close()
		srv.Close()
	}
	return call, closeAll, nil
}
