package chordtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// ErrUnreachable is wrapped by every call that fails because the target (or
// the caller) is crashed, absent or partitioned away.
var ErrUnreachable = errors.New("address unreachable")

// errNotServing is returned for calls to an endpoint that has no handler yet.
var errNotServing = errors.New("endpoint is not serving yet")

// Network is an in-memory network of Endpoints. Calls run the remote handler
// synchronously in the caller's goroutine: the network starts no goroutines,
// so a test that drives rounds by hand is fully deterministic. Request and
// reply bytes are copied so no aliasing can hide bugs.
//
// The zero Network is not usable; call NewNetwork.
type Network struct {
	calls atomic.Uint64

	mu       sync.Mutex
	rng      *rand.Rand
	eps      map[string]*Endpoint // the live (or crashed) endpoint per address
	crashed  map[string]bool
	paused   map[string]chan struct{} // closed by Resume
	cuts     map[[2]string]bool
	isolated map[string]bool
	groups   []map[string]bool // Partition's groups, until Heal
	delay    map[string]time.Duration
	drop     map[string]float64
}

// NewNetwork returns an empty network whose random decisions (drops) come
// from a generator seeded with seed.
func NewNetwork(seed int64) *Network {
	return &Network{
		rng:      rand.New(rand.NewSource(seed)),
		eps:      make(map[string]*Endpoint),
		crashed:  make(map[string]bool),
		paused:   make(map[string]chan struct{}),
		cuts:     make(map[[2]string]bool),
		isolated: make(map[string]bool),
		delay:    make(map[string]time.Duration),
		drop:     make(map[string]float64),
	}
}

// Endpoint is one address on a Network. It implements chord.Transport.
type Endpoint struct {
	nw   *Network
	addr string

	mu      sync.RWMutex
	handler chord.Handler

	calls, failed, served, bytesIn, bytesOut atomic.Uint64
}

// EndpointStats are an endpoint's counters since it was created.
type EndpointStats struct {
	// Calls is the number of outgoing calls made; Errors how many failed.
	Calls, Errors uint64
	// Served is the number of incoming calls its handler ran.
	Served uint64
	// BytesIn and BytesOut count request and reply bytes received and
	// sent (no framing: the network copies byte slices).
	BytesIn, BytesOut uint64
}

var (
	_ chord.Transport          = (*Endpoint)(nil)
	_ chord.ConnectionReporter = (*Endpoint)(nil)
)

// Endpoint creates the endpoint for addr. It fails if addr already has a live
// endpoint; after Crash(addr) the address may be taken again (a revived node),
// and the crashed endpoint stays dead for good.
func (nw *Network) Endpoint(addr string) (*Endpoint, error) {
	if addr == "" {
		return nil, errors.New("empty address")
	}
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if _, ok := nw.eps[addr]; ok && !nw.crashed[addr] {
		return nil, fmt.Errorf("address %s is already in use", addr)
	}
	ep := &Endpoint{nw: nw, addr: addr}
	nw.eps[addr] = ep
	delete(nw.crashed, addr)
	if ch, ok := nw.paused[addr]; ok {
		close(ch)
		delete(nw.paused, addr)
	}
	return ep, nil
}

// Crash makes addr fail as a crashed process: calls to it fail at once with
// an error wrapping ErrUnreachable, and its own outgoing calls fail too.
func (nw *Network) Crash(addr string) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.crashLocked(addr)
}

// crashLocked crashes addr and releases calls blocked on its pause.
func (nw *Network) crashLocked(addr string) {
	nw.crashed[addr] = true
	if ch, ok := nw.paused[addr]; ok {
		close(ch)
		delete(nw.paused, addr)
	}
}

// Kill crashes the endpoint (Crash of its address), unless a newer endpoint
// has taken the address since: then this one is dead already.
func (e *Endpoint) Kill() {
	nw := e.nw
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if nw.eps[e.addr] == e {
		nw.crashLocked(e.addr)
	}
}

// Close is Kill: in memory a closed and a crashed endpoint look the same
// (calls to it are refused at once). It never fails.
func (e *Endpoint) Close() error {
	e.Kill()
	return nil
}

// Stats returns the endpoint's counters.
func (e *Endpoint) Stats() EndpointStats {
	return EndpointStats{
		Calls: e.calls.Load(), Errors: e.failed.Load(), Served: e.served.Load(),
		BytesIn: e.bytesIn.Load(), BytesOut: e.bytesOut.Load(),
	}
}

// Crashed reports whether addr is crashed or has never had an endpoint.
func (nw *Network) Crashed(addr string) bool {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	_, ok := nw.eps[addr]
	return !ok || nw.crashed[addr]
}

// Pause makes calls to addr block until Resume or until the caller's ctx
// expires (the caller then sees context.DeadlineExceeded): a stopped process
// whose socket still accepts.
func (nw *Network) Pause(addr string) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if _, ok := nw.paused[addr]; !ok {
		nw.paused[addr] = make(chan struct{})
	}
}

// Resume undoes Pause; calls blocked on addr proceed.
func (nw *Network) Resume(addr string) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if ch, ok := nw.paused[addr]; ok {
		close(ch)
		delete(nw.paused, addr)
	}
}

func pairKey(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

// Cut breaks the link between a and b in both directions: calls fail at once
// with ErrUnreachable (as a refused connection would).
func (nw *Network) Cut(a, b string) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.cuts[pairKey(a, b)] = true
}

// Isolate cuts addr off from every other address.
func (nw *Network) Isolate(addr string) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.isolated[addr] = true
}

// Partition cuts every address in group off from every address not in it,
// in both directions (calls fail at once with ErrUnreachable). Partitions
// accumulate until Heal.
func (nw *Network) Partition(group []string) {
	set := make(map[string]bool, len(group))
	for _, a := range group {
		set[a] = true
	}
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.groups = append(nw.groups, set)
}

// Heal removes every cut, isolation and partition (crashes, pauses, delays
// and drops stay).
func (nw *Network) Heal() {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.cuts = make(map[[2]string]bool)
	nw.isolated = make(map[string]bool)
	nw.groups = nil
}

// SetDelay makes every call to or from addr take d longer (0 removes it).
// The delay waits on a timer and honours the caller's ctx.
func (nw *Network) SetDelay(addr string, d time.Duration) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if d <= 0 {
		delete(nw.delay, addr)
		return
	}
	nw.delay[addr] = d
}

// SetDrop makes each call to or from addr lost with probability p, decided by
// the network's seeded RNG. A lost call behaves as a silent peer: it fails
// when the caller's ctx expires.
func (nw *Network) SetDrop(addr string, p float64) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if p <= 0 {
		delete(nw.drop, addr)
		return
	}
	nw.drop[addr] = p
}

// Calls returns the number of calls attempted on the network so far.
func (nw *Network) Calls() uint64 { return nw.calls.Load() }

// route decides the fate of one call under the network lock.
type route struct {
	target  *Endpoint
	err     error
	wait    chan struct{} // non-nil: target paused
	dropped bool
	delay   time.Duration
}

func (nw *Network) route(from *Endpoint, addr string) route {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	target, err := nw.reachLocked(from, addr)
	if err != nil {
		return route{err: err}
	}
	r := route{target: target, wait: nw.paused[addr], delay: nw.delay[addr] + nw.delay[from.addr]}
	for _, p := range [2]float64{nw.drop[from.addr], nw.drop[addr]} {
		if p > 0 && nw.rng.Float64() < p {
			r.dropped = true
		}
	}
	return r
}

// reachLocked returns the endpoint a call from from to addr reaches, or why
// it reaches none: a crashed caller or target, or a cut or isolation
// between them. Caller holds nw.mu.
func (nw *Network) reachLocked(from *Endpoint, addr string) (*Endpoint, error) {
	if nw.eps[from.addr] != from || nw.crashed[from.addr] {
		return nil, fmt.Errorf("caller %s is crashed: %w", from.addr, ErrUnreachable)
	}
	target, ok := nw.eps[addr]
	if !ok || nw.crashed[addr] {
		return nil, fmt.Errorf("%s: connection refused: %w", addr, ErrUnreachable)
	}
	if addr != from.addr && (nw.isolated[addr] || nw.isolated[from.addr] || nw.cuts[pairKey(from.addr, addr)] || nw.splitLocked(from.addr, addr)) {
		return nil, fmt.Errorf("%s: partitioned from %s: %w", addr, from.addr, ErrUnreachable)
	}
	return target, nil
}

// splitLocked reports whether a Partition group holds one of a and b but
// not the other. Caller holds nw.mu.
func (nw *Network) splitLocked(a, b string) bool {
	for _, g := range nw.groups {
		if g[a] != g[b] {
			return true
		}
	}
	return false
}

// Addr is the endpoint's address.
func (e *Endpoint) Addr() string { return e.addr }

// Connected reports whether a call from e to addr would reach a live,
// unpaused endpoint with no fault in between (no cut, isolation or drop
// rate), as an open connection would on a real network: a crash is seen at
// once. It implements chord.ConnectionReporter.
func (e *Endpoint) Connected(addr string) bool {
	nw := e.nw
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if _, err := nw.reachLocked(e, addr); err != nil {
		return false
	}
	return nw.paused[addr] == nil && nw.drop[addr] == 0 && nw.drop[e.addr] == 0
}

// Serve sets the handler for incoming calls.
func (e *Endpoint) Serve(h chord.Handler) {
	e.mu.Lock()
	e.handler = h
	e.mu.Unlock()
}

// Call runs method on the endpoint at addr, synchronously, subject to the
// network's faults.
func (e *Endpoint) Call(ctx context.Context, addr, method string, req []byte) (_ []byte, err error) {
	e.nw.calls.Add(1)
	e.calls.Add(1)
	defer func() {
		if err != nil {
			e.failed.Add(1)
		}
	}()
	var r route
	for {
		// The fate comes first, so that the seeded draws of drops are the
		// same whatever the scheduler does to the caller's deadline.
		r = e.nw.route(e, addr)
		if r.err != nil {
			return nil, fmt.Errorf("call %s: %w", method, r.err)
		}
		if r.dropped {
			<-ctx.Done()
			return nil, fmt.Errorf("call %s on %s: message lost: %w", method, addr, ctx.Err())
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("call %s on %s: %w", method, addr, err)
		}
		if r.wait == nil {
			break
		}
		select {
		case <-r.wait:
			// Resumed (or crashed, or revived) meanwhile: route again.
		case <-ctx.Done():
			return nil, fmt.Errorf("call %s on %s: peer paused: %w", method, addr, ctx.Err())
		}
	}
	if r.delay > 0 {
		t := time.NewTimer(r.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("call %s on %s: delayed: %w", method, addr, ctx.Err())
		}
		if err := ctx.Err(); err != nil { // both ready: select may have picked the timer
			return nil, fmt.Errorf("call %s on %s: delayed: %w", method, addr, err)
		}
	}
	r.target.mu.RLock()
	h := r.target.handler
	r.target.mu.RUnlock()
	if h == nil {
		return nil, fmt.Errorf("call %s on %s: %w", method, addr, errNotServing)
	}
	e.bytesOut.Add(uint64(len(req)))
	r.target.bytesIn.Add(uint64(len(req)))
	r.target.served.Add(1)
	reply, err := h(ctx, method, append([]byte(nil), req...))
	r.target.bytesOut.Add(uint64(len(reply)))
	e.bytesIn.Add(uint64(len(reply)))
	if err != nil {
		// Text only, not %w: over a real network only the message travels.
		return nil, fmt.Errorf("call %s on %s: remote error: %s", method, addr, err.Error())
	}
	return append([]byte(nil), reply...), nil
}
