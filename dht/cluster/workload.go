package cluster

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// The workload generator: many concurrent clients reading and writing a
// set of keys with uniform or Zipf popularity, from random origins (or
// one), for a while, checking every value read. It drives the stores
// directly (no per-call naming), one workload at a time; Snapshot carries
// its progress while it runs.

// ErrBusy is returned when a workload is already running.
var ErrBusy = errors.New("workload running")

// WorkloadSpec says what a workload does.
type WorkloadSpec struct {
	// Keys is how many keys it uses, named Prefix0 … Prefix(Keys-1); with
	// Zipf popularity Prefix0 is the most popular.
	Keys int `json:"keys"`
	// ReadPercent is the share of gets among the operations (100: gets
	// only, after every key has been written once; 0: sets only).
	ReadPercent int `json:"read_percent"`
	// Zipf is the exponent α of the keys' popularity (the key of rank i
	// is chosen with probability ∝ 1/i^α); 0 is uniform.
	Zipf float64 `json:"zipf"`
	// Duration bounds the run; Ops, when non-zero, ends it after that many
	// operations.
	Duration time.Duration `json:"-"`
	Ops      int           `json:"ops_limit,omitempty"`
	// Rate limits the operations per second of all clients together (0:
	// as fast as they go).
	Rate float64 `json:"rate,omitempty"`
	// Clients is how many operations run at once.
	Clients int `json:"clients"`
	// Via names the origin of every operation; "" or "random" picks a
	// random live node for each.
	Via string `json:"via"`
	// Prefix starts every key's name ("wk-" when empty).
	Prefix string `json:"prefix"`
}

// DefaultWorkload is 1000 keys, gets only, uniform, 10 s, 8 clients, from
// random origins.
func DefaultWorkload() WorkloadSpec {
	return WorkloadSpec{Keys: 1000, ReadPercent: 100, Duration: 10 * time.Second, Clients: 8, Via: "random", Prefix: "wk-"}
}

// maxWorkloadKeys bounds a workload's keys (the popularity table and the
// checker's state are per key).
const maxWorkloadKeys = 1 << 22

// Validate reports the first setting out of range, wrapping ErrBadArgument.
func (s WorkloadSpec) Validate() error {
	switch {
	case s.Keys < 1 || s.Keys > maxWorkloadKeys:
		return errorf(ErrBadArgument, "workload: keys must be from 1 to %d, got %d", maxWorkloadKeys, s.Keys)
	case s.ReadPercent < 0 || s.ReadPercent > 100:
		return errorf(ErrBadArgument, "workload: the read share must be 0 to 100%%, got %d", s.ReadPercent)
	case s.Zipf < 0 || s.Zipf > 10 || math.IsNaN(s.Zipf):
		return errorf(ErrBadArgument, "workload: the Zipf exponent must be from 0 to 10, got %g", s.Zipf)
	case s.Duration <= 0 && s.Ops <= 0:
		return errorf(ErrBadArgument, "workload: give a positive duration (for 10s) or a number of operations (ops 1000)")
	case s.Duration < 0 || s.Duration > 24*time.Hour:
		return errorf(ErrBadArgument, "workload: the duration must be at most 24h, got %v", s.Duration)
	case s.Ops < 0:
		return errorf(ErrBadArgument, "workload: the number of operations must not be negative, got %d", s.Ops)
	case s.Rate < 0 || math.IsNaN(s.Rate) || math.IsInf(s.Rate, 0):
		return errorf(ErrBadArgument, "workload: the rate must be a positive number of operations per second, got %g", s.Rate)
	case s.Clients < 1 || s.Clients > 1024:
		return errorf(ErrBadArgument, "workload: clients must be from 1 to 1024, got %d", s.Clients)
	}
	return nil
}

// Popularity describes the key choice in words: "uniform" or "zipf 1".
func (s WorkloadSpec) Popularity() string {
	if s.Zipf == 0 {
		return "uniform"
	}
	return "zipf " + strconv.FormatFloat(s.Zipf, 'g', -1, 64)
}

// WorkloadProgress is a running workload as it stands.
type WorkloadProgress struct {
	Spec WorkloadSpec `json:"spec"`
	// Phase is "preparing" while every key is written once (a workload
	// with gets), then "running".
	Phase string `json:"phase"`
	// Prepared counts the keys written while preparing.
	Prepared int `json:"prepared"`
	// Elapsed is the time since the running phase began (JSON:
	// elapsed_s).
	Elapsed time.Duration `json:"-"`
	Ops     uint64        `json:"ops"`
	Errors  uint64        `json:"errors"`
	Stale   uint64        `json:"stale"`
}

// Latency is a latency distribution's percentiles (JSON: microseconds).
type Latency struct {
	Count         int           `json:"count"`
	P50, P99, Max time.Duration `json:"-"`
}

// MarshalJSON writes count, p50_us, p99_us and max_us.
func (l Latency) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"count":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}`,
		l.Count, l.P50.Microseconds(), l.P99.Microseconds(), l.Max.Microseconds()), nil
}

// latencyOf sums up ds (sorted in place).
func latencyOf(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	return Latency{Count: len(ds), P50: ds[len(ds)/2], P99: ds[min(len(ds)*99/100, len(ds)-1)], Max: ds[len(ds)-1]}
}

// WorkloadResult is what a workload did.
type WorkloadResult struct {
	Spec WorkloadSpec `json:"spec"`
	// Stopped: the run was ended early (workload stop, or its context).
	Stopped bool `json:"stopped"`
	// Prepared keys were written once before the run (PrepareTook).
	Prepared    int           `json:"prepared"`
	PrepareTook time.Duration `json:"-"`
	// Took is the running phase's length.
	Took time.Duration `json:"-"`
	// Ops counts the operations that ended (Gets + Sets, failed included);
	// Errors the failed ones, ErrorKinds them by cause (the first of each
	// kind in Examples).
	Ops        uint64            `json:"ops"`
	Gets       Latency           `json:"gets"`
	Sets       Latency           `json:"sets"`
	Errors     uint64            `json:"errors"`
	ErrorKinds map[string]uint64 `json:"error_kinds,omitempty"`
	Examples   []string          `json:"error_examples,omitempty"`
	// Stale counts the gets that returned an older version than a write
	// acknowledged before they began (or a different value for the same
	// version): reads the store's guarantee forbids. StaleExamples says
	// what the first ones returned and what they should have.
	Stale         uint64   `json:"stale"`
	StaleExamples []string `json:"stale_examples,omitempty"`
	// Checked counts the gets whose value was checked (every get of a
	// key written before it began).
	Checked uint64 `json:"checked"`
	// Hops is the mean path length of the successful operations, as the
	// Chord paper counts it: the lookup's calls that answered, and the
	// call to the owner when the lookup did not make one (pathLength);
	// Cached counts the gets answered from a cache.
	Hops   float64 `json:"hops_mean"`
	Cached uint64  `json:"cached"`
	// Load is the spread, over the nodes alive at the end, of the requests
	// and routing steps each served during the running phase.
	Load WorkloadLoad `json:"load"`
}

// WorkloadLoad is the spread of what the nodes served during a workload:
// requests and routing steps per node (counts, not rates).
type WorkloadLoad struct {
	Requests LoadStats `json:"requests"`
	Routing  LoadStats `json:"routing"`
}

// OpsPerSec is the throughput of the running phase.
func (r WorkloadResult) OpsPerSec() float64 {
	if r.Took <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Took.Seconds()
}

// MarshalJSON adds took_s, prepare_s, ops_per_s and the spec's duration.
func (r WorkloadResult) MarshalJSON() ([]byte, error) {
	type plain WorkloadResult
	return marshalWith(struct {
		plain
		Took    float64 `json:"took_s"`
		Prepare float64 `json:"prepare_s"`
		OpsPS   float64 `json:"ops_per_s"`
	}{plain(r), r.Took.Seconds(), r.PrepareTook.Seconds(), r.OpsPerSec()}, "duration_s", r.Spec.Duration.Seconds())
}

// workloadRun is the running workload's shared state.
type workloadRun struct {
	spec     WorkloadSpec
	cancel   context.CancelFunc
	stopped  atomic.Bool
	phase    atomic.Value // string
	prepared atomic.Int64
	began    atomic.Int64 // running phase start, Unix ns (0 before)
	ops      atomic.Uint64
	errs     atomic.Uint64
	stale    atomic.Uint64
}

func (w *workloadRun) progress() WorkloadProgress {
	p := WorkloadProgress{Spec: w.spec, Phase: w.phase.Load().(string), Prepared: int(w.prepared.Load()),
		Ops: w.ops.Load(), Errors: w.errs.Load(), Stale: w.stale.Load()}
	if b := w.began.Load(); b > 0 {
		p.Elapsed = time.Since(time.Unix(0, b))
	}
	return p
}

// Workload returns the running workload's progress, if one runs.
func (c *Cluster) Workload() (WorkloadProgress, bool) {
	c.wlMu.Lock()
	w := c.wl
	c.wlMu.Unlock()
	if w == nil {
		return WorkloadProgress{}, false
	}
	return w.progress(), true
}

// StopWorkload ends the running workload early; it reports whether one
// was running. RunWorkload then returns what it did so far.
func (c *Cluster) StopWorkload() bool {
	c.wlMu.Lock()
	w := c.wl
	c.wlMu.Unlock()
	if w == nil {
		return false
	}
	w.stopped.Store(true)
	w.cancel()
	return true
}

// keyState is what the checker knows of one key: the newest version a
// write acknowledged, and its value.
type keyState struct {
	mu      sync.Mutex
	acked   dht.Version
	value   string
	written bool
}

// zipfTable draws key ranks with probability ∝ 1/(rank+1)^α.
type zipfTable struct{ cdf []float64 }

func newZipf(n int, alpha float64) *zipfTable {
	z := &zipfTable{cdf: make([]float64, n)}
	sum := 0.0
	for i := range n {
		sum += 1 / math.Pow(float64(i+1), alpha)
		z.cdf[i] = sum
	}
	for i := range z.cdf {
		z.cdf[i] /= sum
	}
	return z
}

func (z *zipfTable) draw(r *rand.Rand) int {
	u := r.Float64()
	i, _ := slices.BinarySearch(z.cdf, u)
	return min(i, len(z.cdf)-1)
}

// RunWorkload runs spec until its duration passes, it made spec.Ops
// operations, StopWorkload is called or ctx ends, and returns what it did
// (also when stopped early). A workload with gets first writes every key
// once (the preparing phase), so that every get has a value to check.
// progress, when non-nil, is called about every 100 ms from another
// goroutine, and once more before RunWorkload returns (never
// concurrently). Only one workload runs at a time (ErrBusy).
func (c *Cluster) RunWorkload(ctx context.Context, spec WorkloadSpec, progress func(WorkloadProgress)) (WorkloadResult, error) {
	if spec.Prefix == "" {
		spec.Prefix = "wk-"
	}
	if spec.Via == "" {
		spec.Via = "random"
	}
	if err := spec.Validate(); err != nil {
		return WorkloadResult{Spec: spec}, err
	}
	if spec.Via != "random" {
		p, err := c.Resolve(spec.Via)
		if err != nil {
			return WorkloadResult{Spec: spec}, fmt.Errorf("workload: %w", err)
		}
		spec.Via = p.Name
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &workloadRun{spec: spec, cancel: cancel}
	w.phase.Store("preparing")
	c.wlMu.Lock()
	if c.wl != nil {
		c.wlMu.Unlock()
		return WorkloadResult{Spec: spec}, errorf(ErrBusy, "workload: one is running already (workload stop ends it)")
	}
	c.wl = w
	c.wlMu.Unlock()
	defer func() {
		c.wlMu.Lock()
		c.wl = nil
		c.wlMu.Unlock()
	}()
	if progress != nil {
		done := make(chan struct{})
		exited := make(chan struct{})
		defer func() {
			close(done)
			<-exited
			progress(w.progress()) // the last word: where it ended
		}()
		go func() { // exits when the workload returns
			defer close(exited)
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					progress(w.progress())
				}
			}
		}()
	}
	c.mu.RLock()
	seed := uint64(c.cfg.Seed)
	c.mu.RUnlock()
	if seed == 0 {
		seed = rand.Uint64()
	}
	g := &generator{c: c, w: w, spec: spec, keys: make([]keyState, spec.Keys), seed: seed}
	if spec.Zipf > 0 {
		g.zipf = newZipf(spec.Keys, spec.Zipf)
	}
	if err := g.refresh(); err != nil {
		return WorkloadResult{Spec: spec}, err
	}
	res := WorkloadResult{Spec: spec}
	if spec.ReadPercent > 0 {
		began := time.Now()
		g.prepare(ctx)
		res.Prepared, res.PrepareTook = int(w.prepared.Load()), time.Since(began)
	}
	before := c.servedByNode()
	w.phase.Store("running")
	began := time.Now()
	w.began.Store(began.UnixNano())
	g.run(ctx)
	res.Took = time.Since(began)
	g.result(&res)
	res.Load = c.servedSince(before)
	res.Stopped = w.stopped.Load() || ctx.Err() != nil
	return res, nil
}

// generator runs one workload.
type generator struct {
	c    *Cluster
	w    *workloadRun
	spec WorkloadSpec
	keys []keyState
	zipf *zipfTable
	seed uint64
	seq  atomic.Uint64 // numbers every write's value

	liveMu  sync.Mutex
	live    []LiveNode
	liveAt  time.Time
	limitMu sync.Mutex
	next    time.Time // the rate limiter's next free slot

	mu       sync.Mutex // guards what the clients report below
	gets     []time.Duration
	sets     []time.Duration
	kinds    map[string]uint64
	examples []string
	staleEx  []string
	checked  uint64
	hops     uint64
	hopOps   uint64
	cached   uint64
}

// refresh reads the live nodes again (at most every 100 ms, or when
// forced by an operation that found its origin gone).
func (g *generator) refresh() error {
	g.liveMu.Lock()
	defer g.liveMu.Unlock()
	if time.Since(g.liveAt) < 100*time.Millisecond && len(g.live) > 0 {
		return nil
	}
	live := g.c.LiveNodes()
	if g.spec.Via != "random" {
		live = slices.DeleteFunc(live, func(n LiveNode) bool { return n.Name != g.spec.Via && n.Host != g.spec.Via })
	}
	g.live, g.liveAt = live, time.Now()
	if len(live) == 0 {
		if g.spec.Via != "random" {
			return errorf(ErrNodeState, "workload: %s is not alive — pick a live node after via", g.spec.Via)
		}
		return errorf(ErrNoLiveNode, "workload: no live node to run it through")
	}
	return nil
}

// origin picks the node an operation starts at.
func (g *generator) origin(r *rand.Rand) (LiveNode, bool) {
	_ = g.refresh()
	g.liveMu.Lock()
	defer g.liveMu.Unlock()
	if len(g.live) == 0 {
		return LiveNode{}, false
	}
	return g.live[r.IntN(len(g.live))], true
}

func (g *generator) key(i int) string { return g.spec.Prefix + strconv.Itoa(i) }

// prepareWriters is the least number of writers that prepare runs: a
// write waits mostly for its calls' turn on a busy machine (512 identities
// keep two cores busy with maintenance), so more writers at once write the
// keys faster without slowing each other much.
const prepareWriters = 64

// prepare writes every key once, with the workload's clients or
// prepareWriters, whichever is more.
func (g *generator) prepare(ctx context.Context) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for cl := range max(g.spec.Clients, min(prepareWriters, g.spec.Keys)) {
		wg.Add(1)
		go func(cl int) { // exits when every key is written or ctx ends
			defer wg.Done()
			r := rand.New(rand.NewPCG(g.seed, uint64(cl)+1<<32))
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= g.spec.Keys {
					return
				}
				for attempt := 0; attempt < 3 && ctx.Err() == nil; attempt++ {
					if g.set(ctx, r, i, false) == nil {
						g.w.prepared.Add(1)
						break
					}
				}
			}
		}(cl)
	}
	wg.Wait()
}

// run runs the clients until the workload ends.
func (g *generator) run(ctx context.Context) {
	if g.spec.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.spec.Duration)
		defer cancel()
	}
	var wg sync.WaitGroup
	var started atomic.Int64
	for cl := range g.spec.Clients {
		wg.Add(1)
		go func(cl int) { // exits when the run's context ends or the ops are done
			defer wg.Done()
			r := rand.New(rand.NewPCG(g.seed, uint64(cl)))
			for ctx.Err() == nil {
				if g.spec.Ops > 0 && started.Add(1) > int64(g.spec.Ops) {
					return
				}
				if !g.wait(ctx) {
					return
				}
				i := g.pick(r)
				if r.IntN(100) < g.spec.ReadPercent {
					g.get(ctx, r, i)
				} else {
					_ = g.set(ctx, r, i, true)
				}
			}
		}(cl)
	}
	wg.Wait()
}

// pick draws a key index by the workload's popularity.
func (g *generator) pick(r *rand.Rand) int {
	if g.zipf != nil {
		return g.zipf.draw(r)
	}
	return r.IntN(g.spec.Keys)
}

// wait holds a client back to the workload's rate; false when ctx ended.
func (g *generator) wait(ctx context.Context) bool {
	if g.spec.Rate <= 0 {
		return true
	}
	interval := time.Duration(float64(time.Second) / g.spec.Rate)
	g.limitMu.Lock()
	now := time.Now()
	if g.next.Before(now) {
		g.next = now
	}
	at := g.next
	g.next = g.next.Add(interval)
	g.limitMu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// set writes a new value of key i and records it when acknowledged.
func (g *generator) set(ctx context.Context, r *rand.Rand, i int, timed bool) error {
	n, ok := g.origin(r)
	if !ok {
		g.fail(timed, "no live origin", errors.New("no live node to start from"))
		return errors.New("no live origin")
	}
	key := g.key(i)
	val := key + "#" + strconv.FormatUint(g.seq.Add(1), 10)
	t0 := time.Now()
	res, err := n.Store.Set(ctx, key, []byte(val))
	d := time.Since(t0)
	if err != nil {
		if ctx.Err() == nil {
			g.fail(timed, errorKind(err), fmt.Errorf("set %s via %s: %w", key, n.Name, err))
			g.forceRefresh(err)
		}
		return err
	}
	ks := &g.keys[i]
	ks.mu.Lock()
	if !ks.written || res.Version.Newer(ks.acked) {
		ks.acked, ks.value, ks.written = res.Version, val, true
	}
	ks.mu.Unlock()
	if timed {
		g.w.ops.Add(1)
		g.mu.Lock()
		g.sets = append(g.sets, d)
		g.hops += uint64(pathLength(res.Lookup))
		g.hopOps++
		g.mu.Unlock()
	}
	return nil
}

// get reads key i and checks the value against the newest write
// acknowledged before the read began.
func (g *generator) get(ctx context.Context, r *rand.Rand, i int) {
	n, ok := g.origin(r)
	if !ok {
		g.fail(true, "no live origin", errors.New("no live node to start from"))
		return
	}
	key := g.key(i)
	ks := &g.keys[i]
	ks.mu.Lock()
	want, wantVal, written := ks.acked, ks.value, ks.written
	ks.mu.Unlock()
	t0 := time.Now()
	res, err := n.Store.Get(ctx, key)
	d := time.Since(t0)
	if err != nil {
		if ctx.Err() == nil {
			g.fail(true, errorKind(err), fmt.Errorf("get %s via %s: %w", key, n.Name, err))
			g.forceRefresh(err)
		}
		return
	}
	g.w.ops.Add(1)
	stale := ""
	if written {
		switch {
		case !res.Found:
			stale = fmt.Sprintf("get %s via %s: not found, but version %s (%q) was acknowledged before it began", key, n.Name, g.c.version(want), wantVal)
		case want.Newer(res.Version):
			stale = fmt.Sprintf("get %s via %s: version %s (%q), older than version %s (%q) acknowledged before it began",
				key, n.Name, g.c.version(res.Version), res.Value, g.c.version(want), wantVal)
		case res.Version == want && string(res.Value) != wantVal:
			stale = fmt.Sprintf("get %s via %s: %q at version %s, which was written as %q", key, n.Name, res.Value, g.c.version(want), wantVal)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gets = append(g.gets, d)
	g.hops += uint64(pathLength(res.Lookup)) // 0 for a get from a cache: no lookup
	g.hopOps++
	if res.Cached {
		g.cached++
	}
	if written {
		g.checked++
	}
	if stale != "" {
		g.w.stale.Add(1)
		if len(g.staleEx) < 5 {
			g.staleEx = append(g.staleEx, stale)
		}
	}
}

// fail counts a failed operation (in the running phase only: timed).
func (g *generator) fail(timed bool, kind string, err error) {
	if !timed {
		return
	}
	g.w.ops.Add(1)
	g.w.errs.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.kinds == nil {
		g.kinds = map[string]uint64{}
	}
	if g.kinds[kind] == 0 && len(g.examples) < 8 {
		g.examples = append(g.examples, g.c.namesIn(err.Error()))
	}
	g.kinds[kind]++
}

// forceRefresh re-reads the live nodes after an error that says the
// origin itself is gone.
func (g *generator) forceRefresh(err error) {
	if errors.Is(err, chord.ErrStopped) || errors.Is(err, chord.ErrNotJoined) {
		g.liveMu.Lock()
		g.liveAt = time.Time{}
		g.liveMu.Unlock()
	}
}

// result fills in what the clients reported.
func (g *generator) result(res *WorkloadResult) {
	g.mu.Lock()
	defer g.mu.Unlock()
	res.Ops = g.w.ops.Load()
	res.Errors = g.w.errs.Load()
	res.Stale = g.w.stale.Load()
	res.Gets, res.Sets = latencyOf(g.gets), latencyOf(g.sets)
	res.ErrorKinds, res.Examples, res.StaleExamples = g.kinds, g.examples, g.staleEx
	res.Checked, res.Cached = g.checked, g.cached
	if g.hopOps > 0 {
		res.Hops = float64(g.hops) / float64(g.hopOps)
	}
}

// servedByNode reads every live node's request and routing totals (every
// real node's, with virtual nodes).
func (c *Cluster) servedByNode() map[string][2]uint64 {
	now := time.Now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := map[string][2]uint64{}
	for _, m := range c.liveLocked() {
		l := loadLocked(m, dht.Counts{}, now)
		h := hostName(m) // with virtual nodes, per real node
		out[h] = [2]uint64{out[h][0] + l.Requests, out[h][1] + l.Routing}
	}
	return out
}

// servedSince is the spread of what each node alive now served since
// before (a node that restarted meanwhile counts from zero).
func (c *Cluster) servedSince(before map[string][2]uint64) WorkloadLoad {
	after := c.servedByNode()
	var names []string
	var reqs, routing []float64
	for _, name := range c.memberNames() {
		a, ok := after[name]
		if !ok {
			continue
		}
		b := before[name]
		if a[0] < b[0] || a[1] < b[1] {
			b = [2]uint64{}
		}
		names = append(names, name)
		reqs = append(reqs, float64(a[0]-b[0]))
		routing = append(routing, float64(a[1]-b[1]))
	}
	return WorkloadLoad{Requests: Spread(reqs, names), Routing: Spread(routing, names)}
}

// errorKind names the cause of a failed operation, for counting.
func errorKind(err error) string {
	switch {
	case errors.Is(err, chord.ErrStopped):
		return "origin down"
	case errors.Is(err, chord.ErrNotJoined):
		return "origin not in a ring"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, dht.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, chord.ErrLookupFailed):
		return "lookup failed"
	case errors.Is(err, chord.ErrNodeDown):
		return "node down"
	}
	return "other"
}

// namesIn replaces the addresses in s by node names.
func (c *Cluster) namesIn(s string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.replacerLocked().Replace(s)
}

// memberNames lists every node's name, in name order: the real nodes'
// with virtual nodes.
func (c *Cluster) memberNames() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.hosts) > 0 {
		out := make([]string, len(c.hosts))
		for i, h := range c.hosts {
			out[i] = h.name
		}
		return out
	}
	out := make([]string, len(c.members))
	for i, m := range c.members {
		out[i] = m.name
	}
	return out
}

// pathLength is an operation's path to the owner as the Chord paper
// counts hops: the lookup's calls that answered, plus the operation's own
// call to the owner when the lookup took it without one (trusted, or
// vouched for); none when the origin owns the key.
func pathLength(lr chord.LookupResult) int {
	switch lr.OwnerCheck {
	case chord.OwnerTrusted, chord.OwnerVouched, chord.OwnerHeard:
		return lr.Hops + 1
	}
	return lr.Hops
}
