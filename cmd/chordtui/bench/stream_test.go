package bench

import (
	"context"
	"testing"
	"time"
)

func TestStreamThroughput(t *testing.T) {
	bps, err := streamThroughput(context.Background(), 500*time.Millisecond)
	if err != nil || bps <= 0 {
		t.Fatalf("stream: %v B/s, %v", bps, err)
	}
	t.Logf("one netmux stream: %.0f MB/s", bps/1e6)
}
