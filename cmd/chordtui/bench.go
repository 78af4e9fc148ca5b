package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// benchOptions are bench's own settings, beyond the cluster's.
type benchOptions struct {
	json          bool
	duration      time.Duration // per load phase
	maxOps        int           // per load phase
	clients       []int
	ops           []string
	keys          int
	killClients   int
	stableTimeout time.Duration
	monitor       time.Duration
	cpuProfile    string
	noKill        bool
	idleTimeout   time.Duration
	joinTimeout   time.Duration
}

// benchReport is everything "chordtui bench" measures; --json prints it.
type benchReport struct {
	Command    string `json:"command"`
	Date       string `json:"date"`
	GoVersion  string `json:"go_version"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	// LoadAvg is the machine's 1-minute load average at the start and at
	// the end of the run (/proc/loadavg): other processes compete for the CPU.
	LoadAvg []float64 `json:"load_avg"`

	Nodes          int     `json:"nodes"`
	Bits           int     `json:"bits"`
	Successors     int     `json:"successors"`
	Replicas       int     `json:"replicas"`
	StabilizeMS    float64 `json:"stabilize_ms"`
	FixFingersMS   float64 `json:"fix_fingers_ms"`
	CheckPredMS    float64 `json:"check_pred_ms"`
	LivenessMS     float64 `json:"liveness_ms"`
	MonitorMS      float64 `json:"monitor_ms"`
	Keys           int     `json:"keys"`
	PhaseSeconds   float64 `json:"phase_seconds"`
	StartToStableS float64 `json:"start_to_stable_s"`
	PreloadSeconds float64 `json:"preload_s"`
	PreloadErrors  int     `json:"preload_errors"`
	// IdleCores is the CPU the ring uses with no client (maintenance
	// rounds, the stable monitor), in cores.
	IdleCores      float64       `json:"idle_cores_used"`
	IdleTimeoutS   float64       `json:"idle_timeout_s"`
	JoinTimeoutS   float64       `json:"join_timeout_s"`
	RPCTimeoutMS   float64       `json:"rpc_timeout_ms"`
	HopsTheory     float64       `json:"hops_theory"` // ½·log2 N
	LookupHopsMean float64       `json:"lookup_hops_mean"`
	LookupHopsP99  int           `json:"lookup_hops_p99"`
	GetHopsMean    float64       `json:"get_hops_mean"`
	Floor          floorReport   `json:"floor"`
	Phases         []phaseReport `json:"phases"`
	Ratios         ratioReport   `json:"ratios"`
	KillOne        *killReport   `json:"kill_one"`
	KillAdjacent   *killReport   `json:"kill_adjacent"`
	Memory         memoryReport  `json:"memory"`
	Goals          []goalReport  `json:"goals"`
	CPUProfile     string        `json:"cpu_profile,omitempty"`
	TotalSeconds   float64       `json:"total_s"`
	// Failure says why the run stopped early (the ring did not become
	// stable, descriptors ran out); the figures measured until then stay.
	Failure string `json:"failure,omitempty"`
}

// phaseReport is one load phase: one operation with a number of concurrent
// clients, each from a random live origin and a random key.
type phaseReport struct {
	Op       string  `json:"op"` // lookup, get or set
	Clients  int     `json:"clients"`
	Ops      int     `json:"ops"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"ops_per_s"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	HopsMean float64 `json:"hops_mean"`
	HopsP99  int     `json:"hops_p99"`
	// CPUus is the process's CPU time (user+sys, maintenance included) per
	// operation: a figure other processes on the machine disturb less than
	// latency; CPUShare is that CPU time over the phase's wall time (2 = both
	// cores of this machine busy with chordtui).
	CPUus    float64 `json:"cpu_us_per_op"`
	CPUShare float64 `json:"cpu_cores_used"`
	// OpenFDs is the number of open descriptors at the end of the phase.
	OpenFDs int `json:"open_fds_after"`
	// FirstError is the first failure's message, if any.
	FirstError string `json:"first_error,omitempty"`
}

// ratioReport compares the ring's figures with the loopback floor.
type ratioReport struct {
	NetmuxOverTCP   float64 `json:"netmux_call_over_raw_tcp"`
	NetmuxOverYamux float64 `json:"netmux_call_over_yamux_stream"`
	GetOverTCP      float64 `json:"get_p50_over_raw_tcp"`
	GetOverYamux    float64 `json:"get_p50_over_yamux_stream"`
	// GetOverBound is get p50 / ((hops+1)·2·raw TCP): ≤ 1 meets the goal.
	GetOverBound float64 `json:"get_p50_over_goal_bound"`
}

// killReport is one crash experiment: the nodes killed at once, the time
// until the ring was stable again, and the gets run meanwhile.
type killReport struct {
	Killed  []string `json:"killed"`
	Stable  bool     `json:"stable"`
	StableS float64  `json:"stable_s"`
	// Gets were run by KillClients clients from random surviving origins
	// between the first kill and the stable ring; FailedGets returned an
	// error, "not found" or a wrong value.
	Gets       int     `json:"gets"`
	FailedGets int     `json:"failed_gets"`
	GetP99us   float64 `json:"get_p99_us"`
	GetMaxus   float64 `json:"get_max_us"`
	FirstError string  `json:"first_error,omitempty"`
	Skipped    string  `json:"skipped,omitempty"`
}

// memoryReport is the process's footprint with N nodes running and every
// key placed, before the load phases.
type memoryReport struct {
	RSSMB      float64 `json:"rss_mb"`
	PeakRSSMB  float64 `json:"peak_rss_mb"` // VmHWM at the end of the run
	HeapMB     float64 `json:"go_heap_mb"`  // runtime.MemStats.HeapInuse
	StackMB    float64 `json:"go_stack_mb"` // runtime.MemStats.StackInuse
	GoSysMB    float64 `json:"go_sys_mb"`   // runtime.MemStats.Sys
	Goroutines int     `json:"goroutines"`
	OpenFDs    int     `json:"open_fds"`
	// PeakFDs is the most descriptors seen open (sampled every 250 ms while
	// waiting for a stable ring), FDLimit the process's RLIMIT_NOFILE.
	PeakFDs    int     `json:"peak_open_fds"`
	FDLimit    int     `json:"fd_limit"`
	RSSAfterMB float64 `json:"rss_after_load_mb"`
	FDsPerNode float64 `json:"fds_per_node"`
}

// goalReport is one goal of issue #7 and whether this run met it. Met is
// null when the goal does not apply at this N.
type goalReport struct {
	Figure string `json:"figure"`
	Value  string `json:"value"`
	Goal   string `json:"goal"`
	Met    *bool  `json:"met"`
}

// runBench implements "chordtui bench [flags] N". Exit status: 0 when the
// run completed (whether or not goals were met), 1 when it stopped early
// (the report of what was measured is still printed) or could not start,
// 2 for bad flags or arguments.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chordtui bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := addClusterFlags(fs)
	var opts benchOptions
	clients, ops := "1,16", "lookup,get,set"
	fs.BoolVar(&opts.json, "json", false, "print one JSON object instead of the tables")
	fs.DurationVar(&opts.duration, "duration", 2*time.Second, "length of each load phase (lookup, get, set × each client count)")
	fs.IntVar(&opts.maxOps, "max-ops", 1_000_000, "most operations of one load phase")
	fs.StringVar(&clients, "clients", clients, "comma-separated concurrent client counts of the load phases")
	fs.StringVar(&ops, "ops", ops, "comma-separated load phases to run: lookup, get, set")
	fs.IntVar(&opts.keys, "keys", 1000, "keys written before the load phases (and read during them)")
	fs.IntVar(&opts.killClients, "kill-clients", 4, "concurrent getters while nodes are killed (0: no gets)")
	fs.DurationVar(&opts.stableTimeout, "stable-timeout", 120*time.Second, "give up waiting for a stable ring after this long")
	fs.DurationVar(&opts.monitor, "monitor", cluster.DefaultConfig().MonitorInterval, "how often the stable condition is evaluated: the resolution of every \"→ stable\" time (this up to 64 nodes; above, it grows with N unless given)")
	fs.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (after the loopback floor) to this file")
	fs.BoolVar(&opts.noKill, "no-kill", false, "skip the crash experiments")
	fs.DurationVar(&opts.joinTimeout, "join-timeout", cluster.DefaultConfig().JoinTimeout, "give up on one node's join (retries included) after this long; every node joins through n0 at once")
	fs.DurationVar(&opts.idleTimeout, "idle-timeout", cluster.DefaultConfig().Net.IdleTimeout, "close a connection between two nodes after this long without a call (bounds descriptors at large N)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: chordtui bench [flags] N\n\n"+
			"Starts N Chord nodes on 127.0.0.1 (yamux over loopback) and measures: start → stable,\n"+
			"lookup/get/set latency and throughput from random origins, hops per lookup, kill → stable\n"+
			"with the gets failed meanwhile, memory and file descriptors, and the loopback floor.\n"+
			"Exit status: 0 the run completed (goals met or not), 1 it stopped early (the figures measured\n"+
			"until then are still printed), 2 bad flags or arguments.\n\nflags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	bad := func(err error) int {
		fmt.Fprintf(stderr, "chordtui bench: %v\n", err)
		return 2
	}
	n, err := parseNodeCount(pos)
	if err != nil {
		return bad(err)
	}
	if opts.clients, err = parseClientList(clients); err != nil {
		return bad(err)
	}
	if opts.ops, err = parseOpList(ops); err != nil {
		return bad(err)
	}
	switch {
	case opts.duration <= 0:
		return bad(fmt.Errorf("--duration must be positive, got %v", opts.duration))
	case opts.maxOps < 1:
		return bad(fmt.Errorf("--max-ops must be at least 1, got %d", opts.maxOps))
	case opts.keys < 1:
		return bad(fmt.Errorf("--keys must be at least 1, got %d", opts.keys))
	case opts.killClients < 0:
		return bad(fmt.Errorf("--kill-clients must not be negative, got %d", opts.killClients))
	case opts.stableTimeout <= 0:
		return bad(fmt.Errorf("--stable-timeout must be positive, got %v", opts.stableTimeout))
	case opts.joinTimeout <= 0:
		return bad(fmt.Errorf("--join-timeout must be positive, got %v", opts.joinTimeout))
	case opts.idleTimeout < 0:
		return bad(fmt.Errorf("--idle-timeout must not be negative, got %v", opts.idleTimeout))
	case opts.monitor <= 0:
		return bad(fmt.Errorf("--monitor must be positive, got %v", opts.monitor))
	}
	cfg, closeLog, err := cf.config(n)
	if err != nil {
		return bad(err)
	}
	defer closeLog()
	if cf.isSet("monitor") {
		cfg.MonitorInterval = opts.monitor
	}
	cfg.Net.IdleTimeout = opts.idleTimeout
	cfg.JoinTimeout = opts.joinTimeout
	seed := cf.seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	b := &bencher{
		cfg: cfg, opts: opts, rng: rand.New(rand.NewPCG(uint64(seed), 0xbe7c4)),
		progress: stderr,
	}
	if opts.json {
		b.progress = io.Discard
	}
	rep, err := b.run(ctx, "chordtui bench "+strings.Join(args, " "))
	if err != nil {
		fmt.Fprintf(stderr, "chordtui bench: %v\n", err)
		return 1
	}
	code := 0
	if rep.Failure != "" {
		fmt.Fprintf(stderr, "chordtui bench: %s\n", rep.Failure)
		code = 1
	}
	if opts.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "chordtui bench: %v\n", err)
			return 1
		}
		return code
	}
	writeBenchTables(stdout, rep)
	return code
}

// parseClientList reads "1,16".
func parseClientList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 || c > 1024 {
			return nil, fmt.Errorf("--clients: %q is not a client count from 1 to 1024 (example: 1,16)", f)
		}
		out = append(out, c)
	}
	return out, nil
}

// parseOpList reads "lookup,get,set" (any subset, in any order).
func parseOpList(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		op := strings.TrimSpace(f)
		if op != "lookup" && op != "get" && op != "set" {
			return nil, fmt.Errorf("--ops: %q is not lookup, get or set (example: lookup,get)", f)
		}
		if !slices.Contains(out, op) {
			out = append(out, op)
		}
	}
	return out, nil
}

// bencher runs one benchmark.
type bencher struct {
	cfg      cluster.Config
	opts     benchOptions
	rng      *rand.Rand // used by the main goroutine only
	progress io.Writer  // one line per step, for a person waiting
	c        *cluster.Cluster
	keys     []keyRec
	fdLimit  int
	peakFDs  int
	began    time.Time
}

func (b *bencher) say(format string, args ...any) {
	fmt.Fprintf(b.progress, "bench: "+format+"\n", args...)
}

// benchKey and benchValue name the i-th key and its value, so every read
// can be checked.
func benchKey(i int) string { return fmt.Sprintf("bench-%06d", i) }

func benchValue(key string) []byte {
	return []byte("value-of-" + key + "-0123456789abcdef0123456789abcdef")
}

// keyRec is one key of the run, prepared once so the load loops measure
// the ring and not the formatting and hashing of keys.
type keyRec struct {
	name  string
	value []byte
	id    chord.ID
}

func makeKeys(n, bits int) []keyRec {
	out := make([]keyRec, n)
	for i := range out {
		k := benchKey(i)
		out[i] = keyRec{name: k, value: benchValue(k), id: chord.HashID(bits, []byte(k))}
	}
	return out
}

// run measures everything, in an order that keeps one figure from
// disturbing the next: the loopback floor before any node exists, then
// start → stable, the keys, memory, the load phases and the crashes last.
func (b *bencher) run(ctx context.Context, command string) (*benchReport, error) {
	began := time.Now()
	b.began = began
	n := b.cfg.Nodes
	rep := &benchReport{
		Command: command, Date: began.UTC().Format(time.RFC3339),
		GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(),
		Nodes: n, Bits: b.cfg.Chord.Bits, Successors: b.cfg.Chord.SuccessorListLen, Replicas: b.cfg.DHT.Replicas,
		StabilizeMS:  ms(b.cfg.Chord.StabilizeInterval),
		FixFingersMS: ms(b.cfg.Chord.FixFingersInterval),
		CheckPredMS:  ms(b.cfg.Chord.CheckPredecessorInterval),
		LivenessMS:   ms(b.cfg.Chord.LivenessWindow),
		MonitorMS:    ms(b.cfg.MonitorInterval),
		IdleTimeoutS: b.cfg.Net.IdleTimeout.Seconds(),
		JoinTimeoutS: b.cfg.JoinTimeout.Seconds(),
		RPCTimeoutMS: ms(b.cfg.Chord.RPCTimeout),
		Keys:         b.opts.keys, PhaseSeconds: b.opts.duration.Seconds(),
		HopsTheory: 0.5 * math.Log2(float64(n)),
		LoadAvg:    []float64{loadAvg()},
	}

	b.say("loopback floor (raw TCP, yamux stream, netmux call)")
	floor, err := measureFloor(ctx, min(b.opts.duration, time.Second), b.opts.maxOps)
	if err != nil {
		return nil, err
	}
	rep.Floor = floor
	debug.FreeOSMemory() // the floor's buffers are not the ring's memory

	if b.opts.cpuProfile != "" {
		f, err := os.Create(b.opts.cpuProfile)
		if err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
		rep.CPUProfile = b.opts.cpuProfile
	}

	b.say("starting %d nodes", n)
	b.fdLimit = fdLimit() // Start raises it; read it again below
	startedAt := time.Now()
	c, err := cluster.Start(ctx, b.cfg)
	if err != nil {
		return b.fail(ctx, rep, err)
	}
	b.c = c
	b.fdLimit = fdLimit()
	b.say("all %d nodes joined %.1f s after start; waiting for a stable ring", n, time.Since(startedAt).Seconds())
	drained := make(chan struct{})
	go func() { // exits when Close closes the event channel
		defer close(drained)
		for range c.Events() {
		}
	}()
	defer func() {
		c.Close()
		<-drained
	}()
	took, err := b.waitStable(ctx, "start")
	if err != nil {
		return b.fail(ctx, rep, err)
	}
	rep.StartToStableS = took.Seconds()
	b.say("stable %.3f s after start", took.Seconds())

	b.keys = makeKeys(b.opts.keys, b.cfg.Chord.Bits)
	b.say("writing %d keys", b.opts.keys)
	t0 := time.Now()
	rep.PreloadErrors, err = b.preload(ctx)
	rep.PreloadSeconds = time.Since(t0).Seconds()
	if err != nil {
		return nil, err
	}
	if _, err := b.waitStable(ctx, "after writing the keys"); err != nil {
		return b.fail(ctx, rep, err)
	}
	rep.Memory = measureMemory(n)

	var lookupHops, getHops []int
	b.say("idle (maintenance only) for %v", min(b.opts.duration, time.Second))
	rep.IdleCores, err = idleCores(ctx, min(b.opts.duration, time.Second))
	if err != nil {
		return nil, err
	}
	for _, op := range b.opts.ops {
		for _, clients := range b.opts.clients {
			b.say("%s with %d client(s) for %v", op, clients, b.opts.duration)
			pr, hops, err := b.phase(ctx, op, clients)
			if err != nil {
				return nil, err
			}
			rep.Phases = append(rep.Phases, pr)
			switch op {
			case "lookup":
				lookupHops = append(lookupHops, hops...)
			case "get":
				if clients == b.opts.clients[0] {
					getHops = append(getHops, hops...)
				}
			}
		}
	}
	slices.Sort(lookupHops)
	rep.LookupHopsMean, rep.LookupHopsP99 = meanInts(lookupHops), percentileInt(lookupHops, 0.99)
	rep.GetHopsMean = meanInts(getHops)

	if !b.opts.noKill {
		if _, err := b.waitStable(ctx, "before the crashes"); err != nil {
			return b.fail(ctx, rep, err)
		}
		b.say("kill one node")
		rep.KillOne, err = b.kill(ctx, 1)
		if err != nil {
			return nil, err
		}
		adj := b.cfg.DHT.Replicas - 1
		if rep.KillOne.Stable {
			b.say("kill %d adjacent node(s)", adj)
			rep.KillAdjacent, err = b.kill(ctx, adj)
			if err != nil {
				return nil, err
			}
		} else {
			rep.KillAdjacent = &killReport{Skipped: "the ring was not stable after the first kill"}
		}
	}
	b.finish(rep)
	return rep, nil
}

// finish fills the figures taken at the end of every run.
func (b *bencher) finish(rep *benchReport) {
	rep.Memory.RSSAfterMB = procStatusMB("VmRSS")
	rep.Memory.PeakRSSMB = procStatusMB("VmHWM")
	rep.Memory.PeakFDs, rep.Memory.FDLimit = max(b.peakFDs, rep.Memory.OpenFDs), b.fdLimit
	rep.Ratios = ratios(rep)
	rep.Goals = goals(rep)
	rep.LoadAvg = append(rep.LoadAvg, loadAvg())
	rep.TotalSeconds = time.Since(b.began).Seconds()
}

// fail ends a run early: the report keeps what was measured and says why.
// A cancelled run (ctx) is an error, not a report.
func (b *bencher) fail(ctx context.Context, rep *benchReport, err error) (*benchReport, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	rep.Failure = err.Error()
	if rep.Memory.RSSMB == 0 {
		rep.Memory = measureMemory(rep.Nodes)
	}
	b.finish(rep)
	return rep, nil
}

// waitStable waits until the ring is stable, at most --stable-timeout, and
// returns how long it took after the last fault. It samples the open
// descriptors meanwhile and gives up at once when they run out: past that
// point nodes cannot connect and the wait would only time out.
func (b *bencher) waitStable(ctx context.Context, what string) (time.Duration, error) {
	deadline := time.Now().Add(b.opts.stableTimeout)
	tick := time.NewTicker(max(b.cfg.MonitorInterval/2, 5*time.Millisecond))
	defer tick.Stop()
	var sampled time.Time
	told := time.Now()
	for {
		ok, took, why := b.c.Stable()
		if ok {
			return took, nil
		}
		now := time.Now()
		if now.Sub(told) >= 5*time.Second {
			told = now
			b.say("%s: not stable yet (%.0f s): %s", what, now.Sub(b.began).Seconds(), why)
		}
		if now.Sub(sampled) >= 250*time.Millisecond {
			sampled = now
			fds := openFDs()
			b.peakFDs = max(b.peakFDs, fds)
			if b.fdLimit > 0 && (fds < 0 || fds >= b.fdLimit-32) {
				b.peakFDs = max(b.peakFDs, b.fdLimit)
				return 0, fmt.Errorf("%s: the process ran out of file descriptors (limit %d) — %s", what, b.fdLimit, why)
			}
		}
		if now.After(deadline) {
			return 0, fmt.Errorf("%s: not stable after %v — %s", what, b.opts.stableTimeout, why)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
		}
	}
}

// preload writes every key once from random origins with 16 writers and
// returns how many writes failed.
func (b *bencher) preload(ctx context.Context) (int, error) {
	live := b.c.LiveNodes()
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for w := range 16 {
		rng := rand.New(rand.NewPCG(b.rng.Uint64(), uint64(w)))
		wg.Add(1)
		go func() { // exits when every key is written or ctx ends
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= b.opts.keys {
					return
				}
				k := b.keys[i]
				origin := live[rng.IntN(len(live))]
				if _, err := origin.Store.Set(ctx, k.name, k.value); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return int(failed.Load()), err
	}
	return int(failed.Load()), nil
}

// opResult is what one load operation reports.
type opResult struct {
	hops int
	err  error
}

// doOp runs one operation of a load phase on key k from origin.
func doOp(ctx context.Context, op string, origin cluster.LiveNode, k *keyRec) opResult {
	switch op {
	case "lookup":
		lr, err := origin.Node.Lookup(ctx, k.id)
		return opResult{lr.Hops, err}
	case "get":
		gr, err := origin.Store.Get(ctx, k.name)
		if err == nil && !gr.Found {
			err = fmt.Errorf("get %s from %s: not found", k.name, origin.Name)
		} else if err == nil && !bytes.Equal(gr.Value, k.value) {
			err = fmt.Errorf("get %s from %s: wrong value %q", k.name, origin.Name, gr.Value)
		}
		return opResult{gr.Lookup.Hops, err}
	default:
		pr, err := origin.Store.Set(ctx, k.name, k.value)
		return opResult{pr.Lookup.Hops, err}
	}
}

// loadWorker is one client's share of a load loop.
type loadWorker struct {
	lat    []time.Duration
	hops   []int
	errors int
	first  error
}

// loadLoop runs op from clients concurrent clients, each picking a random
// origin among live and a random key, until stop returns true or maxOps
// operations were started; it returns the clients' records.
func (b *bencher) loadLoop(ctx context.Context, op string, clients int, live []cluster.LiveNode, stop func() bool) []*loadWorker {
	var started atomic.Int64
	ws := make([]*loadWorker, clients)
	var wg sync.WaitGroup
	for w := range ws {
		lw := &loadWorker{}
		ws[w] = lw
		rng := rand.New(rand.NewPCG(b.rng.Uint64(), uint64(w)))
		wg.Add(1)
		go func() { // exits when stop says so, after maxOps, or when ctx ends
			defer wg.Done()
			for ctx.Err() == nil && !stop() && started.Add(1) <= int64(b.opts.maxOps) {
				origin := live[rng.IntN(len(live))]
				k := &b.keys[rng.IntN(len(b.keys))]
				t0 := time.Now()
				r := doOp(ctx, op, origin, k)
				lw.lat = append(lw.lat, time.Since(t0))
				if r.err != nil {
					lw.errors++
					if lw.first == nil {
						lw.first = r.err
					}
					continue
				}
				lw.hops = append(lw.hops, r.hops)
			}
		}()
	}
	wg.Wait()
	return ws
}

// phase runs one load phase and returns its report and every successful
// operation's hop count.
func (b *bencher) phase(ctx context.Context, op string, clients int) (phaseReport, []int, error) {
	live := b.c.LiveNodes()
	if len(live) == 0 {
		return phaseReport{}, nil, errors.New("no live node")
	}
	began := time.Now()
	cpu0 := processCPU()
	end := began.Add(b.opts.duration)
	ws := b.loadLoop(ctx, op, clients, live, func() bool { return time.Now().After(end) })
	elapsed := time.Since(began)
	cpu := processCPU() - cpu0
	if err := ctx.Err(); err != nil {
		return phaseReport{}, nil, err
	}
	lat, hops, errs, first := merge(ws)
	pr := phaseReport{
		Op: op, Clients: clients, Ops: len(lat), Errors: errs, Seconds: elapsed.Seconds(),
		PerSec: float64(len(lat)-errs) / elapsed.Seconds(),
		P50us:  micros(percentile(lat, 0.5)), P99us: micros(percentile(lat, 0.99)),
		HopsMean: meanInts(hops), HopsP99: percentileInt(hops, 0.99),
		CPUShare: round2(cpu.Seconds() / elapsed.Seconds()),
		OpenFDs:  openFDs(),
	}
	b.peakFDs = max(b.peakFDs, pr.OpenFDs)
	if len(lat) > 0 {
		pr.CPUus = micros(cpu / time.Duration(len(lat)))
	}
	if first != nil {
		pr.FirstError = first.Error()
	}
	return pr, hops, nil
}

// merge combines the workers' records: sorted latencies, sorted hops, the
// error count and the first error.
func merge(ws []*loadWorker) ([]time.Duration, []int, int, error) {
	var lat []time.Duration
	var hops []int
	errs := 0
	var first error
	for _, w := range ws {
		lat = append(lat, w.lat...)
		hops = append(hops, w.hops...)
		errs += w.errors
		if first == nil {
			first = w.first
		}
	}
	sortDurations(lat)
	slices.Sort(hops)
	return lat, hops, errs, first
}

// kill crashes count ring-adjacent live nodes at once (a random run) while
// KillClients clients read the keys from random surviving origins, and
// measures how long the ring takes to be stable again.
func (b *bencher) kill(ctx context.Context, count int) (*killReport, error) {
	live := b.c.LiveNodes()
	if count < 1 || len(live) <= count {
		return &killReport{Skipped: fmt.Sprintf("%d live node(s): killing %d would leave none", len(live), count)}, nil
	}
	ring := slices.Clone(live)
	sort.Slice(ring, func(i, j int) bool { return ring[i].ID.Cmp(ring[j].ID) < 0 })
	first := b.rng.IntN(len(ring))
	victims := map[string]bool{}
	kr := &killReport{}
	for j := range count {
		v := ring[(first+j)%len(ring)]
		victims[v.Name] = true
		kr.Killed = append(kr.Killed, v.Name)
	}
	var survivors []cluster.LiveNode
	for _, m := range live {
		if !victims[m.Name] {
			survivors = append(survivors, m)
		}
	}

	var done atomic.Bool
	wsc := make(chan []*loadWorker, 1)
	if b.opts.killClients > 0 {
		go func() { // exits when done is set (after the ring is stable or the wait failed)
			wsc <- b.loadLoop(ctx, "get", b.opts.killClients, survivors, done.Load)
		}()
	}
	t0 := time.Now()
	for _, name := range kr.Killed {
		if err := b.c.Kill(name); err != nil {
			done.Store(true)
			if b.opts.killClients > 0 {
				<-wsc
			}
			return nil, err
		}
	}
	spread := time.Since(t0) // the cluster measures from the last kill
	took, werr := b.waitStable(ctx, "after kill "+strings.Join(kr.Killed, " "))
	done.Store(true)
	if b.opts.killClients > 0 {
		lat, _, errs, firstErr := merge(<-wsc)
		kr.Gets, kr.FailedGets = len(lat), errs
		kr.GetP99us = micros(percentile(lat, 0.99))
		if len(lat) > 0 {
			kr.GetMaxus = micros(lat[len(lat)-1])
		}
		if firstErr != nil {
			kr.FirstError = firstErr.Error()
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if werr != nil {
		kr.FirstError = strings.TrimSpace(kr.FirstError + "; " + werr.Error())
		return kr, nil
	}
	kr.Stable, kr.StableS = true, (took + spread).Seconds()
	return kr, nil
}

// measureMemory reads the process's footprint now.
func measureMemory(nodes int) memoryReport {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds := openFDs()
	return memoryReport{
		RSSMB:      procStatusMB("VmRSS"),
		HeapMB:     float64(ms.HeapInuse) / (1 << 20),
		StackMB:    float64(ms.StackInuse) / (1 << 20),
		GoSysMB:    float64(ms.Sys) / (1 << 20),
		Goroutines: runtime.NumGoroutine(),
		OpenFDs:    fds,
		FDsPerNode: float64(fds) / float64(nodes),
	}
}

// procStatusMB reads a kB field of /proc/self/status in MB (0 when the
// file is missing, as off Linux).
func procStatusMB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
		if err != nil {
			return 0
		}
		return kb / 1024
	}
	return 0
}

// idleCores measures the process's CPU use over d with no client running.
func idleCores(ctx context.Context, d time.Duration) (float64, error) {
	t0, cpu0 := time.Now(), processCPU()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(d):
	}
	return round2((processCPU() - cpu0).Seconds() / time.Since(t0).Seconds()), nil
}

// loadAvg reads the 1-minute load average (0 off Linux).
func loadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// openFDs counts the entries of /proc/self/fd (-1 when it cannot be read).
func openFDs() int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(es) - 1 // ReadDir's own descriptor
}

// ratios compares the figures with the loopback floor.
func ratios(rep *benchReport) ratioReport {
	var r ratioReport
	f := rep.Floor
	r.NetmuxOverTCP = ratio(f.NetmuxCallP50us, f.RawTCPP50us)
	r.NetmuxOverYamux = ratio(f.NetmuxCallP50us, f.YamuxStreamP50us)
	if g, ok := rep.phase("get", 0); ok {
		r.GetOverTCP = ratio(g.P50us, f.RawTCPP50us)
		r.GetOverYamux = ratio(g.P50us, f.YamuxStreamP50us)
		r.GetOverBound = ratio(g.P50us, (rep.GetHopsMean+1)*2*f.RawTCPP50us)
	}
	return r
}

// phase returns the load phase of op with the given client count, or with
// the first client count when clients is 0.
func (rep *benchReport) phase(op string, clients int) (phaseReport, bool) {
	for _, p := range rep.Phases {
		if p.Op == op && (clients == 0 || p.Clients == clients) {
			return p, true
		}
	}
	return phaseReport{}, false
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round2(a / b)
}

// goals judges the run against the goals of issue #7 (2-core machine).
func goals(rep *benchReport) []goalReport {
	var out []goalReport
	add := func(figure, value, goal string, applies, met bool) {
		g := goalReport{Figure: figure, Value: value, Goal: goal}
		if applies {
			g.Met = &met
		} else {
			g.Goal = "— (" + goal + ")"
		}
		out = append(out, g)
	}
	n := rep.Nodes
	startGoal, startLimit := "≤ 1 s at N = 16", 1.0
	if n > 16 {
		startGoal, startLimit = "≤ 30 s at N = 1024", 30.0
	}
	startValue := fmt.Sprintf("%.3f s", rep.StartToStableS)
	if rep.StartToStableS == 0 {
		startValue = "not stable"
	}
	add("start → stable", startValue, startGoal,
		n == 16 || n == 1024, rep.StartToStableS > 0 && rep.StartToStableS <= startLimit)
	if p, ok := rep.phase("lookup", 16); ok {
		add("lookups/s, 16 clients", fmt.Sprintf("%.0f", p.PerSec), "≥ 40000 at N = 16", n == 16, p.PerSec >= 40000)
	}
	if g, ok := rep.phase("get", 0); ok {
		bound := (rep.GetHopsMean + 1) * 2 * rep.Floor.RawTCPP50us
		add(fmt.Sprintf("get p50, %d client(s)", g.Clients), fmt.Sprintf("%.0f µs", g.P50us),
			fmt.Sprintf("≤ (hops+1)·2·TCP = %.0f µs", bound), true, g.P50us <= bound)
	}
	for _, k := range []struct {
		name string
		kr   *killReport
		goal bool
	}{{"kill 1", rep.KillOne, true}, {"kill adjacent", rep.KillAdjacent, false}} {
		if k.kr == nil || k.kr.Skipped != "" {
			continue
		}
		name := k.name
		if !k.goal {
			name = fmt.Sprintf("kill %d adjacent", len(k.kr.Killed))
		}
		value := "not stable"
		if k.kr.Stable {
			value = fmt.Sprintf("%.3f s", k.kr.StableS)
		}
		add(name+" → stable", value, "≤ 0.5 s", k.goal, k.kr.Stable && k.kr.StableS <= 0.5)
		add(name+": failed gets", fmt.Sprintf("%d of %d", k.kr.FailedGets, k.kr.Gets), "0", true, k.kr.FailedGets == 0)
	}
	rssGoal, rssLimit := "≤ 15 MB at N = 16", 15.0
	if n > 16 {
		rssGoal, rssLimit = "≤ 60 MB at N = 256", 60.0
	}
	add("RSS at N", fmt.Sprintf("%.1f MB", rep.Memory.RSSMB), rssGoal, n == 16 || n == 256, rep.Memory.RSSMB <= rssLimit)
	add("peak open fds", strconv.Itoa(rep.Memory.PeakFDs), "< 20000", true, rep.Memory.PeakFDs < 20000)
	return out
}

// writeBenchTables prints the report as aligned tables.
func writeBenchTables(w io.Writer, rep *benchReport) {
	fmt.Fprintf(w, "chordtui bench: %d nodes on 127.0.0.1 — %d-bit IDs, r = %d, %d replicas, stabilize %gms, fix-fingers %gms, check-pred %gms, liveness %gms, rpc timeout %gms, idle connections closed after %gs\n",
		rep.Nodes, rep.Bits, rep.Successors, rep.Replicas, rep.StabilizeMS, rep.FixFingersMS, rep.CheckPredMS, rep.LivenessMS, rep.RPCTimeoutMS, rep.IdleTimeoutS)
	if rep.Failure != "" {
		fmt.Fprintf(w, "STOPPED EARLY: %s\n", rep.Failure)
	}
	fmt.Fprintf(w, "%s, %s, GOMAXPROCS %d, load average %v, %d keys, %g s per load phase, stable checked every %gms, run took %.1f s\n\n",
		rep.Date, rep.GoVersion, rep.GOMAXPROCS, rep.LoadAvg, rep.Keys, rep.PhaseSeconds, rep.MonitorMS, rep.TotalSeconds)

	f := rep.Floor
	fmt.Fprintf(w, "loopback floor (64-byte ping-pong, 1 caller): raw TCP p50 %.1f µs, yamux stream p50 %.1f µs, netmux call p50 %.1f µs (p99 %.0f µs)\n",
		f.RawTCPP50us, f.YamuxStreamP50us, f.NetmuxCallP50us, f.NetmuxCallP99us)
	r := rep.Ratios
	fmt.Fprintf(w, "ratios: netmux call / raw TCP %.2f, netmux call / yamux stream %.2f, get p50 / raw TCP %.2f, get p50 / yamux stream %.2f\n\n",
		r.NetmuxOverTCP, r.NetmuxOverYamux, r.GetOverTCP, r.GetOverYamux)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tclients\tops\terrors\tops/s\tp50 µs\tp99 µs\thops mean\thops p99\tCPU µs/op\tcores used\tfds after\t")
	for _, p := range rep.Phases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.2f\t%d\t%.0f\t%.2f\t%d\t\n",
			p.Op, p.Clients, p.Ops, p.Errors, p.PerSec, p.P50us, p.P99us, p.HopsMean, p.HopsP99, p.CPUus, p.CPUShare, p.OpenFDs)
	}
	tw.Flush()
	fmt.Fprintf(w, "idle ring (maintenance and monitor only): %.2f cores\n", rep.IdleCores)
	fmt.Fprintf(w, "hops per lookup: mean %.2f, p99 %d; ½·log2 N = %.2f\n", rep.LookupHopsMean, rep.LookupHopsP99, rep.HopsTheory)
	for _, k := range []struct {
		name string
		kr   *killReport
	}{{"kill one", rep.KillOne}, {"kill adjacent", rep.KillAdjacent}} {
		switch {
		case k.kr == nil:
		case k.kr.Skipped != "":
			fmt.Fprintf(w, "%s: skipped (%s)\n", k.name, k.kr.Skipped)
		default:
			state := "not stable"
			if k.kr.Stable {
				state = fmt.Sprintf("stable after %.3f s", k.kr.StableS)
			}
			fmt.Fprintf(w, "%s (%s): %s; gets meanwhile: %d, failed %d, p99 %.0f µs, slowest %.0f µs\n",
				k.name, strings.Join(k.kr.Killed, " "), state, k.kr.Gets, k.kr.FailedGets, k.kr.GetP99us, k.kr.GetMaxus)
			if k.kr.FirstError != "" {
				fmt.Fprintf(w, "  first failure: %s\n", k.kr.FirstError)
			}
		}
	}
	m := rep.Memory
	fmt.Fprintf(w, "memory at N (keys placed, before load): RSS %.1f MB, Go heap in use %.1f MB, stacks %.1f MB, Go sys %.1f MB, %d goroutines, %d open fds (%.1f per node); RSS after the run %.1f MB, peak %.1f MB; peak fds %d of %d\n\n",
		m.RSSMB, m.HeapMB, m.StackMB, m.GoSysMB, m.Goroutines, m.OpenFDs, m.FDsPerNode, m.RSSAfterMB, m.PeakRSSMB, m.PeakFDs, m.FDLimit)

	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tgoal\tmet?")
	for _, g := range rep.Goals {
		met := "—"
		if g.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*g.Met]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.Figure, g.Value, g.Goal, met)
	}
	tw.Flush()
	if rep.CPUProfile != "" {
		fmt.Fprintf(w, "\nCPU profile: %s (go tool pprof -top %s)\n", rep.CPUProfile, rep.CPUProfile)
	}
}

// ---- small numeric helpers ----

func sortDurations(d []time.Duration) { slices.Sort(d) }

// percentile returns the q-quantile of sorted durations (0 when empty).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func percentileInt(sorted []int, q float64) int {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func meanInts(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0
	for _, x := range xs {
		s += x
	}
	return round2(float64(s) / float64(len(xs)))
}

func micros(d time.Duration) float64 { return round2(float64(d) / 1e3) }

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func round2(x float64) float64 { return math.Round(x*100) / 100 }
