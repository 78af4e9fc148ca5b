package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// The Load pane (L) takes the members table's place: per node, in ring
// order, a bar for each load (keys owned, requests and routing steps per
// second over the load window) with its spread over the live nodes, and
// the ring shades every live node by the load h chooses (its heat).

// loadMetric is one of the loads the pane draws and the ring shades.
type loadMetric int

const (
	metricKeys loadMetric = iota
	metricRequests
	metricRouting
	metricCount
)

func (lm loadMetric) String() string {
	switch lm {
	case metricRequests:
		return "requests/s"
	case metricRouting:
		return "routing/s"
	}
	return "keys"
}

// value is n's load of this kind; a node that is not alive has none.
func (lm loadMetric) value(n *cluster.NodeSnapshot) float64 {
	if n.State != cluster.StateAlive {
		return 0
	}
	switch lm {
	case metricRequests:
		return n.Load.RequestRate
	case metricRouting:
		return n.Load.RoutingRate
	}
	return float64(n.Load.Owned)
}

// heatSteps are the loads, in means of the live nodes' loads, at which a
// node's heat goes up one level: level 0 below a quarter of the mean, 3
// from the mean, 7 (the hottest) from five times it.
var heatSteps = [...]float64{0.25, 0.5, 1, 1.5, 2, 3, 5}

// heatLevels is the number of heat levels.
const heatLevels = len(heatSteps) + 1

// heatGlyphs mark the heat levels without colour (NO_COLOR).
var heatGlyphs = [heatLevels]rune{'▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'}

// barGlyphs fill a histogram cell by eighths.
var barGlyphs = []rune(" ▁▂▃▄▅▆▇█")

// heatLevel is the level of load v when the mean is mean.
func heatLevel(v, mean float64) int {
	if mean <= 0 || v <= 0 {
		return 0
	}
	l := 0
	for _, s := range heatSteps {
		if v >= s*mean {
			l++
		}
	}
	return l
}

// heatStyle is the colour of heat level l.
func heatStyle(l int) styleID { return stHeat0 + styleID(min(max(l, 0), heatLevels-1)) }

// loadSpread is the spread of lm over the live nodes of nodes.
func loadSpread(nodes []cluster.NodeSnapshot, lm loadMetric) cluster.LoadStats {
	var vals []float64
	var names []string
	for i := range nodes {
		n := &nodes[i]
		if n.State == cluster.StateAlive {
			vals = append(vals, lm.value(n))
			names = append(names, n.Name)
		}
	}
	return cluster.Spread(vals, names)
}

// heatMap is every live node's heat level by the metric shown (nil while
// the Load pane is hidden: the ring is not shaded).
func (m *Model) heatMap() map[string]int {
	if !m.showLoad {
		return nil
	}
	mean := loadSpread(m.snap.Nodes, m.loadMetric).Mean
	out := make(map[string]int, len(m.snap.Nodes))
	for i := range m.snap.Nodes {
		n := &m.snap.Nodes[i]
		if n.State == cluster.StateAlive {
			out[n.Name] = heatLevel(m.loadMetric.value(n), mean)
		}
	}
	return out
}

// loadTitle is the Load pane's title: the window and the heat's metric.
func (m *Model) loadTitle() string {
	w := m.snap.LoadWindow.Seconds()
	return fmt.Sprintf("Load (per s over %gs) · heat: %s", w, m.loadMetric)
}

// num formats a load for the pane: whole numbers as such, others to one
// decimal.
func num(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// spreadLine is one load's spread in a line: "requests/s  mean 12 ·
// max 40 n3 3.3× · p1 2 · p99 40".
func spreadLine(lm loadMetric, s cluster.LoadStats) string {
	if s.Nodes == 0 {
		return lm.String() + "  no live node"
	}
	out := fmt.Sprintf("%s  mean %s  max %s", lm, num(s.Mean), num(s.Max))
	if s.MaxNode != "" {
		out += " " + s.MaxNode
	}
	if s.Mean > 0 {
		out += fmt.Sprintf(" %.1f×", s.MaxOverMean)
	}
	return out + "  p1 " + num(s.P1) + "  p99 " + num(s.P99)
}

// loadLines draws the Load pane's inside: for each load a line with its
// spread and a histogram of one column (or more) per node in ring order
// (several nodes per column, the largest drawn, when they do not fit),
// scaled to the largest; the selected node's column is highlighted and
// marked on the last line.
func (m *Model) loadLines(in rect) []string {
	t := m.theme
	all, order, pos, axis := m.loadNodes()
	if in.w < 8 || in.h < 4 || len(order) == 0 {
		return []string{"no nodes"}
	}
	barH := max(1, (in.h-1-int(metricCount))/int(metricCount))
	nodes := len(order)
	cols := min(in.w, nodes)
	colW := max(1, in.w/nodes)
	if colW > 3 {
		colW = 3
	}
	group := func(c int) (lo, hi int) { return c * nodes / cols, (c + 1) * nodes / cols }
	selCol := -1
	if pos >= 0 {
		selCol = pos * cols / nodes
	}
	var out []string
	for lm := range metricCount {
		s := loadSpread(all, lm)
		head := spreadLine(lm, s)
		st := stBold
		if lm == m.loadMetric {
			head = "▸ " + head
		} else {
			head = "  " + head
			st = stText
		}
		out = append(out, t.render(st, head))
		vals := make([]float64, cols)
		alive := make([]bool, cols)
		for c := range cols {
			lo, hi := group(c)
			for _, i := range order[lo:hi] {
				n := &all[i]
				vals[c] = max(vals[c], lm.value(n))
				alive[c] = alive[c] || n.State == cluster.StateAlive
			}
		}
		top := s.Max
		for r := range barH {
			var b strings.Builder
			for c := range cols {
				cell := " "
				if top > 0 {
					eighths := int(vals[c]/top*float64(barH*8) + 0.5)
					if f := eighths - (barH-1-r)*8; f > 0 {
						cell = string(barGlyphs[min(f, 8)])
					}
				}
				if r == barH-1 && !alive[c] {
					cell = "·"
				}
				st := heatStyle(heatLevel(vals[c], s.Mean))
				if c == selCol {
					st = stSelected
				} else if !alive[c] {
					st = stDim
				}
				b.WriteString(t.render(st, strings.Repeat(cell, colW)))
			}
			out = append(out, b.String())
		}
	}
	// The axis: the order of the columns, and where the selected node is.
	if selCol >= 0 && m.selected != "" {
		x := selCol * colW
		mark := "▲ " + all[order[pos]].Name
		if x+len([]rune(mark)) > in.w {
			mark = all[order[pos]].Name + " ▲"
			x = max(0, x+colW-len([]rune(mark)))
		}
		line := []rune(strings.Repeat(" ", in.w))
		copy(line[x:], []rune(mark))
		axisRunes := []rune(axis)
		if x > len(axisRunes)+1 {
			copy(line, axisRunes)
		}
		out = append(out, t.render(stDim, strings.TrimRight(string(line), " ")))
	} else {
		out = append(out, t.render(stDim, axis))
	}
	return out
}

// toggleLoad shows or hides the Load pane (and the ring's heat).
func (m *Model) toggleLoad() {
	m.showLoad = !m.showLoad
	if m.showLoad {
		m.setMessage("load: "+m.loadMetric.String()+" shades the ring — h changes it, L shows the members again", stText)
	}
}

// nextMetric makes the ring's heat follow the next load.
func (m *Model) nextMetric() {
	m.loadMetric = (m.loadMetric + 1) % metricCount
	m.setMessage("the ring's heat now shows "+m.loadMetric.String(), stText)
}

// heatLegend explains the ring's heat: each level's colour (or glyph
// without colour) and what it means.
func (m *Model) heatLegend(glyphs bool) string {
	var b strings.Builder
	for l := range heatLevels {
		g := "●"
		if glyphs {
			g = string(heatGlyphs[l])
		}
		b.WriteString(m.theme.render(heatStyle(l), g))
	}
	return b.String() + " " + m.loadMetric.String() + ": <¼ of the mean … ≥5×"
}

// workloadTimeout is how long the UI lets a workload command run: its
// duration (10 s by default) and a margin for writing its keys first, or
// d for "workload stop" and a workload bounded by operations only.
func workloadTimeout(cmd command.Command, d time.Duration) time.Duration {
	spec, err := command.ParseWorkload(cmd.Args, cmd.Via)
	if err != nil || spec.Duration == 0 {
		return max(d, 10*time.Minute)
	}
	return max(d, spec.Duration+5*time.Minute)
}

// loadNodes is what the Load pane draws: the nodes, their column order,
// the selected one's place in it (-1 for none) and the axis's words. With
// virtual nodes these are the real nodes in name order, each summing its
// identities; without, the nodes in ring order.
func (m *Model) loadNodes() (nodes []cluster.NodeSnapshot, order []int, pos int, axis string) {
	hs := m.hostLoads()
	if hs == nil {
		return m.snap.Nodes, m.order, m.selectedPos(), "ring order from id 0 →"
	}
	order = make([]int, len(hs))
	pos = -1
	sel := m.selectedNode()
	for i := range hs {
		order[i] = i
		if sel != nil && hs[i].Name == sel.Host {
			pos = i
		}
	}
	return hs, order, pos, "real nodes " + hs[0].Name + " → " + hs[len(hs)-1].Name + ", identities summed"
}
