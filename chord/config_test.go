package chord

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig invalid: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"stabilize below a millisecond", func(c *Config) { c.StabilizeInterval = time.Nanosecond }, "maintenance intervals must be at least 1ms, got stabilize 1ns"},
		{"fix_fingers of 0", func(c *Config) { c.FixFingersInterval = 0 }, "fix-fingers 0s"},
		{"check_predecessor below a millisecond", func(c *Config) { c.CheckPredecessorInterval = 999 * time.Microsecond }, "check-predecessor 999µs"},
		{"no successor list", func(c *Config) { c.SuccessorListLen = 0 }, "successor list length must be at least 1"},
		{"no rpc timeout", func(c *Config) { c.RPCTimeout = 0 }, "rpc timeout must be at least 1ms"},
		{"an rpc timeout no call meets", func(c *Config) { c.RPCTimeout = time.Microsecond }, "rpc timeout must be at least 1ms, got 1µs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want an error saying %q", err, tt.want)
			}
		})
	}
	c := DefaultConfig()
	c.StabilizeInterval, c.FixFingersInterval, c.CheckPredecessorInterval = MinInterval, MinInterval, MinInterval
	if err := c.Validate(); err != nil {
		t.Errorf("periods of MinInterval: %v", err)
	}
}
