//go:build unix

package cluster

import (
	"syscall"
	"testing"
)

// TestRaiseFileLimit checks that the soft open-file limit ends at the hard
// limit, as a cluster of hundreds of nodes needs.
func TestRaiseFileLimit(t *testing.T) {
	soft, hard, err := RaiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if uint64(lim.Cur) != uint64(lim.Max) || soft != uint64(lim.Cur) || hard != uint64(lim.Max) {
		t.Fatalf("limit now %d/%d, RaiseFileLimit reported %d/%d; want soft = hard", lim.Cur, lim.Max, soft, hard)
	}
}
