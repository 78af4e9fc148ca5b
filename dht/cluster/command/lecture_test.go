package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// startPaper starts the lecture preset's ten-node ring (the paper's
// example) on the in-memory network, with fast maintenance, and waits
// until it is stable.
func startPaper(t *testing.T) *cluster.Cluster {
	t.Helper()
	cfg := cluster.LectureConfig(10)
	cfg.Network = cluster.NewMemNetwork(1)
	cfg.Chord.StabilizeInterval = 25 * time.Millisecond
	cfg.Chord.FixFingersInterval = 25 * time.Millisecond
	cfg.Chord.CheckPredecessorInterval = 25 * time.Millisecond
	cfg.DHT.RepairInterval = 25 * time.Millisecond
	cfg.Chord.LivenessWindow = 50 * time.Millisecond
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	run(t, c, "wait")
	return c
}

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs (run with -update if the change is intended):\n%s", path, got)
	}
}

// TestNodeN8Golden pins node N8 in the paper's ring: the finger table as
// the paper draws it (m ≤ 10), and the collapsed runs on request. Both
// forms are in the JSON.
func TestNodeN8Golden(t *testing.T) {
	c := startPaper(t)
	table := run(t, c, "node N8")
	runs := run(t, c, "node n8 runs")
	golden(t, "node_N8.golden", table.Text+"\n\n"+runs.Text+"\n")
	m := asJSON(t, table)
	ft, ok := m["finger_table"].([]any)
	if !ok || len(ft) != 6 {
		t.Fatalf("finger_table %v", m["finger_table"])
	}
	row := ft[5].(map[string]any)
	if row["k"] != float64(6) || row["start"] != "28" || row["end"] != "08" || row["node"] != "N42" || row["right"] != true {
		t.Fatalf("finger 6 in JSON: %v (identifiers are hex in JSON)", row)
	}
	if _, ok := m["fingers"].([]any); !ok {
		t.Fatalf("the collapsed runs are missing from the JSON: %v", m)
	}
}

// TestStepCommand: step's forms, its text and its JSON.
func TestStepCommand(t *testing.T) {
	c := startPaper(t)
	run(t, c, "maintenance pause")
	run(t, c, "kill N14")
	r := run(t, c, "step stabilize N8")
	for _, want := range []string{"stabilize at N8: N8 asks its successor N14",
		"changed: N8.successor: N14 → N21", "N21.predecessor: N14 → N8", "step 1 since kill N14 — "} {
		if !strings.Contains(r.Text, want) {
			t.Fatalf("step text lacks %q:\n%s", want, r.Text)
		}
	}
	m := asJSON(t, r)
	rounds := m["rounds"].([]any)
	round := rounds[0].(map[string]any)
	calls := round["calls"].([]any)
	first := calls[0].(map[string]any)
	if m["task"] != "stabilize" || m["node"] != "N8" || round["caption"] == "" ||
		first["role"] != "successor" || first["to"] != "N14" || first["answered"] != false || first["dropped"] != true {
		t.Fatalf("step JSON: %v", m)
	}
	changes := m["changes"].([]any)
	ch := changes[0].(map[string]any)
	if ch["node"] != "N8" || ch["pointer"] != "successor" || ch["kind"] != "successor" || ch["old"] != "N14" || ch["new"] != "N21" {
		t.Fatalf("first change in JSON: %v", ch)
	}
	if h := m["health"].(map[string]any); h["maintenance_paused"] != true {
		t.Fatalf("health in JSON: %v", h)
	}
	// One node, every task: every round is told.
	r = run(t, c, "step N21")
	if strings.Count(r.Text, " at N21: ") != 4 || !strings.Contains(r.Text, "ran 4 rounds of every task on N21") {
		t.Fatalf("step N21:\n%s", r.Text)
	}
	// A fix_fingers round's lookup is the result's lookup, for drawing.
	r = run(t, c, "step notify N1")
	if r.Data.(cluster.StepReport).Rounds[0].Task != cluster.TaskStabilize {
		t.Fatalf("notify does not run stabilize: %+v", r.Data)
	}
	for _, bad := range []struct{ line, want string }{
		{"step stabilize N8 N21", "step: wants at most 2 arguments"},
		{"step N8 stabilize", `step: "N8" is not a task`},
		{"step fingers N99", `step: unknown node "N99"`},
		{"step N14", "step: N14 is down"},
	} {
		res := Exec(context.Background(), c, bad.line)
		if res.OK || !strings.Contains(res.Err.Error(), bad.want) {
			t.Errorf("%s: %v, want an error containing %q", bad.line, res.Err, bad.want)
		}
	}
}

// TestParseLesson: narration paragraphs and commands, with their lines;
// a bad line is named before anything runs.
func TestParseLesson(t *testing.T) {
	src := "# Lesson.\n#\n# Two lines.\n\nnodes\n# Next:\nlookup frog via N8  # trailing comment\n\n\n"
	l, err := ParseLesson(strings.NewReader(src), "l.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []LessonStep{
		{Line: 1, Narration: "Lesson.\n\nTwo lines."},
		{Line: 5, Command: "nodes"},
		{Line: 6, Narration: "Next:"},
		{Line: 7, Command: "lookup frog via N8  # trailing comment"},
	}
	if len(l.Steps) != len(want) || l.Commands() != 2 {
		t.Fatalf("steps %+v", l.Steps)
	}
	for i := range want {
		if l.Steps[i] != want[i] {
			t.Fatalf("step %d: %+v, want %+v", i, l.Steps[i], want[i])
		}
	}
	for _, bad := range []struct {
		src  string
		kind error
		want string
	}{
		{"nodes\nkil N8\n", ErrUnknownCommand, `l.txt:2: unknown command "kil" — did you mean "kill"?`},
		{"# x\nset k\n", ErrUsage, "l.txt:2: set: wants 2 arguments"},
		{"get 'k\n", ErrSyntax, "l.txt:1: unterminated ' quote"},
		{"source other.txt\n", ErrUsage, "l.txt:1: source: a script cannot source another"},
	} {
		_, err := ParseLesson(strings.NewReader(bad.src), "l.txt")
		if !errors.Is(err, bad.kind) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %v containing %q", bad.src, err, bad.kind, bad.want)
		}
	}
}

// The shipped lessons parse (the binary runs them: cmd/chordtui).
func TestShippedLessonsParse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "docs", "lessons", "*.txt"))
	if err != nil || len(files) < 2 {
		t.Fatalf("lessons %v, %v", files, err)
	}
	for _, f := range files {
		l, err := ReadLesson(f)
		if err != nil {
			t.Fatal(err)
		}
		if l.Commands() < 5 || l.Steps[0].Narration == "" {
			t.Errorf("%s: %d commands, first step %+v: want a narrated lesson", f, l.Commands(), l.Steps[0])
		}
	}
}

// TestSource runs a script from within the language: its output, then a
// failing line stops it and is named.
func TestSource(t *testing.T) {
	c := startPaper(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	bad := filepath.Join(dir, "bad.txt")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(good, []byte("# Store a key.\nset frog K54\n\nget frog via N8\n"), 0o644))
	must(os.WriteFile(bad, []byte("set a 1\nkill N9\nset b 2\n"), 0o644))
	r := run(t, c, "source "+good)
	want := "# Store a key.\n> set frog K54\nok — \"frog\" stored at N56"
	if !strings.HasPrefix(r.Text, want) || !strings.Contains(r.Text, "\n> get frog via N8\n\"K54\"") {
		t.Fatalf("source text:\n%s", r.Text)
	}
	if m := asJSON(t, r); len(m["steps"].([]any)) != 3 {
		t.Fatalf("source JSON: %v", m)
	}
	res := Exec(context.Background(), c, "source "+bad)
	if res.OK || !errors.Is(res.Err, cluster.ErrUnknownNode) || !strings.Contains(res.Err.Error(), bad+":2: kill: unknown node \"N9\"") {
		t.Fatalf("bad script: %v", res.Err)
	}
	if !strings.HasPrefix(res.Text, "> set a 1\nok") || !strings.Contains(res.Text, "\nerror: source "+bad+":2:") {
		t.Fatalf("bad script text:\n%s", res.Text)
	}
	if g := Exec(context.Background(), c, "get b"); !g.OK || g.Data.(cluster.GetResult).Found {
		t.Fatal("the line after the failing one ran")
	}
	if res := Exec(context.Background(), c, "source "+filepath.Join(dir, "none.txt")); res.OK || !errors.Is(res.Err, ErrUsage) {
		t.Fatalf("missing script: %v", res.Err)
	}
	// A named pipe with no writer would block the open for ever, an endless
	// stream fill the memory: only a regular file of bounded size is read.
	fifo := filepath.Join(dir, "fifo")
	if out, err := exec.Command("mkfifo", fifo).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v %s", err, out)
	}
	huge := filepath.Join(dir, "huge.txt")
	must(os.WriteFile(huge, nil, 0o644))
	must(os.Truncate(huge, maxLessonSize+1))
	for file, want := range map[string]string{
		fifo:        "cannot read the script " + strconv.Quote(fifo) + ": not a regular file (a named pipe)",
		"/dev/zero": "not a regular file (a device)",
		huge:        fmt.Sprintf("%d bytes, more than the %d a script may have", maxLessonSize+1, maxLessonSize),
	} {
		if res := Exec(context.Background(), c, "source "+file); res.OK || !errors.Is(res.Err, ErrUsage) || !strings.Contains(res.Err.Error(), want) {
			t.Errorf("source %s: %v, want %q", file, res.Err, want)
		}
	}
}

// A stepped round's key copies are told in words under it, as the UI's
// caption marks them Δ.
func TestStepTextTellsKeyChanges(t *testing.T) {
	id := cluster.RingID{ID: chord.IDFromUint64(6, 54), Bits: 6}
	rep := cluster.StepReport{Task: cluster.TaskRepair, Node: "N1", Rounds: []cluster.StepRound{{
		Task: cluster.TaskRepair, Node: cluster.Peer{Name: "N1", Addr: "a"}, Caption: "N1 repairs its keys",
		Keys: []cluster.KeyChange{{Node: cluster.Peer{Name: "N14", Addr: "b"}, Key: "frog", ID: id, Change: "stored"}},
	}}}
	if got := stepText(rep); !strings.Contains(got, "\n  keys: N14 stored \"frog\" (id 54)\n") {
		t.Fatalf("step text lacks the key change:\n%s", got)
	}
}

// After a join in step mode, the copies the join made spare wait out a
// time, not a number of steps: step says so, in the round's caption and
// in its summary, rather than "already on the right nodes".
func TestStepTellsSpareCopiesWait(t *testing.T) {
	c := startPaper(t)
	for _, line := range []string{"set tortoise K10", "set puffin K24", "maintenance pause", "add",
		"step stabilize N24", "step stabilize N21", "step repair"} {
		run(t, c, line)
	}
	r := run(t, c, "step repair")
	rep := r.Data.(cluster.StepReport)
	spares := 0
	for _, round := range rep.Rounds {
		spares += round.Spares
		if round.Spares > 0 && !strings.Contains(round.Caption, "it no longer needs") {
			t.Errorf("caption of a round with %d spare copies: %s", round.Spares, round.Caption)
		}
	}
	if spares == 0 {
		t.Fatalf("no spare copies after N24 joined and took keys over:\n%s", r.Text)
	}
	if !strings.Contains(r.Text, "wait out 4 RPC timeouts before a repair round drops") && !strings.Contains(r.Text, "waits out 4 RPC timeouts") {
		t.Fatalf("step summary does not say the spare copies wait:\n%s", r.Text)
	}
}
