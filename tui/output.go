package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// A command whose output runs to several lines (nodes, node, stats, keys,
// help, check…) shows it in a view of its own, over the whole screen,
// rather than in the event log; esc closes it and o opens it again.

// outputView is a long command output.
type outputView struct {
	line   string // the command
	text   []string
	scroll int
}

// outputLines is the output wrapped to the screen's width: a line too
// long goes on under itself, indented.
func (m *Model) outputLines() []string {
	var out []string
	for _, l := range m.output.text {
		if ansi.StringWidth(l) <= m.width {
			out = append(out, l)
			continue
		}
		ind := len(l) - len(strings.TrimLeft(l, " "))
		out = append(out, wrapHanging(l, strings.Repeat(" ", ind), strings.Repeat(" ", ind+4), m.width)...)
	}
	return out
}

// openOutput shows text, the output of line, in the output view.
func (m *Model) openOutput(line, text string) {
	m.output = &outputView{line: line, text: strings.Split(strings.TrimRight(text, "\n"), "\n")}
	m.mode = modeOutput
}

// onOutputKey scrolls or closes the output view.
func (m *Model) onOutputKey(msg tea.KeyPressMsg) {
	km := &m.keys
	o := m.output
	switch {
	case km.CloseOutput.matches(msg) || o == nil:
		m.mode = modeNormal
	case km.HelpDown.matches(msg):
		o.scroll += scrollStep(msg, m.outputRows())
	case km.HelpUp.matches(msg):
		o.scroll = max(0, o.scroll-scrollStep(msg, m.outputRows()))
	}
}

// outputRows is how many lines of output show at once: the screen less
// its title and footer.
func (m *Model) outputRows() int { return max(1, m.height-2) }

// maxOutputScroll is the furthest the output view scrolls.
func (m *Model) maxOutputScroll() int {
	if m.output == nil {
		return 0
	}
	return max(0, len(m.outputLines())-m.outputRows())
}

// renderOutput is the output view: the command, its output scrolled, and
// a footer drawn from the view's keys.
func (m *Model) renderOutput() string {
	t := m.theme
	o := m.output
	if o == nil {
		return placeCentre(m.width, m.height, []string{"no output"})
	}
	rows := m.outputRows()
	text := m.outputLines()
	scroll := min(o.scroll, m.maxOutputScroll())
	lines := make([]string, 0, m.height)
	lines = append(lines, fit(t.render(stTitle, " › "+o.line+" ")+t.render(stDim, fmt.Sprintf("  %d lines", len(o.text))), m.width))
	for i := scroll; i < scroll+rows; i++ {
		s := ""
		if i < len(text) {
			s = text[i]
		}
		lines = append(lines, fit(s, m.width))
	}
	head, tail := m.keys.hints(modeOutput, hintState{lesson: m.lesson != nil})
	h := m.help
	h.SetWidth(0)
	footer := h.ShortHelpView(append(head, tail...))
	if more := len(text) - rows - scroll; more > 0 {
		footer = t.render(stDim, fmt.Sprintf("↓ %d more lines  ", more)) + footer
	}
	if scroll > 0 {
		footer = t.render(stDim, fmt.Sprintf("↑ %d above  ", scroll)) + footer
	}
	lines = append(lines, fit(footer, m.width))
	return strings.Join(lines, "\n")
}

// wrapHanging is wrap with the first line indented by first and the rest
// by rest.
func wrapHanging(s, first, rest string, w int) []string {
	lines := wrap(s, first, w)
	if len(lines) < 2 {
		return lines
	}
	tail := wrap(strings.Join(strings.Fields(strings.Join(lines[1:], " ")), " "), rest, w)
	return append(lines[:1], tail...)
}
