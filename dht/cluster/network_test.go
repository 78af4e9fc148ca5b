package cluster

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/chord/chordtest"
	"github.com/chordtui/chordtui/netmux"
)

// testNetworks makes a fresh Network of each kind the cluster runs on.
var testNetworks = []struct {
	name string
	make func() Network
}{
	{"netmux", func() Network {
		return newNetmuxNetwork("127.0.0.1", netmux.DefaultConfig(), 1, slog.New(slog.DiscardHandler))
	}},
	{"mem", func() Network { return NewMemNetwork(1) }},
}

// TestNetworkConformance runs chord's transport contract over the
// transports both Networks hand the cluster, with crash, pause and revive
// done the way the cluster does them.
func TestNetworkConformance(t *testing.T) {
	for _, tc := range testNetworks {
		t.Run(tc.name, func(t *testing.T) {
			nw := tc.make()
			listen := func(t *testing.T, addr string) chord.Transport {
				tr, err := nw.Listen(addr)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(tr.Kill)
				return tr
			}
			chordtest.RunConformance(t, chordtest.Harness{
				New:    func(t *testing.T) chord.Transport { return listen(t, "") },
				Crash:  func(_ *testing.T, tr chord.Transport) { tr.(Transport).Kill() },
				Pause:  func(_ *testing.T, tr chord.Transport) { nw.Pause(tr.Addr()) },
				Revive: func(t *testing.T, tr chord.Transport) chord.Transport { return listen(t, tr.Addr()) },
			})
		})
	}
}

// TestNetworkFaults checks the fault table of both Networks as the
// cluster uses it: a partition cuts the group off from every other node,
// those that listen later included, and Heal ends it; a delay slows calls;
// Connected follows; a revived address is not crashed again by its old
// transport; Stats counts what happened.
func TestNetworkFaults(t *testing.T) {
	for _, tc := range testNetworks {
		t.Run(tc.name, func(t *testing.T) {
			nw := tc.make()
			listen := func(addr string) Transport {
				tr, err := nw.Listen(addr)
				if err != nil {
					t.Fatal(err)
				}
				tr.Serve(func(context.Context, string, []byte) ([]byte, error) { return []byte("pong"), nil })
				t.Cleanup(tr.Kill)
				return tr
			}
			call := func(from, to Transport) error {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				_, err := from.Call(ctx, to.Addr(), "ping", []byte("ping"))
				return err
			}
			a, b, c := listen(""), listen(""), listen("")
			for _, p := range [][2]Transport{{a, b}, {b, c}, {a, c}} {
				if err := call(p[0], p[1]); err != nil {
					t.Fatalf("call before any fault: %v", err)
				}
			}
			nw.Partition([]string{a.Addr()})
			d := listen("") // listens after the partition: on the other side
			for _, to := range []Transport{b, c, d} {
				if err := call(a, to); err == nil {
					t.Errorf("a reached %s across the partition", to.Addr())
				}
				if err := call(to, a); err == nil {
					t.Errorf("%s reached a across the partition", to.Addr())
				}
			}
			if err := call(b, d); err != nil {
				t.Errorf("b and d are on the same side: %v", err)
			}
			nw.Partition([]string{b.Addr()}) // replaces the first
			if err := call(a, c); err != nil {
				t.Errorf("a partition did not replace the previous one: %v", err)
			}
			nw.Heal()
			if err := call(b, a); err != nil {
				t.Errorf("call after heal: %v", err)
			}

			nw.SetDelay(c.Addr(), 30*time.Millisecond)
			began := time.Now()
			if err := call(a, c); err != nil || time.Since(began) < 30*time.Millisecond {
				t.Errorf("delayed call took %v (%v), want ≥ 30ms", time.Since(began), err)
			}
			nw.SetDelay(c.Addr(), 0)

			// A revived address: the old transport's Kill must not touch
			// the new one.
			a.Kill()
			if err := call(b, a); err == nil {
				t.Error("a killed transport still answers")
			}
			a2 := listen(a.Addr())
			a.Kill()
			if err := call(b, a2); err != nil {
				t.Errorf("the old incarnation's Kill reached the new one: %v", err)
			}
			if st := b.Stats(); st.Calls == 0 || st.Errors == 0 {
				t.Errorf("b's stats %+v: want calls and errors counted", st)
			}
			if st := a2.Stats(); st.Served == 0 {
				t.Errorf("a2's stats %+v: want the served call counted", st)
			}
		})
	}
}

// TestMemNetworkConnected checks the in-memory transports report what a
// connection would: a crash, a pause and a partition end it at once.
func TestMemNetworkConnected(t *testing.T) {
	nw := NewMemNetwork(1)
	a, _ := nw.Listen("")
	b, _ := nw.Listen("")
	if !a.Connected(b.Addr()) {
		t.Fatal("not connected before any fault")
	}
	nw.Pause(b.Addr())
	if a.Connected(b.Addr()) {
		t.Error("connected to a paused node")
	}
	nw.Resume(b.Addr())
	nw.Partition([]string{b.Addr()})
	if a.Connected(b.Addr()) {
		t.Error("connected across a partition")
	}
	nw.Heal()
	b.Kill()
	if a.Connected(b.Addr()) {
		t.Error("connected to a crashed node")
	}
	if _, err := nw.Listen(a.Addr()); err == nil {
		t.Error("a second transport listened on an address in use")
	}
	_, err := a.Call(context.Background(), b.Addr(), "x", nil)
	if !errors.Is(err, chordtest.ErrUnreachable) {
		t.Errorf("call to a crashed node: %v, want ErrUnreachable", err)
	}
}
