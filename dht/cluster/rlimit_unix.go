//go:build unix

package cluster

import "syscall"

// RaiseFileLimit raises the process's open-file soft limit to its hard
// limit (each node needs a listener and a socket per peer) and returns the
// new soft and hard limits.
func RaiseFileLimit() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return uint64(lim.Cur), uint64(lim.Max), err
		}
	}
	return uint64(lim.Cur), uint64(lim.Max), nil
}
