package tui

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/chordtui/chordtui/dht/cluster/command"
)

// A lesson (--script FILE, or ":source FILE") is stepped through one step
// per keypress (→): a narration is shown as the caption, a command runs
// and its result shows as any command's does (a step's caption, a lookup
// drawn hop by hop, a long output in its own view). Unlike the REPL's
// source, which runs the whole file and stops at the first failure, a
// failed command does not end the lesson: the lecturer sees the error and
// decides whether to go on.

// lessonRun is a lesson being stepped through.
type lessonRun struct {
	l    command.Lesson
	next int // index in l.Steps of the next step to run

	// narration is the narration shown, from line narrLine; stepSeq the
	// model's step count when it was shown (a step run after it is told
	// under it).
	narration string
	narrLine  int
	stepSeq   int

	// command is the last command run since the narration, at line
	// cmdLine; running while it runs; result its outcome in one line.
	command  string
	cmdLine  int
	running  bool
	ok       bool
	result   string
	finished bool
}

// lessonMsg is a lesson read for ":source FILE".
type lessonMsg struct {
	line   string
	lesson command.Lesson
	err    error
}

// loadLesson starts stepping through l.
func (m *Model) loadLesson(l command.Lesson) {
	m.lesson = &lessonRun{l: l, stepSeq: m.stepSeq}
	m.showViolations = false
	m.storyScroll = 0
	m.setMessage(fmt.Sprintf("lesson %s: %d steps — → runs the first", lessonName(l), len(l.Steps)), stText)
}

// lessonName is the lesson's file name without its directory.
func lessonName(l command.Lesson) string { return filepath.Base(l.Name) }

// readLessonCmd reads and parses the file of ":source FILE" off the update
// loop.
func readLessonCmd(line, file string) tea.Cmd {
	return func() tea.Msg {
		l, err := command.ReadLesson(file)
		return lessonMsg{line: line, lesson: l, err: err}
	}
}

// onLesson installs a lesson read for ":source FILE", or says why it
// cannot be.
func (m *Model) onLesson(msg lessonMsg) {
	m.busy = max(0, m.busy-1)
	at := m.logTime()
	if msg.err != nil {
		m.setMessage("✗ "+withCommand(msg.line, firstLine(msg.err.Error())), stDown)
		m.addLog(at, "› "+msg.line+" ✗ "+msg.err.Error(), stDown)
		return
	}
	m.addLog(at, fmt.Sprintf("› %s — a lesson of %d steps, → steps through it", msg.line, len(msg.lesson.Steps)), stBold)
	m.loadLesson(msg.lesson)
}

// lessonNext runs the lesson's next step: shows a narration, or runs a
// command.
func (m *Model) lessonNext() tea.Cmd {
	ls := m.lesson
	switch {
	case ls == nil:
		return nil
	case ls.running:
		m.setMessage("… "+ls.command+" is still running", stDim)
		return nil
	case ls.next >= len(ls.l.Steps):
		ls.finished = true
		m.setMessage("lesson "+lessonName(ls.l)+" finished — esc closes it", stText)
		return nil
	}
	st := ls.l.Steps[ls.next]
	ls.next++
	m.storyScroll = 0
	m.showViolations = false
	if st.Command == "" {
		ls.narration, ls.narrLine, ls.stepSeq = st.Narration, st.Line, m.stepSeq
		ls.command, ls.result = "", ""
		m.setMessage(fmt.Sprintf("lesson %s, line %d — → goes on", lessonName(ls.l), st.Line), stDim)
		if ls.next >= len(ls.l.Steps) {
			ls.finished = true
		}
		return nil
	}
	ls.command, ls.cmdLine, ls.running, ls.result = st.Command, st.Line, true, ""
	return m.runLine(st.Command, fromLesson)
}

// onLessonResult records the outcome of the lesson's command.
func (m *Model) onLessonResult(res command.Result) {
	ls := m.lesson
	if ls == nil {
		return
	}
	ls.running, ls.ok = false, res.OK
	switch {
	case !res.OK && res.Err != nil:
		ls.result = "✗ " + res.Err.Error()
	case !res.OK:
		ls.result = "✗ failed"
	case res.Lookup != nil: // the Lookup pane tells the rest
		ls.result = "✓ " + firstLine(strings.TrimSpace(res.Text))
	default:
		ls.result = "✓ " + strings.TrimSpace(res.Text)
	}
	if ls.next >= len(ls.l.Steps) {
		ls.finished = true
	}
}

// lessonTitle is the caption pane's title while a lesson runs.
func (m *Model) lessonTitle() string {
	ls := m.lesson
	title := fmt.Sprintf("Lesson %s — step %d of %d", lessonName(ls.l), ls.next, len(ls.l.Steps))
	switch {
	case ls.finished && !ls.running:
		title += " · finished (esc closes)"
	case ls.next == 0:
		title += " · → starts"
	default:
		title += " · → next"
	}
	return title
}

// lessonLines is the lesson's part of the caption pane: the narration
// shown, then the command run since and its outcome (a step's is told
// below it, by stepLines).
func (m *Model) lessonLines(w int) []string {
	t := m.theme
	ls := m.lesson
	var out []string
	if ls.narration == "" && ls.command == "" {
		out = append(out, wrap(fmt.Sprintf("%s: %d narrations and %d commands. → shows the first step; each → the next one: a narration is shown here, a command runs and its result shows as usual.",
			ls.l.Name, len(ls.l.Steps)-ls.l.Commands(), ls.l.Commands()), "", w)...)
	}
	for _, l := range narrationLines(ls.narration, w) {
		out = append(out, t.render(stNarration, l))
	}
	if ls.command != "" {
		if len(out) > 0 {
			out = append(out, "")
		}
		head := t.render(stBold, "› "+ls.command) + t.render(stDim, fmt.Sprintf("  (line %d)", ls.cmdLine))
		out = append(out, head)
		switch {
		case ls.running:
			out = append(out, t.render(stDim, "… running"))
		case !m.lessonStepShown() && ls.result != "":
			st := stOK
			if !ls.ok {
				st = stDown
			}
			res := strings.Split(ls.result, "\n")
			if len(res) > 4 { // a long output has its own view (o shows it again)
				res = append(res[:3], fmt.Sprintf("… %d more lines: o shows them", len(res)-3))
			}
			for _, r := range res {
				for _, l := range wrap(r, "", w) {
					out = append(out, t.render(st, l))
				}
			}
		}
	}
	return out
}

// lessonStepShown reports whether a step ran since the lesson's narration,
// so its caption follows the lesson's lines.
func (m *Model) lessonStepShown() bool {
	return m.step != nil && m.lesson != nil && m.stepSeq > m.lesson.stepSeq
}

// narrationLines lays out a narration in w cells: its lines joined into
// paragraphs and wrapped; a blank line parts paragraphs, and a line that
// starts with a blank (a command to type, say) is kept as it is.
func narrationLines(text string, w int) []string {
	if text == "" {
		return nil
	}
	var out, para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, wrap(strings.Join(para, " "), "", w)...)
			para = nil
		}
	}
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.TrimSpace(l) == "":
			flush()
			out = append(out, "")
		case strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t"):
			flush()
			out = append(out, fit(l, w))
		default:
			para = append(para, strings.TrimSpace(l))
		}
	}
	flush()
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// commandTimeout is how long the UI lets a command line run: the
// configured timeout, or longer for a wait that asks for more.
func (m *Model) commandTimeout(line string) time.Duration {
	d := m.opts.CommandTimeout
	cmd, err := command.Parse(line)
	if err != nil || cmd.Name != "wait" {
		return d
	}
	w := 30 * time.Second // wait's default
	if len(cmd.Args) > 0 {
		if a, err := time.ParseDuration(cmd.Args[0]); err == nil {
			w = a
		}
	}
	return max(d, w+5*time.Second)
}
