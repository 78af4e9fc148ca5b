package chord

import (
	"encoding/binary"
	"math"
	"time"
)

// Adaptive routing-load balancing, after Bianchi, Serbu, Felber and Kropf,
// "Adaptive Load Balancing for DHT Lookups" (ICCCN 2006). Finger k of n may
// be any node in its interval [n + 2^(k−1), n + 2^k): each halves the
// distance to every key beyond the interval as well as the paper's finger,
// the successor of n + 2^(k−1), does, so lookups stay correct and take
// O(log N) steps. With LoadConfig.Adaptive a node routes through another
// node of the interval when the paper's finger answers many more lookup
// steps than it: the finger table itself stays the paper's (the invariant
// checker and the screen judge it as before), and Status.Routes says which
// fingers are routed elsewhere. Routing loads travel on the state replies
// that stabilize and fix_fingers already exchange: a node reports its own
// and those it heard from its successors, never in a call of its own.

// stateLoads asks a state reply for routing loads (adaptive mode).
const stateLoads byte = 4

// adaptiveWindow is the recent stretch a node's routing load is measured
// over for balancing: short, so that routing follows a shifting hot spot.
const adaptiveWindow = 2 * time.Second

// Defaults of LoadConfig.
const (
	defaultAdaptiveRatio = 2.0
	defaultAdaptiveMin   = 5.0
)

// peerLoad is a peer's routing load as this node last heard it, and the
// successor list it reported with it.
type peerLoad struct {
	load  uint64 // lookup steps per second it answered for others
	at    time.Time
	succs []NodeRef // its successor list, when it answered a state call itself
}

// maxPeerLoads bounds what a node remembers of its peers' loads.
const maxPeerLoads = 4096

// peerLoadTTL is how long a reported load counts.
const peerLoadTTL = 10 * time.Second

// SetAdaptive turns adaptive routing on or off now; off forgets every
// redirected finger, so routing is the paper's again at once.
func (n *Node) SetAdaptive(on bool) {
	n.adaptive.Store(on)
	if !on {
		n.mu.Lock()
		clear(n.routes)
		n.mu.Unlock()
	}
}

// Adaptive reports whether adaptive routing is on.
func (n *Node) Adaptive() bool { return n.adaptive.Load() }

// ownLoad is the node's routing load for balancing: lookup steps per
// second over the last adaptiveWindow.
func (n *Node) ownLoad(now time.Time) uint64 {
	return uint64(math.Round(n.routing.Recent(now, adaptiveWindow).Rate()))
}

// appendLoads ends a state reply with this node's routing load and the
// loads it heard from each of its successors (0: unknown). Caller holds
// n.mu.
func (n *Node) appendLoadsLocked(b []byte, now time.Time) []byte {
	b = binary.AppendUvarint(b, n.ownLoad(now))
	b = binary.AppendUvarint(b, uint64(len(n.succ)))
	for _, s := range n.succ {
		var l uint64
		if p, ok := n.loads[s.Addr]; ok && now.Sub(p.at) < peerLoadTTL {
			l = p.load
		}
		b = binary.AppendUvarint(b, l)
	}
	return b
}

// readLoads reads what appendLoadsLocked wrote.
func (d *decoder) loads() (own uint64, succ []uint64) {
	own = d.uvarint(math.MaxUint32)
	k := int(d.uvarint(maxRefs))
	for i := 0; i < k && d.err == nil; i++ {
		succ = append(succ, d.uvarint(math.MaxUint32))
	}
	return own, succ
}

// heardLoads records the loads of a state reply from peer: its own (with
// its successor list) and those it heard from its successors.
func (n *Node) heardLoads(peer NodeRef, st stateReply) {
	if !st.hasLoads {
		return
	}
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.loads == nil || len(n.loads) >= maxPeerLoads {
		for a, p := range n.loads { // forget the stale ones first
			if now.Sub(p.at) >= peerLoadTTL {
				delete(n.loads, a)
			}
		}
		if n.loads == nil || len(n.loads) >= maxPeerLoads {
			n.loads = make(map[string]peerLoad)
		}
	}
	n.loads[peer.Addr] = peerLoad{load: st.load, at: now, succs: st.succ}
	for i, s := range st.succ {
		if i >= len(st.succLoads) || st.succLoads[i] == 0 || s.Addr == n.self.Addr {
			continue
		}
		if p, ok := n.loads[s.Addr]; ok && p.succs != nil && now.Sub(p.at) < peerLoadTTL {
			continue // it told us itself: first-hand beats second-hand
		}
		n.loads[s.Addr] = peerLoad{load: st.succLoads[i], at: now}
	}
}

// routeLocked chooses where finger k (whose paper node is f) routes: the
// least loaded node this node knows in the finger's interval [start,
// next) — f and those of f's successors that lie there — when f answers
// more than LoadConfig.AdaptiveRatio times its load and at least
// AdaptiveMin steps a second; else the zero NodeRef (route through f).
// Caller holds n.mu.
func (n *Node) routeLocked(k int, f NodeRef, now time.Time) NodeRef {
	if f.IsZero() || f.Addr == n.self.Addr {
		return NodeRef{}
	}
	pf, ok := n.loads[f.Addr]
	if !ok || pf.succs == nil || now.Sub(pf.at) >= peerLoadTTL {
		return NodeRef{}
	}
	ratio, least := n.cfg.Load.ratio(), n.cfg.Load.least()
	if float64(pf.load) < least {
		return NodeRef{}
	}
	bits := n.cfg.Bits
	start := n.self.ID.AddPow2(bits, k)
	next := n.self.ID // the interval of the last finger ends at n itself
	if k+1 < bits {
		next = n.self.ID.AddPow2(bits, k+1)
	}
	var best NodeRef
	bestLoad := uint64(math.MaxUint64)
	for _, c := range pf.succs {
		if c.IsZero() || c.Addr == n.self.Addr || c.Addr == f.Addr || !BetweenLeftIncl(start, c.ID, next) {
			continue
		}
		pc, ok := n.loads[c.Addr]
		if !ok || now.Sub(pc.at) >= peerLoadTTL {
			continue // a node whose load we do not know is no better bet
		}
		if pc.load < bestLoad {
			best, bestLoad = c, pc.load
		}
	}
	if best.IsZero() || float64(pf.load) <= ratio*float64(bestLoad) {
		return NodeRef{}
	}
	return best
}

// rerouteLocked recomputes the routes of fingers from..to-1 (which were
// just set), or clears them when adaptive routing is off. Caller holds
// n.mu.
func (n *Node) rerouteLocked(from, to int) {
	now := time.Now()
	on := n.adaptive.Load()
	for k := from; k < to && k < len(n.routes); k++ {
		if on {
			n.routes[k] = n.routeLocked(k, n.fingers[k], now)
		} else {
			n.routes[k] = NodeRef{}
		}
	}
}

// ratio and least are the settings with their defaults.
func (c LoadConfig) ratio() float64 {
	if c.AdaptiveRatio > 0 {
		return c.AdaptiveRatio
	}
	return defaultAdaptiveRatio
}

func (c LoadConfig) least() float64 {
	if c.AdaptiveMin > 0 {
		return c.AdaptiveMin
	}
	return defaultAdaptiveMin
}

// avoidedLocked maps each busy finger node that a finger routes around to
// the node it routes through instead (nil when adaptive routing is off or
// no finger is rerouted): a lookup step then offers the replacement
// wherever the busy node would have been its finger, also for the
// fingers whose own interval is empty and so point at that node too.
// Caller holds n.mu.
func (n *Node) avoidedLocked() map[string]NodeRef {
	if !n.adaptive.Load() {
		return nil
	}
	var out map[string]NodeRef
	for k, r := range n.routes {
		if r.IsZero() {
			continue
		}
		if out == nil {
			out = map[string]NodeRef{}
		}
		out[n.fingers[k].Addr] = r
	}
	return out
}
