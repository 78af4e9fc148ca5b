package dht

import (
	"container/list"
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// The read cache (docs/load.md): a node that reads a key through Get may
// keep the answer and serve later gets of the same key from it, without a
// lookup and without asking any holder, while it holds a lease from the
// key's owner. The owner records every lease it grants; a write at the owner
// (Set, Del, SetIf, also as a stand-in) first tells every holder of an
// unexpired lease to drop its copy, or waits for the lease to run out when
// a holder does not answer, and only then makes the new version visible.
// A node that may have become the owner of keys another node leased out
// (its predecessor changed, it stands in for a dead owner, or it has not
// taken over its keys yet) waits one lease time before such a write. So
// a get served from a cache returns a version no older than the newest
// write acknowledged before the get began: the store's read guarantee.

// cmdInval is owner → lease holder: drop your copy of a key.
const cmdInval = "dht.inval"

// CacheConfig configures the read cache (Config.Cache). The zero value is
// a cache that is off.
type CacheConfig struct {
	// On turns the cache on from the start (Store.SetCache changes it).
	On bool
	// Size is the number of keys a node keeps (0: DefaultCacheSize).
	Size int
	// Lease is how long a cached answer may be served without news from
	// the owner (0: DefaultLease).
	Lease time.Duration
}

// Defaults of CacheConfig.
const (
	DefaultCacheSize = 1024
	DefaultLease     = time.Second
)

// maxLeasedKeys bounds the leases an owner records: past it, gets are
// answered without a lease.
const maxLeasedKeys = 1 << 16

func (c CacheConfig) validate() error {
	switch {
	case c.Size < 0:
		return fmt.Errorf("cache size must not be negative, got %d", c.Size)
	case c.Lease < 0:
		return fmt.Errorf("cache lease must not be negative, got %v", c.Lease)
	}
	return nil
}

func (c CacheConfig) size() int {
	if c.Size > 0 {
		return c.Size
	}
	return DefaultCacheSize
}

func (c CacheConfig) lease() time.Duration {
	if c.Lease > 0 {
		return c.Lease
	}
	return DefaultLease
}

// readCache is a store's cache (holder side) and lease table (owner side).
type readCache struct {
	cfg CacheConfig

	mu    sync.Mutex
	on    bool
	offAt time.Time  // when it was last turned off: the owner keeps its grace rules one lease longer
	lru   *list.List // of *cacheEntry, most recently used first
	byKey map[string]*list.Element
	// inval counts the invalidations received: an answer whose get began
	// before the latest one is not kept (its lease may be revoked already).
	inval uint64

	leases  map[string]map[string]time.Time // key → holder address → lease end
	writing map[string]int                  // keys with a write under way: no lease granted
	pred    chord.NodeRef                   // the predecessor last seen
	since   time.Time                       // when pred was first seen
	last    chord.NodeRef                   // the last predecessor seen that was not zero
	grew    time.Time                       // when a change of pred last widened this node's range (fence.go)

	hits, misses uint64

	self     chord.NodeRef      // this node: the one its cached answers come from
	seen     map[string]hopSeen // keys seen going by as a hop (hopcache.go)
	fetching map[string]bool    // keys a hop is fetching for its cache
	// subs are the sub-leases this node granted from its cached copies:
	// key → hop that fetched it → lease end (hopcache.go).
	subs map[string]map[string]time.Time
}

type cacheEntry struct {
	key   string
	res   GetResult
	until time.Time
	hits  int // gets it answered at a hop (hopcache.go)
}

func newReadCache(cfg CacheConfig) *readCache {
	return &readCache{cfg: cfg, on: cfg.On, lru: list.New(), byKey: map[string]*list.Element{},
		leases: map[string]map[string]time.Time{}, writing: map[string]int{}}
}

// SetCache turns the read cache on or off now; off drops every cached
// answer (the leases this node granted as an owner still bind its writes).
func (s *Store) SetCache(on bool) {
	c := s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on && !on {
		c.offAt = s.now()
		c.lru.Init()
		clear(c.byKey)
		clear(c.seen)
	}
	c.on = on
}

// CacheOn reports whether the read cache is on.
func (s *Store) CacheOn() bool {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.on
}

// CacheStats counts the gets the cache answered and those it could not.
type CacheStats struct {
	On           bool
	Size, Keys   int
	Hits, Misses uint64
}

// CacheStats returns the cache's counters.
func (s *Store) CacheStats() CacheStats {
	c := s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{On: c.on, Size: c.cfg.size(), Keys: c.lru.Len(), Hits: c.hits, Misses: c.misses}
}

// cached returns the cached answer for key while its lease lasts.
func (c *readCache) cached(key string, now time.Time) (GetResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on {
		return GetResult{}, false
	}
	el, ok := c.byKey[key]
	if ok {
		e := el.Value.(*cacheEntry)
		if now.Before(e.until) {
			c.lru.MoveToFront(el)
			c.hits++
			return e.res, true
		}
		c.lru.Remove(el)
		delete(c.byKey, key)
	}
	c.misses++
	return GetResult{}, false
}

// begin is called before a get that may be cached: it reports whether to
// ask for a lease, and the invalidation count to compare with in keep.
func (c *readCache) begin() (lease bool, inval uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.on, c.inval
}

// keep caches res, read with a lease of d from a get that began at start,
// unless an invalidation arrived since (inval changed).
func (c *readCache) keep(key string, res GetResult, start time.Time, d time.Duration, inval uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on || d <= 0 || c.inval != inval {
		return
	}
	res.Lookup = chord.LookupResult{}
	res.WrittenBack = 0
	res.CachedBy = c.self
	e := &cacheEntry{key: key, res: res, until: start.Add(d)}
	if el, ok := c.byKey[key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.byKey[key] = c.lru.PushFront(e)
	for c.lru.Len() > c.cfg.size() {
		old := c.lru.Remove(c.lru.Back()).(*cacheEntry)
		delete(c.byKey, old.key)
	}
}

// grant records a lease on key for holder, unless a write of key is under
// way or the table is full, and returns its length (0: none). It is
// called before the owner reads the key, so a write that applies after
// the read finds the lease and revokes it.
func (c *readCache) grant(key, holder string, now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if holder == "" || c.writing[key] > 0 {
		return 0
	}
	hs := c.leases[key]
	if hs == nil {
		if len(c.leases) >= maxLeasedKeys {
			dropExpired(c.leases, now)
			if len(c.leases) >= maxLeasedKeys {
				return 0
			}
		}
		hs = map[string]time.Time{}
		c.leases[key] = hs
	}
	d := c.cfg.lease()
	hs[holder] = now.Add(d)
	return d
}

// beforeWrite runs at the owner before a write of key becomes visible: it
// stops new leases on key, revokes the unexpired ones (waiting out those
// whose holder does not answer) and waits out the grace time when this
// node may have taken the key over from another owner recently (one lease
// from now when standIn: a stand-in, or a node that fenced the key because
// its predecessor changed, counts it from its fences' acks). done
// must be called once the write is applied, or once it is given up: when
// ctx ends before every lease is revoked or over, the error says so and
// the write must not be made visible.
func (s *Store) beforeWrite(ctx context.Context, key string, standIn bool) (done func(), err error) {
	c := s.cache
	now := s.now()
	pred := s.node.Predecessor()
	c.mu.Lock()
	c.writing[key]++
	// The leases stay in the table until their holder has dropped its
	// copy: a write that starts while this one revokes them must find
	// them too, or it could be acknowledged before a holder that this one
	// cannot reach has let its lease run out.
	holders := maps.Clone(c.leases[key])
	c.notePredLocked(pred, now)
	var wait time.Time
	lease := c.cfg.lease()
	if c.on || now.Sub(c.offAt) < lease {
		// Leases another owner granted on this key may still run.
		switch {
		case standIn:
			wait = now.Add(lease)
		case now.Sub(c.since) < lease:
			wait = c.since.Add(lease)
		}
	}
	c.mu.Unlock()
	done = func() {
		c.mu.Lock()
		if c.writing[key]--; c.writing[key] <= 0 {
			delete(c.writing, key)
		}
		c.mu.Unlock()
	}
	if err := s.revoke(ctx, key, holders, now, wait, c.dropLease); err != nil {
		return done, fmt.Errorf("write of %q waits for read leases to end: %w", key, err)
	}
	// The predecessor may have changed while this write waited (a
	// stand-in becoming the owner when the owner leaves): leases the
	// previous owner granted until then must end first too.
	for {
		wait, err := s.graceAfterPredChange()
		if err != nil || wait.IsZero() {
			return done, err
		}
		if err := s.revoke(ctx, key, nil, s.now(), wait, c.dropLease); err != nil {
			return done, fmt.Errorf("write of %q waits for read leases to end: %w", key, err)
		}
	}
}

// isLeaving reports whether Leave has started: a leaving owner grants no
// lease, so that a stand-in that waits one lease from its refusal on
// outwaits every lease it granted.
func (s *Store) isLeaving() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leaving || s.left
}

// graceAfterPredChange notes the predecessor now and returns until when a
// write must wait because it changed less than a lease ago (zero: no wait).
func (s *Store) graceAfterPredChange() (time.Time, error) {
	p := s.notePred()
	if p.caching && p.now.Sub(p.since) < p.lease {
		return p.since.Add(p.lease), nil
	}
	return time.Time{}, nil
}

// predNote is what notePred returns.
type predNote struct {
	since, grew, now time.Time // pred's last change, last widening (zero: never), now
	lease            time.Duration
	caching          bool // the cache is on, or was less than a lease ago
}

// notePred notes the predecessor now and returns when it last changed and
// widened this node's range.
func (s *Store) notePred() predNote {
	c := s.cache
	now := s.now()
	pred := s.node.Predecessor()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notePredLocked(pred, now)
	lease := c.cfg.lease()
	return predNote{since: c.since, grew: c.grew, now: now, lease: lease, caching: c.on || now.Sub(c.offAt) < lease}
}

// revoke tells every holder of an unexpired lease on key to drop its copy,
// forgets (drop) the leases of those that answered, and waits until the
// leases of those that did not have ended, and at least until wait. It
// fails when ctx ends first: a holder may then still serve its copy.
func (s *Store) revoke(ctx context.Context, key string, holders map[string]time.Time, now, wait time.Time, drop func(key, holder string, end time.Time)) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for h, end := range holders {
		if !now.Before(end) {
			continue
		}
		wg.Add(1)
		go func() { // exits when the call returns (bounded by the RPC timeout)
			defer wg.Done()
			_, err := s.call(ctx, chord.NodeRef{Addr: h}, cmdInval, invalReq{Key: key}.encode())
			if err != nil {
				mu.Lock()
				if end.After(wait) {
					wait = end
				}
				mu.Unlock()
				return
			}
			drop(key, h, end)
		}()
	}
	wg.Wait()
	if d := wait.Sub(s.now()); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// dropLease forgets holder's lease on key once the holder has dropped its
// copy, unless a later grant replaced it (end changed).
func (c *readCache) dropLease(key, holder string, end time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hs := c.leases[key]
	if e, ok := hs[holder]; ok && e.Equal(end) {
		delete(hs, holder)
		if len(hs) == 0 {
			delete(c.leases, key)
		}
	}
}

// notePred records the predecessor seen now (Repair calls it every
// round): a change starts the grace time of beforeWrite.
func (c *readCache) notePred(pred chord.NodeRef, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notePredLocked(pred, now)
}

func (c *readCache) notePredLocked(pred chord.NodeRef, now time.Time) {
	if pred == c.pred {
		return
	}
	if widens(c.last, pred, c.self) {
		c.grew = now
	}
	c.pred, c.since = pred, now
	if !pred.IsZero() {
		c.last = pred
	}
}

// widens reports whether a node whose predecessor moves from old to pred
// may own keys another node owned (fence.go): it loses its predecessor, or
// the new one does not lie between the old one and it. A first
// predecessor (old zero) does not widen: a joiner takes over its keys only
// once their previous owner names it as its predecessor (settled).
func widens(old, pred, self chord.NodeRef) bool {
	switch {
	case old.IsZero():
		return false
	case pred.IsZero():
		return true
	}
	return !chord.Between(old.ID, pred.ID, self.ID)
}

// rangeGrew notes the predecessor now and reports whether this node's
// range widened less than a lease ago while the cache was on (or turned
// off less than a lease ago): a write it makes as the owner must fence
// its key (fence.go).
func (s *Store) rangeGrew() bool {
	p := s.notePred()
	return p.caching && !p.grew.IsZero() && p.now.Sub(p.grew) < p.lease
}

// handleInval serves dht.inval: the owner (or the hop this node fetched
// the key from) revokes this node's lease on a key. The hops that fetched
// the key from this node's copy lose theirs first (hopcache.go): only
// then does this node answer, and if it cannot make sure of them in time
// it fails, so that the caller waits this node's lease out.
func (s *Store) handleInval(ctx context.Context, b []byte) ([]byte, error) {
	m, err := decodeInvalReq(b, s.lim)
	if err != nil {
		return replyHeadOnly(invalid(err)), nil
	}
	c := s.cache
	c.mu.Lock()
	c.inval++
	if el, ok := c.byKey[m.Key]; ok {
		c.lru.Remove(el)
		delete(c.byKey, m.Key)
	}
	subs := maps.Clone(c.subs[m.Key])
	c.mu.Unlock()
	if len(subs) > 0 {
		if err := s.revoke(ctx, m.Key, subs, s.now(), time.Time{}, c.dropSub); err != nil {
			return nil, fmt.Errorf("revoke the hops that read %q from this node: %w", m.Key, err)
		}
	}
	return replyHeadOnly(replyHead{}), nil
}

// invalReq names the key whose cached copy must go.
type invalReq struct{ Key string }

func (m invalReq) encode() []byte {
	var e encoder
	e.str(m.Key)
	return e.b
}

func decodeInvalReq(b []byte, lim limits) (invalReq, error) {
	d := decoder{b: b}
	m := invalReq{Key: d.str(lim.key)}
	return m, d.finish()
}

func replyHeadOnly(h replyHead) []byte {
	var e encoder
	e.head(h)
	return e.b
}

// dropExpired removes the leases of tab (key → holder → end) that ended
// by now, and the keys left with none.
func dropExpired(tab map[string]map[string]time.Time, now time.Time) {
	for k, hs := range tab {
		for h, end := range hs {
			if !now.Before(end) {
				delete(hs, h)
			}
		}
		if len(hs) == 0 {
			delete(tab, k)
		}
	}
}
