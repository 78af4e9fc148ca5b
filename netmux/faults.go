package netmux

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Faults is a fault table shared by the transports of one local cluster
// (Config.Faults). The calling side consults it on every call, from its own
// address to the callee's:
//
//   - partition: the call fails at once with ErrUnreachable, as a refused
//     connection would;
//   - drop: the request is lost: it is never sent and the caller waits until
//     its deadline, then gets an error wrapping both ErrDropped and
//     context.DeadlineExceeded (what a lost message looks like);
//   - delay: the call waits (respecting ctx) before its request is sent.
//
// Pause is applied by the paused transport itself: it goes on accepting
// connections and reading requests, and never answers them, so callers hit
// their deadline (except the methods ServeWhilePaused names). A paused
// transport's own outgoing calls are unaffected.
//
// All methods are safe for concurrent use. When no fault is set, the cost
// on the call path is one atomic load.
type Faults struct {
	active atomic.Bool // any fault set; the fast path reads only this

	mu         sync.RWMutex
	delay      map[string]time.Duration
	linkDelay  map[[2]string]time.Duration
	drop       map[string]float64
	partitions []map[string]bool
	paused     map[string]bool
	pauseOpen  map[string]bool // methods answered while paused
	rng        *rand.Rand
	rngMu      sync.Mutex

	// members are the open transports that share the table; each hears
	// of every fault set or cleared, every member that begins to serve and
	// every member that leaves (Transport.OnChange).
	membersMu sync.Mutex
	members   map[*Transport]struct{}
}

// NewFaults returns an empty fault table (no faults) whose drop decisions
// come from a random seed.
func NewFaults() *Faults { return NewFaultsSeeded(rand.Uint64()) }

// NewFaultsSeeded returns an empty fault table whose drop decisions are
// drawn from a generator seeded with seed, for repeatable experiments.
func NewFaultsSeeded(seed uint64) *Faults {
	return &Faults{
		delay:     map[string]time.Duration{},
		linkDelay: map[[2]string]time.Duration{},
		drop:      map[string]float64{},
		paused:    map[string]bool{},
		pauseOpen: map[string]bool{},
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
}

// SetDelay adds d to every call to or from addr (0 removes it).
func (f *Faults) SetDelay(addr string, d time.Duration) {
	f.update(func() {
		if d <= 0 {
			delete(f.delay, addr)
		} else {
			f.delay[addr] = d
		}
	})
}

// SetLinkDelay adds d to calls from one address to another (0 removes it).
func (f *Faults) SetLinkDelay(from, to string, d time.Duration) {
	f.update(func() {
		if d <= 0 {
			delete(f.linkDelay, [2]string{from, to})
		} else {
			f.linkDelay[[2]string{from, to}] = d
		}
	})
}

// SetDrop makes calls to or from addr fail with probability p (0..1; values
// outside are clamped; 0 removes it).
func (f *Faults) SetDrop(addr string, p float64) {
	f.update(func() {
		switch {
		case !(p > 0): // also NaN
			delete(f.drop, addr)
		case p > 1:
			f.drop[addr] = 1
		default:
			f.drop[addr] = p
		}
	})
}

// Partition cuts every address in group off from every address not in it.
// Partitions accumulate until Heal.
func (f *Faults) Partition(group []string) {
	set := make(map[string]bool, len(group))
	for _, a := range group {
		set[a] = true
	}
	f.update(func() { f.partitions = append(f.partitions, set) })
}

// Heal removes every partition.
func (f *Faults) Heal() { f.update(func() { f.partitions = nil }) }

// Pause makes addr accept and read calls but never answer them.
func (f *Faults) Pause(addr string) { f.update(func() { f.paused[addr] = true }) }

// Resume undoes Pause.
func (f *Faults) Resume(addr string) { f.update(func() { delete(f.paused, addr) }) }

// update applies change under the lock, refreshes the fast-path flag and
// tells every member.
func (f *Faults) update(change func()) {
	f.mu.Lock()
	change()
	f.active.Store(len(f.delay)+len(f.linkDelay)+len(f.drop)+len(f.partitions)+len(f.paused) > 0)
	f.mu.Unlock()
	f.notify("")
}

// join adds t to the members (Listen). The others hear of it when t
// begins to serve (Transport.Serve).
func (f *Faults) join(t *Transport) {
	if f == nil {
		return
	}
	f.membersMu.Lock()
	if f.members == nil {
		f.members = map[*Transport]struct{}{}
	}
	f.members[t] = struct{}{}
	f.membersMu.Unlock()
}

// leave removes t from the members (Kill, Close) and tells the others.
func (f *Faults) leave(t *Transport) {
	if f == nil {
		return
	}
	f.membersMu.Lock()
	_, ok := f.members[t]
	delete(f.members, t)
	f.membersMu.Unlock()
	if ok {
		f.notify(t.addr)
	}
}

// notify tells every member that the table or the membership changed;
// gone is the address of a member that left, or "".
func (f *Faults) notify(gone string) {
	if f == nil {
		return
	}
	f.membersMu.Lock()
	ts := make([]*Transport, 0, len(f.members))
	for t := range f.members {
		ts = append(ts, t)
	}
	f.membersMu.Unlock()
	for _, t := range ts {
		t.changed(gone)
	}
}

// linkFault is what the fault table says about one call.
type linkFault struct {
	partitioned bool
	dropped     bool
	delay       time.Duration
}

// forCall returns the faults that apply to a call from one address to
// another; ok is false when there are none (the common case).
func (f *Faults) forCall(from, to string) (lf linkFault, ok bool) {
	if f == nil || !f.active.Load() {
		return lf, false
	}
	f.mu.RLock()
	lf.partitioned = f.partitionedLocked(from, to)
	lf.delay = f.delay[from] + f.delay[to] + f.linkDelay[[2]string{from, to}]
	pFrom, pTo := f.drop[from], f.drop[to]
	f.mu.RUnlock()
	if pFrom > 0 || pTo > 0 {
		keep := (1 - pFrom) * (1 - pTo)
		f.rngMu.Lock()
		lf.dropped = f.rng.Float64() >= keep
		f.rngMu.Unlock()
	}
	return lf, lf.partitioned || lf.dropped || lf.delay > 0
}

// partitionedLocked reports whether a partition separates from and to.
// Caller holds f.mu.
func (f *Faults) partitionedLocked(from, to string) bool {
	for _, g := range f.partitions {
		if g[from] != g[to] {
			return true
		}
	}
	return false
}

// unreliable reports whether the table disturbs calls between from and to
// at all: a partition between them, a drop rate on either, or either
// paused. Unlike forCall it draws no random number.
func (f *Faults) unreliable(from, to string) bool {
	if f == nil || !f.active.Load() {
		return false
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.partitionedLocked(from, to) || f.drop[from] > 0 || f.drop[to] > 0 || f.paused[from] || f.paused[to]
}

// ServeWhilePaused names methods that a paused transport still answers:
// an observer's or an operator's, so that a paused node can be watched
// and resumed from another program.
func (f *Faults) ServeWhilePaused(methods ...string) {
	f.update(func() {
		for _, m := range methods {
			f.pauseOpen[m] = true
		}
	})
}

// pausedFor reports whether addr is paused and leaves a call of method
// unanswered.
func (f *Faults) pausedFor(addr, method string) bool {
	if f == nil || !f.active.Load() {
		return false
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.paused[addr] && !f.pauseOpen[method]
}
