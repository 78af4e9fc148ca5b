package dht

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestDeleteDoesNotComeBackFromStaleReplica cuts one holder of a key off,
// deletes the key (acknowledged by the other holders and the next node),
// heals, and repairs: the stale copy is overwritten by the tombstone, not
// the other way round, and the key stays deleted after the tombstones are
// collected.
func TestDeleteDoesNotComeBackFromStaleReplica(t *testing.T) {
	ctx := context.Background()
	for _, stale := range []int{0, 1, 2} { // owner, first replica, second replica
		t.Run(fmt.Sprintf("holder %d stale", stale), func(t *testing.T) {
			r := newTestRing(t, 8, 3, nil)
			vers, _ := setKeys(t, r, 50, "t")
			r.quiesce(vers)
			const key = "t-7"
			holders := r.expectedHolders(HashIDForTest(key))
			via := r.liveExcept(holders[stale], holders[0])
			r.nw.Isolate(holders[stale])
			// With the owner cut off, its first live successor (a holder)
			// stands in; with a replica cut off, the next node does.
			res, err := via.store.Del(ctx, key)
			if err != nil {
				t.Fatalf("del with holder %s cut off: %v", holders[stale], err)
			}
			if ki, ok := r.holdings()[key][holders[stale]]; !ok || ki.Deleted {
				t.Fatal("the isolated holder should still have its stale live copy")
			}
			r.nw.Heal()
			for i := 0; i < 3; i++ {
				r.repairAll()
			}
			if got, err := via.store.Get(ctx, key); err != nil || got.Found {
				t.Fatalf("after repair: get = %q found=%v err=%v, want deleted", got.Value, got.Found, err)
			}
			want := map[string]Version{key: versionOf(res)}
			if errs := r.placementErrors(want); len(errs) > 0 {
				t.Fatalf("tombstone placement:\n%s", joinLines(errs))
			}
			for i := 0; i < 3; i++ {
				r.repairAll()
			}
			if h := r.holdings()[key]; len(h) != r.cfg.Replicas {
				t.Errorf("before its TTL the tombstone is on %d nodes, want %d", len(h), r.cfg.Replicas)
			}
			r.clock.Advance(r.cfg.TombstoneTTL)
			r.repairAll()
			if h := r.holdings()[key]; len(h) != 0 {
				t.Errorf("tombstone not collected: still on %d nodes", len(h))
			}
			for _, n := range r.live() {
				if got, err := n.store.Get(ctx, key); err != nil || got.Found {
					t.Fatalf("after collection: get via %s = %q found=%v err=%v", n.addr, got.Value, got.Found, err)
				}
			}
			// A new write after collection is newer than every old copy.
			if _, err := via.store.Set(ctx, key, []byte("again")); err != nil {
				t.Fatal(err)
			}
			r.repairAll()
			if got, _ := via.store.Get(ctx, key); string(got.Value) != "again" {
				t.Errorf("write after collection reads %q", got.Value)
			}
		})
	}
}

// TestConcurrentClientsAndRepair runs writers, readers and repair rounds
// at the same time (for -race); each writer reads back its own last write.
func TestConcurrentClientsAndRepair(t *testing.T) {
	r := newTestRing(t, 8, 5, nil)
	ctx := context.Background()
	nodes := r.live()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) { // exits after its 100 operations
			defer wg.Done()
			s := nodes[w].store
			for i := 0; i < 100; i++ {
				k := fmt.Sprintf("w%d-%d", w, i%10)
				v := fmt.Sprintf("%d", i)
				if _, err := s.Set(ctx, k, []byte(v)); err != nil {
					errs <- err
					return
				}
				got, err := nodes[(w+i)%len(nodes)].store.Get(ctx, k)
				if err != nil || string(got.Value) != v {
					errs <- fmt.Errorf("writer %d: get %s = %q, %w; want %q", w, k, got.Value, err, v)
					return
				}
			}
		}(w)
	}
	wg.Add(1)
	go func() { // exits after 20 repair rounds
		defer wg.Done()
		for i := 0; i < 20; i++ {
			for _, n := range nodes {
				_ = n.store.Repair(ctx)
				_ = n.store.Counts()
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestPausedHolder pauses a holder (it accepts calls but never answers):
// writes skip it after the call deadline and still reach r live holders,
// reads still answer, and once it resumes repair brings every key back to
// exactly r copies at the latest version. Then it pauses the owner: its
// first live successor answers reads and takes writes, and the resumed
// owner's stale copy does not win.
func TestPausedHolder(t *testing.T) {
	ctx := context.Background()
	r := emptyTestRing(4, nil, nil)
	r.t = t
	r.ccfg.RPCTimeout = 20 * time.Millisecond // the deadline a paused node costs
	r.start(8)
	vers, _ := setKeys(t, r, 100, "p")
	r.quiesce(vers)
	const key = "p-3"
	holders := r.expectedHolders(HashIDForTest(key))
	paused := holders[1]
	var via *testNode
	for _, n := range r.live() {
		if n.addr != paused {
			via = n
			break
		}
	}
	r.nw.Pause(paused)
	res, err := via.store.Set(ctx, key, []byte("while paused"))
	if err != nil {
		t.Fatalf("set with replica %s paused: %v", paused, err)
	}
	if res.Copies != r.cfg.Replicas {
		t.Errorf("acknowledged with %d copies, want %d (the next live node stands in)", res.Copies, r.cfg.Replicas)
	}
	if got, err := via.store.Get(ctx, key); err != nil || string(got.Value) != "while paused" {
		t.Fatalf("get with a replica paused = %q, %v", got.Value, err)
	}
	r.nw.Resume(paused)
	vers[key] = versionOf(res)
	r.quiesce(vers)

	// A paused owner: the next holder answers reads and takes writes.
	r.nw.Pause(holders[0])
	if got, err := via.store.Get(ctx, key); err != nil || string(got.Value) != "while paused" {
		t.Fatalf("get with the owner paused = %q, %v", got.Value, err)
	}
	if _, err := via.store.Set(ctx, key, []byte("owner paused")); err != nil {
		t.Fatalf("set with the owner paused: %v", err)
	}
	if got, err := via.store.Get(ctx, key); err != nil || string(got.Value) != "owner paused" {
		t.Fatalf("read-your-write with the owner paused = %q, %v", got.Value, err)
	}
	r.nw.Resume(holders[0])
	for i := 0; i < 3; i++ {
		r.repairAll()
	}
	if got, err := via.store.Get(ctx, key); err != nil || string(got.Value) != "owner paused" {
		t.Fatalf("after the owner resumed = %q, %v", got.Value, err)
	}
}
