package dht

import (
	"context"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// Caching along lookup paths (docs/load.md), after Bianchi, Serbu, Felber
// and Kropf, "Adaptive Load Balancing for DHT Lookups" (ICCCN 2006): a get
// made with the cache on sends its key with every lookup step
// (chord.LookupOptions.Probe), and a hop that holds the key in its read
// cache under an unexpired lease answers the get itself, ending the lookup
// there. A hop that sees a key go by hopCacheMin times within one lease
// fetches it for itself, by a lookup of its own that asks for a lease: the
// first hop of that lookup holding the key answers under a sub-lease that
// ends when its own lease does, and records it; else the owner answers
// under a lease, as for any get with the cache on. Revocation follows the
// same tree: a node told to drop a key (by the owner or by the hop it
// fetched it from) first makes every hop it granted a sub-lease drop it,
// or waits their sub-leases out, and only then answers. So every copy is
// served only while a chain of unexpired leases leads back to the owner,
// and a write that revokes or waits out the owner's leases has reached
// every copy before it is acknowledged: the freshness rule of cache.go.
// The fetches of hops are answered mostly by other hops, so the owner of
// a hot key does not serve one fetch per caching hop and lease.

// hopCacheMin is how many times a key must go by a node within one lease
// before the node fetches it into its cache, and how many gets a cached
// key must answer within its lease for the node to fetch it again before
// the lease ends: a fetch then saves at least as many reads as it costs.
const hopCacheMin = 2

// hopFetchMax bounds the fetches a node runs at once for its hop cache.
const hopFetchMax = 4

// maxHopSeen bounds the keys a node counts sightings of; past it the
// counts start over.
const maxHopSeen = 4096

// maxHopLease bounds a sub-lease read off the wire.
const maxHopLease = time.Hour

// hopSeen counts the sightings of a key in the current window.
type hopSeen struct {
	n     int
	since time.Time
}

// encodeProbe is a get's probe: its key, and the hop that asks for a
// sub-lease ("" for a get, which keeps no answer from a hop).
func encodeProbe(key, leaseFor string) []byte {
	var e encoder
	e.str(key)
	e.str(leaseFor)
	return e.b
}

// AnswerStep implements chord.StepCache: it answers a get's lookup step
// from the read cache while the lease lasts (granting a sub-lease to a
// hop that asks), and counts the keys it sees to fetch the popular ones.
func (s *Store) AnswerStep(id chord.ID, probe []byte) []byte {
	d := decoder{b: probe}
	key := d.str(s.lim.key)
	leaseFor := d.str(maxAddr)
	if d.finish() != nil || key == "" || s.KeyID(key) != id {
		return nil
	}
	now := s.now()
	res, left, refresh, ok := s.cache.serveHop(key, leaseFor, now)
	from := s
	if !ok {
		from, res, left, refresh, ok = s.siblingServeHop(key, now)
	}
	if ok {
		s.servedGet()
		if refresh {
			from.fetchForHop(key)
		}
		return encodeHopAnswer(res, left)
	}
	if s.cache.sighted(key, now) {
		s.fetchForHop(key)
	}
	return nil
}

// serveHop returns the cached answer for key while its lease lasts, and
// how long it has left; with leaseFor it records a sub-lease for that hop
// ending with this node's lease, in the same critical section as the read
// (a revocation either finds it or finds no copy to answer from). refresh
// says to fetch key again now: its lease has less than a quarter left, it
// answered hopCacheMin gets or more, and no fetch of it is under way.
func (c *readCache) serveHop(key, leaseFor string, now time.Time) (res GetResult, left time.Duration, refresh, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on {
		return GetResult{}, 0, false, false
	}
	el, found := c.byKey[key]
	if !found {
		c.misses++
		return GetResult{}, 0, false, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.until) {
		c.lru.Remove(el)
		delete(c.byKey, key)
		c.misses++
		return GetResult{}, 0, false, false
	}
	c.lru.MoveToFront(el)
	c.hits++
	e.hits++
	if leaseFor != "" && leaseFor != c.self.Addr && c.grantSubLocked(key, leaseFor, e.until, now) {
		left = e.until.Sub(now)
	}
	refresh = e.until.Sub(now) <= c.cfg.lease()/4 && e.hits >= hopCacheMin && c.startFetchLocked(key)
	return e.res, left, refresh, true
}

// grantSubLocked records a sub-lease on key for hop until end, unless the
// table is full. Caller holds c.mu.
func (c *readCache) grantSubLocked(key, hop string, end, now time.Time) bool {
	if c.subs == nil {
		c.subs = map[string]map[string]time.Time{}
	}
	hs := c.subs[key]
	if hs == nil {
		if len(c.subs) >= maxLeasedKeys {
			dropExpired(c.subs, now)
			if len(c.subs) >= maxLeasedKeys {
				return false
			}
		}
		hs = map[string]time.Time{}
		c.subs[key] = hs
	}
	if old, ok := hs[hop]; !ok || end.After(old) {
		hs[hop] = end
	}
	return true
}

// dropSub forgets hop's sub-lease on key once it has dropped its copy,
// unless a later grant replaced it.
func (c *readCache) dropSub(key, hop string, end time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hs := c.subs[key]
	if e, ok := hs[hop]; ok && e.Equal(end) {
		delete(hs, hop)
		if len(hs) == 0 {
			delete(c.subs, key)
		}
	}
}

// sighted counts a sighting of key at a hop and reports whether to fetch
// it now (the hopCacheMin-th sighting within a lease, no fetch of it
// under way, fewer than hopFetchMax under way).
func (c *readCache) sighted(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on {
		return false
	}
	if c.seen == nil || len(c.seen) >= maxHopSeen {
		c.seen = map[string]hopSeen{}
	}
	h := c.seen[key]
	if now.Sub(h.since) >= c.cfg.lease() {
		h = hopSeen{since: now}
	}
	h.n++
	c.seen[key] = h
	return h.n == hopCacheMin && c.startFetchLocked(key)
}

// startFetchLocked claims a fetch slot for key. Caller holds c.mu.
func (c *readCache) startFetchLocked(key string) bool {
	if c.fetching == nil {
		c.fetching = map[string]bool{}
	}
	if c.fetching[key] || len(c.fetching) >= hopFetchMax {
		return false
	}
	c.fetching[key] = true
	return true
}

func (c *readCache) endFetch(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.fetching, key)
}

// fetchForHop reads key with a lease, in the background, and keeps it in
// the cache (Get without the probe: only the owner's lease will do).
func (s *Store) fetchForHop(key string) {
	go func() { // exits when the read returns, bounded by its timeout
		defer s.cache.endFetch(key)
		ctx, cancel := context.WithTimeout(context.Background(), 3*s.rpc)
		defer cancel()
		start := s.now()
		lease, inval := s.cache.begin()
		if !lease {
			return
		}
		opts := ownerLookup
		opts.Probe = encodeProbe(key, s.self.Addr)
		lr, err := s.node.LookupWith(ctx, s.KeyID(key), opts)
		if err == nil && lr.Answer != nil {
			if res, ok := s.hopAnswer(key, lr); ok {
				if res.lease > 0 { // a sub-lease: it ends before the hop's own
					s.cache.keep(key, res, start, res.lease, inval)
				}
				return
			}
			lr, err = s.node.LookupWith(ctx, s.KeyID(key), ownerLookup)
		}
		_, _ = s.getLooked(ctx, key, lr, err, start, lease, inval) // a failed fetch only means no cache
	}()
}

// encodeHopAnswer is a hop's cached answer to a get, with the sub-lease
// it granted (0: none).
func encodeHopAnswer(r GetResult, lease time.Duration) []byte {
	var e encoder
	e.boolean(r.Found)
	e.bytes(r.Value)
	e.version(r.Version)
	e.ref(r.Owner)
	e.uvarint(uint64(max(lease, 0)))
	return e.b
}

// hopAnswer decodes the answer a hop gave from its cache (false: none
// usable, the get goes on to the owner).
func (s *Store) hopAnswer(key string, lr chord.LookupResult) (GetResult, bool) {
	d := decoder{b: lr.Answer}
	res := GetResult{Found: d.boolean(), Value: d.bytes(s.lim.value)}
	res.Version = d.version()
	res.Owner = d.ref()
	res.lease = time.Duration(min(d.uvarint(), uint64(maxHopLease)))
	if d.finish() != nil || lr.AnsweredBy.IsZero() {
		s.log.Warn("undecodable cached answer", "key", key, "from", lr.AnsweredBy.Addr)
		return GetResult{}, false
	}
	if !res.Found {
		res.Value = nil
	}
	res.Lookup = lr
	res.Cached, res.CachedBy = true, lr.AnsweredBy
	return res, true
}
