package netmux_test

import (
	"testing"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/chord/chordtest"
	"github.com/chordtui/chordtui/netmux"
)

// netmux implements chord.Transport without importing chord.
var (
	_ chord.Transport          = (*netmux.Transport)(nil)
	_ chord.ConnectionReporter = (*netmux.Transport)(nil)
)

// TestChordConformance runs chord's transport conformance suite over real
// TCP: Crash is Kill, Pause goes through the shared fault table.
func TestChordConformance(t *testing.T) {
	faults := netmux.NewFaults()
	cfg := netmux.DefaultConfig()
	cfg.Faults = faults
	chordtest.RunConformance(t, chordtest.Harness{
		New: func(t *testing.T) chord.Transport {
			tr, err := netmux.Listen("127.0.0.1:0", cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tr.Close() })
			return tr
		},
		Crash: func(t *testing.T, tr chord.Transport) { tr.(*netmux.Transport).Kill() },
		Pause: func(t *testing.T, tr chord.Transport) {
			faults.Pause(tr.Addr())
			t.Cleanup(func() { faults.Resume(tr.Addr()) })
		},
	})
}
