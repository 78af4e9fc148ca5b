package netmux_test

import (
	"testing"

	"github.com/chordtui/chordtui/netmux"
)

// Every loopback ping-pong round-trips for each of its callers, and Close
// leaves no goroutine behind (chordtui bench runs them before the ring).
func TestPingPongsRoundTripAndClose(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(callers int) (*netmux.PingPong, error)
	}{
		{"raw TCP", netmux.RawTCPPingPong},
		{"yamux stream", netmux.YamuxPingPong},
		{"netmux call", func(callers int) (*netmux.PingPong, error) {
			return netmux.NetmuxPingPong(testConfig(), callers)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			baseline := goroutineBaseline()
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
