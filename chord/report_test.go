package chord_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// paperIDs are the ten nodes of the Chord paper's m = 6 example ring.
var paperIDs = []uint64{1, 8, 14, 21, 32, 38, 42, 48, 51, 56}

// paperRing builds the ideal ring of the given identifiers on a 6-bit
// circle, with fingers; node i is at address "N<id>".
func paperRing(tb testing.TB, ids []uint64) (*memRing, map[uint64]*chord.Node) {
	tb.Helper()
	cfg := smallConfig()
	cfg.Bits = 6
	r := newMemRing(tb, 1, cfg)
	refs := make([]chord.NodeRef, len(ids))
	for i, v := range ids {
		refs[i] = chord.NodeRef{ID: chord.IDFromUint64(6, v), Addr: fmt.Sprintf("N%d", v)}
	}
	n := len(refs)
	succAt := func(key chord.ID) chord.NodeRef {
		for _, ref := range refs {
			if ref.ID.Cmp(key) >= 0 {
				return ref
			}
		}
		return refs[0]
	}
	byID := map[uint64]*chord.Node{}
	for i, ref := range refs {
		node := r.add(ref.Addr, ref.ID)
		succ := make([]chord.NodeRef, min(cfg.SuccessorListLen, n-1))
		for k := range succ {
			succ[k] = refs[(i+1+k)%n]
		}
		fs := make([]chord.NodeRef, cfg.Bits)
		for k := range fs {
			fs[k] = succAt(ref.ID.AddPow2(cfg.Bits, k))
		}
		node.SetStateForTest(refs[(i+n-1)%n], succ, fs)
		byID[ids[i]] = node
	}
	return r, byID
}

func addrs(rs []chord.NodeRef) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Addr
	}
	return out
}

// TestStabilizeReportAfterCrash: N8's successor N14 crashed; the report
// says N14 failed for certain and was dropped, N21 answered and is the
// head, and N8's successor list is then what N21's answer makes it.
func TestStabilizeReportAfterCrash(t *testing.T) {
	ctx := testCtx(t)
	r, nodes := paperRing(t, paperIDs)
	r.crash(nodes[14])
	rep, err := nodes[8].StabilizeReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Task != chord.TaskStabilize || rep.Node.Addr != "N8" {
		t.Fatalf("report of %s at %s", rep.Task, rep.Node.Addr)
	}
	if len(rep.Calls) != 2 {
		t.Fatalf("calls %+v, want N14 failed then N21", rep.Calls)
	}
	c0, c1 := rep.Calls[0], rep.Calls[1]
	if c0.Role != chord.RoleSuccessor || c0.Index != 0 || c0.Peer.Addr != "N14" || c0.Answered() || !c0.Dropped || c0.Timeout {
		t.Fatalf("first call %+v: want N14 refused and dropped", c0)
	}
	if c1.Role != chord.RoleSuccessor || c1.Index != 1 || c1.Peer.Addr != "N21" || !c1.Answered() || !c1.Notify {
		t.Fatalf("second call %+v: want N21 answered, notified", c1)
	}
	if rep.Head.Addr != "N21" || !rep.Closer.IsZero() || rep.Alone || rep.KeptSuspect || rep.Err != "" {
		t.Fatalf("report %+v", rep)
	}
	got := addrs(nodes[8].Successors())
	want := append([]string{"N21"}, addrs(c1.Succ)[:3]...)
	if !slices.Equal(got, want) {
		t.Fatalf("successors %v, want %v (N21 + its list)", got, want)
	}
	// N21 was notified by N8: with N14 dead, rectify pings it, finds it
	// refused and takes N8 as its predecessor; the answer says so.
	if c1.Pred.Addr != "N8" || nodes[21].Predecessor().Addr != "N8" {
		t.Fatalf("N21 answered predecessor %s and has %s, want N8", c1.Pred.Addr, nodes[21].Predecessor().Addr)
	}
}

// TestStabilizeReportCloser: a node that joined between N8 and N14 and
// notified N14 is N14's predecessor; N8's stabilize asks it before taking
// it as successor (RoleCloser), and reports it as Closer.
func TestStabilizeReportCloser(t *testing.T) {
	ctx := testCtx(t)
	r, nodes := paperRing(t, paperIDs)
	n10 := r.add("N10", chord.IDFromUint64(6, 10))
	if err := n10.Join(ctx, "N1"); err != nil {
		t.Fatal(err)
	}
	if err := n10.Stabilize(ctx); err != nil { // notifies N14, which takes N10
		t.Fatal(err)
	}
	rep, err := nodes[8].StabilizeReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Calls) != 2 || rep.Calls[0].Peer.Addr != "N14" || rep.Calls[0].Pred.Addr != "N10" ||
		rep.Calls[1].Role != chord.RoleCloser || rep.Calls[1].Peer.Addr != "N10" || !rep.Calls[1].Answered() {
		t.Fatalf("calls %+v: want N14 (answers N10), then N10 as closer", rep.Calls)
	}
	if rep.Head.Addr != "N14" || rep.Closer.Addr != "N10" {
		t.Fatalf("head %s closer %s", rep.Head.Addr, rep.Closer.Addr)
	}
	if got := nodes[8].Successors()[0].Addr; got != "N10" {
		t.Fatalf("N8's successor is %s, want N10", got)
	}
	if got := n10.Predecessor().Addr; got != "N8" {
		t.Fatalf("N10's predecessor is %s, want N8 (notified by the closer call)", got)
	}
}

// TestCheckPredecessorReport: a live predecessor answers the ping; a
// crashed one is dropped and cleared.
func TestCheckPredecessorReport(t *testing.T) {
	ctx := testCtx(t)
	r, nodes := paperRing(t, paperIDs)
	rep, err := nodes[14].CheckPredecessorReport(ctx)
	if err != nil || len(rep.Calls) != 1 || rep.Calls[0].Role != chord.RolePredecessor || rep.Calls[0].Peer.Addr != "N8" || !rep.Calls[0].Answered() {
		t.Fatalf("live predecessor: %+v, %v", rep, err)
	}
	r.crash(nodes[8])
	rep, err = nodes[14].CheckPredecessorReport(ctx)
	if err != nil || len(rep.Calls) != 1 || rep.Calls[0].Answered() || !rep.Calls[0].Dropped {
		t.Fatalf("crashed predecessor: %+v, %v", rep, err)
	}
	if p := nodes[14].Predecessor(); !p.IsZero() {
		t.Fatalf("predecessor %s, want cleared", p.Addr)
	}
	rep, err = nodes[14].CheckPredecessorReport(ctx)
	if err != nil || len(rep.Calls) != 0 {
		t.Fatalf("no predecessor: want no call, got %+v, %v", rep, err)
	}
}

// TestFixFingersReport: N8's fingers 1–3 (starts 9, 10, 12) are set from
// one lookup; fingers 4 and 5 (starts 16, 24) lie within its successor
// list and cost no call; finger 6 (start 40) lies beyond it and, being
// right, is verified with one call to N42 instead of a lookup.
func TestFixFingersReport(t *testing.T) {
	ctx := testCtx(t)
	_, nodes := paperRing(t, paperIDs)
	n8 := nodes[8]
	want := []struct {
		finger, lastSet int
		start           uint64
		owner           string
		verified        bool
	}{
		{1, 3, 9, "N14", false},
		{4, 4, 16, "N21", false},
		{5, 5, 24, "N32", false},
		{6, 6, 40, "N42", true},
		{1, 3, 9, "N14", false}, // the cycle starts over
	}
	for i, w := range want {
		rep, err := n8.FixFingersReport(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Finger != w.finger || rep.LastSet != w.lastSet || rep.Start != chord.IDFromUint64(6, w.start) ||
			rep.Owner.Addr != w.owner || rep.Verified != w.verified || (rep.Lookup == nil) != w.verified {
			t.Fatalf("round %d: %+v, want %+v", i+1, rep, w)
		}
		if w.verified && (len(rep.Calls) != 1 || rep.Calls[0].Role != chord.RoleVerify || rep.Calls[0].Peer.Addr != "N42" ||
			rep.Calls[0].Pred.Addr != "N38" || rep.Calls[0].Index != 6) {
			t.Fatalf("round %d: calls %+v, want one verify call to N42", i+1, rep.Calls)
		}
		if !w.verified && (len(rep.Calls) != 0 || rep.Lookup.Owner.Addr != w.owner || rep.Lookup.Hops != 0) {
			t.Fatalf("round %d: calls %+v, lookup %+v: want a lookup within the successor list", i+1, rep.Calls, rep.Lookup)
		}
	}
}

// TestReportRoundsChangeWhatPlainRoundsChange: the same perturbed ring,
// built twice, goes through the same rounds plainly and with reports, and
// ends in the same state: a report only watches.
func TestReportRoundsChangeWhatPlainRoundsChange(t *testing.T) {
	ctx := testCtx(t)
	type round func(n *chord.Node, task string) error
	plain := func(n *chord.Node, task string) error {
		switch task {
		case chord.TaskStabilize:
			return n.Stabilize(ctx)
		case chord.TaskFixFingers:
			return n.FixFingers(ctx)
		}
		return n.CheckPredecessor(ctx)
	}
	reported := func(n *chord.Node, task string) error {
		_, err := n.RoundReporter(task)(ctx)
		return err
	}
	run := func(f round) []chord.Status {
		r, nodes := paperRing(t, paperIDs)
		r.crash(nodes[21])
		r.crash(nodes[42])
		n10 := r.add("N10", chord.IDFromUint64(6, 10))
		if err := n10.Join(ctx, "N1"); err != nil {
			t.Fatal(err)
		}
		for range 8 {
			for _, n := range r.live() {
				for _, task := range []string{chord.TaskStabilize, chord.TaskFixFingers, chord.TaskCheckPredecessor} {
					_ = f(n, task)
				}
			}
		}
		sts := r.statuses()
		for i := range sts {
			sts[i].Rounds, sts[i].Lookups = 0, 0
		}
		return sts
	}
	a, b := run(plain), run(reported)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("plain and reported rounds disagree:\n%v\n%v", a, b)
	}
	if vs := chord.CheckIdeal(a, false); len(vs) > 0 {
		t.Fatalf("eight rounds did not repair the ring: %v", vs[0])
	}
}
