package dht

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// Repair runs one repair round:
//
//  1. join handoff: a store that has not taken over its keys yet does so
//     (takeOver) and, until it has, does nothing else;
//  2. drop the tombstones older than Config.TombstoneTTL;
//  3. group the records held by owner (found by walking the predecessor
//     pointers back, or by a lookup);
//  4. for each group, walk the owner and its successor list until r live
//     holders are found, exchange digests with each and push what it
//     misses (and fetch what it has newer, when this node is a holder); a
//     replica that is surely a holder (among the first r candidates) only
//     syncs with the owner, which syncs with every holder;
//  5. if this node is not among those r holders and all of them confirmed
//     a version at least as new, drop the copies.
//
// Errors are reported (joined) but do not stop the round: a group whose
// owner cannot be reached is retried next round.
func (s *Store) Repair(ctx context.Context) error {
	s.repairMu.Lock()
	defer s.repairMu.Unlock()
	s.cache.notePred(s.node.Predecessor(), s.now()) // cache.go: the grace after a change
	if _, ok := s.memberHead(accessHandoff); !ok {
		return nil
	}
	if !s.Ready() {
		if err := s.takeOver(ctx); err != nil || !s.Ready() {
			return err
		}
	}
	var errs []error
	s.sweepReservations()
	if n := s.sweepTombstones(); n > 0 {
		s.log.Debug("dropped old tombstones", "count", n, "ttl", s.cfg.TombstoneTTL)
	}
	s.mu.Lock()
	recs := s.tab.sorted()
	s.mu.Unlock()
	done := make([]bool, len(recs))
	rs := &round{down: map[string]bool{}, succs: map[string]succsResp{}}
	for i := range recs {
		if done[i] {
			continue
		}
		if ctx.Err() != nil {
			return errors.Join(append(errs, ctx.Err())...)
		}
		o, err := s.ownerOf(ctx, recs[i].ID, rs)
		done[i] = true
		if err != nil && o.owner.IsZero() {
			errs = append(errs, fmt.Errorf("owner of %s: %w", recs[i].ID.Short(s.bits), err))
			continue
		}
		// The group: every record the same owner answers for.
		group := []record{recs[i]}
		for j := range recs {
			if !done[j] && o.covers(recs[i].ID, recs[j].ID) {
				done[j] = true
				group = append(group, recs[j])
			}
		}
		if err != nil {
			// The owner was found but did not answer: the whole group is
			// retried next round.
			errs = append(errs, fmt.Errorf("owner of %s: %w", recs[i].ID.Short(s.bits), err))
			continue
		}
		owner, list := o.owner, o.list
		down := rs.down
		if err := s.repairGroup(ctx, owner, list, group, down); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// inClosed reports whether x is in the closed ring interval [a, b].
func inClosed(a, x, b chord.ID) bool {
	if x == a {
		return true
	}
	return a != b && chord.BetweenRightIncl(a, x, b)
}

// round is what one repair round remembers between groups.
type round struct {
	// down holds the nodes that failed a call during this round: they are
	// not called again until the next round, so a paused node costs one
	// timeout per round, not one per group.
	down map[string]bool
	// succs caches the dht.succs answers of this round.
	succs map[string]succsResp
}

// ownerInfo is a group's owner, its successor list, and its predecessor
// (the start of its range; zero if unknown).
type ownerInfo struct {
	owner, pred chord.NodeRef
	list        []chord.NodeRef
}

// covers reports whether the owner found for first also answers for x.
func (o ownerInfo) covers(first, x chord.ID) bool {
	if inClosed(first, x, o.owner.ID) {
		return true
	}
	return !o.pred.IsZero() && chord.BetweenRightIncl(o.pred.ID, x, o.owner.ID)
}

// succsOf asks n for its neighbourhood once per round.
func (s *Store) succsOf(ctx context.Context, n chord.NodeRef, rs *round) (succsResp, error) {
	if m, ok := rs.succs[n.Addr]; ok {
		return m, nil
	}
	if rs.down[n.Addr] {
		return succsResp{}, fmt.Errorf("%s: %w this round", n.Addr, errUnreachable)
	}
	m, err := s.succs(ctx, n)
	if err != nil {
		rs.down[n.Addr] = true
		return succsResp{}, fmt.Errorf("%s: %w", n.Addr, err)
	}
	rs.succs[n.Addr] = m
	return m, nil
}

// ownerOf returns the owner of id with its successor list. It is this node
// when id is in (pred, self]; else it walks the predecessor pointers back
// (the keys a node holds besides its own belong to its r-1 predecessors,
// so this takes one dht.succs call per predecessor, cached for the round);
// if the walk does not find it in r steps, a lookup does. When the owner
// is found but does not answer, ownerOf returns it with the error.
func (s *Store) ownerOf(ctx context.Context, id chord.ID, rs *round) (ownerInfo, error) {
	pred := s.node.Predecessor()
	if s.ownsStrict(id) {
		return ownerInfo{owner: s.self, pred: pred, list: s.node.Successors()}, nil
	}
	cur := pred
	for hop := 0; hop < s.cfg.Replicas && !cur.IsZero() && cur.Addr != s.self.Addr; hop++ {
		m, err := s.succsOf(ctx, cur, rs)
		if err != nil || m.Pred.IsZero() {
			break
		}
		if chord.BetweenRightIncl(m.Pred.ID, id, cur.ID) {
			return ownerInfo{owner: cur, pred: m.Pred, list: m.Succs}, nil
		}
		cur = m.Pred
	}
	lr, err := s.node.Lookup(ctx, id)
	if err != nil {
		return ownerInfo{}, err
	}
	// A lookup may name a node that, by its own predecessor pointer, no
	// longer owns id (nodes joined before it): go back along the pointers.
	cur = lr.Owner
	for hop := 0; hop <= s.cfg.Replicas; hop++ {
		if cur.Addr == s.self.Addr {
			return ownerInfo{owner: s.self, pred: pred, list: s.node.Successors()}, nil
		}
		m, err := s.succsOf(ctx, cur, rs)
		if err != nil {
			return ownerInfo{owner: cur}, err
		}
		if m.Pred.IsZero() || chord.BetweenRightIncl(m.Pred.ID, id, cur.ID) {
			return ownerInfo{owner: cur, pred: m.Pred, list: m.Succs}, nil
		}
		cur = m.Pred
	}
	return ownerInfo{}, fmt.Errorf("%s: no node found that owns it by its predecessor pointer", id.Short(s.bits))
}

// repairGroup makes the r holders of group (the owner and its successors)
// hold this node's copies, then drops what it should.
func (s *Store) repairGroup(ctx context.Context, owner chord.NodeRef, list []chord.NodeRef, group []record, down map[string]bool) error {
	cands := append([]chord.NodeRef{owner}, s.holders(list, owner)...)
	want := min(s.cfg.Replicas, len(cands))
	confirmed := make([]int, len(group))         // live holders (other than self) at ≥ our version
	newerAt := make([]chord.NodeRef, len(group)) // a holder with a newer version
	var holders []chord.NodeRef
	selfIn := false
	// A replica among the first r candidates is a holder whatever the
	// liveness of the others: it syncs with the owner only (the owner
	// syncs with every holder). Any other node walks the whole list.
	replicaOnly := false
	for i, h := range cands[:want] {
		if h.Addr == s.self.Addr && i > 0 {
			replicaOnly = true
		}
	}
	var errs []error
	for _, h := range cands {
		if len(holders)+btoi(selfIn) == want || replicaOnly && len(holders) == 1 {
			break
		}
		if h.Addr == s.self.Addr {
			selfIn = true
			continue
		}
		if down[h.Addr] {
			continue
		}
		st, _, err := s.syncHolder(ctx, h, group, "repair")
		if err != nil {
			down[h.Addr] = true
			errs = append(errs, fmt.Errorf("sync with %s: %w", h.Addr, err))
			continue // dead or gone: the next candidate stands in
		}
		holders = append(holders, h)
		for k, x := range st {
			switch x {
			case digestSame:
				confirmed[k]++
			case digestNewer:
				confirmed[k]++
				newerAt[k] = h
			}
		}
	}
	allLive := len(holders)+btoi(selfIn) == want
	if replicaOnly || selfIn {
		s.keepAll(group)
		s.fetchNewer(ctx, group, newerAt)
		return errors.Join(errs...)
	}
	if !allLive || len(holders) == 0 {
		return errors.Join(errs...)
	}
	// Not a holder. A holder's newer version that was written without
	// seeing this copy (a write of the other side of a partition, here
	// the acknowledged one that loses) is a merge: read it so that the
	// version rule reports it here, where the losing write lives.
	s.fetchNewer(ctx, group, newerAt)
	// Every holder has our version or a newer one. A
	// copy is kept anyway when this node lies between its key and the last
	// holder (the lists it was told have not caught up with it, and it is
	// one of the holders after all), and until it has been spare for
	// dropGrace: a read that chose this node while it was a holder may
	// still be on its way.
	last := holders[len(holders)-1]
	now := s.now()
	dropped := 0
	s.mu.Lock()
	for k, r := range group {
		e := s.tab.recs[r.Key]
		if e == nil || e.rec.Ver != r.Ver || confirmed[k] != len(holders) || chord.BetweenRightIncl(r.ID, s.self.ID, last.ID) && !s.hostHeld(r.ID, holders) {
			continue
		}
		if e.spare.IsZero() {
			e.spare = now
			continue
		}
		if now.Sub(e.spare) >= s.dropGrace() {
			s.tab.del(r.Key)
			dropped++
		}
	}
	s.mu.Unlock()
	if dropped > 0 {
		s.log.Debug("dropped extra copies", "count", dropped, "owner", owner.Addr)
	}
	return errors.Join(errs...)
}

// dropGrace is how long a copy this node no longer needs is kept: longer
// than any read or write that may have chosen it while it was a holder.
func (s *Store) dropGrace() time.Duration { return 4 * s.rpc }

// Spares reports the copies a repair round found this node no longer
// needs and keeps until they have been spare for the drop grace (4 RPC
// timeouts): how many, one of their keys, and how long until the first
// may go (0: a repair round now drops it). Step mode tells it, as the
// wait is in time, not in rounds.
func (s *Store) Spares() (n int, key string, dropIn time.Duration) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	first := time.Duration(-1)
	for k, e := range s.tab.recs {
		if e.spare.IsZero() {
			continue
		}
		n++
		left := max(0, s.dropGrace()-now.Sub(e.spare))
		if first < 0 || left < first || left == first && k < key {
			first, key = left, k
		}
	}
	return n, key, max(first, 0)
}

// keepAll marks the records of group as needed here (this node holds
// them as a holder).
func (s *Store) keepAll(group []record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range group {
		if e := s.tab.recs[r.Key]; e != nil {
			e.spare = time.Time{}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// syncHolder sends h the digest of group and pushes the records it needs.
// It returns h's state per record after the push (need turns into same
// when h applied the record) and how many records h applied. When why is
// not empty, a keys-moved event reports the copies ("… (why)").
func (s *Store) syncHolder(ctx context.Context, h chord.NodeRef, group []record, why string) ([]byte, int, error) {
	states := make([]byte, 0, len(group))
	for _, batch := range digestBatches(group, s.cfg.MaxBatchBytes) {
		entries := make([]digestEntry, len(batch))
		for i, r := range batch {
			entries[i] = digestEntry{Key: r.Key, Ver: r.Ver}
		}
		reply, err := s.call(ctx, h, cmdDigest, digestReq{Entries: entries}.encode())
		if err != nil {
			return nil, 0, err
		}
		m, err := decodeDigestResp(reply)
		if err != nil {
			return nil, 0, err
		}
		if m.Head.Status != statusOK {
			return nil, 0, unreachable(headErr(m.Head))
		}
		if len(m.State) != len(batch) {
			return nil, 0, fmt.Errorf("%w: %d states for %d keys", errMalformed, len(m.State), len(batch))
		}
		states = append(states, m.State...)
	}
	var need []int
	for i, x := range states {
		if x == digestNeed {
			need = append(need, i)
		}
	}
	if len(need) == 0 {
		return states, 0, nil
	}
	pushed := 0
	for _, idx := range recordBatches(group, need, s.cfg.MaxBatchBytes) {
		recs := make([]record, len(idx))
		for i, k := range idx {
			recs[i] = group[k]
		}
		reply, err := s.call(ctx, h, cmdStore, storeReq{Kind: storeRepair, Recs: recs}.encode())
		if err != nil {
			return nil, 0, err
		}
		m, err := decodeStoreResp(reply)
		if err != nil {
			return nil, 0, err
		}
		if m.Head.Status != statusOK {
			return nil, 0, unreachable(headErr(m.Head))
		}
		if len(m.Accepted) != len(recs) {
			return nil, 0, fmt.Errorf("%w: %d answers for %d records", errMalformed, len(m.Accepted), len(recs))
		}
		for i, k := range idx {
			switch c := m.Current[i].Compare(group[k].Ver); {
			case c == 0:
				states[k] = digestSame
			case c > 0:
				states[k] = digestNewer
			}
			if m.Accepted[i] {
				pushed++
			}
		}
	}
	if pushed > 0 && why != "" {
		s.emitMoved(s.self, h, fmt.Sprintf("%d %s copied to %s by %s (%s)", pushed, plural(pushed, "key", "keys"), h.Addr, s.self.Addr, why))
	}
	return states, pushed, nil
}

// digestBatches splits group into runs whose keys total at most maxBytes.
func digestBatches(group []record, maxBytes int) [][]record {
	var out [][]record
	start, size := 0, 0
	for i, r := range group {
		if i > start && size+len(r.Key)+32 > maxBytes {
			out = append(out, group[start:i])
			start, size = i, 0
		}
		size += len(r.Key) + 32
	}
	if start < len(group) {
		out = append(out, group[start:])
	}
	return out
}

// recordBatches splits the records group[idx...] into batches whose keys
// and values total at most maxBytes (at least one record each).
func recordBatches(group []record, idx []int, maxBytes int) [][]int {
	var out [][]int
	var cur []int
	size := 0
	for _, k := range idx {
		sz := int(group[k].size()) + 32
		if len(cur) > 0 && size+sz > maxBytes {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, k)
		size += sz
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// fetchNewer reads the records a holder has newer than ours and applies
// them, so a holder that missed a write catches up within the round.
func (s *Store) fetchNewer(ctx context.Context, group []record, newerAt []chord.NodeRef) {
	var merges []Merge
	defer func() { s.reportMerges(merges) }()
	for k, h := range newerAt {
		if h.IsZero() {
			continue
		}
		reply, err := s.call(ctx, h, cmdRead, getReq{Key: group[k].Key}.encode())
		if err != nil {
			continue
		}
		m, err := decodeGetResp(reply, s.lim)
		if err != nil || m.Head.Status != statusOK || !m.Found || m.Rec.Key != group[k].Key {
			continue
		}
		m.Rec.ID = s.KeyID(m.Rec.Key)
		s.mu.Lock()
		if _, mg := s.applyLocked(m.Rec, storeRepair); mg != nil {
			merges = append(merges, *mg)
		}
		s.mu.Unlock()
	}
}

// Leave hands every record this node holds to its successor (the first one
// that takes them all) and tops up its next r-1 successors, so no key drops
// below r copies, then leaves the chord ring. If no successor takes them,
// the node stays and Leave returns an error wrapping ErrUnavailable.
func (s *Store) Leave(ctx context.Context) error {
	s.repairMu.Lock()
	defer s.repairMu.Unlock()
	s.mu.Lock()
	if s.left {
		s.mu.Unlock()
		return fmt.Errorf("dht leave: %w", chord.ErrNotJoined)
	}
	s.leaving = true
	recs := s.tab.sorted()
	s.mu.Unlock()
	undo := func() {
		s.mu.Lock()
		s.leaving = false
		s.mu.Unlock()
	}
	// The successor takes every record (it owns this node's keys from now
	// on), and the next r-1 live successors get what they miss, so every
	// key this node held still has r copies once it is gone.
	succs := distinctExcept(s.node.Successors(), s.self)
	var to chord.NodeRef
	synced, handed, topped := 0, 0, 0
	hosts := map[string]bool{} // real nodes synced (hosts.go)
	var errs []error
	if len(recs) > 0 {
		for _, succ := range succs {
			if synced == s.cfg.Replicas {
				break
			}
			if !to.IsZero() && s.cfg.Host != nil && (hosts[s.host(succ.Addr)] || s.host(succ.Addr) == s.host(s.self.Addr)) {
				continue // a copy on a real node that holds one already counts once
			}
			_, pushed, err := s.syncHolder(ctx, succ, recs, "")
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", succ.Addr, err))
				continue
			}
			if to.IsZero() {
				to, handed = succ, pushed
			} else {
				topped += pushed
			}
			if s.cfg.Host != nil && (s.host(succ.Addr) == s.host(s.self.Addr) || hosts[s.host(succ.Addr)]) {
				continue // on this real node, or on one synced: not another copy
			}
			hosts[s.host(succ.Addr)] = true
			synced++
		}
		if to.IsZero() && len(succs) > 0 {
			undo()
			return fmt.Errorf("dht leave: no successor took the keys: %w: %w", ErrUnavailable, errors.Join(errs...))
		}
	}
	err := s.node.Leave(ctx)
	if err != nil && len(s.node.Successors()) > 0 {
		undo() // chord did not leave: keep serving
		return fmt.Errorf("dht leave: %w", err)
	}
	// Chord has left (an error here only means a neighbour was not told;
	// its maintenance rounds repair the ring).
	s.mu.Lock()
	s.left = true
	gen := s.tab.gen
	s.tab = newTable()
	s.tab.gen = gen + 1
	s.mu.Unlock()
	if !to.IsZero() {
		s.emitMoved(s.self, to, fmt.Sprintf("%d %s handed to %s by %s (leave): %d copied there, %d more %s on the next successors",
			len(recs), plural(len(recs), "key", "keys"), to.Addr, s.self.Addr, handed, topped, plural(topped, "copy", "copies")))
	}
	if err != nil {
		return fmt.Errorf("dht leave: %w", err)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
