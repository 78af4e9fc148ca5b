package dht

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// flightsLeft polls until f holds no key, failing after a deadline.
func flightsLeft(t *testing.T, f *readFlights) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.mu.Lock()
		n := len(f.keys)
		f.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d keys still have reads under way", n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSharedReadPanic: a read that panics (a bug) leaves no key blocked:
// the caller whose read it was sees the panic (the RESP endpoint ends that
// client), the gets that shared a read get an error, and later gets read.
func TestSharedReadPanic(t *testing.T) {
	var f readFlights
	ctx := context.Background()
	ok := func(context.Context) (GetResult, error) { return GetResult{Found: true}, nil }
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the read's panic did not reach its caller")
			}
		}()
		_, _ = f.shared(ctx, "k", time.Second, func(context.Context) (GetResult, error) { panic("bug") })
	}()
	if res, err := f.shared(ctx, "k", time.Second, ok); err != nil || !res.Found {
		t.Fatalf("a get after a read panicked: %v, %v", res, err)
	}

	// A shared read that panics.
	hold := make(chan struct{})
	go func() {
		_, _ = f.shared(ctx, "k", time.Hour, func(context.Context) (GetResult, error) { <-hold; return GetResult{}, nil })
	}()
	for f.waiting("k") < 0 {
		time.Sleep(time.Millisecond)
	}
	shared := make(chan error, 1)
	go func() {
		_, err := f.shared(ctx, "k", time.Hour, func(context.Context) (GetResult, error) { panic("bug") })
		shared <- err
	}()
	for f.waiting("k") < 1 {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	if err := <-shared; err == nil {
		t.Error("a shared read that panicked returned no error")
	}
	flightsLeft(t, &f)
}

// TestSharedReadDoesNotWaitForSlowRead: a get that arrives while a read of
// its key hangs starts its own read after the longest wait, and its
// read's answer comes back while the first still hangs.
func TestSharedReadDoesNotWaitForSlowRead(t *testing.T) {
	var f readFlights
	ctx := context.Background()
	hang := make(chan struct{})
	go func() {
		_, _ = f.shared(ctx, "k", 5*time.Millisecond, func(context.Context) (GetResult, error) { <-hang; return GetResult{}, nil })
	}()
	for f.waiting("k") < 0 {
		time.Sleep(time.Millisecond)
	}
	res, err := f.shared(ctx, "k", 5*time.Millisecond, func(context.Context) (GetResult, error) { return GetResult{Found: true}, nil })
	if err != nil || !res.Found {
		t.Errorf("a get behind a hanging read: %v, %v", res, err)
	}
	close(hang)
	flightsLeft(t, &f)
}

// TestSharedReadOutlivesFirstCaller: the gets waiting behind a read whose
// caller gave up are still answered, by a read of their own deadline.
func TestSharedReadOutlivesFirstCaller(t *testing.T) {
	var f readFlights
	first, cancel := context.WithCancel(context.Background())
	var reads atomic.Int32
	read := func(ctx context.Context) (GetResult, error) {
		if reads.Add(1) == 1 {
			<-ctx.Done()
			return GetResult{}, ctx.Err()
		}
		return GetResult{Found: true}, ctx.Err()
	}
	firstErr := make(chan error, 1)
	go func() { _, err := f.shared(first, "k", time.Hour, read); firstErr <- err }()
	for f.waiting("k") < 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() {
		ctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_, err := f.shared(ctx, "k", time.Hour, read)
		second <- err
	}()
	for f.waiting("k") < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Errorf("the first get: %v, want its own cancellation", err)
	}
	if err := <-second; err != nil {
		t.Errorf("the get behind it: %v", err)
	}
	flightsLeft(t, &f)
}

// waiting returns -1 when no read of key is under way, else how many gets
// wait for the next one.
func (f *readFlights) waiting(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	kf := f.keys[key]
	switch {
	case kf == nil:
		return -1
	case kf.next == nil:
		return 0
	}
	return kf.next.members
}

// TestGetDirectCountsOneMiss: a GetDirect that finds no remembered owner
// looks the key up and counts one cache miss, not two.
func TestGetDirectCountsOneMiss(t *testing.T) {
	ctx := context.Background()
	r := newTestRingCfg(t, 4, 41, nil)
	if _, err := r.any().store.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	via := notHolder(t, r, "k")
	via.store.SetCache(true)
	before := via.store.CacheStats().Misses
	if _, err := via.store.GetDirect(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if got := via.store.CacheStats().Misses - before; got != 1 {
		t.Errorf("one GetDirect counted %d cache misses, want 1", got)
	}
}
