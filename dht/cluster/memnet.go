package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/chord/chordtest"
	"github.com/chordtui/chordtui/netmux"
)

// NewMemNetwork returns a Network in memory (chord/chordtest): no sockets,
// a call runs the remote handler in the caller's goroutine, a crash or a
// fault takes effect at once, and lost calls are drawn from seed. Nodes get
// the addresses mem:1, mem:2, … It is for tests and tools where sockets
// are not the point; one Network serves one cluster.
func NewMemNetwork(seed int64) Network {
	return &memNetwork{nw: chordtest.NewNetwork(seed), current: map[string]*memTransport{}}
}

type memNetwork struct {
	nw *chordtest.Network

	mu      sync.Mutex
	next    int                      // the last address number handed out
	current map[string]*memTransport // the open transport at each address
	addrs   []string                 // every address ever listened on
	group   map[string]bool          // the partitioned group; nil: none
}

func (n *memNetwork) Listen(addr string) (Transport, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	isNew := addr == ""
	if isNew {
		n.next++
		addr = fmt.Sprintf("mem:%d", n.next)
	}
	ep, err := n.nw.Endpoint(addr)
	if err != nil {
		return nil, fmt.Errorf("memory network: %w", err)
	}
	t := &memTransport{net: n, ep: ep}
	n.current[addr] = t
	if isNew {
		n.addrs = append(n.addrs, addr)
		if n.group != nil { // a node added during a partition is on the other side
			for g := range n.group {
				n.nw.Cut(g, addr)
			}
		}
	}
	return t, nil
}

// crash ends t if it is still the transport open at its address (a
// revived node's new transport is not touched by its old one).
func (n *memNetwork) crash(t *memTransport) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.current[t.ep.Addr()] == t {
		delete(n.current, t.ep.Addr())
		n.nw.Crash(t.ep.Addr())
	}
}

func (n *memNetwork) Pause(addr string)  { n.nw.Pause(addr) }
func (n *memNetwork) Resume(addr string) { n.nw.Resume(addr) }

func (n *memNetwork) Partition(group []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.nw.Heal()
	n.group = make(map[string]bool, len(group))
	for _, a := range group {
		n.group[a] = true
	}
	for _, g := range group {
		for _, a := range n.addrs {
			if !n.group[a] {
				n.nw.Cut(g, a)
			}
		}
	}
}

func (n *memNetwork) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.group = nil
	n.nw.Heal()
}

func (n *memNetwork) SetDelay(addr string, d time.Duration) { n.nw.SetDelay(addr, d) }
func (n *memNetwork) SetDrop(addr string, p float64)        { n.nw.SetDrop(addr, p) }

// memTransport is one node's chordtest.Endpoint with the counters the
// cluster shows.
type memTransport struct {
	net *memNetwork
	ep  *chordtest.Endpoint

	calls, errors, served, bytesIn, bytesOut atomic.Uint64
	latency                                  netmux.Histogram
}

func (t *memTransport) Addr() string { return t.ep.Addr() }

func (t *memTransport) Call(ctx context.Context, addr, method string, req []byte) ([]byte, error) {
	began := time.Now()
	reply, err := t.ep.Call(ctx, addr, method, req)
	t.latency.Record(time.Since(began))
	t.calls.Add(1)
	t.bytesOut.Add(uint64(len(req)))
	t.bytesIn.Add(uint64(len(reply)))
	if err != nil {
		t.errors.Add(1)
	}
	return reply, err
}

func (t *memTransport) Serve(h chord.Handler) {
	t.ep.Serve(func(ctx context.Context, method string, req []byte) ([]byte, error) {
		t.served.Add(1)
		t.bytesIn.Add(uint64(len(req)))
		reply, err := h(ctx, method, req)
		t.bytesOut.Add(uint64(len(reply)))
		return reply, err
	})
}

func (t *memTransport) Connected(addr string) bool { return t.ep.Connected(addr) }
func (t *memTransport) Kill()                      { t.net.crash(t) }

// Close is Kill: calls already running finish in their callers' goroutines
// either way, and new calls fail.
func (t *memTransport) Close() error {
	t.net.crash(t)
	return nil
}

func (t *memTransport) Stats() RPCStats {
	return RPCStats{Calls: t.calls.Load(), Errors: t.errors.Load(), Served: t.served.Load(),
		BytesIn: t.bytesIn.Load(), BytesOut: t.bytesOut.Load(),
		P50: t.latency.Percentile(0.5), P99: t.latency.Percentile(0.99)}
}
