package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/chordtui/chordtui/chord"
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

// counts returns how many nodes are alive, down, paused and left, and
// how many are members (every node that has not left).
func (m *Model) counts() (alive, down, paused, left, total int) {
	for _, n := range m.snap.Nodes {
		switch n.State {
		case cluster.StateAlive:
			alive++
		case cluster.StateDown:
			down++
		case cluster.StatePaused:
			paused++
		case cluster.StateLeft:
			left++
		}
		if n.State != cluster.StateLeft {
			total++
		}
	}
	return
}

// liveSegs says how many members are alive and how many are down, paused
// or gone: "15/16 alive · 1 down". The status bar and the Members title
// both say it, so they count the same nodes.
func (m *Model) liveSegs() []seg {
	alive, down, paused, left, total := m.counts()
	out := []seg{{fmt.Sprintf("%d/%d alive", alive, total), stNone}}
	if down > 0 {
		out = append(out, seg{fmt.Sprintf(" · %d down", down), stDown})
	}
	if paused > 0 {
		out = append(out, seg{fmt.Sprintf(" · %d paused", paused), stPaused})
	}
	if left > 0 {
		out = append(out, seg{fmt.Sprintf(" · %d left", left), stDim})
	}
	return out
}

// seconds prints an elapsed time as "1.2 s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// verdict is the status bar's word on the ring, from Health alone (the
// cluster's one verdict): a fault in progress, stable, confirming,
// converging, or partitioned with each side's state. paused reports
// whether it already says that maintenance is paused.
func (m *Model) verdict() (text string, st styleID, paused bool) {
	h := m.snap.Health
	summary := strings.TrimSuffix(h.Summary, "; "+h.Note)
	since := ""
	if !h.LastFaultAt.IsZero() && !m.snap.Taken.IsZero() && h.LastFault != "" {
		since = seconds(m.snap.Taken.Sub(h.LastFaultAt)) + " since " + h.LastFault
	}
	switch {
	case h.InProgress != "":
		return "⟳ " + summary, stWarn, false
	case h.Live == 0:
		return "✗ " + summary, stDown, false
	case h.Partitioned && h.Stable:
		return "⫽ " + summary, stOK, false
	case h.Partitioned:
		if since != "" {
			summary += " (" + since + ")"
		}
		return "⫽ " + summary, stWarn, false
	case h.Stable:
		return "✓ " + summary, stOK, false
	case h.Confirming && h.MaintenancePaused:
		return "◔ ideal ring after " + h.LastFault + ", not yet confirmed: maintenance paused (n steps)", stWarn, true
	case h.Confirming:
		return "◔ ideal ring after " + h.LastFault + ", confirming", stWarn, false
	case since != "":
		return "⟳ converging — " + since, stWarn, false
	}
	return "⟳ converging", stWarn, false
}

// noteHead is the part of a small-ring note before its explanation:
// "ring of 2 (< r+1 = 5)".
func noteHead(note string) string {
	if i := strings.Index(note, ": "); i > 0 {
		return note[:i]
	}
	return note
}

// noteText is a small-ring note without its parenthesised reason.
func noteText(note string) string {
	if i := strings.LastIndex(note, " ("); i > 0 && strings.HasSuffix(note, ")") && i > len(noteHead(note)) {
		return note[:i]
	}
	return note
}

// statusBar is the top line: liveness, the cluster's verdict, maintenance,
// the one count of invariant violations, a small ring's note, the origin
// and why the ring is not stable. Parts that do not fit are shortened,
// then cut at the end.
func (m *Model) statusBar() string {
	t := m.theme
	s := m.snap
	h := s.Health
	head := t.render(stTitle, " chordtui ") + "  "
	for _, sg := range m.liveSegs() {
		head += t.render(sg.st, sg.s)
	}
	verdict, vst, saysPaused := m.verdict()
	var tail []string
	if h.MaintenancePaused && !saysPaused {
		tail = append(tail, t.render(stWarn, "⏸ maintenance paused (n steps)"))
	}
	if h.Violations > 0 {
		tail = append(tail, t.render(stDown, "⚠ "+command.Plural(h.Violations, "invariant violation")))
	}
	origin := ""
	if o := m.originName(); o != "" {
		st, note := stOrigin, ""
		if i := m.nodeIndex(o); i >= 0 && s.Nodes[i].State != cluster.StateAlive {
			st, note = stDown, " ("+string(s.Nodes[i].State)+"!)"
		}
		origin = "origin " + t.render(st, o+note)
	}
	line := func(note, origin string) string {
		parts := append([]string{head, t.render(vst, verdict)}, tail...)
		if note != "" {
			parts = append(parts, t.render(stWarn, "△ "+note))
		}
		if origin != "" {
			parts = append(parts, origin)
		}
		return strings.Join(parts, "  ")
	}
	// The longest line that fits: the note in full, then only its head,
	// then without the origin (the members table marks it with *).
	out := line(noteText(h.Note), origin)
	for _, alt := range []string{line(noteHead(h.Note), origin), line(noteHead(h.Note), "")} {
		if ansi.StringWidth(out) <= m.width {
			break
		}
		out = alt
	}
	if !h.Stable && h.InProgress == "" && h.Reason != "" {
		out += "  " + t.render(stDim, "("+h.Reason+")") // cut at the end when long
	}
	return fit(out, m.width)
}

// ringLines draws the ring and its legend.
func (m *Model) ringLines(in rect) []string {
	if in.h < 2 || in.w < 4 {
		return nil
	}
	sc := m.ringScene()
	legend := m.ringLegend(sc, false, in.w)
	c := drawRing(sc, in.w, in.h-len(legend))
	if c.shared {
		legend = m.ringLegend(sc, true, in.w)
	}
	return append(c.lines(m.theme), legend...)
}

// ringScene is what the ring draws now.
func (m *Model) ringScene() *ringScene {
	return &ringScene{snap: &m.snap, ix: m.ix, selected: m.selected, origin: m.originName(),
		showKeys: m.showKeys, lookup: m.ringLookup()}
}

// ringHeight is the height of the ring's canvas in a pane whose inside
// is in: the pane less its legend.
func (m *Model) ringHeight(in rect) int {
	return in.h - len(m.ringLegend(m.ringScene(), false, in.w))
}

// ringLegend explains the ring's symbols in one line, and a second when a
// lookup or a partition adds to them; shared says a cell holds several
// nodes (it never changes the legend's height).
func (m *Model) ringLegend(sc *ringScene, shared bool, w int) []string {
	t := m.theme
	items := []string{t.render(stAlive, "●") + " alive", t.render(stDown, "○") + " down", t.render(stPaused, "◐") + " paused"}
	if shared {
		items = append(items, t.render(stAlive, "2")+" in one cell")
	}
	var more []string
	if l := sc.lookup; l != nil {
		from := m.ix.name(chord.NodeRef{Addr: l.origin})
		more = append(more, t.render(stPath, "1⠒2")+" calls of "+from+" (hop 0)")
		if l.failed() {
			more = append(more, t.render(stFailed, "✗3⠁⠂")+" failed call")
		}
		more = append(more, t.render(stKey, "◆")+" key")
	} else {
		items = append(items, t.render(stFinger, "⠉")+" fingers")
	}
	if m.showKeys {
		items = append(items, t.render(stKey, "⠁")+" keys")
	}
	if m.snap.Health.Partitioned {
		more = append(more, t.render(stSideA, "A:")+t.render(stSideB, "B:")+" side")
	}
	if len(more) == 0 {
		return []string{joinFit(items, " ", w)}
	}
	return []string{joinFit(items, " ", w), joinFit(more, " ", w)}
}

// membersTitle counts the members as the status bar does.
func (m *Model) membersTitle() string {
	var b strings.Builder
	b.WriteString("Members: ")
	for _, sg := range m.liveSegs() {
		b.WriteString(sg.s)
	}
	return b.String()
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
// marked: ✗ points at a node that is not alive, ! is not the ideal pointer
// (under a partition: not the ideal pointer of the node's side, which the
// SIDE column names). Rows left over show a small ring's note.
func (m *Model) membersLines(in rect) []string {
	t := m.theme
	w := in.w
	h := m.snap.Health
	nameW := 4
	for _, n := range m.snap.Nodes {
		nameW = max(nameW, len(n.Name)+1)
	}
	idW := 4
	if len(m.snap.Nodes) > 0 {
		idW = max(idW, len(m.snap.Nodes[0].ID.Short(m.snap.Bits)))
	}
	ptrW := nameW + 1
	sides := h.Partitioned
	sideW := 0
	if sides {
		sideW = 5
	}
	// The address and the state word show when there is room for them.
	base := 2 + sideW + nameW + 1 + idW + 1 + 2*(ptrW+1) + 8
	wideState := w >= base+7
	wideAddr := w >= base+7+16
	col := func(s string, n int) string { return fit(s, n) + " " }
	head := "  "
	if sides {
		head += col("SIDE", sideW-1)
	}
	head += col("NAME", nameW) + col("ID", idW)
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
		row := sel + t.render(st, string(sym)) + " "
		if sides {
			row += t.render(sideStyle(n.Side), fit(n.Side, sideW-1)) + " "
		}
		row += col(name, nameW) + col(n.ID.Short(m.snap.Bits), idW)
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
	items := []string{t.render(stDim, "▶ selected"), t.render(stDim, "* origin"),
		t.render(stDown, "✗") + t.render(stDim, " target not alive"), t.render(stWarn, "!") + t.render(stDim, " not ideal")}
	sep := "  "
	if sides {
		items[2] = t.render(stDown, "✗") + t.render(stDim, " not alive")
		items[3] += t.render(stDim, " for its side")
		sep = " "
	}
	legend := joinFit(items, sep, w)
	if free := in.h - 1 - len(lines); free > 0 {
		var notes []string
		if h.Note != "" {
			notes = append(notes, wrap(h.Note, "", w)...)
		}
		for _, sd := range h.Sides {
			if sd.Note != "" {
				notes = append(notes, wrap("side "+sd.Label+": "+sd.Note, "", w)...)
			}
		}
		if len(notes) > 0 && len(notes) <= free {
			if len(notes) < free {
				lines = append(lines, "")
			}
			for _, l := range notes {
				lines = append(lines, t.render(stWarn, l))
			}
		}
	}
	for len(lines) < in.h-1 {
		lines = append(lines, "")
	}
	return append(lines, legend)
}

// sideStyle is the colour of a side's letter.
func sideStyle(side string) styleID {
	switch side {
	case cluster.SideA:
		return stSideA
	case cluster.SideB:
		return stSideB
	}
	return stNone
}

// pointer renders one pointer cell with its mark.
func (m *Model) pointer(isNil bool, name string, k mark, w int) string {
	s := name + k.suffix()
	return m.theme.render(k.style(), fit(s, w))
}

// detailLines is the node detail pane, or the lookup being shown,
// scrolled by detailScroll.
func (m *Model) detailLines(in rect) (string, []string) {
	title, lines := m.detailContent(in.w, in.h)
	scroll := min(m.detailScroll, max(0, len(lines)-in.h))
	if scroll > 0 {
		title += fmt.Sprintf(" (↑%d)", scroll)
	}
	return title, lines[scroll:]
}

// detailContent is the whole of the detail pane, w cells wide and (when
// it can be) h lines high.
func (m *Model) detailContent(w, h int) (string, []string) {
	if m.lookup != nil {
		return m.lookupLines(w, h)
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
	_, lines := m.detailContent(in.w, in.h)
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
	first := t.render(st, string(sym)+" "+string(n.State)) + "  " + n.ID.Short(m.snap.Bits) + "  " + n.Addr
	if n.Side != "" {
		first += "  " + t.render(sideStyle(n.Side), "side "+n.Side)
	}
	lines := []string{first}
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
	if f := nodeFaults(n); len(f) > 0 {
		lines = append(lines, t.render(stWarn, "faults "+strings.Join(f, " · ")))
	}
	return title, lines
}

// nodeFaults lists the faults set on n, in the command language's words.
func nodeFaults(n *cluster.NodeSnapshot) []string {
	var out []string
	if n.Delay > 0 {
		out = append(out, "delay "+n.Delay.String())
	}
	if n.DropPercent > 0 {
		out = append(out, fmt.Sprintf("drop %g%%", n.DropPercent))
	}
	if n.Partitioned {
		out = append(out, "partitioned (side B)")
	}
	return out
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

// lookupLines lists the lookup's calls revealed so far, numbered as the
// ring and the REPL number them (the origin is hop 0, call k is hop k,
// a failed call marked ✗ with its error), each with the routing entry that
// named the node and why; then, once the last is shown, how the owner was
// found live, the count of calls (command.HopsText, as the REPL says it)
// and the result. When that is more than h lines the reasons shrink to a
// line each, then go, so the outcome stays in view (the REPL's lookup
// prints them all).
func (m *Model) lookupLines(w, h int) (string, []string) {
	l := m.lookup
	title := "Lookup: " + l.line
	for _, reasons := range []int{2, 1, 0} {
		lines := m.lookupText(w, reasons)
		if len(lines) <= h || reasons == 0 {
			return title, lines
		}
	}
	return title, nil
}

// lookupText is the Lookup pane with each call's reason on as many lines
// as it takes (reasons 2), on one line (1) or left out (0).
func (m *Model) lookupText(w, reasons int) []string {
	t := m.theme
	l := m.lookup
	lr := l.res.Lookup
	lines := []string{fmt.Sprintf("key %s → %s  (esc closes)", cluster.QuoteKey(lr.Key), lr.ID.Short())}
	nameW := len(lr.Via)
	for _, h := range lr.Path {
		nameW = max(nameW, len(h.Node))
	}
	if lr.Via != "" {
		lines = append(lines, t.render(stPath, " 0")+"  "+fit(lr.Via, nameW)+" origin: makes every call")
	}
	const indent = "     "
	for i, h := range lr.Path[:min(l.shown, len(lr.Path))] {
		num, st, mark := fmt.Sprintf("%2d", i+1), stPath, " "
		if !h.Answered() {
			st, mark = stFailed, "✗"
		}
		what := "step"
		if h.Ping {
			what = "ping"
		}
		if h.From != "" && h.Via != "" {
			what += ", named by " + h.From + "'s " + h.Via
		}
		line := t.render(st, num+mark) + " " + fit(h.Node, nameW) + " " + what
		if h.Answered() && h.RTT > 0 {
			line += t.render(stDim, "  "+latency(h.RTT))
		}
		lines = append(lines, line)
		if h.Err != "" {
			lines = append(lines, t.render(stFailed, indent+"no answer: "+h.Err))
		}
		switch {
		case h.Reason == "" || reasons == 0:
		case reasons == 1:
			lines = append(lines, t.render(stDim, indent+h.Reason))
		default:
			for _, r := range wrap(h.Reason, indent, w) {
				lines = append(lines, t.render(stDim, r))
			}
		}
	}
	if !l.done() {
		return append(lines, t.render(stPath, fmt.Sprintf("… hop %d of %d", l.shown, len(lr.Path))))
	}
	if owner := command.OwnerLine(*lr); owner != "" {
		lines = append(lines, wrap(owner, "", w)...)
	}
	calls := command.HopsText(lr.Hops, lr.Timeouts)
	if lr.Owner.IsZero() {
		lines = append(lines, t.render(stBold, fmt.Sprintf("no owner found after %s, %v", calls, latency(lr.Took))))
	} else {
		lines = append(lines, t.render(stBold, fmt.Sprintf("owner %s after %s, %v", lr.Owner, calls, latency(lr.Took))))
	}
	if l.res.OK {
		lines = append(lines, t.render(stOK, "✓ "+firstLine(strings.TrimSpace(l.res.Text))))
	} else if l.res.Err != nil {
		lines = append(lines, t.render(stDown, "✗ "+firstLine(l.res.Err.Error())))
	}
	return lines
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
		"  "+t.render(stDown, "✗")+" pointer to a node not alive  "+t.render(stWarn, "!")+" pointer not ideal (under a partition: in its side's ring)",
		"  "+t.render(stPath, "1⠒2")+" a lookup's call k (the origin is hop 0), from the node whose entry named the node called",
		"  "+t.render(stFailed, "✗3⠁⠂")+" a call that failed  "+t.render(stKey, "◆")+" the key looked up  "+
			t.render(stSideA, "A:")+t.render(stSideB, "B:")+" side of a partition (B: the nodes named)")
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
