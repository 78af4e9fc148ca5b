package chord

import (
	"sync"
	"sync/atomic"
	"time"
)

// peerTable remembers when each peer last answered a protocol call as a ring
// member, so a lookup can skip pinging an owner that answered within
// Config.LivenessWindow (a failed call forgets the peer at once), how many
// maintenance calls to it timed out in a row (suspect.go), and, for ring
// unification, the peers this node has talked to (unify.go).
type peerTable struct {
	mu sync.RWMutex
	m  map[string]*peerInfo

	// neighbours are the successor list and predecessor at the end of the
	// last stabilize round (unify.go; guarded by Node.mu).
	neighbours []NodeRef
}

type peerInfo struct {
	lastOK   atomic.Int64 // monotonic nanoseconds since the table's epoch; 0: never or failed since
	timeouts atomic.Int32 // maintenance calls timed out since the peer last answered
	met      atomic.Bool  // the peer has answered at least once

	// Unification probes of the peer as a former peer (unify.go; guarded
	// by Node.mu): failed in a row, and the stabilize round from which it
	// may be probed again.
	probeFailures int
	probeNext     uint64
}

// maxPeers bounds a peerTable; past it new peers are not remembered.
const maxPeers = 1 << 14

// peerEpoch makes monotonic timestamps from time.Since.
var peerEpoch = time.Now()

func (t *peerTable) lookup(addr string) *peerInfo {
	t.mu.RLock()
	p := t.m[addr]
	t.mu.RUnlock()
	return p
}

// answered records a successful protocol call to addr.
func (t *peerTable) answered(addr string) {
	now := int64(time.Since(peerEpoch)) + 1
	p := t.lookup(addr)
	if p == nil {
		if p = t.create(addr); p == nil {
			return
		}
	}
	p.lastOK.Store(now)
	if !p.met.Load() {
		p.met.Store(true)
	}
	if p.timeouts.Load() != 0 {
		p.timeouts.Store(0)
	}
}

// create returns addr's entry, adding it if the table has room (nil if not).
func (t *peerTable) create(addr string) *peerInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[string]*peerInfo)
	}
	p := t.m[addr]
	if p == nil {
		if len(t.m) >= maxPeers {
			return nil
		}
		p = new(peerInfo)
		t.m[addr] = p
	}
	return p
}

// timedOut records one more maintenance call to addr that timed out and
// returns how many did so in a row (since addr last answered). A table
// that is full cannot count: it returns limit (drop, as without counting).
func (t *peerTable) timedOut(addr string, limit int) int {
	p := t.lookup(addr)
	if p == nil {
		if p = t.create(addr); p == nil {
			return limit
		}
	}
	return int(p.timeouts.Add(1))
}

// failed records that addr did not answer (or is not a member).
func (t *peerTable) failed(addr string) {
	if p := t.lookup(addr); p != nil {
		p.lastOK.Store(0)
	}
}

// answeredWithin reports how long ago addr last answered, if within window.
func (t *peerTable) answeredWithin(addr string, window time.Duration) (time.Duration, bool) {
	if window <= 0 {
		return 0, false
	}
	p := t.lookup(addr)
	if p == nil {
		return 0, false
	}
	last := p.lastOK.Load()
	if last == 0 {
		return 0, false
	}
	ago := time.Since(peerEpoch) - time.Duration(last-1)
	return ago, ago <= window
}

// Ring unification's view of the peers (unify.go), guarded by Node.mu, not
// by the table's lock: the neighbours at the end of the last stabilize
// round, and per peer when it may be probed again as a former peer.

// setProbe records that peer addr has failed failures unification probes
// in a row and may be probed again from stabilize round next.
func (t *peerTable) setProbe(addr string, failures int, next uint64) {
	p := t.lookup(addr)
	if p == nil {
		if p = t.create(addr); p == nil {
			return
		}
	}
	p.probeFailures, p.probeNext = failures, next
}

// forgetMet stops offering addr as a former peer until it answers again.
func (t *peerTable) forgetMet(addr string) {
	if p := t.lookup(addr); p != nil {
		p.met.Store(false)
	}
}

// probeFailures returns how many unification probes of addr failed in a row.
func (t *peerTable) probeFailures(addr string) int {
	if p := t.lookup(addr); p != nil {
		return p.probeFailures
	}
	return 0
}

// formerPeer returns the peer that answered this node before, is not
// excluded (this node, a neighbour, a lost node) and is due for a probe in
// stabilize round now, the least recently probed first (ties by address,
// so that a schedule replays exactly).
func (t *peerTable) formerPeer(now uint64, exclude func(addr string) bool) (string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	best, bestNext := "", uint64(0)
	for addr, p := range t.m {
		if !p.met.Load() || p.probeNext > now || (best != "" && (p.probeNext > bestNext || p.probeNext == bestNext && addr > best)) {
			continue
		}
		if exclude(addr) {
			continue
		}
		best, bestNext = addr, p.probeNext
	}
	return best, best != ""
}
