package netmux_test

import (
	"bytes"
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
// TCP, without a cluster key and with one: Crash is Kill, Pause goes
// through the shared fault table.
func TestChordConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  []byte
	}{{"no key", nil}, {"cluster key", bytes.Repeat([]byte{1}, netmux.MinKeySize)}} {
		t.Run(tc.name, func(t *testing.T) {
			faults := netmux.NewFaults()
			cfg := netmux.DefaultConfig()
			cfg.Faults = faults
			cfg.Key = tc.key
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
		})
	}
}
