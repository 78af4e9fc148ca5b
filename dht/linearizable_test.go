package dht

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/chordtui/chordtui/chord"
)

// The linearizability tests record, per key, the history of a register
// (get, set, del with their call and return times) from clients running
// at the same time as a seeded schedule of faults, and check it with
// porcupine. A write that failed may or may not have happened: it is
// recorded as returning at the end of time, so the checker may place it
// anywhere after its call, or after everything (not at all). A failed read
// tells nothing and is left out.

// linIn is one operation on a key: 'g' get, 's' set, 'd' del, 'i'
// increment (an Update that adds one to a decimal value, "" counting as 0).
type linIn struct {
	op         byte
	key, value string
}

// linOut is what a get returned.
type linOut struct {
	found bool
	value string
}

// registerModel is a map of registers, partitioned by key: the state of
// one key is its value, "" when absent (written values are never empty).
var registerModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(linIn).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in, st := input.(linIn), state.(string)
		switch in.op {
		case 'g':
			out := output.(linOut)
			got := ""
			if out.found {
				got = out.value
			}
			return got == st, st
		case 's':
			return true, in.value
		case 'i':
			n, _ := strconv.Atoi(st)
			next := strconv.Itoa(n + 1)
			if out := output.(linOut); out.found {
				return out.value == next, next
			}
			return true, next // failed: it may have happened (or never: placed last)
		}
		return true, ""
	},
	DescribeOperation: func(input, output any) string {
		return describeOp(input.(linIn), output)
	},
}

func describeOp(in linIn, output any) string {
	switch in.op {
	case 'g':
		out, _ := output.(linOut)
		if !out.found {
			return fmt.Sprintf("get %s -> not found", in.key)
		}
		return fmt.Sprintf("get %s -> %s", in.key, out.value)
	case 's':
		return fmt.Sprintf("set %s %s", in.key, in.value)
	case 'i':
		if out, _ := output.(linOut); out.found {
			return fmt.Sprintf("incr %s -> %s", in.key, out.value)
		}
		return "incr " + in.key + " -> failed"
	}
	return "del " + in.key
}

// nemStep is one step of a fault schedule.
type nemStep struct {
	Kind string // join, leave, crash, pause, delay, drop, maint, repair
	N    int    // join: how many nodes at once
	Pick int    // which node (index into the live nodes, modulo their number)
	D    time.Duration
	P    float64
}

func (s nemStep) String() string {
	switch s.Kind {
	case "join":
		return fmt.Sprintf("join %d", s.N)
	case "leave", "crash":
		return fmt.Sprintf("%s #%d", s.Kind, s.Pick)
	case "pause", "delay":
		return fmt.Sprintf("%s #%d %v", s.Kind, s.Pick, s.D)
	case "drop":
		return fmt.Sprintf("drop #%d %.0f%%", s.Pick, 100*s.P)
	}
	return s.Kind
}

// linConfig shapes one run.
type linConfig struct {
	nodes, clients, maxOps, keys int
	rpc                          time.Duration
	netmux                       bool
	incr                         bool          // clients get and increment instead of get, set and del
	mutate                       func(*Config) // changes the stores' config (cache_lin_test.go)
}

// schedule is genSchedule for cfg: every kind of step, increments too.
func (cfg linConfig) schedule(seed int64, n int) []nemStep {
	return genSchedule(seed, n, cfg.rpc)
}

// genSchedule draws a schedule of n steps from seed.
func genSchedule(seed int64, n int, rpc time.Duration) []nemStep {
	rng := rand.New(rand.NewSource(seed))
	steps := make([]nemStep, 0, n)
	for len(steps) < n {
		s := nemStep{Pick: rng.Intn(64)}
		switch x := rng.Intn(100); {
		case x < 22:
			s.Kind, s.N = "join", 1+rng.Intn(4)
		case x < 32:
			s.Kind = "leave"
		case x < 44:
			s.Kind = "crash"
		case x < 56:
			s.Kind, s.D = "pause", rpc/8+time.Duration(rng.Int63n(int64(rpc/4)))
		case x < 64:
			s.Kind, s.D = "delay", time.Duration(rng.Int63n(int64(rpc/20)))+100*time.Microsecond
		case x < 70:
			s.Kind, s.P = "drop", 0.05+0.1*rng.Float64()
		case x < 92:
			s.Kind = "maint"
		default:
			s.Kind = "repair"
		}
		steps = append(steps, s)
	}
	return steps
}

// linRun is one run of a schedule: a ring, its clients and the history.
type linRun struct {
	t    testing.TB
	r    *testRing
	cfg  linConfig
	base time.Time
	keys []string

	mu      sync.Mutex
	moved   *sync.Cond  // signalled when an operation ends or a client stops
	ops     int         // operations ended
	stopped int         // clients that stopped
	pool    []*testNode // the nodes clients may go through
	history []porcupine.Operation
	notes   []string // what the schedule did, for the report
	faults  int      // fault steps carried out
}

// waitOps blocks until n operations ended, every client stopped, or a
// deadline passed: the schedule's steps are spread over the clients' work.
func (l *linRun) waitOps(n int) {
	deadline := time.AfterFunc(2*time.Second, func() {
		l.mu.Lock()
		l.stopped = math.MaxInt32
		l.mu.Unlock()
		l.moved.Broadcast()
	})
	defer deadline.Stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.ops < n && l.stopped < l.cfg.clients {
		l.moved.Wait()
	}
}

func (l *linRun) note(format string, args ...any) {
	l.mu.Lock()
	l.notes = append(l.notes, fmt.Sprintf("%8.2fms ", l.now()/1e6)+fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *linRun) now() float64 { return float64(time.Since(l.base)) }

func (l *linRun) pick(rng *rand.Rand) *testNode {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pool[rng.Intn(len(l.pool))]
}

func (l *linRun) setPool() {
	l.mu.Lock()
	l.pool = l.r.live()
	l.mu.Unlock()
}

func (l *linRun) record(op *porcupine.Operation) {
	l.mu.Lock()
	if op != nil {
		l.history = append(l.history, *op)
	}
	l.ops++
	l.mu.Unlock()
	l.moved.Broadcast()
}

// client runs operations through random nodes until stop is closed or it
// has made maxOps.
func (l *linRun) client(id int, seed int64, stop <-chan struct{}) {
	defer func() {
		l.mu.Lock()
		l.stopped++
		l.mu.Unlock()
		l.moved.Broadcast()
	}()
	rng := rand.New(rand.NewSource(seed))
	for i := 0; i < l.cfg.maxOps; i++ {
		select {
		case <-stop:
			return
		default:
		}
		in := linIn{key: l.keys[rng.Intn(len(l.keys))]}
		switch x := rng.Intn(100); {
		case l.cfg.incr && x < 40:
			in.op = 'g'
		case l.cfg.incr:
			in.op = 'i'
		case x < 45:
			in.op = 'g'
		case x < 85:
			in.op, in.value = 's', fmt.Sprintf("c%d-%d", id, i)
		default:
			in.op = 'd'
		}
		l.do(id, l.pick(rng), in)
	}
}

// do runs one operation through via and records it.
func (l *linRun) do(id int, via *testNode, in linIn) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*l.cfg.rpc)
	defer cancel()
	call := time.Since(l.base).Nanoseconds()
	var out linOut
	var err error
	var what string // for DHT_TRACE
	switch in.op {
	case 'g':
		var res GetResult
		if id%2 == 1 {
			// Half the clients read as the RESP endpoint does: straight
			// to an owner the node remembers, without a lookup.
			res, err = via.store.GetDirect(ctx, in.key)
		} else {
			res, err = via.store.Get(ctx, in.key)
		}
		out = linOut{found: res.Found, value: string(res.Value)}
		what = fmt.Sprintf("owner %s fallback %v version %v wrote back %d cached %v by %s", res.Owner.Addr, res.Fallback, res.Version, res.WrittenBack, res.Cached, res.CachedBy.Addr)
		for _, h := range res.Lookup.Path { // the lookup's calls, and why each
			what += fmt.Sprintf(" [%s %s %s]", h.Node.Addr, h.Err, h.Reason)
		}
		what += fmt.Sprintf("; owner named by %s, %v", res.Lookup.OwnerNamedBy.Addr, res.Lookup.OwnerCheck)
	case 's':
		var res PutResult
		res, err = via.store.Set(ctx, in.key, []byte(in.value))
		what = fmt.Sprintf("owner %s version %v copies %d", res.Owner.Addr, res.Version, res.Copies)
	case 'i':
		var next string
		var res UpdateResult
		res, err = via.store.Update(ctx, in.key, func(v []byte, found bool) (Change, error) {
			n := 0
			if found {
				var perr error
				if n, perr = strconv.Atoi(string(v)); perr != nil {
					return Change{}, perr
				}
			}
			next = strconv.Itoa(n + 1)
			return Change{Value: []byte(next)}, nil
		})
		if err == nil {
			out = linOut{found: true, value: next}
		}
		what = fmt.Sprintf("read version %v, wrote version %v at %s after %d attempts", res.Read.Version, res.Put.Version, res.Put.Owner.Addr, res.Attempts)
	default:
		var res PutResult
		res, err = via.store.Del(ctx, in.key)
		what = fmt.Sprintf("owner %s version %v copies %d", res.Owner.Addr, res.Version, res.Copies)
	}
	ret := time.Since(l.base).Nanoseconds()
	if traceLin {
		l.note("client %d via %s: %s (%.2f-%.2f): %s err=%v", id, via.addr, describeOp(in, out), float64(call)/1e6, float64(ret)/1e6, what, err)
	}
	switch {
	case err != nil && in.op == 'g':
		l.record(nil) // a failed read tells nothing
		return
	case err != nil:
		ret = math.MaxInt64 // may take effect at any time after its call, or never
	}
	l.record(&porcupine.Operation{ClientId: id, Input: in, Call: call, Output: out, Return: ret})
}

// maintain runs one round of chord maintenance and dht repair on every
// live node, in a random order (no test failure: a schedule may leave the
// ring unsettled for a while).
func (l *linRun) maintain(rng *rand.Rand, repair bool) {
	ctx := context.Background()
	nodes := l.r.live()
	rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
	for _, n := range nodes {
		_ = n.node.CheckPredecessor(ctx)
		_ = n.node.Stabilize(ctx)
		_ = n.node.FixFingers(ctx)
		if repair {
			_ = n.store.Repair(ctx)
		}
	}
	l.r.clock.Advance(l.cfg.rpc) // rounds are that far apart: spare copies get dropped
}

// settle heals every fault and runs maintenance until the ring is ideal
// and every store is ready, then two more repair rounds.
func (l *linRun) settle(rng *rand.Rand) {
	ctx := context.Background()
	for _, n := range l.r.nodes {
		l.clearFaults(n.addr)
	}
	for round := 0; round < 60; round++ {
		for _, n := range l.r.live() {
			_ = n.node.CheckPredecessor(ctx)
			_ = n.node.Stabilize(ctx)
		}
		for _, n := range l.r.live() {
			_ = n.node.FixAllFingers(ctx)
		}
		var sts []chord.Status
		ready := true
		for _, n := range l.r.live() {
			sts = append(sts, n.node.Status())
			ready = ready && n.store.Ready()
		}
		if len(chord.CheckIdeal(sts, true)) == 0 && ready {
			break
		}
		l.maintain(rng, true)
	}
	l.maintain(rng, true)
	l.maintain(rng, true)
}

func (l *linRun) clearFaults(addr string) {
	if l.r.faults != nil {
		l.r.faults.SetDelay(addr, 0)
		l.r.faults.SetDrop(addr, 0)
		return
	}
	l.r.nw.SetDelay(addr, 0)
	l.r.nw.SetDrop(addr, 0)
}

// nemesis carries out the schedule, keeping fewer than r nodes failed
// (crashed, dropping messages, or paused past the RPC timeout) between two
// repairs, and at least SuccessorListLen+2 nodes live.
func (l *linRun) nemesis(steps []nemStep, seed int64) {
	ctx := context.Background()
	rng := rand.New(rand.NewSource(seed))
	failed := 0
	minLive := l.r.ccfg.SuccessorListLen + 2
	for i, s := range steps {
		l.waitOps((i + 1) * l.cfg.clients * l.cfg.maxOps / (len(steps) + 2))
		live := l.r.live()
		victim := live[s.Pick%len(live)]
		switch s.Kind {
		case "join":
			for i := 0; i < s.N; i++ {
				if err := l.r.tryAdd(); err != nil {
					l.note("join failed: %v", err)
				}
			}
			l.setPool()
			l.note("joined %d", s.N)
		case "leave":
			if len(live) <= minLive {
				continue
			}
			victim.up = false
			l.setPool()
			err := victim.store.Leave(ctx)
			l.note("%s left (%v)", victim.addr, err)
		case "crash", "drop":
			if len(live) <= minLive || failed >= l.r.cfg.Replicas-1 {
				continue
			}
			failed++
			if s.Kind == "crash" {
				l.r.crash(victim)
				l.setPool()
				l.note("%s crashed", victim.addr)
				break
			}
			if l.r.faults != nil {
				l.r.faults.SetDrop(victim.addr, s.P)
			} else {
				l.r.nw.SetDrop(victim.addr, s.P)
			}
			l.note("%s drops %.0f%% of its messages", victim.addr, 100*s.P)
		case "pause":
			if l.r.faults != nil {
				// netmux drops what a paused node reads: every call in the
				// pause fails, so a pause is a failure there.
				if failed >= l.r.cfg.Replicas-1 {
					continue
				}
				failed++
				l.r.faults.Pause(victim.addr)
				time.Sleep(s.D)
				l.r.faults.Resume(victim.addr)
			} else {
				l.r.nw.Pause(victim.addr)
				time.Sleep(s.D) // shorter than the RPC timeout: calls wait, none fails
				l.r.nw.Resume(victim.addr)
			}
			l.note("%s paused %v", victim.addr, s.D)
		case "delay":
			if l.r.faults != nil {
				l.r.faults.SetDelay(victim.addr, s.D)
			} else {
				l.r.nw.SetDelay(victim.addr, s.D)
			}
			l.note("%s delayed %v", victim.addr, s.D)
		case "maint":
			l.maintain(rng, true)
			l.note("maintenance round")
		case "repair":
			l.settle(rng)
			failed = 0
			l.note("healed and repaired")
		}
		if s.Kind != "maint" && s.Kind != "repair" {
			l.mu.Lock()
			l.faults++
			l.mu.Unlock()
		}
		l.maintain(rng, rng.Intn(2) == 0) // the ring keeps running between steps
	}
}

// linStats counts what one run did.
type linStats struct {
	reads, writes, unknown, failedReads, steps int
	unchecked                                  int // histories porcupine could not decide in time
}

func (s linStats) String() string {
	return fmt.Sprintf("%d reads (%d more failed), %d writes (%d with unknown outcome), %d fault steps, %d histories too long to check",
		s.reads, s.failedReads, s.writes, s.unknown, s.steps, s.unchecked)
}

// stats counts the history.
func (l *linRun) stats() linStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := linStats{failedReads: l.ops - len(l.history)}
	for _, op := range l.history {
		switch {
		case op.Input.(linIn).op == 'g':
			st.reads++
		case op.Return == math.MaxInt64:
			st.unknown++
			st.writes++
		default:
			st.writes++
		}
	}
	st.steps = l.faults
	return st
}

// runLin runs one schedule and checks the history. It returns "" when the
// history is linearizable, else a report of the failing key.
func runLin(t testing.TB, seed int64, steps []nemStep, cfg linConfig) string {
	rep, _ := runLinStats(t, seed, steps, cfg)
	return rep
}

func runLinStats(t testing.TB, seed int64, steps []nemStep, cfg linConfig) (string, linStats) {
	// r is 3, or 2 for every third seed (then one failure at a time).
	r := emptyTestRing(seed, nil, func(c *Config) {
		c.Replicas = 3 - int(seed%3/2)
		if cfg.mutate != nil {
			cfg.mutate(c)
		}
	})
	r.t = t
	r.next = int(seed%100) * 40 // another ring each seed
	r.ccfg.RPCTimeout = cfg.rpc
	if cfg.netmux {
		r.useNetmux(t)
	}
	var events chan chord.Event
	if traceLin {
		events = make(chan chord.Event, 1<<16)
		r.ccfg.Events = events
	}
	r.start(cfg.nodes)
	l := &linRun{t: t, r: r, cfg: cfg, base: time.Now()}
	l.moved = sync.NewCond(&l.mu)
	if events != nil {
		done := make(chan struct{})
		defer close(done)
		go func() { // exits when the run ends
			for {
				select {
				case e := <-events:
					switch e.Kind {
					case chord.EventKeysMoved, chord.EventPredecessorChanged, chord.EventSuccessorChanged, chord.EventJoined, chord.EventFailureDetected:
						l.note("event at %s: %v %s (old %s new %s)", e.Node.Addr, e.Kind, e.Detail, e.Old.Addr, e.New.Addr)
					}
				case <-done:
					return
				}
			}
		}()
	}
	for i := 0; i < cfg.keys; i++ {
		l.keys = append(l.keys, fmt.Sprintf("lin-%d", i))
	}
	l.setPool()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < cfg.clients; c++ {
		wg.Add(1)
		go func(c int) { // exits after maxOps operations or when stop closes
			defer wg.Done()
			l.client(c, seed*1000+int64(c), stop)
		}(c)
	}
	l.nemesis(steps, seed)
	close(stop)
	wg.Wait()
	rng := rand.New(rand.NewSource(seed))
	l.settle(rng)
	for _, k := range l.keys { // the last word, once everything is repaired
		l.do(cfg.clients, l.pick(rng), linIn{op: 'g', key: k})
	}
	res, info := porcupine.CheckOperationsVerbose(registerModel, l.history, 30*time.Second)
	switch res {
	case porcupine.Ok:
		return "", l.stats()
	case porcupine.Unknown:
		st := l.stats()
		st.unchecked = 1
		return "", st
	}
	return l.report(info), l.stats()
}

// report describes the first key whose history is not linearizable.
func (l *linRun) report(info porcupine.LinearizationInfo) string {
	var b strings.Builder
	for _, k := range l.keys {
		var ops []porcupine.Operation
		for _, op := range l.history {
			if op.Input.(linIn).key == k {
				ops = append(ops, op)
			}
		}
		if porcupine.CheckOperations(registerModel, ops) {
			continue
		}
		sort.Slice(ops, func(i, j int) bool { return ops[i].Call < ops[j].Call })
		fmt.Fprintf(&b, "key %s is not linearizable; its history (ms):\n", k)
		for _, op := range ops {
			ret := "   never"
			if op.Return != math.MaxInt64 {
				ret = fmt.Sprintf("%8.2f", float64(op.Return)/1e6)
			}
			fmt.Fprintf(&b, "  %8.2f %s  client %d  %s\n", float64(op.Call)/1e6, ret, op.ClientId, describeOp(op.Input.(linIn), op.Output))
		}
		break
	}
	_ = info
	b.WriteString("what the schedule did:\n")
	for _, n := range l.notes {
		b.WriteString("  " + n + "\n")
	}
	return b.String()
}

// shrink removes steps from a failing schedule while it still fails
// (each candidate is run up to tries times: runs are not deterministic).
func shrink(t testing.TB, seed int64, steps []nemStep, cfg linConfig, tries int) ([]nemStep, string) {
	last := ""
	for i := len(steps) - 1; i >= 0; i-- {
		cand := append(append([]nemStep(nil), steps[:i]...), steps[i+1:]...)
		for try := 0; try < tries; try++ {
			if rep := runLin(t, seed, cand, cfg); rep != "" {
				steps, last = cand, rep
				break
			}
		}
	}
	return steps, last
}

// traceLin (DHT_TRACE set) adds every operation to a failing run's report.
var traceLin = os.Getenv("DHT_TRACE") != ""

func schedulesFromEnv(def int) int {
	if v, err := strconv.Atoi(os.Getenv("DHT_SCHEDULES")); err == nil && v > 0 {
		return v
	}
	return def
}

// TestLinearizable runs seeded schedules of joins (several at once too),
// graceful leaves, crashes and message drops (fewer than r failed nodes
// between repairs), pauses and delays shorter than the RPC timeout, and
// maintenance rounds, while three clients read (one of them with
// GetDirect), write and delete three keys through random nodes of the
// in-memory ring (r = 3, or 2 for every
// third seed); porcupine must find
// every key's history linearizable. Four schedules run at a time (each on
// its own ring; they mostly wait on timeouts). A failing seed is printed
// with its schedule shrunk to the steps it still fails with.
//
// DHT_SCHEDULES=n runs n schedules instead of the default 500; DHT_SEED=s
// runs schedule s that many times; DHT_TRACE=1 adds every operation to the
// report of a failure.
func TestLinearizable(t *testing.T) {
	nodes := 6
	if v, err := strconv.Atoi(os.Getenv("DHT_NODES")); err == nil && v > 0 {
		nodes = v // DHT_NODES=n runs them on n nodes
	}
	checkSchedules(t, linConfig{nodes: nodes, clients: 3, maxOps: 20, keys: 3, rpc: 30 * time.Millisecond}, schedulesFromEnv(500))
}

// TestLinearizableIncr is TestLinearizable with clients that read and
// increment (Update, a read and a conditional write checked by every holder) two
// counters: every increment that succeeded returns the value it wrote, and
// the history must be that of counters incremented one at a time (no lost
// update, no value returned twice) under every fault of the schedules,
// joins, leaves and crashes that move a key's owner included.
// DHT_SCHEDULES=n runs n schedules instead of the default 100.
func TestLinearizableIncr(t *testing.T) {
	checkSchedules(t, linConfig{nodes: 6, clients: 3, maxOps: 20, keys: 2, rpc: 30 * time.Millisecond, incr: true}, schedulesFromEnv(100))
}

// checkSchedules runs n seeded schedules with cfg and fails with the first
// failing seed, its schedule shrunk.
func checkSchedules(t *testing.T, cfg linConfig, n int) {
	// DHT_SEED=s runs schedule s n times (runs are not deterministic).
	only, _ := strconv.ParseInt(os.Getenv("DHT_SEED"), 10, 64)
	// DHT_COUNT=1 runs all n schedules and counts the failing runs, without shrinking.
	count := os.Getenv("DHT_COUNT") == "1"
	const workers = 4
	seeds := make(chan int64)
	var mu sync.Mutex
	failed := map[int64]string{}
	var total linStats
	runsFailed := 0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() { // exits when seeds is closed
			defer wg.Done()
			for seed := range seeds {
				rep, st := runLinStats(t, seed, cfg.schedule(seed, 8), cfg)
				mu.Lock()
				if rep != "" {
					failed[seed] = rep
					runsFailed++
					if count {
						t.Logf("run %d: seed %d not linearizable\n%s", runsFailed, seed, rep)
					}
				}
				total.reads += st.reads
				total.writes += st.writes
				total.unknown += st.unknown
				total.failedReads += st.failedReads
				total.steps += st.steps
				total.unchecked += st.unchecked
				mu.Unlock()
			}
		}()
	}
	for seed := int64(1); seed <= int64(n); seed++ {
		mu.Lock()
		stop := len(failed) > 0 && !count
		mu.Unlock()
		if stop {
			break
		}
		if only > 0 {
			seeds <- only
			continue
		}
		seeds <- seed
	}
	close(seeds)
	wg.Wait()
	t.Logf("%d schedules: %v", n, total)
	if total.unchecked*100 > n {
		t.Errorf("porcupine could not decide %d of %d histories in 30 s", total.unchecked, n)
	}
	if len(failed) == 0 {
		return
	}
	if count {
		t.Fatalf("%d of %d runs not linearizable (seeds %v)", runsFailed, n, slices.Sorted(maps.Keys(failed)))
	}
	first := int64(math.MaxInt64)
	for seed := range failed {
		first = min(first, seed)
	}
	if only > 0 {
		first = only
	}
	steps := cfg.schedule(first, 8)
	small, rep := shrink(t, first, steps, cfg, 2)
	if rep == "" {
		rep = failed[first]
	}
	t.Fatalf("seed %d (of %d failing) not linearizable\nschedule: %v\nshrunk to: %v\n%s", first, len(failed), steps, small, rep)
}

// TestLinearizableNetmux is TestLinearizable over the real transport
// (yamux over TCP on 127.0.0.1, with netmux's fault table).
// DHT_NETMUX_SCHEDULES=n runs n schedules instead of the default 3.
func TestLinearizableNetmux(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets; skipped with -short")
	}
	n := 3
	if v, err := strconv.Atoi(os.Getenv("DHT_NETMUX_SCHEDULES")); err == nil && v > 0 {
		n = v
	}
	cfg := linConfig{nodes: 6, clients: 3, maxOps: 40, keys: 3, rpc: 200 * time.Millisecond, netmux: true}
	for seed := int64(1); seed <= int64(n); seed++ {
		steps := genSchedule(seed+1000, 10, cfg.rpc)
		rep, st := runLinStats(t, seed, steps, cfg)
		if rep != "" {
			t.Fatalf("seed %d: not linearizable\nschedule: %v\n%s", seed, steps, rep)
		}
		t.Logf("seed %d: %v; %v", seed, steps, st)
	}
}
