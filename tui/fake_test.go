package tui

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
	"github.com/chordtui/chordtui/dht/cluster"
)

// fakeCluster is a deterministic Cluster for tests: a hand-built snapshot,
// canned results, and a record of every command line run.
type fakeCluster struct {
	mu      sync.Mutex
	snap    cluster.Snapshot
	lines   []string
	results map[string]cluster.Result // by full line; default OK
	events  chan cluster.Event
}

func newFake(snap cluster.Snapshot) *fakeCluster {
	return &fakeCluster{snap: snap, results: map[string]cluster.Result{}, events: make(chan cluster.Event, 16)}
}

func (f *fakeCluster) Snapshot() cluster.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.snap
	s.Nodes = slices.Clone(s.Nodes)
	return s
}

func (f *fakeCluster) Events() <-chan cluster.Event { return f.events }

func (f *fakeCluster) Exec(_ context.Context, line string) cluster.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, line)
	if r, ok := f.results[line]; ok {
		return r
	}
	return cluster.Result{OK: true, Text: "done: " + line}
}

func (f *fakeCluster) executed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.lines)
}

// fakeTime is the instant every fake snapshot is taken at.
var fakeTime = time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)

// ringSpec describes a hand-built ring.
type ringSpec struct {
	n, bits int
	down    int // index of a crashed node, -1 for none
	paused  int // index of a paused node, -1 for none
	keys    int
}

// fakeRing builds the snapshot of a ring of spec.n nodes moments after a
// crash: every node still holds the ideal pointers of the full ring, so
// pointers at the crashed node are wrong (✗) and the ring is reconverging.
func fakeRing(spec ringSpec) cluster.Snapshot {
	const r = 3
	s := cluster.Snapshot{Taken: fakeTime, Bits: spec.bits, R: r, Replicas: r, Origin: "n0"}
	refs := make([]chord.NodeRef, spec.n)
	for i := range refs {
		addr := fmt.Sprintf("127.0.0.1:%d", 7000+i)
		refs[i] = chord.NodeRef{ID: chord.HashID(spec.bits, []byte(addr)), Addr: addr}
	}
	sorted := slices.Clone(refs)
	slices.SortFunc(sorted, func(a, b chord.NodeRef) int { return a.ID.Cmp(b.ID) })
	succOf := func(id chord.ID) chord.NodeRef {
		for _, x := range sorted {
			if x.ID.Cmp(id) >= 0 {
				return x
			}
		}
		return sorted[0]
	}
	for i, ref := range refs {
		p := slices.Index(sorted, ref)
		st := chord.Status{Self: ref, Bits: spec.bits, R: r, Joined: true,
			Predecessor: sorted[(p-1+spec.n)%spec.n], Lookups: uint64(10 * i), Rounds: 300}
		for j := 1; j <= r; j++ {
			st.Successors = append(st.Successors, sorted[(p+j)%spec.n])
		}
		for k := 0; k < spec.bits; k++ {
			st.Fingers = append(st.Fingers, succOf(ref.ID.AddPow2(spec.bits, k)))
		}
		n := cluster.NodeSnapshot{Name: fmt.Sprintf("n%d", i), State: cluster.StateAlive, Addr: ref.Addr, ID: ref.ID,
			Chord: st, Keys: dht.Counts{Owned: 2 + i%5, Replicas: 4 + i%7, Bytes: int64(100 * i)},
			RPC: cluster.RPCStats{Calls: uint64(1000 + i), Served: uint64(990 + i), P50: 35 * time.Microsecond, P99: 120 * time.Microsecond}}
		switch i {
		case spec.down:
			n.State, n.Chord, n.Keys, n.RPC = cluster.StateDown, chord.Status{}, dht.Counts{}, cluster.RPCStats{}
		case spec.paused:
			n.State = cluster.StatePaused
		}
		s.Nodes = append(s.Nodes, n)
	}
	for k := 0; k < spec.keys; k++ {
		s.KeyIDs = append(s.KeyIDs, chord.HashID(spec.bits, []byte(fmt.Sprintf("key-%d", k))))
	}
	switch {
	case spec.down >= 0:
		s.LastFault, s.LastFaultAt = fmt.Sprintf("kill n%d", spec.down), fakeTime.Add(-800*time.Millisecond)
	case spec.paused >= 0:
		s.LastFault, s.LastFaultAt = fmt.Sprintf("pause n%d", spec.paused), fakeTime.Add(-800*time.Millisecond)
	default:
		s.Stable, s.LastFault, s.LastFaultAt, s.ConvergedIn = true, "start", fakeTime.Add(-3*time.Second), 1200*time.Millisecond
	}
	return s
}
