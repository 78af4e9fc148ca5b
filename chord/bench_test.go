package chord_test

import (
	"flag"
	"math/rand"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

var big = flag.Bool("chord.big", os.Getenv("CHORD_BIG") == "1", "run the 10^5-node ring test (also CHORD_BIG=1)")

// randomKeys returns k random 160-bit keys.
func randomKeys(seed int64, k int) []chord.ID {
	rng := rand.New(rand.NewSource(seed))
	keys := make([]chord.ID, k)
	for i := range keys {
		rng.Read(keys[i][:])
	}
	return keys
}

// BenchmarkLookup measures one iterative lookup, from a random node for a
// random key, on an in-memory ideal ring of N nodes (m = 160, r = 4). The ring
// is built with the ideal-state builder (buildIdeal: successor lists,
// predecessors and fingers computed directly), not by N joins. It reports
// hops/lookup beside the time and allocations.
func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) {
			ring := buildIdeal(b, int64(n), chord.DefaultConfig(), n, true)
			keys := randomKeys(1, 4096)
			ctx := testCtx(b)
			hops := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := ring.nodes[i%n].Lookup(ctx, keys[i%len(keys)])
				if err != nil {
					b.Fatal(err)
				}
				hops += res.Hops
			}
			b.ReportMetric(float64(hops)/float64(b.N), "hops/op")
		})
	}
}

// BenchmarkLookupStyles compares one lookup in each style, from a random
// node for a random key, on in-memory ideal rings of 16 and 128 nodes: the
// same calls, made by the origin (iterative) or by each node on the way
// (recursive). Allocations count every node's.
func BenchmarkLookupStyles(b *testing.B) {
	for _, n := range []int{16, 128} {
		ring := buildIdeal(b, int64(n), chord.DefaultConfig(), n, true)
		for _, style := range []struct {
			name string
			opts chord.LookupOptions
		}{{"iterative", chord.LookupOptions{}}, {"recursive", chord.LookupOptions{Recursive: true}}} {
			b.Run("N="+strconv.Itoa(n)+"/"+style.name, func(b *testing.B) { benchLookups(b, ring, style.opts) })
		}
	}
}

// benchLookups looks up random keys from every node of ring in turn.
func benchLookups(b *testing.B, ring *memRing, opts chord.LookupOptions) {
	n := len(ring.nodes)
	keys := randomKeys(3, 4096)
	ctx := testCtx(b)
	hops := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		res, err := ring.nodes[i%n].LookupWith(ctx, keys[i%len(keys)], opts)
		if err != nil {
			b.Fatal(err)
		}
		hops += res.Hops
	}
	b.ReportMetric(float64(hops)/float64(b.N), "hops/op")
}

// BenchmarkLookupParallel is the CPU cost of lookups from many goroutines
// at once on a 16-node in-memory ring (the size chordtui shows by default).
func BenchmarkLookupParallel(b *testing.B) {
	const n = 16
	ring := buildIdeal(b, n, chord.DefaultConfig(), n, true)
	keys := randomKeys(2, 4096)
	ctx := testCtx(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.Int()
		for pb.Next() {
			i++
			if _, err := ring.nodes[i%n].Lookup(ctx, keys[i%len(keys)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkStabilize measures one stabilize round on a settled ring (one
// call: state + notify).
func BenchmarkStabilize(b *testing.B) {
	const n = 64
	ring := buildIdeal(b, n, chord.DefaultConfig(), n, true)
	ctx := testCtx(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ring.nodes[i%n].Stabilize(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFixFingers measures one fix_fingers round on a settled ring
// (a finger beyond the successor list costs one call to verify it).
func BenchmarkFixFingers(b *testing.B) {
	const n = 64
	ring := buildIdeal(b, n, chord.DefaultConfig(), n, true)
	ctx := testCtx(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ring.nodes[i%n].FixFingers(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckPredecessor measures one check_predecessor round (a ping).
func BenchmarkCheckPredecessor(b *testing.B) {
	const n = 64
	ring := buildIdeal(b, n, chord.DefaultConfig(), n, true)
	ctx := testCtx(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ring.nodes[i%n].CheckPredecessor(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkMemoryPerNode reports the heap held per node of an ideal ring of
// 10^4 nodes with full finger tables (m = 160, r = 4), network endpoint
// included. The ring is built once, whatever b.N is.
func BenchmarkMemoryPerNode(b *testing.B) {
	const n = 10000
	b.StopTimer()
	before := heapInUse()
	ring := buildIdeal(b, 7, chord.DefaultConfig(), n, true)
	after := heapInUse()
	runtime.KeepAlive(ring)
	b.ReportMetric(float64(after-before)/n, "bytes/node")
}

// TestBigRing forms a 10^5-node ring in memory (ideal-state builder, then
// one stabilize per node through the protocol), measures memory per node,
// lookup hops and time, and checks lookups against the true owner. It runs
// only with -chord.big or CHORD_BIG=1 (about a minute).
func TestBigRing(t *testing.T) {
	if !*big {
		t.Skip("10^5-node ring: run with -chord.big or CHORD_BIG=1")
	}
	const n = 100000
	ctx := testCtx(t)
	before := heapInUse()
	start := time.Now()
	ring := buildIdeal(t, 100000, chord.DefaultConfig(), n, true)
	built := time.Since(start)
	perNode := float64(heapInUse()-before) / n
	start = time.Now()
	for _, node := range ring.nodes {
		if err := node.Stabilize(ctx); err != nil {
			t.Fatal(err)
		}
	}
	stab := time.Since(start)
	if v := ring.ideal(true); len(v) > 0 {
		t.Fatalf("not ideal after a stabilize round: %d violations, first %v", len(v), v[0])
	}
	keys := randomKeys(3, 20000)
	hops, timeouts := make([]int, len(keys)), make([]int, len(keys))
	owners := make([]chord.NodeRef, len(keys))
	rng := rand.New(rand.NewSource(3))
	start = time.Now()
	for i, key := range keys {
		res, err := ring.nodes[rng.Intn(n)].Lookup(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		owners[i], hops[i], timeouts[i] = res.Owner, res.Hops, res.Timeouts
	}
	took := time.Since(start)
	// ring.nodes is in ID order (buildIdeal): the owner is a binary search away.
	for i, key := range keys {
		j, _ := slices.BinarySearchFunc(ring.nodes, key, func(nd *chord.Node, k chord.ID) int { return nd.Self().ID.Cmp(k) })
		if want := ring.nodes[j%n].Self(); owners[i] != want {
			t.Fatalf("lookup %s: owner %s, want %s", key.Short(160), owners[i].Addr, want.Addr)
		}
	}
	st := summarise(hops, timeouts)
	t.Logf("N=%d: built in %v, %.0f bytes/node; one stabilize round over all nodes %v; %d lookups: %.2f hops mean (p99 %.0f, max %d), %.1f µs/lookup",
		n, built.Round(time.Millisecond), perNode, stab.Round(time.Millisecond), len(keys), st.mean, st.p99, st.max,
		float64(took.Microseconds())/float64(len(keys)))
}
