// Package netmux carries RPCs between nodes over yamux-multiplexed TCP.
// (API skeleton: the netmux issue replaces this file.)
package netmux

import (
	"context"
	"errors"
	"time"
)

var errUnimplemented = errors.New("unimplemented")

// Handler serves one incoming call (same shape as chord.Handler).
type Handler = func(ctx context.Context, method string, req []byte) ([]byte, error)

// Config holds the limits and timeouts of a transport.
type Config struct {
	// Faults, if non-nil, is the fault table shared by every transport of a
	// local cluster (delay, drop, partition, pause).
	Faults *Faults
}

// DefaultConfig returns the limits used by chordtui.
func DefaultConfig() Config { return Config{} }

// Transport is one node's endpoint: a TCP listener and its yamux sessions.
type Transport struct{}

// Listen opens a listener on addr ("127.0.0.1:0" for any port).
func Listen(addr string, cfg Config) (*Transport, error) { return nil, errUnimplemented }

// Addr returns the listening address, host:port.
func (t *Transport) Addr() string { return "" }

// Call performs one RPC.
func (t *Transport) Call(ctx context.Context, addr, method string, req []byte) ([]byte, error) {
	return nil, errUnimplemented
}

// Serve sets the handler for incoming calls.
func (t *Transport) Serve(h Handler) {}

// Close shuts down gracefully and waits for every goroutine to exit.
func (t *Transport) Close() error { return nil }

// Kill closes the listener and every session at once, as peers see a crash.
func (t *Transport) Kill() {}

// Stats returns a copy of the transport's counters.
func (t *Transport) Stats() Stats { return Stats{} }

// Stats are a transport's counters since it started.
type Stats struct {
	Calls, Errors, Served uint64
	BytesIn, BytesOut     uint64
	// P50, P90, P99 of outgoing call latency.
	P50, P90, P99 time.Duration
}

// Faults is a fault table shared by the transports of one local cluster.
type Faults struct{}

// NewFaults returns an empty fault table (no faults).
func NewFaults() *Faults { return &Faults{} }

// SetDelay adds d to every call to or from addr (0 removes it).
func (f *Faults) SetDelay(addr string, d time.Duration) {}

// SetLinkDelay adds d to calls from one address to another.
func (f *Faults) SetLinkDelay(from, to string, d time.Duration) {}

// SetDrop makes calls to or from addr fail with probability p (0..1).
func (f *Faults) SetDrop(addr string, p float64) {}

// Partition cuts every address in group off from every address not in it.
func (f *Faults) Partition(group []string) {}

// Heal removes every partition.
func (f *Faults) Heal() {}

// Pause makes addr accept and read calls but never answer them.
func (f *Faults) Pause(addr string) {}

// Resume undoes Pause.
func (f *Faults) Resume(addr string) {}
