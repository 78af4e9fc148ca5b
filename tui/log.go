package tui

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/chordtui/chordtui/dht/cluster"
)

// The event log: one line per event or command, in plain words. A burst of
// pointer changes folds into one group line ("kill N56: 24 pointer
// changes"); enter opens a group, or shows a line's full text; "/"
// searches; m keeps only the selected node's lines; f shows the nodes'
// lookups.

// logLine is one line of the event log.
type logLine struct {
	seq    uint64 // unique, increasing: names the line for the cursor and enter
	at     time.Time
	text   string  // the line
	detail string  // the full account shown by enter, when it says more
	style  styleID // the line's colour
	kind   cluster.EventKind
	node   string // the event's node, "" for the UI's own lines
	count  int    // how many identical events in a row this line stands for
	cmd    bool   // a command the UI ran
	label  string // what a burst after this line is named after ("kill N56")
}

// logRow is one row of the log pane: a line, or a burst of pointer changes
// folded into a group, lines[first:last] of the visible lines.
type logRow struct {
	first, last int
	group       bool
	label       string // the command or fault the burst followed
}

// key names the row: its first line's seq.
func (r logRow) key(lines []logLine) uint64 { return lines[r.first].seq }

// groupMin is the fewest pointer changes in a row that fold into a group,
// and groupGap the longest pause between two of them.
const (
	groupMin = 4
	groupGap = 1500 * time.Millisecond
)

// pointerEvent reports whether an event kind is a pointer change, the
// events a burst is made of.
func pointerEvent(k cluster.EventKind) bool { return k == cluster.EventPred || k == cluster.EventSucc }

// addEvent logs a cluster event; a repeat of the previous event only
// counts up on its line. A fault that a command of the UI caused is logged
// once, as that command.
func (m *Model) addEvent(ev cluster.Event) {
	if ev.Kind == cluster.EventFault && m.foldFault(ev) {
		return
	}
	if n := len(m.lines); n > 0 && m.lines[n-1].kind == ev.Kind && m.lines[n-1].text == ev.Text && m.lines[n-1].detail == ev.Detail {
		m.lines[n-1].count++
		m.lines[n-1].at = ev.Time
		return
	}
	l := logLine{at: ev.Time, text: ev.Text, detail: ev.Detail, style: eventStyle(ev.Kind), kind: ev.Kind, node: ev.Node, count: 1}
	if ev.Kind == cluster.EventFault || ev.Kind == cluster.EventNewRing {
		l.label = ev.Text
	}
	m.appendLog(l)
}

// foldFault drops a fault event that a command run by the UI caused, when
// the command is already logged; else it remembers the event so that the
// command's result, when it comes, takes its line.
func (m *Model) foldFault(ev cluster.Event) bool {
	verb := firstWord(ev.Text)
	if at, ok := m.awaitFault[verb]; ok && ev.Time.Sub(at) < faultWindow {
		delete(m.awaitFault, verb)
		return true
	}
	return false
}

// faultWindow is how long after its command a fault event is taken for the
// command's own.
const faultWindow = 30 * time.Second

func firstWord(s string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	return strings.ToLower(w)
}

// logCommand logs a command the UI ran, once: in place of the fault event
// it caused if that came first, else as a new line (and the fault event,
// if one follows, is dropped). text is the line, detail the full output.
func (m *Model) logCommand(line, text, detail string, st styleID, faults bool) {
	at, now := m.logTime(), time.Now()
	verb := firstWord(line)
	if faults {
		for i := len(m.lines) - 1; i >= max(0, len(m.lines)-50); i-- {
			l := &m.lines[i]
			if l.kind == cluster.EventFault && firstWord(l.text) == verb && now.Sub(l.at) < faultWindow {
				l.text, l.detail, l.style, l.cmd, l.kind, l.label = text, detail, st, true, "", l.text
				return
			}
		}
		if m.awaitFault == nil {
			m.awaitFault = map[string]time.Time{}
		}
		m.awaitFault[verb] = now
	}
	m.appendLog(logLine{at: at, text: text, detail: detail, style: st, cmd: true, count: 1, label: line})
}

// addLog logs one of the UI's own lines.
func (m *Model) addLog(at time.Time, text string, st styleID) {
	first, rest, _ := strings.Cut(strings.TrimRight(text, "\n"), "\n")
	l := logLine{at: at, text: first, style: st, count: 1}
	if rest != "" {
		l.text += " …"
		l.detail = text
	}
	m.appendLog(l)
}

// logTime is the time the UI's own lines are stamped with: the snapshot's,
// so that they sort among the cluster's events.
func (m *Model) logTime() time.Time {
	if m.snap.Taken.IsZero() {
		return time.Now()
	}
	return m.snap.Taken
}

func (m *Model) appendLog(l logLine) {
	m.logSeq++
	l.seq = m.logSeq
	m.lines = append(m.lines, l)
	if extra := len(m.lines) - m.opts.EventLogSize; extra > 0 {
		m.lines = append(m.lines[:0], m.lines[extra:]...)
	}
}

// logShows reports whether the log pane shows l under the filters: the
// nodes' lookups (f), the search ("/") and the node filter (m).
func (m *Model) logShows(l *logLine) bool {
	if !m.showLookups && l.kind == cluster.EventLookup {
		return false
	}
	if m.logQuery != "" {
		q := strings.ToLower(m.logQuery)
		if !strings.Contains(strings.ToLower(l.text), q) && !strings.Contains(strings.ToLower(l.detail), q) {
			return false
		}
	}
	if m.logNode != "" && l.node != m.logNode && !mentions(l.text+" "+l.detail, m.logNode) {
		return false
	}
	return true
}

// mentions reports whether text names node as a whole word.
func mentions(text, node string) bool {
	re, err := regexp.Compile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(node) + `($|[^A-Za-z0-9_])`)
	return err == nil && re.MatchString(text)
}

// visibleLog returns the log lines the filters let through.
func (m *Model) visibleLog() []logLine {
	if m.showLookups && m.logQuery == "" && m.logNode == "" {
		return m.lines
	}
	out := make([]logLine, 0, len(m.lines))
	for i := range m.lines {
		if m.logShows(&m.lines[i]) {
			out = append(out, m.lines[i])
		}
	}
	return out
}

// logRows folds the visible lines into rows: a run of groupMin or more
// pointer changes, each within groupGap of the one before, is one group
// (not while searching or filtering by node: every match shows).
func (m *Model) logRows(lines []logLine) []logRow {
	var rows []logRow
	fold := m.logQuery == "" && m.logNode == ""
	label := ""
	for i := 0; i < len(lines); {
		j := i + 1
		if fold && pointerEvent(lines[i].kind) {
			for j < len(lines) && pointerEvent(lines[j].kind) && lines[j].at.Sub(lines[j-1].at) <= groupGap {
				j++
			}
		}
		if j-i >= groupMin {
			rows = append(rows, logRow{first: i, last: j, group: true, label: label})
			i = j
			continue
		}
		for k := i; k < j; k++ {
			rows = append(rows, logRow{first: k, last: k + 1})
			if lines[k].label != "" {
				label = lines[k].label
			}
		}
		i = j
	}
	return rows
}

// logDisplay is one line of the log pane as drawn, of row row.
type logDisplay struct {
	text string
	row  int
}

// logView lays the log out in w cells: every row, an open group with its
// lines, an open line with its full text; and the index of the cursor's
// row (the last when following the newest).
func (m *Model) logView(w int) (out []logDisplay, rows []logRow, cursor int) {
	t := m.theme
	lines := m.visibleLog()
	rows = m.logRows(lines)
	cursor = len(rows) - 1
	for i, r := range rows {
		if m.logSel != 0 && r.key(lines) == m.logSel {
			cursor = i
		}
	}
	stamp := func(l *logLine) string { return t.render(stDim, l.at.Format("15:04:05.0")) + " " }
	for i, r := range rows {
		if r.group {
			out = append(out, logDisplay{m.groupLine(lines[r.first:r.last], r.label, m.logOpen[r.key(lines)], stamp(&lines[r.first])), i})
			if m.logOpen[r.key(lines)] {
				for k := r.first; k < r.last; k++ {
					out = append(out, logDisplay{"  " + m.lineText(&lines[k], stamp(&lines[k])), i})
				}
			}
			continue
		}
		l := &lines[r.first]
		out = append(out, logDisplay{m.lineText(l, stamp(l)), i})
		if m.logOpen[l.seq] {
			for _, d := range m.openLine(l, w) {
				out = append(out, logDisplay{d, i})
			}
		}
	}
	return out, rows, cursor
}

// lineText is a log line as the pane shows it.
func (m *Model) lineText(l *logLine, stamp string) string {
	t := m.theme
	s := stamp + t.render(l.style, l.text)
	if l.count > 1 {
		s += t.render(stDim, fmt.Sprintf(" (×%d)", l.count))
	}
	return s
}

// groupLine names a burst: what it followed, how many pointer changes,
// and at which nodes.
func (m *Model) groupLine(lines []logLine, label string, open bool, stamp string) string {
	t := m.theme
	n := 0
	var nodes []string
	seen := map[string]bool{}
	for _, l := range lines {
		n += l.count
		if l.node != "" && !seen[l.node] {
			seen[l.node] = true
			nodes = append(nodes, l.node)
		}
	}
	mark := "▸ "
	if open {
		mark = "▾ "
	}
	text := fmt.Sprintf("%d pointer changes", n)
	if label != "" {
		text = label + ": " + text
	}
	return stamp + t.render(stBold, mark+text) + t.render(stDim, " at "+strings.Join(nodes, " "))
}

// openLine is a line's full text, wrapped under it: the line and its
// detail, and what kind of event it is.
func (m *Model) openLine(l *logLine, w int) []string {
	t := m.theme
	var out []string
	full := l.text
	if l.detail != "" {
		full = l.detail
		if !l.cmd && !strings.HasPrefix(l.detail, l.text) {
			full = l.text + " — " + l.detail
		}
	}
	for _, para := range strings.Split(full, "\n") {
		for _, s := range wrap(para, "    ", w) {
			out = append(out, t.render(stText, s))
		}
	}
	what := "the UI"
	if l.kind != "" {
		what = "event " + string(l.kind)
		if l.node != "" {
			what += " at " + l.node
		}
	}
	if l.cmd {
		what = "a command"
	}
	out = append(out, t.render(stDim, "    "+what+", "+l.at.Format("15:04:05.000")))
	return out
}

// logTitle names the pane and the filters in force.
func (m *Model) logTitle() string {
	title := "Events"
	if d := m.snap.EventsDropped; d > 0 {
		title += fmt.Sprintf(" (%d dropped)", d)
	}
	if m.logQuery != "" {
		title += " /" + m.logQuery
	}
	if m.logNode != "" {
		title += " of " + m.logNode + " only (m)"
	}
	if !m.showLookups {
		title += " (lookups hidden: f)"
	}
	if n := m.logNewer(); n > 0 {
		title += fmt.Sprintf(" ↓%d newer", n)
	}
	return title
}

// logNewer counts the rows after the cursor's when it does not follow the
// newest.
func (m *Model) logNewer() int {
	if m.logSel == 0 {
		return 0
	}
	lines := m.visibleLog()
	rows := m.logRows(lines)
	for i, r := range rows {
		if r.key(lines) == m.logSel {
			return len(rows) - 1 - i
		}
	}
	return 0
}

// logLines is the log pane: the rows around the cursor, the cursor's
// with a bar across the pane when the pane is focused.
func (m *Model) logLines(in rect) []string {
	out, _, cursor := m.logView(in.w)
	top := min(m.logTop, max(0, len(out)-in.h))
	var lines []string
	for _, d := range out[top:min(len(out), top+in.h)] {
		s := d.text
		if d.row == cursor && m.focus == paneLog {
			s = m.theme.render(stReverse, fit(ansi.Strip(s), in.w))
		}
		lines = append(lines, s)
	}
	return lines
}

// clampLog keeps the log's cursor on a row that exists and its top where
// the cursor shows.
func (m *Model) clampLog(w, h int) {
	out, rows, cursor := m.logView(w)
	if m.logSel != 0 && (len(rows) == 0 || cursor == len(rows)-1) {
		m.logSel = 0 // the cursor is on the newest row: follow it
	}
	if m.logSel == 0 {
		m.logTop = max(0, len(out)-h)
		return
	}
	first, last := -1, -1
	for i, d := range out {
		if d.row == cursor {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < m.logTop {
		m.logTop = first
	}
	if last >= m.logTop+h {
		m.logTop = last - h + 1
	}
	m.logTop = min(max(0, m.logTop), max(0, len(out)-h))
}

// moveLog moves the log's cursor by d rows (towards newer when positive).
func (m *Model) moveLog(d int) {
	lines := m.visibleLog()
	rows := m.logRows(lines)
	if len(rows) == 0 {
		return
	}
	cur := len(rows) - 1
	for i, r := range rows {
		if m.logSel != 0 && r.key(lines) == m.logSel {
			cur = i
		}
	}
	cur = min(max(cur+d, 0), len(rows)-1)
	m.logSel = rows[cur].key(lines)
	if cur == len(rows)-1 {
		m.logSel = 0
	}
}

// toggleLogRow opens or closes the row under the cursor: a group shows its
// lines, a line its full text.
func (m *Model) toggleLogRow() {
	lines := m.visibleLog()
	rows := m.logRows(lines)
	if len(rows) == 0 {
		return
	}
	cur := len(rows) - 1
	for i, r := range rows {
		if m.logSel != 0 && r.key(lines) == m.logSel {
			cur = i
		}
	}
	k := rows[cur].key(lines)
	if m.logOpen == nil {
		m.logOpen = map[uint64]bool{}
	}
	m.logOpen[k] = !m.logOpen[k]
	if cur < len(rows)-1 || m.logOpen[k] {
		m.logSel = k // stay on the row just opened, not on the newest
	}
}

func eventStyle(kind cluster.EventKind) styleID {
	switch kind {
	case cluster.EventFailure:
		return stDown
	case cluster.EventStable:
		return stOK
	case cluster.EventFault:
		return stWarn
	case cluster.EventJoined:
		return stAlive
	case cluster.EventLookup:
		return stDim
	}
	return stText
}

// addrRE matches a parenthesised address, which the log leaves out: it
// names nodes by name.
var addrRE = regexp.MustCompile(` ?\(\d+\.\d+\.\d+\.\d+:\d+\)`)

// logWords is a result's text as the log says it: without addresses.
func logWords(s string) string { return addrRE.ReplaceAllString(s, "") }
