package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht/cluster/command"
)

// TestTmuxLesson runs a shipped lesson through the real binary as a
// lecturer would: "chordtui --lecture --script lesson.txt 10" in tmux, →
// pressed once per step, each step waited for. It checks the narration and
// the step captions on screen, that the status line counts convergence in
// steps while maintenance is paused, that it never claims stability the
// members table contradicts, and that the lesson ends with the ring stable
// and every invariant holding.
func TestTmuxLesson(t *testing.T) {
	file, err := filepath.Abs(filepath.Join("..", "..", "docs", "lessons", "lookup-and-crash.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lesson, err := command.ReadLesson(file)
	if err != nil {
		t.Fatal(err)
	}
	s := startTmux(t, "--lecture", "--script", file, "10")
	w := &truthWatch{s: s}
	w.until(60*time.Second, nil, "10/10 alive")
	s.waitFor(10*time.Second, "Lesson lookup-and-crash.txt — step 0 of", "→ next")
	for k, st := range lesson.Steps {
		s.keys("", "Right")
		scr := w.lessonStep(k+1, len(lesson.Steps), st)
		switch {
		case st.Command == "step stabilize N51":
			for _, want := range []string{"stabilize at N51: N51 asks its successor N56", "N56 does not answer"} {
				if !strings.Contains(scr, want) {
					t.Errorf("after %q the caption lacks %q:\n%s", st.Command, want, scr)
				}
			}
			// The pointers it changed are marked Δ: N51's successor, N1's
			// predecessor, once the snapshot the UI asked for after the
			// step arrives (the caption comes with the step's own report).
			marked := func(scr string) bool {
				a, _ := row(scr, "N51")
				b, _ := row(scr, "N1")
				return a.succ == "N1Δ" && b.pred == "N51Δ"
			}
			for deadline := time.Now().Add(10 * time.Second); !marked(scr) && time.Now().Before(deadline); {
				time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bound wait
				scr = w.s.capture()
				w.check(scr)
			}
			if r, _ := row(scr, "N51"); r.succ != "N1Δ" {
				t.Errorf("after %q the members table shows N51's successor as %q, want N1Δ:\n%s", st.Command, r.succ, scr)
			}
			if r, _ := row(scr, "N1"); r.pred != "N51Δ" {
				t.Errorf("after %q the members table shows N1's predecessor as %q, want N51Δ:\n%s", st.Command, r.pred, scr)
			}
			if status := statusOf(scr); !strings.Contains(status, "2 steps since kill N56") || strings.Contains(status, " s since") {
				t.Errorf("paused, the status line does not count the steps since the kill: %s", status)
			}
		case st.Command == "wait 60s":
			if status := statusOf(scr); !strings.Contains(status, "✓ stable — converged") || !strings.Contains(status, "kill N56") {
				t.Errorf("after wait the status line does not say stable after the kill: %s", status)
			}
		case st.Command == "check":
			if !strings.Contains(scr, "✓ ok — invariants 1–8 hold over 9 live nodes") {
				t.Errorf("the last check does not say the invariants hold:\n%s", scr)
			}
		case st.Narration != "":
			first := strings.Fields(strings.SplitN(st.Narration, "\n", 2)[0])
			if len(first) > 3 && !strings.Contains(strings.Join(strings.Fields(scr), " "), strings.Join(first[:4], " ")) {
				t.Errorf("the narration of line %d is not shown:\n%s", st.Line, scr)
			}
		}
	}
	scr := s.waitFor(10*time.Second, fmt.Sprintf("step %d of %d · finished", len(lesson.Steps), len(lesson.Steps)))
	if !strings.Contains(screenLastLine(scr), "? help") {
		t.Errorf("the hint bar is gone at the end:\n%s", scr)
	}
	s.keys("q")
	s.waitExit(15 * time.Second)
}

// lessonStep waits until lesson step k of n has run: the caption pane's
// title names it and its command is no longer running, or the command's
// output has opened its view. It returns that screen.
func (w *truthWatch) lessonStep(k, n int, st command.LessonStep) string {
	w.s.t.Helper()
	title := fmt.Sprintf("— step %d of %d", k, n)
	deadline := time.Now().Add(90 * time.Second)
	for {
		scr := w.s.capture()
		w.check(scr)
		if strings.Contains(scr, title) && !strings.Contains(scr, "… running") && !strings.Contains(scr, "following the lookup path") {
			return scr
		}
		if st.Command != "" && strings.Contains(scr, " › "+st.Command+" ") {
			return scr // its output's own view
		}
		if time.Now().After(deadline) {
			w.s.t.Fatalf("lesson step %d (line %d) did not finish:\n%s", k, st.Line, scr)
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bound wait
	}
}

// screenLastLine is a screen's last line (the hint bar).
func screenLastLine(scr string) string {
	lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
	return lines[len(lines)-1]
}
