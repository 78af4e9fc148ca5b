package dht

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// GetDirect is Get without the lookup when this store remembers the key's
// owner: every ready owner names its predecessor in its answer to a get,
// so the store remembers the range (predecessor, owner] it serves for
// ownerMemoryTTL and sends a get of a key in that range straight to that
// owner. The owner checks its range itself, as for a looked-up owner, and
// redirects toward the right one (Config.MaxRedirects); if it does not
// answer, GetDirect forgets it and does what Get does. The read and its
// guarantees are Get's; only the lookup's hops are saved, so
// GetResult.Lookup has no Path, and OwnerReason says where the owner came
// from. It is for clients that read the same keys again and again through
// one node (the RESP endpoint); Get, which the REPL shows hop by hop,
// always looks up.
func (s *Store) GetDirect(ctx context.Context, key string) (GetResult, error) {
	if err := s.checkKey(key); err != nil {
		return GetResult{}, fmt.Errorf("get: %w", err)
	}
	if res, ok := s.cachedHere(key, s.now()); ok {
		return res, nil
	}
	return s.flights.shared(ctx, key, s.rpc/8, func(ctx context.Context) (GetResult, error) {
		return s.getDirect(ctx, key)
	})
}

// getDirect is one read of GetDirect past the cache (coalesce.go shares it).
func (s *Store) getDirect(ctx context.Context, key string) (GetResult, error) {
	start := s.now()
	lr, ok := s.rememberedOwner(key)
	if !ok {
		return s.getUncached(ctx, key, start)
	}
	lease, inval := s.cache.begin()
	res, err := s.getAfter(ctx, key, lr, nil, false, lease)
	if err != nil {
		s.owners.forget(lr.Owner.Addr)
		if ctx.Err() != nil {
			return res, err
		}
		return s.getUncached(ctx, key, s.now())
	}
	if res.lease > 0 {
		s.cache.keep(key, res, start, res.lease, inval)
	}
	return res, nil
}

// rememberedOwner returns, as a lookup's result without a Path, the owner
// this store remembers for key (see GetDirect); false if none.
func (s *Store) rememberedOwner(key string) (chord.LookupResult, bool) {
	now := s.now()
	id := s.KeyID(key)
	owner, heard, ok := s.owners.find(id, now)
	if !ok {
		return chord.LookupResult{}, false
	}
	return chord.LookupResult{
		Key: id, Owner: owner, OwnerCheck: chord.OwnerHeard, OwnerNamedBy: owner, OwnerHeardAgo: now.Sub(heard),
		OwnerVia:    rememberedVia,
		OwnerReason: fmt.Sprintf("no lookup: it answered a get of this range %v ago, naming its predecessor", now.Sub(heard).Round(time.Microsecond)),
	}, true
}

// rememberedVia is the OwnerVia of a remembered owner's LookupResult.
const rememberedVia = "its answer to a get"

// ownerMemoryTTL is how long GetDirect trusts a remembered range: about
// the time a ring's maintenance takes to notice a change, so a remembered
// owner that crashed or lost its range costs at most that long of
// detours.
const ownerMemoryTTL = time.Second

// ownerMemory is the ranges owners named in their answers to gets.
type ownerMemory struct {
	mu     sync.Mutex
	ranges map[string]ownerRange // by owner address
}

type ownerRange struct {
	pred, owner chord.NodeRef
	at          time.Time
}

// learn remembers that owner served (pred, owner] at time at.
func (m *ownerMemory) learn(pred, owner chord.NodeRef, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ranges == nil {
		m.ranges = map[string]ownerRange{}
	}
	if _, ok := m.ranges[owner.Addr]; !ok && len(m.ranges) >= maxHintOwners {
		for a := range m.ranges { // forget one at random
			delete(m.ranges, a)
			break
		}
	}
	m.ranges[owner.Addr] = ownerRange{pred: pred, owner: owner, at: at}
}

// find returns the owner remembered for id and when it answered.
func (m *ownerMemory) find(id chord.ID, now time.Time) (chord.NodeRef, time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for a, r := range m.ranges {
		if now.Sub(r.at) > ownerMemoryTTL {
			delete(m.ranges, a)
			continue
		}
		if chord.BetweenRightIncl(r.pred.ID, id, r.owner.ID) {
			return r.owner, r.at, true
		}
	}
	return chord.NodeRef{}, time.Time{}, false
}

// forget drops what owner named.
func (m *ownerMemory) forget(owner string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.ranges, owner)
}
