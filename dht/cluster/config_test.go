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
		if want := tt.nodes > 64; c.Chord.RecursiveLookups != want {
			t.Errorf("ConfigFor(%d): recursive lookups %v, want %v", tt.nodes, c.Chord.RecursiveLookups, want)
		}
	}
}

// A ring keeps a session to every peer while the ring is small enough, and
// above that the peers its maintenance and routing use, within the
// process's descriptors.
func TestNetConfigForSizesSessionsToTheRing(t *testing.T) {
	tests := []struct{ nodes, limit, want int }{
		{1, 20000, 4},
		{16, 20000, 15},
		{128, 20000, 127}, // 16,256 session ends: a full mesh
		{256, 20000, 26},  // 2·8 + 2·4 + 2
		{1024, 20000, 16}, // 2·10 + 2·4 + 2 = 30 do not fit: (20000 − 2048)/1024 − 1
		{256, 0, 26},      // limit unknown
		{128, 10000, 61},  // (10000 − 2048)/128 − 1
	}
	for _, tt := range tests {
		c := netConfigFor(tt.nodes, tt.limit)
		if c.MaxSessions != tt.want {
			t.Errorf("netConfigFor(%d, %d).MaxSessions = %d, want %d", tt.nodes, tt.limit, c.MaxSessions, tt.want)
		}
		if tt.limit > 0 && tt.nodes*(c.MaxSessions+1) > tt.limit-fdReserve && c.MaxSessions > 4 {
			t.Errorf("netConfigFor(%d, %d): %d sessions per node need more descriptors than the limit allows", tt.nodes, tt.limit, c.MaxSessions)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("netConfigFor(%d, %d) is invalid: %v", tt.nodes, tt.limit, err)
		}
	}
}

// The default ring backs off while idle, and its liveness window covers
// its longest stabilize period, so stabilize backs off as far as the rest.
func TestDefaultConfigBacksOffIdleRounds(t *testing.T) {
	for _, n := range []int{16, 256, 1024} {
		c := ConfigFor(n).Chord
		if c.IdleBackoff <= 1 || c.IdleSettle <= 0 {
			t.Errorf("ConfigFor(%d): idle backoff %d, settle %v: want backoff on", n, c.IdleBackoff, c.IdleSettle)
		}
		longest := time.Duration(float64(time.Duration(c.IdleBackoff)*c.StabilizeInterval) * (1 + c.Jitter))
		if c.LivenessWindow < longest {
			t.Errorf("ConfigFor(%d): liveness window %v shorter than the longest stabilize period %v", n, c.LivenessWindow, longest)
		}
	}
}
