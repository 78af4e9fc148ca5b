package dht

import (
	"sync"
	"time"
)

// Read caches shared by the nodes of one real node (virtual nodes,
// docs/load.md): a get through one identity, or a lookup step at one, may
// be answered from the cached copy a sibling identity holds under its
// lease. That copy obeys the freshness rule of cache.go as it stands — the
// owner revokes it at the sibling, or waits its lease out, before a write
// is acknowledged, and the sibling drops it under the lock the read takes —
// so serving it from a sibling is the same read as the sibling serving it.
// With V identities per real node, a popular key cached once is served to
// V times as many origins.

// CacheGroup joins the read caches of the stores of one real node
// (Config.CacheGroup). Its zero value is not usable: NewCacheGroup.
type CacheGroup struct {
	mu     sync.RWMutex
	stores map[string]*Store // by address: a revived identity replaces its old store
}

// NewCacheGroup returns an empty group.
func NewCacheGroup() *CacheGroup { return &CacheGroup{stores: map[string]*Store{}} }

// join adds s, replacing (and emptying the cache of) a store at the same
// address: called before s registers its handlers, so a revocation that s
// answers is never one that the old store's copy escaped.
func (g *CacheGroup) join(s *Store) {
	g.mu.Lock()
	old := g.stores[s.self.Addr]
	g.stores[s.self.Addr] = s
	g.mu.Unlock()
	if old != nil && old != s {
		old.cache.dropAll()
	}
}

// siblings returns the stores of the group other than s.
func (g *CacheGroup) siblings(s *Store) []*Store {
	if g == nil {
		return nil
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]*Store, 0, len(g.stores))
	for addr, o := range g.stores {
		if addr != s.self.Addr {
			out = append(out, o)
		}
	}
	return out
}

// siblingCached returns a sibling's cached answer for key while its lease
// lasts (false: none, or this store's cache is off).
func (s *Store) siblingCached(key string, now time.Time) (GetResult, bool) {
	if s.cfg.CacheGroup == nil || !s.CacheOn() {
		return GetResult{}, false
	}
	for _, o := range s.cfg.CacheGroup.siblings(s) {
		if res, ok := o.cache.peek(key, now); ok {
			return res, true
		}
	}
	return GetResult{}, false
}

// siblingServeHop is serveHop at the first sibling that holds key, but it
// grants no sub-lease (left is 0): that sibling may lie farther from the key
// than the node that asks, and sub-leases must lead toward the key only
// (hopcache.go: no cycles), so the asker is answered but keeps nothing.
func (s *Store) siblingServeHop(key string, now time.Time) (sib *Store, res GetResult, left time.Duration, refresh, ok bool) {
	if s.cfg.CacheGroup == nil || !s.CacheOn() {
		return nil, GetResult{}, 0, false, false
	}
	for _, o := range s.cfg.CacheGroup.siblings(s) {
		if !o.cache.holds(key, now) {
			continue
		}
		if res, _, refresh, ok := o.cache.serveHop(key, "", now); ok {
			return o, res, 0, refresh, true
		}
	}
	return nil, GetResult{}, 0, false, false
}

// peek is cached without counting a miss: a sibling's lookup.
func (c *readCache) peek(key string, now time.Time) (GetResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on {
		return GetResult{}, false
	}
	el, ok := c.byKey[key]
	if !ok {
		return GetResult{}, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.until) {
		return GetResult{}, false
	}
	c.lru.MoveToFront(el)
	c.hits++
	return e.res, true
}

// holds reports whether key is cached under an unexpired lease.
func (c *readCache) holds(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	return ok && c.on && now.Before(el.Value.(*cacheEntry).until)
}

// dropAll forgets every cached answer (a replaced store's).
func (c *readCache) dropAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inval++
	c.lru.Init()
	clear(c.byKey)
}

// cachedHere answers a get from this store's cache or, failing that, a
// sibling's (counted as a request served here).
func (s *Store) cachedHere(key string, now time.Time) (GetResult, bool) {
	res, ok := s.cache.cached(key, now)
	if !ok {
		res, ok = s.siblingCached(key, now)
	}
	if !ok {
		return GetResult{}, false
	}
	s.servedGet()
	res.Cached = true
	return res, true
}
