package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"github.com/chordtui/chordtui/dht/cluster"
)

// options are bench's own settings, beyond the cluster's.
type options struct {
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
	memProfile    string
	profileLoad   bool     // --cpuprofile covers the load phases only
	traceFile     string   // execution trace of the load phases
	lookupStyles  []string // "recursive", "iterative": each lookup phase once per style
	noKill        bool
	idleTimeout   time.Duration
	maxSessions   int
	joinTimeout   time.Duration
	// The file system phase (files.go).
	files       bool
	fileMB      int
	repeats     int
	randomReads int
	tree        string
}

const about = "Starts N Chord nodes on 127.0.0.1 (yamux over loopback) and measures: start → stable,\n" +
	"lookup/get/set latency and throughput from random origins, hops per lookup, kill → stable\n" +
	"with the gets failed meanwhile, memory and file descriptors, and the loopback floor; with\n" +
	"--files, the file system through a FUSE mount against tmpfs and one netmux stream instead.\n" +
	"Several sizes (16,128,256) run one after another, smallest first, each ring closed before the\n" +
	"next starts, then side by side: a lookup's CPU per (hop + 1) at each size over the smallest's.\n" +
	"Exit status: 0 the run completed (goals met or not), 1 it stopped early (the figures measured\n" +
	"until then are still printed), 2 bad flags or arguments."

// Run implements "chordtui bench [flags] N[,N…]" with args the arguments after
// "bench". It prints the report on stdout (tables, or one JSON object with
// --json) and progress on stderr, and returns the exit status: 0 when the
// run completed (whether or not goals were met), 1 when it stopped early
// (the report of what was measured is still printed) or could not start,
// 2 for bad flags or arguments.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := cli.New("chordtui bench", "chordtui bench [flags] N[,N…]", about, stderr)
	fs := cmd.Flags
	var opts options
	clients, ops := "1,16", "lookup,get,set"
	d := cluster.DefaultConfig()
	fs.BoolVar(&opts.json, "json", false, "print one JSON object instead of the tables")
	fs.DurationVar(&opts.duration, "duration", 2*time.Second, "length of each load phase (lookup, get, set × each client count)")
	fs.IntVar(&opts.maxOps, "max-ops", 1_000_000, "most operations of one load phase")
	fs.StringVar(&clients, "clients", clients, "comma-separated concurrent client counts of the load phases")
	fs.StringVar(&ops, "ops", ops, "comma-separated load phases to run: lookup, get, set")
	fs.IntVar(&opts.keys, "keys", 1000, "keys written before the load phases (and read during them)")
	fs.IntVar(&opts.killClients, "kill-clients", 4, "concurrent getters while nodes are killed (0: no gets)")
	fs.DurationVar(&opts.stableTimeout, "stable-timeout", 120*time.Second, "give up waiting for a stable ring after this long")
	fs.DurationVar(&opts.monitor, "monitor", d.MonitorInterval, "how often the stable condition is evaluated: the resolution of every \"→ stable\" time; above 64 nodes the default grows with N")
	fs.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (after the loopback floor) to this `file`")
	fs.BoolVar(&opts.profileLoad, "profile-load", false, "--cpuprofile covers the load phases only (lookup, get, set), not start and the keys; with --memprofile, a second heap profile FILE.load is written after them (its allocations less those of FILE: pprof -diff_base FILE FILE.load)")
	fs.StringVar(&opts.traceFile, "trace", "", "write an execution trace of the load phases to this `file` (go tool trace)")
	styles := "auto"
	fs.StringVar(&styles, "lookup-style", styles, "how the lookup phases look up: iterative (the origin calls every node, as dht does, and the REPL and the UI up to 64 nodes), recursive (each node forwards to the next over its own connections: the REPL and the UI above 64 nodes) or auto (as the REPL would on this ring); a comma-separated list runs each lookup phase once per style, in turn (the first is the one the goals use)")
	fs.StringVar(&opts.memProfile, "memprofile", "", "write a heap profile to this `file` when memory is measured (N nodes, keys placed, after a GC)")
	fs.BoolVar(&opts.noKill, "no-kill", false, "skip the crash experiments")
	fs.DurationVar(&opts.joinTimeout, "join-timeout", d.JoinTimeout, "give up on one node's join (retries included) after this long; every node joins through n0 at once")
	fs.IntVar(&opts.maxSessions, "max-sessions", -1, "sessions (connections) each node keeps before retiring the least recently used idle one; -1: sized to N and the descriptor limit, 0: no limit")
	fs.DurationVar(&opts.idleTimeout, "idle-timeout", d.Net.IdleTimeout, "close a connection between two nodes after this long without a call (bounds descriptors at large N)")

	fs.BoolVar(&opts.files, "files", false, "measure the file system instead of the keys: sequential write and read of a file, random 4 KiB reads, cp -r of a tree, through a FUSE mount and on tmpfs, against one netmux stream")
	fs.IntVar(&opts.fileMB, "file-mb", 256, "--files: size of the file written and read, in MiB")
	fs.IntVar(&opts.repeats, "repeats", 3, "--files: runs of each measurement (the report gives medians)")
	fs.IntVar(&opts.randomReads, "random-reads", 2000, "--files: 4 KiB reads per random-read run")
	fs.StringVar(&opts.tree, "tree", "", "--files: the `dir` that cp -r copies (default: a generated tree of 400 files)")

	balance := false
	bo := balanceOptions{}
	memKeys, vn, svn, zipf, modes := "100000,500000,1000000", "1,2,5,10,20", "1,2,4", "0.8,1.0,1.2", "off,adaptive,cache,both"
	fs.BoolVar(&balance, "balance", false, "measure load balance instead: keys per real node with virtual nodes (in memory and over sockets), and Zipf gets over sockets with adaptive routing and the read cache off and on")
	fs.IntVar(&bo.memNodes, "balance-nodes", 10000, "--balance: real nodes of the in-memory placement")
	fs.StringVar(&memKeys, "balance-keys", memKeys, "--balance: comma-separated key counts placed in memory")
	fs.StringVar(&vn, "balance-vnodes", vn, "--balance: comma-separated identities per real node, in memory")
	fs.StringVar(&svn, "socket-vnodes", svn, "--balance: comma-separated identities per real node of the N nodes over sockets (empty: skip)")
	fs.IntVar(&bo.socketKeys, "socket-keys", 10000, "--balance: keys written to the ring over sockets")
	fs.StringVar(&zipf, "zipf", zipf, "--balance: comma-separated Zipf exponents of the workloads (empty: skip)")
	fs.StringVar(&modes, "modes", modes, "--balance: comma-separated mechanisms of each workload: off, adaptive, cache, both")
	fs.IntVar(&bo.wlKeys, "workload-keys", 10000, "--balance: keys of each workload")
	fs.DurationVar(&bo.wlFor, "workload-for", 10*time.Second, "--balance: length of each workload")
	fs.IntVar(&bo.wlClients, "workload-clients", 8, "--balance: concurrent clients of each workload")
	fs.DurationVar(&bo.lease, "cache-lease", 0, "--balance: lease of the read cache (0: the default, 1s)")
	fs.BoolVar(&bo.socketZipf, "socket-zipf", true, "--balance: run the Zipf workloads on the N nodes over sockets (false: in memory only)")
	fs.IntVar(&bo.sim.nodes, "sim-nodes", 10000, "--balance: nodes of the in-memory model of the Zipf gets (0: skip)")
	fs.IntVar(&bo.sim.keys, "sim-keys", 100000, "--balance: keys of the in-memory Zipf model")
	fs.IntVar(&bo.sim.gets, "sim-gets", 400000, "--balance: gets of each in-memory Zipf run, from random origins")
	fs.DurationVar(&bo.sim.span, "sim-for", 40*time.Second, "--balance: simulated length of each in-memory Zipf run")

	sizes, list, err := cmd.ParseSizes(args)
	if err != nil {
		return cmd.ExitStatus(err)
	}
	for f := range strings.SplitSeq(styles, ",") {
		opts.lookupStyles = append(opts.lookupStyles, strings.TrimSpace(f))
	}
	if err := opts.parse(clients, ops); err != nil {
		return cmd.ExitStatus(err)
	}
	command := "chordtui bench " + strings.Join(args, " ")
	if list {
		if err := opts.parseScale(balance); err != nil {
			return cmd.ExitStatus(err)
		}
		for _, n := range sizes { // flags that do not fit a size fail before any ring starts
			_, logFile, err := cmd.ClusterConfig(n)
			if err != nil {
				return cmd.ExitStatus(err)
			}
			logFile.Close()
		}
		return runScale(ctx, sizes, command, stdout, stderr, opts.json, func(n int) (*report, int) {
			return runOne(ctx, cmd, n, opts, command, stderr)
		})
	}
	n := sizes[0]
	if balance {
		cfg, logFile, err := cmd.ClusterConfig(n)
		if err != nil {
			return cmd.ExitStatus(err)
		}
		defer logFile.Close()
		if err := bo.parse(memKeys, vn, svn, zipf, modes); err != nil {
			return cmd.ExitStatus(err)
		}
		cfg.Seed = seedOf(cfg)
		cfg.DHT.Cache.Lease = bo.lease
		progress := stderr
		if opts.json {
			progress = io.Discard
		}
		rep := runBalance(ctx, command, cfg, bo, progress)
		if opts.json {
			_ = writeBalanceJSON(stdout, rep)
		} else {
			writeBalance(stdout, rep)
		}
		if rep.Failure != "" {
			return 1
		}
		return 0
	}
	rep, code := runOne(ctx, cmd, n, opts, command, stderr)
	if rep == nil {
		return code
	}
	return emit(stdout, stderr, opts.json, rep, func(w io.Writer) { writeTables(w, rep) }, code)
}

// emit prints a report, as JSON or with tables, and returns code (1 when
// the JSON could not be written).
func emit(stdout, stderr io.Writer, asJSON bool, rep any, tables func(io.Writer), code int) int {
	if asJSON {
		if err := writeJSON(stdout, rep); err != nil {
			fmt.Fprintf(stderr, "chordtui bench: %v\n", err)
			return 1
		}
		return code
	}
	tables(stdout)
	return code
}

// runOne runs the benchmark on n nodes and returns its report (nil when it
// could not run) and the exit status: 2 for flags that do not fit n, 1 for
// a run that stopped early or failed. The ring is closed when it returns.
func runOne(ctx context.Context, cmd *cli.Command, n int, opts options, command string, stderr io.Writer) (*report, int) {
	cfg, logFile, err := cmd.ClusterConfig(n)
	if err != nil {
		return nil, cmd.ExitStatus(err)
	}
	defer logFile.Close()
	if cmd.IsSet("monitor") {
		cfg.MonitorInterval = opts.monitor
	}
	cfg.Net.IdleTimeout = opts.idleTimeout
	if opts.maxSessions >= 0 {
		cfg.Net.MaxSessions = opts.maxSessions
	}
	cfg.JoinTimeout = opts.joinTimeout
	seed := seedOf(cfg)
	// "auto" is the style the REPL would use at this N.
	opts.lookupStyles = slices.Clone(opts.lookupStyles)
	for i, s := range opts.lookupStyles {
		if s == "auto" {
			opts.lookupStyles[i] = "iterative"
			if cfg.Chord.RecursiveLookups {
				opts.lookupStyles[i] = "recursive"
			}
		}
	}
	b := &bencher{
		cfg: cfg, opts: opts, rng: rand.New(rand.NewPCG(uint64(seed), 0xbe7c4)),
		progress: stderr,
	}
	if opts.json {
		b.progress = io.Discard
	}
	rep, err := b.run(ctx, command)
	if err != nil {
		fmt.Fprintf(stderr, "chordtui bench: %v\n", err)
		return nil, 1
	}
	if rep.Failure != "" {
		fmt.Fprintf(stderr, "chordtui bench: %s\n", rep.Failure)
		return rep, 1
	}
	return rep, 0
}

// seedOf is the run's seed: the --seed given, or else the clock.
func seedOf(cfg cluster.Config) int64 {
	if cfg.Seed != 0 {
		return cfg.Seed
	}
	return time.Now().UnixNano()
}

// parse reads the list flags and checks every option's range.
func (o *options) parse(clients, ops string) error {
	var err error
	if o.clients, err = parseClientList(clients); err != nil {
		return err
	}
	if o.ops, err = parseOpList(ops); err != nil {
		return err
	}
	switch {
	case o.duration <= 0:
		return fmt.Errorf("--duration must be positive, got %v", o.duration)
	case slices.ContainsFunc(o.lookupStyles, func(s string) bool { return s != "recursive" && s != "iterative" && s != "auto" }):
		return fmt.Errorf("--lookup-style must be recursive, iterative, auto or several separated by commas, got %q", strings.Join(o.lookupStyles, ","))
	case o.maxOps < 1:
		return fmt.Errorf("--max-ops must be at least 1, got %d", o.maxOps)
	case o.keys < 1:
		return fmt.Errorf("--keys must be at least 1, got %d", o.keys)
	case o.killClients < 0:
		return fmt.Errorf("--kill-clients must not be negative, got %d", o.killClients)
	case o.stableTimeout <= 0:
		return fmt.Errorf("--stable-timeout must be positive, got %v", o.stableTimeout)
	case o.joinTimeout <= 0:
		return fmt.Errorf("--join-timeout must be positive, got %v", o.joinTimeout)
	case o.maxSessions < -1:
		return fmt.Errorf("--max-sessions must be -1 (sized to N), 0 (no limit) or positive, got %d", o.maxSessions)
	case o.idleTimeout < 0:
		return fmt.Errorf("--idle-timeout must not be negative, got %v", o.idleTimeout)
	case o.monitor <= 0:
		return fmt.Errorf("--monitor must be positive, got %v", o.monitor)
	case o.fileMB < 1 || o.fileMB > 1024:
		return fmt.Errorf("--file-mb must be from 1 to 1024 (the file system's limit is 1 GiB), got %d", o.fileMB)
	case o.repeats < 1:
		return fmt.Errorf("--repeats must be at least 1, got %d", o.repeats)
	case o.randomReads < 1:
		return fmt.Errorf("--random-reads must be at least 1, got %d", o.randomReads)
	}
	return nil
}

// parseClientList reads "1,16".
func parseClientList(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
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
	for f := range strings.SplitSeq(s, ",") {
		op := strings.TrimSpace(f)
		if !slices.Contains([]string{"lookup", "get", "set"}, op) {
			return nil, fmt.Errorf("--ops: %q is not lookup, get or set (example: lookup,get)", f)
		}
		if !slices.Contains(out, op) {
			out = append(out, op)
		}
	}
	return out, nil
}
