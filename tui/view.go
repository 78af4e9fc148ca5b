package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// MinWidth and MinHeight are the smallest terminal the UI draws in.
const (
	MinWidth  = 80
	MinHeight = 24
)

// rect is a screen rectangle in cells.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool { return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h }

// inner is the rectangle inside a box's border.
func (r rect) inner() rect { return rect{r.x + 1, r.y + 1, max(0, r.w-2), max(0, r.h-2)} }

// layout places the panes: a status line on top, the ring and the members
// table, below them the node detail and the event log, then the message
// line and the key hint bar.
type layout struct {
	ring, members, detail, log rect
}

func computeLayout(w, h int) layout {
	bodyH := h - 3
	topH := max(10, bodyH*3/5)
	ringW := max(30, min(w/2, (topH-2)*2+30))
	return layout{
		ring:    rect{0, 1, ringW, topH},
		members: rect{ringW, 1, w - ringW, topH},
		detail:  rect{0, 1 + topH, ringW, bodyH - topH},
		log:     rect{ringW, 1 + topH, w - ringW, bodyH - topH},
	}
}

// View renders the screen from the model and changes nothing in it: Update
// keeps every position it reads (scrolling, the key map) valid.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "chordtui"
	if m.opts.Mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	return v
}

// render draws the whole screen as styled text.
func (m *Model) render() string {
	t := m.theme
	if m.quitting {
		return ""
	}
	if m.width < MinWidth || m.height < MinHeight {
		msg := fmt.Sprintf("terminal too small: have %d×%d, need %d×%d", m.width, m.height, MinWidth, MinHeight)
		return placeCentre(m.width, m.height, []string{t.render(stBold, msg), t.render(stDim, "enlarge the window, or press q to quit")})
	}
	if m.mode == modeHelp {
		return m.renderHelp()
	}
	if !m.haveSnap {
		return placeCentre(m.width, m.height, []string{"chordtui: taking the first snapshot of the ring…"})
	}
	lay := computeLayout(m.width, m.height)
	screen := make([]string, 0, m.height)
	screen = append(screen, m.statusBar())
	ring := m.box("Ring", lay.ring, false, m.ringLines(lay.ring.inner()))
	members := m.box(m.membersTitle(), lay.members, m.focus == paneMembers, m.membersLines(lay.members.inner()))
	detailTitle, detail := m.detailLines(lay.detail.inner())
	detailBox := m.box(detailTitle, lay.detail, m.focus == paneDetail, detail)
	logBox := m.box(m.logTitle(), lay.log, m.focus == paneLog, m.logLines(lay.log.inner()))
	for i := range ring {
		screen = append(screen, ring[i]+members[i])
	}
	for i := range detailBox {
		screen = append(screen, detailBox[i]+logBox[i])
	}
	screen = append(screen, m.messageLine(), m.hintBar())
	return strings.Join(screen, "\n")
}

// fit truncates or pads a styled line to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := ansi.StringWidth(s)
	if n > w {
		s = ansi.Truncate(s, w, "…")
		n = ansi.StringWidth(s)
	}
	return s + strings.Repeat(" ", w-n)
}

// placeCentre centres lines on a w×h screen.
func placeCentre(w, h int, lines []string) string {
	out := make([]string, h)
	top := max(0, (h-len(lines))/2)
	for i := range out {
		s := ""
		if j := i - top; j >= 0 && j < len(lines) {
			s = lines[j]
			if pad := (w - ansi.StringWidth(s)) / 2; pad > 0 {
				s = strings.Repeat(" ", pad) + s
			}
		}
		out[i] = fit(s, w)
	}
	return strings.Join(out, "\n")
}

// box draws lines inside a rounded border with a title; a focused box has
// a bold, coloured border and a ▸ before its title.
func (m *Model) box(title string, r rect, focused bool, lines []string) []string {
	t := m.theme
	bst := stDim
	if focused {
		bst = stFocus
		title = "▸ " + title
	}
	iw := max(0, r.w-2)
	title = ansi.Truncate(" "+title+" ", max(0, iw-1), "…")
	top := "╭─" + title + strings.Repeat("─", max(0, iw-1-ansi.StringWidth(title))) + "╮"
	out := make([]string, 0, r.h)
	out = append(out, t.render(bst, top))
	side := t.render(bst, "│")
	for i := 0; i < r.h-2; i++ {
		s := ""
		if i < len(lines) {
			s = lines[i]
		}
		out = append(out, side+fit(s, iw)+side)
	}
	out = append(out, t.render(bst, "╰"+strings.Repeat("─", iw)+"╯"))
	return out
}

// counts returns how many nodes are alive, down, paused and members
// (every node that has not left).
func (m *Model) counts() (alive, down, paused, total int) {
	for _, n := range m.snap.Nodes {
		switch n.State {
		case cluster.StateAlive:
			alive++
		case cluster.StateDown:
			down++
		case cluster.StatePaused:
			paused++
		}
		if n.State != cluster.StateLeft {
			total++
		}
	}
	return
}

// seconds prints a duration as "1.2 s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// statusBar is the top line: liveness, convergence, origin, maintenance.
func (m *Model) statusBar() string {
	t := m.theme
	s := m.snap
	alive, down, paused, total := m.counts()
	parts := []string{t.render(stTitle, " chordtui "), fmt.Sprintf("%d/%d alive", alive, total)}
	if down > 0 {
		parts[1] += t.render(stDown, fmt.Sprintf(" · %d down", down))
	}
	if paused > 0 {
		parts[1] += t.render(stPaused, fmt.Sprintf(" · %d paused", paused))
	}
	switch {
	case s.Stable && s.LastFault != "" && s.ConvergedIn > 0:
		parts = append(parts, t.render(stOK, fmt.Sprintf("✓ stable — converged in %s after %s", seconds(s.ConvergedIn), s.LastFault)))
	case s.Stable:
		parts = append(parts, t.render(stOK, "✓ stable"))
	case !s.LastFaultAt.IsZero() && !s.Taken.IsZero():
		parts = append(parts, t.render(stWarn, "⟳ reconverging… "+seconds(s.Taken.Sub(s.LastFaultAt))))
	default:
		parts = append(parts, t.render(stWarn, "⟳ reconverging…"))
	}
	if s.MaintenancePaused {
		parts = append(parts, t.render(stWarn, "⏸ maintenance paused (n steps)"))
	}
	if v := len(s.Violations); v > 0 {
		parts = append(parts, t.render(stDown, "⚠ "+command.Plural(v, "invariant violation")))
	}
	if o := m.originName(); o != "" {
		st, note := stOrigin, ""
		if i := m.nodeIndex(o); i >= 0 && s.Nodes[i].State != cluster.StateAlive {
			st, note = stDown, " ("+string(s.Nodes[i].State)+"!)"
		}
		parts = append(parts, "origin "+t.render(st, o+note))
	}
	if !s.Stable && s.UnstableReason != "" {
		parts = append(parts, t.render(stDim, "("+s.UnstableReason+")"))
	}
	return fit(strings.Join(parts, "  "), m.width)
}

// ringLines draws the ring and its legend.
func (m *Model) ringLines(in rect) []string {
	if in.h < 2 || in.w < 4 {
		return nil
	}
	sc := &ringScene{snap: &m.snap, ix: m.ix, selected: m.selected, origin: m.originName(),
		showKeys: m.showKeys, path: m.lookupPath()}
	c := drawRing(sc, in.w, in.h-1)
	lines := c.lines(m.theme)
	t := m.theme
	items := []string{t.render(stAlive, "●") + " alive", t.render(stDown, "○") + " down", t.render(stPaused, "◐") + " paused"}
	if c.shared {
		items = append(items, t.render(stAlive, "2")+" in one cell")
	}
	if len(sc.path) > 0 {
		items = append(items, t.render(stPath, "1⠒2")+" path")
	} else {
		items = append(items, t.render(stFinger, "⠉")+" fingers")
	}
	if m.showKeys {
		items = append(items, t.render(stKey, "⠁")+" keys")
	}
	return append(lines, joinFit(items, " ", in.w))
}

func (m *Model) membersTitle() string {
	return fmt.Sprintf("Members (%d)", len(m.snap.Nodes))
}

// membersTop is the first row shown so the selection stays visible.
func (m *Model) membersTop(rows int) int {
	sel := 0
	for p, i := range m.order {
		if m.snap.Nodes[i].Name == m.selected {
			sel = p
		}
	}
	if rows <= 0 || len(m.order) <= rows {
		return 0
	}
	return min(max(0, sel-rows/2), len(m.order)-rows)
}

// membersLines is the members table in ring order with wrong pointers
// marked: ✗ points at a node that is not alive, ! is not the ideal pointer.
func (m *Model) membersLines(in rect) []string {
	t := m.theme
	w := in.w
	nameW := 4
	for _, n := range m.snap.Nodes {
		nameW = max(nameW, len(n.Name)+1)
	}
	idW := 4
	if len(m.snap.Nodes) > 0 {
		idW = max(idW, len(m.snap.Nodes[0].ID.Short(m.snap.Bits)))
	}
	ptrW := nameW + 1
	// The address and the state word show when there is room for them.
	base := 2 + nameW + 1 + idW + 1 + 2*(ptrW+1) + 8
	wideState := w >= base+7
	wideAddr := w >= base+7+16
	col := func(s string, n int) string { return fit(s, n) + " " }
	head := "  " + col("NAME", nameW) + col("ID", idW)
	if wideAddr {
		head += col("ADDRESS", 15)
	}
	if wideState {
		head += col("STATE", 6)
	}
	head += col("PRED", ptrW) + col("SUCC", ptrW) + "KEYS o/r"
	lines := []string{t.render(stBold, head)}
	rows := in.h - 2
	top := m.membersTop(rows)
	for p := top; p < len(m.order) && p < top+rows; p++ {
		n := &m.snap.Nodes[m.order[p]]
		sym, st := marker(n.State)
		name := n.Name
		if name == m.originName() {
			name += "*"
		}
		sel := " "
		if n.Name == m.selected {
			sel = "▶"
		}
		row := sel + t.render(st, string(sym)) + " " + col(name, nameW) + col(n.ID.Short(m.snap.Bits), idW)
		if wideAddr {
			row += col(n.Addr, 15)
		}
		if wideState {
			row += t.render(st, fit(string(n.State), 6)) + " "
		}
		if n.State == cluster.StateAlive || n.State == cluster.StatePaused {
			pm, sm := m.ix.pointerMarks(n)
			row += m.pointer(n.Chord.Predecessor.IsZero(), m.ix.name(n.Chord.Predecessor), pm, ptrW) + " "
			row += m.pointer(n.Chord.Successor().IsZero(), m.ix.name(n.Chord.Successor()), sm, ptrW) + " "
			row += fmt.Sprintf("%d/%d", n.Keys.Owned, n.Keys.Replicas)
		} else {
			row += t.render(stDim, col("—", ptrW)+col("—", ptrW)+"—")
		}
		if n.Name == m.selected && m.focus == paneMembers {
			row = t.render(stBold, sel) + row[len(sel):]
		}
		lines = append(lines, row)
	}
	legend := joinFit([]string{t.render(stDim, "▶ selected"), t.render(stDim, "* origin"),
		t.render(stDown, "✗") + t.render(stDim, " target not alive"), t.render(stWarn, "!") + t.render(stDim, " not ideal")}, "  ", w)
	for len(lines) < in.h-1 {
		lines = append(lines, "")
	}
	return append(lines, legend)
}

// pointer renders one pointer cell with its mark.
func (m *Model) pointer(isNil bool, name string, k mark, w int) string {
	s := name + k.suffix()
	return m.theme.render(k.style(), fit(s, w))
}

// detailLines is the node detail pane, or the lookup being shown,
// scrolled by detailScroll.
func (m *Model) detailLines(in rect) (string, []string) {
	title, lines := m.detailContent(in.w)
	scroll := min(m.detailScroll, max(0, len(lines)-in.h))
	if scroll > 0 {
		title += fmt.Sprintf(" (↑%d)", scroll)
	}
	return title, lines[scroll:]
}

// detailContent is the whole of the detail pane, w cells wide.
func (m *Model) detailContent(w int) (string, []string) {
	if m.lookup != nil {
		return m.lookupLines(w)
	}
	return m.nodeLines(w)
}

// clampScrolls keeps every scroll position within its content, after the
// content, the window or the position has changed.
func (m *Model) clampScrolls() {
	if m.width < MinWidth || m.height < MinHeight || !m.haveSnap {
		return
	}
	lay := computeLayout(m.width, m.height)
	in := lay.detail.inner()
	_, lines := m.detailContent(in.w)
	m.detailScroll = min(max(0, m.detailScroll), max(0, len(lines)-in.h))
	m.logScroll = min(max(0, m.logScroll), max(0, len(m.visibleLog())-lay.log.inner().h))
	m.helpScroll = min(max(0, m.helpScroll), m.maxHelpScroll())
}

// nodeLines describes the selected node: pointers, successor list, fingers
// collapsed to runs, keys and RPC counters.
func (m *Model) nodeLines(w int) (string, []string) {
	i := m.nodeIndex(m.selected)
	if i < 0 {
		return "Node", []string{"no node selected"}
	}
	t := m.theme
	n := &m.snap.Nodes[i]
	ix := m.ix
	sym, st := marker(n.State)
	title := "Node " + n.Name
	lines := []string{
		t.render(st, string(sym)+" "+string(n.State)) + "  " + n.ID.Short(m.snap.Bits) + "  " + n.Addr,
	}
	if n.State != cluster.StateAlive && n.State != cluster.StatePaused {
		lines = append(lines, t.render(stDim, "no routing state: the node is "+string(n.State)))
		return title, lines
	}
	ip, is, hasIdeal := ix.ideal(n.Addr, max(n.Chord.R, 1))
	pm := ix.judge(n.Chord.Predecessor, ip, hasIdeal)
	lines = append(lines, "pred   "+t.render(pm.style(), ix.name(n.Chord.Predecessor)+pm.suffix())+m.idealNote(pm, ix.name(ip)))
	var succ []string
	for j, s := range n.Chord.Successors {
		var want = s
		ok := hasIdeal && j < len(is)
		if ok {
			want = is[j]
		}
		k := ix.judge(s, want, ok)
		succ = append(succ, t.render(k.style(), ix.name(s)+k.suffix()))
	}
	if len(succ) == 0 {
		succ = []string{t.render(stDown, "empty!")}
	}
	lines = append(lines, "succ   "+strings.Join(succ, " "))
	lines = append(lines, "fingers  k → node  (finger[k] starts at n + 2^(k-1))")
	for _, r := range ix.collapseFingers(n) {
		target := ix.name(r.Node)
		if !r.Node.IsZero() {
			target += " " + r.Node.ID.Short(m.snap.Bits)
		}
		lines = append(lines, fmt.Sprintf("  %-9s → ", r.span())+t.render(r.Wrong.style(), target+r.Wrong.suffix()))
	}
	k := n.Keys
	lines = append(lines, fmt.Sprintf("keys   %d owned · %d replicas · %d tombstones · %s", k.Owned, k.Replicas, k.Tombstones, bytesize(k.Bytes)))
	if m.heldNode == n.Name && len(m.held) > 0 {
		lines = append(lines, m.heldLine(w))
	}
	r := n.RPC
	lines = append(lines, fmt.Sprintf("rpc    %d calls · %d errors · %d served", r.Calls, r.Errors, r.Served),
		fmt.Sprintf("       latency p50 %s · p99 %s", latency(r.P50), latency(r.P99)))
	lines = append(lines, fmt.Sprintf("chord  %d lookups · %d failed · %d rounds", n.Chord.Lookups, n.Chord.LookupFailures, n.Chord.Rounds))
	if n.Delay > 0 || n.DropPercent > 0 || n.Partitioned {
		lines = append(lines, t.render(stWarn, fmt.Sprintf("faults delay %v · drop %.0f%% · partitioned %v", n.Delay, n.DropPercent, n.Partitioned)))
	}
	return title, lines
}

// heldLine lists the keys the node holds, owned ones first, as many as
// fit in w cells.
func (m *Model) heldLine(w int) string {
	t := m.theme
	var items []string
	for _, owned := range []bool{true, false} {
		first := true
		for _, k := range m.held {
			if k.owned != owned {
				continue
			}
			s := strconv.Quote(k.key)
			if k.deleted {
				s += " (deleted)"
			}
			if first {
				label := "replicas "
				if owned {
					label = "owned "
				}
				s = t.render(stDim, label) + s
				first = false
			}
			items = append(items, s)
		}
	}
	line := "held   "
	room := w - ansi.StringWidth(line)
	shown, n := joinFitN(items, " ", room)
	if n < len(items) {
		shown, n = joinFitN(items, " ", room-10) // leave room for the count
		shown += fmt.Sprintf(" +%d more", len(items)-n)
	}
	return line + shown
}

func (m *Model) idealNote(k mark, ideal string) string {
	if k == markNotIdeal || k == markNil || k == markDead {
		return m.theme.render(stDim, "  (ideal: "+ideal+")")
	}
	return ""
}

// wrap breaks s at blanks into lines of at most w cells, each starting
// with indent.
func wrap(s, indent string, w int) []string {
	var out []string
	line := indent
	for _, word := range strings.Fields(s) {
		if line != indent && ansi.StringWidth(line)+1+ansi.StringWidth(word) > w {
			out = append(out, line)
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	return append(out, line)
}

// latency prints a duration to three significant figures: "35µs", "1.21ms".
func latency(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

func bytesize(b int64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// lookupLines lists the lookup's hops revealed so far, with the reason for
// each, then the result once the last hop is shown.
func (m *Model) lookupLines(w int) (string, []string) {
	t := m.theme
	l := m.lookup
	lr := l.res.Lookup
	title := "Lookup: " + l.line
	lines := []string{fmt.Sprintf("key %s  (esc closes)", lr.ID.Short())}
	for i, h := range lr.Path[:min(l.shown, len(lr.Path))] {
		num := t.render(stPath, fmt.Sprintf("%2d", i+1))
		line := fmt.Sprintf("%s %s %s", num, h.Node, t.render(stDim, h.Via))
		if h.Err != "" {
			line += t.render(stDown, " ✗ "+h.Err)
		} else if h.RTT > 0 {
			line += t.render(stDim, " "+latency(h.RTT))
		}
		lines = append(lines, line)
		if h.Reason != "" {
			lines = append(lines, wrap(h.Reason, "   ", w)...)
		}
	}
	if l.done() {
		lines = append(lines, t.render(stBold, fmt.Sprintf("owner %s after %s, %s, %v",
			lr.Owner, command.Plural(lr.Hops, "hop"), command.Plural(lr.Timeouts, "timeout"), latency(lr.Took))))
		if l.res.OK {
			lines = append(lines, t.render(stOK, "✓ "+firstLine(strings.TrimSpace(l.res.Text))))
		} else if l.res.Err != nil {
			lines = append(lines, t.render(stDown, "✗ "+l.res.Err.Error()))
		}
	} else {
		lines = append(lines, t.render(stPath, fmt.Sprintf("… hop %d of %d", l.shown, len(lr.Path))))
	}
	return title, lines
}

func (m *Model) logTitle() string {
	title := "Events"
	if d := m.snap.EventsDropped; d > 0 {
		title += fmt.Sprintf(" (%d dropped)", d)
	}
	if !m.showLookups {
		title += " (lookups hidden: f)"
	}
	if m.logScroll > 0 {
		title += fmt.Sprintf(" ↓%d newer", m.logScroll)
	}
	return title
}

// logLines is the tail of the event log, scrolled by logScroll.
func (m *Model) logLines(in rect) []string {
	t := m.theme
	lines := m.visibleLog()
	end := len(lines) - m.logScroll
	start := max(0, end-in.h)
	out := make([]string, 0, in.h)
	for _, l := range lines[start:max(start, end)] {
		s := t.render(stDim, l.at.Format("15:04:05.0")) + " " + t.render(l.style, l.text)
		if l.count > 1 {
			s += t.render(stDim, fmt.Sprintf(" (×%d)", l.count))
		}
		out = append(out, s)
	}
	return out
}

// messageLine is the prompt when one is open, else the last result.
func (m *Model) messageLine() string {
	t := m.theme
	switch m.mode {
	case modeCommand:
		return fit(t.render(stBold, ":")+m.editor.view(t)+"  "+t.render(stDim, m.message), m.width)
	case modeKey:
		label := m.keyCmd + " key"
		if m.keyCmd == "set" {
			label = "set key value"
		}
		via := ""
		if o := m.originName(); o != "" {
			via = " via " + o
		}
		return fit(t.render(stBold, label+via+": ")+m.editor.view(t), m.width)
	}
	msg := m.message
	if m.busy > 0 && !strings.HasPrefix(msg, "…") {
		msg = "… " + msg
	}
	return fit(t.render(m.messageStyle, msg), m.width)
}

// hintBar is the one-line key summary, drawn by bubbles' help from the key
// map: the mode's tail keys (? help, q quit) always show, the others as
// room allows, and disabled keys never.
func (m *Model) hintBar() string {
	head, tail := m.keys.hints(m.mode)
	h := m.help
	h.SetWidth(0)
	end := h.ShortHelpView(tail)
	room := m.width - ansi.StringWidth(end) - 2
	line := end
	if room > 0 {
		h.SetWidth(room)
		start := h.ShortHelpView(head)
		if ansi.StringWidth(start) > room { // help adds an item that fits only without its ellipsis
			start = ansi.Truncate(start, room, "…")
		}
		line = start + "  " + end
	}
	return fit(line, m.width)
}

// joinFit joins as many leading items as fit in w cells.
func joinFit(items []string, sep string, w int) string {
	s, _ := joinFitN(items, sep, w)
	return s
}

// joinFitN is joinFit that also returns how many items it took.
func joinFitN(items []string, sep string, w int) (string, int) {
	var b strings.Builder
	n := 0
	for i, it := range items {
		iw := ansi.StringWidth(it)
		if i > 0 {
			iw += len(sep)
		}
		if n+iw > w {
			return b.String(), i
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(it)
		n += iw
	}
	return b.String(), len(items)
}

// helpLines is the help screen, unscrolled: every binding of the key map
// by section, the symbols and the command language.
func (m *Model) helpLines() []string {
	t := m.theme
	lines := []string{t.render(stBold, "chordtui — keys")}
	for _, g := range m.keys.groups() {
		lines = append(lines, "", t.render(stBold, g.title))
		for _, b := range g.keys {
			lines = append(lines, "  "+t.render(stBold, fit(keyNames(b.Keys()), 18))+b.about)
		}
	}
	lines = append(lines, "", t.render(stBold, "symbols"),
		"  "+t.render(stAlive, "●")+" alive  "+t.render(stDown, "○")+" down  "+t.render(stPaused, "◐")+" paused  ◌ left  "+
			"2 nodes in one cell  ─╯ leads to a label  ▶ selected  * origin",
		"  "+t.render(stDown, "✗")+" pointer to a node not alive  "+t.render(stWarn, "!")+" pointer not ideal")
	if cmds := m.commands(); len(cmds) > 0 {
		lines = append(lines, "", t.render(stBold, "commands (:)"))
		for _, c := range cmds {
			lines = append(lines, "  "+t.render(stBold, fit(c.Usage, 30))+c.Summary)
		}
	}
	return lines
}

// helpRows is how many lines of the help screen show at once: the screen
// less the footer line.
func (m *Model) helpRows() int { return max(1, m.height-1) }

// maxHelpScroll is the furthest the help screen scrolls.
func (m *Model) maxHelpScroll() int { return max(0, len(m.helpLines())-m.helpRows()) }

// renderHelp is the help screen scrolled by helpScroll, with a footer
// drawn from the help screen's keys.
func (m *Model) renderHelp() string {
	t := m.theme
	lines := m.helpLines()
	rows := m.helpRows()
	scroll := min(m.helpScroll, max(0, len(lines)-rows))
	more := max(0, len(lines)-rows-scroll)
	lines = lines[scroll:min(len(lines), scroll+rows)]
	head, tail := m.keys.hints(modeHelp)
	h := m.help
	h.SetWidth(0)
	footer := h.ShortHelpView(append(head, tail...)) + t.render(stDim, "  · \":help CMD\" explains a command")
	if more > 0 {
		footer = t.render(stDim, fmt.Sprintf("↓ %d more lines  ", more)) + footer
	}
	lines = append(lines, footer)
	w := 0
	for _, l := range lines {
		w = max(w, ansi.StringWidth(l))
	}
	w = min(w, m.width)
	for i, l := range lines {
		lines[i] = fit(l, w)
	}
	return placeCentre(m.width, m.height, lines)
}
