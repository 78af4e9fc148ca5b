package dht

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// The command handlers. They never return a Go error: every outcome is a
// status in the reply, so a transport error always means "unreachable".

// access is what a command needs from the store to be served.
type access int

const (
	accessRead       access = iota // the keys taken over; served while leaving
	accessWrite                    // the keys taken over; refused while leaving
	accessHandoff                  // a ring member, taken over or not; refused while leaving
	accessInfo                     // a ring member
	accessOwner                    // a get: a ring member (see serving)
	accessOwnerWrite               // a set or del: a ring member, refused while leaving
)

// memberHead returns a statusNotMember header when the store cannot serve
// a command that needs a (it has left, or is leaving, for writes, or the
// node has no successor yet), and statusNotReady when it has not taken
// over its keys yet. Every caller treats both answers as a node that is
// down, so a node that is still taking over its keys is passed over
// exactly like one.
func (s *Store) memberHead(a access) (replyHead, bool) {
	s.mu.Lock()
	left, leaving, ready := s.left, s.leaving, s.ready
	s.mu.Unlock()
	switch {
	case left:
		return replyHead{Status: statusNotMember, Msg: "node has left the ring"}, false
	case leaving && (a == accessWrite || a == accessHandoff || a == accessOwnerWrite):
		return replyHead{Status: statusNotMember, Msg: "node is leaving the ring"}, false
	case len(s.node.Successors()) == 0:
		return replyHead{Status: statusNotMember, Msg: "node has not joined a ring"}, false
	case !ready && (a == accessRead || a == accessWrite):
		return replyHead{Status: statusNotReady, Msg: "node has not taken over its keys yet"}, false
	}
	return replyHead{}, true
}

// owns decides whether this node answers for id as its owner. With a
// predecessor p it owns (p, self]. Without one (just joined, or p failed)
// it owns everything except (self, successor], which its successor owns.
// When it does not own id, hint names the node to try instead.
func (s *Store) owns(id chord.ID) (ok bool, hint chord.NodeRef) {
	pred := s.node.Predecessor()
	succ := chord.NodeRef{}
	if l := distinctExcept(s.node.Successors(), s.self); len(l) > 0 {
		succ = l[0]
	}
	if !succ.IsZero() && chord.BetweenRightIncl(s.self.ID, id, succ.ID) {
		return false, succ
	}
	if pred.IsZero() || pred.Addr == s.self.Addr || chord.BetweenRightIncl(pred.ID, id, s.self.ID) {
		return true, chord.NodeRef{}
	}
	return false, pred
}

// ownsNow is owns, checked against the ring for a node that has not taken
// over its keys yet. Such a proxy's predecessor pointer may be missing or
// skip nodes that joined before it and took over keys it would otherwise
// claim (a lookup or a redirect may reach it for their keys through a
// pointer not yet repaired): it serves id only if id lies after the
// node that the ring's successor pointers put right before it
// (proxyFloor), and redirects there otherwise.
func (s *Store) ownsNow(ctx context.Context, id chord.ID) (ok bool, hint chord.NodeRef) {
	ok, hint = s.owns(id)
	if !ok || s.Ready() {
		return ok, hint
	}
	floor, err := s.proxyFloor(ctx)
	if err != nil {
		s.log.Debug("not serving as a proxy", "key", id.Short(s.bits), "err", err)
		return false, s.node.Predecessor()
	}
	if chord.BetweenRightIncl(floor.ID, id, s.self.ID) {
		return true, chord.NodeRef{}
	}
	return false, floor
}

// standInGuard starts the check a node asked to stand in (Force) for a
// key before its range makes: it stands in only if it is one of the key's
// r holders, or cannot tell (ownerBeyondHolders). When r ready nodes lie
// from the key's live owner up to this one, the caller took live holders
// for dead (lost messages, a partition): an answer from here would miss
// the key's copies, and a write here would go to nodes that do not hold
// the key. The returned wait reports the not-owner reply to give then.
func (s *Store) standInGuard(ctx context.Context, id chord.ID) func() (replyHead, bool) {
	pred := s.node.Predecessor()
	// A node that has not taken over its keys, or has no predecessor,
	// starts from the node the ring puts before it (proxyFloor), as it
	// does when it serves its range.
	proxy := !s.Ready() || pred.IsZero() || pred.Addr == s.self.Addr
	if !proxy {
		if ok, hint := s.owns(id); ok || hint.Addr != pred.Addr {
			return func() (replyHead, bool) { return replyHead{}, false }
		}
	}
	type verdict struct {
		refuse bool
		before chord.NodeRef // where the walk began
	}
	done := make(chan verdict, 1)
	go func() { // exits when its calls return (bounded by ctx, the call deadline and walkMax)
		from := pred
		if proxy {
			floor, err := s.proxyFloor(ctx)
			if err != nil || chord.BetweenRightIncl(floor.ID, id, s.self.ID) {
				done <- verdict{} // cannot tell, or in its range
				return
			}
			from = floor
		}
		done <- verdict{refuse: s.ownerBeyondHolders(ctx, from, id), before: from}
	}()
	return func() (replyHead, bool) {
		v := <-done
		if !v.refuse {
			return replyHead{}, false
		}
		return replyHead{Status: statusNotOwner, Hint: v.before,
			Msg: fmt.Sprintf("not standing in for key %s: its %d holders, up to %s, answer", id.Short(s.bits), s.cfg.Replicas, v.before.Addr)}, true
	}
}

// ownerBeyondHolders walks back from pred, the node before this one (id is
// before this node's range), to id's owner, and reports whether this node
// is none of its holders: the owner if it is ready, then the next ready
// nodes (on other real nodes, with Config.Host), r in all. A node on the
// way that does not answer ends the walk with false: the nodes after a
// down node stand in for it.
func (s *Store) ownerBeyondHolders(ctx context.Context, pred chord.NodeRef, id chord.ID) bool {
	var between []chord.NodeRef // the ready nodes after the owner, nearest to this node first
	cur := pred
	for range s.walkMax {
		m, err := s.succs(ctx, cur)
		if err == nil && m.Pred.IsZero() {
			// A joiner with no predecessor yet: the node before it is
			// found as a proxy finds its own (proxyFloor), from the node
			// that a lookup of its identifier ends at.
			lr, lerr := s.node.LookupWith(ctx, cur.ID, chord.LookupOptions{TrustOwner: true})
			if lerr != nil {
				return false
			}
			if m.Pred, lerr = s.floorFrom(ctx, lr.OwnerNamedBy, cur); lerr != nil {
				return false
			}
		}
		if err != nil || m.Pred.IsZero() || m.Pred.Addr == cur.Addr || m.Pred.Addr == s.self.Addr {
			return false // down, or cannot tell
		}
		if chord.BetweenRightIncl(m.Pred.ID, id, cur.ID) { // cur owns id
			after := make([]chord.NodeRef, 0, len(between)+1)
			for i := len(between) - 1; i >= 0; i-- {
				after = append(after, between[i])
			}
			want := s.cfg.Replicas
			if m.Ready {
				want--
			}
			hs := s.holders(append(after, s.self), cur)
			return !slices.ContainsFunc(hs[:min(want, len(hs))], func(h chord.NodeRef) bool { return h.Addr == s.self.Addr })
		}
		if m.Ready {
			between = append(between, cur)
			if s.cfg.Host == nil && len(between) >= s.cfg.Replicas {
				return true // r ready nodes between, whether the owner is ready or not
			}
		}
		cur = m.Pred
	}
	return false
}

// errNoFloor: a proxy could not find the node before it (proxyFloor).
var errNoFloor = errors.New("cannot tell which node comes before this one")

// proxyFloor is find_predecessor(self) (ToN Fig. 5), checked forward: the
// node whose successor, as it says itself, is this node or lies beyond
// it. It starts from the predecessor pointer, or without one from the
// node that names this node's successor in a lookup of this node's
// identifier, and follows successor pointers while they fall between that
// node and this one. Nodes between the floor and this node that its
// pointers skip have not taken over keys (see settled), so the ready
// holders of the keys in (floor, self] are the ones after this node.
func (s *Store) proxyFloor(ctx context.Context) (chord.NodeRef, error) {
	cand := s.node.Predecessor()
	if cand.IsZero() || cand.Addr == s.self.Addr {
		lr, err := s.node.LookupWith(ctx, s.self.ID, chord.LookupOptions{TrustOwner: true})
		if err != nil {
			return chord.NodeRef{}, fmt.Errorf("%w: lookup: %w", errNoFloor, err)
		}
		cand = lr.OwnerNamedBy
	}
	return s.floorFrom(ctx, cand, s.self)
}

// floorFrom follows successor pointers from cand while they fall between
// cand and target: the node the ring puts right before target.
func (s *Store) floorFrom(ctx context.Context, cand, target chord.NodeRef) (chord.NodeRef, error) {
	for range s.walkMax {
		if cand.IsZero() || cand.Addr == target.Addr {
			return chord.NodeRef{}, errNoFloor
		}
		m, err := s.succs(ctx, cand)
		if err != nil {
			return chord.NodeRef{}, fmt.Errorf("%w: %s: %w", errNoFloor, cand.Addr, err)
		}
		l := distinctExcept(m.Succs, cand)
		if len(l) == 0 {
			return chord.NodeRef{}, fmt.Errorf("%w: %s has no successor", errNoFloor, cand.Addr)
		}
		if next := l[0]; next.Addr == target.Addr || !chord.Between(cand.ID, next.ID, target.ID) {
			return cand, nil
		}
		cand = l[0]
	}
	return chord.NodeRef{}, fmt.Errorf("%w: walked %d nodes", errNoFloor, s.walkMax)
}

// ownsStrict is owns with a known predecessor only (used by Repair).
func (s *Store) ownsStrict(id chord.ID) bool {
	pred := s.node.Predecessor()
	if pred.IsZero() {
		return false
	}
	if pred.Addr == s.self.Addr {
		return true
	}
	return chord.BetweenRightIncl(pred.ID, id, s.self.ID)
}

func invalid(err error) replyHead { return replyHead{Status: statusInvalid, Msg: err.Error()} }

// handleGet serves dht.get: the owner's read. It answers with the newest
// of its own copy and those of its next r-1 live successors, and the
// version of each copy it read (the client writes the newest back to those
// behind); if fewer than r copies answered, and some nodes of the ring
// did not, it answers unavailable. The successors the client reads itself (Cover) count as read;
// those it found unreachable (Skip) are passed over, and the next live
// successors read instead.
func (s *Store) handleGet(ctx context.Context, b []byte) ([]byte, error) {
	m, err := decodeGetReq(b, s.lim)
	if err != nil {
		return getResp{Head: invalid(err)}.encode(), nil
	}
	return s.ownerRead(ctx, m, nil).encode(), nil
}

// copyReader reads one holder's copy for ownerRead.
type copyReader func(ctx context.Context, h chord.NodeRef) copyRead

// ownerRead is handleGet's read; read, when not nil, replaces dht.read
// for the holders' copies (a conditional write reserves them, cond.go).
func (s *Store) ownerRead(ctx context.Context, m getReq, read copyReader) getResp {
	if err := s.checkKey(m.Key); err != nil {
		return getResp{Head: invalid(err)}
	}
	id := s.KeyID(m.Key)
	if h, ok := s.memberHead(accessOwner); !ok {
		return getResp{Head: h}
	}
	// A node that has not taken over its keys yet still serves the keys of
	// its range as a proxy (self false): its copy does not count, and it
	// reads the r ready nodes after it, the holders so far, for the keys
	// after the node before it on the ring (ownsNow): a node between that
	// node and it is not settled, so not ready either.
	self := s.Ready()
	refuse := func() (replyHead, bool) { return replyHead{}, false }
	if !m.Force {
		if ok, hint := s.ownsNow(ctx, id); !ok {
			return getResp{Head: replyHead{Status: statusNotOwner, Msg: "key " + id.Short(s.bits) + " is not in my range", Hint: hint}}
		}
	} else {
		// Checked with the copies below; before them for a conditional
		// write, whose reads reserve the copies.
		refuse = s.standInGuard(ctx, id)
		if read != nil {
			if h, no := refuse(); no {
				return getResp{Head: h}
			}
			refuse = func() (replyHead, bool) { return replyHead{}, false }
		}
	}
	s.servedGet()
	var lease time.Duration
	if m.Lease && self && !m.Force && !s.isLeaving() {
		lease = s.cache.grant(m.Key, m.From, s.now()) // before the read: a later write revokes it
	}
	s.mu.Lock()
	left := s.left
	best, found := s.tab.get(m.Key)
	s.mu.Unlock()
	fenced := s.fenced(m.Key) // a copy read under a stand-in's fence grants no lease (fence.go)
	succs := s.node.Successors()
	if left || len(succs) == 0 {
		// Left meanwhile (Leave empties the table and the successor list).
		return getResp{Head: replyHead{Status: statusNotMember, Msg: "node has left the ring"}}
	}
	cands := s.holders(succs, s.self)
	want := min(s.cfg.Replicas-1, len(cands))
	var out getResp
	if self {
		out.Copies = []copyVer{{Addr: s.self.Addr, Found: found, Ver: best.Ver}}
	} else {
		want = min(s.cfg.Replicas, len(cands))
	}
	if m.Hints && !m.Force && !sameAddrs(cands[:min(s.cfg.Replicas-1, len(cands))], m.Cover) {
		out.Replicas = cands[:min(s.cfg.Replicas-1, len(cands))]
	}
	// Read the first r-1 successors the client does not read itself at
	// once, then stand-ins one by one for those that did not answer.
	if read == nil {
		req := getReq{Key: m.Key}.encode()
		read = func(ctx context.Context, h chord.NodeRef) copyRead { return s.readCopy(ctx, h, req) }
	}
	asked := 0
	take := func(c copyRead) {
		if !c.ok {
			return
		}
		fenced = fenced || c.fenced
		asked++
		out.Copies = append(out.Copies, copyVer{Addr: c.addr, Found: c.found, Ver: c.rec.Ver})
		if c.found && c.rec.Ver.Newer(best.Ver) {
			best, found = c.rec, true
		}
	}
	answers := make([]copyRead, want)
	var wg sync.WaitGroup
	for i := 0; i < want; i++ {
		switch h := cands[i].Addr; {
		case slices.Contains(m.Cover, h):
			asked++
		case slices.Contains(m.Skip, h):
		default:
			wg.Add(1)
			go func(i int) { // exits when its call returns (bounded by ctx)
				defer wg.Done()
				answers[i] = read(ctx, cands[i])
			}(i)
		}
	}
	wg.Wait()
	if h, no := refuse(); no {
		return getResp{Head: h}
	}
	skip := make([]string, 0, want+len(m.Skip))
	for i := range want {
		skip = append(skip, cands[i].Addr)
	}
	walk := s.newWalk(cands[want:], s.self.Addr, append(skip, m.Skip...)...)
	for i, a := range answers {
		take(a)
		if a.answered || slices.Contains(m.Cover, cands[i].Addr) {
			walk.answered(cands[i])
		}
	}
	for asked < want && ctx.Err() == nil {
		h, ok := walk.next(ctx)
		if !ok {
			break
		}
		if slices.Contains(m.Cover, h.Addr) {
			asked++
			walk.answered(h)
			continue
		}
		c := read(ctx, h)
		take(c)
		if c.answered {
			walk.answered(h)
		}
	}
	if !self {
		// A proxy that took over its keys meanwhile holds the newest copy
		// of the nodes it read, some of which may have dropped theirs.
		s.mu.Lock()
		if r, ok := s.tab.get(m.Key); ok && r.Ver.Newer(best.Ver) {
			best, found = r, true
		}
		s.mu.Unlock()
	}
	if asked < want && (!walk.wrapped || len(walk.queue) > 0) {
		// Fewer copies than r answered, and nodes that did not answer may
		// hold the newest (unless the walk went round the whole ring).
		return getResp{Head: replyHead{Status: statusUnavailable,
			Msg: fmt.Sprintf("read %d of the %d copies of %q", asked+btoi(self), want+btoi(self), m.Key)}}
	}
	out.Found, out.Rec = found, best
	if !fenced {
		out.Lease = lease
	}
	if self && !m.Force {
		if p := s.node.Predecessor(); !p.IsZero() && p.Addr != s.self.Addr {
			out.Pred = p
		}
	}
	return out
}

// sameAddrs reports whether refs and addrs name the same nodes (in any
// order).
func sameAddrs(refs []chord.NodeRef, addrs []string) bool {
	if len(refs) != len(addrs) {
		return false
	}
	for _, r := range refs {
		if !slices.Contains(addrs, r.Addr) {
			return false
		}
	}
	return true
}

// readCopy asks h for its copy of a key (dht.read). ok is false when h did
// not answer or has not taken over its keys yet (answered tells these
// apart).
func (s *Store) readCopy(ctx context.Context, h chord.NodeRef, req []byte) copyRead {
	c := copyRead{addr: h.Addr}
	reply, err := s.call(ctx, h, cmdRead, req)
	if err != nil {
		return c
	}
	r, err := decodeGetResp(reply, s.lim)
	if err != nil {
		return c
	}
	c.answered = r.Head.Status == statusOK || r.Head.Status == statusNotReady
	if r.Head.Status != statusOK {
		return c
	}
	c.rec, c.found, c.ok, c.fenced = r.Rec, r.Found, true, r.Fenced
	return c
}

// handleRead serves dht.read: the local copy only.
func (s *Store) handleRead(_ context.Context, b []byte) ([]byte, error) {
	m, err := decodeGetReq(b, s.lim)
	if err != nil {
		return getResp{Head: invalid(err)}.encode(), nil
	}
	if h, ok := s.memberHead(accessRead); !ok {
		return getResp{Head: h}.encode(), nil
	}
	s.servedGet()
	s.mu.Lock()
	left := s.left
	r, found := s.tab.get(m.Key)
	s.mu.Unlock()
	if left {
		return getResp{Head: replyHead{Status: statusNotMember, Msg: "node has left the ring"}}.encode(), nil
	}
	// After the read: a read that began before a fence may count as fenced, never the other way.
	return getResp{Found: found, Rec: r, Fenced: s.fenced(m.Key)}.encode(), nil
}

// handleSet serves dht.set: the owner assigns a version, stores the record,
// pushes it to its next r-1 live successors and acknowledges once all of
// them have it.
func (s *Store) handleSet(ctx context.Context, b []byte) ([]byte, error) {
	m, err := decodeSetReq(b, s.lim)
	if err != nil {
		return setResp{Head: invalid(err)}.encode(), nil
	}
	m.Deleted = false
	return s.ownerWrite(ctx, m), nil
}

// handleDel serves dht.del: handleSet with a tombstone.
func (s *Store) handleDel(ctx context.Context, b []byte) ([]byte, error) {
	m, err := decodeSetReq(b, s.lim)
	if err != nil {
		return setResp{Head: invalid(err)}.encode(), nil
	}
	m.Deleted, m.Value = true, nil
	return s.ownerWrite(ctx, m), nil
}

// ownerWrite is the owner's side of a write (dht.set and dht.del). The
// version comes from the hybrid logical clock: past the physical time,
// past every version this node has seen, and newer than its own copy. A
// holder that already has a newer version keeps it: that write is newer
// than this one, so it was written while this one was under way (with one
// machine's clock a write that completed before this one began has an
// older wall time), and this write is acknowledged as overwritten by it at
// once. It is not versioned again: a read may already have returned it,
// and it must not come back after the writes that follow.
func (s *Store) ownerWrite(ctx context.Context, m setReq) []byte {
	r, _, _ := s.ownerWriteIf(ctx, m, nil)
	return r.encode()
}

// ownerWriteIf is ownerWrite; with cc it is the write of a conditional
// write (dht.setif, cond.go): applied only if this node's copy is at
// cc.read and no other conditional write holds its reservation, checked
// under the lock that orders its writes, so that no write of any kind
// comes between the check and the write, then sent to the holders that
// reserved the key for it (condReplicate). When the check fails it
// writes nothing and returns false with the copy it found.
func (s *Store) ownerWriteIf(ctx context.Context, m setReq, cc *condCommit) (setResp, record, bool) {
	var ifVer *Version
	if cc != nil {
		ifVer = &cc.read
	}
	if err := errors.Join(s.checkKey(m.Key), s.checkValue(m.Value)); err != nil {
		return setResp{Head: invalid(err)}, record{}, true
	}
	id := s.KeyID(m.Key)
	if h, ok := s.memberHead(accessOwnerWrite); !ok {
		return setResp{Head: h}, record{}, true
	}
	self := s.Ready() // a proxy until it has taken over its keys (see handleGet)
	if !m.Force {
		if ok, hint := s.ownsNow(ctx, id); !ok {
			return setResp{Head: replyHead{Status: statusNotOwner, Msg: "key " + id.Short(s.bits) + " is not in my range", Hint: hint}}, record{}, true
		}
	} else if cc == nil { // a conditional write's read checked it (ownerRead)
		if h, no := s.standInGuard(ctx, id)(); no {
			return setResp{Head: h}, record{}, true
		}
	}
	return s.writeAdmitted(ctx, m, cc, id, self, ifVer)
}

// writeAdmitted is ownerWriteIf once the write is admitted: the key is
// in this node's range, or it stands in (m.Force).
func (s *Store) writeAdmitted(ctx context.Context, m setReq, cc *condCommit, id chord.ID, self bool, ifVer *Version) (setResp, record, bool) {
	s.servedSets(1)
	standIn := m.Force || !self
	// Rule 4's other case (fence.go): a node whose range widened less than
	// a lease ago may have taken the key over from a node that, alive and
	// unaware, still grants leases on it.
	takenOver := !standIn && s.rangeGrew()
	var fenced map[string]bool // the only holders the write may go to (fence.go)
	if (standIn || takenOver) && s.fencing() {
		var cancel context.CancelFunc
		ctx, cancel = s.fenceDeadline(ctx)
		defer cancel()
		var ferr error
		if fenced, ferr = s.fence(ctx, m.Key, self); ferr != nil {
			return setResp{Head: replyHead{Status: statusUnavailable, Msg: ferr.Error()}}, record{}, true
		}
		if cc != nil {
			cc.fenced = fenced
		}
	}
	done, lerr := s.beforeWrite(ctx, m.Key, standIn || takenOver) // cache.go: revoke the read leases first
	defer done()
	if lerr != nil { // a lease may still be served: the write must not be seen
		return setResp{Head: replyHead{Status: statusUnavailable, Msg: lerr.Error()}}, record{}, true
	}
	s.mu.Lock()
	if s.leaving || s.left {
		// Leave has started: its handoff may not include this write.
		s.mu.Unlock()
		return setResp{Head: replyHead{Status: statusNotMember, Msg: "node is leaving the ring"}}, record{}, true
	}
	cur, _ := s.tab.get(m.Key)
	if ifVer != nil && (cur.Ver != *ifVer || !s.reserveLocked(m.Key, cc.token, cc.ttl, cc.start)) {
		s.mu.Unlock()
		return setResp{}, cur, false
	}
	rec := record{Key: m.Key, ID: id, Value: m.Value, Deleted: m.Deleted, Prev: cur.Ver, Ver: s.clock.next(cur.Ver, s.self.ID)}
	s.applyLocked(rec, storeWrite)
	if cc != nil {
		s.releaseLocked(m.Key, cc.token)
	}
	s.mu.Unlock()
	var copies int
	var newer Version
	var err error
	if cc != nil {
		// A node taking over the key that another conditional write
		// reached first refuses this one: then it may or may not take
		// effect, and is not acknowledged.
		ferr := s.forwardIf(ctx, []record{rec}, &condFwd{token: cc.token, base: cc.base})
		copies, err = s.condReplicate(ctx, rec, self, cc)
		if err == nil && ferr != nil {
			err = ferr
		}
	} else {
		s.forward(ctx, []record{rec})
		copies, newer, err = s.replicate(ctx, rec, self, fenced)
	}
	if err != nil {
		return setResp{Head: replyHead{Status: statusUnavailable, Msg: err.Error()}, Ver: rec.Ver, Copies: copies}, cur, true
	}
	if !newer.IsZero() {
		s.clock.observe(newer)
		s.log.Debug("a holder kept a newer write", "key", m.Key, "version", rec.Ver.String(), "newer", newer.String())
		if ifVer != nil && !s.assignedAfter(m.Key, newer) {
			// A write this owner had not seen overtook this conditional
			// one: whether a read saw this one in between is unknown.
			return setResp{Head: replyHead{Status: statusUnavailable, Msg: "a holder has a newer write of " + strconv.Quote(m.Key) + " than this conditional write, which may or may not have been seen"}, Ver: rec.Ver, Copies: copies}, cur, true
		}
	}
	return setResp{Ver: rec.Ver, Copies: copies}, cur, true
}

// assignedAfter reports whether this owner assigned v itself and holds
// it (or newer): a write it took after this one, which came after it in
// the owner's order of writes (its clock only moves forward). A
// conditional write overtaken by such a write took effect before it.
func (s *Store) assignedAfter(key string, v Version) bool {
	if v.Writer != s.self.ID {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !v.Newer(s.tab.version(key))
}

// replicate pushes rec to the owner's next r-1 live successors (r when
// the owner's own copy does not count: self false): to the first ones at
// once, then to the next ones, one by one, in place of those that did not
// answer or have not taken over their keys yet, walking on along the
// successor lists of the nodes that answer when this node's own runs out.
// It returns the holders that have rec or a newer version (the owner
// included when it counts), the newest version a holder kept over rec
// (zero if none), or an error when fewer holders than min(r, ring size)
// were reached. With fenced (a stand-in's write) it goes only to the nodes
// in it: those that acknowledged its fence (fence.go).
func (s *Store) replicate(ctx context.Context, rec record, self bool, fenced map[string]bool) (copies int, newer Version, err error) {
	copies = btoi(self)
	walk := s.newWalk(s.node.Successors(), s.self.Addr)
	want := min(s.cfg.Replicas-btoi(self), len(walk.queue))
	walk.fencedOnly(fenced)
	req := storeReq{Kind: storeWrite, Recs: []record{rec}}.encode()
	var errs []error
	// settle counts one push's outcome.
	settle := func(h chord.NodeRef, p pushResult) {
		if p.answered {
			walk.answered(h)
		}
		switch {
		case p.err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", h.Addr, p.err))
		case !p.accepted:
			newer = maxVersion(newer, p.current)
			copies++
		default:
			copies++
		}
	}
	first := make([]chord.NodeRef, 0, want)
	for len(first) < want && len(walk.queue) > 0 {
		h, _ := walk.next(ctx)
		first = append(first, h)
	}
	results := make([]pushResult, len(first))
	var wg sync.WaitGroup
	for i := range first {
		wg.Add(1)
		go func(i int) { // exits when its call returns (bounded by ctx)
			defer wg.Done()
			results[i] = s.push(ctx, first[i], req)
		}(i)
	}
	wg.Wait()
	for i, p := range results {
		settle(first[i], p)
	}
	for copies-btoi(self) < want && ctx.Err() == nil {
		h, ok := walk.next(ctx)
		if !ok {
			break
		}
		settle(h, s.push(ctx, h, req))
	}
	if copies-btoi(self) < want {
		if ctx.Err() != nil {
			return copies, newer, ctx.Err()
		}
		return copies, newer, fmt.Errorf("stored on %d of %d holders: %w", copies, want+btoi(self), errors.Join(errs...))
	}
	return copies, newer, nil
}

// pushResult is the outcome of pushing one record to a holder: err when it did
// not answer (or answered with an error), else whether it applied the
// record and the version it holds now. answered is true when the node
// answered at all (a node still taking over its keys refuses, but answers).
type pushResult struct {
	accepted bool
	answered bool
	current  Version
	err      error
}

// push sends one encoded record (a storeReq) to h.
func (s *Store) push(ctx context.Context, h chord.NodeRef, req []byte) pushResult {
	reply, err := s.call(ctx, h, cmdStore, req)
	if err != nil {
		return pushResult{err: err}
	}
	m, err := decodeStoreResp(reply)
	if err == nil && m.Head.Status != statusOK {
		return pushResult{err: headErr(m.Head), answered: m.Head.Status == statusNotReady}
	}
	if err == nil && len(m.Accepted) != 1 {
		err = fmt.Errorf("%w: %d answers for 1 record", errMalformed, len(m.Accepted))
	}
	if err != nil {
		return pushResult{err: err}
	}
	return pushResult{accepted: m.Accepted[0], current: m.Current[0], answered: true}
}

// handleStore serves dht.store: apply each record that is newer. A record
// the node already holds exactly (same version and contents: a repair
// round pushed it while the owner's own push was on its way) counts as
// accepted too, so that the owner does not take it for a conflicting copy
// and version its write again. Writes and write-backs are forwarded to the
// nodes taking over keys from this one before the reply (see forward).
func (s *Store) handleStore(ctx context.Context, b []byte) ([]byte, error) {
	m, err := decodeStoreReq(b, s.lim)
	if err != nil {
		return storeResp{Head: invalid(err)}.encode(), nil
	}
	for _, r := range m.Recs {
		if err := s.checkKey(r.Key); err != nil {
			return storeResp{Head: invalid(err)}.encode(), nil
		}
	}
	need := accessWrite
	if m.Kind == storeHandoff {
		need = accessHandoff
	}
	if h, ok := s.memberHead(need); !ok {
		return storeResp{Head: h}.encode(), nil
	}
	if m.Kind == storeWrite {
		s.servedSets(len(m.Recs))
	}
	out := storeResp{Accepted: make([]bool, len(m.Recs)), Current: make([]Version, len(m.Recs))}
	var applied []record
	var merges []Merge
	s.mu.Lock()
	if s.leaving || s.left {
		s.mu.Unlock()
		return storeResp{Head: replyHead{Status: statusNotMember, Msg: "node is leaving the ring"}}.encode(), nil
	}
	for i, r := range m.Recs {
		r.ID = s.KeyID(r.Key)
		ok, mg := s.applyLocked(r, m.Kind)
		if ok {
			applied = append(applied, r)
		}
		if mg != nil {
			merges = append(merges, *mg)
		}
		out.Accepted[i] = ok || s.tab.holds(r)
		out.Current[i] = s.tab.version(r.Key)
	}
	s.mu.Unlock()
	s.reportMerges(merges)
	if m.Kind != storeRepair {
		s.forward(ctx, applied)
	}
	return out.encode(), nil
}

// handleDigest serves dht.digest: for each (key, version) say whether this
// node needs the record, has that version, or has a newer one.
func (s *Store) handleDigest(_ context.Context, b []byte) ([]byte, error) {
	m, err := decodeDigestReq(b, s.lim)
	if err != nil {
		return digestResp{Head: invalid(err)}.encode(), nil
	}
	if h, ok := s.memberHead(accessWrite); !ok {
		return digestResp{Head: h}.encode(), nil
	}
	out := digestResp{State: make([]byte, len(m.Entries))}
	for _, x := range m.Entries {
		s.clock.observe(x.Ver)
	}
	s.mu.Lock()
	for i, x := range m.Entries {
		switch c := s.tab.version(x.Key).Compare(x.Ver); {
		case c < 0:
			out.State[i] = digestNeed
		case c == 0:
			out.State[i] = digestSame
		default:
			out.State[i] = digestNewer
		}
	}
	s.mu.Unlock()
	return out.encode(), nil
}

// handleTransfer serves dht.transfer: one page of the records in (From, To].
// A handoff request first makes this node forward its later writes in
// that range to the requester, under the same lock as the page is read,
// so that every write this node takes is either in a page or forwarded.
func (s *Store) handleTransfer(_ context.Context, b []byte) ([]byte, error) {
	m, err := decodeTransferReq(b, s.lim)
	if err != nil {
		return transferResp{Head: invalid(err)}.encode(), nil
	}
	if h, ok := s.memberHead(accessRead); !ok {
		return transferResp{Head: h}.encode(), nil
	}
	s.mu.Lock()
	if m.Handoff && !m.By.IsZero() && m.By.Addr != s.self.Addr {
		s.addHandoffLocked(m.By, m.From)
	}
	recs, more := s.tab.inRange(m.From, m.To, m.After, max(m.MaxBytes, 1))
	s.mu.Unlock()
	return transferResp{Recs: recs, More: more}.encode(), nil
}

// handleSuccs serves dht.succs: this node's predecessor and successor list.
func (s *Store) handleSuccs(_ context.Context, _ []byte) ([]byte, error) {
	if h, ok := s.memberHead(accessInfo); !ok {
		return succsResp{Head: h}.encode(), nil
	}
	// A leaving node takes no writes: it is no holder any more.
	return succsResp{Self: s.self, Pred: s.node.Predecessor(), Succs: s.node.Successors(), Ready: s.Ready() && !s.isLeaving()}.encode(), nil
}
