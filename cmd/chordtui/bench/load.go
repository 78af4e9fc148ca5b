package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// This file generates the load: the keys, the clients of a load phase and
// the crash experiments with their concurrent gets.

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
func doOp(ctx context.Context, op string, origin cluster.LiveNode, k *keyRec, recursive bool) opResult {
	switch op {
	case "lookup":
		lr, err := origin.Node.LookupWith(ctx, k.id, chord.LookupOptions{Recursive: recursive})
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
func (b *bencher) loadLoop(ctx context.Context, op, style string, clients int, live []cluster.LiveNode, stop func() bool) []*loadWorker {
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
				r := doOp(ctx, op, origin, k, style == "recursive")
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
func (b *bencher) phase(ctx context.Context, op, style string, clients int) (phaseReport, []int, error) {
	live := b.c.LiveNodes()
	if len(live) == 0 {
		return phaseReport{}, nil, errors.New("no live node")
	}
	dials0 := b.c.Stats().Dials
	began := time.Now()
	cpu0 := processCPU()
	allocated0, objects0 := heapAllocs()
	reads0, writes0 := ioCalls()
	end := began.Add(b.opts.duration)
	ws := b.loadLoop(ctx, op, style, clients, live, func() bool { return time.Now().After(end) })
	elapsed := time.Since(began)
	cpu := processCPU() - cpu0
	allocated1, objects1 := heapAllocs()
	reads1, writes1 := ioCalls()
	dials := b.c.Stats().Dials - dials0
	if err := ctx.Err(); err != nil {
		return phaseReport{}, nil, err
	}
	lat, hops, errs, first := merge(ws)
	pr := phaseReport{
		Op: op, Style: style, Clients: clients, Ops: len(lat), Errors: errs, Seconds: elapsed.Seconds(),
		PerSec: float64(len(lat)-errs) / elapsed.Seconds(),
		P50us:  micros(percentile(lat, 0.5)), P99us: micros(percentile(lat, 0.99)),
		HopsMean: mean(hops), HopsP99: percentile(hops, 0.99),
		CPUShare: round2(cpu.Seconds() / elapsed.Seconds()),
		OpenFDs:  openFDs(),
		Dials:    dials,
	}
	b.peakFDs = max(b.peakFDs, pr.OpenFDs)
	if len(lat) > 0 {
		pr.CPUus = micros(cpu / time.Duration(len(lat)))
		pr.AllocBytes = float64((allocated1 - allocated0) / uint64(len(lat)))
		pr.Allocs = round2(float64(objects1-objects0) / float64(len(lat)))
		pr.Reads = round2(float64(reads1-reads0) / float64(len(lat)))
		pr.Writes = round2(float64(writes1-writes0) / float64(len(lat)))
	}
	if first != nil {
		pr.FirstError = first.Error()
	}
	return pr, hops, nil
}

// heapAllocs returns the bytes and objects the process has allocated on
// the heap so far (runtime/metrics: no stop of the world).
func heapAllocs() (allocated, objects uint64) {
	ms := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"}}
	metrics.Read(ms)
	return ms[0].Value.Uint64(), ms[1].Value.Uint64()
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
	slices.Sort(lat)
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
	slices.SortFunc(ring, func(a, b cluster.LiveNode) int { return a.ID.Cmp(b.ID) })
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
			wsc <- b.loadLoop(ctx, "get", "", b.opts.killClients, survivors, done.Load)
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
