package tui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// Step mode: the keys 1–4 run one round of one maintenance task, n one
// round of every task, on the step target (the selected node, or every
// live node: e switches). The round's report (cluster.StepReport) is told
// in the caption pane, and every pointer it changed is highlighted on the
// ring and in the tables until the next step.

// stepView is the last step shown: the command line that ran it and its
// report.
type stepView struct {
	line      string
	rep       cluster.StepReport
	err       error
	snapAfter int // the first snapshot asked for after the step had run
}

// stepKeyTasks maps the step keys to their tasks, in key order.
var stepKeyTasks = []string{cluster.TaskStabilize, cluster.TaskFixFingers, cluster.TaskCheckPredecessor, cluster.TaskRepair}

// stepTarget is the node the step keys act on: the selected node, or ""
// for every live node.
func (m *Model) stepTarget() string {
	if m.stepEvery {
		return ""
	}
	return m.selected
}

// stepLine spells a step as the command language does: "step stabilize
// N51", "step fix_fingers", "step N8", "step".
func stepLine(task, node string) string {
	line := "step"
	if task != "" && task != cluster.TaskAll {
		line += " " + task
	}
	if node != "" {
		line += " " + node
	}
	return line
}

// stepCmd runs one round of task ("" or cluster.TaskAll: every task) on
// the step target.
func (m *Model) stepCmd(task string) tea.Cmd {
	node := m.stepTarget()
	c := m.c
	return m.callCmd(stepLine(task, node), func(ctx context.Context) command.Result {
		rep, err := c.Step(ctx, task, node)
		return command.Done("step", rep, err)
	})
}

// changeKey names one pointer of one node: its predecessor, successor-list
// entry index (0: the successor) or finger index (1..m).
type changeKey struct {
	node  string
	kind  cluster.PointerKind
	index int
}

func keyOf(ch cluster.PointerChange) changeKey {
	return changeKey{ch.Node.Name, ch.Kind, ch.Index}
}

// setHighlights recomputes which pointers the screen highlights: those
// the last step changed that still hold the value the step gave them in
// the snapshot shown (a pointer changed since is no longer the step's).
// Until a snapshot taken after the step arrives, nothing is judged.
func (m *Model) setHighlights() {
	m.hl, m.hlPending = nil, false
	if m.step == nil {
		return
	}
	if m.snapSeq < m.step.snapAfter {
		m.hlPending = true
		return
	}
	for _, ch := range m.step.rep.Changes {
		i := m.nodeIndex(ch.Node.Name)
		if i < 0 || m.snap.Nodes[i].Addr != ch.Node.Addr {
			continue
		}
		if current(&m.snap.Nodes[i], ch.Kind, ch.Index) != ch.New.Addr {
			continue
		}
		if m.hl == nil {
			m.hl = map[changeKey]cluster.PointerChange{}
		}
		m.hl[keyOf(ch)] = ch
	}
}

// current is the address a node's pointer of kind and index holds in the
// snapshot ("" for nil or no such entry).
func current(n *cluster.NodeSnapshot, kind cluster.PointerKind, index int) string {
	st := &n.Chord
	switch kind {
	case cluster.PointerPredecessor:
		return st.Predecessor.Addr
	case cluster.PointerSuccessor:
		if index >= 0 && index < len(st.Successors) {
			return st.Successors[index].Addr
		}
	case cluster.PointerFinger:
		if index >= 1 && index <= len(st.Fingers) {
			return st.Fingers[index-1].Addr
		}
	}
	return ""
}

// changed reports whether the last step changed node's pointer of kind
// and index (and it still holds).
func (m *Model) changed(node string, kind cluster.PointerKind, index int) bool {
	_, ok := m.hl[changeKey{node, kind, index}]
	return ok
}

// changeMark is the symbol after a pointer the last step changed, so the
// highlight shows without colour too.
const changeMark = "Δ"

// stepTitle is the caption pane's title for a step: what ran and where
// the ring stands, counted in steps.
func (m *Model) stepTitle() string {
	s := m.step
	what, where := s.rep.Task, s.rep.Node
	if what == cluster.TaskAll || what == "" {
		what = "every task"
	}
	if where == "" {
		where = "every live node"
	}
	title := "Step: " + what + " at " + where
	if s.rep.Steps > 0 && s.rep.Health.LastFault != "" {
		title += fmt.Sprintf(" — step %d since %s", s.rep.Steps, s.rep.Health.LastFault)
	}
	return title
}

// stepLines tells the last step in w cells: each round's caption (for a
// step of many rounds on every node, only those that changed something
// or failed), every pointer and key it changed, a count of the rounds,
// and the verdict after it.
func (m *Model) stepLines(w int) []string {
	t := m.theme
	s := m.step
	d := s.rep
	var out []string
	para := func(text string, st styleID) {
		for _, l := range wrap(text, "", w) {
			out = append(out, t.render(st, l))
		}
	}
	if d.PausedNow {
		para("maintenance paused: from now on only a step runs a round (space resumes maintenance)", stWarn)
	}
	many := len(d.Rounds) > 1
	quiet, changed, failed := 0, 0, 0
	for _, r := range d.Rounds {
		if r.Changed() {
			changed++
		}
		if r.Err != "" {
			failed++
		}
		if d.Node == "" && many && !r.Changed() && r.Err == "" {
			quiet++
			continue
		}
		head := r.Task + " at " + r.Node.String() + ":"
		lines := wrap(head+" "+r.Caption, "", w)
		for i, l := range lines {
			if i == 0 {
				l = t.render(stBold, head) + strings.TrimPrefix(l, head)
			}
			out = append(out, l)
		}
		if r.Err != "" {
			para("✗ "+r.Err, stDown)
		}
		for _, ch := range r.Changes {
			out = append(out, m.changeLine(ch, w))
		}
		for _, k := range r.Keys {
			out = append(out, t.render(stChanged, fit("  "+changeMark+" "+k.String(), w)))
		}
	}
	if many {
		what := "every task"
		if d.Task != cluster.TaskAll {
			what = d.Task
		}
		where := "on " + d.Node
		if d.Node == "" {
			where = "on every live node"
		}
		sum := fmt.Sprintf("ran %s of %s %s: %s changed something", command.Plural(len(d.Rounds), "round"), what, where, command.Plural(changed, "round"))
		if quiet > 0 {
			sum += fmt.Sprintf(", %d changed nothing", quiet)
		}
		if failed > 0 {
			sum += fmt.Sprintf(", %d failed", failed)
		}
		sum += fmt.Sprintf(" (%s, %s)%s", command.Plural(len(d.Changes), "pointer change"), command.Plural(len(d.Keys), "key change"), d.SparesNote())
		para(sum, stDim)
	}
	if s.err != nil && len(d.Rounds) == 0 {
		para("✗ "+s.err.Error(), stDown)
		return out
	}
	h := d.Health
	verdict, st := "⟳ "+h.Summary, stWarn
	if h.Stable {
		verdict, st = "✓ "+h.Summary, stOK
	}
	if h.Violations > 0 {
		verdict += " · ⚠ " + command.Plural(h.Violations, "invariant violation") + " (! lists them)"
	}
	para(verdict, st)
	return out
}

// changeLine is one pointer change: "Δ N51.successor N56 → N1", marked
// as the screen marks it while it still holds.
func (m *Model) changeLine(ch cluster.PointerChange, w int) string {
	t := m.theme
	st := stChanged
	text := "  " + changeMark + " " + ch.Node.String() + "." + ch.Pointer() + ": " + ch.Old.String() + " → " + ch.New.String()
	if _, ok := m.hl[keyOf(ch)]; !ok && !m.hlPending {
		st = stDim
		text += " (changed since)"
	}
	return t.render(st, fit(text, w))
}
