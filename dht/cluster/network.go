package cluster

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/netmux"
)

// Network is what the cluster needs from the network its nodes talk over:
// a Transport per node and one fault table over all of them. The cluster
// hands each node's Transport to chord (which only needs chord.Transport)
// and keeps the rest for itself. Start uses netmux over TCP unless
// Config.Network is set; NewMemNetwork runs the same cluster in memory.
type Network interface {
	// Listen opens a node's transport on addr, or on a new address when
	// addr is "" (a revived node listens on its old address again).
	Listen(addr string) (Transport, error)
	// Pause makes the node at addr stop answering while its connections
	// stay open; Resume undoes it.
	Pause(addr string)
	Resume(addr string)
	// Partition cuts the nodes in group off from every other node,
	// replacing any earlier partition; Heal removes it.
	Partition(group []string)
	Heal()
	// SetDelay adds d to every call to or from addr (0 removes it).
	SetDelay(addr string, d time.Duration)
	// SetDrop loses each call to or from addr with probability p in [0, 1]
	// (0 removes it); a lost call fails at the caller's deadline.
	SetDrop(addr string, p float64)
}

// Transport is one node's endpoint on a Network.
type Transport interface {
	chord.Transport
	// Connected reports whether a call to addr would reach a live peer over
	// a connection open now (chord.ConnectionReporter).
	Connected(addr string) bool
	// Kill closes the transport at once, as its peers see a crash.
	Kill()
	// Close shuts the transport down gracefully.
	Close() error
	// Stats returns the transport's counters.
	Stats() RPCStats
}

// netmuxNetwork is the default Network: one netmux transport per node on
// Host, faults applied by a shared netmux.Faults table.
type netmuxNetwork struct {
	host   string
	cfg    netmux.Config
	faults *netmux.Faults
}

// netmuxConfig is Net with the cluster key, if any.
func (c Config) netmuxConfig() netmux.Config {
	cfg := c.Net
	if len(c.Key) > 0 {
		cfg.Key = c.Key
	}
	if cfg.Ring == 0 && c.Join == "" && c.Attach == "" {
		// A ring of its own: a node of another process that takes over a
		// port one of these nodes used is refused, not merged into it. A
		// cluster that joins or attaches learns its ring from the contact.
		cfg.Ring = rand.Uint64() | 1
	}
	return cfg
}

func newNetmuxNetwork(host string, cfg netmux.Config, seed int64, log *slog.Logger) *netmuxNetwork {
	faults := netmux.NewFaults()
	if seed != 0 {
		faults = netmux.NewFaultsSeeded(uint64(seed))
	}
	// A paused member still answers an attached program's observer and
	// its admin operations (resume among them), as a paused
	// chordtui node does.
	faults.ServeWhilePaused(chord.CommandMethod(adminCommand), chord.CommandMethod(observeCommand), chord.CommandMethod(keysCommand))
	cfg.Faults = faults
	if cfg.Logger == nil {
		cfg.Logger = log
	}
	return &netmuxNetwork{host: host, cfg: cfg, faults: faults}
}

func (n *netmuxNetwork) Listen(addr string) (Transport, error) {
	if addr == "" {
		addr = net.JoinHostPort(n.host, "0")
	} else if n.cfg.Advertise != "" {
		// A revived node: its old port on every interface, as before.
		_, port, _ := net.SplitHostPort(addr)
		addr = net.JoinHostPort(n.host, port)
	}
	tr, err := netmux.Listen(addr, n.cfg)
	if err != nil {
		return nil, fmt.Errorf("netmux on %s: %w", addr, err)
	}
	return netmuxTransport{tr}, nil
}

func (n *netmuxNetwork) Pause(addr string)  { n.faults.Pause(addr) }
func (n *netmuxNetwork) Resume(addr string) { n.faults.Resume(addr) }
func (n *netmuxNetwork) Partition(group []string) {
	n.faults.Heal()
	n.faults.Partition(group)
}
func (n *netmuxNetwork) Heal()                                 { n.faults.Heal() }
func (n *netmuxNetwork) SetDelay(addr string, d time.Duration) { n.faults.SetDelay(addr, d) }
func (n *netmuxNetwork) SetDrop(addr string, p float64)        { n.faults.SetDrop(addr, p) }

// netmuxTransport adapts *netmux.Transport to Transport (its Stats has
// more counters than the cluster shows).
type netmuxTransport struct{ *netmux.Transport }

func (t netmuxTransport) Stats() RPCStats {
	st := t.Transport.Stats()
	return RPCStats{Calls: st.Calls, Errors: st.Errors, Served: st.Served,
		BytesIn: st.BytesIn, BytesOut: st.BytesOut, P50: st.P50, P99: st.P99,
		AuthRefused: st.AuthRefused, Dials: st.Dials, Evicted: st.Evicted}
}
