package tui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
// table, below them the node detail, the story pane (a step's caption, a
// lesson, the violations) and the event log, then the message line and
// the key hint bar. A pane not shown has an empty rectangle.
type layout struct {
	ring, members, detail, story, log rect
}

// compactWidth is the width below which the bottom row holds one pane,
// the width at which captions stay readable; wideWidth the width from
// which the story pane and the event log both show.
const (
	compactWidth = 100
	wideWidth    = 180
)

// computeLayout places the top row, and the detail and log panes of the
// bottom row as they are when no story is shown.
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

// storyRoom gives the bottom row the height the story's text needs, up
// to 55% of the screen (the ring keeps at least 12 rows), so that a
// caption shows whole rather than behind a scroll.
func (m *Model) storyRoom(lay layout) layout {
	bodyH := m.height - 3
	w := lay.log.w
	switch {
	case m.width < compactWidth:
		w = m.width
	case m.width >= wideWidth:
		w = lay.log.w / 2
	}
	lines, _ := m.storyContent(max(1, w-2))
	need := len(lines) + 2
	if need <= lay.log.h {
		return lay
	}
	bottomH := min(need, bodyH*11/20, bodyH-12)
	if bottomH <= lay.log.h {
		return lay
	}
	topH := bodyH - bottomH
	ringW := max(30, min(m.width/2, (topH-2)*2+30))
	return layout{
		ring:    rect{0, 1, ringW, topH},
		members: rect{ringW, 1, m.width - ringW, topH},
		detail:  rect{0, 1 + topH, ringW, bottomH},
		log:     rect{ringW, 1 + topH, m.width - ringW, bottomH},
	}
}

// layout places the panes for the model's state: the story pane takes the
// log's place (tab shows the log instead) or, on a wide screen, half of
// it; below compactWidth the bottom row is one pane across, the focused
// one (the story when it is active and the members pane has the focus).
func (m *Model) layout() layout {
	lay := computeLayout(m.width, m.height)
	story := m.storyActive()
	if story {
		lay = m.storyRoom(lay)
	}
	bottom := rect{0, lay.detail.y, m.width, lay.detail.h}
	switch {
	case m.width < compactWidth:
		p := m.focus
		if p == paneMembers {
			p = paneDetail
			if story {
				p = paneStory
			}
		}
		lay.detail, lay.log = rect{}, rect{}
		switch p {
		case paneDetail:
			lay.detail = bottom
		case paneStory:
			lay.story = bottom
		default:
			lay.log = bottom
		}
	case story && m.width >= wideWidth:
		sw := lay.log.w / 2
		lay.story = rect{lay.log.x, lay.log.y, sw, lay.log.h}
		lay.log = rect{lay.log.x + sw, lay.log.y, lay.log.w - sw, lay.log.h}
	case story && m.focus != paneLog:
		lay.story, lay.log = lay.log, rect{}
	}
	return lay
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
	switch {
	case m.mode == modeHelp:
		return m.renderHelp()
	case m.mode == modeOutput:
		return m.renderOutput()
	case m.starting != nil:
		return m.renderStart()
	case !m.haveSnap:
		return placeCentre(m.width, m.height, []string{"chordtui: taking the first snapshot of the ring…"})
	}
	lay := m.layout()
	screen := make([]string, 0, m.height)
	screen = append(screen, m.statusBar())
	ring := m.box("Ring", lay.ring, false, m.ringLines(lay.ring.inner()))
	var members []string
	if m.showLoad {
		members = m.box(m.loadTitle(), lay.members, m.focus == paneMembers, m.loadLines(lay.members.inner()))
	} else {
		members = m.box(m.membersTitle(), lay.members, m.focus == paneMembers, m.membersLines(lay.members.inner()))
	}
	for i := range ring {
		screen = append(screen, ring[i]+members[i])
	}
	var bottom [][]string
	if lay.detail.w > 0 {
		detailTitle, detail := m.detailLines(lay.detail.inner())
		bottom = append(bottom, m.box(detailTitle, lay.detail, m.focus == paneDetail, detail))
	}
	if lay.story.w > 0 {
		bottom = append(bottom, m.box(m.storyTitle(), lay.story, m.focus == paneStory, m.storyLines(lay.story.inner())))
	}
	if lay.log.w > 0 {
		bottom = append(bottom, m.box(m.logTitle(), lay.log, m.focus == paneLog, m.logLines(lay.log.inner())))
	}
	for i := range bottom[0] {
		row := ""
		for _, b := range bottom {
			row += b[i]
		}
		screen = append(screen, row)
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
// converging, or partitioned with each side's state. While maintenance is
// paused, convergence is counted in steps, not seconds: the seconds would
// measure how long someone took to step. paused reports whether it already
// says that maintenance is paused.
func (m *Model) verdict() (text string, st styleID, paused bool) {
	h := m.snap.Health
	summary := strings.TrimSuffix(h.Summary, "; "+h.Note)
	since := ""
	if !h.LastFaultAt.IsZero() && !m.snap.Taken.IsZero() && h.LastFault != "" {
		since = seconds(m.snap.Taken.Sub(h.LastFaultAt)) + " since " + h.LastFault
		if h.MaintenancePaused {
			since = ""
			if n, ok := m.stepsSinceFault(); ok {
				since = fmt.Sprintf("%s since %s", command.Plural(n, "step"), h.LastFault)
			}
		}
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
		return "◔ ideal ring after " + h.LastFault + ", not yet confirmed: maintenance paused (n runs every task)", stWarn, true
	case h.Confirming:
		return "◔ ideal ring after " + h.LastFault + ", confirming", stWarn, false
	case since != "":
		return "⟳ converging — " + since, stWarn, false
	case h.LastFault != "":
		return "⟳ converging after " + h.LastFault, stWarn, false
	}
	return "⟳ converging", stWarn, false
}

// stepsSinceFault is the count of steps since the last fault, as the last
// step reported it, when that step followed the fault the status names.
func (m *Model) stepsSinceFault() (int, bool) {
	h := m.snap.Health
	if m.step == nil || m.step.rep.Steps == 0 {
		return 0, false
	}
	sh := m.step.rep.Health
	if sh.LastFault != h.LastFault || !sh.LastFaultAt.Equal(h.LastFaultAt) {
		return 0, false
	}
	return m.step.rep.Steps, true
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
		tail = append(tail, t.render(stWarn, "⏸ maintenance paused (1–4, n step)"))
	}
	if h.Violations > 0 {
		tail = append(tail, t.render(stDown, "⚠ "+command.Plural(h.Violations, "invariant violation")))
	}
	respFull, respShort := "", ""
	if r := s.RESP; r != nil {
		respFull, respShort = m.respStatus(r, false), m.respStatus(r, true)
	}
	origin := ""
	if o := m.originName(); o != "" {
		st, note := stOrigin, ""
		if i := m.nodeIndex(o); i >= 0 && s.Nodes[i].State != cluster.StateAlive {
			st, note = stDown, " ("+string(s.Nodes[i].State)+"!)"
		}
		origin = "origin " + t.render(st, o+note)
	}
	line := func(note, origin, respPart string) string {
		parts := []string{head, t.render(vst, verdict)}
		if respPart == respShort && respPart != "" {
			parts = []string{head, respPart, t.render(vst, verdict)} // its counts before a verdict cut short
		}
		parts = append(parts, tail...)
		if respPart != "" && respPart != respShort {
			parts = append(parts, respPart)
		}
		if note != "" {
			parts = append(parts, t.render(stWarn, "△ "+note))
		}
		if origin != "" {
			parts = append(parts, origin)
		}
		return strings.Join(parts, "  ")
	}
	// The longest line that fits: the note in full, then only its head,
	// then without the origin (the members table marks it with *), then
	// with the RESP endpoint's counts in short, before the verdict.
	out := line(noteText(h.Note), origin, respFull)
	for _, alt := range []string{line(noteHead(h.Note), origin, respFull), line(noteHead(h.Note), "", respFull), line(noteHead(h.Note), "", respShort)} {
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

// respStatus is the status bar's part for the RESP endpoint: requests
// and error replies in the last second, and the errors since it started
// (short: the last second's only).
func (m *Model) respStatus(r *cluster.RESPStatus, short bool) string {
	t := m.theme
	out := "RESP " + t.render(stAlive, fmt.Sprintf("%d req/s", r.RequestsPerSec))
	switch {
	case r.ErrorsPerSec > 0 && short:
		out += " " + t.render(stDown, fmt.Sprintf("%d err/s", r.ErrorsPerSec))
	case r.ErrorsPerSec > 0:
		out += " " + t.render(stDown, fmt.Sprintf("%d err/s (%d in all)", r.ErrorsPerSec, r.Errors))
	case r.Errors > 0 && !short:
		out += " " + t.render(stDim, fmt.Sprintf("%d errors", r.Errors))
	}
	return out
}

// clipRunes cuts s to at most n runes, marking a cut with "…".
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
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
	sc := &ringScene{snap: &m.snap, ix: m.ix, selected: m.selected, origin: m.originName(),
		showKeys: m.showKeys, lookup: m.ringLookup(), arrows: m.arrows, marked: m.marked(),
		heat: m.heatMap(), heatGlyphs: m.opts.NoColor, hostColor: m.hostColors(), where: m.holders()}
	if n := m.selectedNode(); n != nil {
		sc.selHost = n.Host
	}
	for _, ch := range m.hl {
		sc.changed = append(sc.changed, ch)
	}
	slices.SortFunc(sc.changed, func(a, b cluster.PointerChange) int {
		return strings.Compare(a.String(), b.String()) // a fixed order, so drawing is deterministic
	})
	return sc
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
	if sc.arrows {
		more = append(more, t.render(stSucc, "⠒")+" successor (clockwise)", t.render(stDown, "✗!")+" broken")
	}
	if len(sc.changed) > 0 {
		more = append(more, t.render(stChanged, changeMark+"⠒")+" changed by the step")
	}
	if len(sc.marked) > 0 {
		more = append(more, t.render(stMarked, "⚠")+" violation")
	}
	for i := range m.snap.Nodes {
		if n := &m.snap.Nodes[i]; n.Delay > 0 || n.DropPercent > 0 {
			more = append(more, "~ delayed ↯ dropping")
			break
		}
	}
	if l := sc.lookup; l != nil {
		from := m.ix.name(chord.NodeRef{Addr: l.origin})
		if l.resp != "" {
			more = append(more, t.render(stPath, "RESP "+l.resp+" "+clipRunes(l.label, 20)))
		}
		if l.recursive {
			more = append(more, t.render(stPath, "1⠒2")+" calls, forwarded from "+from+" (hop 0)")
		} else {
			more = append(more, t.render(stPath, "1⠒2")+" calls of "+from+" (hop 0)")
		}
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
	if sc.heat != nil {
		more = append(more, m.heatLegend(sc.heatGlyphs))
	}
	if sc.selHost != "" {
		more = append(more, t.render(stSelected, string(hostMark))+" "+sc.selHost+"'s identities")
	}
	out := []string{joinFit(items, " ", w)}
	if len(more) > 0 {
		out = append(out, joinFit(more, "  ", w))
	}
	return append(out, m.whereCaption(w)...)
}

// membersTitle counts the members as the status bar does, and says where
// the selection is in ring order.
func (m *Model) membersTitle() string {
	var b strings.Builder
	b.WriteString("Members: ")
	for _, sg := range m.liveSegs() {
		b.WriteString(sg.s)
	}
	if len(m.order) > 0 && m.selected != "" {
		fmt.Fprintf(&b, " · row %d/%d", m.selectedPos()+1, len(m.order))
	}
	return b.String()
}

// membersTop is the first row shown so the selection stays visible.
func (m *Model) membersTop(rows int) int {
	sel := m.selectedPos()
	if rows <= 0 || len(m.order) <= rows {
		return 0
	}
	return min(max(0, sel-rows/2), len(m.order)-rows)
}

// memberCols says which of the members table's optional columns fit.
type memberCols struct {
	nameW, idW, ptrW, sideW, faultsW, listW int
	state, faults, addr, list               bool
}

// memberColumns fits the columns to w cells: the pointers and keys always,
// then the state, the faults, the address and (on a wide screen) the rest
// of each successor list, as room allows.
func (m *Model) memberColumns(w int) memberCols {
	c := memberCols{nameW: 4, idW: 2}
	for _, n := range m.snap.Nodes {
		c.nameW = max(c.nameW, len(n.Name)+1)
		c.idW = max(c.idW, len(n.ID.Label(m.snap.Bits)))
		c.faultsW = max(c.faultsW, len(strings.Join(memberFaults(&n), ", ")))
	}
	c.ptrW = c.nameW + 2 // a name, its mark and the step's Δ
	c.faultsW = min(max(c.faultsW, 6), 24)
	if m.snap.Health.Partitioned {
		c.sideW = 5
	}
	used := 3 + c.sideW + c.nameW + 1 + c.idW + 1 + 2*(c.ptrW+1) + 8
	add := func(n int) bool {
		if used+n <= w {
			used += n
			return true
		}
		return false
	}
	c.state = add(7)
	c.faults = add(c.faultsW + 1)
	c.addr = add(16)
	if r := max(1, m.snap.R); r > 1 {
		c.listW = (r - 1) * (c.ptrW + 1)
		c.list = w >= wideWidth/2+10 && add(c.listW+1)
	}
	return c
}

// memberFaults lists the faults on n for the FAULTS column: paused, delay
// 20ms, drop 30%, side B.
func memberFaults(n *cluster.NodeSnapshot) []string {
	var out []string
	if n.State == cluster.StatePaused {
		out = append(out, "paused")
	}
	if n.Delay > 0 {
		out = append(out, "delay "+shortDuration(n.Delay))
	}
	if n.DropPercent > 0 {
		out = append(out, fmt.Sprintf("drop %g%%", n.DropPercent))
	}
	if n.Partitioned {
		out = append(out, "side "+n.Side)
	}
	return out
}

// membersLines is the members table in ring order with wrong pointers
// marked: ✗ points at a node that is not alive, ! is not the ideal pointer
// (under a partition: not the ideal pointer of the node's side, which the
// SIDE column names), Δ changed by the last step; ⚠ before a node the
// selected violation names. The selected row has a bar across the table.
// Rows left over show a small ring's note.
func (m *Model) membersLines(in rect) []string {
	t := m.theme
	w := in.w
	h := m.snap.Health
	cols := m.memberColumns(w)
	sides := h.Partitioned
	col := func(s string, n int) string { return fit(s, n) + " " }
	head := "   "
	if sides {
		head += col("SIDE", cols.sideW-1)
	}
	head += col("NAME", cols.nameW) + col("ID", cols.idW)
	if cols.addr {
		head += col("ADDRESS", 15)
	}
	if cols.state {
		head += col("STATE", 6)
	}
	head += col("PRED", cols.ptrW) + col("SUCC", cols.ptrW) + col("KEYS o/r", 8)
	if cols.faults {
		head += col("FAULTS", cols.faultsW)
	}
	if cols.list {
		head += "SUCC LIST (rest)"
	}
	lines := []string{t.render(stBold, fit(head, w))}
	rows := in.h - 2
	top := m.membersTop(rows)
	marked := m.marked()
	for p := top; p < len(m.order) && p < top+rows; p++ {
		n := &m.snap.Nodes[m.order[p]]
		lines = append(lines, m.memberRow(n, cols, marked, w))
	}
	items := []string{t.render(stDim, "▶ selected"), t.render(stDim, "* origin"),
		t.render(stDown, "✗") + t.render(stDim, " target not alive"), t.render(stWarn, "!") + t.render(stDim, " not ideal")}
	sep := "  "
	if sides {
		items[2] = t.render(stDown, "✗") + t.render(stDim, " not alive")
		items[3] += t.render(stDim, " for its side")
		sep = " "
	}
	if len(m.hl) > 0 {
		items = append(items, t.render(stChanged, changeMark)+t.render(stDim, " changed by the step"))
	}
	if len(marked) > 0 {
		items = append(items, t.render(stMarked, "⚠")+t.render(stDim, " in the violation"))
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

// memberRow is one node's row of the members table, w cells wide.
func (m *Model) memberRow(n *cluster.NodeSnapshot, cols memberCols, marked map[string]bool, w int) string {
	var row labelText
	add := func(s string, st styleID) { row = append(row, seg{s, st}) }
	sym, st := marker(n.State)
	sel := " "
	if n.Name == m.selected {
		sel = "▶"
	}
	add(sel, stBold)
	add(string(sym), st)
	if marked[n.Name] {
		add("⚠", stMarked)
	} else {
		add(" ", stNone)
	}
	if cols.sideW > 0 {
		add(fit(n.Side, cols.sideW-1)+" ", sideStyle(n.Side))
	}
	name := n.Name
	if name == m.originName() {
		name += "*"
	}
	add(fit(name, cols.nameW)+" ", stNone)
	add(fit(n.ID.Label(m.snap.Bits), cols.idW)+" ", stNone)
	if cols.addr {
		add(fit(n.Addr, 15)+" ", stNone)
	}
	if cols.state {
		add(fit(string(n.State), 6)+" ", st)
	}
	running := n.State == cluster.StateAlive || n.State == cluster.StatePaused
	if running {
		pm, sm := m.ix.pointerMarks(n)
		m.pointerCell(&row, n.Name, cluster.PointerPredecessor, 0, n.Chord.Predecessor, pm, cols.ptrW)
		m.pointerCell(&row, n.Name, cluster.PointerSuccessor, 0, n.Chord.Successor(), sm, cols.ptrW)
		add(fit(fmt.Sprintf("%d/%d", n.Keys.Owned, n.Keys.Replicas), 8)+" ", stNone)
	} else {
		add(fit("—", cols.ptrW)+" "+fit("—", cols.ptrW)+" "+fit("—", 8)+" ", stDim)
	}
	if cols.faults {
		add(fit(strings.Join(memberFaults(n), ", "), cols.faultsW)+" ", stWarn)
	}
	if cols.list && running {
		_, is, ok := m.ix.ideal(n.Addr, max(n.Chord.R, 1))
		for j := 1; j < len(n.Chord.Successors); j++ {
			s := n.Chord.Successors[j]
			want := s
			if ok && j < len(is) {
				want = is[j]
			}
			k := m.ix.judge(s, want, ok && j < len(is))
			m.pointerCell(&row, n.Name, cluster.PointerSuccessor, j, s, k, cols.ptrW)
		}
	}
	t := m.theme
	if n.Name == m.selected { // a bar across the table, its marks kept as symbols
		return t.render(stReverse, fit(row.String(), w))
	}
	var b strings.Builder
	for _, sg := range row {
		b.WriteString(t.render(sg.st, sg.s))
	}
	return fit(b.String(), w)
}

// pointerCell adds one pointer to a row: its target's name with its mark
// (✗ not alive, ! not ideal) and Δ when the last step changed it.
func (m *Model) pointerCell(row *labelText, node string, kind cluster.PointerKind, index int, p chord.NodeRef, k mark, w int) {
	s := m.ix.name(p) + k.suffix()
	st := k.style()
	if m.changed(node, kind, index) {
		s += changeMark
		if st == stText {
			st = stChanged
		}
	}
	*row = append(*row, seg{fit(s, w) + " ", st})
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
	m.helpScroll = min(max(0, m.helpScroll), m.maxHelpScroll())
	if m.output != nil {
		m.output.scroll = min(max(0, m.output.scroll), m.maxOutputScroll())
	}
	if m.width < MinWidth || m.height < MinHeight || !m.haveSnap {
		return
	}
	if !m.storyActive() && m.focus == paneStory {
		m.focus = paneMembers
	}
	lay := m.layout()
	in := computeLayout(m.width, m.height).detail.inner()
	if lay.detail.w > 0 {
		in = lay.detail.inner()
	}
	_, lines := m.detailContent(in.w, in.h)
	m.detailScroll = min(max(0, m.detailScroll), max(0, len(lines)-in.h))
	if m.showViolations {
		m.violSel = min(max(0, m.violSel), max(0, len(m.violations())-1))
	}
	if lay.story.w > 0 {
		st := lay.story.inner()
		story, _ := m.storyContent(st.w)
		m.storyScroll = min(max(0, m.storyScroll), max(0, len(story)-st.h))
	}
	lg := lay.log.inner()
	if lay.log.w == 0 {
		lg = computeLayout(m.width, m.height).log.inner()
	}
	m.clampLog(lg.w, lg.h)
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
	first := t.render(st, string(sym)+" "+string(n.State)) + "  id " + n.ID.Label(m.snap.Bits) + "  " + n.Addr
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
	lines = append(lines, "pred   "+m.pointerText(n.Name, cluster.PointerPredecessor, 0, ix.name(n.Chord.Predecessor), pm)+m.idealNote(pm, ix.name(ip)))
	var succ []string
	for j, s := range n.Chord.Successors {
		var want = s
		ok := hasIdeal && j < len(is)
		if ok {
			want = is[j]
		}
		k := ix.judge(s, want, ok)
		succ = append(succ, m.pointerText(n.Name, cluster.PointerSuccessor, j, ix.name(s), k))
	}
	if len(succ) == 0 {
		succ = []string{t.render(stDown, "empty!")}
	}
	lines = append(lines, "succ   "+strings.Join(succ, " "))
	if m.fingerTable() {
		lines = append(lines, m.paperFingerLines(n)...)
	} else {
		lines = append(lines, "fingers  k → node   (c: the table)")
		for _, r := range ix.collapseFingers(n) {
			target := ix.name(r.Node)
			if !r.Node.IsZero() && !namedByID(ix.byAddr[r.Node.Addr], m.snap.Bits) {
				target += " " + r.Node.ID.Label(m.snap.Bits)
			}
			target += r.Wrong.suffix()
			st := r.Wrong.style()
			for k := r.From; k <= r.To; k++ {
				if m.changed(n.Name, cluster.PointerFinger, k) {
					target += changeMark
					if st == stText {
						st = stChanged
					}
					break
				}
			}
			lines = append(lines, fmt.Sprintf("  %-9s → ", r.span())+t.render(st, target))
		}
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

// pointerText is a pointer of the node pane: its target's name, its mark
// (✗ not alive, ! not ideal) and Δ when the last step changed it.
func (m *Model) pointerText(node string, kind cluster.PointerKind, index int, name string, k mark) string {
	st := k.style()
	s := name + k.suffix()
	if m.changed(node, kind, index) {
		s += changeMark
		if st == stText {
			st = stChanged
		}
	}
	return m.theme.render(st, s)
}

// fingerTable reports whether the node pane shows the finger table as the
// paper draws it (the default when m ≤ 10, as the REPL's node does; c
// switches), else collapsed to runs.
func (m *Model) fingerTable() bool {
	return (m.snap.Bits <= chord.DecimalBits) != m.fingersFlipped
}

// paperFingerLines is n's finger table as the paper draws it: finger k,
// its start n + 2^(k−1) mod 2^m, the interval it covers up to the next
// start, and the node it points at, ✗ when that is not the first live node
// at or after the start (red when it is not alive), Δ when the last step
// changed it.
func (m *Model) paperFingerLines(n *cluster.NodeSnapshot) []string {
	t := m.theme
	table := m.snap.FingerTable(n.Name)
	startW, ivW := len("start"), len("interval")
	for _, e := range table {
		startW = max(startW, len(e.StartText()))
		ivW = max(ivW, len(e.Interval()))
	}
	out := []string{t.render(stBold, fmt.Sprintf("  k  %*s  %-*s  successor", startW, "start", ivW, "interval")) +
		t.render(stDim, "  (m = "+strconv.Itoa(m.snap.Bits)+"; c: runs)")}
	for _, e := range table {
		target, st := e.Node.String(), stText
		if !e.Right && !e.Node.IsZero() {
			target += "✗"
			st = stWarn
			if x := m.ix.byAddr[e.Node.Addr]; x == nil || x.State != cluster.StateAlive {
				st = stDown
			}
		}
		if m.changed(n.Name, cluster.PointerFinger, e.K) {
			target += changeMark
			if st == stText {
				st = stChanged
			}
		}
		out = append(out, fmt.Sprintf("%3d  %*s  %-*s  ", e.K, startW, e.StartText(), ivW, e.Interval())+t.render(st, target))
	}
	return out
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
	lines := []string{fmt.Sprintf("key %s → id %s  (esc closes)", cluster.QuoteKey(lr.Key), lr.ID.Label())}
	nameW := len(lr.Via)
	for _, h := range lr.Path {
		nameW = max(nameW, len(h.Node))
	}
	switch {
	case lr.Via != "" && lr.Recursive:
		lines = append(lines, t.render(stPath, " 0")+"  "+fit(lr.Via, nameW)+" origin: forwards the lookup, as does each node after it")
	case lr.Via != "":
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
		if h.Cached { // a hop answered the get from its cache
			mark, what = "⚡", "step answered from its cache"
		}
		switch {
		case h.From != "" && h.Via != "" && lr.Recursive:
			what += ", called by " + h.From + " via its " + h.Via
		case h.From != "" && h.Via != "":
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

// messageLine is the prompt when one is open, else the last result.
func (m *Model) messageLine() string {
	t := m.theme
	switch m.mode {
	case modeCommand:
		return fit(t.render(stBold, ":")+m.editor.view(t)+"  "+t.render(stDim, m.message), m.width)
	case modeFind:
		return fit(t.render(stBold, "find node (name or ID): ")+m.editor.view(t)+"  "+t.render(m.messageStyle, m.message), m.width)
	case modeSearch:
		return fit(t.render(stBold, "search the events: /")+m.editor.view(t)+"  "+t.render(stDim, fmt.Sprintf("%d lines match", len(m.visibleLog()))), m.width)
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
	if w := m.snap.Workload; w != nil {
		line := t.render(stBold, "▶ "+command.WorkloadProgressText(*w)) + t.render(stDim, " (W stops it)")
		if !strings.HasPrefix(msg, "… workload") && msg != "" {
			line += "  " + t.render(m.messageStyle, msg)
		}
		return fit(line, m.width)
	}
	return fit(t.render(m.messageStyle, msg), m.width)
}

// hintBar is the one-line key summary, drawn by bubbles' help from the key
// map: the mode's tail keys (? help, q quit) always show, the others as
// room allows, and disabled keys never.
func (m *Model) hintBar() string {
	head, tail := m.keys.hints(m.mode, hintState{lesson: m.lesson != nil, lookup: m.lookup != nil,
		paused: m.snap.MaintenancePaused, log: m.focus == paneLog, load: m.showLoad, workload: m.snap.Workload != nil})
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
			t.render(stSideA, "A:")+t.render(stSideB, "B:")+" side of a partition (B: the nodes named)",
		"  "+t.render(stSucc, "⠒")+" a successor pointer, clockwise inside the ring (w); "+t.render(stDown, "✗ !")+" on it: broken",
		"  "+t.render(stChanged, changeMark)+" a pointer the last step changed  "+t.render(stMarked, "⚠")+" a node the selected violation names",
		"  ~20ms a delayed node  ↯30% a node dropping messages  ▸ a burst of pointer changes in the log (enter opens it)",
		"  "+m.heatLegend(true)+" (L): a live node's load in means of all live nodes'; coloured ● with colour")
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
	head, tail := m.keys.hints(modeHelp, hintState{})
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
