package chord

import (
	"fmt"
	"time"
)

// LoadConfig is a node's load measurement and routing-load balancing
// settings (Config.Load). The zero value is valid: loads are counted over
// DefaultLoadWindow and fingers are chosen as the paper chooses them.
type LoadConfig struct {
	// Window is the sliding window routing load is counted over (0:
	// DefaultLoadWindow).
	Window time.Duration
	// Adaptive turns adaptive routing on from the start (adaptive.go;
	// Node.SetAdaptive changes it live).
	Adaptive bool
	// AdaptiveRatio: a finger's node is routed around when it answers
	// more than this many times the lookup steps of the least loaded
	// node of the finger's interval (0: 2).
	AdaptiveRatio float64
	// AdaptiveMin: and at least this many steps a second (0: 5), so
	// that an idle ring is never rerouted by noise.
	AdaptiveMin float64
}

// validate reports the first setting out of range.
func (c LoadConfig) validate() error {
	switch {
	case c.Window < 0:
		return fmt.Errorf("load window must not be negative, got %v", c.Window)
	case c.AdaptiveRatio < 0 || c.AdaptiveRatio > 0 && c.AdaptiveRatio < 1:
		return fmt.Errorf("adaptive ratio must be at least 1 (or 0 for the default), got %v", c.AdaptiveRatio)
	case c.AdaptiveMin < 0:
		return fmt.Errorf("adaptive minimum load must not be negative, got %v", c.AdaptiveMin)
	}
	return nil
}
