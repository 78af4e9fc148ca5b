package dht

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestRequestLoad checks what a store's request load counts: a write
// counts once at each of its r holders (the owner's write, the replicas'
// pushes), a read once at each holder it reads (the owner's get, the
// replicas' reads), and the origin, which only asks, counts nothing for
// a key it does not hold; repair rounds count nothing.
func TestRequestLoad(t *testing.T) {
	r := newTestRing(t, 8, 3, nil)
	ctx := context.Background()
	const keys, reads = 20, 3
	for i := range keys {
		k := fmt.Sprintf("load-%d", i)
		if _, err := r.any().store.Set(ctx, k, []byte("v")); err != nil {
			t.Fatal(err)
		}
		for range reads {
			if _, err := r.any().store.Get(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.repairAll()
	wantGets, wantSets := map[string]uint64{}, map[string]uint64{}
	for i := range keys {
		for _, h := range r.expectedHolders(HashIDForTest(fmt.Sprintf("load-%d", i))) {
			wantSets[h]++
			wantGets[h] += reads
		}
	}
	now := time.Now()
	var gets, sets uint64
	for _, n := range r.live() {
		l := n.store.Load(now)
		if l.Gets.Total != wantGets[n.addr] || l.Sets.Total != wantSets[n.addr] {
			t.Errorf("%s: %d gets and %d sets served, want %d and %d", n.addr, l.Gets.Total, l.Sets.Total, wantGets[n.addr], wantSets[n.addr])
		}
		if rq := l.Requests(); rq.Total != l.Gets.Total+l.Sets.Total || rq.Window != rq.Total {
			t.Errorf("%s: requests %+v, want gets + sets, all in the window", n.addr, rq)
		}
		gets += l.Gets.Total
		sets += l.Sets.Total
	}
	if want := uint64(keys * r.cfg.Replicas); sets != want || gets != want*reads {
		t.Errorf("in all %d sets and %d gets served, want %d and %d", sets, gets, want, want*reads)
	}
}
