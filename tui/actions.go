package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// onKey handles a key press in the current mode, as the key map says.
func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	m.syncKeys() // judge the key against the state as it is now
	if m.keys.Interrupt.matches(msg) {
		return m.quit()
	}
	switch m.mode {
	case modeHelp:
		m.onHelpKey(msg)
		return nil
	case modeOutput:
		if m.lesson != nil && m.keys.Lesson.matches(msg) { // the lesson goes on past its output
			m.mode = modeNormal
			return m.lessonNext()
		}
		m.onOutputKey(msg)
		return nil
	case modeCommand, modeKey:
		return m.onPromptKey(msg)
	case modeFind, modeSearch:
		m.onFindKey(msg)
		return nil
	}
	if m.starting != nil {
		if m.keys.Quit.matches(msg) {
			return m.quit()
		}
		return nil
	}
	return m.onMainKey(msg)
}

// onMainKey handles a key on the main screen.
func (m *Model) onMainKey(msg tea.KeyPressMsg) tea.Cmd {
	km := &m.keys
	switch {
	case km.Quit.matches(msg):
		return m.quit()
	case km.Help.matches(msg):
		m.mode, m.helpScroll = modeHelp, 0
	case km.Back.matches(msg):
		m.back()
	case km.NextPane.matches(msg):
		m.cycleFocus(1)
	case km.PrevPane.matches(msg):
		m.cycleFocus(-1)
	case km.Up.matches(msg):
		m.move(-1)
	case km.Down.matches(msg):
		m.move(1)
	case km.PageUp.matches(msg):
		m.move(-10)
	case km.PageDown.matches(msg):
		m.move(10)
	case km.Top.matches(msg):
		m.move(-1 << 20)
	case km.Bottom.matches(msg):
		m.move(1 << 20)
	case km.Lesson.matches(msg):
		return m.lessonNext()
	case km.Expand.matches(msg):
		return m.expand()
	case km.Origin.matches(msg):
		m.chooseOrigin()
	case km.Find.matches(msg):
		m.openFind()
	case km.Random.matches(msg):
		return m.randomOrigin()
	case km.Get.matches(msg):
		m.openKeyPrompt("get")
	case km.Set.matches(msg):
		m.openKeyPrompt("set")
	case km.Del.matches(msg):
		m.openKeyPrompt("del")
	case km.NextHop.matches(msg):
		m.stepHop(1)
	case km.PrevHop.matches(msg):
		m.stepHop(-1)
	case km.Replay.matches(msg):
		return m.replay()
	case km.Faster.matches(msg):
		m.setHopDelay(-1)
	case km.Slower.matches(msg):
		m.setHopDelay(1)
	case km.Command.matches(msg):
		m.mode = modeCommand
		m.editor.reset()
	case km.Kill.matches(msg):
		return m.nodeAction("kill")
	case km.Revive.matches(msg):
		return m.nodeAction("revive")
	case km.Leave.matches(msg):
		return m.nodeAction("leave")
	case km.Pause.matches(msg):
		return m.nodeAction("pause")
	case km.Add.matches(msg):
		return m.addNode()
	case km.Maintenance.matches(msg):
		return m.toggleMaintenance()
	case km.Stabilize.matches(msg):
		return m.stepCmd(stepKeyTasks[0])
	case km.FixFingers.matches(msg):
		return m.stepCmd(stepKeyTasks[1])
	case km.CheckPred.matches(msg):
		return m.stepCmd(stepKeyTasks[2])
	case km.Repair.matches(msg):
		return m.stepCmd(stepKeyTasks[3])
	case km.Step.matches(msg):
		return m.stepCmd("")
	case km.StepTarget.matches(msg):
		m.stepEvery = !m.stepEvery
		m.setMessage("the step keys now act on "+m.targetWords(), stText)
	case km.Fingers.matches(msg):
		m.fingersFlipped = !m.fingersFlipped
	case km.Arrows.matches(msg):
		m.arrows = !m.arrows
	case km.Violations.matches(msg):
		m.toggleViolations()
	case km.Output.matches(msg):
		m.mode = modeOutput
	case km.Ticks.matches(msg):
		m.showKeys = !m.showKeys
	case km.Load.matches(msg):
		m.toggleLoad()
	case km.Heat.matches(msg):
		m.nextMetric()
	case km.StopWork.matches(msg):
		return m.runLine("workload stop", fromKey)
	case km.LookupEvents.matches(msg):
		m.showLookups = !m.showLookups
		m.logSel = 0
	case km.Mine.matches(msg):
		if m.logNode != "" {
			m.logNode = ""
		} else {
			m.logNode = m.selected
		}
		m.logSel = 0
	default:
		for _, b := range km.main() {
			if b.owns(msg) && !b.Enabled() {
				m.setMessage(keyNames(b.Keys())+": "+b.why, stWarn)
				break
			}
		}
	}
	return nil
}

// targetWords names the step target: "N51" or "every live node".
func (m *Model) targetWords() string {
	if t := m.stepTarget(); t != "" {
		return t
	}
	return "every live node"
}

// onHelpKey scrolls or closes the help screen.
func (m *Model) onHelpKey(msg tea.KeyPressMsg) {
	km := &m.keys
	switch {
	case km.CloseHelp.matches(msg):
		m.mode = modeNormal
	case km.HelpDown.matches(msg):
		m.helpScroll += scrollStep(msg, m.helpRows())
	case km.HelpUp.matches(msg):
		m.helpScroll = max(0, m.helpScroll-scrollStep(msg, m.helpRows()))
	}
}

// scrollStep is how far a scroll key moves a view of rows lines: a page
// (less one line, kept for context) for pgdown, pgup and space, else one.
func scrollStep(msg tea.KeyPressMsg, rows int) int {
	switch msg.String() {
	case "pgdown", "pgup", "space":
		return max(1, rows-1)
	}
	return 1
}

// visiblePanes lists the panes tab moves between, in order.
func (m *Model) visiblePanes() []pane {
	if m.storyActive() {
		return []pane{paneMembers, paneDetail, paneStory, paneLog}
	}
	return []pane{paneMembers, paneDetail, paneLog}
}

// cycleFocus focuses the next (d = 1) or previous (d = -1) pane.
func (m *Model) cycleFocus(d int) {
	ps := m.visiblePanes()
	cur := 0
	for i, p := range ps {
		if p == m.focus {
			cur = i
		}
	}
	m.focus = ps[(cur+d+len(ps))%len(ps)]
}

// back closes the lookup being shown, else the violations, else the
// lesson, else the step's caption, else returns to the members pane, else
// clears the message line.
func (m *Model) back() {
	switch {
	case m.lookup != nil:
		m.lookup = nil
		m.detailScroll = 0
	case m.where != nil:
		m.where = nil
	case m.showViolations:
		m.showViolations = false
	case m.lesson != nil:
		ls := m.lesson
		if !ls.finished {
			m.setMessage(fmt.Sprintf("lesson %s closed at step %d of %d", lessonName(ls.l), ls.next, len(ls.l.Steps)), stText)
		}
		m.lesson, m.step, m.hl = nil, nil, nil
	case m.step != nil:
		m.step, m.hl = nil, nil
	case m.logQuery != "" && m.focus == paneLog:
		m.logQuery = ""
	case m.focus != paneMembers:
		m.focus = paneMembers
	default:
		m.setMessage("", stNone)
	}
	if !m.storyActive() && m.focus == paneStory {
		m.focus = paneMembers
	}
	m.storyScroll = 0
}

// expand opens the log row under the cursor, or goes on with the lesson
// when its caption has the focus.
func (m *Model) expand() tea.Cmd {
	switch m.focus {
	case paneLog:
		m.toggleLogRow()
	case paneStory:
		if m.lesson != nil && !m.showViolations {
			return m.lessonNext()
		}
	}
	return nil
}

// chooseOrigin makes the selected node the origin of get/set/del.
func (m *Model) chooseOrigin() {
	n := m.selectedNode()
	if n == nil {
		return
	}
	m.origin = n.Name
	m.focus = paneDetail
	m.detailScroll = 0
	if n.State != cluster.StateAlive {
		m.setMessage(n.Name+" is "+string(n.State)+": lookups will use "+m.snap.Origin+" until it is alive", stWarn)
	} else {
		m.setMessage("origin is now "+n.Name, stText)
	}
}

// randomOrigin asks the cluster for a random live origin.
func (m *Model) randomOrigin() tea.Cmd {
	m.origin = ""
	c := m.c
	return m.callCmd("random", func(context.Context) command.Result {
		name, err := c.PickOrigin()
		return command.Done("random", command.Origin{Origin: name, Changed: true}, err)
	})
}

// openKeyPrompt opens the prompt for get, set or del.
func (m *Model) openKeyPrompt(op string) {
	m.mode, m.keyCmd = modeKey, op
	m.editor.reset()
}

// addNode adds one node to the ring.
func (m *Model) addNode() tea.Cmd {
	c := m.c
	return m.callCmd("add", func(ctx context.Context) command.Result {
		names, err := c.Add(ctx, 1)
		var data any
		if len(names) > 0 {
			data = command.NodeList{Nodes: names}
		}
		return command.Done("add", data, err)
	})
}

// toggleMaintenance pauses maintenance on every node, or resumes it, as
// the command does (an attached program's is refused: it runs no node).
func (m *Model) toggleMaintenance() tea.Cmd {
	c := m.c
	line := "maintenance pause"
	if m.snap.MaintenancePaused {
		line = "maintenance resume"
	}
	return m.callCmd(line, func(ctx context.Context) command.Result { return c.Exec(ctx, line) })
}

// stepHop shows one call more (d = 1) or fewer (d = -1) of the lookup, by
// hand: the animation stops.
func (m *Model) stepHop(d int) {
	l := m.lookup
	if l == nil {
		return
	}
	l.manual = true
	l.shown = min(max(0, l.shown+d), len(l.res.Lookup.Path))
	m.setMessage(fmt.Sprintf("lookup %s: hop %d of %d (. next, , back, R replays)", l.res.Lookup.Key, l.shown, len(l.res.Lookup.Path)), stPath)
	if l.done() {
		if l.reported { // the outcome again, in the message line only
			if l.res.OK {
				m.setMessage("✓ "+l.line+": "+firstLine(strings.TrimSpace(l.res.Text)), stOK)
			} else if l.res.Err != nil {
				m.setMessage("✗ "+withCommand(l.line, firstLine(l.res.Err.Error())), stDown)
			}
			return
		}
		m.reportLookup()
	}
}

// replay shows the lookup again from hop 0, one call per hop delay.
func (m *Model) replay() tea.Cmd {
	l := m.lookup
	if l == nil {
		return nil
	}
	m.lookupSeq++
	l.seq, l.shown, l.manual = m.lookupSeq, 0, false
	m.setMessage(fmt.Sprintf("replaying %s, %v a hop (- faster, + slower)", l.line, m.hopDelay), stPath)
	return m.hopCmd(l.seq)
}

// hopDelays are the hop delays - and + step through.
var hopDelays = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond,
	400 * time.Millisecond, 700 * time.Millisecond, time.Second, 1500 * time.Millisecond, 2 * time.Second,
	3 * time.Second, 5 * time.Second}

// setHopDelay moves the hop delay one notch shorter (d < 0) or longer.
func (m *Model) setHopDelay(d int) {
	i := 0
	for i < len(hopDelays) && hopDelays[i] < m.hopDelay {
		i++
	}
	switch {
	case d < 0:
		i--
	case i < len(hopDelays) && hopDelays[i] == m.hopDelay:
		i++
	}
	m.hopDelay = hopDelays[min(max(0, i), len(hopDelays)-1)]
	m.setMessage(fmt.Sprintf("hop delay %v (- faster, + slower)", m.hopDelay), stText)
}

// onPromptKey edits and submits the ":" or get/set/del prompt.
func (m *Model) onPromptKey(msg tea.KeyPressMsg) tea.Cmd {
	km := &m.keys
	switch {
	case km.Cancel.matches(msg):
		m.mode = modeNormal
		m.setMessage("", stNone)
	case km.Run.matches(msg):
		line := strings.TrimSpace(m.editor.value())
		md := m.mode
		m.mode = modeNormal
		m.setMessage("", stNone)
		if line == "" {
			return nil
		}
		if md == modeKey {
			return m.keyOp(m.keyCmd, line, m.viaName())
		}
		m.editor.remember(line)
		return m.runLine(line, fromPrompt)
	case km.Complete.matches(msg):
		m.complete()
	case km.Complete.owns(msg):
		// Completion is for the ":" prompt only; a tab is never typed.
	default:
		m.editor.key(msg, &km.Edit)
	}
	return nil
}

// openFind opens "/": in the members pane it jumps to a node as its name
// or ID is typed; in the event log it shows only the matching lines.
func (m *Model) openFind() {
	m.editor.reset()
	if m.focus == paneLog {
		m.mode = modeSearch
		m.editor.set(m.logQuery)
		return
	}
	m.mode, m.findFrom = modeFind, m.selected
	m.focus = paneMembers
}

// onFindKey edits the "/" prompt, following it as it is typed: enter keeps
// the result, esc goes back to what was there before.
func (m *Model) onFindKey(msg tea.KeyPressMsg) {
	km := &m.keys
	switch {
	case km.Cancel.matches(msg):
		if m.mode == modeFind {
			m.selected = m.findFrom
		} else {
			m.logQuery = ""
		}
		m.mode = modeNormal
		m.setMessage("", stNone)
		return
	case km.Run.matches(msg):
		if m.mode == modeFind {
			if _, ok := m.findNode(strings.TrimSpace(m.editor.value())); ok {
				m.setMessage("", stNone)
			} // else "no node matches …" stays: enter found nothing
		}
		m.mode = modeNormal
		return
	case km.Complete.owns(msg):
		return
	}
	m.editor.key(msg, &km.Edit)
	m.followFind()
}

// onPaste types text a terminal pasted (bracketed paste) into the open
// prompt, as one line: a newline or other control character becomes a
// space, and the blanks a copied line ends with are dropped. With no
// prompt open it is dropped, as keys would not type it anywhere.
func (m *Model) onPaste(text string) {
	switch m.mode {
	case modeCommand, modeKey, modeFind, modeSearch:
	default:
		return
	}
	text = strings.TrimRightFunc(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, text), unicode.IsSpace)
	m.editor.insert(text)
	if m.mode == modeFind || m.mode == modeSearch {
		m.followFind()
	}
}

// followFind follows the "/" prompt's text as it is typed: the node it
// names, or the log lines it matches.
func (m *Model) followFind() {
	q := strings.TrimSpace(m.editor.value())
	if m.mode == modeSearch {
		m.logQuery, m.logSel = q, 0
		return
	}
	if name, ok := m.findNode(q); ok {
		m.selected = name
		m.setMessage("", stNone)
	} else if q != "" {
		m.setMessage("no node matches "+q, stWarn)
	}
}

// findNode returns the node that q names best: its name (any case) or
// identifier, else the first in ring order whose name or identifier
// starts with q.
func (m *Model) findNode(q string) (string, bool) {
	if q == "" {
		return "", false
	}
	lq := strings.ToLower(q)
	for _, i := range m.order {
		n := &m.snap.Nodes[i]
		if strings.ToLower(n.Name) == lq || n.ID.Label(m.snap.Bits) == lq {
			return n.Name, true
		}
	}
	for _, i := range m.order {
		n := &m.snap.Nodes[i]
		if strings.HasPrefix(strings.ToLower(n.Name), lq) || strings.HasPrefix(n.ID.Label(m.snap.Bits), lq) {
			return n.Name, true
		}
	}
	return "", false
}

// complete completes the ":" prompt's last word and lists the candidates.
func (m *Model) complete() {
	names := make([]string, 0, len(m.snap.Nodes))
	for _, n := range m.snap.Nodes {
		names = append(names, n.Name)
	}
	if cands := m.editor.complete(command.Complete(m.editor.value(), names)); len(cands) > 0 {
		m.setMessage(strings.Join(cands, "  "), stDim)
	} else {
		m.setMessage("", stNone)
	}
}

// syncKeys enables, disables and words the key map after the state has
// changed, so the hint bar offers only keys that do something and says
// what they do now.
func (m *Model) syncKeys() {
	km := &m.keys
	n := m.selectedNode()
	switch {
	case m.focus == paneMembers || m.focus == paneStory && m.showViolations:
		km.Up.word("select")
	case m.focus == paneLog:
		km.Up.word("move")
	default:
		km.Up.word("scroll")
	}
	km.Origin.set(n != nil && m.focus == paneMembers, "the origin is chosen in the members pane (esc goes back to it)")
	km.Random.set(m.haveSnap, "no snapshot of the ring yet")
	for _, b := range []*binding{&km.Get, &km.Set, &km.Del} {
		b.set(m.haveSnap && m.originName() != "", "no origin to run it through yet")
	}
	if n == nil {
		for _, b := range []*binding{&km.Kill, &km.Revive, &km.Leave, &km.Pause} {
			b.set(false, "no node selected")
		}
	} else {
		st := n.State
		is := n.Name + " " + stateWords(st)
		km.Kill.set(st == cluster.StateAlive || st == cluster.StatePaused, is+" — v revives it")
		km.Revive.set(st == cluster.StateDown || st == cluster.StateLeft, is+": only a down or left node can be revived")
		km.Leave.set(st == cluster.StateAlive, is+": only a live node can leave gracefully")
		if n.Remote {
			// Started elsewhere: only its own process can bring it back or leave.
			if st == cluster.StateDown || st == cluster.StateLeft {
				km.Revive.set(false, n.Name+" runs elsewhere: start its process again to bring it back")
			}
			km.Leave.set(false, n.Name+" runs elsewhere: SIGTERM its process to make it leave")
		}
		km.Pause.set(st == cluster.StateAlive || st == cluster.StatePaused, is+": only a live node can be paused")
	}
	if n != nil && n.State == cluster.StatePaused {
		km.Pause.word("resume")
	} else {
		km.Pause.word("pause")
	}
	if m.snap.MaintenancePaused {
		km.Maintenance.word("resume maint.")
	} else {
		km.Maintenance.word("pause maint.")
	}
	m.syncStepKeys(n)
	lookup := m.lookup != nil
	for _, b := range []*binding{&km.NextHop, &km.PrevHop, &km.Replay} {
		b.set(lookup, "no lookup shown (g, s, d or :lookup runs one)")
	}
	km.Faster.word(fmt.Sprintf("hop %v", m.hopDelay))
	switch {
	case m.lesson == nil:
		km.Lesson.set(false, "no lesson loaded (--script FILE, or :source FILE)")
	case m.lesson.next >= len(m.lesson.l.Steps) && !m.lesson.running:
		km.Lesson.set(false, "the lesson has finished — esc closes it")
	default:
		km.Lesson.set(true, "")
	}
	km.Expand.set(m.focus == paneLog || m.focus == paneStory && m.lesson != nil && !m.showViolations,
		"enter opens an event-log line (tab to the log)")
	if m.fingerTable() {
		km.Fingers.word("runs")
	} else {
		km.Fingers.word("table")
	}
	km.Output.set(m.output != nil, "no long output yet")
	km.Heat.set(m.showLoad, "the heat shows with the Load pane (L)")
	km.StopWork.set(m.snap.Workload != nil, "no workload is running (:workload starts one)")
	if m.showLoad {
		km.Load.word("members")
		km.Heat.word("heat: " + ((m.loadMetric + 1) % metricCount).String())
	} else {
		km.Load.word("load")
	}
	km.Mine.set(m.logNode != "" || m.selected != "", "no node selected")
	if m.logNode != "" {
		km.Mine.word("all events")
	} else {
		km.Mine.word(m.selected + "'s events")
	}
	prompt := m.mode == modeCommand
	km.Complete.set(prompt, "completion is for the \":\" prompt")
	km.Edit.HistoryPrev.set(prompt, "history is for the \":\" prompt")
	km.Edit.HistoryNext.set(prompt, "history is for the \":\" prompt")
}

// syncStepKeys words the step keys after their target, and disables them
// when the target cannot run a round.
func (m *Model) syncStepKeys(n *cluster.NodeSnapshot) {
	km := &m.keys
	why := ""
	switch {
	case !m.haveSnap:
		why = "no snapshot of the ring yet"
	case m.stepEvery && m.snap.Health.Live == 0:
		why = "no live node to step — revive NODE or add starts a new ring"
	case !m.stepEvery && n == nil:
		why = "no node selected (e steps every node)"
	case !m.stepEvery && n.State != cluster.StateAlive:
		why = n.Name + " " + stateWords(n.State) + ": only a live node runs maintenance (e steps every node)"
	}
	for _, b := range []*binding{&km.Stabilize, &km.FixFingers, &km.CheckPred, &km.Repair, &km.Step} {
		b.set(why == "", why)
	}
	km.Stabilize.word("step " + m.targetWords())
	if m.stepEvery {
		km.StepTarget.word("→ " + m.selected + " only")
	} else {
		km.StepTarget.word("→ every node")
	}
	km.StepTarget.set(m.haveSnap, "no snapshot of the ring yet")
}

// stateWords says a node's state after its name: "is down", "has left".
func stateWords(s cluster.State) string {
	if s == cluster.StateLeft {
		return "has left"
	}
	return "is " + string(s)
}

// move moves the selection, or scrolls the focused pane.
func (m *Model) move(d int) {
	switch m.focus {
	case paneMembers:
		if len(m.order) == 0 {
			return
		}
		cur := m.selectedPos()
		cur = min(max(cur+d, 0), len(m.order)-1)
		m.selected = m.snap.Nodes[m.order[cur]].Name
	default:
		m.scroll(d)
	}
}

// selectedPos is the selected node's place in ring order (0 when none).
func (m *Model) selectedPos() int {
	for p, i := range m.order {
		if m.snap.Nodes[i].Name == m.selected {
			return p
		}
	}
	return 0
}

// scroll scrolls the focused pane: the detail pane, the story pane (or
// moves its selected violation), or the log's cursor (positive: towards
// newer or lower lines).
func (m *Model) scroll(d int) {
	switch m.focus {
	case paneDetail:
		m.detailScroll = max(0, m.detailScroll+d)
	case paneStory:
		if m.showViolations {
			m.violSel = min(max(0, m.violSel+d), max(0, len(m.violations())-1))
		} else {
			m.storyScroll = max(0, m.storyScroll+d)
		}
	case paneLog:
		m.moveLog(d)
	default:
		m.move(d)
	}
}

// onClick selects the node under a click on the ring or the members table.
func (m *Model) onClick(ms tea.Mouse) {
	lay := m.layout()
	switch {
	case lay.ring.contains(ms.X, ms.Y):
		in := lay.ring.inner()
		if name, ok := nodeAtCell(&m.snap, in.w, m.ringHeight(in), ms.X-in.x, ms.Y-in.y); ok {
			m.selected = name
			m.focus = paneMembers
		}
	case lay.members.contains(ms.X, ms.Y):
		in := lay.members.inner()
		row := ms.Y - in.y - 1 // first line is the header
		top := m.membersTop(in.h - 2)
		if p := top + row; row >= 0 && p < len(m.order) {
			m.selected = m.snap.Nodes[m.order[p]].Name
			m.focus = paneMembers
		}
	case lay.detail.contains(ms.X, ms.Y):
		m.focus = paneDetail
	case lay.story.contains(ms.X, ms.Y):
		m.focus = paneStory
	case lay.log.contains(ms.X, ms.Y):
		m.focus = paneLog
	}
}

// ringLookup is the shown part of the lookup for the ring: the origin
// (hop 0), then each call revealed so far, drawn from the node whose entry
// named it (the origin when that node is unknown). With none shown, it is
// the newest lookup of a RESP client's command, while the nodes' lookups
// are shown (f).
func (m *Model) ringLookup() *ringLookup {
	l := m.lookup
	if l == nil {
		return m.respRingLookup()
	}
	lr := l.res.Lookup
	return m.ringPath(&ringLookup{origin: l.origin, key: lr.ID.ID, label: lr.Key, recursive: lr.Recursive}, lr.Path[:min(l.shown, len(lr.Path))])
}

// respLookupShown is how long after it ran a RESP client's lookup stays
// on the ring (snapshots are taken every refresh; a busy endpoint replaces
// it at each).
const respLookupShown = 3 * time.Second

// respRingLookup is the newest lookup a RESP command made, whole, when
// the nodes' lookups are shown and it ran less than respLookupShown
// before the snapshot; nil otherwise.
func (m *Model) respRingLookup() *ringLookup {
	r := m.snap.RESP
	if !m.showLookups || r == nil || r.LastLookup == nil || m.snap.Taken.Sub(r.LastLookup.At) > respLookupShown {
		return nil
	}
	lr := &r.LastLookup.Lookup
	out := &ringLookup{key: lr.ID.ID, label: printableKey(lr.Key), resp: r.LastLookup.Op}
	if i := m.nodeIndex(lr.Via); i >= 0 {
		out.origin = m.snap.Nodes[i].Addr
	}
	return m.ringPath(out, lr.Path)
}

// ringPath adds path's calls to l, numbered from 1.
func (m *Model) ringPath(l *ringLookup, path []cluster.Hop) *ringLookup {
	for i, h := range path {
		from := l.origin
		if j := m.nodeIndex(h.From); j >= 0 {
			from = m.snap.Nodes[j].Addr
		}
		l.hops = append(l.hops, ringHop{from: from, to: h.Addr, num: i + 1, failed: !h.Answered()})
	}
	return l
}

// printableKey is a client's key as the screen can show it: quoted when
// it holds bytes that are not printable text.
func printableKey(k string) string {
	for _, r := range k {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return strconv.Quote(k)
		}
	}
	return k
}
