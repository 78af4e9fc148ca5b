package tui

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// canvas is a grid of terminal cells. A cell shows either braille dots
// (2×4 per cell, so a circle of dots looks round) or one text rune; each
// cell has a single style, owned by the most important thing drawn in it.
type canvas struct {
	w, h  int
	dots  []uint8   // braille dot mask per cell
	layer []styleID // style of the dots, highest layer wins
	text  []rune    // text overlay, 0 when none
	tstyl []styleID // style of the text overlay
	// block marks cells that labels may not use (ring, markers, labels).
	block []bool
	// owner is 1 + the index of the node whose marker is in the cell, or 0.
	owner []int32
}

func newCanvas(w, h int) *canvas {
	n := w * h
	return &canvas{w: w, h: h, dots: make([]uint8, n), layer: make([]styleID, n),
		text: make([]rune, n), tstyl: make([]styleID, n), block: make([]bool, n), owner: make([]int32, n)}
}

// brailleBit maps a dot (x in 0..1, y in 0..3) inside a cell to its bit in
// the Unicode braille pattern block (U+2800).
var brailleBit = [4][2]uint8{{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}}

// dot sets the dot at (x, y) in dot coordinates with layer style s.
func (c *canvas) dot(x, y int, s styleID) {
	if x < 0 || y < 0 || x >= 2*c.w || y >= 4*c.h {
		return
	}
	i := (y/4)*c.w + x/2
	c.dots[i] |= brailleBit[y%4][x%2]
	if s > c.layer[i] {
		c.layer[i] = s
	}
}

// line draws a straight line of dots from (x0, y0) to (x1, y1) (Bresenham).
func (c *canvas) line(x0, y0, x1, y1 int, s styleID) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	err := dx + dy
	for {
		c.dot(x0, y0, s)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

// put writes text at cell (x, y), clipped to the canvas.
func (c *canvas) put(x, y int, s string, st styleID) {
	if y < 0 || y >= c.h {
		return
	}
	for _, r := range s {
		if x >= 0 && x < c.w {
			i := y*c.w + x
			c.text[i], c.tstyl[i], c.block[i] = r, st, true
		}
		x++
	}
}

// free reports whether a label of n cells fits at (x, y) without covering
// text or the ring (nor any dot at all when noDots).
func (c *canvas) free(x, y, n int, noDots bool) bool {
	if y < 0 || y >= c.h || x < 0 || x+n > c.w {
		return false
	}
	for i := y*c.w + x; i < y*c.w+x+n; i++ {
		if c.block[i] || noDots && c.dots[i] != 0 {
			return false
		}
	}
	// Keep a blank cell between two pieces of text.
	if x > 0 && c.text[y*c.w+x-1] != 0 || x+n < c.w && c.text[y*c.w+x+n] != 0 {
		return false
	}
	return true
}

// lines renders the canvas as styled lines.
func (c *canvas) lines(t *theme) []string {
	out := make([]string, c.h)
	var b, run strings.Builder
	for y := 0; y < c.h; y++ {
		b.Reset()
		run.Reset()
		cur := styleID(255)
		for x := 0; x < c.w; x++ {
			i := y*c.w + x
			r, st := ' ', stNone
			switch {
			case c.text[i] != 0:
				r, st = c.text[i], c.tstyl[i]
			case c.dots[i] != 0:
				r, st = rune(0x2800+int(c.dots[i])), c.layer[i]
			}
			if st != cur && run.Len() > 0 {
				b.WriteString(t.render(cur, run.String()))
				run.Reset()
			}
			cur = st
			run.WriteRune(r)
		}
		b.WriteString(t.render(cur, run.String()))
		out[y] = b.String()
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ringScene is everything the ring view draws, taken from one snapshot and
// the UI state.
type ringScene struct {
	snap     *cluster.Snapshot
	ix       *ringIndex
	selected string // name of the selected node
	origin   string // name of the origin node
	showKeys bool
	// path is the lookup path drawn so far: node addresses in order, the
	// asking node first.
	path []string
}

// ringGeom places the circle inside a canvas.
type ringGeom struct {
	cx, cy, r float64 // centre and radius in dots
}

// labelRoom is the number of cells kept on each side of the circle for labels.
func labelRoom(snap *cluster.Snapshot) int {
	n := 2
	for _, nd := range snap.Nodes {
		n = max(n, len(nd.Name))
	}
	return n + 1 + len(chord.ID{}.Short(snap.Bits)) + 2
}

func newRingGeom(w, h, room int) ringGeom {
	dw, dh := float64(2*w), float64(4*h)
	r := math.Min((dw-float64(4*room))/2, (dh-10)/2)
	if r < 4 {
		r = math.Max(2, math.Min(dw, dh)/2-2)
	}
	return ringGeom{cx: math.Floor(dw / 2), cy: math.Floor(dh / 2), r: math.Floor(r)}
}

// at returns the dot at fraction f of a turn clockwise from 12 o'clock, at
// radius r+dr.
func (g ringGeom) at(f, dr float64) (int, int) {
	a := 2 * math.Pi * f
	return int(math.Round(g.cx + (g.r+dr)*math.Sin(a))), int(math.Round(g.cy - (g.r+dr)*math.Cos(a)))
}

// marker is the symbol of a node's state; the legend explains them.
func marker(s cluster.State) (rune, styleID) {
	switch s {
	case cluster.StateAlive:
		return '●', stAlive
	case cluster.StatePaused:
		return '◐', stPaused
	case cluster.StateLeft:
		return '◌', stDim
	}
	return '○', stDown
}

// drawRing draws the scene on a w×h canvas: ring, key ticks, finger chords,
// lookup path, then node markers and labels, so the most important thing
// owns each cell.
func drawRing(sc *ringScene, w, h int) *canvas {
	c := newCanvas(w, h)
	snap := sc.snap
	g := newRingGeom(w, h, labelRoom(snap))
	steps := int(8*g.r) + 16
	for i := 0; i < steps; i++ {
		x, y := g.at(float64(i)/float64(steps), 0)
		c.dot(x, y, stDim)
	}
	if sc.showKeys {
		for _, k := range snap.KeyIDs {
			x, y := g.at(fraction(k, snap.Bits), -2)
			c.dot(x, y, stKey)
		}
	}
	pos := func(n *cluster.NodeSnapshot) (int, int) { return g.at(fraction(n.ID, snap.Bits), 0) }
	sel := -1
	for i := range snap.Nodes {
		if snap.Nodes[i].Name == sc.selected {
			sel = i
		}
	}
	if sel >= 0 && len(sc.path) == 0 { // a lookup path replaces the fingers
		n := &snap.Nodes[sel]
		x0, y0 := pos(n)
		seen := map[string]bool{n.Addr: true}
		for _, f := range n.Chord.Fingers {
			if f.IsZero() || seen[f.Addr] {
				continue
			}
			seen[f.Addr] = true
			x1, y1 := g.at(fraction(f.ID, snap.Bits), 0)
			c.line(x0, y0, x1, y1, stFinger)
		}
	}
	// The lookup path, with each hop's number at the middle of its chord.
	type pt struct{ x, y int }
	var hopNums []pt
	for i := 1; i < len(sc.path); i++ {
		a, b := sc.ix.byAddr[sc.path[i-1]], sc.ix.byAddr[sc.path[i]]
		if a == nil || b == nil {
			continue
		}
		x0, y0 := pos(a)
		x1, y1 := pos(b)
		c.line(x0, y0, x1, y1, stPath)
		hopNums = append(hopNums, pt{(x0 + x1) / 2, (y0 + y1) / 2})
	}
	// Reserve the ring's cells so labels stay outside it.
	for i := range c.dots {
		if c.dots[i] != 0 && c.layer[i] == stDim {
			c.block[i] = true
		}
	}
	// Markers, least important first so the selected node wins a shared cell.
	order := labelOrder(sc)
	for i := len(order) - 1; i >= 0; i-- {
		n := &snap.Nodes[order[i]]
		x, y := pos(n)
		r, st := marker(n.State)
		if n.Name == sc.selected {
			st = stSelected
		}
		c.put(x/2, y/4, string(r), st)
		c.owner[clampIdx(c, x/2, y/4)] = int32(order[i] + 1)
	}
	for i, p := range hopNums {
		cx, cy := p.x/2, p.y/4
		num := strconv.Itoa(i + 1)
		if c.text[clampIdx(c, cx, cy)] == 0 {
			c.put(cx, cy, num, stPath)
		}
	}
	// Labels, most important first; a label that would collide is shortened
	// to the name, then dropped.
	for _, idx := range order {
		n := &snap.Nodes[idx]
		f := fraction(n.ID, snap.Bits)
		st := stText
		switch {
		case n.Name == sc.selected:
			st = stSelected
		case n.Name == sc.origin:
			st = stOrigin
		case n.State != cluster.StateAlive:
			_, st = marker(n.State)
		}
		full := n.Name + " " + n.ID.Short(snap.Bits)
		placeLabel(c, g, f, int32(idx+1), []string{full, n.Name}, st)
	}
	return c
}

// placeLabel puts the first candidate that fits next to the node at
// fraction f: outside the ring at growing distances, then beside the marker
// where no dots would be covered.
func placeLabel(c *canvas, g ringGeom, f float64, owner int32, cands []string, st styleID) {
	s := math.Sin(2 * math.Pi * f)
	mx0, my0 := g.at(f, 0)
	mx, my := mx0/2, my0/4
	type try struct {
		dr float64
		dy int
	}
	for _, tr := range []try{{5, 0}, {9, 0}, {5, -1}, {5, 1}, {13, 0}, {9, -1}, {9, 1}} {
		x, y := g.at(f, tr.dr)
		cx, cy := x/2, y/4+tr.dy
		for _, label := range cands {
			n := len([]rune(label))
			lx := cx - n/2
			switch {
			case s > 0.35:
				lx = cx
			case s < -0.35:
				lx = cx - n + 1
			}
			if c.free(lx, cy, n, false) && c.nearestMarker(lx, cy, n, mx, my, owner) {
				c.put(lx, cy, label, st)
				return
			}
		}
	}
	for _, label := range cands {
		n := len([]rune(label))
		lx := mx + 2 // beside the marker on the outer side only
		if s < 0 {
			lx = mx - n - 1
		}
		{
			if c.free(lx, my, n, true) && c.nearestMarker(lx, my, n, mx, my, owner) {
				c.put(lx, my, label, st)
				return
			}
		}
	}
}

// nearestMarker reports whether no other node's marker is closer to the
// label at (x, y), n cells long, than the labelled node's marker at (mx, my),
// so a label is never read as another node's.
func (c *canvas) nearestMarker(x, y, n, mx, my int, owner int32) bool {
	dist := func(ax, ay int) int { // from the label's nearest cell, rows count double
		dx := 0
		switch {
		case ax < x:
			dx = x - ax
		case ax >= x+n:
			dx = ax - (x + n - 1)
		}
		return dx*dx + 4*(ay-y)*(ay-y)
	}
	d0 := dist(mx, my)
	for yy := max(0, y-3); yy <= min(c.h-1, y+3); yy++ {
		for xx := max(0, x-6); xx <= min(c.w-1, x+n+6); xx++ {
			if o := c.owner[yy*c.w+xx]; o != 0 && o != owner && dist(xx, yy) < d0 {
				return false
			}
		}
	}
	return true
}

// labelOrder lists the nodes to label, most important first: selected,
// origin, nodes on the lookup path, nodes not alive, then the rest in
// ring order.
func labelOrder(sc *ringScene) []int {
	onPath := map[string]bool{}
	for _, a := range sc.path {
		onPath[a] = true
	}
	rank := func(n *cluster.NodeSnapshot) int {
		switch {
		case n.Name == sc.selected:
			return 0
		case n.Name == sc.origin:
			return 1
		case onPath[n.Addr]:
			return 2
		case n.State != cluster.StateAlive:
			return 3
		}
		return 4
	}
	out := make([]int, len(sc.snap.Nodes))
	for i := range out {
		out[i] = i
	}
	slices.SortStableFunc(out, func(i, j int) int {
		a, b := &sc.snap.Nodes[i], &sc.snap.Nodes[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return a.ID.Cmp(b.ID)
	})
	return out
}

func clampIdx(c *canvas, x, y int) int {
	x = min(max(x, 0), c.w-1)
	y = min(max(y, 0), c.h-1)
	return y*c.w + x
}

// nodeAtCell returns the node whose marker is nearest to cell (x, y) of a
// w×h ring canvas, within two cells, for mouse selection.
func nodeAtCell(snap *cluster.Snapshot, w, h, x, y int) (string, bool) {
	g := newRingGeom(w, h, labelRoom(snap))
	best, bestD := "", 5.0
	for i := range snap.Nodes {
		n := &snap.Nodes[i]
		dx, dy := g.at(fraction(n.ID, snap.Bits), 0)
		d := math.Hypot(float64(dx/2-x), 2*float64(dy/4-y))
		if d < bestD {
			best, bestD = n.Name, d
		}
	}
	return best, best != ""
}

// fraction is chord.ID.Fraction without big numbers: the identifier's top
// 64 bits over 2^64 (exact to float64 precision), fast enough for thousands
// of key ticks a frame.
func fraction(id chord.ID, bits int) float64 {
	if bits <= 64 {
		return float64(id.Uint64()) / math.Exp2(float64(bits))
	}
	// id = w0<<128 | w1<<64 | w2 (big-endian bytes 0–3, 4–11, 12–19); keep
	// the 64 bits below bit number bits, i.e. id >> (bits-64).
	w0 := uint64(binary.BigEndian.Uint32(id[0:4]))
	w1 := binary.BigEndian.Uint64(id[4:12])
	w2 := binary.BigEndian.Uint64(id[12:20])
	var top uint64
	switch s := uint(bits - 64); {
	case s < 64:
		top = w2>>s | w1<<(64-s)
	default:
		top = w1>>(s-64) | w0<<(128-s)
	}
	return float64(top) / math.Exp2(64)
}
