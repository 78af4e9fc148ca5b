package dht

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/chordtui/chordtui/chord"
)

// The command handlers. They never return a Go error: every outcome is a
// status in the reply, so a transport error always means "unreachable".

// memberHead returns a statusNotMember header when the store cannot serve
// (left, or the node has no successor yet), else a zero header.
func (s *Store) memberHead(writing bool) (replyHead, bool) {
	s.mu.Lock()
	left, leaving := s.left, s.leaving
	s.mu.Unlock()
	switch {
	case left:
		return replyHead{Status: statusNotMember, Msg: "node has left the ring"}, false
	case leaving && writing:
		return replyHead{Status: statusNotMember, Msg: "node is leaving the ring"}, false
	case len(s.node.Successors()) == 0:
		return replyHead{Status: statusNotMember, Msg: "node has not joined a ring"}, false
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
// of its own copy and those of its next r-1 live successors, and keeps the
// newest (read repair). The successors the client reads itself (Cover)
// count as read; those it found unreachable (Skip) are passed over, and
// the next live successors read instead.
func (s *Store) handleGet(ctx context.Context, b []byte) ([]byte, error) {
	m, err := decodeGetReq(b, s.lim)
	if err != nil {
		return getResp{Head: invalid(err)}.encode(), nil
	}
	if err := s.checkKey(m.Key); err != nil {
		return getResp{Head: invalid(err)}.encode(), nil
	}
	if h, ok := s.memberHead(false); !ok {
		return getResp{Head: h}.encode(), nil
	}
	id := s.KeyID(m.Key)
	if !m.Force {
		if ok, hint := s.owns(id); !ok {
			return getResp{Head: replyHead{Status: statusNotOwner, Msg: "key " + id.Short(s.bits) + " is not in my range", Hint: hint}}.encode(), nil
		}
	}
	s.mu.Lock()
	best, found := s.tab.get(m.Key)
	s.mu.Unlock()
	mine := best.Ver
	cands := distinctExcept(s.node.Successors(), s.self)
	want := min(s.cfg.Replicas-1, len(cands))
	var out getResp
	if m.Hints && !m.Force && !sameAddrs(cands[:want], m.Cover) {
		out.Replicas = cands[:want]
	}
	// Read the first r-1 successors the client does not read itself at
	// once, then stand-ins one by one for those that did not answer.
	req := getReq{Key: m.Key}.encode()
	type answer struct {
		rec   record
		found bool
		ok    bool
	}
	answers := make([]answer, want)
	asked := 0
	var wg sync.WaitGroup
	for i := 0; i < want; i++ {
		switch h := cands[i].Addr; {
		case slices.Contains(m.Cover, h):
			answers[i].ok = true
		case slices.Contains(m.Skip, h):
		default:
			wg.Add(1)
			go func(i int) { // exits when its call returns (bounded by ctx)
				defer wg.Done()
				answers[i].rec, answers[i].found, answers[i].ok = s.readCopy(ctx, cands[i], req)
			}(i)
		}
	}
	wg.Wait()
	for _, a := range answers {
		if a.ok {
			asked++
		}
		if a.found && a.rec.Ver.Newer(best.Ver) {
			best, found = a.rec, true
		}
	}
	for _, h := range cands[want:] {
		if asked == want || ctx.Err() != nil {
			break
		}
		if slices.Contains(m.Cover, h.Addr) {
			asked++
			continue
		}
		if slices.Contains(m.Skip, h.Addr) {
			continue
		}
		rec, ok2, ok := s.readCopy(ctx, h, req)
		if ok {
			asked++
		}
		if ok2 && rec.Ver.Newer(best.Ver) {
			best, found = rec, true
		}
	}
	if found && best.Ver.Newer(mine) {
		best.ID = id
		s.mu.Lock()
		s.tab.apply(best)
		s.mu.Unlock()
	}
	out.Found, out.Rec = found, best
	return out.encode(), nil
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
// not answer.
func (s *Store) readCopy(ctx context.Context, h chord.NodeRef, req []byte) (rec record, found, ok bool) {
	reply, err := s.call(ctx, h, cmdRead, req)
	if err != nil {
		return record{}, false, false
	}
	r, err := decodeGetResp(reply, s.lim)
	if err != nil || r.Head.Status != statusOK {
		return record{}, false, false
	}
	return r.Rec, r.Found, true
}

// handleRead serves dht.read: the local copy only.
func (s *Store) handleRead(_ context.Context, b []byte) ([]byte, error) {
	m, err := decodeGetReq(b, s.lim)
	if err != nil {
		return getResp{Head: invalid(err)}.encode(), nil
	}
	if h, ok := s.memberHead(false); !ok {
		return getResp{Head: h}.encode(), nil
	}
	s.mu.Lock()
	r, found := s.tab.get(m.Key)
	s.mu.Unlock()
	return getResp{Found: found, Rec: r}.encode(), nil
}

// writeAttempts bounds how often the owner re-versions a write that a
// holder refused because it had a newer version.
const writeAttempts = 4

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

// ownerWrite is the owner's side of a write (dht.set and dht.del).
func (s *Store) ownerWrite(ctx context.Context, m setReq) []byte {
	if err := errors.Join(s.checkKey(m.Key), s.checkValue(m.Value)); err != nil {
		return setResp{Head: invalid(err)}.encode()
	}
	if h, ok := s.memberHead(true); !ok {
		return setResp{Head: h}.encode()
	}
	id := s.KeyID(m.Key)
	if ok, hint := s.owns(id); !ok && !m.Force {
		return setResp{Head: replyHead{Status: statusNotOwner, Msg: "key " + id.Short(s.bits) + " is not in my range", Hint: hint}}.encode()
	}
	var last error
	for attempt := 0; attempt < writeAttempts; attempt++ {
		s.mu.Lock()
		rec := record{Key: m.Key, ID: id, Value: m.Value, Deleted: m.Deleted, Ver: s.tab.next(s.self.ID)}
		s.tab.apply(rec)
		s.mu.Unlock()
		copies, newer, err := s.replicate(ctx, rec)
		if err != nil {
			return setResp{Head: replyHead{Status: statusUnavailable, Msg: err.Error()}, Ver: rec.Ver, Copies: copies}.encode()
		}
		if newer.IsZero() {
			return setResp{Ver: rec.Ver, Copies: copies}.encode()
		}
		// A holder has a newer version than the one just assigned: move
		// the clock past it and write again.
		s.mu.Lock()
		s.tab.observe(newer.Counter)
		s.mu.Unlock()
		last = fmt.Errorf("a holder kept version %v over %v", newer, rec.Ver)
	}
	return setResp{Head: replyHead{Status: statusUnavailable, Msg: last.Error()}}.encode()
}

// replicate pushes rec to the owner's next r-1 live successors: to the
// first r-1 at once, then to the next ones, one by one, in place of those
// that did not answer. When the successor list runs out of live entries
// (several nodes failed and stabilize has not caught up), it continues
// with the successor list of the last live one. It returns the copies made
// (owner included), or the newest version a holder refused rec for, or an
// error when fewer holders than min(r, ring size) were reached.
func (s *Store) replicate(ctx context.Context, rec record) (copies int, newer Version, err error) {
	copies = 1
	cands := distinctExcept(s.node.Successors(), s.self)
	want := min(s.cfg.Replicas-1, len(cands))
	req := storeReq{Recs: []record{rec}}.encode()
	tried := map[string]bool{s.self.Addr: true}
	var lastLive chord.NodeRef
	var errs []error
	// settle counts one push's outcome; it reports whether h answered.
	settle := func(h chord.NodeRef, p pushResult) bool {
		switch {
		case p.err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", h.Addr, p.err))
			return false
		case !p.accepted:
			// The holder has a newer version, or this very version with
			// possibly another value (a node restarted with an empty
			// store reuses its counters): either way, version again.
			if p.current.Newer(newer) {
				newer = p.current
			}
		default:
			copies++
		}
		lastLive = h
		return true
	}
	first := make([]pushResult, want)
	var wg sync.WaitGroup
	for i := 0; i < want; i++ {
		tried[cands[i].Addr] = true
		wg.Add(1)
		go func(i int) { // exits when its call returns (bounded by ctx)
			defer wg.Done()
			first[i] = s.push(ctx, cands[i], req)
		}(i)
	}
	wg.Wait()
	for i, p := range first {
		settle(cands[i], p)
	}
	if ctx.Err() != nil {
		return copies, Version{}, ctx.Err()
	}
	if !newer.IsZero() {
		return copies, newer, nil
	}
	cands = cands[want:]
	for extended := 0; copies-1 < want; {
		if len(cands) == 0 {
			if lastLive.IsZero() || extended == 2 {
				break
			}
			extended++
			m, err := s.succs(ctx, lastLive)
			if err != nil {
				break
			}
			for _, c := range m.Succs {
				if !tried[c.Addr] {
					cands = append(cands, c)
				}
			}
			cands = distinctExcept(cands)
			if len(cands) == 0 {
				break
			}
		}
		h := cands[0]
		cands = cands[1:]
		if tried[h.Addr] {
			continue
		}
		tried[h.Addr] = true
		if !settle(h, s.push(ctx, h, req)) && ctx.Err() != nil {
			return copies, Version{}, ctx.Err()
		}
		if !newer.IsZero() {
			return copies, newer, nil
		}
	}
	if copies-1 < want {
		return copies, Version{}, fmt.Errorf("stored on %d of %d holders: %w", copies, want+1, errors.Join(errs...))
	}
	return copies, Version{}, nil
}

// pushResult is the outcome of pushing one record to a holder: err when it did
// not answer (or answered with an error), else whether it applied the
// record and the version it holds now.
type pushResult struct {
	accepted bool
	current  Version
	err      error
}

// push sends one encoded record (a storeReq) to h.
func (s *Store) push(ctx context.Context, h chord.NodeRef, req []byte) pushResult {
	reply, err := s.call(ctx, h, cmdStore, req)
	var m storeResp
	if err == nil {
		m, err = decodeStoreResp(reply)
	}
	if err == nil && m.Head.Status != statusOK {
		err = headErr(m.Head)
	}
	if err == nil && len(m.Accepted) != 1 {
		err = fmt.Errorf("%w: %d answers for 1 record", errMalformed, len(m.Accepted))
	}
	if err != nil {
		return pushResult{err: err}
	}
	return pushResult{accepted: m.Accepted[0], current: m.Current[0]}
}

// handleStore serves dht.store: apply each record that is newer. A record
// the node already holds exactly (same version and contents: a repair
// round pushed it while the owner's own push was on its way) counts as
// accepted too, so that the owner does not take it for a conflicting copy
// and version its write again.
func (s *Store) handleStore(_ context.Context, b []byte) ([]byte, error) {
	m, err := decodeStoreReq(b, s.lim)
	if err != nil {
		return storeResp{Head: invalid(err)}.encode(), nil
	}
	for _, r := range m.Recs {
		if err := s.checkKey(r.Key); err != nil {
			return storeResp{Head: invalid(err)}.encode(), nil
		}
	}
	if h, ok := s.memberHead(true); !ok {
		return storeResp{Head: h}.encode(), nil
	}
	out := storeResp{Accepted: make([]bool, len(m.Recs)), Current: make([]Version, len(m.Recs))}
	s.mu.Lock()
	for i, r := range m.Recs {
		r.ID = s.KeyID(r.Key)
		out.Accepted[i] = s.tab.apply(r) || s.tab.holds(r)
		out.Current[i] = s.tab.version(r.Key)
	}
	s.mu.Unlock()
	return out.encode(), nil
}

// handleDigest serves dht.digest: for each (key, version) say whether this
// node needs the record, has that version, or has a newer one.
func (s *Store) handleDigest(_ context.Context, b []byte) ([]byte, error) {
	m, err := decodeDigestReq(b, s.lim)
	if err != nil {
		return digestResp{Head: invalid(err)}.encode(), nil
	}
	if h, ok := s.memberHead(true); !ok {
		return digestResp{Head: h}.encode(), nil
	}
	out := digestResp{State: make([]byte, len(m.Entries))}
	s.mu.Lock()
	for i, x := range m.Entries {
		s.tab.observe(x.Ver.Counter)
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
func (s *Store) handleTransfer(_ context.Context, b []byte) ([]byte, error) {
	m, err := decodeTransferReq(b, s.lim)
	if err != nil {
		return transferResp{Head: invalid(err)}.encode(), nil
	}
	if h, ok := s.memberHead(false); !ok {
		return transferResp{Head: h}.encode(), nil
	}
	s.mu.Lock()
	recs, more := s.tab.inRange(m.From, m.To, m.After, max(m.MaxBytes, 1))
	s.mu.Unlock()
	return transferResp{Recs: recs, More: more}.encode(), nil
}

// handleSuccs serves dht.succs: this node's predecessor and successor list.
func (s *Store) handleSuccs(_ context.Context, _ []byte) ([]byte, error) {
	if h, ok := s.memberHead(false); !ok {
		return succsResp{Head: h}.encode(), nil
	}
	return succsResp{Self: s.self, Pred: s.node.Predecessor(), Succs: s.node.Successors()}.encode(), nil
}

// handleForget serves dht.forget: drop each tombstone held at exactly the
// given version (a newer write or an older copy is kept).
func (s *Store) handleForget(_ context.Context, b []byte) ([]byte, error) {
	m, err := decodeForgetReq(b, s.lim)
	if err != nil {
		return headOnly(invalid(err)), nil
	}
	s.mu.Lock()
	for _, x := range m.Entries {
		if r, ok := s.tab.get(x.Key); ok && r.Deleted {
			s.tab.dropIf(x.Key, x.Ver)
		}
	}
	s.mu.Unlock()
	return headOnly(replyHead{}), nil
}
