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
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// fakeCluster is a deterministic Cluster for tests: a hand-built snapshot,
// canned answers, and a record of every call, each written as the command
// line the REPL would run for it ("kill n3", "get k via n0").
type fakeCluster struct {
	mu      sync.Mutex
	snap    cluster.Snapshot
	calls   []string
	results map[string]command.Result // Exec's answer by line; default OK
	errs    map[string]error          // a typed call's error by its line
	gets    map[string]cluster.GetResult
	keys    map[string]cluster.KeyList
	origin  string // what PickOrigin picks
	events  chan cluster.Event
}

func newFake(snap cluster.Snapshot) *fakeCluster {
	return &fakeCluster{snap: snap, results: map[string]command.Result{}, errs: map[string]error{},
		gets: map[string]cluster.GetResult{}, keys: map[string]cluster.KeyList{}, origin: "n4",
		events: make(chan cluster.Event, 16)}
}

func (f *fakeCluster) Snapshot() cluster.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.snap
	s.Nodes = slices.Clone(s.Nodes)
	return s
}

func (f *fakeCluster) Events() <-chan cluster.Event { return f.events }

// call records line and returns the error set for it.
func (f *fakeCluster) call(line string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, line)
	return f.errs[line]
}

func (f *fakeCluster) Exec(_ context.Context, line string) command.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, line)
	if r, ok := f.results[line]; ok {
		return r
	}
	return command.Result{OK: true, Text: "done: " + line}
}

func via(line, origin string) string {
	if origin != "" {
		line += " via " + origin
	}
	return line
}

func (f *fakeCluster) Get(_ context.Context, key, origin string) (cluster.GetResult, error) {
	err := f.call(via("get "+key, origin))
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.gets[key]; ok {
		return r, err
	}
	return cluster.GetResult{Key: key, Via: origin, Owner: cluster.Peer{Name: "n1", Addr: "127.0.0.1:7001"}}, err
}

func (f *fakeCluster) Set(_ context.Context, key, value, origin string) (cluster.WriteResult, error) {
	err := f.call(via("set "+key+" "+value, origin))
	return cluster.WriteResult{Key: key, Via: origin, Owner: cluster.Peer{Name: "n1", Addr: "127.0.0.1:7001"}, Version: 1}, err
}

func (f *fakeCluster) Del(_ context.Context, key, origin string) (cluster.WriteResult, error) {
	err := f.call(via("del "+key, origin))
	return cluster.WriteResult{Key: key, Via: origin, Owner: cluster.Peer{Name: "n1", Addr: "127.0.0.1:7001"}, Version: 2}, err
}

func (f *fakeCluster) Keys(node string) (cluster.KeyList, error) {
	err := f.call("keys " + node)
	f.mu.Lock()
	defer f.mu.Unlock()
	if kl, ok := f.keys[node]; ok {
		return kl, err
	}
	return cluster.KeyList{Node: node, Running: true}, err
}

func (f *fakeCluster) Kill(node string) error                      { return f.call("kill " + node) }
func (f *fakeCluster) Revive(_ context.Context, node string) error { return f.call("revive " + node) }
func (f *fakeCluster) Leave(_ context.Context, node string) error  { return f.call("leave " + node) }
func (f *fakeCluster) Pause(node string) error                     { return f.call("pause " + node) }
func (f *fakeCluster) Resume(node string) error                    { return f.call("resume " + node) }
func (f *fakeCluster) PauseMaintenance()                           { _ = f.call("maintenance pause") }
func (f *fakeCluster) ResumeMaintenance()                          { _ = f.call("maintenance resume") }
func (f *fakeCluster) StepMaintenance(context.Context) int         { _ = f.call("maintenance step"); return 14 }
func (f *fakeCluster) PickOrigin() (string, error)                 { return f.origin, f.call("random") }
func (f *fakeCluster) Add(_ context.Context, count int) ([]string, error) {
	if err := f.call(fmt.Sprintf("add %d", count)); err != nil {
		return nil, err
	}
	return []string{"n16"}, nil
}

// executed lists the calls made so far.
func (f *fakeCluster) executed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
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
