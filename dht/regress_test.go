package dht

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestJoinBurst writes every key three times, adds a burst of nodes at
// once (chord settles, no dht round has run on most of them), then, with
// repair rounds running on a random part of the ring in between, reads
// every key, overwrites every key and deletes every fifth, settles and
// reads everything back: nothing is lost, reverted or resurrected.
func TestJoinBurst(t *testing.T) {
	for _, tc := range []struct {
		nodes, add, replicas, keys int
		seeds                      int64
	}{
		{5, 4, 2, 250, 4},
		{16, 32, 3, 300, 3},
	} {
		for seed := int64(1); seed <= tc.seeds; seed++ {
			t.Run(fmt.Sprintf("%d nodes add %d r=%d seed %d", tc.nodes, tc.add, tc.replicas, seed), func(t *testing.T) {
				runJoinBurst(t, tc.nodes, tc.add, tc.replicas, tc.keys, seed)
			})
		}
	}
}

func runJoinBurst(t *testing.T, nodes, add, replicas, keys int, seed int64) {
	ctx := context.Background()
	r := emptyTestRing(seed, nil, func(c *Config) { c.Replicas = replicas })
	r.t = t
	r.next = int(seed) * 1000 // another ring each seed
	r.start(nodes)
	vals := map[string]string{}
	for round := 0; round < 3; round++ {
		for i := 0; i < keys; i++ {
			k, v := fmt.Sprintf("b-%d", i), fmt.Sprintf("v%d-%d", round, i)
			if _, err := r.any().store.Set(ctx, k, []byte(v)); err != nil {
				t.Fatalf("set %s: %v", k, err)
			}
			vals[k] = v
		}
	}
	for i := 0; i < add; i++ {
		r.add()
	}
	r.settleChord()
	some := func() { // a repair round on about half the nodes
		for _, n := range r.ringOrder() {
			if r.rng.Intn(2) == 0 {
				_ = n.store.Repair(ctx)
			}
		}
	}
	check := func(when string) {
		t.Helper()
		bad := 0
		for i := 0; i < keys; i++ {
			k := fmt.Sprintf("b-%d", i)
			via := r.any()
			got, err := via.store.Get(ctx, k)
			want, live := vals[k], vals[k] != ""
			if err != nil || got.Found != live || live && string(got.Value) != want {
				t.Errorf("%s: get %s via %s = %q found=%v err=%v (owner %s); want %q found=%v",
					when, k, via.addr, got.Value, got.Found, err, got.Owner.Addr, want, live)
				if bad++; bad == 5 {
					t.FailNow()
				}
			}
		}
	}
	check("right after the joins")
	some()
	for i := 0; i < keys; i++ {
		k, v := fmt.Sprintf("b-%d", i), fmt.Sprintf("new-%d", i)
		if _, err := r.any().store.Set(ctx, k, []byte(v)); err != nil {
			t.Fatalf("overwrite %s: %v", k, err)
		}
		vals[k] = v
	}
	some()
	for i := 0; i < keys; i += 5 {
		k := fmt.Sprintf("b-%d", i)
		if _, err := r.any().store.Del(ctx, k); err != nil {
			t.Fatalf("del %s: %v", k, err)
		}
		vals[k] = ""
	}
	check("after the overwrites and deletes")
	r.settleChord()
	for i := 0; i < 6; i++ {
		r.repairAll()
	}
	check("after settling")
}

// TestPausedHolderAcrossDelete pauses one holder of a key (fewer than r),
// deletes the key and keeps the holder paused for 5 s while repair rounds
// run (tombstones used to be collected after about 2 s), then resumes it:
// its stale copy must not bring the key back.
func TestPausedHolderAcrossDelete(t *testing.T) {
	ctx := context.Background()
	for _, which := range []int{0, 1, 2} {
		t.Run(fmt.Sprintf("holder %d paused", which), func(t *testing.T) {
			r := emptyTestRing(31, nil, nil)
			r.t = t
			r.ccfg.RPCTimeout = 25 * time.Millisecond
			r.start(8)
			vers, _ := setKeys(t, r, 40, "pd")
			r.quiesce(vers)
			const key = "pd-7"
			holders := r.expectedHolders(HashIDForTest(key))
			paused := holders[which]
			var via *testNode
			for _, n := range r.live() {
				if !containsAddr(holders, n.addr) {
					via = n
					break
				}
			}
			r.nw.Pause(paused)
			r.byAddr(paused).up = false
			if _, err := via.store.Del(ctx, key); err != nil {
				t.Fatalf("del with %s paused: %v", paused, err)
			}
			for i := 0; i < 8; i++ {
				r.repairAll()
				r.clock.Advance(time.Second)
			}
			r.nw.Resume(paused)
			r.byAddr(paused).up = true
			r.settleChord()
			for i := 0; i < 4; i++ {
				r.repairAll()
				for _, n := range r.live() {
					if got, err := n.store.Get(ctx, key); err != nil || got.Found {
						t.Fatalf("round %d after resuming %s: get via %s = %q found=%v err=%v; want deleted",
							i, paused, n.addr, got.Value, got.Found, err)
					}
				}
			}
		})
	}
}

// TestSequentialWritesAcrossHeal cuts the three holders of a key off from
// the rest of the ring, writes the key through the cut-off side, then
// (after that write was acknowledged) through the majority, heals and
// repairs: the later write wins everywhere, and every node of the cut-off
// side whose copy it replaced reports the merge and marks the key.
func TestSequentialWritesAcrossHeal(t *testing.T) {
	ctx := context.Background()
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			var mu sync.Mutex
			var merges []Merge
			r := newTestRingCfg(t, 8, 40+seed, func(c *Config) {
				c.OnMerge = func(m Merge) { mu.Lock(); merges = append(merges, m); mu.Unlock() }
			})
			vers, _ := setKeys(t, r, 50, "h")
			r.quiesce(vers)
			const key = "h-9"
			holders := r.expectedHolders(HashIDForTest(key))
			var minority, majority []*testNode
			for _, n := range r.live() {
				if containsAddr(holders, n.addr) {
					minority = append(minority, n)
				} else {
					majority = append(majority, n)
				}
			}
			// The cut-off side has been busy: many writes through it.
			for i := 0; i < 20; i++ {
				if _, err := minority[i%len(minority)].store.Set(ctx, key, []byte(fmt.Sprintf("early-%d", i))); err != nil {
					t.Fatal(err)
				}
			}
			for _, a := range minority {
				for _, b := range majority {
					r.nw.Cut(a.addr, b.addr)
				}
			}
			a, err := minority[0].store.Set(ctx, key, []byte("a"))
			if err != nil {
				t.Fatalf("write through the cut-off side: %v", err)
			}
			b, err := majority[0].store.Set(ctx, key, []byte("b"))
			if err != nil {
				t.Fatalf("later write through the majority: %v", err)
			}
			r.nw.Heal()
			r.settleChord()
			for i := 0; i < 4; i++ {
				r.repairAll()
			}
			for _, n := range r.live() {
				if got, err := n.store.Get(ctx, key); err != nil || string(got.Value) != "b" {
					t.Fatalf("after heal: get via %s = %q, %v; want the later write \"b\"", n.addr, got.Value, err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			reported := map[string]bool{}
			for _, m := range merges {
				if m.Key != key || m.Kept != b.Version || m.Replaced != a.Version {
					t.Errorf("merge %+v; want %s kept %v over %v", m, key, b.Version, a.Version)
				}
				reported[m.Node.Addr] = true
			}
			for _, n := range minority {
				if !reported[n.addr] {
					t.Errorf("%s (cut off, held \"a\") reported no merge; reports: %+v", n.addr, merges)
				}
				for _, k := range n.store.Keys() {
					if k.Key == key && k.MergedOver != a.Version {
						t.Errorf("%s marks %s as merged over %v, want %v", n.addr, key, k.MergedOver, a.Version)
					}
				}
			}
			for _, n := range majority {
				if reported[n.addr] {
					t.Errorf("%s (majority, never held \"a\") reported a merge", n.addr)
				}
			}
		})
	}
}
