package chord

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

// Which call failures drop a neighbour at once (definite), which only count
// as a timeout, and which are this node's own fault and drop nothing. The
// errors are wrapped the way the transports and downError wrap them.
func TestDefiniteFailure(t *testing.T) {
	dial := func(errno syscall.Errno) error {
		op := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", errno)}
		return downError(methodState, "10.0.0.1:4000", fmt.Errorf("netmux: dial 10.0.0.1:4000: %w", op))
	}
	tests := []struct {
		name     string
		err      error
		definite bool
		timeout  bool
	}{
		{"refused", dial(syscall.ECONNREFUSED), true, false},
		{"not a member", fmt.Errorf("%s %s: %w", methodPing, "a", ErrNotJoined), true, false},
		{"deadline", downError(methodPing, "a", fmt.Errorf("call: %w", context.DeadlineExceeded)), false, true},
		{"timeout sentinel", fmt.Errorf("x: %w", ErrTimeout), false, true},
		{"out of descriptors", dial(syscall.EMFILE), false, false},
		{"system out of descriptors", dial(syscall.ENFILE), false, false},
		{"out of local ports", dial(syscall.EADDRNOTAVAIL), false, false},
		{"this node stopped", fmt.Errorf("stabilize: %w", ErrStopped), false, false},
		{"plain error", errors.New("connection reset"), true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := definiteFailure(tc.err); got != tc.definite {
				t.Errorf("definiteFailure(%v) = %v, want %v", tc.err, got, tc.definite)
			}
			if got := isTimeout(tc.err); got != tc.timeout {
				t.Errorf("isTimeout(%v) = %v, want %v", tc.err, got, tc.timeout)
			}
		})
	}
}
