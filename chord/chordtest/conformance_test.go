package chordtest_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/chord/chordtest"
)

// TestNetworkConformance runs the transport conformance suite over the
// in-memory network: the same suite netmux runs over TCP.
func TestNetworkConformance(t *testing.T) {
	nw := chordtest.NewNetwork(1)
	var next atomic.Int64
	chordtest.RunConformance(t, chordtest.Harness{
		New: func(t *testing.T) chord.Transport {
			ep, err := nw.Endpoint(fmt.Sprintf("mem-%d", next.Add(1)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { nw.Crash(ep.Addr()) }) // endpoints have no Close; a crash frees the address
			return ep
		},
		Crash: func(t *testing.T, tr chord.Transport) { nw.Crash(tr.Addr()) },
		Pause: func(t *testing.T, tr chord.Transport) { nw.Pause(tr.Addr()) },
		Revive: func(t *testing.T, tr chord.Transport) chord.Transport {
			ep, err := nw.Endpoint(tr.Addr())
			if err != nil {
				t.Fatal(err)
			}
			return ep
		},
	})
}
