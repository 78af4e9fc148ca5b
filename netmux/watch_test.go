package netmux_test

import (
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
