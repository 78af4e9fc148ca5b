package dht

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// incr is the function of an Update that adds one to a decimal value.
func incr(next *int) func([]byte, bool) (Change, error) {
	return func(v []byte, found bool) (Change, error) {
		n := 0
		if found {
			var err error
			if n, err = strconv.Atoi(string(v)); err != nil {
				return Change{}, err
			}
		}
		*next = n + 1
		return Change{Value: []byte(strconv.Itoa(n + 1))}, nil
	}
}

func TestUpdateWritesOnlyOverTheVersionRead(t *testing.T) {
	r := newTestRing(t, 6, 1, nil)
	ctx := context.Background()
	via := r.any().store
	if _, err := via.Set(ctx, "k", []byte("a")); err != nil {
		t.Fatal(err)
	}
	gr, err := via.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	// A conditional write over the version read is applied once; the same
	// write again finds the key changed and writes nothing.
	if _, err := via.SetIf(ctx, "k", []byte("b"), gr.Version); err != nil {
		t.Fatalf("write over the version read: %v", err)
	}
	if _, err := via.SetIf(ctx, "k", []byte("c"), gr.Version); !errors.Is(err, ErrConflict) {
		t.Fatalf("write over an old version: err = %v, want ErrConflict", err)
	}
	if got, _ := r.any().store.Get(ctx, "k"); string(got.Value) != "b" {
		t.Fatalf("after the conflict k = %q, want b", got.Value)
	}
	// The owner checks again under its write lock: a plain write that came
	// in after its read (here: its own copy is newer than the version the
	// read found) makes the conditional write write nothing.
	owner := r.byAddr(r.expectedHolders(HashIDForTest("k"))[0])
	stale := &condCommit{token: "test", start: time.Now(), ttl: time.Second, read: gr.Version}
	if _, cur, ok := owner.store.ownerWriteIf(ctx, setReq{Key: "k", Value: []byte("e")}, stale); ok || cur.Ver == stale.read {
		t.Fatalf("owner's write over a version older than its copy: applied %v, copy %v", ok, cur.Ver)
	}
	if got, _ := r.any().store.Get(ctx, "k"); string(got.Value) != "b" {
		t.Fatalf("after the owner's check k = %q, want b", got.Value)
	}

	tests := []struct {
		name        string
		key         string
		change      Change
		fnErr       error
		wantWritten bool
		wantFound   bool
		wantValue   string
	}{
		{"new key", "new", Change{Value: []byte("1")}, nil, true, true, "1"},
		{"overwrite", "k", Change{Value: []byte("x")}, nil, true, true, "x"},
		{"keep", "k", Change{Keep: true}, nil, false, true, "x"},
		{"function error", "k", Change{}, strconv.ErrSyntax, false, true, "x"},
		{"delete", "k", Change{Delete: true}, nil, true, false, ""},
		{"write over a tombstone", "k", Change{Value: []byte("y")}, nil, true, true, "y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.any().store.Update(ctx, tt.key, func([]byte, bool) (Change, error) { return tt.change, tt.fnErr })
			if !errors.Is(err, tt.fnErr) {
				t.Fatalf("err = %v, want %v", err, tt.fnErr)
			}
			if res.Written != tt.wantWritten || res.Attempts != 1 {
				t.Errorf("written %v after %d attempts, want %v after 1", res.Written, res.Attempts, tt.wantWritten)
			}
			got, err := r.any().store.Get(ctx, tt.key)
			if err != nil || got.Found != tt.wantFound || string(got.Value) != tt.wantValue {
				t.Errorf("then get = %v %q (%v), want %v %q", got.Found, got.Value, err, tt.wantFound, tt.wantValue)
			}
		})
	}
	if _, err := via.Update(ctx, "k", func([]byte, bool) (Change, error) {
		return Change{Value: make([]byte, via.Config().MaxValueSize+1)}, nil
	}); !errors.Is(err, ErrValueTooLarge) {
		t.Errorf("update to a value over the limit: err = %v, want ErrValueTooLarge", err)
	}
}

// TestUpdateConcurrentIncrements: clients increment one counter at once
// through different nodes, with no fault and while a node crashes; no
// increment is lost and no value is returned twice, and without a fault
// none fails.
func TestUpdateConcurrentIncrements(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash=%v", crash), func(t *testing.T) { concurrentIncrements(t, crash) })
	}
}

func concurrentIncrements(t *testing.T, crash bool) {
	r := newTestRing(t, 7, 2, nil)
	const clients, each = 6, 15
	nodes := r.live()
	victim := nodes[len(nodes)-1]
	nodes = nodes[:len(nodes)-1]
	var mu sync.Mutex
	var got []int
	var failed []error
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() { // exits after its increments
			defer wg.Done()
			via := nodes[c%len(nodes)].store
			for range each {
				var next int
				_, err := via.Update(context.Background(), "ctr", incr(&next))
				mu.Lock()
				if err != nil {
					failed = append(failed, err)
				} else {
					got = append(got, next)
				}
				mu.Unlock()
			}
		}()
	}
	if crash {
		r.crash(victim) // a holder of some keys, maybe of ctr
	}
	wg.Wait()
	r.settleChord()
	r.repairAll()
	gr, err := nodes[0].store.Get(context.Background(), "ctr")
	if err != nil {
		t.Fatal(err)
	}
	final, _ := strconv.Atoi(string(gr.Value))
	slices.Sort(got)
	if d := slices.Compact(slices.Clone(got)); len(d) != len(got) {
		t.Errorf("some value was returned by two increments: %v", got)
	}
	// A failed increment may or may not have been applied.
	if final < len(got) || final > len(got)+len(failed) {
		t.Errorf("counter = %d after %d increments that succeeded and %d that failed", final, len(got), len(failed))
	}
	if len(got) > 0 && got[len(got)-1] > final {
		t.Errorf("an increment returned %d, above the final %d", got[len(got)-1], final)
	}
	if !crash && len(failed) > 0 {
		t.Errorf("%d increments failed without a fault, the first: %v", len(failed), failed[0])
	}
	t.Logf("%d increments, %d failed, counter %d", len(got), len(failed), final)
}

// TestUpdatesTakeTurns: many clients incrementing one counter through one
// node (the RESP endpoint's INCRs) take turns: none of them conflicts
// with another, so each reads once and writes once, and the counter ends
// at their number. A client whose context ends while it waits gets its
// error without writing.
func TestUpdatesTakeTurns(t *testing.T) {
	r := newTestRing(t, 5, 1, nil)
	via := r.any().store
	const clients, each = 12, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	var attempts []int
	for range clients {
		wg.Add(1)
		go func() { // exits after its increments
			defer wg.Done()
			for range each {
				var next int
				res, err := via.Update(context.Background(), "ctr", incr(&next))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				attempts = append(attempts, res.Attempts)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, a := range attempts {
		if a != 1 {
			t.Fatalf("attempts of the increments through one node: %v, want 1 each", attempts)
		}
	}
	gr, err := via.Get(context.Background(), "ctr")
	if err != nil || string(gr.Value) != strconv.Itoa(clients*each) {
		t.Fatalf("ctr = %q, %v; want %d", gr.Value, err, clients*each)
	}

	release, err := via.turns.take(context.Background(), "ctr")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	var next int
	if _, err := via.Update(ctx, "ctr", incr(&next)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an update waiting past its deadline: %v, want DeadlineExceeded", err)
	}
	release()
	if gr, _ := via.Get(context.Background(), "ctr"); string(gr.Value) != strconv.Itoa(clients*each) {
		t.Fatalf("after the update that timed out waiting, ctr = %q", gr.Value)
	}
	if n := len(via.turns.keys); n != 0 {
		t.Fatalf("%d keys' turns left after every update ended", n)
	}
}
