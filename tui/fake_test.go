package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	steps   map[string]cluster.StepReport // Step's report by its command line
	// afterStep, when set, is the snapshot once a step has run.
	afterStep map[string]cluster.Snapshot
}

func newFake(snap cluster.Snapshot) *fakeCluster {
	return &fakeCluster{snap: snap, results: map[string]command.Result{}, errs: map[string]error{},
		gets: map[string]cluster.GetResult{}, keys: map[string]cluster.KeyList{}, origin: "n4",
		events: make(chan cluster.Event, 16), steps: map[string]cluster.StepReport{}, afterStep: map[string]cluster.Snapshot{}}
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
	if s, ok := f.afterStep[line]; ok {
		f.snap = s
	}
	if r, ok := f.results[line]; ok {
		return r
	}
	switch line { // what the command answers, as the maintenance key shows it
	case "maintenance pause":
		return command.Done("maintenance", command.Maintenance{Paused: true}, nil)
	case "maintenance resume":
		return command.Done("maintenance", command.Maintenance{Paused: false}, nil)
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
	return cluster.WriteResult{Key: key, Via: origin, Owner: cluster.Peer{Name: "n1", Addr: "127.0.0.1:7001"}, Version: cluster.NewVersion(time.Date(2026, 12, 6, 3, 56, 32, 512847000, time.UTC), 0, "n1")}, err
}

func (f *fakeCluster) Del(_ context.Context, key, origin string) (cluster.WriteResult, error) {
	err := f.call(via("del "+key, origin))
	return cluster.WriteResult{Key: key, Via: origin, Owner: cluster.Peer{Name: "n1", Addr: "127.0.0.1:7001"}, Version: cluster.NewVersion(time.Date(2026, 12, 6, 3, 56, 33, 0, time.UTC), 0, "n1")}, err
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
func (f *fakeCluster) PickOrigin() (string, error)                 { return f.origin, f.call("random") }
func (f *fakeCluster) Add(_ context.Context, count int) ([]string, error) {
	if err := f.call(fmt.Sprintf("add %d", count)); err != nil {
		return nil, err
	}
	return []string{"n16"}, nil
}

// Step records the step as its command line and returns the report set for
// it (by default one that changed nothing), installing the snapshot set
// for after it.
func (f *fakeCluster) Step(_ context.Context, task, node string) (cluster.StepReport, error) {
	line := stepLine(task, node)
	err := f.call(line)
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.afterStep[line]; ok {
		f.snap = s
	}
	if r, ok := f.steps[line]; ok {
		return r, err
	}
	if task == "" {
		task = cluster.TaskAll
	}
	r := cluster.StepReport{Task: task, Node: node, Steps: 1, Health: f.snap.Health}
	for _, n := range f.snap.Nodes {
		if n.State == cluster.StateAlive && (node == "" || n.Name == node) {
			r.Rounds = append(r.Rounds, cluster.StepRound{Task: task, Node: cluster.Peer{Name: n.Name, Addr: n.Addr},
				Caption: n.Name + " runs " + task + ": nothing changes."})
		}
	}
	return r, err
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
	// sideB lists the nodes partitioned from the rest (side B); each side
	// then holds the ideal pointers of its own ring and is stable.
	sideB []int
	// ids places the nodes at these identifiers and names them by them
	// (N8), as lecture mode does; nil hashes their addresses.
	ids []uint64
}

// paperRing is lecture mode's ring: the Chord paper's ten nodes on a 6-bit
// circle, named by identifier, moments after N56 (index 9) crashed.
func paperRing() cluster.Snapshot {
	return fakeRing(ringSpec{n: 10, bits: 6, down: 9, paused: -1, ids: cluster.PaperIDs})
}

// fakeRing builds the snapshot of a ring of spec.n nodes moments after a
// crash: every node still holds the ideal pointers of the full ring, so
// pointers at the crashed node are wrong (✗) and the ring is converging.
// Its Health is what the cluster would say of it: the violations are
// chord.CheckInvariants over the live nodes.
func fakeRing(spec ringSpec) cluster.Snapshot {
	const r = 3
	s := cluster.Snapshot{Taken: fakeTime, Bits: spec.bits, R: r, Replicas: r, Origin: "n0"}
	refs := make([]chord.NodeRef, spec.n)
	name := func(i int) string { return fmt.Sprintf("n%d", i) }
	for i := range refs {
		addr := fmt.Sprintf("127.0.0.1:%d", 7000+i)
		refs[i] = chord.NodeRef{ID: chord.HashID(spec.bits, []byte(addr)), Addr: addr}
		if spec.ids != nil {
			refs[i].ID = chord.IDFromUint64(spec.bits, spec.ids[i])
		}
	}
	if spec.ids != nil {
		name = func(i int) string { return fmt.Sprintf("N%d", spec.ids[i]) }
		s.Origin = name(0)
	}
	side := make([]string, spec.n)
	if len(spec.sideB) > 0 {
		for i := range side {
			side[i] = cluster.SideA
		}
		for _, i := range spec.sideB {
			side[i] = cluster.SideB
		}
	}
	// Each side's nodes sorted by ID: its ideal ring.
	rings := map[string][]chord.NodeRef{}
	for i, ref := range refs {
		rings[side[i]] = append(rings[side[i]], ref)
	}
	for _, ring := range rings {
		slices.SortFunc(ring, func(a, b chord.NodeRef) int { return a.ID.Cmp(b.ID) })
	}
	succOf := func(ring []chord.NodeRef, id chord.ID) chord.NodeRef {
		for _, x := range ring {
			if x.ID.Cmp(id) >= 0 {
				return x
			}
		}
		return ring[0]
	}
	var live []chord.Status
	for i, ref := range refs {
		sorted := rings[side[i]]
		k := len(sorted)
		p := slices.Index(sorted, ref)
		st := chord.Status{Self: ref, Bits: spec.bits, R: r, Joined: true,
			Predecessor: sorted[(p-1+k)%k], Lookups: uint64(10 * i), Rounds: 300}
		for j := 1; j <= min(r, max(1, k-1)); j++ {
			st.Successors = append(st.Successors, sorted[(p+j)%k])
		}
		for b := 0; b < spec.bits; b++ {
			st.Fingers = append(st.Fingers, succOf(sorted, ref.ID.AddPow2(spec.bits, b)))
		}
		n := cluster.NodeSnapshot{Name: name(i), State: cluster.StateAlive, Addr: ref.Addr, ID: ref.ID,
			Chord: st, Keys: dht.Counts{Owned: 2 + i%5, Replicas: 4 + i%7, Bytes: int64(100 * i)},
			RPC:  cluster.RPCStats{Calls: uint64(1000 + i), Served: uint64(990 + i), P50: 35 * time.Microsecond, P99: 120 * time.Microsecond},
			Side: side[i], Partitioned: side[i] == cluster.SideB}
		switch i {
		case spec.down:
			n.State, n.Chord, n.Keys, n.RPC = cluster.StateDown, chord.Status{}, dht.Counts{}, cluster.RPCStats{}
		case spec.paused:
			n.State = cluster.StatePaused
		default:
			live = append(live, st)
		}
		s.Nodes = append(s.Nodes, n)
	}
	for k := 0; k < spec.keys; k++ {
		s.KeyIDs = append(s.KeyIDs, chord.HashID(spec.bits, []byte(fmt.Sprintf("key-%d", k))))
	}
	h := &s.Health
	h.Live = len(live)
	if len(spec.sideB) == 0 {
		for _, v := range chord.CheckInvariants(live) {
			// Below r+1 live nodes invariant 8 is a note, not a violation.
			if len(live) > r || v.Invariant != chord.InvSufficientPrincipals {
				s.Violations = append(s.Violations, cluster.Violation{Invariant: v.Invariant,
					Node: s.Names()[v.Node.Addr], Nodes: []string{s.Names()[v.Node.Addr]}, Message: v.Message})
			}
		}
		h.Violations = len(s.Violations)
		if len(live) <= r && len(live) > 0 {
			h.Note = fmt.Sprintf("ring of %d (< r+1 = %d): not guaranteed to survive failures (invariant 8 needs r+1 principals)", len(live), r+1)
		}
	}
	switch {
	case len(spec.sideB) > 0:
		h.Stable, h.Partitioned, h.LastFault = true, true, "partition "+nameList(spec.sideB)
		h.LastFaultAt, h.ConvergedIn = fakeTime.Add(-2*time.Second), 310*time.Millisecond
		for _, label := range []string{cluster.SideA, cluster.SideB} {
			sd := cluster.Side{Label: label, Stable: true, ConvergedIn: 250 * time.Millisecond}
			if label == cluster.SideB {
				sd.ConvergedIn = h.ConvergedIn
			}
			for i, x := range side {
				if x == label && s.Nodes[i].State == cluster.StateAlive {
					sd.Nodes = append(sd.Nodes, s.Nodes[i].Name)
				}
			}
			if len(sd.Nodes) <= r {
				sd.Note = fmt.Sprintf("ring of %d (< r+1 = %d): not guaranteed to survive failures (invariant 8 needs r+1 principals)", len(sd.Nodes), r+1)
			}
			h.Sides = append(h.Sides, sd)
		}
		h.Summary = "partitioned: 2 sides — each stable after 0.31 s"
		h.ActiveFaults = []string{h.LastFault}
	case spec.down >= 0:
		h.LastFault, h.LastFaultAt = "kill "+name(spec.down), fakeTime.Add(-800*time.Millisecond)
		h.Reason = "not yet the ideal ring: some pointers still name " + name(spec.down)
		h.Summary = "converging after " + h.LastFault
	case spec.paused >= 0:
		h.LastFault, h.LastFaultAt = "pause "+name(spec.paused), fakeTime.Add(-800*time.Millisecond)
		h.Reason = "not yet the ideal ring: some pointers still name " + name(spec.paused)
		h.Summary = "converging after " + h.LastFault
	default:
		h.Stable, h.LastFault, h.LastFaultAt, h.ConvergedIn = true, fmt.Sprintf("start %d nodes", spec.n), fakeTime.Add(-3*time.Second), 1200*time.Millisecond
		h.Summary = "stable — converged in 1.20 s after " + h.LastFault
		if h.Note != "" {
			h.Summary += "; " + h.Note
		}
	}
	s.Stable, s.LastFault, s.LastFaultAt, s.ConvergedIn, s.UnstableReason = h.Stable, h.LastFault, h.LastFaultAt, h.ConvergedIn, h.Reason
	return s
}

// nameList is "n3 n4" for indices 3 and 4.
func nameList(idx []int) string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = fmt.Sprintf("n%d", i)
	}
	return strings.Join(out, " ")
}
