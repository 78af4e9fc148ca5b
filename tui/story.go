package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// The story pane tells what the ring is doing: the caption of the last
// step and the lesson's narration, or (!) the violations of the
// invariants and the ways the ring is not yet ideal, one of which is
// selected and its nodes marked on the ring and in the members table.

// storyActive reports whether the story pane has something to show.
func (m *Model) storyActive() bool { return m.showViolations || m.step != nil || m.lesson != nil }

// toggleViolations shows the violations in the story pane (focused, so
// that ↑↓ selects one), or hides them.
func (m *Model) toggleViolations() {
	m.showViolations = !m.showViolations
	m.storyScroll = 0
	if m.showViolations {
		m.focus, m.violSel = paneStory, 0
		m.checkIdeal()
		return
	}
	if m.focus == paneStory && !m.storyActive() {
		m.focus = paneMembers
	}
}

// checkIdeal finds, while the violations are shown, how the snapshot's
// ring is not yet the ideal one (chord.CheckIdeal over each side's live
// nodes): what the cluster's stable condition waits for.
func (m *Model) checkIdeal() {
	m.ideal = nil
	if !m.showViolations || !m.haveSnap {
		return
	}
	sides := map[string][]chord.Status{}
	for i := range m.snap.Nodes {
		n := &m.snap.Nodes[i]
		if n.State == cluster.StateAlive && n.Chord.Joined {
			sides[n.Side] = append(sides[n.Side], n.Chord)
		}
	}
	labels := make([]string, 0, len(sides))
	for s := range sides {
		labels = append(labels, s)
	}
	sort.Strings(labels)
	bits := m.snap.Bits
	nm := chord.Naming{Node: m.ix.name, ID: func(id chord.ID) string { return id.Label(bits) }}
	for _, side := range labels {
		for _, v := range chord.CheckIdealNamed(sides[side], true, nm) {
			cv := cluster.Violation{Invariant: v.Invariant, Node: m.ix.name(v.Node), Message: v.Message, Side: side}
			for _, r := range v.Nodes {
				if !r.IsZero() {
					cv.Nodes = append(cv.Nodes, m.ix.name(r))
				}
			}
			m.ideal = append(m.ideal, cv)
		}
	}
}

// violations lists the violations the pane shows: Zave's invariants 1–8
// (Snapshot.Violations, the one count the status bar gives), then the
// ideal-ring checks.
func (m *Model) violations() []cluster.Violation {
	return append(append([]cluster.Violation(nil), m.snap.Violations...), m.ideal...)
}

// marked returns the nodes the selected violation names, while the
// violations are shown.
func (m *Model) marked() map[string]bool {
	if !m.showViolations {
		return nil
	}
	vs := m.violations()
	if m.violSel < 0 || m.violSel >= len(vs) {
		return nil
	}
	out := map[string]bool{}
	for _, n := range vs[m.violSel].Nodes {
		out[n] = true
	}
	if n := vs[m.violSel].Node; n != "" {
		out[n] = true
	}
	return out
}

// invariantWords names an invariant in plain words, with Zave's number
// for the eight that must always hold.
var invariantWords = map[string]string{
	chord.InvOneLiveSuccessor:      "1 one live successor",
	chord.InvAtLeastOneRing:        "2 at least one ring",
	chord.InvAtMostOneRing:         "3 at most one ring",
	chord.InvOrderedRing:           "4 ordered ring",
	chord.InvConnectedAppendages:   "5 connected appendages",
	chord.InvOrderedSuccessorLists: "6 ordered successor lists",
	chord.InvNoDuplicates:          "7 no duplicates",
	chord.InvSufficientPrincipals:  "8 sufficient principals",
	chord.IdealRing:                "not yet ideal: ring",
	chord.IdealSuccessor:           "not yet ideal: successor",
	chord.IdealPredecessor:         "not yet ideal: predecessor",
	chord.IdealSuccessorList:       "not yet ideal: successor list",
	chord.IdealFinger:              "not yet ideal: fingers",
}

// violationHead names a violation's invariant: "invariant 4 ordered ring",
// "not yet ideal: successor".
func violationHead(v cluster.Violation) string {
	w, ok := invariantWords[v.Invariant]
	switch {
	case !ok:
		w = v.Invariant
	case !strings.HasPrefix(w, "not yet"):
		w = "invariant " + w
	}
	if v.Side != "" {
		w = "side " + v.Side + ": " + w
	}
	return w
}

// storyTitle is the story pane's title.
func (m *Model) storyTitle() string {
	switch {
	case m.showViolations:
		inv, ideal := len(m.snap.Violations), len(m.ideal)
		return fmt.Sprintf("Violations: %d of invariants 1–8, %d not yet ideal — ↑↓ selects, esc closes", inv, ideal)
	case m.lesson != nil:
		return m.lessonTitle()
	case m.step != nil:
		return m.stepTitle()
	}
	return ""
}

// storyContent is the story pane's text in w cells, and the line the
// selected violation starts on (-1 when none is selected).
func (m *Model) storyContent(w int) ([]string, int) {
	switch {
	case m.showViolations:
		return m.violationLines(w)
	case m.lesson != nil:
		out := m.lessonLines(w)
		if m.lessonStepShown() {
			out = append(out, m.stepLines(w)...)
		}
		return out, -1
	case m.step != nil:
		return m.stepLines(w), -1
	}
	return nil, -1
}

// violationLines lists the violations, each its invariant in plain words
// and its message wrapped; the selected one under a bar when the pane is
// focused.
func (m *Model) violationLines(w int) ([]string, int) {
	t := m.theme
	vs := m.violations()
	if len(vs) == 0 {
		ok := "✓ invariants 1–8 hold"
		if m.snap.Health.Stable {
			ok += " and the ring is ideal (stable)"
		} else if m.snap.Health.Reason != "" {
			ok += "; " + m.snap.Health.Reason
		}
		var out []string
		for _, l := range wrap(ok, "", w) {
			out = append(out, t.render(stOK, l))
		}
		return out, -1
	}
	var out []string
	selLine := -1
	for i, v := range vs {
		st := stDown
		if strings.HasPrefix(v.Invariant, "Ideal") {
			st = stWarn
		}
		sel := i == m.violSel
		if sel {
			selLine = len(out)
		}
		mark := "  "
		if sel {
			mark = "▶ "
		}
		head := mark + violationHead(v)
		if sel && m.focus == paneStory {
			out = append(out, t.render(stReverse, fit(head, w)))
		} else {
			out = append(out, t.render(st, head))
		}
		out = append(out, wrap(v.Message, "    ", w)...)
	}
	return out, selLine
}

// storyLines is the story pane's content scrolled: by storyScroll, or so
// that the selected violation shows; a last line says how much more there
// is below.
func (m *Model) storyLines(in rect) []string {
	lines, sel := m.storyContent(in.w)
	top := min(m.storyScroll, max(0, len(lines)-in.h))
	if sel >= 0 {
		top = min(max(0, sel-in.h/3), max(0, len(lines)-in.h))
	}
	out := lines[top:]
	if more := len(out) - in.h; more > 0 && in.h > 1 {
		how := "tab here, then ↓"
		if m.focus == paneStory {
			how = "↓ scrolls"
			if m.showViolations {
				how = "↓ selects the next"
			}
		}
		out = append(out[:in.h-1:in.h-1], m.theme.render(stDim, fmt.Sprintf("↓ %d more lines (%s)", more+1, how)))
	}
	return out
}
