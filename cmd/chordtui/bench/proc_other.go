//go:build !unix

package bench

import "time"

// processCPU is unknown off unix: 0 (the CPU columns then read 0).
func processCPU() time.Duration { return 0 }

// fdLimit is unknown off unix: 0 (no descriptor check).
func fdLimit() int { return 0 }
