package netmux_test

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// counter counts a transport's change notifications and keeps the last
// peer said to be gone.
type counter struct {
	n    atomic.Int64
	gone atomic.Pointer[string]
}

func (c *counter) inc(gone string) { c.gone.Store(&gone); c.n.Add(1) }
func (c *counter) count() int64    { return c.n.Load() }
func (c *counter) lastGone() string {
	if p := c.gone.Load(); p != nil {
		return *p
	}
	return "(none)"
}

// A session lost without a go-away (the peer was killed) is a change; one
// retired for idleness, by either side, is not.
func TestOnChangeReportsLostConnectionsOnly(t *testing.T) {
	cfg := testConfig()
	cfg.IdleTimeout = 50 * time.Millisecond
	a := echoServer(t, cfg)
	b := echoServer(t, cfg)
	var seen counter
	stop := a.OnChange(seen.inc)
	defer stop()

	mustCall(t, a, b.Addr(), "m", "x")
	eventually(t, 5*time.Second, "the idle session to be retired", func() bool { return a.Stats().Sessions == 0 })
	if n := seen.count(); n != 0 {
		t.Fatalf("%d change(s) reported for a session retired while idle", n)
	}

	mustCall(t, a, b.Addr(), "m", "y")
	b.Kill()
	eventually(t, 5*time.Second, "the lost session to be reported", func() bool { return seen.count() == 1 })
	if got := seen.lastGone(); got != b.Addr() {
		t.Fatalf("gone = %q, want the killed peer %s", got, b.Addr())
	}
	if got := seen.lastGone(); got != b.Addr() {
		t.Fatalf("gone = %q, want the killed peer %s", got, b.Addr())
	}

	stop()
	c := echoServer(t, cfg)
	mustCall(t, a, c.Addr(), "m", "z")
	c.Kill()
	eventually(t, 5*time.Second, "the session to be gone", func() bool { return a.Stats().Sessions == 0 })
	if n := seen.count(); n != 1 {
		t.Fatalf("%d change(s) after stop, want still 1", n)
	}
}

// A dialler that gives up during the handshake (its caller's deadline
// passed) closes a connection the acceptor has already made a session
// of: that is no news of the dialler, which is as live as before. A
// session the peer dialled and called on, lost so, is.
func TestOnChangeIgnoresAnAbandonedHandshake(t *testing.T) {
	cfg := testConfig()
	a := echoServer(t, cfg)
	var seen counter
	defer a.OnChange(seen.inc)()

	const dialler = "127.0.0.1:9" // announced, never listened on
	raw, err := net.Dial("tcp", a.Addr())
	if err != nil {
		t.Fatal(err)
	}
	hello := append([]byte("CMUX\x03\x00"), byte(len(dialler)))
	hello = append(hello, dialler...)
	hello = append(hello, make([]byte, 8)...) // no ring joined yet
	if _, err := raw.Write(hello); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the acceptor to make a session of it", func() bool { return a.Stats().Sessions == 1 })
	_ = raw.Close()
	eventually(t, 5*time.Second, "the session to end", func() bool { return a.Stats().Sessions == 0 })
	if n := seen.count(); n != 0 {
		t.Fatalf("%d change(s) reported (gone %q) for a handshake the dialler abandoned", n, seen.lastGone())
	}

	b := echoServer(t, cfg)
	mustCall(t, b, a.Addr(), "m", "x") // b dials a
	b.Kill()
	eventually(t, 5*time.Second, "the lost session to be reported", func() bool { return seen.count() == 1 })
	if got := seen.lastGone(); got != b.Addr() {
		t.Fatalf("gone = %q, want the killed dialler %s", got, b.Addr())
	}
}

// Every transport sharing a fault table hears of every fault set or
// cleared, and of every transport of the table that begins to serve or
// leaves.
func TestOnChangeReportsFaultTableChanges(t *testing.T) {
	cfg := testConfig()
	cfg.Faults = netmux.NewFaultsSeeded(1)
	a := echoServer(t, cfg)
	var seen counter
	defer a.OnChange(seen.inc)()

	step := func(what string, do func(), gone func() string) {
		t.Helper()
		before := seen.count()
		do()
		if seen.count() <= before {
			t.Fatalf("%s: no change reported", what)
		}
		if want := gone(); seen.lastGone() != want {
			t.Fatalf("%s: gone = %q, want %q", what, seen.lastGone(), want)
		}
	}
	none := func() string { return "" }
	var b *netmux.Transport
	step("a transport begins to serve", func() { b = echoServer(t, cfg) }, none)
	step("a delay", func() { cfg.Faults.SetDelay(b.Addr(), time.Millisecond) }, none)
	step("a partition", func() { cfg.Faults.Partition([]string{b.Addr()}) }, none)
	step("a heal", cfg.Faults.Heal, none)
	step("a pause", func() { cfg.Faults.Pause(b.Addr()) }, none)
	step("a transport leaves", b.Kill, func() string { return b.Addr() })
}
