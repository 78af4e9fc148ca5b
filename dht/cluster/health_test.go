package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// idealBySide checks, from a snapshot alone, that every side's live nodes
// form the ideal ring with correct fingers (the whole ring without a
// partition), and returns the first difference.
func idealBySide(s Snapshot) string {
	sides := map[string][]chord.Status{}
	for _, n := range s.Nodes {
		if n.State == StateAlive {
			sides[n.Side] = append(sides[n.Side], n.Chord)
		}
	}
	for label, sts := range sides {
		if vs := chord.CheckIdeal(sts, true); len(vs) > 0 {
			return fmt.Sprintf("side %q: %d differences, first %s", label, len(vs), vs[0])
		}
	}
	return ""
}

// inRing reports whether the live node name has a predecessor and is some
// other live node's successor; and whether any live node points at it.
func inRing(s Snapshot, name string) (hasPred, isSucc, pointedAt bool) {
	var addr string
	for _, n := range s.Nodes {
		if n.Name == name {
			addr = n.Addr
			hasPred = !n.Chord.Predecessor.IsZero()
		}
	}
	for _, n := range s.Nodes {
		if n.State != StateAlive || n.Name == name {
			continue
		}
		if n.Chord.Successor().Addr == addr {
			isSucc = true
		}
		if n.Chord.Predecessor.Addr == addr || slices.ContainsFunc(n.Chord.Successors, func(r chord.NodeRef) bool { return r.Addr == addr }) {
			pointedAt = true
		}
	}
	return hasPred, isSucc, pointedAt
}

// TestStableAfterEachFault applies every kind of fault and checks that
// Wait returns only once the membership the fault produced is the ideal
// ring with its keys in place: a new or revived node inside it, a crashed,
// departed or paused one out of it, each side of a partition a ring of its
// own, and under delay and drop only after every node ran a round of each
// task with the fault in force.
func TestStableAfterEachFault(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, memConfig(8))
	wait(t, c)
	for i := range 40 {
		_, err := c.Set(ctx, fmt.Sprintf("key%d", i), "v", "")
		must(t, "set", err)
	}
	wait(t, c)
	steps := []struct {
		fault string
		do    func() error
		in    string // a node that must be in the ring afterwards
		out   string // a node that must be out of it
	}{
		{"kill n2", func() error { return c.Kill("n2") }, "", "n2"},
		{"revive n2", func() error { return c.Revive(ctx, "n2") }, "n2", ""},
		{"add n8", func() error { _, err := c.Add(ctx, 1); return err }, "n8", ""},
		{"leave n3", func() error { return c.Leave(ctx, "n3") }, "", "n3"},
		{"pause n4", func() error { return c.Pause("n4") }, "", "n4"},
		{"resume n4", func() error { return c.Resume("n4") }, "n4", ""},
		{"partition n5 n6", func() error { _, err := c.Partition([]string{"n5", "n6"}); return err }, "", ""},
		{"heal", func() error { c.Heal(); return nil }, "", ""},
		{"delay n1 2ms", func() error { _, err := c.SetDelay("n1", 2*time.Millisecond); return err }, "n1", ""},
		{"drop n7 5%", func() error { _, err := c.SetDrop("n7", 5); return err }, "n7", ""},
	}
	for _, st := range steps {
		must(t, st.fault, st.do())
		// The rounds every live node had started when the fault took effect.
		c.mu.RLock()
		before := map[*roundCounts][]uint64{}
		for _, m := range c.liveLocked() {
			before[m.rounds] = m.rounds.startedNow()
		}
		c.mu.RUnlock()
		r := wait(t, c)
		if r.After != st.fault {
			t.Fatalf("%s: wait reports stability after %q", st.fault, r.After)
		}
		s := c.Snapshot()
		if why := idealBySide(s); why != "" {
			t.Fatalf("%s: wait returned but the ring is not ideal: %s", st.fault, why)
		}
		if !s.Stable || !s.Health.Stable || s.Health.Violations != len(s.Violations) {
			t.Fatalf("%s: snapshot stable %v, health %+v, %d violations listed", st.fault, s.Stable, s.Health, len(s.Violations))
		}
		if st.in != "" {
			if pred, succ, _ := inRing(s, st.in); !pred || !succ {
				t.Fatalf("%s: %s has a predecessor %v, is a successor %v", st.fault, st.in, pred, succ)
			}
		}
		if st.out != "" {
			if _, _, pointed := inRing(s, st.out); pointed {
				t.Fatalf("%s: a live node still points at %s", st.fault, st.out)
			}
		}
		c.mu.RLock()
		for _, m := range c.liveLocked() {
			if base, ok := before[m.rounds]; ok {
				if task := m.rounds.pendingSince(base); task != "" {
					t.Errorf("%s: stable, but %s ran no %s round since the fault", st.fault, m.name, task)
				}
			}
		}
		c.mu.RUnlock()
	}
}

// TestConfirmationNeedsRounds checks that an ideal ring is not called
// stable after a fault until every node has run a round of each task: with
// maintenance paused that takes a step, and wait says so at once instead
// of claiming stability.
func TestConfirmationNeedsRounds(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, memConfig(5))
	wait(t, c)
	c.PauseMaintenance()
	_, err := c.SetDelay("n1", time.Millisecond) // leaves the ring as it is
	must(t, "delay", err)
	c.evaluate()
	c.evaluate()
	h := c.Health()
	if h.Stable || !h.Confirming || !strings.Contains(h.Summary, "not yet confirmed") {
		t.Fatalf("after a delay with maintenance paused: %+v", h)
	}
	if _, err := c.Wait(ctx, time.Minute); !errors.Is(err, ErrNotStable) || !strings.Contains(err.Error(), "maintenance is paused") {
		t.Fatalf("wait with maintenance paused = %v, want ErrNotStable at once", err)
	}
	c.StepMaintenance(ctx)
	r, err := c.Wait(ctx, time.Minute)
	must(t, "wait after a step", err)
	if r.After != "delay n1 1ms" {
		t.Fatalf("stable after %q", r.After)
	}
	if h := c.Health(); !h.Stable || h.Confirming || h.Reason != "" {
		t.Fatalf("after a step: %+v", h)
	}
}

// TestTimeoutsConfirmNothing checks that rounds whose calls to a node
// time out (a drop of every call to it) do not confirm the ring stable,
// though they leave it ideal until the node is suspected SuspectTimeouts
// times in a row, and that once the calls are answered again they do.
func TestTimeoutsConfirmNothing(t *testing.T) {
	for _, nw := range networks {
		t.Run(nw.name, func(t *testing.T) {
			ctx := context.Background()
			c := startCluster(t, nw.cfg(5))
			wait(t, c)
			c.PauseMaintenance()
			_, err := c.SetDrop("n1", 100)
			must(t, "drop", err)
			c.evaluate() // the ring is still ideal: confirmation starts
			c.StepMaintenance(ctx)
			if _, err := c.Wait(ctx, time.Minute); !errors.Is(err, ErrNotStable) || !strings.Contains(err.Error(), "timed out") {
				t.Fatalf("wait after a round under drop n1 100%% = %v, want not stable: calls timed out", err)
			}
			if h := c.Health(); h.Stable || !h.Confirming {
				t.Fatalf("after a round under drop n1 100%%: %+v", h)
			}
			_, err = c.SetDrop("n1", 0)
			must(t, "drop 0", err)
			for step := 1; ; step++ {
				c.StepMaintenance(ctx)
				if _, err := c.Wait(ctx, time.Minute); err == nil {
					break
				} else if step == 5 {
					t.Fatalf("not stable after %d steps with the drop removed: %v", step, err)
				}
			}
		})
	}
}

// TestWaitJudgesAfresh checks that wait does not answer from a verdict
// the monitor reached before the ring changed: here a node crashes behind
// the cluster's back (no fault is recorded, nothing wakes the monitor,
// which looks at a stable ring only once an hour) and the others drop it.
func TestWaitJudgesAfresh(t *testing.T) {
	ctx := context.Background()
	cfg := memConfig(5)
	cfg.StableMonitorInterval = time.Hour
	c := startCluster(t, cfg)
	wait(t, c)
	nodes := c.LiveNodes()
	cfg.Network.(*memNetwork).nw.Crash(nodes[1].Addr)
	deadline := time.Now().Add(time.Minute)
	for dropped := false; !dropped; {
		if time.Now().After(deadline) {
			t.Fatalf("the nodes did not drop %s within a minute", nodes[1].Name)
		}
		dropped = true
		for i, n := range nodes {
			if st := n.Node.Status(); i != 1 && (st.Predecessor.Addr == nodes[1].Addr || slices.ContainsFunc(st.Successors, func(r chord.NodeRef) bool { return r.Addr == nodes[1].Addr })) {
				dropped = false
			}
		}
		time.Sleep(time.Millisecond) // polling the condition, up to the deadline
	}
	if _, err := c.Wait(ctx, 100*time.Millisecond); !errors.Is(err, ErrNotStable) {
		t.Fatalf("wait after %s crashed unseen and was dropped = %v, want not stable", nodes[1].Name, err)
	}
}

// eventLog collects a cluster's events until Close.
type eventLog struct {
	mu     sync.Mutex
	events []Event
	done   chan struct{}
}

func collectEvents(c *Cluster) *eventLog {
	l := &eventLog{done: make(chan struct{})}
	go func() { // exits when Close closes the event channel
		defer close(l.done)
		for e := range c.Events() {
			l.mu.Lock()
			l.events = append(l.events, e)
			l.mu.Unlock()
		}
	}()
	return l
}

// waitFor polls until an event with text want has arrived.
func (l *eventLog) waitFor(t *testing.T, want string) {
	t.Helper()
	l.waitForAfter(t, 0, want)
}

// len is how many events have arrived.
func (l *eventLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// waitForAfter polls until an event with text want has arrived after the
// first from events (an earlier round may have emitted the same text).
func (l *eventLog) waitForAfter(t *testing.T, from int, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		l.mu.Lock()
		found := slices.ContainsFunc(l.events[min(from, len(l.events)):], func(e Event) bool { return e.Text == want })
		l.mu.Unlock()
		if found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event %q within 20 s", want)
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

// TestEventsStopAtCrash kills a busy node and revives it: nothing of the
// dead incarnation follows "kill", nothing at all of that node shows
// between "kill" and "revive", and the joined events follow "revive" and
// precede "stable".
func TestEventsStopAtCrash(t *testing.T) {
	ctx := context.Background()
	var logged lockedLines
	cfg := memConfig(8)
	cfg.Logger = slog.New(&logged)
	c := startCluster(t, cfg)
	evs := collectEvents(c)
	wait(t, c)
	for round := range 3 {
		for i := range 20 { // traffic through the victim: lookups, stores
			_, _ = c.Set(ctx, fmt.Sprintf("r%dk%d", round, i), "v", "n3")
		}
		must(t, "kill", c.Kill("n3"))
		wait(t, c)
		before := evs.len()
		must(t, "revive", c.Revive(ctx, "n3"))
		wait(t, c)
		evs.waitForAfter(t, before, fmt.Sprintf("stable %.2f s after revive n3", c.Snapshot().ConvergedIn.Seconds()))
	}
	all := evs.all()
	kill, revive := -1, -1
	for i, e := range all {
		switch {
		case e.Kind == EventFault && e.Text == "kill n3":
			kill, revive = i, -1
		case e.Kind == EventFault && e.Text == "revive n3":
			revive = i
		case e.Node == "n3" && kill >= 0 && revive < 0:
			t.Fatalf("event %q of n3 between its kill and its revive", e.Text)
		case e.Kind == EventJoined && e.Node == "n3" && kill >= 0 && revive < 0:
			t.Fatalf("n3 joined before its revive was announced")
		}
	}
	if kill < 0 {
		t.Fatal("no kill event")
	}
	lastRevive := -1
	for i, e := range all {
		if e.Kind == EventFault && e.Text == "revive n3" {
			lastRevive = i
		}
	}
	joined := slices.IndexFunc(all[lastRevive:], func(e Event) bool { return e.Kind == EventJoined && e.Node == "n3" })
	stable := slices.IndexFunc(all[lastRevive:], func(e Event) bool { return e.Kind == EventStable })
	if joined < 0 || stable < 0 || stable < joined {
		t.Fatalf("after the last revive: joined at %d, stable at %d (relative)", joined, stable)
	}
	// Every event line reaches the log, in the same words.
	text := logged.String()
	for _, want := range []string{"kill n3", "revive n3", "n3 joined the ring", "stable "} {
		if !strings.Contains(text, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
}

// lockedLines is a slog.Handler that keeps every message.
type lockedLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *lockedLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lockedLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, r.Message)
	return nil
}
func (l *lockedLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *lockedLines) WithGroup(string) slog.Handler      { return l }
func (l *lockedLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestPartitionHealth checks that a partition is a state of its own: each
// side is judged as its own ring, nodes carry their side's label, one
// violation count, a node added meanwhile joins side A, and after heal
// stable means one ring again.
func TestPartitionHealth(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, memConfig(8))
	wait(t, c)
	_, err := c.Partition([]string{"n1", "n2"})
	must(t, "partition", err)
	r := wait(t, c)
	if !r.Partitioned || len(r.Sides) != 2 || r.Sides[0].Label != SideA || r.Sides[1].Label != SideB {
		t.Fatalf("wait under a partition: %+v", r)
	}
	if !slices.Equal(r.Sides[1].Nodes, []string{"n1", "n2"}) || len(r.Sides[0].Nodes) != 6 {
		t.Fatalf("sides %+v", r.Sides)
	}
	for _, s := range r.Sides {
		if !s.Stable || s.ConvergedIn <= 0 {
			t.Fatalf("side %s: %+v", s.Label, s)
		}
	}
	if !strings.Contains(r.Sides[1].Note, "ring of 2 (< r+1 = 5)") {
		t.Fatalf("side B's note: %q", r.Sides[1].Note)
	}
	s := c.Snapshot()
	if s.Nodes[1].Side != SideB || s.Nodes[0].Side != SideA {
		t.Fatalf("side labels: n0 %q, n1 %q", s.Nodes[0].Side, s.Nodes[1].Side)
	}
	if !s.Health.Partitioned || !strings.HasPrefix(s.Health.Summary, "partitioned: 2 sides — each stable after") {
		t.Fatalf("health: %+v", s.Health)
	}
	if s.Health.Violations != len(s.Violations) || s.Health.Violations != 0 {
		t.Fatalf("violations: health %d, listed %v", s.Health.Violations, s.Violations)
	}
	if cr := c.Check(); !cr.OK() || !cr.Partitioned || len(cr.Sides) != 2 || cr.Sides[1].Note == "" {
		t.Fatalf("check under a partition: %+v", cr)
	}
	rep, err := c.AddNodes(ctx, 1)
	must(t, "add", err)
	if rep.NewRing != "" {
		t.Fatalf("add under a partition started a new ring: %+v", rep)
	}
	wait(t, c)
	if s := c.Snapshot(); s.Nodes[8].Side != SideA || idealBySide(s) != "" {
		t.Fatalf("n8 after add: side %q, ideal: %s", s.Nodes[8].Side, idealBySide(s))
	}
	c.Heal()
	r = wait(t, c)
	if r.Partitioned || len(r.Sides) != 0 {
		t.Fatalf("wait after heal: %+v", r)
	}
	s = c.Snapshot()
	if why := idealBySide(s); why != "" || s.Nodes[1].Side != "" {
		t.Fatalf("after heal: %s, n1's side %q", why, s.Nodes[1].Side)
	}
	if len(chord.RingMembers(liveStatuses(s))) != 9 {
		t.Fatal("after heal the ring does not hold all 9 live nodes")
	}
}

func liveStatuses(s Snapshot) []chord.Status {
	var out []chord.Status
	for _, n := range s.Nodes {
		if n.State == StateAlive {
			out = append(out, n.Chord)
		}
	}
	return out
}

// TestSmallRing checks that a ring of fewer than r+1 nodes is stable with
// a note saying what cannot hold, not stable beside a violation.
func TestSmallRing(t *testing.T) {
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			c := startCluster(t, memConfig(n))
			r := wait(t, c)
			want := fmt.Sprintf("ring of %d (< r+1 = 5)", n)
			if !strings.Contains(r.Note, want) {
				t.Fatalf("wait's note %q lacks %q", r.Note, want)
			}
			if cr := c.Check(); !cr.OK() || !strings.Contains(cr.Note, want) {
				t.Fatalf("check: %+v", cr)
			}
			s := c.Snapshot()
			if !s.Stable || len(s.Violations) != 0 || s.Health.Violations != 0 || !strings.Contains(s.Health.Summary, want) {
				t.Fatalf("snapshot: stable %v, violations %v, health %+v", s.Stable, s.Violations, s.Health)
			}
		})
	}
}

// TestNewRing checks the dead ends: with every node down or gone, revive
// and add start a new ring and say that the keys are gone; with a paused
// node left, they refuse; a side of a partition with no live node gets a
// ring of its own, which merges after heal.
func TestNewRing(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, memConfig(4))
	wait(t, c)
	_, err := c.Set(ctx, "k", "v", "")
	must(t, "set", err)
	for _, n := range []string{"n0", "n1", "n2"} {
		must(t, "kill", c.Kill(n))
	}
	if err := c.Leave(ctx, "n3"); !errors.Is(err, ErrNoLiveNode) || !strings.Contains(err.Error(), "it was the last live node") {
		t.Fatalf("leave of the last live node = %v", err)
	}
	if h := c.Health(); h.Live != 0 || !strings.HasPrefix(h.Summary, "no live node") {
		t.Fatalf("with every node gone: %+v", h)
	}
	rep, err := c.ReviveNode(ctx, "n1")
	must(t, "revive", err)
	if rep.NewRing != "n1" || !rep.KeysLost || !strings.Contains(rep.NewRingText(), "every key stored before is gone") {
		t.Fatalf("revive with every node gone: %+v", rep)
	}
	wait(t, c)
	if g, err := c.Get(ctx, "k", ""); err != nil || g.Found {
		t.Fatalf("get k in the new ring = %+v, %v; want not found", g, err)
	}
	must(t, "kill", c.Kill("n1"))
	rep, err = c.AddNodes(ctx, 2)
	must(t, "add", err)
	if rep.NewRing != "n4" || !rep.KeysLost || !slices.Equal(rep.Nodes, []string{"n4", "n5"}) {
		t.Fatalf("add with every node gone: %+v", rep)
	}
	wait(t, c)
	if s := c.Snapshot(); idealBySide(s) != "" || len(ringOrder(s)) != 2 {
		t.Fatalf("after add: %v, %s", ringOrder(s), idealBySide(s))
	}
	// A paused node still holds keys: no new ring beside it.
	must(t, "pause", c.Pause("n4"))
	must(t, "kill", c.Kill("n5"))
	if _, err := c.ReviveNode(ctx, "n0"); !errors.Is(err, ErrNoLiveNode) || !strings.Contains(err.Error(), "resume n4 first") {
		t.Fatalf("revive beside a paused node = %v", err)
	}
	if _, err := c.Get(ctx, "k", ""); !errors.Is(err, ErrNoLiveNode) || !strings.HasSuffix(err.Error(), "every node is down or paused: resume n4") {
		t.Fatalf("get with every node down or paused = %v", err)
	}
	must(t, "resume", c.Resume("n4"))
	must(t, "revive", c.Revive(ctx, "n0"))
	must(t, "revive", c.Revive(ctx, "n2"))
	wait(t, c)
	// A side with no live node: its revived node starts a ring there.
	_, err = c.Partition([]string{"n2"})
	must(t, "partition", err)
	must(t, "kill", c.Kill("n2"))
	rep, err = c.ReviveNode(ctx, "n2")
	must(t, "revive", err)
	if rep.NewRing != "n2" || rep.KeysLost || rep.Side != SideB {
		t.Fatalf("revive on an empty side: %+v", rep)
	}
	if r := wait(t, c); !r.Partitioned {
		t.Fatalf("wait: %+v", r)
	}
	c.Heal()
	wait(t, c)
	if s := c.Snapshot(); idealBySide(s) != "" || len(chord.RingMembers(liveStatuses(s))) != 3 {
		t.Fatalf("after heal the two rings did not merge: %s", idealBySide(s))
	}
}

// TestUnstableWhileFaultInForce checks that a ring lost while a fault is
// in force says which, rather than "no fault injected".
func TestUnstableWhileFaultInForce(t *testing.T) {
	c := startCluster(t, memConfig(5))
	evs := collectEvents(c)
	_, err := c.SetDelay("n1", time.Millisecond)
	must(t, "delay", err)
	wait(t, c)
	c.mu.RLock()
	tr := c.members[3].tr
	c.mu.RUnlock()
	tr.Kill() // not through Kill: no fault is recorded
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, e := range evs.all() {
			if e.Kind != EventUnstable {
				continue
			}
			if !strings.HasPrefix(e.Text, "no longer stable (while delay n1 1ms in force): ") {
				t.Fatalf("unstable event %q", e.Text)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no unstable event within 20 s of a silent crash")
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
}

// TestMessages checks the wording found on the way: a long key is quoted
// short with its length, an error names its operation once, del says when
// the key was absent, and node states read as sentences.
func TestMessages(t *testing.T) {
	for _, tt := range []struct{ key, want string }{
		{"k", `"k"`},
		{strings.Repeat("a", 40), `"` + strings.Repeat("a", 40) + `"`},
		{strings.Repeat("a", 102400), `"` + strings.Repeat("a", 40) + `…" (102400 bytes)`},
		{strings.Repeat("é", 30), `"` + strings.Repeat("é", 20) + `…" (60 bytes)`},
	} {
		if got := QuoteKey(tt.key); got != tt.want {
			t.Errorf("QuoteKey(%d bytes) = %s, want %s", len(tt.key), got, tt.want)
		}
	}
	ctx := context.Background()
	c := startCluster(t, memConfig(4))
	wait(t, c)
	huge := strings.Repeat("a", 102400)
	for op, call := range map[string]func() error{
		"get": func() error { _, err := c.Get(ctx, huge, ""); return err },
		"set": func() error { _, err := c.Set(ctx, huge, "v", ""); return err },
		"del": func() error { _, err := c.Del(ctx, huge, ""); return err },
	} {
		err := call()
		if err == nil || len(err.Error()) > 200 || !strings.Contains(err.Error(), "(102400 bytes)") ||
			strings.Contains(err.Error(), op+": "+op) || !strings.HasPrefix(err.Error(), op+" \"aaa") {
			t.Errorf("%s of a 100 KB key: %v", op, err)
		}
	}
	r, err := c.Del(ctx, "never", "")
	must(t, "del", err)
	if r.Existed == nil || *r.Existed {
		t.Fatalf("del of a missing key: existed %v", r.Existed)
	}
	_, err = c.Set(ctx, "k", "v", "")
	must(t, "set", err)
	if r, err := c.Del(ctx, "k", ""); err != nil || r.Existed == nil || !*r.Existed {
		t.Fatalf("del of a stored key: %+v, %v", r, err)
	}
	must(t, "leave", c.Leave(ctx, "n2"))
	for _, tt := range []struct {
		err  error
		want string
	}{
		{c.Kill("n2"), "kill: n2 has already left — revive n2 brings it back"},
		{c.Leave(ctx, "n2"), "leave: n2 has left — only a live node can leave gracefully"},
		{c.Pause("n2"), "pause: n2 has left, not alive"},
		{func() error { _, err := c.SetOrigin("n2"); return err }(), "origin: n2 has left — pick a live member"},
	} {
		if tt.err == nil || tt.err.Error() != tt.want {
			t.Errorf("error %v, want %q", tt.err, tt.want)
		}
	}
}

// TestStableAgain checks that a ring which loses stability without a new
// fault and regains it says so, measured from the loss, instead of
// "converged in" the whole time since the last fault.
func TestStableAgain(t *testing.T) {
	c := startCluster(t, memConfig(5))
	evs := collectEvents(c)
	wait(t, c)
	c.mu.RLock()
	addr := c.members[2].addr
	c.mu.RUnlock()
	c.net.Pause(addr) // behind the cluster's back: no fault is recorded
	deadline := time.Now().Add(20 * time.Second)
	for !slices.ContainsFunc(evs.all(), func(e Event) bool { return e.Kind == EventUnstable }) {
		if time.Now().After(deadline) {
			t.Fatal("no unstable event within 20 s of a silent pause")
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
	c.net.Resume(addr)
	r := wait(t, c)
	if !r.StableAgain || r.After != "start 5 nodes" {
		t.Fatalf("wait after the ring healed by itself: %+v", r)
	}
	if h := c.Health(); !h.StableAgain || !strings.HasPrefix(h.Summary, "stable again — ") {
		t.Fatalf("health: %+v", h)
	}
	evs.waitFor(t, fmt.Sprintf("stable again %.2f s after it was lost (no new fault since start 5 nodes)", r.ConvergedIn.Seconds()))
}

// The note on a ring too small for invariant 8 counts what the lists
// count: nodes, or with virtual nodes identities, against r·V+1.
func TestSmallRingNote(t *testing.T) {
	tests := []struct {
		n, r, v int
		want    string
	}{
		{2, 4, 1, "ring of 2 (< r+1 = 5): not guaranteed to survive failures (invariant 8 needs r+1 principals)"},
		{5, 4, 1, ""},
		{0, 4, 1, ""},
		{32, 4, 8, "ring of 32 identities (< r·V+1 = 4·8+1 = 33): not guaranteed to survive failures (invariant 8 needs r·V+1 principals)"},
		{33, 4, 8, ""},
	}
	for _, tt := range tests {
		if got := smallRingNote(tt.n, tt.r, tt.v); got != tt.want {
			t.Errorf("smallRingNote(%d, %d, %d) = %q, want %q", tt.n, tt.r, tt.v, got, tt.want)
		}
	}
}

// A leave with a paused member left is not the last: the paused node still
// holds copies, and the leave does not say the keys are gone.
func TestLeaveBesideAPausedNodeIsNotTheLast(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, memConfig(2))
	wait(t, c)
	_, err := c.Set(ctx, "k", "v", "")
	must(t, "set", err)
	must(t, "pause", c.Pause("n0"))
	if err := c.Leave(ctx, "n1"); errors.Is(err, ErrNoLiveNode) {
		t.Fatalf("leave beside a paused node: %v, want no claim that the keys are gone", err)
	}
	must(t, "resume", c.Resume("n0"))
	g, err := c.Get(ctx, "k", "n0")
	if err != nil || !g.Found || g.Value != "v" {
		t.Fatalf("get k from the resumed n0: %+v %v", g, err)
	}
}
