package chord

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// maxCandidates bounds the closest-preceding nodes a step answer carries.
const maxCandidates = 16

// Lookup finds the owner of id from this node, returning the path:
// iteratively as described here, or recursively (recursive.go) when
// Config.RecursiveLookups is set.
//
// Each step asks one node for its answer about id (the paper's find_successor
// split into steps, ToN Fig. 6 / §IV-E iterative style): either "id ∈ (me,
// successor-list entry]: the first live of those successors owns it" or its
// nodes closest preceding id, nearest to id first (closest_preceding_node over
// fingers and successor list). The asker always asks the closest candidate
// not yet tried. Every candidate an answering node offers is closer to id
// than that node, hence closer than anything the asker still holds, so the
// candidates form a stack: a new answer goes on top, and a dead hop falls
// back to the next-best below it (the paper's "try the previous node's next
// closest finger"). The owner is verified live (LookupResult.OwnerCheck): it
// is this node, a node that answered during the lookup, a node that answered
// the node naming it or this node within Config.LivenessWindow over a
// connection still open, or one that answers a ping. At most
// Config.MaxLookupSteps calls are made; then, or when no candidate is left,
// the lookup fails with ErrLookupFailed.
//
// The result numbers hops one way (see LookupResult): this node is hop 0,
// Path lists every call made, Hops counts those that answered.
func (n *Node) Lookup(ctx context.Context, id ID) (LookupResult, error) {
	return n.LookupWith(ctx, id, LookupOptions{Recursive: n.cfg.RecursiveLookups})
}

// LookupOptions change what a lookup verifies and records.
type LookupOptions struct {
	// TrustOwner returns the owner named by the last node that answered,
	// without pinging it (the first owner offered that did not fail during
	// this lookup), saving one round trip. For callers that call the owner
	// next anyway and handle its failure (dht get, set and del fall back to
	// the nodes after it): the owner returned may have crashed since the
	// node that named it last checked. Its hop's Reason says it was not
	// pinged. If it was the last entry of that node's successor list, no
	// node after it is known from the lookup: the caller's fallback must
	// find one (dht looks up again with Lookup, which pings).
	TrustOwner bool
	// PingOwner takes no owner as live on earlier evidence: neither the
	// word of the node that named it nor an answer to this node within
	// Config.LivenessWindow. The owner returned answered a call of this
	// lookup. For a caller that has just seen the owner a previous lookup
	// returned fail (dht looks up again this way), when an answer from
	// before the failure proves nothing. It also takes an owner only from
	// the first live entry of a successor list, as the paper's
	// find_successor does, not from further down a list whose tail may be
	// out of date (see offer): a hop more, now and then.
	PingOwner bool
	// Recursive forwards the lookup from node to node (the paper's
	// recursive style, ToN §IV) instead of asking every node from here:
	// each node on the way calls the next one over its own finger or
	// successor connection and the path comes back with the answer
	// (recursive.go). The result reads as an iterative one's: Path lists
	// every call of every node, Hop.From says who made it, and a hop's
	// RTT includes the hops after it. With PingOwner the lookup stays
	// iterative (offer's rule is the asker's), and so it does with a Probe.
	Recursive bool
	// Probe is sent with every step request and shown to the answering
	// node's StepCache (stepcache.go); an answer from one ends the lookup
	// with LookupResult.Answer instead of an owner.
	Probe []byte
}

// LookupWith is Lookup with options. With the zero LookupOptions it is Lookup.
func (n *Node) LookupWith(ctx context.Context, id ID, opts LookupOptions) (LookupResult, error) {
	if n.stopped.Load() {
		return LookupResult{Key: id.Mask(n.cfg.Bits)}, n.stoppedErr("lookup " + id.Label(n.cfg.Bits) + " from")
	}
	n.lookups.Add(1)
	mode := lookupExplain
	if opts.TrustOwner {
		mode |= lookupTrustOwner
	}
	if opts.PingOwner {
		mode |= lookupPingOwner
	}
	if opts.Recursive {
		mode |= lookupRecursive
	}
	res, err := n.resolveProbe(ctx, id.Mask(n.cfg.Bits), mode, opts.Probe)
	if err != nil {
		n.lookupFailures.Add(1)
		return res, err
	}
	if n.cfg.Events != nil {
		n.emit(EventLookup, NodeRef{}, res.Owner, fmt.Sprintf("lookup %s → %s in %s, %s; owner %s",
			id.Label(n.cfg.Bits), n.label(res.Owner), plural(res.Hops, "hop"), plural(res.Timeouts, "failed call"), res.OwnerCheck))
	}
	return res, nil
}

// lookup is the state of one iterative lookup.
type lookup struct {
	n        *Node
	key      ID
	res      LookupResult
	cands    []routeEntry // a stack: the closest candidate is last
	asked    []string     // nodes asked so far
	answered []string     // nodes that answered (live)
	failed   []string     // nodes that failed
	steps    int
	// later: owners offered further down a successor list than its first
	// entry, each tried only once the candidates stacked above depth have
	// all been asked (see offer).
	later   []laterOwners
	explain bool // build Via/Reason texts
	hint    bool // accept an owner without checking it is alive (a routing hint)
	trust   bool // the same for a caller that calls the owner next (LookupOptions.TrustOwner)
	ping    bool // take no owner on earlier evidence (LookupOptions.PingOwner)
	// rows, when not nil, gets how each row of res.Path was chosen (a
	// forwarding node of a recursive lookup sends them back; recursive.go).
	rows *[]rowMeta
	// origin, at a forwarding node, is the node that looks up: never
	// called, and an owner it checks itself (recursive.go), unless it is
	// joining (originJoining): then a pointer to it is stale, and passed
	// over as this node's own is while it joins.
	origin        string
	originJoining bool
	// answerBy, at a forwarding node, is when it must have answered: a
	// ping of an owner ends by then.
	answerBy time.Time

	// Backing arrays for the slices above: most lookups need no more.
	candBuf                          [24]routeEntry
	askedBuf, answeredBuf, failedBuf [8]string
	pathBuf                          [8]Hop

	probe []byte // sent with every step (LookupOptions.Probe, stepcache.go)

	// scratch holds answers taken apart and dropped within one step; it
	// lies outside the lookup, so that resetting one leaves it. Every
	// lookup has one (resolveWith, serveRoute).
	scratch *lookupScratch
}

// lookupScratch is room for what one step takes apart and drops before
// the next: a step answer (the origin's own, a remote one decoded, or the
// one serveStep encodes) and the rows of a forwarded lookup's reply. Most
// answers fit: a step then makes no allocation for them.
type lookupScratch struct {
	owners, cands [maxCandidates]routeEntry
	rows          [8]routeRow
}

// pooledLookup is what lookupPool holds: a lookup and its scratch.
type pooledLookup struct {
	l lookup
	s lookupScratch
}

// Modes of resolve.
const (
	lookupExplain    = 1 << iota // fill Hop.Via and Hop.Reason
	lookupHint                   // the owner is a routing hint (fix_fingers): take the first owner offered without a ping, as the paper's find_successor does
	lookupTrustOwner             // the caller calls the owner next: take the first owner offered without a ping, and say so
	lookupPingOwner              // the owner must answer during this lookup (LookupOptions.PingOwner)
	lookupRecursive              // forward the lookup node to node (LookupOptions.Recursive)
)

// lookupPool holds lookups for reuse: one is several KiB (its buffers),
// and every lookup needs one.
var lookupPool = sync.Pool{New: func() any { return new(pooledLookup) }}

// resolve runs an iterative lookup of key. With known == "" it starts from
// this node's own tables; otherwise (Join, unify) the first node asked is known.
func (n *Node) resolve(ctx context.Context, key ID, known string, mode int) (LookupResult, error) {
	return n.resolveWith(ctx, key, known, mode, nil)
}

// resolveProbe is resolve from this node's tables with a probe (stepcache.go).
func (n *Node) resolveProbe(ctx context.Context, key ID, mode int, probe []byte) (LookupResult, error) {
	return n.resolveWith(ctx, key, "", mode, probe)
}

// recursiveMode is lookupRecursive when the node's own lookups (join, probe,
// fix_fingers, Lookup) forward (Config.RecursiveLookups), else 0.
func (n *Node) recursiveMode() int {
	if n.cfg.RecursiveLookups {
		return lookupRecursive
	}
	return 0
}

func (n *Node) resolveWith(ctx context.Context, key ID, known string, mode int, probe []byte) (LookupResult, error) {
	start := time.Now()
	pl := lookupPool.Get().(*pooledLookup)
	defer lookupPool.Put(pl)
	l := &pl.l
	*l = lookup{n: n, key: key, explain: mode&lookupExplain != 0, hint: mode&lookupHint != 0, trust: mode&lookupTrustOwner != 0, ping: mode&lookupPingOwner != 0, probe: probe,
		scratch: &pl.s}
	l.cands, l.asked, l.answered, l.failed = l.candBuf[:0], l.askedBuf[:0], l.answeredBuf[:0], l.failedBuf[:0]
	l.res.Key = key
	l.res.Path = l.pathBuf[:0]
	var owner NodeRef
	var err error
	if mode&lookupRecursive != 0 && mode&lookupPingOwner == 0 && probe == nil {
		l.res.Recursive = true
		owner, err = l.runRecursive(ctx, known)
	} else {
		owner, err = l.run(ctx, known)
	}
	l.res.Took = time.Since(start)
	// The result must not share the lookup's backing array.
	l.res.Path = append([]Hop(nil), l.res.Path...)
	if err != nil {
		return l.res, err
	}
	l.res.Owner = owner
	return l.res, nil
}

func (l *lookup) run(ctx context.Context, known string) (NodeRef, error) {
	n := l.n
	bits := n.cfg.Bits
	if known != "" {
		l.cands = append(l.cands, routeEntry{ref: NodeRef{Addr: known}, via: viaKnown})
	} else if owner, done, err := l.local(ctx); done || err != nil {
		return owner, err
	}
	for {
		if owner, ok, err := l.tryLater(ctx); ok || err != nil {
			return owner, err
		}
		e, ok := l.next()
		if !ok {
			return NodeRef{}, fmt.Errorf("lookup %s from %s: no live candidate left after %d calls: %w",
				l.key.Label(bits), n.self.Addr, l.steps, ErrLookupFailed)
		}
		if l.steps >= n.cfg.MaxLookupSteps {
			return NodeRef{}, fmt.Errorf("lookup %s from %s: step limit %d reached: %w",
				l.key.Label(bits), n.self.Addr, n.cfg.MaxLookupSteps, ErrLookupFailed)
		}
		l.asked = append(l.asked, e.ref.Addr)
		l.steps++
		t0 := time.Now()
		body, err := n.rpc(ctx, e.ref.Addr, methodStep, l.stepRequest())
		var a stepAnswer
		if err == nil {
			a, err = decodeStep(body, &internedAddrs, l.scratch)
		}
		h := l.hop(e, time.Since(t0))
		if err != nil {
			if err := l.interrupted(ctx); err != nil {
				return NodeRef{}, err
			}
			if e.via == viaKnown && errors.Is(err, ErrNotJoined) {
				return NodeRef{}, fmt.Errorf("lookup %s via %s: %w", l.key.Label(bits), known, err)
			}
			l.fail(&h, e.ref, err)
			continue
		}
		if known != "" && e.via == viaKnown {
			h.Node = a.self
		}
		l.res.Hops++
		l.res.Path = append(l.res.Path, h)
		l.answered = append(l.answered, a.self.Addr)
		if a.self.Addr != e.ref.Addr {
			l.asked = append(l.asked, a.self.Addr)
		}
		if l.answeredFromCache(&a) {
			return NodeRef{}, nil
		}
		a.setFrom(a.self)
		// Keep only candidates that make progress: strictly between the
		// answering node and the key.
		kept := a.cands[:0]
		for _, c := range a.cands {
			if Between(a.self.ID, c.ref.ID, l.key) {
				kept = append(kept, c)
			}
		}
		a.cands = kept
		if owner, ok, err := l.offer(ctx, a); ok || err != nil {
			return owner, err
		}
	}
}

// laterOwners is an owner answer put off until the candidates that
// precede its owner were asked.
type laterOwners struct {
	depth  int // the candidate stack's height when it was put off
	owners []routeEntry
}

// local is the origin's own step: the owner when this node owns the key
// (id ∈ (predecessor, n]) or its own tables name a live one (done), else
// its closest preceding nodes pushed as the first candidates.
func (l *lookup) local(ctx context.Context) (owner NodeRef, done bool, err error) {
	n := l.n
	bits := n.cfg.Bits
	n.mu.Lock()
	if !n.activeLocked() { // the message only then: lookups are hot
		err := n.memberLocked("lookup " + l.key.Label(bits) + " from")
		n.mu.Unlock()
		return NodeRef{}, true, err
	}
	// Shortcut: id ∈ (predecessor, n] is owned by n itself.
	if !n.pred.IsZero() && BetweenRightIncl(n.pred.ID, l.key, n.self.ID) {
		pred := n.pred
		n.mu.Unlock()
		l.res.OwnerCheck, l.res.OwnerNamedBy = OwnerOrigin, n.self
		if l.explain {
			l.res.OwnerVia = "self"
			l.res.OwnerReason = fmt.Sprintf("%s ∈ (predecessor %s, %s]: this node owns it",
				l.key.Label(bits), pred.ID.Label(bits), n.self.ID.Label(bits))
		}
		return n.self, true, nil
	}
	a := stepAnswer{owners: l.scratch.owners[:0], cands: l.scratch.cands[:0]}
	n.localStepLocked(l.key, &a)
	n.mu.Unlock()
	a.setFrom(n.self)
	owner, ok, err := l.offer(ctx, a)
	return owner, ok || err != nil, err
}

// offer takes one step's answer: an owner if it names one that is live,
// else its candidates. An answer whose owner is its node's successor
// s_j, j > 0, names it only as far as that node's successor list is
// current beyond s_0, and a list's tail may be long out of date; the
// paper's find_successor names s_0 alone and otherwise goes on from the
// closest preceding node (ToN Fig. 6). A lookup with PingOwner does the
// same: s_j-1 … s_0 are asked first, and s_j is the owner only if none
// of them answers (each dead, s_j is the first live successor of the
// key). Other lookups take s_j at once, saving a hop: their callers
// check the owner's range with the owner (dht redirects) and look up
// again with PingOwner when that fails.
func (l *lookup) offer(ctx context.Context, a stepAnswer) (NodeRef, bool, error) {
	if len(a.owners) > 0 && len(a.cands) > 0 && a.owners[0].via == viaSuccessor && l.ping {
		// Kept past this step: a copy, not the scratch the next step reuses.
		l.later = append(l.later, laterOwners{depth: len(l.cands), owners: slices.Clone(a.owners)})
		l.merge(a.cands)
		return NodeRef{}, false, nil
	}
	if len(a.owners) > 0 {
		if owner, ok := l.tryOwners(ctx, a.owners); ok {
			return owner, true, nil
		}
		if err := l.interrupted(ctx); err != nil {
			return NodeRef{}, false, err
		}
		// Every owner offered is dead: go on from the nodes preceding the key.
	}
	l.merge(a.cands)
	return NodeRef{}, false, nil
}

// tryLater tries the owners put off by offer whose preceding candidates
// have all been asked (the stack is back at the height it had then), the
// latest first.
func (l *lookup) tryLater(ctx context.Context) (NodeRef, bool, error) {
	for len(l.later) > 0 {
		last := l.later[len(l.later)-1]
		if l.pending() > last.depth {
			return NodeRef{}, false, nil
		}
		l.later = l.later[:len(l.later)-1]
		if owner, ok := l.tryOwners(ctx, last.owners); ok {
			return owner, true, nil
		}
		if err := l.interrupted(ctx); err != nil {
			return NodeRef{}, false, err
		}
	}
	return NodeRef{}, false, nil
}

// pending is the height of the candidate stack without the entries next
// would skip (asked or failed already).
func (l *lookup) pending() int {
	h := len(l.cands)
	for h > 0 {
		e := l.cands[h-1]
		if !slices.Contains(l.asked, e.ref.Addr) && !slices.Contains(l.failed, e.ref.Addr) {
			break
		}
		h--
	}
	return h
}

// interrupted returns why the lookup must end now, without taking a failed
// call as the callee's: ctx ended, or this node was stopped.
func (l *lookup) interrupted(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("lookup %s: %w", l.key.Label(l.n.cfg.Bits), err)
	}
	if l.n.stopped.Load() {
		return l.n.stoppedErr("lookup " + l.key.Label(l.n.cfg.Bits) + " from")
	}
	return nil
}

// next pops the closest candidate not asked yet.
func (l *lookup) next() (routeEntry, bool) {
	for len(l.cands) > 0 {
		e := l.cands[len(l.cands)-1]
		l.cands = l.cands[:len(l.cands)-1]
		if !slices.Contains(l.asked, e.ref.Addr) && !slices.Contains(l.failed, e.ref.Addr) {
			return e, true
		}
	}
	return routeEntry{}, false
}

// nextConnected is next for a node that carries a recursive lookup on
// over a transport with a cost per connection (DialReporter): when a call
// to the closest candidate would open a connection, the closest candidate
// this node is connected to is asked first, if it lies at most
// 2^connectedReachShift times as far from the key (a hop or two more, where a
// dial costs several hops' worth of CPU); the closer one stays next in
// line. Above a few hundred nodes the descriptors do not let a node keep a
// connection to every finger, and without this most lookups dialled.
func (l *lookup) nextConnected() (routeEntry, bool) {
	e, ok := l.next()
	dr, reports := l.n.tr.(DialReporter)
	if !ok || !reports || !dr.WouldDial(e.ref.Addr) {
		return e, ok
	}
	bits := l.n.cfg.Bits
	reach, unbounded := Distance(bits, e.ref.ID, l.key).shl(connectedReachShift)
	for i := len(l.cands) - 1; i >= 0; i-- {
		f := l.cands[i]
		if !unbounded && Distance(bits, f.ref.ID, l.key).Cmp(reach) > 0 {
			break // candidates are stacked closest to the key last
		}
		if f.ref.Addr == e.ref.Addr || slices.Contains(l.asked, f.ref.Addr) || slices.Contains(l.failed, f.ref.Addr) || dr.WouldDial(f.ref.Addr) {
			continue
		}
		l.cands = slices.Delete(l.cands, i, i+1)
		l.cands = append(l.cands, e)
		f.connected = true
		return f, true
	}
	return e, true
}

// connectedReachShift bounds how much farther from the key than the
// closest candidate a connected one may lie to be asked first
// (nextConnected): 2^connectedReachShift = 4 times as far.
const connectedReachShift = 2

// merge pushes an answer's candidates (closest to the key first) on top of
// the stack. This node itself is never a candidate.
func (l *lookup) merge(es []routeEntry) {
	for i := len(es) - 1; i >= 0; i-- {
		if e := es[i]; !e.ref.IsZero() && e.ref.Addr != l.n.self.Addr {
			l.cands = append(l.cands, e)
		}
	}
}

// tryOwners returns the first live entry of an owner answer: this node
// (if it is a member), a node that already answered, one vouched for, or
// one that answers a ping — or, for a hint or a trusted owner, the first
// entry that did not fail during this lookup. Only the ping is a call, and
// so a row of the path; how the owner was found live goes in the result.
func (l *lookup) tryOwners(ctx context.Context, es []routeEntry) (NodeRef, bool) {
	n := l.n
	for _, e := range es {
		if e.ref.Addr == n.self.Addr {
			if n.Joined() {
				l.owner(e, OwnerOrigin, 0, " (this node)")
				return n.self, true
			}
			continue // a stale pointer to this (joining) node
		}
		if e.ref.Addr == l.origin {
			if l.originJoining {
				continue // a stale pointer to the joining origin, as above
			}
			l.owner(e, OwnerOrigin, 0, "") // the origin checks itself
			return e.ref, true
		}
		if slices.Contains(l.answered, e.ref.Addr) {
			l.owner(e, OwnerAnswered, 0, " (it answered earlier in this lookup)")
			return e.ref, true
		}
		if slices.Contains(l.failed, e.ref.Addr) {
			continue
		}
		if l.hint || l.trust {
			l.owner(e, OwnerTrusted, 0, " (not pinged: the caller calls it next)")
			return e.ref, true
		}
		if e.vouched && !l.ping {
			if l.explain {
				l.owner(e, OwnerVouched, e.heard, " (vouched for by "+shortID(e.from.ID, n.cfg.Bits)+", which heard from it "+
					e.heard.Round(time.Microsecond).String()+" before naming it: no ping)")
			} else {
				l.owner(e, OwnerVouched, e.heard, "")
			}
			return e.ref, true
		}
		if ago, ok := n.heardFrom(e.ref.Addr); ok && !l.ping {
			if l.explain {
				l.owner(e, OwnerHeard, ago, " (it answered this node "+ago.Round(time.Microsecond).String()+" ago: no ping)")
			} else {
				l.owner(e, OwnerHeard, ago, "")
			}
			return e.ref, true
		}
		if l.steps >= n.cfg.MaxLookupSteps {
			return NodeRef{}, false
		}
		l.steps++
		t0 := time.Now()
		err := l.pingOwner(ctx, e.ref.Addr)
		h := l.hop(e, time.Since(t0))
		h.Ping = true
		if err != nil {
			if l.interrupted(ctx) != nil {
				return NodeRef{}, false
			}
			l.fail(&h, e.ref, err)
			continue
		}
		l.res.Hops++
		l.answered = append(l.answered, e.ref.Addr)
		l.res.Path = append(l.res.Path, h)
		l.res.OwnerCheck, l.res.OwnerNamedBy = OwnerPinged, e.from
		l.res.OwnerVia, l.res.OwnerReason = h.Via, h.Reason // the ping's row says it all
		return e.ref, true
	}
	return NodeRef{}, false
}

// owner records on the result how e, the owner, was found live; note ends
// its reason (explain mode only).
func (l *lookup) owner(e routeEntry, check OwnerCheck, heard time.Duration, note string) {
	l.res.OwnerCheck, l.res.OwnerNamedBy, l.res.OwnerHeardAgo = check, e.from, heard
	if l.explain {
		h := l.hop(e, 0)
		l.res.OwnerVia, l.res.OwnerReason = h.Via, h.Reason+note
	}
}

func (l *lookup) fail(h *Hop, ref NodeRef, err error) {
	h.Err = err.Error()
	h.Timeout = isTimeout(err)
	l.res.Timeouts++
	l.res.Path = append(l.res.Path, *h)
	l.failed = append(l.failed, ref.Addr)
}

// hop describes asking e, in words a student reads. Every row of the path
// is made by it (and every call to it makes one).
func (l *lookup) hop(e routeEntry, rtt time.Duration) Hop {
	if l.rows != nil {
		*l.rows = append(*l.rows, rowMeta{via: e.via, idx: e.idx, fallback: len(l.failed) > 0, connected: e.connected})
	}
	return l.hopText(e, rtt, len(l.failed) > 0)
}

// hopText is hop's row; fallback says an earlier call of the lookup failed.
func (l *lookup) hopText(e routeEntry, rtt time.Duration, fallback bool) Hop {
	h := Hop{Node: e.ref, From: e.from, RTT: rtt}
	if !l.explain {
		return h
	}
	bits := l.n.cfg.Bits
	key := shortID(l.key, bits)
	from := "this node"
	if !e.from.IsZero() && e.from.Addr != l.n.self.Addr {
		from = shortID(e.from.ID, bits)
	}
	fallbackText := ""
	if fallback {
		fallbackText = "next-best after a failed hop; "
	}
	closest, connectedText := "closest preceding ", ""
	if e.connected { // nextConnected
		closest = "connected node closest preceding "
		connectedText = "; a closer one had no open connection"
	}
	switch e.via {
	case viaKnown:
		h.Via = "known"
		h.Reason = "the ring member given to join"
	case viaFinger:
		idx := strconv.Itoa(e.idx + 1) // the paper numbers fingers from 1
		h.Via = fingerVia(e.idx)
		start := shortID(e.from.ID.AddPow2(bits, e.idx), bits)
		h.Reason = fallbackText + closest + key + " known to " + from + " (its finger[" + idx + "], start " + start + ")" + connectedText
	case viaRoute:
		idx := strconv.Itoa(e.idx + 1)
		h.Via = fingerVia(e.idx) + " (adaptive)"
		start := shortID(e.from.ID.AddPow2(bits, e.idx), bits)
		h.Reason = fallbackText + closest + key + " known to " + from + " (its finger[" + idx + "], start " + start +
			", routed around its busy node to another node of the finger's interval)" + connectedText
	case viaSuccessor:
		h.Via = successorVia(e.idx)
		if l.isOwnerEntry(e) {
			whose := from + "'s"
			if from == "this node" {
				whose = "this node's"
			}
			h.Reason = fallbackText + key + " ∈ (" + shortID(e.from.ID, bits) + ", " + shortID(e.ref.ID, bits) + "]: first live entry of " + whose +
				" successor list at or after " + key + " owns it"
		} else {
			h.Reason = fallbackText + closest + key + " known to " + from + " (its " + h.Via + ")" + connectedText
		}
	}
	return h
}

// shortID is id.Label(bits) without formatting all 20 bytes.
func shortID(id ID, bits int) string {
	if bits <= DecimalBits {
		return strconv.FormatUint(id.Uint64(), 10)
	}
	const digits = "0123456789abcdef"
	nd := (bits + 3) / 4 // hex digits of the full identifier
	first := 40 - nd     // index of its first digit among 40
	var buf [6]byte
	k := 0
	for i := first; i < 40 && k < len(buf); i++ {
		b := id[i/2]
		if i%2 == 0 {
			b >>= 4
		}
		buf[k] = digits[b&0xf]
		k++
	}
	return string(buf[:k])
}

// isOwnerEntry reports whether e lies at or after the key from its
// recommender, i.e. it was offered as owner rather than as a hop.
func (l *lookup) isOwnerEntry(e routeEntry) bool {
	return BetweenRightIncl(e.from.ID, l.key, e.ref.ID)
}

func (a *stepAnswer) setFrom(from NodeRef) {
	for i := range a.owners {
		a.owners[i].from = from
	}
	for i := range a.cands {
		a.cands[i].from = from
	}
}

// localStepLocked is this node's answer about key (ToN Fig. 6
// find_successor / closest_preceding_node, one step): if key ∈ (n, s_j] for
// the first such successor-list entry s_j, the owner is the first live of
// s_j, s_j+1, … (owners), and s_j-1 … s_0 precede the key (cands, in case
// every owner is dead). Otherwise cands are the fingers and successor-list
// entries strictly between n and key, closest to key first. Caller holds
// n.mu and n is joined.
func (n *Node) localStepLocked(key ID, a *stepAnswer) {
	a.self = n.self
	for j, s := range n.succ {
		if BetweenRightIncl(n.self.ID, key, s.ID) {
			a.owners = reuse(a.owners, len(n.succ)-j)
			for k := j; k < len(n.succ); k++ {
				a.owners = append(a.owners, routeEntry{ref: n.succ[k], via: viaSuccessor, idx: k})
			}
			a.cands = reuse(a.cands, j)
			if j > 0 {
				for k := j - 1; k >= 0; k-- {
					if n.succ[k].Addr != n.self.Addr {
						a.cands = append(a.cands, routeEntry{ref: n.succ[k], via: viaSuccessor, idx: k})
					}
				}
			}
			return
		}
	}
	// closest_preceding_node: fingers from m down to 1, then the successor list.
	bits := n.cfg.Bits
	type cand struct {
		e    routeEntry
		dist ID // clockwise distance to the key: smaller is closer
	}
	var buf [maxCandidates + 1]cand
	cs := buf[:0]
	add := func(e routeEntry) {
		if e.ref.IsZero() || e.ref.Addr == n.self.Addr || !Between(n.self.ID, e.ref.ID, key) {
			return
		}
		for i := range cs {
			if cs[i].e.ref.Addr == e.ref.Addr {
				return
			}
		}
		c := cand{e: e, dist: Distance(bits, e.ref.ID, key)}
		if len(cs) == maxCandidates && cs[len(cs)-1].dist.Cmp(c.dist) <= 0 {
			return
		}
		i := len(cs)
		cs = append(cs, c)
		for i > 0 && cs[i-1].dist.Cmp(c.dist) > 0 {
			cs[i] = cs[i-1]
			i--
		}
		cs[i] = c
		if len(cs) > maxCandidates {
			cs = cs[:maxCandidates]
		}
	}
	avoid := n.avoidedLocked() // adaptive.go: fingers routed around a busy node
	for _, k := range n.fingerTopsLocked() {
		f := n.fingers[k]
		if f.IsZero() {
			continue
		}
		if r, ok := avoid[f.Addr]; ok {
			add(routeEntry{ref: r, via: viaRoute, idx: k}) // closer than f: preferred whenever it precedes key
		}
		add(routeEntry{ref: f, via: viaFinger, idx: k})
	}
	for j := len(n.succ) - 1; j >= 0; j-- {
		add(routeEntry{ref: n.succ[j], via: viaSuccessor, idx: j})
	}
	a.owners = a.owners[:0]
	a.cands = reuse(a.cands, len(cs))
	for i := range cs {
		a.cands = append(a.cands, cs[i].e)
	}
}

// reuse returns s emptied, or a new slice if s has room for fewer than n.
func reuse(s []routeEntry, n int) []routeEntry {
	if cap(s) < n {
		return make([]routeEntry, 0, n)
	}
	return s[:0]
}

// stepScratch holds room for the answers serveStep encodes.
var stepScratch = sync.Pool{New: func() any { return new(lookupScratch) }}

// serveStep answers one lookup step for a remote asker.
func (n *Node) serveStep(req []byte) []byte {
	if len(req) < len(ID{}) {
		return errorReply(statusBadRequest, "bad step request: want a 20-byte identifier")
	}
	var key ID
	copy(key[:], req)
	s := stepScratch.Get().(*lookupScratch)
	defer stepScratch.Put(s)
	a := stepAnswer{owners: s.owners[:0], cands: s.cands[:0]}
	n.mu.Lock()
	if !n.joined {
		n.mu.Unlock()
		return []byte{statusNotJoined}
	}
	n.localStepLocked(key.Mask(n.cfg.Bits), &a)
	n.mu.Unlock()
	n.routing.Add(time.Now(), 1)
	if len(a.owners) > 0 {
		a.owners[0].heard, a.owners[0].vouched = n.heardFrom(a.owners[0].ref.Addr)
	}
	a.cached = n.stepCacheAnswer(key.Mask(n.cfg.Bits), req[len(ID{}):])
	return appendCached(appendStep(make([]byte, 0, 32+48*(len(a.owners)+len(a.cands))+len(a.cached)), &a), a.cached)
}

// Via texts, made once: "finger[k]" in the paper's numbering (finger[k]
// starts at n + 2^(k-1), k = 1..m, so table index i reads finger[i+1]),
// "successor[0]" and "successor list[j]".
var fingerVias, successorVias = func() ([]string, []string) {
	f := make([]string, MaxBits)
	for k := range f {
		f[k] = "finger[" + strconv.Itoa(k+1) + "]"
	}
	s := make([]string, 64)
	s[0] = "successor[0]"
	for j := 1; j < len(s); j++ {
		s[j] = "successor list[" + strconv.Itoa(j) + "]"
	}
	return f, s
}()

func fingerVia(k int) string {
	if k >= 0 && k < len(fingerVias) {
		return fingerVias[k]
	}
	return "finger[" + strconv.Itoa(k+1) + "]"
}

func successorVia(j int) string {
	if j >= 0 && j < len(successorVias) {
		return successorVias[j]
	}
	return "successor list[" + strconv.Itoa(j) + "]"
}

// plural formats "1 hop", "2 hops".
func plural(k int, noun string) string {
	if k == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(k) + " " + noun + "s"
}
