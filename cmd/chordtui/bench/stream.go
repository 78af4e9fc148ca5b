package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// streamPayload is the size of each request of the bulk stream.
const streamPayload = 1 << 20

// streamThroughput measures the bulk throughput of one netmux stream
// between two transports on loopback: one caller sends streamPayload-byte
// requests, one after the other, for d (after a warm-up), each answered
// with one byte. It returns bytes per second.
func streamThroughput(ctx context.Context, d time.Duration) (float64, error) {
	cfg := netmux.DefaultConfig()
	a, err := netmux.Listen("127.0.0.1:0", cfg)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	b, err := netmux.Listen("127.0.0.1:0", cfg)
	if err != nil {
		return 0, err
	}
	defer b.Close()
	b.Serve(func(_ context.Context, _ string, req []byte) ([]byte, error) {
		if len(req) != streamPayload {
			return nil, fmt.Errorf("got %d bytes", len(req))
		}
		return []byte{1}, nil
	})
	a.Serve(func(context.Context, string, []byte) ([]byte, error) { return nil, nil })
	payload := make([]byte, streamPayload)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	call := func() error {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := a.Call(cctx, b.Addr(), "bulk", payload)
		return err
	}
	for range 8 {
		if err := call(); err != nil {
			return 0, fmt.Errorf("netmux stream: %w", err)
		}
	}
	var sent int64
	t0 := time.Now()
	for time.Since(t0) < d && ctx.Err() == nil {
		if err := call(); err != nil {
			return 0, fmt.Errorf("netmux stream: %w", err)
		}
		sent += streamPayload
	}
	return float64(sent) / time.Since(t0).Seconds(), ctx.Err()
}
