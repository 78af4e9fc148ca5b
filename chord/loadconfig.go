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
}

// validate reports the first setting out of range.
func (c LoadConfig) validate() error {
	if c.Window < 0 {
		return fmt.Errorf("load window must not be negative, got %v", c.Window)
	}
	return nil
}
