//go:build !unix

package cluster

// RaiseFileLimit does nothing on systems without rlimits.
func RaiseFileLimit() (soft, hard uint64, err error) { return 0, 0, nil }
