package main

import (
	"context"
	"fmt"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

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
		setup    func(callers int) (*netmux.PingPong, error)
		p50, p99 *float64
	}{
		{"raw TCP", netmux.RawTCPPingPong, &r.RawTCPP50us, &r.RawTCPP99us},
		{"yamux stream", netmux.YamuxPingPong, &r.YamuxStreamP50us, &r.YamuxStreamP99us},
		{"netmux call", func(callers int) (*netmux.PingPong, error) {
			return netmux.NetmuxPingPong(netmux.DefaultConfig(), callers)
		}, &r.NetmuxCallP50us, &r.NetmuxCallP99us},
	}
	for _, k := range kinds {
		pp, err := k.setup(1)
		if err != nil {
			return r, fmt.Errorf("loopback floor, %s: %w", k.name, err)
		}
		lat, err := pingPongLoop(ctx, pp.Calls[0], d, maxOps)
		pp.Close()
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
