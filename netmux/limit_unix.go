//go:build unix

package netmux

import "syscall"

// DescriptorLimit returns the process's soft limit on open file
// descriptors (RLIMIT_NOFILE; Go raises it to the hard limit at start), or
// 0 when it cannot be read. Every session end and listener holds one.
func DescriptorLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return int(min(rl.Cur, 1<<30))
}
