package dht

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/netmux"
)

// TestNetmuxCrashWindows is TestCrashAdjacentWindows over the real netmux
// transport (yamux over TCP on 127.0.0.1): 16 nodes, r-1 ring-adjacent
// nodes killed at once, reads before any round, after chord repaired the
// successor lists and after repair; every key back at exactly r copies.
// By default two windows run; DHT_NETMUX_ALL=1 runs all sixteen.
func TestNetmuxCrashWindows(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets; skipped with -short")
	}
	const nodes, keys = 16, 400
	windows := []int{0, 9}
	if os.Getenv("DHT_NETMUX_ALL") != "" {
		windows = nil
		for i := 0; i < nodes; i++ {
			windows = append(windows, i)
		}
	}
	for _, start := range windows {
		t.Run(fmt.Sprintf("window at %d", start), func(t *testing.T) {
			r := newNetmuxRing(t, nodes, int64(start))
			vers, vals := setKeys(t, r, keys, "m")
			r.quiesce(vers)
			ring := r.ringOrder()
			var crashed []string
			for k := 0; k < r.cfg.Replicas-1; k++ {
				n := ring[(start+k)%len(ring)]
				r.crash(n)
				crashed = append(crashed, n.addr)
			}
			t.Logf("killed %v", crashed)
			checkGets(t, r, vals)
			stabilizeOnly(t, r)
			checkGets(t, r, vals)
			r.quiesce(vers)
			checkGets(t, r, vals)
		})
	}
}

// newNetmuxRing starts n nodes, each on its own netmux listener; every
// transport is closed (or already killed) when the test ends.
func newNetmuxRing(t *testing.T, n int, seed int64) *testRing {
	t.Helper()
	r := emptyTestRing(seed, nil, nil)
	r.t = t
	r.useNetmux(t)
	return r.start(n)
}

// useNetmux makes r start its nodes on netmux listeners (127.0.0.1) that
// share one fault table (r.faults); every transport is closed (or already
// killed) when the test ends.
func (r *testRing) useNetmux(t testing.TB) {
	var mu sync.Mutex
	trs := map[string]*netmux.Transport{}
	r.faults = netmux.NewFaultsSeeded(uint64(r.rng.Int63()))
	r.listen = func() (chord.Transport, error) {
		cfg := netmux.DefaultConfig()
		cfg.Faults = r.faults
		tr, err := netmux.Listen("127.0.0.1:0", cfg)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		trs[tr.Addr()] = tr
		mu.Unlock()
		return netmuxTransport{tr}, nil
	}
	r.kill = func(addr string) {
		mu.Lock()
		tr := trs[addr]
		mu.Unlock()
		if tr != nil {
			tr.Kill()
		}
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, tr := range trs {
			tr.Kill()
		}
	})
}

// netmuxTransport presents a netmux.Transport as a chord.Transport (its
// Serve takes netmux's own handler type).
type netmuxTransport struct{ *netmux.Transport }

func (t netmuxTransport) Serve(h chord.Handler) { t.Transport.Serve(h) }

// BenchmarkNetmuxSetGet measures Set and Get through random nodes of a
// 16-node ring over netmux (r = 3): one op is a lookup, the owner's work
// and its calls to r-1 successors.
func BenchmarkNetmuxSetGet(b *testing.B) {
	r := emptyTestRing(1, nil, nil)
	r.t = b
	var trs []*netmux.Transport
	r.listen = func() (chord.Transport, error) {
		tr, err := netmux.Listen("127.0.0.1:0", netmux.DefaultConfig())
		if err == nil {
			trs = append(trs, tr)
		}
		return netmuxTransport{tr}, err
	}
	defer func() {
		for _, tr := range trs {
			tr.Kill()
		}
	}()
	r.start(16)
	r.clock.Advance(time.Minute) // the join handoffs of the start are over
	ctx := context.Background()
	nodes := r.live()
	b.Run("set", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := nodes[i%len(nodes)].store.Set(ctx, fmt.Sprintf("bench-%d", i%1000), []byte("value")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := nodes[i%len(nodes)].store.Get(ctx, fmt.Sprintf("bench-%d", i%1000)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("repair round at quiescence", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, n := range nodes {
				_ = n.store.Repair(ctx)
			}
		}
	})
}

// TestNetmuxLargeValues writes values of the maximum size (1 MiB) over the
// real transport, then makes them move: a join pulls them in pages, a
// crash re-replicates them, and every read returns them intact.
func TestNetmuxLargeValues(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets; skipped with -short")
	}
	ctx := context.Background()
	r := newNetmuxRing(t, 5, 3)
	vals := map[string]string{}
	vers := map[string]Version{}
	for i := 0; i < 6; i++ {
		k := fmt.Sprintf("big-%d", i)
		v := make([]byte, r.cfg.MaxValueSize)
		for j := range v {
			v[j] = byte(i + j)
		}
		res, err := r.any().store.Set(ctx, k, v)
		if err != nil {
			t.Fatalf("set %s (1 MiB): %v", k, err)
		}
		vals[k], vers[k] = string(v), versionOf(res)
	}
	r.add()
	r.quiesce(vers)
	r.crash(r.ringOrder()[2])
	r.quiesce(vers)
	checkGets(t, r, vals)
}
