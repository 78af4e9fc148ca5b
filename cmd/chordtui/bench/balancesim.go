package bench

import (
	"crypto/sha1"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
)

// The in-memory Zipf runs of bench --balance (--sim-nodes): a model of a
// ring too large to start on one machine (10^4 nodes), in simulated time.
// Identifiers are random 64-bit numbers, fingers and successor lists are
// the ideal ones of a stable ring, and every get is routed as chordtui
// routes it: the origin's read cache first, then iterative steps to the
// closest preceding node of its fingers and successor list (adaptive
// routing offering the redirected node first), until a node whose
// successor list holds the key names the owner, which the origin then
// asks; the owner and the next r−1 nodes serve the read. With the cache
// on, every step shows the key to the hop, which answers from its cache
// while its lease lasts and fetches a key it sees simCacheMin times within
// a lease (a lookup of its own, answered by the first hop that has the key
// under a sub-lease, else a read at the owner; counted as load), and the
// origin keeps what the owner answered for a lease, or what a hop
// answered until that hop's lease ends (a sub-lease). The rules and thresholds are
// those of chord/adaptive.go and dht/hopcache.go; the model leaves out
// the network (calls are instant), maintenance, failures and writes (so
// no read can be stale), and adaptive routing sees its peers' loads at
// once rather than on the next maintenance reply.

// simOptions are the --sim-* settings.
type simOptions struct {
	nodes int
	keys  int
	gets  int           // gets per run
	span  time.Duration // simulated length of a run: gets are spread evenly over it
}

// Settings of the model, as chordtui's defaults.
const (
	simSuccs    = 4   // successor-list length (chord.DefaultConfig)
	simReplicas = 3   // holders of a key (dht.DefaultConfig)
	simRatio    = 2.0 // adaptive: a finger is routed around at twice the load …
	simMin      = 5.0 // … and at least 5 steps a second
	simWindow   = 2.0 // seconds of routing load adaptive routing looks at
	simReroute  = 0.5 // seconds between a node's recomputations of its routes

)

// SimRow is one simulated run.
type SimRow struct {
	Nodes    int     `json:"nodes"`
	Keys     int     `json:"keys"`
	Gets     int     `json:"gets"`
	Alpha    float64 `json:"alpha"`
	Mode     string  `json:"mode"`
	Hops     float64 `json:"hops_mean"`
	Cached   int     `json:"cached"`
	HopCache int     `json:"cached_at_hop"`
	// Request and routing load per node over the run (warm-up left out).
	ReqMaxMean  float64 `json:"requests_max_over_mean"`
	ReqP99Mean  float64 `json:"requests_p99_over_mean"`
	RoutMaxMean float64 `json:"routing_max_over_mean"`
	RoutP99Mean float64 `json:"routing_p99_over_mean"`
}

// simRing is a stable ring of n nodes.
type simRing struct {
	ids     []uint64
	fingers [][64]int32 // finger k of node i: successor(ids[i] + 2^k)
}

func newSimRing(rng *rand.Rand, n int) *simRing {
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = rng.Uint64()
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	r := &simRing{ids: ids, fingers: make([][64]int32, len(ids))}
	for i, id := range ids {
		for k := range 64 {
			r.fingers[i][k] = int32(r.successor(id + 1<<k))
		}
	}
	return r
}

// successor is the index of the first node at or after id.
func (r *simRing) successor(id uint64) int {
	i, _ := slices.BinarySearch(r.ids, id)
	if i == len(r.ids) {
		return 0
	}
	return i
}

func (r *simRing) succ(i, j int) int { return (i + 1 + j) % len(r.ids) }

// dist is the clockwise distance from a to b.
func dist(a, b uint64) uint64 { return b - a }

// simRun is one run's state.
type simRun struct {
	r        *simRing
	adaptive bool
	cache    bool
	lease    float64
	now      float64
	measure  bool // past the warm-up: count loads

	req, rout []float64

	// Routing load for adaptive routing: steps per node in one-second buckets.
	bucket   [][4]uint32
	bucketAt [][4]int64
	avoid    [][]simRoute // node → the busy finger nodes it routes around
	routedAt []float64
	routed   []bool

	// Caches: node → key → lease end; sightings: node → key → (count, since).
	cached []map[int32]simEntry
	seen   []map[int32]simSeen

	hops, hopOps       float64
	nCached, nHopCache int
}

// simRoute is a finger node a node routes around, and the node instead.
type simRoute struct{ busy, via int32 }

// simEntry is a cached key: its lease end and the gets it answered.
type simEntry struct {
	end  float64
	hits int
}

type simSeen struct {
	n     int
	since float64
}

func (s *simRun) countRouting(i int) {
	if s.measure {
		s.rout[i]++
	}
	b := int64(s.now)
	slot := b % 4
	if s.bucketAt[i][slot] != b {
		s.bucketAt[i][slot], s.bucket[i][slot] = b, 0
	}
	s.bucket[i][slot]++
}

// load is node i's routing steps per second over the last simWindow.
func (s *simRun) load(i int) float64 {
	cur := int64(s.now)
	var sum uint32
	for slot := range 4 {
		if b := s.bucketAt[i][slot]; b > cur-int64(simWindow) && b <= cur {
			sum += s.bucket[i][slot]
		}
	}
	span := simWindow - 1 + (s.now - math.Floor(s.now)) // the current bucket is partial
	return float64(sum) / max(span, 0.001)
}

func (s *simRun) countRequest(i int) {
	if s.measure {
		s.req[i]++
	}
}

// route is where node i's finger k routes (chord/adaptive.go routeLocked):
// the least loaded node of the finger node's successor list in the
// finger's interval, when the finger node answers more than simRatio
// times its load and at least simMin steps a second.
func (s *simRun) route(i, k int) int {
	f := int(s.r.fingers[i][k])
	if f == i {
		return -1
	}
	lf := s.load(f)
	if lf < simMin {
		return -1
	}
	start := s.r.ids[i] + 1<<k
	next := s.r.ids[i] // the last finger's interval ends at i
	if k+1 < 64 {
		next = s.r.ids[i] + 1<<(k+1)
	}
	best, bestLoad := -1, math.Inf(1)
	for j := range simSuccs {
		c := s.r.succ(f, j)
		if c == i || dist(start, s.r.ids[c]) >= dist(start, next) {
			continue
		}
		if l := s.load(c); l < bestLoad {
			best, bestLoad = c, l
		}
	}
	if best < 0 || lf <= simRatio*bestLoad {
		return -1
	}
	return best
}

// refreshRoutes recomputes node i's routes when they are older than simReroute.
func (s *simRun) refreshRoutes(i int) {
	if s.routed[i] && s.now-s.routedAt[i] < simReroute {
		return
	}
	s.avoid[i] = s.avoid[i][:0]
	prev := -1
	for k := 63; k >= 0; k-- {
		f := int(s.r.fingers[i][k])
		if f == prev {
			continue // the same node: its interval's candidates are a subset
		}
		prev = f
		if via := s.route(i, k); via >= 0 {
			s.avoid[i] = append(s.avoid[i], simRoute{int32(f), int32(via)})
		}
	}
	s.routed[i], s.routedAt[i] = true, s.now
}

// next is node i's next hop towards key (chord localStepLocked): owner ≥ 0
// when key lies between i and an entry of its successor list, else the
// closest preceding node of its fingers (or a node a finger routes
// through) and its successor list.
func (s *simRun) next(i int, key uint64) (hop, owner int) {
	ids := s.r.ids
	for j := range simSuccs {
		c := s.r.succ(i, j)
		if d := dist(ids[i], ids[c]); d > 0 && dist(ids[i], key) <= d {
			return -1, c
		}
	}
	dk := dist(ids[i], key)
	best, bestD := -1, uint64(0)
	consider := func(c int) {
		if c < 0 || c == i {
			return
		}
		if d := dist(ids[i], ids[c]); d < dk && d > bestD {
			best, bestD = c, d
		}
	}
	if s.adaptive {
		s.refreshRoutes(i)
	}
	for k := 63; k >= 0; k-- {
		f := int(s.r.fingers[i][k])
		if f == i {
			continue
		}
		if d := dist(ids[i], ids[f]); d >= dk {
			continue
		}
		consider(f)
		if s.adaptive {
			// The redirected node is offered wherever its busy node would be.
			for _, a := range s.avoid[i] {
				if int(a.busy) == f {
					consider(int(a.via))
				}
			}
		}
		break
	}
	consider(s.r.succ(i, simSuccs-1))
	return best, -1
}

// lookup routes key from origin, counting the steps answered, and returns
// the owner, the steps and, with probe, the hop that answered from its
// cache (-1: none).
func (s *simRun) lookup(origin int, key uint64, kidx int32, probe bool) (owner, steps, cachedAt int) {
	cur := origin
	for range 64 {
		if cur != origin {
			s.countRouting(cur)
			if probe && s.hopAnswers(cur, key, kidx) {
				return -1, steps, cur
			}
		}
		hop, own := s.next(cur, key)
		if own >= 0 {
			return own, steps, -1
		}
		cur = hop
		steps++
	}
	panic("simulated lookup did not converge")
}

// hopAnswers is dht.Store.AnswerStep at node i.
func (s *simRun) hopAnswers(i int, key uint64, kidx int32) bool {
	if e, ok := s.cached[i][kidx]; ok && s.now < e.end {
		s.countRequest(i)
		e.hits++
		s.cached[i][kidx] = e
		if e.end-s.now <= s.lease/4 && e.hits >= simCacheMin {
			s.fetch(i, key, kidx)
		}
		return true
	}
	if s.seen[i] == nil || len(s.seen[i]) >= 4096 {
		s.seen[i] = map[int32]simSeen{}
	}
	h := s.seen[i][kidx]
	if s.now-h.since >= s.lease {
		h = simSeen{since: s.now}
	}
	h.n++
	s.seen[i][kidx] = h
	if h.n == simCacheMin {
		s.fetch(i, key, kidx)
	}
	return false
}

// fetch is a hop's read with a lease (instant in the model): from the
// first hop of its own lookup that has the key cached, under a sub-lease
// that ends with that hop's, or else from the owner (dht/hopcache.go).
func (s *simRun) fetch(i int, key uint64, kidx int32) {
	owner, _, at := s.lookup(i, key, kidx, true)
	if at >= 0 {
		s.keepUntil(i, kidx, s.cached[at][kidx].end)
		return
	}
	s.read(owner, i)
	s.keep(i, kidx)
}

// read counts a read at owner and its replicas (the client reads them).
func (s *simRun) read(owner, origin int) {
	for j := range simReplicas {
		h := owner
		if j > 0 {
			h = s.r.succ(owner, j-1)
		}
		s.countRequest(h)
	}
}

func (s *simRun) keep(i int, kidx int32) { s.keepUntil(i, kidx, s.now+s.lease) }

func (s *simRun) keepUntil(i int, kidx int32, end float64) {
	if s.cached[i] == nil {
		s.cached[i] = map[int32]simEntry{}
	}
	if len(s.cached[i]) >= 1024 { // the cache's size: drop expired ones, else one at random
		for k, e := range s.cached[i] {
			if s.now >= e.end || len(s.cached[i]) >= 1024 {
				delete(s.cached[i], k)
			}
		}
	}
	s.cached[i][kidx] = simEntry{end: end}
}

// get is one get of key kidx from origin.
func (s *simRun) get(origin int, key uint64, kidx int32) {
	ids := s.r.ids
	pred := (origin + len(ids) - 1) % len(ids)
	if s.cache {
		if e, ok := s.cached[origin][kidx]; ok && s.now < e.end {
			s.countRequest(origin)
			s.note(0, true, false)
			return
		}
	}
	if d := dist(ids[pred], key); d > 0 && d <= dist(ids[pred], ids[origin]) || len(ids) == 1 {
		s.read(origin, origin) // the origin owns it: no lookup
		s.note(0, false, false)
		return
	}
	owner, steps, at := s.lookup(origin, key, kidx, s.cache)
	if at >= 0 { // the origin keeps the hop's answer under a sub-lease
		s.keepUntil(origin, kidx, s.cached[at][kidx].end)
		s.note(steps, true, true)
		return
	}
	s.read(owner, origin)
	if s.cache {
		s.keep(origin, kidx)
	}
	s.note(steps+1, false, false) // the owner's call is a hop (workload's pathLength)
}

func (s *simRun) note(hops int, cached, atHop bool) {
	if !s.measure {
		return
	}
	s.hops += float64(hops)
	s.hopOps++
	if cached {
		s.nCached++
	}
	if atHop {
		s.nHopCache++
	}
}

// simZipf runs one simulated workload.
func simZipf(r *simRing, keyIDs []uint64, cdf []float64, o simOptions, alpha float64, mode string, lease time.Duration, seed uint64) SimRow {
	row, _ := simZipfState(r, keyIDs, cdf, o, alpha, mode, lease, seed)
	return row
}

func simZipfState(r *simRing, keyIDs []uint64, cdf []float64, o simOptions, alpha float64, mode string, lease time.Duration, seed uint64) (SimRow, *simRun) {
	n := len(r.ids)
	s := &simRun{r: r, adaptive: mode == "adaptive" || mode == "both", cache: mode == "cache" || mode == "both",
		lease: lease.Seconds(), req: make([]float64, n), rout: make([]float64, n),
		bucket: make([][4]uint32, n), bucketAt: make([][4]int64, n), avoid: make([][]simRoute, n), routedAt: make([]float64, n),
		routed: make([]bool, n), cached: make([]map[int32]simEntry, n), seen: make([]map[int32]simSeen, n)}
	for i := range s.bucketAt {
		s.bucketAt[i] = [4]int64{-1, -1, -1, -1}
	}
	rng := rand.New(rand.NewPCG(seed, math.Float64bits(alpha)))
	span := o.span.Seconds()
	warm := min(span/4, 3*s.lease+simWindow)
	for g := range o.gets {
		s.now = span * float64(g) / float64(o.gets)
		s.measure = s.now >= warm
		k, _ := slices.BinarySearch(cdf, rng.Float64())
		k = min(k, len(cdf)-1)
		s.get(rng.IntN(n), keyIDs[k], int32(k))
	}
	req, rout := cluster.Spread(s.req, nil), cluster.Spread(s.rout, nil)
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	return SimRow{Nodes: n, Keys: len(keyIDs), Gets: o.gets, Alpha: alpha, Mode: mode,
		Hops: ratio(s.hops, s.hopOps), Cached: s.nCached, HopCache: s.nHopCache,
		ReqMaxMean: req.MaxOverMean, ReqP99Mean: ratio(req.P99, req.Mean),
		RoutMaxMean: rout.MaxOverMean, RoutP99Mean: ratio(rout.P99, rout.Mean)}, s
}

// simKeys returns the identifiers of keys wk-0… and the Zipf(α) CDF over them.
func simKeys(keys int, alpha float64) ([]uint64, []float64) {
	ids := make([]uint64, keys)
	cdf := make([]float64, keys)
	sum := 0.0
	for i := range keys {
		h := sha1.Sum([]byte("wk-" + strconv.Itoa(i)))
		ids[i] = binary.BigEndian.Uint64(h[:8])
		sum += 1 / math.Pow(float64(i+1), alpha)
		cdf[i] = sum
	}
	for i := range cdf {
		cdf[i] /= sum
	}
	return ids, cdf
}

// simCacheMin is hopCacheMin of dht/hopcache.go: sightings within a lease
// before a hop fetches a key, and hits within a lease before it fetches it
// again.
const simCacheMin = 2
