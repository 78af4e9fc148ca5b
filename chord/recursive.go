package chord

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Recursive lookups (LookupOptions.Recursive; ToN §IV, "recursive style").
//
// The origin takes its own step as an iterative lookup does, then calls its
// closest preceding node with methodRoute instead of methodStep. That node
// takes its step and, unless it names the owner itself, calls its own
// closest preceding node the same way, and so on: every call goes to a node
// the caller routes through anyway (a finger or a successor-list entry), so
// a lookup from anywhere reuses connections maintenance keeps open instead
// of reaching strangers. Each node falls back on its own next-best candidate
// when a call fails, and returns "no live candidate" when it has none left,
// so its caller falls back in turn: the order in which nodes are tried is
// the iterative lookup's. The reply carries every call the node and those
// after it made, so the origin's Path lists them all, each with the node
// that made it (Hop.From) and why.
//
// Time: a node must answer within the wait its caller gave it, so it gives
// the next node that wait less a margin for its own reply; a silent node
// costs the lookup no more than one RPCTimeout, as in the iterative style.

const methodRoute = "chord.route" // one recursive-lookup step: answer, or forward and report

// Outcomes of a route call.
const (
	routeFound       byte = iota // the owner was found (and checked as asked)
	routeNoCandidate             // every candidate of the callee and after failed
	routeStepLimit               // Config.MaxLookupSteps calls were made
	routeOutOfTime               // the wait ran out before a next call
)

// Flags of a route request (the lookup's mode).
const (
	routeTrust   byte = 1 << iota // lookupTrustOwner
	routePing                     // lookupPingOwner
	routeJoining                  // the origin is joining: a pointer to it is stale
)

// Flags of a path row on the wire.
const (
	rowPing      byte = 1 << iota // Hop.Ping
	rowFailed                     // Hop.Err is set
	rowTimeout                    // Hop.Timeout
	rowFallback                   // an earlier call of the lookup failed
	rowConnected                  // routeEntry.connected
)

// maxRouteFailed bounds the failed nodes a route request carries.
const maxRouteFailed = 16

// maxRowErr bounds the error text of a path row on the wire.
const maxRowErr = 512

// rowMeta is how a row of a forwarding node's path was chosen.
type rowMeta struct {
	via       byte
	idx       int
	fallback  bool
	connected bool // routeEntry.connected
}

// routeRequest asks a node to carry a lookup on.
type routeRequest struct {
	key    ID
	flags  byte
	budget int           // calls the callee and those after it may still make
	wait   time.Duration // the callee answers within this
	failed []string      // nodes that failed earlier in the lookup
	origin string        // the node that looks up
}

func appendRouteRequest(b []byte, r *routeRequest) []byte {
	b = append(b, r.key[:]...)
	b = append(b, r.flags)
	b = binary.AppendUvarint(b, uint64(r.budget))
	b = binary.AppendUvarint(b, uint64(r.wait/time.Microsecond))
	b = binary.AppendUvarint(b, uint64(len(r.origin)))
	b = append(b, r.origin...)
	failed := r.failed[max(len(r.failed)-maxRouteFailed, 0):]
	b = binary.AppendUvarint(b, uint64(len(failed)))
	for _, a := range failed {
		b = binary.AppendUvarint(b, uint64(len(a)))
		b = append(b, a...)
	}
	return b
}

func decodeRouteRequest(b []byte) (routeRequest, error) {
	var r routeRequest
	if len(b) < len(r.key)+1 {
		return r, errShortMessage
	}
	copy(r.key[:], b)
	r.flags = b[len(r.key)]
	d := decoder{b: b[len(r.key)+1:], intern: &internedAddrs}
	r.budget = int(d.uvarint(maxRefs))
	r.wait = time.Duration(d.uvarint(uint64(time.Hour/time.Microsecond))) * time.Microsecond
	r.origin = d.str(maxAddrLen)
	n := int(d.uvarint(maxRouteFailed))
	for i := 0; i < n && d.err == nil; i++ {
		r.failed = append(r.failed, d.str(maxAddrLen))
	}
	return r, d.err
}

// str reads a length-prefixed string of at most limit bytes.
func (d *decoder) str(limit uint64) string {
	n := int(d.uvarint(limit))
	if d.err != nil {
		return ""
	}
	if len(d.b) < n {
		d.fail(errShortMessage)
		return ""
	}
	s := d.intern.get(d.b[:n])
	d.b = d.b[n:]
	return s
}

// routeRow is one call of a recursive lookup as it travels back.
type routeRow struct {
	e     routeEntry // node called, its via/idx in from's tables, from
	flags byte
	rtt   time.Duration
	err   string
}

// routeReply is a node's answer to a route call.
type routeReply struct {
	outcome byte
	// With routeFound: the owner, the routing entry that named it (from is
	// the node whose table held it), and how it was found live, in the
	// origin's terms.
	owner routeEntry
	check OwnerCheck
	heard time.Duration
	rows  []routeRow // every call the callee and those after it made
}

func appendRouteReply(b []byte, r *routeReply) []byte {
	b = append(b, statusOK, r.outcome)
	if r.outcome == routeFound {
		b = appendRef(b, r.owner.ref)
		b = appendRef(b, r.owner.from)
		b = append(b, r.owner.via)
		b = binary.AppendUvarint(b, uint64(r.owner.idx))
		b = append(b, byte(r.check))
		b = binary.AppendUvarint(b, uint64(r.heard/time.Microsecond))
	}
	b = binary.AppendUvarint(b, uint64(len(r.rows)))
	for i := range r.rows {
		w := &r.rows[i]
		b = appendRef(b, w.e.ref)
		b = appendRef(b, w.e.from)
		b = append(b, w.e.via)
		b = binary.AppendUvarint(b, uint64(w.e.idx))
		b = append(b, w.flags)
		b = binary.AppendUvarint(b, uint64(w.rtt/time.Microsecond))
		if w.flags&rowFailed != 0 {
			msg := w.err[:min(len(w.err), maxRowErr)]
			b = binary.AppendUvarint(b, uint64(len(msg)))
			b = append(b, msg...)
		}
	}
	return b
}

// decodeRouteReply decodes the body of a route reply (after its status),
// its rows into rows[:0] while they fit.
func decodeRouteReply(b []byte, rows []routeRow) (routeReply, error) {
	d := decoder{b: b, intern: &internedAddrs}
	var r routeReply
	r.outcome = d.byte()
	if d.err == nil && r.outcome > routeOutOfTime {
		d.fail(fmt.Errorf("unknown route outcome %d", r.outcome))
	}
	if r.outcome == routeFound {
		r.owner.ref, r.owner.from = d.ref(), d.ref()
		r.owner.via = d.byte()
		r.owner.idx = int(d.uvarint(maxRefs))
		r.check = OwnerCheck(d.byte())
		if d.err == nil && (r.check < OwnerOrigin || r.check > OwnerTrusted) {
			d.fail(fmt.Errorf("unknown owner check %d", r.check))
		}
		r.heard = time.Duration(d.uvarint(maxHeardMicros)) * time.Microsecond
	}
	n := int(d.uvarint(maxRefs))
	if d.err == nil && n > 0 {
		r.rows = rows[:0]
		if cap(rows) < n {
			r.rows = make([]routeRow, 0, n)
		}
	}
	for i := 0; i < n && d.err == nil; i++ {
		var w routeRow
		w.e.ref, w.e.from = d.ref(), d.ref()
		w.e.via = d.byte()
		w.e.idx = int(d.uvarint(maxRefs))
		w.flags = d.byte()
		w.rtt = time.Duration(d.uvarint(maxHeardMicros)) * time.Microsecond
		if w.flags&rowFailed != 0 {
			n := int(d.uvarint(maxRowErr))
			if d.err == nil && len(d.b) < n {
				d.fail(errShortMessage)
			}
			if d.err == nil {
				w.err = string(d.b[:n])
				d.b = d.b[n:]
			}
		}
		r.rows = append(r.rows, w)
	}
	return r, d.err
}

// routeMargin is what each node of a recursive lookup keeps of its wait for
// its own reply: the next node gets the rest.
func (n *Node) routeMargin() time.Duration {
	return max(n.cfg.RPCTimeout/32, time.Millisecond)
}

// runRecursive is the origin's side of a recursive lookup.
func (l *lookup) runRecursive(ctx context.Context, known string) (NodeRef, error) {
	if known != "" {
		// A joiner or a probe asks the member it knows to find the key: that
		// node's route step is the first (SIGCOMM'01 Fig. 6, n'.find_successor).
		l.cands = append(l.cands, routeEntry{ref: NodeRef{Addr: known}, via: viaKnown})
	} else if owner, done, err := l.local(ctx); done || err != nil {
		return owner, err
	}
	owner, outcome, err := l.forward(ctx, time.Time{})
	if err != nil || outcome == routeFound {
		return owner.ref, err
	}
	bits := l.n.cfg.Bits
	switch outcome {
	case routeStepLimit:
		return NodeRef{}, fmt.Errorf("lookup %s from %s: step limit %d reached: %w",
			l.key.Label(bits), l.n.self.Addr, l.n.cfg.MaxLookupSteps, ErrLookupFailed)
	case routeOutOfTime:
		return NodeRef{}, fmt.Errorf("lookup %s: %w", l.key.Label(bits), context.DeadlineExceeded)
	}
	return NodeRef{}, fmt.Errorf("lookup %s from %s: no live candidate left after %d calls: %w",
		l.key.Label(bits), l.n.self.Addr, l.steps, ErrLookupFailed)
}

// forward hands the lookup to the closest candidate not tried yet (the
// paper's recursive find_successor: n' = closest_preceding_node(id);
// return n'.find_successor(id)), falling back on the next one when a call
// fails or the node called has no live candidate left. deadline is when
// this node must have answered its own caller (zero at the origin: each
// call then gets RPCTimeout, as an iterative step does).
func (l *lookup) forward(ctx context.Context, deadline time.Time) (routeEntry, byte, error) {
	n := l.n
	margin := n.routeMargin()
	for {
		e, ok := l.nextConnected()
		if !ok {
			return routeEntry{}, routeNoCandidate, nil
		}
		if l.steps >= n.cfg.MaxLookupSteps {
			return routeEntry{}, routeStepLimit, nil
		}
		callBy := time.Now().Add(n.cfg.RPCTimeout)
		if !deadline.IsZero() {
			callBy = deadline
		}
		if dl, ok := ctx.Deadline(); ok && dl.Before(callBy) {
			callBy = dl
		}
		wait := time.Until(callBy) - margin
		if wait <= 0 {
			if err := l.interrupted(ctx); err != nil && deadline.IsZero() {
				return routeEntry{}, 0, err
			}
			l.cands = append(l.cands, e) // not tried: the caller may still know it
			return routeEntry{}, routeOutOfTime, nil
		}
		req := routeRequest{key: l.key, budget: n.cfg.MaxLookupSteps - l.steps - 1, wait: wait, failed: l.failed, origin: l.origin}
		if deadline.IsZero() {
			req.origin = n.self.Addr
			l.originJoining = !n.Joined()
		}
		if l.originJoining {
			req.flags |= routeJoining
		}
		if l.trust || l.hint {
			req.flags |= routeTrust
		}
		if l.ping {
			req.flags |= routePing
		}
		l.asked = append(l.asked, e.ref.Addr)
		l.steps++
		cctx, cancel := context.WithDeadline(ctx, callBy)
		t0 := time.Now()
		body, err := n.rpc(cctx, e.ref.Addr, methodRoute, appendRouteRequest(make([]byte, 0, 64), &req))
		cancel()
		var rep routeReply
		if err == nil {
			// The rows are done with before the next call.
			if rep, err = decodeRouteReply(body, l.scratch.rows[:0]); err != nil {
				err = fmt.Errorf("route %s: bad reply: %w: %w", e.ref.Addr, err, ErrNodeDown)
			}
		}
		h := l.hop(e, time.Since(t0))
		if err != nil {
			if deadline.IsZero() {
				if err := l.interrupted(ctx); err != nil {
					return routeEntry{}, 0, err
				}
				if e.via == viaKnown && errors.Is(err, ErrNotJoined) { // as lookup.run says it
					return routeEntry{}, 0, fmt.Errorf("lookup %s via %s: %w", l.key.Label(n.cfg.Bits), e.ref.Addr, err)
				}
			} else if ctx.Err() != nil || n.stopped.Load() {
				l.fail(&h, e.ref, err)
				return routeEntry{}, routeOutOfTime, nil
			}
			l.fail(&h, e.ref, err)
			continue
		}
		if e.via == viaKnown {
			// Only the address was known: the reply names the node, with
			// its identifier, as the maker of the calls after it or as the
			// one whose table named the owner.
			switch {
			case len(rep.rows) > 0 && rep.rows[0].e.from.Addr == e.ref.Addr:
				h.Node = rep.rows[0].e.from
			case rep.outcome == routeFound && rep.owner.from.Addr == e.ref.Addr:
				h.Node = rep.owner.from
			}
		}
		l.res.Hops++
		l.res.Path = append(l.res.Path, h)
		l.answered = append(l.answered, e.ref.Addr)
		l.splice(rep.rows)
		switch rep.outcome {
		case routeFound:
			l.found(&rep)
			return rep.owner, routeFound, nil
		case routeStepLimit:
			return routeEntry{}, routeStepLimit, nil
		}
		// No live candidate after e, or its time ran out: go on from here.
	}
}

// splice appends the calls a forwarded node and those after it made.
func (l *lookup) splice(rows []routeRow) {
	for i := range rows {
		w := &rows[i]
		if l.rows != nil {
			*l.rows = append(*l.rows, rowMeta{via: w.e.via, idx: w.e.idx, fallback: w.flags&rowFallback != 0, connected: w.flags&rowConnected != 0})
		}
		w.e.connected = w.flags&rowConnected != 0
		h := l.hopText(w.e, w.rtt, w.flags&rowFallback != 0)
		h.Ping = w.flags&rowPing != 0
		l.steps++
		if w.flags&rowFailed != 0 {
			h.Err, h.Timeout = w.err, w.flags&rowTimeout != 0
			l.res.Timeouts++
			l.failed = append(l.failed, w.e.ref.Addr)
		} else {
			l.res.Hops++
			l.answered = append(l.answered, w.e.ref.Addr)
		}
		l.res.Path = append(l.res.Path, h)
	}
}

// found records on the result the owner a forwarded node returned.
func (l *lookup) found(rep *routeReply) {
	e := rep.owner
	if rep.check != OwnerPinged && slices.Contains(l.answered, e.ref.Addr) {
		rep.check = OwnerAnswered // a call of this node's made sure of it
	}
	switch rep.check {
	case OwnerOrigin:
		l.owner(e, OwnerOrigin, 0, " (this node)")
	case OwnerPinged:
		l.res.OwnerCheck, l.res.OwnerNamedBy = OwnerPinged, e.from
		if p := l.res.Path; len(p) > 0 {
			last := p[len(p)-1]
			l.res.OwnerVia, l.res.OwnerReason = last.Via, last.Reason // the ping's row says it all
		}
	case OwnerAnswered:
		l.owner(e, OwnerAnswered, 0, " (it answered earlier in this lookup)")
	case OwnerTrusted:
		l.owner(e, OwnerTrusted, 0, " (not pinged: the caller calls it next)")
	default: // OwnerVouched
		note := ""
		if l.explain {
			note = " (vouched for by " + shortID(e.from.ID, l.n.cfg.Bits) + ", which heard from it " +
				rep.heard.Round(time.Microsecond).String() + " before naming it: no ping)"
		}
		l.owner(e, OwnerVouched, rep.heard, note)
	}
}

// forwarding is the state of a recursive lookup at a forwarding node,
// pooled: every hop of every recursive lookup needs one.
type forwarding struct {
	l      lookup
	rowBuf [8]rowMeta
	// the step answer's lists (a successor list's length and
	// maxCandidates cover most answers without an allocation), and the
	// rows of the forwarded call's reply
	scratch lookupScratch
	// the reply's rows, before they are encoded
	outBuf [8]routeRow
}

var forwardPool = sync.Pool{New: func() any { return new(forwarding) }}

// release pools f; the next use sets every field it reads.
func (f *forwarding) release() { forwardPool.Put(f) }

// pingOwner pings a candidate owner for tryOwners, by the time this node
// must answer if it forwards a recursive lookup.
func (l *lookup) pingOwner(ctx context.Context, addr string) error {
	if !l.answerBy.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, l.answerBy)
		defer cancel()
	}
	return l.n.ping(ctx, addr)
}

// serveRoute carries a recursive lookup on at this node: its own step, then
// its owner check or a forward, and the calls made, back to the caller.
func (n *Node) serveRoute(ctx context.Context, body []byte) []byte {
	req, err := decodeRouteRequest(body)
	if err != nil {
		return errorReply(statusBadRequest, "bad route request: "+err.Error())
	}
	deadline := time.Now().Add(req.wait)
	key := req.key.Mask(n.cfg.Bits)
	fw := forwardPool.Get().(*forwarding)
	defer fw.release()
	a := stepAnswer{owners: fw.scratch.owners[:0], cands: fw.scratch.cands[:0]}
	n.mu.Lock()
	if !n.joined {
		n.mu.Unlock()
		return []byte{statusNotJoined}
	}
	n.localStepLocked(key, &a)
	n.mu.Unlock()
	n.routing.Add(time.Now(), 1)
	a.setFrom(n.self)

	rows := fw.rowBuf[:0]
	l := &fw.l
	*l = lookup{n: n, key: key, trust: req.flags&routeTrust != 0, ping: req.flags&routePing != 0,
		originJoining: req.flags&routeJoining != 0, rows: &rows, scratch: &fw.scratch}
	l.cands, l.asked, l.answered, l.failed = l.candBuf[:0], l.askedBuf[:0], l.answeredBuf[:0], l.failedBuf[:0]
	l.res.Path = l.pathBuf[:0]
	l.failed = append(l.failed, req.failed...)
	l.origin, l.answerBy = req.origin, deadline
	l.asked = append(l.asked, req.origin) // the origin used its own tables first
	l.steps = n.cfg.MaxLookupSteps - min(req.budget, n.cfg.MaxLookupSteps)

	rep := routeReply{outcome: routeNoCandidate}
	if len(a.owners) > 0 {
		if owner, ok := l.tryOwners(ctx, a.owners); ok {
			rep.outcome, rep.owner = routeFound, routeEntry{ref: owner, from: l.res.OwnerNamedBy}
			rep.check, rep.heard = l.res.OwnerCheck, l.res.OwnerHeardAgo
			for _, o := range a.owners {
				if o.ref.Addr == owner.Addr {
					rep.owner.via, rep.owner.idx = o.via, o.idx
					break
				}
			}
			switch rep.check { // in the origin's terms
			case OwnerOrigin:
				if owner == n.self {
					rep.check = OwnerAnswered // this node, which answered the origin's lookup
				} // else the origin itself
			case OwnerHeard:
				rep.check = OwnerVouched // this node heard from it: it vouches
			}
		}
	}
	if rep.outcome != routeFound {
		l.merge(a.cands)
		owner, outcome, _ := l.forward(ctx, deadline)
		rep.outcome = outcome
		if outcome == routeFound { // found after this node: passed on as it came
			rep.owner, rep.check, rep.heard = owner, l.res.OwnerCheck, l.res.OwnerHeardAgo
		}
	}
	rep.rows = fw.outBuf[:0]
	if len(l.res.Path) > len(fw.outBuf) {
		rep.rows = make([]routeRow, 0, len(l.res.Path))
	}
	rep.rows = rep.rows[:len(l.res.Path)]
	for i, h := range l.res.Path {
		w := &rep.rows[i]
		// The buffer may hold an earlier reply's row: every field is set.
		*w = routeRow{e: routeEntry{ref: h.Node, from: h.From}}
		if i < len(rows) { // always: every row was made by hop or splice
			w.e.via, w.e.idx = rows[i].via, rows[i].idx
			if rows[i].fallback {
				w.flags |= rowFallback
			}
			if rows[i].connected {
				w.flags |= rowConnected
			}
		}
		w.rtt, w.err = h.RTT, h.Err
		if h.Ping {
			w.flags |= rowPing
		}
		if h.Err != "" {
			w.flags |= rowFailed
		}
		if h.Timeout {
			w.flags |= rowTimeout
		}
	}
	return appendRouteReply(make([]byte, 0, 96+96*len(rep.rows)), &rep) // a row: two refs of about 36 bytes and a few more
}
