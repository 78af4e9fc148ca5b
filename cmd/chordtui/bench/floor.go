package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// measureFloor runs the three ping-pongs one after the other, each for at
// most d and at most maxOps round trips (after a short warm-up).
func measureFloor(ctx context.Context, d time.Duration, maxOps int) (floorReport, error) {
	var r floorReport
	kinds := []struct {
		name     string
		setup    func(callers int) (*pingPong, error)
		p50, p99 *float64
	}{
		{"raw TCP", rawTCPPingPong, &r.RawTCPP50us, &r.RawTCPP99us},
		{"yamux stream", yamuxPingPong, &r.YamuxStreamP50us, &r.YamuxStreamP99us},
		{"netmux call", func(callers int) (*pingPong, error) {
			return netmuxPingPong(netmux.DefaultConfig(), callers)
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
	slices.Sort(lat)
	return lat, nil
}
