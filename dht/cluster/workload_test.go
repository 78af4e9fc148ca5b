package cluster

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// waitStable waits for the ring to be stable or fails the test.
func waitStable(t *testing.T, c *Cluster) {
	t.Helper()
	if _, err := c.Wait(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
}

// TestWorkloadMix runs a mix of gets and sets from random origins on a
// healthy ring: every get is checked and none is stale, every operation
// counts, the latencies and the nodes' load are reported.
func TestWorkloadMix(t *testing.T) {
	c := startCluster(t, memConfig(8))
	waitStable(t, c)
	spec := DefaultWorkload()
	spec.Keys, spec.ReadPercent, spec.Zipf, spec.Duration, spec.Ops, spec.Clients = 50, 70, 1, 0, 2000, 8
	var mu sync.Mutex
	var last WorkloadProgress
	res, err := c.RunWorkload(context.Background(), spec, func(p WorkloadProgress) {
		mu.Lock()
		defer mu.Unlock()
		last = p
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != 2000 || res.Gets.Count+res.Sets.Count+int(res.Errors) != 2000 {
		t.Errorf("%d ops (%d gets, %d sets, %d errors), want 2000 in all", res.Ops, res.Gets.Count, res.Sets.Count, res.Errors)
	}
	if res.Errors != 0 || res.Stale != 0 {
		t.Errorf("%d errors (%v), %d stale reads (%v) on a healthy ring", res.Errors, res.Examples, res.Stale, res.StaleExamples)
	}
	if res.Prepared != 50 || res.Checked != uint64(res.Gets.Count) {
		t.Errorf("prepared %d keys, checked %d of %d gets; want 50 and every get", res.Prepared, res.Checked, res.Gets.Count)
	}
	if res.Gets.P50 <= 0 || res.Gets.P99 < res.Gets.P50 || res.Hops <= 0 {
		t.Errorf("gets %+v, hops %v: want positive, ordered percentiles and a path length", res.Gets, res.Hops)
	}
	// Three copies: every get and set is served by three nodes (a get
	// that guessed a replica wrong reads one more).
	if got, want := res.Load.Requests.Mean*float64(res.Load.Requests.Nodes), float64(3*res.Ops); got < want || got > 1.02*want {
		t.Errorf("requests served in all %v, want 3 per operation = %v", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if last.Spec.Keys != 50 || last.Ops != 2000 || last.Phase != "running" {
		t.Errorf("the last progress reported is %+v, want 2000 ops of the running phase", last)
	}
	if _, running := c.Workload(); running {
		t.Error("a workload still shows as running after it returned")
	}
}

// TestWorkloadFindsStaleReads checks the checker against reads the store
// is allowed to make stale: under a partition, writes on one side are not
// seen by reads on the other (docs: "During a partition … a read may
// return an older value").
func TestWorkloadFindsStaleReads(t *testing.T) {
	c := startCluster(t, memConfig(10))
	waitStable(t, c)
	spec := DefaultWorkload()
	spec.Keys, spec.ReadPercent, spec.Duration, spec.Ops, spec.Clients = 20, 50, 0, 3000, 4
	// Prepare on the whole ring, then cut it while the mix runs.
	done := make(chan WorkloadResult)
	go func() {
		res, err := c.RunWorkload(context.Background(), spec, nil)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if p, ok := c.Workload(); ok && p.Phase == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the workload did not start running")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := c.Partition([]string{"n1", "n3", "n5", "n7", "n9"}); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.Stale == 0 || len(res.StaleExamples) == 0 {
		t.Fatalf("no stale read found across a partition (%d gets checked, %d errors)", res.Checked, res.Errors)
	}
	t.Logf("%d stale reads of %d checked, e.g. %s", res.Stale, res.Checked, res.StaleExamples[0])
}

// TestWorkloadStop ends a long workload early, and refuses a second one
// while the first runs.
func TestWorkloadStop(t *testing.T) {
	c := startCluster(t, memConfig(5))
	waitStable(t, c)
	spec := DefaultWorkload()
	spec.Keys, spec.Duration = 10, time.Hour
	done := make(chan WorkloadResult)
	go func() {
		res, _ := c.RunWorkload(context.Background(), spec, nil)
		done <- res
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if p, ok := c.Workload(); ok && p.Ops > 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the workload made no progress")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := c.RunWorkload(context.Background(), spec, nil); !errors.Is(err, ErrBusy) {
		t.Errorf("a second workload: %v, want ErrBusy", err)
	}
	if !c.StopWorkload() {
		t.Fatal("StopWorkload found nothing running")
	}
	select {
	case res := <-done:
		if !res.Stopped || res.Ops == 0 {
			t.Errorf("stopped result: stopped %v after %d ops, want stopped with ops", res.Stopped, res.Ops)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the workload did not end after StopWorkload")
	}
	if c.StopWorkload() {
		t.Error("StopWorkload with nothing running reported one")
	}
}

// TestZipfTable checks the key popularity: with α = 1 over 100 keys the
// key of rank i is drawn with probability (1/i)/H_100.
func TestZipfTable(t *testing.T) {
	const n, draws = 100, 200000
	z := newZipf(n, 1)
	r := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, n)
	for range draws {
		counts[z.draw(r)]++
	}
	h := 0.0
	for i := 1; i <= n; i++ {
		h += 1 / float64(i)
	}
	for _, rank := range []int{0, 1, 9, 99} {
		want := 1 / float64(rank+1) / h
		got := float64(counts[rank]) / draws
		if math.Abs(got-want) > 0.1*want+0.001 {
			t.Errorf("rank %d drawn %.4f of the time, want %.4f", rank, got, want)
		}
	}
}
