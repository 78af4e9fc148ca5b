package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"time"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"github.com/chordtui/chordtui/dht/cluster"
)

// This file is the order of the measurements (run) and the waits between
// them; the load itself is in load.go.

// bencher runs one benchmark.
type bencher struct {
	cfg      cluster.Config
	opts     options
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

// run measures everything, in an order that keeps one figure from
// disturbing the next: the loopback floor before any node exists, then
// start → stable, the keys, memory, the load phases and the crashes last.
func (b *bencher) run(ctx context.Context, command string) (*report, error) {
	began := time.Now()
	b.began = began
	n := b.cfg.Nodes
	rep := &report{
		Command: command, Date: began.UTC().Format(time.RFC3339),
		GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), GOGC: gcPercent(), NumCPU: runtime.NumCPU(),
		Nodes: n, Bits: b.cfg.Chord.Bits, Successors: b.cfg.Chord.SuccessorListLen, Replicas: b.cfg.DHT.Replicas,
		StabilizeMS:  ms(b.cfg.Chord.StabilizeInterval),
		FixFingersMS: ms(b.cfg.Chord.FixFingersInterval),
		CheckPredMS:  ms(b.cfg.Chord.CheckPredecessorInterval),
		LivenessMS:   ms(b.cfg.Chord.LivenessWindow),
		MonitorMS:    ms(b.cfg.MonitorInterval),
		IdleTimeoutS: b.cfg.Net.IdleTimeout.Seconds(),
		MaxSessions:  b.cfg.Net.MaxSessions,
		IdleBackoff:  b.cfg.Chord.IdleBackoff,
		JoinTimeoutS: b.cfg.JoinTimeout.Seconds(),
		RPCTimeoutMS: ms(b.cfg.Chord.RPCTimeout),
		Keys:         b.opts.keys, PhaseSeconds: b.opts.duration.Seconds(),
		HopsTheory: 0.5 * math.Log2(float64(n)), LookupStyle: b.opts.lookupStyles[0],
		LoadAvg: []float64{loadAvg()},
	}

	if b.opts.memProfile != "" {
		runtime.MemProfileRate = 4 << 10 // fine enough to see per-session costs
	}
	b.say("loopback floor (raw TCP, yamux stream, netmux call)")
	floor, err := measureFloor(ctx, min(b.opts.duration, time.Second), b.opts.maxOps)
	if err != nil {
		return nil, err
	}
	rep.Floor = floor
	debug.FreeOSMemory() // the floor's buffers are not the ring's memory

	if b.opts.cpuProfile != "" && !b.opts.profileLoad {
		stop, err := startCPUProfile(b.opts.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer stop()
		rep.CPUProfile = b.opts.cpuProfile
	}

	b.say("starting %d nodes", n)
	b.fdLimit = fdLimit() // the Go runtime raised the soft limit to the hard one at start
	startedAt, startCPU := time.Now(), processCPU()
	c, err := cluster.Start(ctx, b.cfg)
	if err != nil {
		return b.fail(ctx, rep, err)
	}
	b.c = c
	b.say("all %d nodes joined %.1f s after start; waiting for a stable ring", n, time.Since(startedAt).Seconds())
	defer cli.DiscardEvents(c)()
	took, err := b.waitStable(ctx, "start")
	if err != nil {
		return b.fail(ctx, rep, err)
	}
	rep.StartToStableS = took.Seconds()
	rep.StartCPUS = round2((processCPU() - startCPU).Seconds())
	st := c.Stats()
	rep.StartDials, rep.StartEvicted = st.Dials, st.Evicted
	b.say("stable %.3f s after start", took.Seconds())
	if b.opts.files {
		rep.Memory = measureMemory(n)
		if rep.Files, err = b.filesPhase(ctx); err != nil {
			return b.fail(ctx, rep, err)
		}
		b.finish(rep)
		return rep, nil
	}

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
	if b.opts.memProfile != "" {
		if err := writeHeapProfile(b.opts.memProfile); err != nil {
			return nil, err
		}
		rep.MemProfile = b.opts.memProfile
	}

	var lookupHops, getHops []int
	b.say("idle (maintenance only) for %v", min(b.opts.duration, time.Second))
	rep.IdleCores, err = idleCores(ctx, min(b.opts.duration, time.Second))
	if err != nil {
		return nil, err
	}
	if wait := b.backoffRamp(); wait > 0 {
		b.say("idle again once every period has backed off (after %v)", wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		rep.IdleSleepingCores, err = idleCores(ctx, 2*time.Second)
		if err != nil {
			return nil, err
		}
		rep.IdleSleepingAfterS = wait.Seconds()
	}
	stopProfiles, err := b.startLoadProfiles(rep)
	if err != nil {
		return nil, err
	}
	for _, op := range b.opts.ops {
		for _, clients := range b.opts.clients {
			styles := []string{""}
			if op == "lookup" {
				styles = b.opts.lookupStyles
			}
			for _, style := range styles {
				b.say("%s %s with %d client(s) for %v", style, op, clients, b.opts.duration)
				pr, hops, err := b.phase(ctx, op, style, clients)
				if err != nil {
					stopProfiles()
					return nil, err
				}
				rep.Phases = append(rep.Phases, pr)
				switch {
				case op == "lookup" && style == styles[0]:
					lookupHops = append(lookupHops, hops...)
				case op == "get" && clients == b.opts.clients[0]:
					getHops = append(getHops, hops...)
				}
			}
		}
	}
	stopProfiles()
	slices.Sort(lookupHops)
	rep.LookupHopsMean, rep.LookupHopsP99 = mean(lookupHops), percentile(lookupHops, 0.99)
	rep.GetHopsMean = mean(getHops)

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

// startCPUProfile starts a CPU profile into path; stop ends it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// startLoadProfiles starts what profiles the load phases only: the CPU
// profile with --profile-load, the execution trace with --trace. The
// returned stop may be called more than once.
func (b *bencher) startLoadProfiles(rep *report) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, s := range stops {
			s()
		}
		stops = nil
	}
	if b.opts.memProfile != "" && b.opts.profileLoad {
		// The heap profile's allocation counts are cumulative: the one
		// written after the load phases, read with the one written before
		// as its base, shows what the load phases allocated.
		stops = append(stops, func() {
			if err := writeHeapProfile(b.opts.memProfile + ".load"); err != nil {
				b.say("%v", err)
			}
		})
	}
	if b.opts.cpuProfile != "" && b.opts.profileLoad {
		s, err := startCPUProfile(b.opts.cpuProfile)
		if err != nil {
			return nil, err
		}
		stops = append(stops, s)
		rep.CPUProfile = b.opts.cpuProfile
	}
	if b.opts.traceFile != "" {
		f, err := os.Create(b.opts.traceFile)
		if err != nil {
			stop()
			return nil, fmt.Errorf("--trace: %w", err)
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			stop()
			return nil, fmt.Errorf("--trace: %w", err)
		}
		stops = append(stops, func() {
			trace.Stop()
			f.Close()
		})
	}
	return stop, nil
}

// gcPercent returns the garbage collector's target in effect.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// writeHeapProfile writes the live heap (after a GC) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("--memprofile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	return nil
}

// finish fills the figures taken at the end of every run.
func (b *bencher) finish(rep *report) {
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
func (b *bencher) fail(ctx context.Context, rep *report, err error) (*report, error) {
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

// backoffRamp is how long an idle ring takes, after the stable moment, to
// stretch every maintenance period to its cap (chord.Config.IdleBackoff):
// IdleSettle, then the longest base period doubling up to IdleBackoff
// times, p + 2p + … = (IdleBackoff − 1)·p, and one more longest period,
// at most maxRamp (a large ring's longest periods have then not all
// reached their cap: the figure is, if anything, too high). 0 when backoff
// is off.
func (b *bencher) backoffRamp() time.Duration {
	cc := b.cfg.Chord
	if cc.IdleBackoff <= 1 {
		return 0
	}
	longest := max(cc.StabilizeInterval, cc.FixFingersInterval, cc.CheckPredecessorInterval, b.cfg.DHT.RepairInterval)
	return min(cc.IdleSettle+time.Duration(cc.IdleBackoff)*longest, maxRamp)
}

// maxRamp bounds the wait before the "idle, asleep" figure.
const maxRamp = 20 * time.Second
