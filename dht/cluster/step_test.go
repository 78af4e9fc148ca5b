package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// paperConfig is the lecture preset for the paper's ten nodes on the
// in-memory network, with maintenance fast enough that a test does not
// wait for it (the step tests pause it anyway).
func paperConfig() Config {
	cfg := LectureConfig(10)
	cfg.Network = NewMemNetwork(1)
	cfg.Chord.StabilizeInterval = 25 * time.Millisecond
	cfg.Chord.FixFingersInterval = 25 * time.Millisecond
	cfg.Chord.CheckPredecessorInterval = 25 * time.Millisecond
	cfg.DHT.RepairInterval = 25 * time.Millisecond
	cfg.Chord.LivenessWindow = 50 * time.Millisecond
	cfg.Chord.RPCTimeout = 150 * time.Millisecond
	return cfg
}

// pointerSnap reads every live node's pointers, by name, from a snapshot.
func pointerSnap(s Snapshot) map[string]chord.Status {
	out := map[string]chord.Status{}
	for _, n := range s.Nodes {
		if n.State == StateAlive && n.Chord.Joined {
			out[n.Name] = n.Chord
		}
	}
	return out
}

// keySnap reads every live node's keys from the cluster, by node and key.
func keySnap(c *Cluster) map[string]string {
	out := map[string]string{}
	for _, n := range c.Snapshot().Nodes {
		if n.State != StateAlive {
			continue
		}
		kl, err := c.Keys(n.Name)
		if err != nil {
			panic(err)
		}
		for _, k := range kl.Keys {
			out[n.Name+"/"+k.Key] = fmt.Sprintf("v%v deleted=%v", k.Version, k.Deleted)
		}
	}
	return out
}

// diffPointers lists, as "node pointer old→new", every pointer that
// differs between two snapshots (names are the cluster's).
func diffPointers(c *Cluster, before, after map[string]chord.Status) []string {
	name := func(r chord.NodeRef) string {
		if r.IsZero() {
			return "nil"
		}
		return c.nameOf(r.Addr)
	}
	var out []string
	for node, a := range after {
		b := before[node]
		if a.Predecessor != b.Predecessor {
			out = append(out, fmt.Sprintf("%s predecessor %s→%s", node, name(b.Predecessor), name(a.Predecessor)))
		}
		for i := range max(len(a.Successors), len(b.Successors)) {
			var o, n chord.NodeRef
			if i < len(b.Successors) {
				o = b.Successors[i]
			}
			if i < len(a.Successors) {
				n = a.Successors[i]
			}
			if o != n {
				out = append(out, fmt.Sprintf("%s successor[%d] %s→%s", node, i, name(o), name(n)))
			}
		}
		for i := range min(len(a.Fingers), len(b.Fingers)) {
			if a.Fingers[i] != b.Fingers[i] {
				out = append(out, fmt.Sprintf("%s finger[%d] %s→%s", node, i+1, name(b.Fingers[i]), name(a.Fingers[i])))
			}
		}
	}
	slices.Sort(out)
	return out
}

// reported lists a step's changes in diffPointers' words.
func reported(rep StepReport) []string {
	var out []string
	for _, ch := range rep.Changes {
		what := string(ch.Kind)
		if ch.Kind != PointerPredecessor {
			what = fmt.Sprintf("%s[%d]", ch.Kind, ch.Index)
		}
		out = append(out, fmt.Sprintf("%s %s %s→%s", ch.Node, what, ch.Old, ch.New))
	}
	slices.Sort(out)
	return out
}

// checkedStep runs a step and fails unless the pointers and keys that
// changed across the whole cluster are exactly those the report lists.
func checkedStep(t *testing.T, c *Cluster, task, node string) StepReport {
	t.Helper()
	before, keysBefore := pointerSnap(c.Snapshot()), keySnap(c)
	rep, err := c.Step(context.Background(), task, node)
	if err != nil {
		t.Fatalf("step %s %s: %v", task, node, err)
	}
	after, keysAfter := pointerSnap(c.Snapshot()), keySnap(c)
	if got, want := reported(rep), diffPointers(c, before, after); !slices.Equal(got, want) {
		t.Fatalf("step %s %s reports changes\n  %v\nbut the snapshots differ in\n  %v", task, node, got, want)
	}
	var keysChanged []string
	for k, v := range keysAfter {
		if keysBefore[k] != v {
			keysChanged = append(keysChanged, k)
		}
	}
	for k := range keysBefore {
		if _, ok := keysAfter[k]; !ok {
			keysChanged = append(keysChanged, k)
		}
	}
	var keysReported []string
	for _, k := range rep.Keys {
		keysReported = append(keysReported, k.Node.Name+"/"+k.Key)
	}
	slices.Sort(keysChanged)
	slices.Sort(keysReported)
	if !slices.Equal(keysChanged, keysReported) {
		t.Fatalf("step %s %s reports key changes %v but the stores changed %v", task, node, keysReported, keysChanged)
	}
	for _, r := range rep.Rounds {
		if r.Caption == "" || strings.Contains(r.Caption, "mem:") {
			t.Fatalf("round %s at %s: caption %q (empty, or naming an address)", r.Task, r.Node, r.Caption)
		}
	}
	return rep
}

// TestStepChangesWhatItReports crashes N14 in the paper's ring with
// maintenance paused and repairs it one round at a time: after every step
// the pointers and keys that changed anywhere are exactly those reported,
// and the captions say what happened in words.
func TestStepChangesWhatItReports(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, paperConfig())
	wait(t, c)
	for _, k := range []string{"apple", "pear", "plum", "fig", "kiwi", "lime"} {
		_, err := c.Set(ctx, k, "v-"+k, "")
		must(t, "set", err)
	}
	wait(t, c)
	rep := checkedStep(t, c, TaskStabilize, "N8")
	if !rep.PausedNow || !c.Snapshot().MaintenancePaused {
		t.Fatal("step did not pause running maintenance, or did not say so")
	}
	if len(rep.Changes) != 0 || !strings.Contains(rep.Rounds[0].Caption, "N8 asks its successor N14") ||
		!strings.Contains(rep.Rounds[0].Caption, "N14 already has N8 as its predecessor") {
		t.Fatalf("a steady ring's stabilize: %+v", rep.Rounds[0])
	}
	must(t, "kill", c.Kill("N14"))

	// N8's stabilize finds N14 dead and takes N21, notifying it.
	rep = checkedStep(t, c, "stabilize", "N8")
	caption := rep.Rounds[0].Caption
	for _, want := range []string{"N8 asks its successor N14", "N14 does not answer (refused)", "N8 drops it",
		"the next entry of its successor list, N21", "N21 takes N8 as its predecessor instead of N14", "N8's successor: N14 → N21"} {
		if !strings.Contains(caption, want) {
			t.Fatalf("caption %q does not say %q", caption, want)
		}
	}
	if got := reported(rep); !slices.Contains(got, "N8 successor[0] N14→N21") || !slices.Contains(got, "N21 predecessor N14→N8") {
		t.Fatalf("changes %v", got)
	}
	// The others, one task at a time on every node, then whole rounds.
	for _, task := range StepTasks() {
		checkedStep(t, c, task, "")
	}
	steps := 1 + 1 + len(StepTasks())
	for ; steps < 40; steps++ {
		if h := c.Health(); h.Stable {
			break
		}
		for _, r := range checkedStep(t, c, "", "").Rounds {
			if r.Changed() {
				t.Logf("step %d: %s at %s: %s", steps+1, r.Task, r.Node, r.Caption)
			}
		}
	}
	h := c.Health()
	if !h.Stable || !h.InSteps || h.ConvergedSteps < 2 || h.ConvergedSteps > steps {
		t.Fatalf("after %d steps: %+v", steps, h)
	}
	if want := fmt.Sprintf("converged after %d steps since kill N14", h.ConvergedSteps); !strings.Contains(h.Summary, want) {
		t.Fatalf("summary %q does not say %q", h.Summary, want)
	}
	w, err := c.Wait(ctx, time.Second)
	if err != nil || !w.InSteps || w.ConvergedSteps != h.ConvergedSteps {
		t.Fatalf("wait: %+v, %v", w, err)
	}
	for _, k := range []string{"apple", "pear", "plum", "fig", "kiwi", "lime"} {
		if r, err := c.Get(ctx, k, ""); err != nil || r.Value != "v-"+k {
			t.Fatalf("get %s = %+v, %v", k, r, err)
		}
	}
}

// TestStepFixFingersAndCheckPredecessor: one round of each on one node
// says which finger it refreshed, and a dead predecessor is cleared.
func TestStepFixFingersAndCheckPredecessor(t *testing.T) {
	c := startCluster(t, paperConfig())
	wait(t, c)
	c.PauseMaintenance()
	// N8's fingers (the paper's table): 1–3 → N14, 4 → N21, 5 → N32, 6 →
	// N42. The cycle is wherever the rounds since start left it.
	want := map[int]string{
		1: "N8 refreshes finger[1], whose start is 8 + 2^0 = 9. 9 lies between N8 and the end of its successor list: N14 is the first node at or after it (no call needed). fingers 1–3 (starts 9, 10, 12, none past N14) → N14, unchanged.",
		4: "N8 refreshes finger[4], whose start is 8 + 2^3 = 16. 16 lies between N8 and the end of its successor list: N21 is the first node at or after it (no call needed). finger[4] → N21, unchanged.",
		5: "N8 refreshes finger[5], whose start is 8 + 2^4 = 24. 24 lies between N8 and the end of its successor list: N32 is the first node at or after it (no call needed). finger[5] → N32, unchanged.",
		6: "N8 refreshes finger[6], whose start is 8 + 2^5 = 40. It asks N42, the current finger, for its predecessor: N38. 40 lies between N38 and N42, so N42 is still the first node at or after it: no lookup needed. finger[6] → N42, unchanged.",
	}
	seen := map[int]bool{}
	for range 4 {
		r := checkedStep(t, c, "fix-fingers", "N8").Rounds[0]
		if r.Caption != want[r.Finger] {
			t.Fatalf("finger[%d]:\n got %q\nwant %q", r.Finger, r.Caption, want[r.Finger])
		}
		seen[r.Finger] = true
	}
	if len(seen) != 4 {
		t.Fatalf("four rounds refreshed fingers %v, want each of 1, 4, 5, 6", seen)
	}
	must(t, "kill", c.Kill("N1"))
	rep := checkedStep(t, c, "check_pred", "N8")
	if got := reported(rep); !slices.Equal(got, []string{"N8 predecessor N1→nil"}) ||
		!strings.Contains(rep.Rounds[0].Caption, "N8 pings its predecessor N1: N1 does not answer (refused): it has failed, so N8 drops it") {
		t.Fatalf("check_predecessor: %v, %q", got, rep.Rounds[0].Caption)
	}
	rep = checkedStep(t, c, TaskCheckPredecessor, "N8")
	if !strings.Contains(rep.Rounds[0].Caption, "N8 has no predecessor: nothing to check") {
		t.Fatalf("caption %q", rep.Rounds[0].Caption)
	}
}

// TestStepErrors: a bad task, an unknown or dead node, a closed cluster.
func TestStepErrors(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, paperConfig())
	wait(t, c)
	must(t, "kill", c.Kill("N21"))
	tests := []struct {
		task, node string
		kind       error
		want       string
	}{
		{"stabilise", "", ErrBadArgument, `step: unknown task "stabilise" — tasks are stabilize, fix_fingers, check_predecessor, repair, or all`},
		{"", "N9", ErrUnknownNode, `step: unknown node "N9" — nodes are N1…N56`},
		{"", "21", ErrNodeState, "step: N21 is down — only a live node runs maintenance"},
	}
	for _, tt := range tests {
		_, err := c.Step(ctx, tt.task, tt.node)
		if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("step %q %q = %v, want %v containing %q", tt.task, tt.node, err, tt.kind, tt.want)
		}
	}
	c.Close()
	if _, err := c.Step(ctx, "", ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("step after close = %v", err)
	}
}

// TestConvergedInSecondsWhenResumed: a fault repaired by running
// maintenance is measured in seconds even if maintenance was paused
// before it.
func TestConvergedInSecondsWhenResumed(t *testing.T) {
	c := startCluster(t, paperConfig())
	wait(t, c)
	c.PauseMaintenance()
	must(t, "kill", c.Kill("N32"))
	c.ResumeMaintenance()
	w := wait(t, c)
	if w.InSteps || !strings.Contains(c.Health().Summary, "converged in") {
		t.Fatalf("wait %+v, summary %q", w, c.Health().Summary)
	}
}

// TestLecturePlacement: the lecture preset puts ten nodes at the paper's
// identifiers and names them by identifier; nodes added later are named
// the same way; NODE arguments take N8, n8, the decimal identifier and 0x
// hex.
func TestLecturePlacement(t *testing.T) {
	c := startCluster(t, paperConfig())
	wait(t, c)
	s := c.Snapshot()
	var got []string
	for _, n := range s.Nodes {
		got = append(got, fmt.Sprintf("%s@%d", n.Name, n.ID.Uint64()))
	}
	if want := "N1@1 N8@8 N14@14 N21@21 N32@32 N38@38 N42@42 N48@48 N51@51 N56@56"; strings.Join(got, " ") != want {
		t.Fatalf("nodes %v, want %s", got, want)
	}
	if s.Origin != "N1" {
		t.Fatalf("origin %s", s.Origin)
	}
	for _, arg := range []string{"N8", "n8", "8", "0x08"} {
		if p, err := c.Resolve(arg); err != nil || p.Name != "N8" {
			t.Errorf("Resolve(%q) = %v, %v; want N8", arg, p, err)
		}
	}
	if _, err := c.Resolve("0x3"); !errors.Is(err, ErrUnknownNode) || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("Resolve(0x3) = %v, want an ambiguous prefix (N48 is 0x30, N51 0x33, N56 0x38)", err)
	}
	for _, arg := range []string{"N9", "9", "64", "0x3f"} {
		if _, err := c.Resolve(arg); !errors.Is(err, ErrUnknownNode) {
			t.Errorf("Resolve(%q) = %v, want ErrUnknownNode", arg, err)
		}
	}
	rep, err := c.AddNodes(context.Background(), 1)
	if err != nil || len(rep.Nodes) != 1 {
		t.Fatalf("add: %+v, %v", rep, err)
	}
	p, err := c.Resolve(rep.Nodes[0])
	if err != nil || p.Name != idName(p.ID.ID) || !strings.HasPrefix(p.Name, "N") {
		t.Fatalf("added node %+v, %v: want it named by its identifier", p, err)
	}
	// The checker's messages name nodes the same way.
	c.PauseMaintenance()
	must(t, "kill", c.Kill("N14"))
	vs := c.Snapshot().Violations
	h := c.Health()
	if h.Reason == "" || strings.Contains(h.Reason, "mem:") || !strings.Contains(h.Reason, "N") {
		t.Fatalf("reason %q: want node names, not addresses", h.Reason)
	}
	for _, v := range vs {
		if strings.Contains(v.Message, "mem:") {
			t.Fatalf("violation %q names an address", v)
		}
	}
}

// TestConfigIDs: Config.IDs places the nodes Start launches, in start
// order, and is checked.
func TestConfigIDs(t *testing.T) {
	cfg := memConfig(3)
	cfg.Chord.Bits = 8
	cfg.IDs = IDsFromUint64(8, []uint64{200, 3, 100})
	c := startCluster(t, cfg)
	wait(t, c)
	var got []string
	for _, n := range c.Snapshot().Nodes {
		got = append(got, fmt.Sprintf("%s@%d", n.Name, n.ID.Uint64()))
	}
	if want := "n0@200 n1@3 n2@100"; strings.Join(got, " ") != want {
		t.Fatalf("nodes %v, want %s", got, want)
	}
	if d, err := c.Node("n1"); err != nil || !strings.Contains(fmt.Sprint(d.Routing.Pred), "n0") {
		t.Fatalf("n1: %+v, %v", d, err)
	}
	bad := []struct {
		ids   []uint64
		bits  int
		names NameStyle
		want  string
	}{
		{[]uint64{1, 2}, 8, "", "ids: 2 identifiers given for 3 nodes: give one per node"},
		{[]uint64{1, 2, 1}, 8, "", "ids: identifier 1 is given twice"},
		{[]uint64{1, 2, 256}, 8, "", "ids: identifier 256 does not fit in m = 8 bits (the ring has 2^8 points: 0 to 255)"},
		{nil, 11, NamesID, "names by identifier (N8) need m ≤ 10 bits, got 11"},
		{nil, 8, "ids", `names must be "start" or "id", got "ids"`},
	}
	for _, tt := range bad {
		cfg := memConfig(3)
		cfg.Chord.Bits, cfg.Names = tt.bits, tt.names
		if tt.ids != nil {
			cfg.IDs = IDsFromUint64(64, tt.ids)
		}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt, err, tt.want)
		}
	}
}

// TestRoundCountsConfirmSteps: a ring that stays ideal is confirmed stable
// by steps of one task at a time: each counts as a round of its task.
func TestRoundCountsConfirmSteps(t *testing.T) {
	c := startCluster(t, paperConfig())
	wait(t, c)
	c.PauseMaintenance()
	must(t, "delay", func() error { _, err := c.SetDelay("N8", time.Millisecond); return err }())
	for _, task := range StepTasks() {
		if h := c.Health(); h.Stable {
			t.Fatalf("stable before a %s round: %+v", task, h)
		}
		if _, err := c.Step(context.Background(), task, ""); err != nil {
			t.Fatal(err)
		}
	}
	if h := c.Health(); !h.Stable || !h.InSteps || h.ConvergedSteps != 0 {
		t.Fatalf("after a round of each task: %+v", h)
	}
}

// TestIDNamesInTexts: with names by identifier, chord's "14 (address)"
// in event details and hop reasons reads as just the name.
func TestIDNamesInTexts(t *testing.T) {
	c := startCluster(t, paperConfig())
	c.mu.RLock()
	got := c.replacerLocked().Replace("successor 14 (mem:3) → 21 (mem:4); called mem:5")
	c.mu.RUnlock()
	if want := "successor N14 → N21; called N32"; got != want {
		t.Fatalf("got %q", got)
	}
}

// TestSnapshotFingerTable: the snapshot's finger table is Node's.
func TestSnapshotFingerTable(t *testing.T) {
	c := startCluster(t, paperConfig())
	wait(t, c)
	d, err := c.Node("N8")
	must(t, "node", err)
	got := c.Snapshot().FingerTable("N8")
	if fmt.Sprint(got) != fmt.Sprint(d.Routing.FingerTable) || len(got) != 6 {
		t.Fatalf("snapshot %v\nnode     %v", got, d.Routing.FingerTable)
	}
	var rows []string
	for _, e := range got {
		rows = append(rows, fmt.Sprintf("%d %s %s %s %v", e.K, e.Start.Label(), e.Interval(), e.Node, e.Right))
	}
	want := "1 9 [9, 10) N14 true|2 10 [10, 12) N14 true|3 12 [12, 16) N14 true|4 16 [16, 24) N21 true|5 24 [24, 40) N32 true|6 40 [40, 8) N42 true"
	if strings.Join(rows, "|") != want {
		t.Fatalf("N8's fingers:\n%s\nwant\n%s", strings.Join(rows, "|"), want)
	}
	if c.Snapshot().FingerTable("N9") != nil {
		t.Fatal("a finger table for a node that does not exist")
	}
}

// TestFingersCaptionUnconnected: a fix_fingers round that looked a finger
// up because its node holds no connection to the current finger says so
// before the lookup.
func TestFingersCaptionUnconnected(t *testing.T) {
	const bits = 6
	id := func(v uint64) chord.ID { return chord.IDFromUint64(bits, v) }
	n8, n42 := chord.NodeRef{ID: id(8), Addr: "a8"}, chord.NodeRef{ID: id(42), Addr: "a42"}
	ref := func(r chord.NodeRef) Peer {
		return Peer{Name: "N" + r.Addr[1:], ID: RingID{ID: r.ID, Bits: bits}, Addr: r.Addr}
	}
	r := StepRound{Task: TaskFixFingers, Node: ref(n8), Finger: 6, FingerLast: 6,
		Lookup: &LookupResult{Owner: ref(n42), Path: []Hop{{Node: "N32"}}}}
	cr := chord.RoundReport{Finger: 6, LastSet: 6, Start: id(40), Owner: n42, Unconnected: n42}
	got := fingersCaption(r, cr, chord.Status{Self: n8, Bits: bits}, ref)
	want := "N8 refreshes finger[6], whose start is 8 + 2^5 = 40. N8 has no connection open to N42, the current finger, " +
		"so it does not open one to check it. It looks 40 up, asking N32: the first node at or after it is N42."
	if !strings.HasPrefix(got, want) {
		t.Fatalf("caption:\n%s\nwant it to begin:\n%s", got, want)
	}
}

// A finger table row names its start and interval by identifier on a
// lecture's ring, and as n+2^(k−1) on a large one, where the short labels
// of the low fingers' starts would all read alike.
func TestFingerEntryText(t *testing.T) {
	n := chord.IDFromUint64(6, 8)
	small := FingerEntry{K: 3, Start: RingID{ID: n.AddPow2(6, 2), Bits: 6}, End: RingID{ID: n.AddPow2(6, 3), Bits: 6}}
	big := func(k int) FingerEntry {
		id := chord.HashID(160, []byte("n"))
		return FingerEntry{K: k, Start: RingID{ID: id.AddPow2(160, k-1), Bits: 160}, End: RingID{ID: id.AddPow2(160, k%160), Bits: 160}}
	}
	for _, tt := range []struct {
		e            FingerEntry
		start, inter string
	}{
		{small, "12", "[12, 16)"},
		{big(1), "n+2^0", "[n+2^0, n+2^1)"},
		{big(2), "n+2^1", "[n+2^1, n+2^2)"},
		{big(160), "n+2^159", "[n+2^159, n)"},
	} {
		if got, gi := tt.e.StartText(), tt.e.Interval(); got != tt.start || gi != tt.inter {
			t.Errorf("finger %d (m = %d): %s %s, want %s %s", tt.e.K, tt.e.Start.Bits, got, gi, tt.start, tt.inter)
		}
	}
}
