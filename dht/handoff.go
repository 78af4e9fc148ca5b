package dht

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// applyLocked applies one incoming record (the version rule), merging its
// version into the clock. kind says where it comes from: a write or a
// handoff that replaces a copy raises the record's Prev to that copy (the
// write replaced it knowingly, as the newest write of the key); a repair
// or a write-back that replaces a copy newer than the record's Prev is a
// merge, returned for reporting and marked on the entry. A tombstone older
// than TombstoneTTL is not kept, but still deletes an older copy. The
// caller holds s.mu.
func (s *Store) applyLocked(r record, kind storeKind) (applied bool, merge *Merge) {
	s.clock.observe(r.Ver)
	if s.expiredLocked(r, s.now()) {
		if e, ok := s.tab.recs[r.Key]; ok && r.Ver.Newer(e.rec.Ver) {
			s.tab.del(r.Key)
		}
		return false, nil
	}
	applied, old, had := s.tab.apply(r)
	if !applied || !had {
		return applied, nil
	}
	e := s.tab.recs[r.Key]
	switch kind {
	case storeWrite, storeHandoff:
		e.rec.Prev = maxVersion(e.rec.Prev, old.Ver)
	default:
		if old.Ver.Newer(r.Prev) {
			e.mergedOver = old.Ver
			return true, &Merge{
				Time: s.now(), Key: r.Key, Node: s.self,
				Kept: r.Ver, KeptDeleted: r.Deleted,
				Replaced: old.Ver, ReplacedDeleted: old.Deleted,
			}
		}
	}
	return true, nil
}

// reportMerges logs merges and hands them to Config.OnMerge.
func (s *Store) reportMerges(ms []Merge) {
	for _, m := range ms {
		s.log.Info("dht: merge replaced a write its writer had not seen",
			"key", m.Key, "kept", m.Kept.String(), "replaced", m.Replaced.String())
		if s.cfg.OnMerge != nil {
			s.cfg.OnMerge(m)
		}
	}
}

// expiredLocked reports whether r is a tombstone whose version is older
// than TombstoneTTL at physical time now.
func (s *Store) expiredLocked(r record, now time.Time) bool {
	return r.Deleted && now.Sub(r.Ver.Time()) > s.cfg.TombstoneTTL
}

// sweepTombstones drops the tombstones older than TombstoneTTL and returns
// how many. Every node drops a tombstone at about the same time (its age
// comes from its version, not from when a node received it), and none
// takes it again afterwards, so the copies do not chase each other.
func (s *Store) sweepTombstones() int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, e := range s.tab.recs {
		if s.expiredLocked(e.rec, now) {
			s.tab.del(k)
			n++
		}
	}
	return n
}

// handoff is a node taking over keys from this one: for a while, every
// write this node takes in (from, to.ID] is forwarded to it.
type handoff struct {
	to    chord.NodeRef
	from  chord.ID
	until time.Time
}

// maxHandoffs bounds the handoffs a node serves at once.
const maxHandoffs = 64

// handoffTTL is how long a node forwards writes to a node that took over
// keys from it: long enough for every node's successor list and
// predecessor to name the newcomer, after which writes reach it directly.
func (s *Store) handoffTTL() time.Duration { return 50 * s.cfg.RepairInterval }

// addHandoffLocked starts (or extends) forwarding writes in (from, to.ID]
// to to. The caller holds s.mu.
func (s *Store) addHandoffLocked(to chord.NodeRef, from chord.ID) {
	until := s.now().Add(s.handoffTTL())
	for i, h := range s.handoffs {
		if h.to.Addr == to.Addr {
			s.handoffs[i] = handoff{to: to, from: from, until: until}
			return
		}
	}
	if len(s.handoffs) >= maxHandoffs {
		soonest := 0
		for i, h := range s.handoffs {
			if h.until.Before(s.handoffs[soonest].until) {
				soonest = i
			}
		}
		s.handoffs = append(s.handoffs[:soonest], s.handoffs[soonest+1:]...)
	}
	s.handoffs = append(s.handoffs, handoff{to: to, from: from, until: until})
}

// forward sends the records just written here to every node taking over
// their range from this one (dht.transfer with Handoff), all at once, and
// returns once they answered. A node that took a page of this store's
// records before these writes arrived thus still gets them before they
// are acknowledged, whichever owner (with whatever view of the ring)
// wrote them. A node that does not answer is no longer forwarded to: it
// is down, one of the failures replication absorbs.
func (s *Store) forward(ctx context.Context, recs []record) {
	_ = s.forwardIf(ctx, recs, nil)
}

// condFwd marks a forwarded conditional write: its token and the version
// its writer read (see condApplyLocked).
type condFwd struct {
	token string
	base  Version
}

// forwardIf is forward; with cond, recs is one conditional write, sent as
// dht.condstore, and the error names the nodes that refused it (another
// conditional write reached them first).
func (s *Store) forwardIf(ctx context.Context, recs []record, cond *condFwd) error {
	if len(recs) == 0 {
		return nil
	}
	now := s.now()
	type batch struct {
		h    handoff
		recs []record
	}
	var out []batch
	s.mu.Lock()
	live := s.handoffs[:0]
	for _, h := range s.handoffs {
		if now.After(h.until) {
			continue
		}
		live = append(live, h)
		var b []record
		for _, r := range recs {
			if chord.BetweenRightIncl(h.from, r.ID, h.to.ID) {
				b = append(b, r)
			}
		}
		if len(b) > 0 {
			out = append(out, batch{h, b})
		}
	}
	s.handoffs = live
	s.mu.Unlock()
	if len(out) == 0 {
		return nil
	}
	failed := make([]bool, len(out))
	refused := make([]error, len(out))
	var wg sync.WaitGroup
	for i, b := range out {
		wg.Add(1)
		go func(i int, b batch) { // exits when its call returns (bounded by ctx and the call deadline)
			defer wg.Done()
			var err error
			if cond != nil {
				var reply []byte
				reply, err = s.call(ctx, b.h.to, cmdCondStore, condStoreReq{Token: cond.token, Base: cond.base, Rec: b.recs[0]}.encode())
				if err == nil {
					var m condStoreResp
					if m, err = decodeCondStoreResp(reply); err == nil && m.Head.Status != statusOK {
						err = headErr(m.Head)
					}
					if err == nil && !m.Accepted {
						refused[i] = fmt.Errorf("%s, taking over the key, holds version %s", b.h.to.Addr, m.Current)
					}
				}
			} else {
				var reply []byte
				reply, err = s.call(ctx, b.h.to, cmdStore, storeReq{Kind: storeHandoff, Recs: b.recs}.encode())
				if err == nil {
					var m storeResp
					if m, err = decodeStoreResp(reply); err == nil && m.Head.Status != statusOK {
						err = headErr(m.Head)
					}
				}
			}
			if err != nil {
				s.log.Debug("dht: forward to a node taking over keys failed", "to", b.h.to.Addr, "err", err)
				failed[i] = true
			}
		}(i, b)
	}
	wg.Wait()
	s.mu.Lock()
	for i, b := range out {
		if failed[i] {
			s.handoffs = slices.DeleteFunc(s.handoffs, func(h handoff) bool { return h.to.Addr == b.h.to.Addr && h.until.Equal(b.h.until) })
		}
	}
	s.mu.Unlock()
	return errors.Join(refused...)
}

// takeOver is the join handoff. A node that joined holds none of the keys
// it is now a holder of: those whose r first ready successors include it,
// all of them in (x, self] for the nodes x after it that held them so far.
// Until it has them it serves no read or write (memberHead), so reads and
// writes go on at the nodes after it, the holders they had. It takes them
// from its first r ready successors (from each: everything it holds that
// is not in (self, it]), and each of those forwards it every write it
// takes in that range from the moment it serves the first page (forward),
// so no write acknowledged meanwhile is missed. Then it is ready: it holds
// the newest copy any of the previous holders had, and the holders of each
// key, with it among them, still include a copy of every acknowledged
// write. A node needs r such sources, or, if the walk went round the whole
// ring with every node answering, all the ready nodes there are (none in a
// new ring: then there is nothing to take). Otherwise it stays not ready
// and tries again next round.
func (s *Store) takeOver(ctx context.Context) error {
	if err := s.settled(ctx); err != nil {
		return fmt.Errorf("join handoff: %w", err)
	}
	walk := s.newWalkAll(s.node.Successors(), s.self.Addr)
	want := s.cfg.Replicas
	var sources []chord.NodeRef
	hosts := map[string]bool{} // the real nodes of the sources (hosts.go)
	var errs []error
	taken, walked := 0, 0
	complete := true // every node walked answered
	for len(hosts) < want && ctx.Err() == nil {
		c, ok := walk.next(ctx)
		if !ok {
			break
		}
		walked++
		n, err := s.takeFrom(ctx, c)
		switch {
		case errors.Is(err, errNotReady):
			walk.answered(c) // also taking over its keys: not one of the holders so far
		case err != nil:
			complete = false
			errs = append(errs, fmt.Errorf("%s: %w", c.Addr, err))
		default:
			walk.answered(c)
			sources = append(sources, c)
			hosts[s.host(c.Addr)] = true
			taken += n
		}
	}
	round := walk.wrapped && len(walk.queue) == 0 // every node of the ring was walked
	if len(hosts) < want && (!round || !complete) {
		return fmt.Errorf("join handoff: found %d of the %d nodes to take keys from (walked %d nodes): %w",
			len(sources), want, walked, errors.Join(errs...))
	}
	if !s.node.Joined() {
		return nil
	}
	s.mu.Lock()
	s.ready = true
	s.mu.Unlock()
	if len(sources) > 0 && taken > 0 { // an empty handoff is no news (a ring starting up has dozens)
		names := make([]string, len(sources))
		for i, n := range sources {
			names[i] = n.Addr
		}
		s.emitMoved(sources[0], s.self, fmt.Sprintf("%d %s taken over by %s from %s (join handoff)",
			taken, plural(taken, "key", "keys"), s.self.Addr, strings.Join(names, ", ")))
	}
	return nil
}

// errNotReady marks a node that has not taken over its keys yet.
var errNotReady = errors.New("not ready")

// errNotSettled: the ring around this node is still changing.
var errNotSettled = errors.New("not settled yet")

// settled reports (nil) whether this node's predecessor names it as its
// successor and its successor names it as its predecessor. Only then does
// a joiner take over its keys: until then another node that joined next to
// it may still take itself for the owner of some of them and accept their
// writes; from then on that node redirects them here, and a node that
// joins later between this one and its successor takes its keys from this
// one. A node alone in its ring is settled.
func (s *Store) settled(ctx context.Context) error {
	succs := distinctExcept(s.node.Successors(), s.self)
	if len(succs) == 0 {
		return nil
	}
	pred := s.node.Predecessor()
	if pred.IsZero() || pred.Addr == s.self.Addr {
		return fmt.Errorf("%w: no predecessor", errNotSettled)
	}
	mp, err := s.succs(ctx, pred)
	if err != nil {
		return fmt.Errorf("%w: predecessor %s: %w", errNotSettled, pred.Addr, err)
	}
	if l := distinctExcept(mp.Succs, pred); len(l) == 0 || l[0].Addr != s.self.Addr {
		return fmt.Errorf("%w: predecessor %s does not name this node as its successor", errNotSettled, pred.Addr)
	}
	ms, err := s.succs(ctx, succs[0])
	if err != nil {
		return fmt.Errorf("%w: successor %s: %w", errNotSettled, succs[0].Addr, err)
	}
	if ms.Pred.Addr != s.self.Addr {
		return fmt.Errorf("%w: successor %s names %s as its predecessor", errNotSettled, succs[0].Addr, ms.Pred.Addr)
	}
	return nil
}

// takeFrom copies from c every record c holds outside (self, c], page by
// page, asking c to forward its later writes there, and returns how many
// were new here. It fails with errNotReady if c is taking over its own
// keys.
func (s *Store) takeFrom(ctx context.Context, c chord.NodeRef) (int, error) {
	req := transferReq{From: c.ID, To: s.self.ID, MaxBytes: s.cfg.MaxBatchBytes, Handoff: true, By: s.self}
	applied := 0
	for {
		reply, err := s.call(ctx, c, cmdTransfer, req.encode())
		if err != nil {
			return applied, err
		}
		m, err := decodeTransferResp(reply, s.lim)
		if err != nil {
			return applied, err
		}
		if m.Head.Status == statusNotReady {
			return applied, errNotReady
		}
		if m.Head.Status != statusOK {
			return applied, headErr(m.Head)
		}
		var merges []Merge
		s.mu.Lock()
		for _, r := range m.Recs {
			r.ID = s.KeyID(r.Key)
			if !chord.BetweenRightIncl(c.ID, r.ID, s.self.ID) {
				continue // not asked for: ignore
			}
			ok, mg := s.applyLocked(r, storeRepair)
			if ok {
				applied++
			}
			if mg != nil {
				merges = append(merges, *mg)
			}
		}
		s.mu.Unlock()
		s.reportMerges(merges)
		if !m.More || len(m.Recs) == 0 {
			return applied, nil
		}
		last := m.Recs[len(m.Recs)-1]
		req.After = cursor{set: true, ID: s.KeyID(last.Key), Key: last.Key}
	}
}
