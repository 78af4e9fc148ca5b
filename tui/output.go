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
		step := 1
		if msg.String() == "pgdown" || msg.String() == "space" {
			step = m.outputRows() - 1
		}
		o.scroll += step
	case km.HelpUp.matches(msg):
		step := 1
		if msg.String() == "pgup" {
			step = m.outputRows() - 1
		}
		o.scroll = max(0, o.scroll-step)
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
	return max(0, len(m.output.text)-m.outputRows())
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
	scroll := min(o.scroll, m.maxOutputScroll())
	lines := make([]string, 0, m.height)
	lines = append(lines, fit(t.render(stTitle, " › "+o.line+" ")+t.render(stDim, fmt.Sprintf("  %d lines", len(o.text))), m.width))
	for i := scroll; i < scroll+rows; i++ {
		s := ""
		if i < len(o.text) {
			s = ansi.Truncate(o.text[i], m.width, "…")
		}
		lines = append(lines, fit(s, m.width))
	}
	head, tail := m.keys.hints(modeOutput, hintState{})
	h := m.help
	h.SetWidth(0)
	footer := h.ShortHelpView(append(head, tail...))
	if more := len(o.text) - rows - scroll; more > 0 {
		footer = t.render(stDim, fmt.Sprintf("↓ %d more lines  ", more)) + footer
	}
	if scroll > 0 {
		footer = t.render(stDim, fmt.Sprintf("↑ %d above  ", scroll)) + footer
	}
	lines = append(lines, fit(footer, m.width))
	return strings.Join(lines, "\n")
}
