package bench

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
)

// The load-balance mode (bench --balance): storage balance with virtual
// nodes, computed in memory for a large ring and counted on a ring over
// real sockets, then Zipf workloads on the ring over sockets with each
// load-balancing mechanism off and on.

// balanceOptions are the --balance settings.
type balanceOptions struct {
	memNodes     int       // real nodes of the in-memory placement
	memKeys      []int     // keys placed in memory
	vnodes       []int     // identities per real node, in memory
	socketVNodes []int     // identities per real node, over sockets
	socketKeys   int       // keys written over sockets
	zipf         []float64 // workload exponents
	wlKeys       int       // keys of each workload
	wlFor        time.Duration
	wlClients    int
	modes        []string // off, adaptive, cache, both
	lease        time.Duration
	sim          simOptions // the in-memory Zipf runs (balancesim.go)
	socketZipf   bool       // run the Zipf workloads over sockets too
}

// StorageRow is the spread of keys per real node for one placement.
type StorageRow struct {
	Where  string  `json:"where"` // "memory" or "sockets"
	Nodes  int     `json:"nodes"`
	VNodes int     `json:"vnodes"`
	Keys   int     `json:"keys"`
	Mean   float64 `json:"mean"`
	P1     float64 `json:"p1"`
	P99    float64 `json:"p99"`
	Max    float64 `json:"max"`
}

// ZipfRow is one workload with one set of mechanisms on.
type ZipfRow struct {
	Alpha    float64 `json:"alpha"`
	Mode     string  `json:"mode"`
	Ops      uint64  `json:"ops"`
	OpsPerS  float64 `json:"ops_per_s"`
	Errors   uint64  `json:"errors"`
	Stale    uint64  `json:"stale"`
	Cached   uint64  `json:"cached"`
	Hops     float64 `json:"hops_mean"`
	GetP50us int64   `json:"get_p50_us"`
	// The spread over the real nodes of what each served during the run.
	ReqMaxMean  float64 `json:"requests_max_over_mean"`
	ReqP99Mean  float64 `json:"requests_p99_over_mean"`
	RoutMaxMean float64 `json:"routing_max_over_mean"`
	RoutP99Mean float64 `json:"routing_p99_over_mean"`
}

// BalanceReport is the --balance report.
type BalanceReport struct {
	Command string       `json:"command"`
	Storage []StorageRow `json:"storage"`
	Sim     []SimRow     `json:"zipf_in_memory"`
	Nodes   int          `json:"zipf_nodes"`
	Zipf    []ZipfRow    `json:"zipf"`
	Load    float64      `json:"load_avg"`
	Failure string       `json:"failure,omitempty"`
}

// placement places keys on nodes×v random identities (SHA-1 of the key,
// the successor's real node, as in the Chord paper's simulation) and
// returns the keys per real node.
func placement(rng *rand.Rand, nodes, v, keys int) []float64 {
	type ident struct {
		id   uint64
		host int
	}
	ids := make([]ident, 0, nodes*v)
	for h := range nodes {
		for range v {
			ids = append(ids, ident{rng.Uint64(), h})
		}
	}
	slices.SortFunc(ids, func(a, b ident) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	count := make([]float64, nodes)
	var buf []byte
	for k := range keys {
		buf = strconv.AppendInt(buf[:0], int64(k), 10)
		sum := sha1.Sum(buf)
		kid := binary.BigEndian.Uint64(sum[:8])
		i, _ := slices.BinarySearchFunc(ids, kid, func(e ident, t uint64) int {
			switch {
			case e.id < t:
				return -1
			case e.id > t:
				return 1
			}
			return 0
		})
		if i == len(ids) {
			i = 0 // past the last identity: the ring wraps
		}
		count[ids[i].host]++
	}
	return count
}

// storageRow sums up keys per real node.
func storageRow(where string, nodes, v, keys int, counts []float64) StorageRow {
	st := cluster.Spread(counts, nil)
	return StorageRow{Where: where, Nodes: nodes, VNodes: v, Keys: keys, Mean: st.Mean, P1: st.P1, P99: st.P99, Max: st.Max}
}

// runBalance runs the --balance mode with n real nodes over sockets.
func runBalance(ctx context.Context, cmdline string, cfg cluster.Config, bo balanceOptions, progress io.Writer) *BalanceReport {
	rep := &BalanceReport{Command: cmdline, Nodes: cfg.Nodes}
	defer func() { rep.Load = loadAvg() }()
	say := func(format string, a ...any) { fmt.Fprintf(progress, format+"\n", a...) }
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0xba1a))
	for _, keys := range bo.memKeys {
		for _, v := range bo.vnodes {
			say("in memory: %d nodes × %d identities, %d keys", bo.memNodes, v, keys)
			rep.Storage = append(rep.Storage, storageRow("memory", bo.memNodes, v, keys, placement(rng, bo.memNodes, v, keys)))
		}
	}
	if bo.sim.nodes > 0 && len(bo.zipf) > 0 {
		lease := bo.lease
		if lease <= 0 {
			lease = time.Second
		}
		say("in memory: a model of %d nodes, %d keys, %d gets per run over %v", bo.sim.nodes, bo.sim.keys, bo.sim.gets, bo.sim.span)
		ring := newSimRing(rng, bo.sim.nodes)
		for _, alpha := range bo.zipf {
			keyIDs, cdf := simKeys(bo.sim.keys, alpha)
			for _, mode := range bo.modes {
				if ctx.Err() != nil {
					return rep
				}
				row := simZipf(ring, keyIDs, cdf, bo.sim, alpha, mode, lease, uint64(cfg.Seed))
				say("  α=%.1f %-8s hops %.2f, requests max/mean %.1f, routing max/mean %.1f", alpha, mode, row.Hops, row.ReqMaxMean, row.RoutMaxMean)
				rep.Sim = append(rep.Sim, row)
			}
		}
	}
	for _, v := range bo.socketVNodes {
		if ctx.Err() != nil {
			break
		}
		c := cfg
		c.VNodes = v
		say("over sockets: %d nodes × %d identities, writing %d keys", cfg.Nodes, v, bo.socketKeys)
		row, err := socketStorage(ctx, c, bo.socketKeys)
		if err != nil {
			rep.Failure = fmt.Sprintf("storage over sockets with %d identities: %v", v, err)
			say("%s", rep.Failure)
			continue
		}
		rep.Storage = append(rep.Storage, row)
	}
	if len(bo.zipf) == 0 || !bo.socketZipf || ctx.Err() != nil {
		return rep
	}
	say("zipf workloads: starting %d nodes", cfg.Nodes)
	cl, err := cluster.Start(ctx, cfg)
	if err != nil {
		rep.Failure = "start: " + err.Error()
		return rep
	}
	defer cli.DiscardEvents(cl)()
	if _, err := cl.Wait(ctx, 2*time.Minute); err != nil {
		rep.Failure = "wait: " + err.Error()
		return rep
	}
	for _, alpha := range bo.zipf {
		for _, mode := range bo.modes {
			if ctx.Err() != nil {
				return rep
			}
			_, err1 := cl.SetTunable("adaptive", onOff(mode == "adaptive" || mode == "both"))
			_, err2 := cl.SetTunable("cache", onOff(mode == "cache" || mode == "both"))
			if err1 != nil || err2 != nil {
				rep.Failure = fmt.Sprintf("config: %v %v", err1, err2)
				return rep
			}
			say("zipf α=%.1f, %s: %d keys for %v", alpha, mode, bo.wlKeys, bo.wlFor)
			spec := cluster.WorkloadSpec{Keys: bo.wlKeys, ReadPercent: 100, Zipf: alpha, Duration: bo.wlFor,
				Clients: bo.wlClients, Prefix: fmt.Sprintf("z%.1f-", alpha)}
			res, err := cl.RunWorkload(ctx, spec, nil)
			if err != nil {
				rep.Failure = fmt.Sprintf("workload α=%.1f %s: %v", alpha, mode, err)
				return rep
			}
			rep.Zipf = append(rep.Zipf, zipfRow(alpha, mode, res))
		}
	}
	return rep
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

func zipfRow(alpha float64, mode string, r cluster.WorkloadResult) ZipfRow {
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	return ZipfRow{Alpha: alpha, Mode: mode, Ops: r.Ops, OpsPerS: r.OpsPerSec(), Errors: r.Errors, Stale: r.Stale,
		Cached: r.Cached, Hops: r.Hops, GetP50us: r.Gets.P50.Microseconds(),
		ReqMaxMean: r.Load.Requests.MaxOverMean, ReqP99Mean: ratio(r.Load.Requests.P99, r.Load.Requests.Mean),
		RoutMaxMean: r.Load.Routing.MaxOverMean, RoutP99Mean: ratio(r.Load.Routing.P99, r.Load.Routing.Mean)}
}

// socketStorage starts cfg's ring over sockets, writes keys and counts the
// keys each real node owns.
func socketStorage(ctx context.Context, cfg cluster.Config, keys int) (StorageRow, error) {
	c, err := cluster.Start(ctx, cfg)
	if err != nil {
		return StorageRow{}, err
	}
	defer cli.DiscardEvents(c)()
	if _, err := c.Wait(ctx, 2*time.Minute); err != nil {
		return StorageRow{}, err
	}
	res, err := c.RunWorkload(ctx, cluster.WorkloadSpec{Keys: keys, ReadPercent: 100, Ops: 1, Clients: 16, Prefix: "s-"}, nil)
	if err != nil {
		return StorageRow{}, err
	}
	if res.Prepared != 0 && res.Prepared < keys {
		return StorageRow{}, fmt.Errorf("only %d of %d keys written", res.Prepared, keys)
	}
	lv := c.Load()
	counts := make([]float64, 0, len(lv.Nodes))
	total := 0
	for _, n := range lv.Nodes {
		counts = append(counts, float64(n.Owned))
		total += n.Owned
	}
	return storageRow("sockets", cfg.Nodes, max(cfg.VNodes, 1), total, counts), nil
}

// writeBalance prints the report as tables.
func writeBalance(w io.Writer, r *BalanceReport) {
	fmt.Fprintf(w, "%s\nload average at the end: %.2f\n\nstorage: keys per real node\n", r.Command, r.Load)
	fmt.Fprintf(w, "  %-8s %6s %6s %8s %9s %8s %8s %8s %10s\n", "where", "nodes", "vnodes", "keys", "mean", "p1", "p99", "max", "p99/mean")
	for _, s := range r.Storage {
		fmt.Fprintf(w, "  %-8s %6d %6d %8d %9.1f %8.0f %8.0f %8.0f %10.2f\n", s.Where, s.Nodes, s.VNodes, s.Keys, s.Mean, s.P1, s.P99, s.Max, s.P99/s.Mean)
	}
	if len(r.Sim) > 0 {
		s0 := r.Sim[0]
		fmt.Fprintf(w, "\nzipf gets in memory (a model: docs/BENCHMARKS.md), %d nodes, %d keys, %d gets per run (load per node, as max/mean and p99/mean)\n", s0.Nodes, s0.Keys, s0.Gets)
		fmt.Fprintf(w, "  %5s %-9s %6s %8s %8s %7s %7s %7s %7s\n", "α", "mode", "hops", "cached", "at hop", "req max", "req p99", "rt max", "rt p99")
		for _, z := range r.Sim {
			fmt.Fprintf(w, "  %5.1f %-9s %6.2f %8d %8d %7.2f %7.2f %7.2f %7.2f\n", z.Alpha, z.Mode, z.Hops, z.Cached, z.HopCache, z.ReqMaxMean, z.ReqP99Mean, z.RoutMaxMean, z.RoutP99Mean)
		}
		fmt.Fprintf(w, "  ½·log2 N = %.2f\n", 0.5*math.Log2(float64(s0.Nodes)))
	}
	if len(r.Zipf) > 0 {
		fmt.Fprintf(w, "\nzipf gets over sockets, %d nodes (load per real node during the run, as max/mean and p99/mean)\n", r.Nodes)
		fmt.Fprintf(w, "  %5s %-9s %8s %7s %7s %7s %6s %7s %7s %7s %7s %6s %8s %6s\n",
			"α", "mode", "ops/s", "errors", "stale", "cached", "hops", "req max", "req p99", "rt max", "rt p99", "", "get p50", "")
		for _, z := range r.Zipf {
			fmt.Fprintf(w, "  %5.1f %-9s %8.0f %7d %7d %7d %6.2f %7.2f %7.2f %7.2f %7.2f %6s %6.2fms\n",
				z.Alpha, z.Mode, z.OpsPerS, z.Errors, z.Stale, z.Cached, z.Hops, z.ReqMaxMean, z.ReqP99Mean, z.RoutMaxMean, z.RoutP99Mean, "", float64(z.GetP50us)/1000)
		}
		fmt.Fprintf(w, "  ½·log2 N = %.2f\n", 0.5*math.Log2(float64(r.Nodes)))
	}
	if r.Failure != "" {
		fmt.Fprintf(w, "\nstopped: %s\n", r.Failure)
	}
}

func writeBalanceJSON(w io.Writer, r *BalanceReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// parseInts reads a comma-separated list of positive integers.
func parseInts(flag, s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("--%s: %q is not a non-negative whole number", flag, f)
		}
		if v > 0 {
			out = append(out, v)
		}
	}
	return out, nil
}

func parseFloats(flag, s string) ([]float64, error) {
	var out []float64
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v < 0 || v > 10 {
			return nil, fmt.Errorf("--%s: %q is not an exponent from 0 to 10", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// parse reads the list flags of --balance and checks their ranges.
func (o *balanceOptions) parse(memKeys, vnodes, socketVNodes, zipf, modes string) error {
	var err error
	if o.memKeys, err = parseInts("balance-keys", memKeys); err != nil {
		return err
	}
	if o.vnodes, err = parseInts("balance-vnodes", vnodes); err != nil {
		return err
	}
	if o.socketVNodes, err = parseInts("socket-vnodes", socketVNodes); err != nil {
		return err
	}
	if o.zipf, err = parseFloats("zipf", zipf); err != nil {
		return err
	}
	for m := range strings.SplitSeq(modes, ",") {
		switch m = strings.TrimSpace(m); m {
		case "off", "adaptive", "cache", "both":
			o.modes = append(o.modes, m)
		case "":
		default:
			return fmt.Errorf("--modes: %q is not off, adaptive, cache or both", m)
		}
	}
	switch {
	case o.memNodes < 1 || o.memNodes > 1_000_000:
		return fmt.Errorf("--balance-nodes must be from 1 to 10^6, got %d", o.memNodes)
	case slices.ContainsFunc(o.vnodes, func(v int) bool { return v > 64 }) || slices.ContainsFunc(o.socketVNodes, func(v int) bool { return v > 64 }):
		return fmt.Errorf("identities per node must be at most 64")
	case o.sim.nodes < 0 || o.sim.nodes > 100_000 || o.sim.nodes > 0 && (o.sim.keys < 1 || o.sim.gets < 1 || o.sim.span <= 0):
		return fmt.Errorf("--sim-nodes must be from 0 to 10^5, and --sim-keys, --sim-gets and --sim-for positive")
	case o.socketKeys < 1 || o.wlKeys < 1 || o.wlClients < 1 || o.wlFor <= 0:
		return fmt.Errorf("--socket-keys, --workload-keys, --workload-clients and --workload-for must be positive")
	}
	return nil
}
