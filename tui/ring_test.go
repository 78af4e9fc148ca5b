package tui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// labelNode is one node of a hand-placed ring for the label tests.
type labelNode struct {
	id    uint64 // 16-bit identifier: where the node sits on the ring
	state cluster.State
	fault string // "delay", "drop" or "partition"
}

// labelRing builds a 16-bit snapshot of nodes n0, n1, … placed by hand.
func labelRing(nodes []labelNode) cluster.Snapshot {
	s := cluster.Snapshot{Bits: 16, R: 3, Origin: "n0"}
	for i, ln := range nodes {
		st := ln.state
		if st == "" {
			st = cluster.StateAlive
		}
		n := cluster.NodeSnapshot{Name: fmt.Sprintf("n%d", i), State: st, Addr: fmt.Sprintf("127.0.0.1:%d", 7000+i),
			ID: chord.IDFromUint64(16, ln.id)}
		switch ln.fault {
		case "delay":
			n.Delay = 50 * time.Millisecond
		case "drop":
			n.DropPercent = 20
		case "partition":
			n.Partitioned = true
		}
		s.Nodes = append(s.Nodes, n)
	}
	return s
}

// spread adds k alive nodes evenly round the ring, away from the crowd.
func spread(nodes []labelNode, k int) []labelNode {
	for i := 0; i < k; i++ {
		nodes = append(nodes, labelNode{id: uint64(i*65536/k + 65536/(2*k))})
	}
	return nodes
}

// labelScene is a ring to draw and whom it must label.
type labelScene struct {
	name     string
	snap     cluster.Snapshot
	selected string
	origin   string
	path     []string // names on the lookup path, the asking node first
	allOf    bool     // every node must be labelled, not only the must-label ones
	minCols  int      // the smallest screen the scene is checked on
}

func labelScenes() []labelScene {
	down, paused := cluster.StateDown, cluster.StatePaused
	fake := func(n int) cluster.Snapshot {
		return fakeRing(ringSpec{n: n, bits: 16, down: 5, paused: 9, keys: 30})
	}
	return []labelScene{
		{name: "two nodes in one cell", snap: labelRing(spread([]labelNode{{id: 0x4000}, {id: 0x4008, state: down}}, 6)),
			selected: "n0", origin: "n2"},
		{name: "selected beside a down node", snap: labelRing(spread([]labelNode{{id: 0x4000}, {id: 0x4300, state: down}}, 6)),
			selected: "n0", origin: "n2"},
		{name: "down node beside the selected one at the top", snap: labelRing(spread([]labelNode{{id: 0xfff0}, {id: 0x0010, state: down}, {id: 0x0200, state: paused}}, 6)),
			selected: "n1", origin: "n0"},
		{name: "a crowd of must-label nodes", snap: labelRing(spread([]labelNode{
			{id: 0xc000}, {id: 0xc080}, {id: 0xc100}, {id: 0xc180, state: down}, {id: 0xc200, state: paused},
			{id: 0xc280, fault: "delay"}, {id: 0xc300, fault: "partition"}, {id: 0xc380, fault: "drop"}}, 8)),
			selected: "n0", origin: "n1", path: []string{"n1", "n8", "n2"}},
		{name: "a crowd at the bottom", snap: labelRing(spread([]labelNode{
			{id: 0x7f00}, {id: 0x7f80, state: down}, {id: 0x8000}, {id: 0x8080, state: paused}, {id: 0x8100}}, 8)),
			selected: "n2", origin: "n0", path: []string{"n0", "n4"}},
		{name: "16 nodes", snap: fake(16), selected: "n0", origin: "n0", allOf: true},
		{name: "16 nodes with a lookup", snap: fake(16), selected: "n3", origin: "n0", path: []string{"n0", "n7", "n3", "n11"}},
		{name: "64 nodes", snap: fake(64), selected: "n0", origin: "n0"},
		{name: "64 nodes with a lookup", snap: fake(64), selected: "n12", origin: "n0", path: []string{"n0", "n40", "n21", "n33"}},
		// At 80×24 a 256-node ring packs a dozen nodes into a cell with
		// markers all round it: no label there could be read as its own.
		{name: "256 nodes", snap: fakeRing(ringSpec{n: 256, bits: 16, down: 5, paused: 9}), selected: "n100", origin: "n0", minCols: 120},
	}
}

// ringSizes are the ring canvases of the 80×24, 120×40 and 200×60 screens.
func ringSizes() [][3]int {
	var out [][3]int
	for _, s := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		in := computeLayout(s[0], s[1]).ring.inner()
		out = append(out, [3]int{s[0], in.w, in.h - 1})
	}
	return out
}

// TestRingLabels draws crowded rings and checks that every node the ring
// must label (selected, origin, lookup path, faulty) has a label that is
// read as its own: beside its marker with no other marker as near, or
// joined to it by a leader line; that a cell shared by several nodes shows
// their count; and that labels never run together.
func TestRingLabels(t *testing.T) {
	for _, sc := range labelScenes() {
		for _, size := range ringSizes() {
			w, h := size[1], size[2]
			if size[0] < sc.minCols {
				continue
			}
			t.Run(fmt.Sprintf("%s/%d cols", sc.name, size[0]), func(t *testing.T) {
				snap := sc.snap
				ix := newRingIndex(&snap)
				scene := &ringScene{snap: &snap, ix: ix, selected: sc.selected, origin: sc.origin, lookup: pathLookup(&snap, sc.path)}
				c := drawRing(scene, w, h)
				checkRingLabels(t, c, scene, sc.allOf && size[0] == 120)
			})
		}
	}
}

// pathLookup is a lookup whose calls go from each named node to the next,
// the first being the origin; nil for no names.
func pathLookup(snap *cluster.Snapshot, names []string) *ringLookup {
	if len(names) == 0 {
		return nil
	}
	addr := func(name string) string {
		for _, n := range snap.Nodes {
			if n.Name == name {
				return n.Addr
			}
		}
		panic(name)
	}
	l := &ringLookup{origin: addr(names[0]), key: chord.HashID(snap.Bits, []byte("greeting")), label: "greeting"}
	for i := 1; i < len(names); i++ {
		l.hops = append(l.hops, ringHop{from: addr(names[i-1]), to: addr(names[i]), num: i})
	}
	return l
}

// checkRingLabels checks the labels on c against the rules above (every
// label drawn reads as its own node's); with all, every node must be
// labelled.
func checkRingLabels(t *testing.T, c *canvas, sc *ringScene, all bool) {
	t.Helper()
	snap := sc.snap
	g := newRingGeom(c.w, c.h, labelRoom(snap))
	cellOf := func(n *cluster.NodeSnapshot) [2]int {
		x, y := g.at(fraction(n.ID, snap.Bits), 0)
		return [2]int{min(max(x/2, 0), c.w-1), min(max(y/4, 0), c.h-1)}
	}
	perCell := map[[2]int]int{}
	for i := range snap.Nodes {
		perCell[cellOf(&snap.Nodes[i])]++
	}
	for cell, k := range perCell {
		got := c.text[cell[1]*c.w+cell[0]]
		want := rune('0' + min(k, 9))
		if k > 9 {
			want = '+'
		}
		if k > 1 && got != want {
			t.Errorf("%d nodes share cell %v, which shows %q, not their count", k, cell, got)
		}
	}
	for i := range snap.Nodes {
		n := &snap.Nodes[i]
		must := n.Name == sc.selected || n.Name == sc.origin || sc.lookup.onPath(n.Addr) || faulty(n)
		m := cellOf(n)
		lb, ok := labelOf(c, n.Name)
		if !must && !all && !ok {
			continue // an unlabelled node that need not be labelled
		}
		if !ok && n.Name != sc.selected && n.Name != sc.origin {
			// Where room runs out in a crowded cell, a label of the cell
			// may count the nodes it cannot name ("+2").
			lb, ok = countedBy(c, m, perCell[m])
		}
		if !ok {
			t.Errorf("%s (%s) has no label:\n%s", n.Name, n.State, plainCanvas(c))
			continue
		}
		if !besideOwn(lb, m, perCell) && !ledTo(c, lb, m) {
			t.Errorf("%s's label %q at (%d,%d) is neither beside its marker at %v (with no other as near) nor led to it:\n%s",
				n.Name, lb.text, lb.x, lb.y, m, plainCanvas(c))
		}
	}
	for i, a := range c.labels {
		if got := string(c.text[a.y*c.w+a.x : a.y*c.w+a.x+a.n]); got != a.text {
			t.Errorf("label %q is drawn as %q", a.text, got)
		}
		for j, b := range c.labels {
			if i != j && a.y == b.y && a.x <= b.x+b.n && b.x <= a.x+a.n {
				t.Errorf("labels %q and %q run together on row %d:\n%s", a.text, b.text, a.y, plainCanvas(c))
			}
		}
	}
}

// labelOf finds the label holding name as a word (a shared cell's label
// names its nodes with / between them, a state symbol before and the
// origin's * after).
func labelOf(c *canvas, name string) (placedLabel, bool) {
	for _, l := range c.labels {
		for _, word := range strings.FieldsFunc(l.text, func(r rune) bool { return r == ' ' || r == '/' }) {
			if strings.TrimRight(strings.TrimLeft(word, "●○◐◌"), "*") == name {
				return l, true
			}
		}
	}
	return placedLabel{}, false
}

// countedBy finds a label of the site at cell m whose "+k" counts the k
// nodes of the cell that no label names.
func countedBy(c *canvas, m [2]int, nodes int) (placedLabel, bool) {
	site := c.owner[m[1]*c.w+m[0]] - 1
	named := 0
	var last placedLabel
	found := false
	for _, l := range c.labels {
		if int32(l.site) != site {
			continue
		}
		words := strings.FieldsFunc(l.text, func(r rune) bool { return r == ' ' || r == '/' })
		for _, w := range words {
			if !strings.HasPrefix(w, "+") {
				named++
			}
		}
		if w := words[len(words)-1]; strings.HasPrefix(w, "+") {
			last, found = l, true
		}
	}
	if !found {
		return placedLabel{}, false
	}
	k, err := strconv.Atoi(strings.TrimPrefix(last.text[strings.LastIndexByte(last.text, ' ')+1:], "+"))
	return last, err == nil && k >= nodes-named
}

// besideOwn reports whether label l reads as the marker at m's: on its row
// at most two cells away or on the next row at most one away, and every
// other marker either farther or on a worse row.
func besideOwn(l placedLabel, m [2]int, markers map[[2]int]int) bool {
	rel := func(x, y int) (dy, gap int, near bool) {
		switch {
		case x < l.x:
			gap = l.x - x - 1
		case x >= l.x+l.n:
			gap = x - (l.x + l.n)
		}
		dy = abs(y - l.y)
		return dy, gap, dy == 0 && gap <= 2 || dy == 1 && gap <= 1
	}
	dy, gap, near := rel(m[0], m[1])
	if !near {
		return false
	}
	own := gap + 3*dy
	for o := range markers {
		if o == m || o[1] == m[1] && m[1] == l.y && (o[0] < m[0] && m[0] < l.x || o[0] > m[0] && m[0] >= l.x+l.n) {
			continue // the label's own marker stands between it and o
		}
		if dy, gap, near := rel(o[0], o[1]); near && gap+3*dy <= own+1 {
			return false
		}
	}
	return true
}

// ledTo reports whether a line of box-drawing glyphs runs from the marker
// at m to a cell of label l, each glyph joined to the next.
func ledTo(c *canvas, l placedLabel, m [2]int) bool {
	ends := map[rune][2][2]int{
		'─': {{-1, 0}, {1, 0}}, '│': {{0, -1}, {0, 1}},
		'╭': {{1, 0}, {0, 1}}, '╮': {{-1, 0}, {0, 1}}, '╯': {{-1, 0}, {0, -1}}, '╰': {{1, 0}, {0, -1}},
	}
	at := func(x, y int) rune {
		if x < 0 || y < 0 || x >= c.w || y >= c.h {
			return 0
		}
		return c.text[y*c.w+x]
	}
	inLabel := func(x, y int) bool { return y == l.y && x >= l.x && x < l.x+l.n }
	for _, d := range [][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
		px, py := m[0], m[1]
		x, y := px+d[0], py+d[1]
		for steps := 0; steps < c.w+c.h; steps++ {
			e, ok := ends[at(x, y)]
			if !ok {
				break
			}
			var next [2]int
			switch {
			case x+e[0][0] == px && y+e[0][1] == py:
				next = [2]int{x + e[1][0], y + e[1][1]}
			case x+e[1][0] == px && y+e[1][1] == py:
				next = [2]int{x + e[0][0], y + e[0][1]}
			default:
				steps = c.w + c.h // this glyph does not join the last cell
				continue
			}
			if inLabel(next[0], next[1]) {
				return true
			}
			px, py, x, y = x, y, next[0], next[1]
		}
	}
	return false
}

// plainCanvas is the canvas as plain text, for failure messages.
func plainCanvas(c *canvas) string {
	var b strings.Builder
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			i := y*c.w + x
			switch {
			case c.text[i] != 0:
				b.WriteRune(c.text[i])
			case c.dots[i] != 0:
				b.WriteRune(rune(0x2800 + int(c.dots[i])))
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestRingLabelPriority fills a small ring with more must-label nodes than
// fit and checks the selected node and the origin keep their labels.
func TestRingLabelPriority(t *testing.T) {
	var nodes []labelNode
	for i := 0; i < 40; i++ {
		nodes = append(nodes, labelNode{id: uint64(0x4000 + i*0x40), state: cluster.StateDown})
	}
	nodes[17].state, nodes[30].state = cluster.StateAlive, cluster.StateAlive
	snap := labelRing(nodes)
	sc := &ringScene{snap: &snap, ix: newRingIndex(&snap), selected: "n17", origin: "n30"}
	in := computeLayout(80, 24).ring.inner()
	c := drawRing(sc, in.w, in.h-1)
	for _, name := range []string{"n17", "n30"} {
		if _, ok := labelOf(c, name); !ok {
			t.Errorf("%s lost its label to faulty nodes:\n%s", name, plainCanvas(c))
		}
	}
	if slices.ContainsFunc(c.labels, func(l placedLabel) bool { return l.text == "" }) {
		t.Error("an empty label was drawn")
	}
}
