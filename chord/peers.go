package chord

import (
	"sync"
	"sync/atomic"
	"time"
)

// peerTable remembers when each peer last answered a protocol call as a ring
// member, so a lookup can skip pinging an owner that answered within
// Config.LivenessWindow (a failed call forgets the peer at once), and how
// many maintenance calls to it timed out in a row (suspect.go).
type peerTable struct {
	mu sync.RWMutex
	m  map[string]*peerInfo
}

type peerInfo struct {
	lastOK   atomic.Int64 // monotonic nanoseconds since the table's epoch; 0: never or failed since
	timeouts atomic.Int32 // maintenance calls timed out since the peer last answered
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

// consecutiveTimeouts reports the timeouts counted by timedOut since addr
// last answered.
func (t *peerTable) consecutiveTimeouts(addr string) int {
	if p := t.lookup(addr); p != nil {
		return int(p.timeouts.Load())
	}
	return 0
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
