package chord

import (
	"encoding/binary"
	"errors"
)

// Answering a lookup step from a cache, after Bianchi, Serbu, Felber and
// Kropf, "Adaptive Load Balancing for DHT Lookups" (ICCCN 2006): popular
// items are cached on the nodes that route to them, so a lookup for one
// may end at a hop before it reaches the item's owner. chord knows nothing
// of items: a lookup made with LookupOptions.Probe sends the probe with
// every step request, a node with a StepCache (SetStepCache) shows the
// probe to it, and a non-nil answer ends the lookup with
// LookupResult.Answer. What a probe and an answer mean, and when an
// answer is fresh, is the upper layer's (the dht read cache).

// StepCache is an upper layer's cache consulted by the steps of lookups
// made with a probe.
type StepCache interface {
	// AnswerStep returns what to answer a lookup for key made with probe
	// instead of routing it on, or nil to route it on. It is called for
	// every step request that carries a probe and must not block.
	AnswerStep(key ID, probe []byte) []byte
}

// stepCacheBox holds a StepCache in an atomic.Pointer.
type stepCacheBox struct{ c StepCache }

// SetStepCache installs the cache this node's steps consult (nil: none).
func (n *Node) SetStepCache(c StepCache) {
	if c == nil {
		n.stepCache.Store(nil)
		return
	}
	n.stepCache.Store(&stepCacheBox{c: c})
}

// maxProbe bounds a probe on the wire.
const maxProbe = 64 << 10

// stepRequest is the body of a step request: the key, then the probe if any.
func (l *lookup) stepRequest() []byte {
	if len(l.probe) == 0 {
		return l.key[:]
	}
	b := make([]byte, 0, len(l.key)+len(l.probe))
	return append(append(b, l.key[:]...), l.probe...)
}

// answeredFromCache ends the lookup when step answer a came from the
// answering node's StepCache: the answer and the node go on the result,
// and the path's last hop is marked.
func (l *lookup) answeredFromCache(a *stepAnswer) bool {
	if a.cached == nil || len(l.probe) == 0 {
		return false
	}
	l.res.Answer, l.res.AnsweredBy = a.cached, a.self
	if k := len(l.res.Path); k > 0 {
		l.res.Path[k-1].Cached = true
	}
	return true
}

// stepCacheAnswer asks this node's StepCache about a probe (the bytes of
// a step request after the key); nil when there is none or it has no answer.
func (n *Node) stepCacheAnswer(key ID, probe []byte) []byte {
	if len(probe) == 0 || len(probe) > maxProbe {
		return nil
	}
	b := n.stepCache.Load()
	if b == nil {
		return nil
	}
	return b.c.AnswerStep(key, probe)
}

// appendCached ends an encoded step answer with a cache's answer (after
// the vouching field, so an answer without one decodes as before).
func appendCached(b, cached []byte) []byte {
	if cached == nil {
		return b
	}
	b = binary.AppendUvarint(b, uint64(len(cached)))
	return append(b, cached...)
}

// cachedAnswer reads what appendCached wrote, if anything is left in d.
func (d *decoder) cachedAnswer() []byte {
	if d.err != nil || len(d.b) == 0 {
		return nil
	}
	k := d.uvarint(uint64(len(d.b)))
	if d.err != nil {
		return nil
	}
	if int(k) > len(d.b) {
		d.fail(errors.New("cached answer longer than the message"))
		return nil
	}
	out := append([]byte{}, d.b[:k]...) // non-nil even when empty
	d.b = d.b[k:]
	return out
}
