package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
)

// lineEditor is a one-line text input with a cursor and history, drawn
// without blinking so screens stay deterministic.
type lineEditor struct {
	buf []rune
	pos int
	// history of submitted lines, oldest first; hist is the index being
	// shown while browsing (len(history) when editing a new line).
	history []string
	hist    int
	draft   string // the new line kept while browsing history
}

func (e *lineEditor) value() string { return string(e.buf) }

func (e *lineEditor) set(s string) {
	e.buf = []rune(s)
	e.pos = len(e.buf)
}

// reset clears the line and leaves history browsing.
func (e *lineEditor) reset() {
	e.set("")
	e.hist = len(e.history)
	e.draft = ""
}

// remember appends a submitted line to the history (skipping repeats).
func (e *lineEditor) remember(s string) {
	if s != "" && (len(e.history) == 0 || e.history[len(e.history)-1] != s) {
		e.history = append(e.history, s)
	}
	e.hist = len(e.history)
}

// key applies an editing key of k, or types the key's text, and reports
// whether it did either.
func (e *lineEditor) key(msg tea.KeyPressMsg, k *editKeys) bool {
	switch {
	case k.Left.matches(msg):
		e.pos = max(0, e.pos-1)
	case k.Right.matches(msg):
		e.pos = min(len(e.buf), e.pos+1)
	case k.Start.matches(msg):
		e.pos = 0
	case k.End.matches(msg):
		e.pos = len(e.buf)
	case k.Backspace.matches(msg):
		if e.pos > 0 {
			e.buf = append(e.buf[:e.pos-1], e.buf[e.pos:]...)
			e.pos--
		}
	case k.Delete.matches(msg):
		if e.pos < len(e.buf) {
			e.buf = append(e.buf[:e.pos], e.buf[e.pos+1:]...)
		}
	case k.KillStart.matches(msg):
		e.buf = e.buf[e.pos:]
		e.pos = 0
	case k.KillEnd.matches(msg):
		e.buf = e.buf[:e.pos]
	case k.KillWord.matches(msg):
		i := e.pos
		for i > 0 && e.buf[i-1] == ' ' {
			i--
		}
		for i > 0 && e.buf[i-1] != ' ' {
			i--
		}
		e.buf = append(e.buf[:i], e.buf[e.pos:]...)
		e.pos = i
	case k.HistoryPrev.matches(msg):
		e.historyPrev()
	case k.HistoryNext.matches(msg):
		e.historyNext()
	case msg.String() == "space":
		e.insert(" ")
	default:
		if msg.Text == "" || msg.Mod&^tea.ModShift != 0 {
			return false
		}
		e.insert(msg.Text)
	}
	return true
}

// historyPrev shows the line before the one shown, keeping a new line as
// the draft.
func (e *lineEditor) historyPrev() {
	if e.hist > 0 {
		if e.hist == len(e.history) {
			e.draft = e.value()
		}
		e.hist--
		e.set(e.history[e.hist])
	}
}

// historyNext shows the line after the one shown, or the draft.
func (e *lineEditor) historyNext() {
	if e.hist < len(e.history) {
		e.hist++
		if e.hist == len(e.history) {
			e.set(e.draft)
		} else {
			e.set(e.history[e.hist])
		}
	}
}

func (e *lineEditor) insert(s string) {
	r := []rune(s)
	e.buf = append(e.buf[:e.pos], append(r, e.buf[e.pos:]...)...)
	e.pos += len(r)
}

// complete replaces the last word by its completion (or the longest common
// prefix of several) and returns the candidates when there are several.
func (e *lineEditor) complete(cands []string) []string {
	line := e.value()
	start := strings.LastIndexByte(line, ' ') + 1
	word := line[start:]
	switch len(cands) {
	case 0:
		return nil
	case 1:
		e.set(line[:start] + cands[0] + " ")
		return nil
	}
	p := cands[0]
	for _, c := range cands[1:] {
		for !strings.HasPrefix(c, p) {
			p = p[:len(p)-1]
		}
	}
	if len(p) > len(word) {
		e.set(line[:start] + p)
	}
	return cands
}

// view draws the line with the cursor as a reverse-video cell.
func (e *lineEditor) view(t *theme) string {
	before := string(e.buf[:e.pos])
	at, after := " ", ""
	if e.pos < len(e.buf) {
		at, after = string(e.buf[e.pos]), string(e.buf[e.pos+1:])
	}
	return before + t.render(stReverse, at) + after
}
