package dht

import (
	"context"

	"github.com/chordtui/chordtui/chord"
)

// maxWalk bounds how many nodes one walk along the ring yields, unless
// the successor lists are longer (walkLimit).
const maxWalk = 64

// walkLimit is how many nodes one walk may yield: maxWalk, or two
// successor lists if that is more. A walk must be able to pass a run of
// nodes as long as a list that is down or still taking over its keys, and
// to go round a ring no longer than a list: with virtual nodes a list
// holds r·V identities, and a ring of up to r·V+1 of them is the base
// ring Start forms first, in which every node takes over its keys by
// walking round it.
func walkLimit(successorListLen int) int { return max(maxWalk, 2*successorListLen) }

// succWalk walks the ring clockwise: it yields the nodes of a first list
// in order, then those of the successor list (dht.succs) of the last node
// it yielded that answered, and so on, each node once. It is how a node
// finds the next nodes that serve a key when a run of them is down or
// still taking over its keys, a run that may be longer than one successor
// list.
type succWalk struct {
	s        *Store
	queue    []chord.NodeRef
	seen     map[string]bool
	alive    chord.NodeRef   // the last yielded node that answered
	extended map[string]bool // nodes whose successor list was read
	left     int             // how many more nodes it may yield
	stop     string          // the walk ends where it reaches this node
	wrapped  bool            // it did: it went round the ring
	// hosts, when not nil, holds the real nodes of the stop node and of
	// every node queued or skipped: the walk yields one node per real
	// node (Config.Host, hosts.go).
	hosts map[string]bool
	// only, when not nil, holds the only nodes it may yield (fencedOnly).
	only map[string]bool
}

// newWalk starts a walk at list, never yielding the nodes in skip nor
// anything at or after stop (the node the walk started from).
// With Config.Host it yields one node per real node, none on the real
// node of stop or of a node in skip: the nodes that may hold copies of a
// key after stop.
func (s *Store) newWalk(list []chord.NodeRef, stop string, skip ...string) *succWalk {
	w := &succWalk{s: s, seen: map[string]bool{stop: true}, extended: map[string]bool{}, left: s.walkMax, stop: stop}
	if s.cfg.Host != nil {
		w.hosts = map[string]bool{s.host(stop): true}
	}
	for _, a := range skip {
		w.seen[a] = true
		if w.hosts != nil {
			w.hosts[s.host(a)] = true
		}
	}
	w.add(list)
	return w
}

// newWalkAll is newWalk over every node, several on one real node too.
func (s *Store) newWalkAll(list []chord.NodeRef, stop string) *succWalk {
	w := &succWalk{s: s, seen: map[string]bool{stop: true}, extended: map[string]bool{}, left: s.walkMax, stop: stop}
	w.add(list)
	return w
}

// add queues the nodes of list that were not seen, up to the stop node.
func (w *succWalk) add(list []chord.NodeRef) {
	for _, n := range list {
		if n.Addr == w.stop {
			w.wrapped = true
			return
		}
		if n.IsZero() || w.seen[n.Addr] || w.only != nil && !w.only[n.Addr] {
			continue
		}
		w.seen[n.Addr] = true
		if w.hosts != nil {
			h := w.s.host(n.Addr)
			if w.hosts[h] {
				continue
			}
			w.hosts[h] = true
		}
		w.queue = append(w.queue, n)
	}
}

// next returns the next node, or false when the walk is over: it reached
// its start again, ran out of nodes that answer, or yielded walkLimit nodes.
func (w *succWalk) next(ctx context.Context) (chord.NodeRef, bool) {
	for len(w.queue) == 0 {
		if w.left <= 0 || w.wrapped || w.alive.IsZero() || w.extended[w.alive.Addr] || ctx.Err() != nil {
			return chord.NodeRef{}, false
		}
		w.extended[w.alive.Addr] = true
		m, err := w.s.succs(ctx, w.alive)
		if err != nil {
			return chord.NodeRef{}, false
		}
		w.add(m.Succs)
	}
	if w.left <= 0 {
		return chord.NodeRef{}, false
	}
	n := w.queue[0]
	w.queue = w.queue[1:]
	w.left--
	return n, true
}

// answered records that n answered, whether or not it served the request
// (a node still taking over its keys answers too): the walk can go on
// from its successor list.
func (w *succWalk) answered(n chord.NodeRef) { w.alive = n }
