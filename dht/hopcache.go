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
// fetches it for itself, as any get with the cache on does: from the owner,
// with a lease the owner records and revokes on write. So the hop serves
// the same freshness rule as the origin's cache (cache.go): a cached
// answer only while its lease lasts, a lease always revoked or waited out
// before a write is acknowledged. The nodes before a hot key, which route
// to it, come to answer for it, and the lookups for it end a hop or more
// earlier, at nodes spread over the ring.

// hopCacheMin is how many times a key must go by a node within one lease
// before the node fetches it into its cache, and how many gets a cached
// key must answer within its lease for the node to fetch it again before
// the lease ends: each fetch then saves the owner several reads, so that
// the fetches of many hops do not make the owner hot themselves (with 2,
// a model of 10^4 nodes had the owner of the hottest key serve more
// fetches than it had served gets without the cache).
const hopCacheMin = 4

// hopFetchMax bounds the fetches a node runs at once for its hop cache.
const hopFetchMax = 4

// maxHopSeen bounds the keys a node counts sightings of; past it the
// counts start over.
const maxHopSeen = 4096

// hopSeen counts the sightings of a key in the current window.
type hopSeen struct {
	n     int
	since time.Time
}

// encodeProbe is a get's probe: its key.
func encodeProbe(key string) []byte {
	var e encoder
	e.str(key)
	return e.b
}

// AnswerStep implements chord.StepCache: it answers a get's lookup step
// from the read cache while the lease lasts, and counts the keys it sees
// to fetch the popular ones.
func (s *Store) AnswerStep(id chord.ID, probe []byte) []byte {
	d := decoder{b: probe}
	key := d.str(s.lim.key)
	if d.finish() != nil || key == "" || s.KeyID(key) != id {
		return nil
	}
	now := s.now()
	res, ok := s.cache.cached(key, now)
	if ok {
		s.servedGet()
		if s.cache.refreshDue(key, now) {
			s.fetchForHop(key)
		}
		return encodeHopAnswer(res)
	}
	if s.cache.sighted(key, now) {
		s.fetchForHop(key)
	}
	return nil
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

// refreshDue counts a get key's cached entry answered at a hop and
// reports whether to fetch key again now, so that a key the hop keeps
// answering for stays cached: its lease has less than a quarter left, it
// answered hopCacheMin gets or more, and no fetch of it is under way.
func (c *readCache) refreshDue(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok || !c.on {
		return false
	}
	e := el.Value.(*cacheEntry)
	e.hits++
	if e.until.Sub(now) > c.cfg.lease()/4 || e.hits < hopCacheMin {
		return false
	}
	return c.startFetchLocked(key)
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
		lr, err := s.node.LookupWith(ctx, s.KeyID(key), ownerLookup)
		_, _ = s.getLooked(ctx, key, lr, err, start, lease, inval) // a failed fetch only means no cache
	}()
}

// encodeHopAnswer is a hop's cached answer to a get.
func encodeHopAnswer(r GetResult) []byte {
	var e encoder
	e.boolean(r.Found)
	e.bytes(r.Value)
	e.version(r.Version)
	e.ref(r.Owner)
	return e.b
}

// hopAnswer decodes the answer a hop gave from its cache (false: none
// usable, the get goes on to the owner).
func (s *Store) hopAnswer(key string, lr chord.LookupResult) (GetResult, bool) {
	d := decoder{b: lr.Answer}
	res := GetResult{Found: d.boolean(), Value: d.bytes(s.lim.value)}
	res.Version = d.version()
	res.Owner = d.ref()
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
