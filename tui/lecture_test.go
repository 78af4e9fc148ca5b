package tui

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
	"github.com/chordtui/chordtui/tui/screentest"
)

// peerOf names a node of snap as results name it.
func peerOf(snap cluster.Snapshot, name string) cluster.Peer {
	for _, n := range snap.Nodes {
		if n.Name == name {
			return cluster.Peer{Name: n.Name, ID: cluster.RingID{ID: n.ID, Bits: snap.Bits}, Addr: n.Addr}
		}
	}
	panic("no node " + name)
}

// nodeOf returns the node called name in snap.
func nodeOf(snap *cluster.Snapshot, name string) *cluster.NodeSnapshot {
	for i := range snap.Nodes {
		if snap.Nodes[i].Name == name {
			return &snap.Nodes[i]
		}
	}
	panic("no node " + name)
}

func refTo(p cluster.Peer) chord.NodeRef { return chord.NodeRef{ID: p.ID.ID, Addr: p.Addr} }

// stabilizeN51 is "step stabilize N51" on the paper's ring after the crash
// of N56, as the cluster reports it (r = 3 here): N51 drops N56 for N1 and
// copies N1's list, and N1, notified, takes N51 as its predecessor. It
// returns the report and the snapshot after the step.
func stabilizeN51(before cluster.Snapshot) (cluster.StepReport, cluster.Snapshot) {
	p := func(name string) cluster.Peer { return peerOf(before, name) }
	changes := []cluster.PointerChange{
		{Node: p("N51"), Kind: cluster.PointerSuccessor, Index: 0, Old: p("N56"), New: p("N1")},
		{Node: p("N51"), Kind: cluster.PointerSuccessor, Index: 1, Old: p("N1"), New: p("N8")},
		{Node: p("N51"), Kind: cluster.PointerSuccessor, Index: 2, Old: p("N8"), New: p("N14")},
		{Node: p("N1"), Kind: cluster.PointerPredecessor, Old: p("N56"), New: p("N51")},
	}
	after := before
	after.Nodes = slices.Clone(before.Nodes)
	n51 := nodeOf(&after, "N51")
	n51.Chord.Successors = []chord.NodeRef{refTo(p("N1")), refTo(p("N8")), refTo(p("N14"))}
	nodeOf(&after, "N1").Chord.Predecessor = refTo(p("N51"))
	after.Taken = before.Taken.Add(time.Second)
	h := before.Health
	h.MaintenancePaused = true
	rep := cluster.StepReport{Task: cluster.TaskStabilize, Node: "N51", Steps: 1, Health: h, Changes: changes,
		Rounds: []cluster.StepRound{{Task: cluster.TaskStabilize, Node: p("N51"), Changes: changes,
			Caption: "N51 asks its successor N56 for its predecessor and successor list: N56 does not answer (refused): " +
				"it has failed, so N51 drops it. N51 asks the next entry of its successor list, N1, for its predecessor and " +
				"successor list, notifying it: N1 takes N51 as its predecessor instead of N56. N1 answers predecessor N51, " +
				"successor list [N8, N14, N21]. N51 itself is that predecessor: nothing lies between them. N51's successor: " +
				"N56 → N1; its successor list is now [N1, N8, N14] (N1, then N1's list without its last entry)."}}}
	return rep, after
}

// pausedPaperRing is the paper's ring after the crash of N56, with
// maintenance paused.
func pausedPaperRing() cluster.Snapshot {
	s := paperRing()
	s.MaintenancePaused, s.Health.MaintenancePaused = true, true
	s.Health.Summary = "converging after kill N56"
	return s
}

// lectureModel is a model over the paused paper ring at w×h, with N51
// selected and the lecture's successor arrows.
func lectureModel(t *testing.T, w, h int) (*Model, *fakeCluster) {
	t.Helper()
	f := newFake(pausedPaperRing())
	opts := DefaultOptions()
	opts.NoAnimate, opts.Lecture = true, true
	m := NewModel(f, opts)
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(snapshotMsg{snap: f.Snapshot()})
	m.selected = "N51"
	rep, after := stabilizeN51(f.Snapshot())
	f.steps["step stabilize N51"], f.afterStep["step stabilize N51"] = rep, after
	return m, f
}

// TestGoldenLecture pins lecture mode's screens on the paper's ring: a
// step with its caption and highlighted changes, the violations pane, a
// lesson in progress, the event log with a burst and an opened line, at
// 120×40, 80×24 and 200×60.
func TestGoldenLecture(t *testing.T) {
	dir := t.TempDir()
	lessonFile := filepath.Join(dir, "crash.txt")
	if err := os.WriteFile(lessonFile, []byte("# A crash, and the repair one round at a time.\n# N56 fails; nobody has noticed yet.\nkill N56\n\n"+
		"# N51 stabilizes: it finds N56 gone and closes the ring.\nstep stabilize N51\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lesson, err := command.ReadLesson(lessonFile)
	if err != nil {
		t.Fatal(err)
	}
	lesson.Name = "crash.txt"
	step := func(t *testing.T, m *Model, _ *fakeCluster) { press(t, m, "1") }
	violations := func(t *testing.T, m *Model, _ *fakeCluster) { press(t, m, "!", "j") }
	lessonRun := func(t *testing.T, m *Model, f *fakeCluster) {
		m.loadLesson(lesson)
		f.results["kill N56"] = command.Done("kill", command.NodeDone{Node: peerOf(f.Snapshot(), "N56")}, nil)
		f.results["step stabilize N51"] = command.Done("step", f.steps["step stabilize N51"], nil)
		press(t, m, "right", "right", "right", "right")
	}
	events := func(t *testing.T, m *Model, _ *fakeCluster) {
		m.Update(eventsMsg{events: lectureEvents()})
		press(t, m, "tab", "tab", "k", "k", "enter", "k", "enter")
	}
	tests := []struct {
		name  string
		w, h  int
		setup func(*testing.T, *Model, *fakeCluster)
	}{
		{"lecture_step", 120, 40, step},
		{"lecture_step_80x24", 80, 24, step},
		{"lecture_step_200x60", 200, 60, step},
		{"lecture_violations", 120, 40, violations},
		{"lecture_violations_80x24", 80, 24, violations},
		{"lecture_lesson", 120, 40, lessonRun},
		{"lecture_lesson_80x24", 80, 24, lessonRun},
		{"lecture_events", 120, 40, events},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, f := lectureModel(t, tc.w, tc.h)
			tc.setup(t, m, f)
			got := screen(m)
			lines := strings.Split(got, "\n")
			if len(lines) != tc.h {
				t.Errorf("screen has %d lines, want %d", len(lines), tc.h)
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w != tc.w {
					t.Errorf("line %d is %d cells wide, want %d: %q", i, w, tc.w, l)
				}
			}
			checkGolden(t, tc.name, got)
		})
	}
}

// lectureEvents is what the cluster logs after a kill on the paper's ring:
// the fault, a failure detected and a burst of pointer changes.
func lectureEvents() []cluster.Event {
	at := fakeTime.Add(-2 * time.Second)
	evs := []cluster.Event{
		{Time: at, Kind: cluster.EventFault, Text: "heal"},
		{Time: at.Add(100 * time.Millisecond), Kind: cluster.EventFailure, Node: "N51",
			Text: "N51: detected failure of N56, its successor (no answer to stabilize)", Detail: "chord.state N56: node down: connection refused"},
	}
	for i, n := range []string{"N51", "N48", "N42", "N38", "N1"} {
		evs = append(evs, cluster.Event{Time: at.Add(time.Duration(200+100*i) * time.Millisecond), Kind: cluster.EventSucc, Node: n,
			Text: n + ": successor N56 → N1"})
	}
	return append(evs, cluster.Event{Time: at.Add(time.Second), Kind: cluster.EventStable, Text: "stable after 7 steps since heal"})
}

// changeMarks lists the pointers the screen marks Δ: in the members table
// (PRED and SUCC of each row) and in the Node pane (pred, succ list).
func changeMarks(scr string) []string {
	var out []string
	for _, r := range lectureRows(scr) {
		if strings.HasSuffix(r.pred, changeMark) {
			out = append(out, r.name+".predecessor")
		}
		if strings.HasSuffix(r.succ, changeMark) {
			out = append(out, r.name+".successor")
		}
	}
	return out
}

// lectureRows reads the members table of a lecture screen: each row's
// name, PRED and SUCC.
func lectureRows(scr string) []struct{ name, pred, succ string } {
	var out []struct{ name, pred, succ string }
	for _, line := range strings.Split(scr, "\n") {
		i := strings.Index(line, "││")
		if i < 0 {
			continue
		}
		f := strings.Fields(strings.Trim(line[i+len("││"):], "│"))
		if len(f) < 6 || strings.Trim(f[0], "▶●○◐◌⚠") != "" || !strings.HasPrefix(f[1], "N") {
			continue
		}
		rest := f[3:] // after the marker, the name and the ID
		if slices.Contains([]string{"alive", "down", "paused", "left"}, rest[0]) {
			rest = rest[1:]
		}
		out = append(out, struct{ name, pred, succ string }{strings.TrimSuffix(f[1], "*"), rest[0], rest[1]})
	}
	return out
}

// TestStepHighlightsMatchReport: a step's pointer changes, and only they,
// are marked Δ in the members table and the Node pane, and listed in the
// caption; a pointer changed since is no longer marked.
func TestStepHighlightsMatchReport(t *testing.T) {
	m, f := lectureModel(t, 120, 40)
	press(t, m, "1")
	if got := f.executed(); !slices.Equal(got, []string{"step stabilize N51"}) {
		t.Fatalf("1 ran %q, want the stabilize of the selected node", got)
	}
	rep := f.steps["step stabilize N51"]
	var want []string
	for _, ch := range rep.Changes {
		want = append(want, fmt.Sprintf("%s.%s", ch.Node, ch.Pointer()))
		if !m.changed(ch.Node.Name, ch.Kind, ch.Index) {
			t.Errorf("%s is not highlighted", ch)
		}
	}
	if len(m.hl) != len(rep.Changes) {
		t.Errorf("%d pointers highlighted, the report changed %d", len(m.hl), len(rep.Changes))
	}
	scr := screen(m)
	if got := changeMarks(scr); !slices.Equal(got, []string{"N1.predecessor", "N51.successor"}) {
		t.Errorf("the members table marks %q, want N1's predecessor and N51's successor:\n%s", got, scr)
	}
	if !strings.Contains(scr, "succ   N1Δ N8Δ N14Δ") {
		t.Errorf("the Node pane does not mark N51's changed successor list:\n%s", scr)
	}
	for _, w := range want {
		ch := "Δ " + w + ":"
		if !strings.Contains(scr, ch) {
			t.Errorf("the caption does not list %q:\n%s", ch, scr)
		}
	}
	// N1's predecessor changes again (a later round): its mark goes.
	s := f.Snapshot()
	s.Taken = s.Taken.Add(time.Second)
	nodeOf(&s, "N1").Chord.Predecessor = refTo(peerOf(s, "N48"))
	m.Update(snapshotMsg{snap: s})
	if m.changed("N1", cluster.PointerPredecessor, 0) || !strings.Contains(screen(m), "N1.predecessor: N56 → N51 (changed since)") {
		t.Errorf("a pointer changed after the step is still marked as the step's:\n%s", screen(m))
	}
	press(t, m, "esc")
	if len(m.hl) != 0 || strings.Contains(screen(m), changeMark) {
		t.Error("esc did not close the step and its highlights")
	}
}

// TestStepKeys: each step key runs the command of its task on the step
// target, e switches the target, and a key that cannot step says why.
func TestStepKeys(t *testing.T) {
	m, f := lectureModel(t, 120, 40)
	press(t, m, "1", "2", "3", "4", "n", "e", "1", "n", "e")
	want := []string{"step stabilize N51", "step fix_fingers N51", "step check_predecessor N51", "step repair N51", "step N51",
		"step stabilize", "step"}
	if got := f.executed(); !slices.Equal(got, want) {
		t.Errorf("the step keys ran %q, want %q", got, want)
	}
	if m.stepEvery {
		t.Error("e twice did not come back to the selected node")
	}
	m.selected = "N56" // down
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	press(t, m, "1")
	if got := f.executed(); len(got) != len(want) {
		t.Errorf("a step at a down node ran %q", got[len(want):])
	}
	if msg := screentest.LastLines(screen(m), 2); !strings.Contains(msg, "N56 is down: only a live node runs maintenance") {
		t.Errorf("1 at a down node does not say why:\n%s", msg)
	}
}

// TestStatusCountsSteps: while maintenance is paused the status bar counts
// the steps since the fault, as the last step reported, never seconds.
func TestStatusCountsSteps(t *testing.T) {
	m, _ := lectureModel(t, 120, 40)
	if bar := statusLine(m); strings.Contains(bar, " s since") || !strings.Contains(bar, "⟳ converging after kill N56") {
		t.Errorf("paused, before a step: %s", bar)
	}
	press(t, m, "1")
	if bar := statusLine(m); !strings.Contains(bar, "⟳ converging — 1 step since kill N56") {
		t.Errorf("paused, after a step: %s", bar)
	}
	s := pausedPaperRing()
	s.Health.Stable, s.Health.InSteps, s.Health.ConvergedSteps = true, true, 7
	s.Health.Summary = "stable — converged after 7 steps since kill N56 (counted in steps: maintenance was paused)"
	m.Update(snapshotMsg{snap: s})
	if bar := statusLine(m); !strings.Contains(bar, "✓ stable — converged after 7 steps since kill N56") {
		t.Errorf("stable in steps: %s", bar)
	}
}

// TestLookupKeys: . and , step through a lookup's calls by hand (the
// animation stops), R replays it from hop 0, - and + change the hop delay.
func TestLookupKeys(t *testing.T) {
	snap := fakeRing(ringSpec{n: 16, bits: 16, down: -1, paused: -1})
	f := newFake(snap)
	f.gets["greeting"] = fakeGet(snap)
	m := NewModel(f, DefaultOptions())
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(snapshotMsg{snap: snap})
	press(t, m, "g")
	typeText(m, "greeting")
	_, cmd := m.Update(keyPress("enter"))
	m.Update(cmd())
	press(t, m, ".", ".")
	if m.lookup.shown != 2 || !m.lookup.manual || !strings.Contains(screen(m), "hop 2 of 3") {
		t.Fatalf(". twice: shown %d, manual %v", m.lookup.shown, m.lookup.manual)
	}
	m.Update(hopMsg{seq: m.lookup.seq})
	if m.lookup.shown != 2 {
		t.Error("the animation went on after . stopped it")
	}
	press(t, m, ",", ",", ",")
	if m.lookup.shown != 0 {
		t.Errorf(", past hop 0: shown %d", m.lookup.shown)
	}
	press(t, m, ".", ".", ".")
	if !m.lookup.done() || !strings.Contains(screen(m), `✓ get greeting via n0: "hello"`) {
		t.Errorf("the last . did not show the outcome:\n%s", screen(m))
	}
	_, cmd = m.Update(keyPress("R"))
	if m.lookup.shown != 0 || m.lookup.manual || cmd == nil {
		t.Errorf("R did not replay from hop 0: %+v", m.lookup)
	}
	was := m.hopDelay
	press(t, m, "+")
	if m.hopDelay <= was {
		t.Errorf("+ did not lengthen the hop delay: %v → %v", was, m.hopDelay)
	}
	press(t, m, "-", "-")
	if m.hopDelay >= was {
		t.Errorf("- did not shorten the hop delay below %v: %v", was, m.hopDelay)
	}
	if !strings.Contains(screentestLast(screen(m)), "-+ hop "+m.hopDelay.String()) {
		t.Errorf("the hint bar does not give the hop delay: %s", screentestLast(screen(m)))
	}
}

// TestViewToggles: c switches the finger table and its runs, w the
// successor arrows, ! the violations (selecting one marks its nodes), o the
// last long output, m the node filter of the log.
func TestViewToggles(t *testing.T) {
	m, f := lectureModel(t, 120, 40)
	if s := screen(m); !strings.Contains(s, "k  start  interval  successor") || !strings.Contains(s, "[52, 53)  N56✗") {
		t.Fatalf("lecture mode does not show the paper's finger table with ✗ on a wrong finger:\n%s", s)
	}
	press(t, m, "c")
	if s := screen(m); strings.Contains(s, "interval") || !strings.Contains(s, "1–3       → N56✗") {
		t.Errorf("c did not collapse the fingers to runs:\n%s", s)
	}
	if !strings.Contains(screen(m), "successor (clockwise)") {
		t.Error("lecture mode does not draw the successor arrows")
	}
	press(t, m, "w")
	if strings.Contains(screen(m), "successor (clockwise)") {
		t.Error("w did not hide the successor arrows")
	}
	press(t, m, "!")
	vs := m.violations()
	if len(vs) == 0 || m.focus != paneStory || !strings.Contains(screen(m), "not yet ideal: successor") {
		t.Fatalf("! did not list the violations:\n%s", screen(m))
	}
	for _, n := range vs[0].Nodes {
		if !m.marked()[n] || !strings.Contains(screen(m), "⚠"+n) {
			t.Errorf("the selected violation's node %s is not marked on the ring and in the table:\n%s", n, screen(m))
		}
	}
	press(t, m, "esc", "o")
	if m.mode == modeOutput {
		t.Error("o opened an output view with no output")
	}
	f.results["nodes"] = command.Result{Cmd: "nodes", OK: true, Text: "line one\nline two\nline three"}
	press(t, m, ":")
	typeText(m, "nodes")
	press(t, m, "enter")
	if m.mode != modeOutput || !strings.Contains(screen(m), "line three") {
		t.Fatalf("a long output did not open its view:\n%s", screen(m))
	}
	press(t, m, "esc")
	if strings.Contains(screen(m), "line two") {
		t.Error("the long output was written into the log")
	}
	press(t, m, "o")
	if m.mode != modeOutput {
		t.Error("o did not show the output again")
	}
	press(t, m, "esc", "m")
	if m.logNode != "N51" {
		t.Errorf("m filters the log by %q, want the selected N51", m.logNode)
	}
}

// TestFindNode: / in the members pane selects the node typed, by name or
// identifier, as it is typed; esc goes back.
func TestFindNode(t *testing.T) {
	m, _ := lectureModel(t, 120, 40)
	press(t, m, "/")
	typeText(m, "3")
	if m.selected != "N32" {
		t.Errorf("/3 selected %s, want N32 (the first name or ID starting with 3)", m.selected)
	}
	typeText(m, "8")
	if m.selected != "N38" {
		t.Errorf("/38 selected %s, want N38", m.selected)
	}
	press(t, m, "enter")
	if m.mode != modeNormal || m.selected != "N38" {
		t.Errorf("enter: mode %v, selected %s", m.mode, m.selected)
	}
	press(t, m, "/")
	typeText(m, "n8")
	press(t, m, "esc")
	if m.selected != "N38" {
		t.Errorf("esc kept %s, want the selection from before, N38", m.selected)
	}
	if !strings.Contains(m.membersTitle(), "row 6/10") {
		t.Errorf("the members title does not give the position: %s", m.membersTitle())
	}
}

// TestEventLog: a burst of pointer changes folds into one line named after
// the fault before it, enter opens it and opens a line's full text, / keeps
// the lines that match, m those of the selected node, and a command that
// caused a fault is logged once.
func TestEventLog(t *testing.T) {
	m, f := lectureModel(t, 120, 40)
	m.Update(eventsMsg{events: lectureEvents()})
	s := screen(m)
	if !strings.Contains(s, "▸ heal: 5 pointer changes at N51 N48 N42 N38 N1") || strings.Contains(s, "N48: successor N56 → N1") {
		t.Fatalf("the burst is not folded into one line:\n%s", s)
	}
	press(t, m, "tab", "tab", "k", "enter")
	if s := screen(m); !strings.Contains(s, "▾ heal: 5 pointer changes") || !strings.Contains(s, "N48: successor N56 → N1") {
		t.Errorf("enter did not open the burst:\n%s", s)
	}
	press(t, m, "k", "enter")
	if s := screen(m); !strings.Contains(s, "— chord.state N56: node down") || !strings.Contains(s, "event failure at N51") {
		t.Errorf("enter did not show the failure's full text:\n%s", s)
	}
	press(t, m, "/")
	typeText(m, "N42")
	press(t, m, "enter")
	if s := screen(m); !strings.Contains(s, "N42: successor N56 → N1") || strings.Contains(s, "N48: successor") {
		t.Errorf("/N42 did not keep only the matching lines:\n%s", s)
	}
	press(t, m, "esc", "esc")
	m.selected = "N48"
	press(t, m, "m")
	if s := screen(m); !strings.Contains(s, "N48: successor N56 → N1") || strings.Contains(s, "N42: successor") || !strings.Contains(s, "of N48 only") {
		t.Errorf("m did not keep only N48's lines:\n%s", s)
	}
	press(t, m, "m")
	// A kill: the command and the cluster's fault event make one line.
	f.mu.Lock()
	f.errs = map[string]error{}
	f.mu.Unlock()
	m.selected = "N8"
	press(t, m, "x")
	m.Update(eventsMsg{events: []cluster.Event{{Time: time.Now(), Kind: cluster.EventFault, Text: "kill N8"}}})
	n := 0
	for _, l := range m.lines {
		if strings.Contains(l.text, "kill N8") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the kill is logged %d times, want once", n)
	}
}

// TestLesson: → shows a narration, then runs the command after it; a
// failed command does not end the lesson; ":source FILE" loads one.
func TestLesson(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "demo.txt")
	if err := os.WriteFile(file, []byte("# First we look.\nnodes\nkill N9\n# Then we step.\nstep stabilize N51\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, f := lectureModel(t, 120, 40)
	f.results["nodes"] = command.Result{Cmd: "nodes", OK: true, Text: "a\nb\nc"}
	f.results["kill N9"] = command.Done("kill", nil, fmt.Errorf(`kill: unknown node "N9"`))
	f.results["step stabilize N51"] = command.Done("step", f.steps["step stabilize N51"], nil)
	press(t, m, ":")
	typeText(m, "source "+file)
	_, cmd := m.Update(keyPress("enter"))
	m.Update(cmd())
	if m.lesson == nil || len(m.lesson.l.Steps) != 5 {
		t.Fatalf(":source did not load the lesson: %+v", m.lesson)
	}
	press(t, m, "right")
	if s := screen(m); !strings.Contains(s, "First we look.") || len(f.executed()) != 0 {
		t.Errorf("the first → did not show the narration alone:\n%s", s)
	}
	press(t, m, "right")
	if m.mode != modeOutput {
		t.Error("nodes in a lesson did not open its output view")
	}
	press(t, m, "right") // goes on past the output view
	if s := screen(m); !strings.Contains(s, `✗ kill: unknown node "N9"`) {
		t.Errorf("the failed command is not shown:\n%s", s)
	}
	press(t, m, "right", "right")
	if got := f.executed(); !slices.Equal(got, []string{"nodes", "kill N9", "step stabilize N51"}) {
		t.Errorf("the lesson ran %q", got)
	}
	s := screen(m)
	if !strings.Contains(s, "Then we step.") || !strings.Contains(s, "stabilize at N51: N51 asks its successor N56") ||
		!strings.Contains(s, "step 5 of 5") {
		t.Errorf("the step's caption does not follow the narration:\n%s", s)
	}
	press(t, m, "right")
	if len(f.executed()) != 3 || !strings.Contains(screen(m), "finished") {
		t.Errorf("→ past the end ran something or did not say the lesson finished")
	}
	press(t, m, "esc")
	if m.lesson != nil {
		t.Error("esc did not close the finished lesson")
	}
}

// TestStartScreen: while the cluster starts the screen shows how far it
// has got, from the lines the cluster logs; a failed start says why.
func TestStartScreen(t *testing.T) {
	progress := make(chan startProgress, 1)
	done := make(chan startedMsg, 1)
	m := NewModel(nil, DefaultOptions())
	t.Cleanup(m.Close)
	m.starting = &startState{what: "starting 256 nodes", progress: progress, done: done}
	m.starting.p.nodes = 256
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	rep := newProgressReporter(256, progress)
	for range 80 {
		rec := slog.NewRecord(time.Now(), slog.LevelInfo, "n3 joined the ring", 0)
		rec.AddAttrs(slog.String("event", string(cluster.EventJoined)))
		rep.record(rec)
	}
	rec := slog.NewRecord(time.Now(), slog.LevelInfo, "join wave", 0)
	rec.AddAttrs(slog.Int("nodes", 40), slog.Int("ring", 80))
	rep.record(rec)
	m.Update(m.startCmds()())
	if s := screen(m); !strings.Contains(s, "80/256 nodes joined") || !strings.Contains(s, "the ring has 80 of 256 nodes") {
		t.Errorf("the start's progress is not shown:\n%s", s)
	}
	done <- startedMsg{err: fmt.Errorf("start: listen tcp 127.0.0.1:0: too many open files")}
	m.Update(m.startCmds()())
	if s := screen(m); !strings.Contains(s, "the cluster did not start") || !strings.Contains(s, "too many open files") {
		t.Errorf("the start's failure is not shown:\n%s", s)
	}
	if _, cmd := m.Update(keyPress("q")); !isQuit(cmd) {
		t.Error("q does not quit after a failed start")
	}
}

// TestStepHighlightsRealCluster steps the repair of a crash on a real
// lecture ring (the paper's ten nodes, in memory), through the keys: after
// each step the pointers marked Δ are exactly those its report says it
// changed, each showing the value the report gives it.
func TestStepHighlightsRealCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 10 nodes; skipped with -short")
	}
	cfg := cluster.LectureConfig(10)
	cfg.Network = cluster.NewMemNetwork(1)
	c, err := cluster.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	opts := DefaultOptions()
	opts.NoAnimate, opts.Lecture = true, true
	m := NewModel(Live(c), opts)
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	runCmd(t, m, m.snapshotCmd())
	press(t, m, "space", ":")
	typeText(m, "kill N56")
	press(t, m, "enter")
	check := func(what string) {
		t.Helper()
		rep := m.step.rep
		want := map[changeKey]cluster.PointerChange{}
		for _, ch := range rep.Changes {
			want[keyOf(ch)] = ch // a pointer changed twice shows its last value
		}
		if len(m.hl) != len(want) {
			t.Errorf("%s: %d pointers highlighted, the report changed %d:\n%v", what, len(m.hl), len(want), rep.Changes)
		}
		for k, ch := range want {
			if got, ok := m.hl[k]; !ok || got.New != ch.New {
				t.Errorf("%s: %s is not highlighted with its new value (%v)", what, ch, got)
			}
			n := nodeOf(&m.snap, k.node)
			if cur := current(n, k.kind, k.index); cur != ch.New.Addr {
				t.Errorf("%s: %s.%s is %s in the snapshot, the report says %s", what, k.node, ch.Pointer(), cur, ch.New)
			}
		}
	}
	m.selected = "N51"
	press(t, m, "1")
	if m.step == nil || len(m.step.rep.Changes) == 0 {
		t.Fatalf("step stabilize N51 after the crash of N56 changed nothing: %+v", m.step)
	}
	check("stabilize N51")
	if !strings.Contains(screen(m), "N51.successor: N56 → N1") {
		t.Errorf("the caption does not tell N51's new successor:\n%s", screen(m))
	}
	press(t, m, "e")
	for i := range 3 {
		press(t, m, "n")
		check(fmt.Sprintf("step %d of every task on every node", i+2))
	}
}

// TestViewChangesNothingLecture is TestViewChangesNothing for the lecture
// panes: the caption scrolled past its end, the violations with one
// selected past the last, the log's cursor, and the output view.
func TestViewChangesNothingLecture(t *testing.T) {
	m, f := lectureModel(t, 120, 40)
	type state struct {
		story, violSel, logTop, out int
		logSel                      uint64
		focus                       pane
		mode                        mode
		message                     string
		keys                        keyMap
	}
	get := func() state {
		out := -1
		if m.output != nil {
			out = m.output.scroll
		}
		return state{m.storyScroll, m.violSel, m.logTop, out, m.logSel, m.focus, m.mode, m.message, m.keys}
	}
	check := func(what string) {
		t.Helper()
		before := get()
		if a, b := m.View().Content, m.View().Content; a != b {
			t.Errorf("%s: two Views differ", what)
		}
		if after := get(); !reflect.DeepEqual(after, before) {
			t.Errorf("%s: View changed the model:\nbefore %+v\nafter  %+v", what, before, after)
		}
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	press(t, m, "1", "tab", "tab")
	for range 50 {
		press(t, m, "j")
	}
	check("caption scrolled past its end")
	press(t, m, "!")
	for range 50 {
		press(t, m, "j")
	}
	check("violations selected past the last")
	if n := len(m.violations()); m.violSel != n-1 {
		t.Errorf("j past the last violation selected %d of %d", m.violSel, n)
	}
	m.Update(eventsMsg{events: lectureEvents()})
	press(t, m, "tab")
	for range 20 {
		press(t, m, "k")
	}
	check("log cursor past the first row")
	f.results["stats"] = command.Result{Cmd: "stats", OK: true, Text: strings.Repeat("a line of stats\n", 60)}
	press(t, m, ":")
	typeText(m, "stats")
	press(t, m, "enter")
	for range 100 {
		press(t, m, "j")
	}
	check("output scrolled past its end")
	if m.output.scroll != m.maxOutputScroll() {
		t.Errorf("the output scrolled to %d, past its end %d", m.output.scroll, m.maxOutputScroll())
	}
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	check("resized larger")
}
