package netmux_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// faultyTrio returns three echo nodes sharing one fault table.
func faultyTrio(t *testing.T) (*netmux.Faults, [3]*netmux.Transport) {
	f := netmux.NewFaultsSeeded(1)
	cfg := testConfig()
	cfg.Faults = f
	var n [3]*netmux.Transport
	for i := range n {
		n[i] = echoServer(t, cfg)
	}
	return f, n
}

func TestFaultPartitionAndHeal(t *testing.T) {
	f, n := faultyTrio(t)
	mustCall(t, n[0], n[1].Addr(), "m", "before")
	f.Partition([]string{n[0].Addr()})
	for _, pair := range [][2]int{{0, 1}, {1, 0}, {2, 0}} {
		start := time.Now()
		_, err := callCtx(n[pair[0]], n[pair[1]].Addr(), "m", nil, 2*time.Second)
		if !errors.Is(err, netmux.ErrUnreachable) {
			t.Fatalf("%d→%d across the partition: %v, want ErrUnreachable", pair[0], pair[1], err)
		}
		if el := time.Since(start); el > time.Second {
			t.Fatalf("partitioned call took %v, want fail-fast", el)
		}
	}
	mustCall(t, n[1], n[2].Addr(), "m", "same side")
	f.Heal()
	mustCall(t, n[0], n[1].Addr(), "m", "healed")
}

func TestFaultDropLooksLikeALostMessage(t *testing.T) {
	f, n := faultyTrio(t)
	f.SetDrop(n[1].Addr(), 1)
	start := time.Now()
	_, err := callCtx(n[0], n[1].Addr(), "m", nil, 100*time.Millisecond)
	if !errors.Is(err, netmux.ErrDropped) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dropped call: %v, want ErrDropped and DeadlineExceeded", err)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Fatalf("dropped call failed after %v, before its deadline", el)
	}
	if got := n[1].Stats().Served; got != 0 {
		t.Fatalf("dropped request was served %d times", got)
	}
	f.SetDrop(n[1].Addr(), 0)
	mustCall(t, n[0], n[1].Addr(), "m", "undropped")
}

func TestFaultDropRateIsRoughlyP(t *testing.T) {
	f, n := faultyTrio(t)
	f.SetDrop(n[1].Addr(), 0.3)
	const calls = 200
	dropped := 0
	for range calls {
		_, err := callCtx(n[0], n[1].Addr(), "m", nil, time.Millisecond*20)
		if errors.Is(err, netmux.ErrDropped) {
			dropped++
		} else if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
	}
	// Binomial(200, 0.3): mean 60, sd 6.5; a seeded table, so this is exact
	// for a given seed, and any seed lands in [30, 90] with overwhelming odds.
	if dropped < 30 || dropped > 90 {
		t.Fatalf("%d of %d calls dropped at p = 0.3", dropped, calls)
	}
}

func TestFaultDelay(t *testing.T) {
	f, n := faultyTrio(t)
	const d = 60 * time.Millisecond
	tests := []struct {
		name     string
		set      func()
		from, to int
		atLeast  time.Duration
	}{
		{"node delay applies to calls to it", func() { f.SetDelay(n[1].Addr(), d) }, 0, 1, d},
		{"node delay applies to calls from it", func() { f.SetDelay(n[1].Addr(), d) }, 1, 2, d},
		{"link delay one way", func() { f.SetLinkDelay(n[0].Addr(), n[2].Addr(), d) }, 0, 2, d},
		{"link delay not the other way", func() { f.SetLinkDelay(n[0].Addr(), n[2].Addr(), d) }, 2, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.set()
			defer func() {
				f.SetDelay(n[1].Addr(), 0)
				f.SetLinkDelay(n[0].Addr(), n[2].Addr(), 0)
			}()
			start := time.Now()
			mustCall(t, n[tc.from], n[tc.to].Addr(), "m", "x")
			el := time.Since(start)
			if el < tc.atLeast {
				t.Fatalf("call took %v, want at least %v", el, tc.atLeast)
			}
			if tc.atLeast == 0 && el >= d {
				t.Fatalf("call took %v, the reverse link should not be delayed", el)
			}
		})
	}
	t.Run("delay longer than the deadline", func(t *testing.T) {
		f.SetDelay(n[1].Addr(), time.Second)
		defer f.SetDelay(n[1].Addr(), 0)
		_, err := callCtx(n[0], n[1].Addr(), "m", nil, 50*time.Millisecond)
		if !isDeadline(err) {
			t.Fatalf("got %v, want DeadlineExceeded", err)
		}
	})
}

func TestFaultPauseAndResume(t *testing.T) {
	f, n := faultyTrio(t)
	mustCall(t, n[0], n[1].Addr(), "m", "warm")
	f.Pause(n[1].Addr())
	_, err := callCtx(n[0], n[1].Addr(), "m", nil, 100*time.Millisecond)
	if !isDeadline(err) {
		t.Fatalf("call to a paused node: %v, want DeadlineExceeded", err)
	}
	// A paused node still accepts new connections and reads.
	_, err = callCtx(n[2], n[1].Addr(), "m", nil, 100*time.Millisecond)
	if !isDeadline(err) {
		t.Fatalf("new connection to a paused node: %v, want DeadlineExceeded", err)
	}
	// Its own calls go out.
	mustCall(t, n[1], n[2].Addr(), "m", "paused node calls out")
	// A method named by ServeWhilePaused is answered (an operator's resume).
	f.ServeWhilePaused("admin")
	mustCall(t, n[0], n[1].Addr(), "admin", "paused node, a method served while paused")
	if _, err := callCtx(n[0], n[1].Addr(), "m", nil, 100*time.Millisecond); !isDeadline(err) {
		t.Fatalf("call to a paused node after ServeWhilePaused(admin): %v, want DeadlineExceeded", err)
	}
	f.Resume(n[1].Addr())
	mustCall(t, n[0], n[1].Addr(), "m", "resumed")
	mustCall(t, n[2], n[1].Addr(), "m", "resumed")
}

// Connected is what a chord node consults before vouching that a peer is
// live without calling it: a session to the peer must be open and the
// fault table must leave calls between them alone.
func TestConnectedFollowsSessionAndFaults(t *testing.T) {
	f, n := faultyTrio(t)
	a, b := n[0], n[1].Addr()
	if a.Connected(b) {
		t.Fatal("connected before any call")
	}
	mustCall(t, a, b, "m", "x")
	for _, tc := range []struct {
		name  string
		fault func()
		heal  func()
	}{
		{"partition", func() { f.Partition([]string{a.Addr()}) }, f.Heal},
		{"drop rate", func() { f.SetDrop(b, 0.1) }, func() { f.SetDrop(b, 0) }},
		{"peer paused", func() { f.Pause(b) }, func() { f.Resume(b) }},
	} {
		if !a.Connected(b) {
			t.Fatalf("before %s: not connected", tc.name)
		}
		tc.fault()
		if a.Connected(b) {
			t.Fatalf("%s: still connected", tc.name)
		}
		tc.heal()
	}
	if !a.Connected(b) {
		t.Fatal("healed: not connected")
	}
	n[1].Kill()
	eventually(t, 2*time.Second, "the crashed peer's session to close", func() bool { return !a.Connected(b) })
}

// WouldDial is what a chord node consults before it forwards a lookup to
// a peer it holds no session to: true before the first call and once the
// peer's session has closed, false while one is open, faults or not.
func TestWouldDialFollowsSessions(t *testing.T) {
	f, n := faultyTrio(t)
	a, b := n[0], n[1].Addr()
	if !a.WouldDial(b) {
		t.Fatal("no call yet, but no dial needed")
	}
	mustCall(t, a, b, "m", "x")
	if a.WouldDial(b) {
		t.Fatal("a session is open, but a call would dial")
	}
	f.Pause(b)
	if a.WouldDial(b) {
		t.Fatal("peer paused: its session is still open, but a call would dial")
	}
	f.Resume(b)
	n[1].Kill()
	eventually(t, 2*time.Second, "a call to the crashed peer to need a dial", func() bool { return a.WouldDial(b) })
}
