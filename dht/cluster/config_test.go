package cluster

import (
	"testing"
	"time"
)

// ConfigFor keeps the 16-node pace up to 64 nodes and slows the rounds
// down above, so that the ring's maintenance traffic stays near constant.
func TestConfigForScalesMaintenanceWithN(t *testing.T) {
	d := DefaultConfig()
	tests := []struct {
		nodes                         int
		stabilize, fix, check, repair time.Duration
		rpcTimeout, monitor           time.Duration
	}{
		{1, d.Chord.StabilizeInterval, d.Chord.FixFingersInterval, d.Chord.CheckPredecessorInterval, d.DHT.RepairInterval, d.Chord.RPCTimeout, d.MonitorInterval},
		{16, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond, 50 * time.Millisecond},
		{64, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond, 50 * time.Millisecond},
		{256, 50 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 400 * time.Millisecond, 600 * time.Millisecond, 100 * time.Millisecond},
		{1024, 100 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 1600 * time.Millisecond, 1200 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		c := ConfigFor(tt.nodes)
		if err := c.Validate(); err != nil {
			t.Errorf("ConfigFor(%d) is invalid: %v", tt.nodes, err)
		}
		got := []time.Duration{c.Chord.StabilizeInterval, c.Chord.FixFingersInterval, c.Chord.CheckPredecessorInterval,
			c.DHT.RepairInterval, c.Chord.RPCTimeout, c.MonitorInterval}
		want := []time.Duration{tt.stabilize, tt.fix, tt.check, tt.repair, tt.rpcTimeout, tt.monitor}
		names := []string{"stabilize", "fix-fingers", "check-pred", "repair", "rpc timeout", "monitor"}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("ConfigFor(%d): %s = %v, want %v", tt.nodes, names[i], got[i], want[i])
			}
		}
		if want := max(16, tt.nodes/8); c.JoinParallelism != want {
			t.Errorf("ConfigFor(%d): join parallelism %d, want %d", tt.nodes, c.JoinParallelism, want)
		}
		if c.Nodes != tt.nodes {
			t.Errorf("ConfigFor(%d).Nodes = %d", tt.nodes, c.Nodes)
		}
	}
}
