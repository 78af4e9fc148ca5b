package netmux_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// ringConfig is testConfig for a node of ring (0: not known yet).
func ringConfig(ring uint64, logs *logBuffer) netmux.Config {
	cfg := testConfig()
	cfg.Ring = ring
	if logs != nil {
		cfg.Logger = logs.logger()
	}
	return cfg
}

// TestRingsDoNotMix: a node of another ring (on one machine, one that took
// over the port of a node this one knew) is refused both ways, and a node
// that does not know its ring yet learns it from the first node it dials.
func TestRingsDoNotMix(t *testing.T) {
	var logsA logBuffer
	a := echoServer(t, ringConfig(1, &logsA))
	b := echoServer(t, ringConfig(2, nil))
	joiner := echoServer(t, ringConfig(0, nil))

	call := func(from, to *netmux.Transport) error {
		_, err := callCtx(from, to.Addr(), "echo", []byte("hi"), 2*time.Second)
		return err
	}
	if err := call(b, a); !errors.Is(err, netmux.ErrOtherRing) || !errors.Is(err, netmux.ErrUnreachable) {
		t.Fatalf("ring 2 calling ring 1: %v, want ErrOtherRing and ErrUnreachable", err)
	}
	if err := call(a, b); !errors.Is(err, netmux.ErrOtherRing) {
		t.Fatalf("ring 1 calling ring 2: %v, want ErrOtherRing", err)
	}
	if a.Stats().Served != 0 || b.Stats().Served != 0 {
		t.Fatal("a node of another ring was served")
	}
	eventually(t, 2*time.Second, "the refusal logged", func() bool {
		return strings.Contains(logsA.String(), "refused a node of another ring")
	})

	if joiner.Ring() != 0 {
		t.Fatalf("joiner's ring is %d before any call", joiner.Ring())
	}
	if err := call(joiner, a); err != nil {
		t.Fatalf("a node without a ring calling ring 1: %v", err)
	}
	if joiner.Ring() != 1 {
		t.Fatalf("joiner's ring is %d after calling ring 1, want 1", joiner.Ring())
	}
	if err := call(joiner, b); !errors.Is(err, netmux.ErrOtherRing) {
		t.Fatalf("the joiner, now of ring 1, calling ring 2: %v, want ErrOtherRing", err)
	}
	if err := call(b, joiner); !errors.Is(err, netmux.ErrOtherRing) {
		t.Fatalf("ring 2 calling the joiner, now of ring 1: %v, want ErrOtherRing", err)
	}
	if err := call(a, joiner); err != nil {
		t.Fatalf("ring 1 calling the joiner: %v", err)
	}
}

// TestRingUnknownAcceptsAnyDialler: a node that does not know its ring yet
// answers any dialler, and learns no ring from one (any stranger may dial).
func TestRingUnknownAcceptsAnyDialler(t *testing.T) {
	joiner := echoServer(t, ringConfig(0, nil))
	for _, ring := range []uint64{5, 6} {
		from := echoServer(t, ringConfig(ring, nil))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := from.Call(ctx, joiner.Addr(), "echo", []byte("x"))
		cancel()
		if err != nil {
			t.Fatalf("ring %d calling a node without a ring: %v", ring, err)
		}
	}
	if joiner.Ring() != 0 {
		t.Fatalf("the acceptor learnt ring %d from a dialler", joiner.Ring())
	}
}
