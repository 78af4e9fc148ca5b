package chord

import (
	"hash/maphash"
	"sync/atomic"
)

// An idle ring sleeps: a Driver running a node's rounds (NodeTasks, with
// any tasks driven alongside them, such as the dht's repair) lengthens
// their periods while the node's routing state stays as it is, and returns
// them to their base periods at once when anything changes. The rounds
// themselves are unchanged and stay explicit; only how often the driver
// calls them varies. See Config.IdleBackoff.

// ChangeNotifier is implemented by a Transport that can tell when the
// network around a node changed in a way its maintenance should look at at
// once: a connection to a peer closed without either side retiring it (a
// crash), and, for netmux transports sharing a fault table, a node started
// or stopped or a fault set or cleared. A Driver of the node's rounds
// returns them to their base periods when told, and when a peer the node
// routes through is gone, runs at once the rounds that repair its
// pointers to it: a crash is acted on faster than by waiting for the
// rounds to come round.
type ChangeNotifier interface {
	// OnChange makes the transport call f after every change until stop is
	// called, with the address of a peer known to be gone ("" when the
	// change names none). f runs on any goroutine and must not block.
	OnChange(f func(gone string)) (stop func())
}

// routeWatch tells a Driver whether its node's routing state changed since
// the driver last looked: predecessor, successor list, fingers, joined, a
// failed user lookup, or a maintenance round that returned an error. It is
// shared by the tasks NodeTasks returns (Task.watch).
type routeWatch struct {
	n *Node
	// failed is set by a node task whose round returned an error: a round
	// that could not do its work is not a quiet one.
	failed atomic.Bool
	// last is the fingerprint at the last look (only the driver reads it,
	// under its mutex).
	last uint64
}

// routeSeed makes every routeWatch hash alike (fingerprints are only
// compared within one process).
var routeSeed = maphash.MakeSeed()

// fingerprint hashes the node's routing state: joined, predecessor,
// successor list, each run of equal fingers (a node has about log N
// distinct ones), and the count of failed lookups. next is the finger
// fix_fingers refreshes next: it goes back to 0 when a cycle completes.
func (w *routeWatch) fingerprint() (fp uint64, next int) {
	n := w.n
	var h maphash.Hash
	h.SetSeed(routeSeed)
	n.mu.Lock()
	next = n.nextFinger
	if n.joined {
		_ = h.WriteByte(1)
	}
	_, _ = h.WriteString(n.pred.Addr)
	_ = h.WriteByte(0)
	for _, s := range n.succ {
		_, _ = h.WriteString(s.Addr)
		_ = h.WriteByte(0)
	}
	prev := ""
	for i, f := range n.fingers {
		if i == 0 || f.Addr != prev {
			_ = h.WriteByte(byte(i))
			_, _ = h.WriteString(f.Addr)
			prev = f.Addr
		}
	}
	n.mu.Unlock()
	var b [8]byte
	failures := n.lookupFailures.Load()
	for i := range b {
		b[i] = byte(failures >> (8 * i))
	}
	_, _ = h.Write(b[:])
	return h.Sum64(), next
}

// look reports whether the routing state differs from the last look, or a
// round failed since (the first look reports a change), and the finger
// fix_fingers refreshes next.
func (w *routeWatch) look() (changed bool, nextFinger int) {
	fp, next := w.fingerprint()
	failed := w.failed.Swap(false)
	changed = fp != w.last || failed
	w.last = fp
	return changed, next
}

// fingerCycles follows fix_fingers through its cycles, so that a driver
// backs off only once every finger has been refreshed since the last
// change: a node whose finger points at a crashed node repairs it when
// fix_fingers comes to that finger, and each round before finds nothing
// to change. Guarded by the driver's mutex.
type fingerCycles struct {
	wraps, pos         int // cycles completed, the next finger now
	sinceWraps, sinceP int // the same at the last change
}

// saw records the next finger after a round; fix says the round was
// fix_fingers, which moves it on by at least one unless it wraps.
func (c *fingerCycles) saw(next int, fix bool) {
	if next < c.pos || (fix && next == c.pos) {
		c.wraps++
	}
	c.pos = next
}

// reset marks a change now.
func (c *fingerCycles) reset() { c.sinceWraps, c.sinceP = c.wraps, c.pos }

// full reports whether a whole cycle has run since the last change.
func (c *fingerCycles) full() bool {
	return c.wraps > c.sinceWraps+1 || (c.wraps > c.sinceWraps && c.pos >= c.sinceP)
}

// noteRound records the outcome of one of the node's rounds.
func (w *routeWatch) noteRound(err error) {
	if err != nil {
		w.failed.Store(true)
	}
}
