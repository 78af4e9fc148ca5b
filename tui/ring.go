package tui

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	// block marks cells that labels may not use (ring, markers, labels,
	// leaders).
	block []bool
	// owner is 1 + the index of the site whose marker is in the cell, or 0.
	owner []int32
	// outside marks the cells wholly outside the ring, where labels go;
	// inner marks those inside it, where no leader goes.
	outside, inner []bool
	// leader marks the cells a label's leader line runs through.
	leader []bool
	// labels lists the labels drawn, in the order they were placed.
	labels []placedLabel
	// shared is true when two nodes or more share a marker cell.
	shared bool
}

// placedLabel is one label on the canvas, of site site: its text starts
// at cell (x, y) and is n cells long.
type placedLabel struct {
	site    int
	x, y, n int
	text    string
}

func newCanvas(w, h int) *canvas {
	n := w * h
	return &canvas{w: w, h: h, dots: make([]uint8, n), layer: make([]styleID, n),
		text: make([]rune, n), tstyl: make([]styleID, n), block: make([]bool, n), owner: make([]int32, n),
		outside: make([]bool, n), inner: make([]bool, n), leader: make([]bool, n)}
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

// dashed draws a dashed line of dots from (x0, y0) to (x1, y1): two dots
// on, two off, so it differs from a solid chord without colour.
func (c *canvas) dashed(x0, y0, x1, y1 int, s styleID) {
	n := max(abs(x1-x0), abs(y1-y0))
	for k := 0; k <= n; k++ {
		if k%4 >= 2 {
			continue
		}
		t := 0.0
		if n > 0 {
			t = float64(k) / float64(n)
		}
		c.dot(int(math.Round(float64(x0)+t*float64(x1-x0))), int(math.Round(float64(y0)+t*float64(y1-y0))), s)
	}
}

// free reports whether n cells from (x, y) on its row hold no text and
// are not kept free for labels.
func (c *canvas) free(x, y, n int) bool {
	if y < 0 || y >= c.h || x < 0 || x+n > c.w {
		return false
	}
	for i := y*c.w + x; i < y*c.w+x+n; i++ {
		if c.text[i] != 0 || c.block[i] {
			return false
		}
	}
	return true
}

// putAlong writes text on the chord from (x0, y0) to (x1, y1) (dots): at
// its middle, else at the free place nearest the middle, so that no number
// hides a marker, a label or another number. It prefers a place with no
// text in the cells around it, then one with blank cells before and after
// it, so that it does not read as part of a marker's count or a label.
func (c *canvas) putAlong(x0, y0, x1, y1 int, text string, st styleID) {
	n := utf8.RuneCountInString(text)
	for _, room := range []int{2, 1, 0} {
		for _, f := range []float64{0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.15, 0.85} {
			x := int(math.Round(float64(x0)+f*float64(x1-x0))) / 2
			y := int(math.Round(float64(y0)+f*float64(y1-y0))) / 4
			for _, dx := range []int{0, -1, 1 - n, 1} {
				if c.free(x+dx, y, n) && c.clearAround(x+dx, y, n, room) {
					c.put(x+dx, y, text, st)
					return
				}
			}
		}
	}
}

// clearAround reports whether the cells around n cells from (x, y) hold
// no text: all eight neighbours (room 2), the cells just before and after
// (room 1), or nothing asked (room 0).
func (c *canvas) clearAround(x, y, n, room int) bool {
	textAt := func(x, y int) bool { return x >= 0 && y >= 0 && x < c.w && y < c.h && c.text[y*c.w+x] != 0 }
	switch room {
	case 0:
		return true
	case 1:
		return !textAt(x-1, y) && !textAt(x+n, y)
	}
	for yy := y - 1; yy <= y+1; yy++ {
		for xx := x - 1; xx <= x+n; xx++ {
			if (yy != y || xx < x || xx >= x+n) && textAt(xx, yy) {
				return false
			}
		}
	}
	return true
}

// drawKey marks the lookup's key inside the ring at its identifier (◆),
// with its name beside it towards the centre when there is room.
func (c *canvas) drawKey(g ringGeom, l *ringLookup, bits int) {
	f := fraction(l.key, bits)
	for _, dr := range []float64{-4, -6, -8} {
		x, y := g.at(f, dr)
		cx, cy := x/2, y/4
		if !c.free(cx, cy, 1) {
			continue
		}
		c.put(cx, cy, "◆", stKey)
		label := l.label
		if utf8.RuneCountInString(label) > 16 {
			label = string([]rune(label)[:15]) + "…"
		}
		n := utf8.RuneCountInString(label)
		if n == 0 {
			return
		}
		lx := cx + 1 // towards the centre: right on the left half
		if float64(x) > g.cx {
			lx = cx - n
		}
		for _, y := range []int{cy, cy + 1, cy - 1} {
			if c.free(lx, y, n) {
				c.put(lx, y, label, stKey)
				c.labels = append(c.labels, placedLabel{site: -1, x: lx, y: y, n: n, text: label})
				return
			}
		}
		return
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
	// lookup is the lookup being shown, nil for none: it replaces the
	// selected node's finger chords.
	lookup *ringLookup
	// arrows draws every node's successor pointer as an arc inside the
	// ring, clockwise from the node to its successor.
	arrows bool
	// changed lists the pointers the last step changed (still holding);
	// they are drawn highlighted and their nodes labelled.
	changed []cluster.PointerChange
	// marked names the nodes of the selected violation.
	marked map[string]bool
	// heat is each live node's heat level (load.go), nil when the ring
	// is not shaded; heatGlyphs draws the levels as glyphs (no colour).
	heat       map[string]int
	heatGlyphs bool
	// hostColor colours each live identity by its real node with virtual
	// nodes (nil without them); selHost is the selected node's real node,
	// whose identities are all drawn ◆ (vnodes.go).
	hostColor map[string]styleID
	selHost   string
	// where is what each node holds of the file where marks (where.go).
	where map[string]holdKind
}

// changedNode reports whether the last step changed a pointer of name.
func (sc *ringScene) changedNode(name string) bool {
	return slices.ContainsFunc(sc.changed, func(ch cluster.PointerChange) bool { return ch.Node.Name == name })
}

// ringLookup is the part of a lookup the ring draws, numbered as
// docs/chord.md says: the origin is hop 0 and call k (hops 1..) is a chord
// from the node whose routing entry named the node called, to it.
type ringLookup struct {
	origin string // address of the origin, hop 0
	hops   []ringHop
	key    chord.ID // the key's identifier, marked ◆
	label  string   // the key's name
	resp   string   // the RESP command's step (get, set, read, write) that ran it; "" for the UI's own
	// recursive: each node called made the next call (chord's recursive
	// lookups, above 64 nodes), not the origin.
	recursive bool
}

// ringHop is one call of a lookup: numbered num, from the node at address
// from (the one whose entry named it) to the node at address to.
type ringHop struct {
	from, to string
	num      int
	failed   bool
}

// onPath reports whether the node at addr is the lookup's origin or was
// called by it.
func (l *ringLookup) onPath(addr string) bool {
	if l == nil {
		return false
	}
	if l.origin == addr {
		return true
	}
	return slices.ContainsFunc(l.hops, func(h ringHop) bool { return h.to == addr })
}

// failed reports whether any call drawn failed.
func (l *ringLookup) failed() bool {
	return l != nil && slices.ContainsFunc(l.hops, func(h ringHop) bool { return h.failed })
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
	n += 1 + len(chord.ID{}.Label(snap.Bits)) + 2
	if snap.Bits <= chord.DecimalBits {
		n = max(n, 2+len(chord.IDFromUint64(snap.Bits, 1<<uint(snap.Bits)-1).Label(snap.Bits))+6) // "N1023 ~20ms"
	}
	if snap.Health.Partitioned {
		n += len("A:")
	}
	return n
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
	c.zones(g)
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
	if sel >= 0 && sc.lookup == nil { // a lookup's calls replace the fingers
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
	// The lookup's calls: a chord each, dashed when the call failed, its
	// number placed later along it.
	type chordNum struct {
		x0, y0, x1, y1 int
		text           string
		st             styleID
	}
	var hopNums []chordNum
	if l := sc.lookup; l != nil {
		for _, h := range l.hops {
			a, b := sc.ix.byAddr[h.from], sc.ix.byAddr[h.to]
			if a == nil || b == nil {
				continue
			}
			x0, y0 := pos(a)
			x1, y1 := pos(b)
			cn := chordNum{x0, y0, x1, y1, strconv.Itoa(h.num), stPath}
			if h.failed {
				c.dashed(x0, y0, x1, y1, stFailed)
				cn.text, cn.st = "✗"+cn.text, stFailed
			} else {
				c.line(x0, y0, x1, y1, stPath)
			}
			hopNums = append(hopNums, cn)
		}
	}
	var marks []ringMark
	if sc.arrows {
		marks = c.drawSuccessors(sc, g)
	}
	changedChords := c.drawChanged(sc, g, pos)
	// Reserve the ring's cells so labels stay outside it.
	for i := range c.dots {
		if c.dots[i] != 0 && c.layer[i] == stDim {
			c.block[i] = true
		}
	}
	sites := ringSites(sc, g, w, h)
	for i := range sites {
		c.drawMarker(sc, &sites[i], i)
	}
	if sc.lookup != nil {
		c.drawKey(g, sc.lookup, snap.Bits)
	}
	for _, p := range hopNums {
		c.putAlong(p.x0, p.y0, p.x1, p.y1, p.text, p.st)
	}
	for _, mk := range marks {
		if n := utf8.RuneCountInString(mk.text); c.free(mk.x, mk.y, n) {
			c.put(mk.x, mk.y, mk.text, mk.st)
		}
	}
	for _, ch := range changedChords {
		c.putAlong(ch.x0, ch.y0, ch.x1, ch.y1, changeMark, stChanged)
	}
	// A crowded ring labels what matters (the must-label nodes) and then
	// only the sites with the most room around them, so that its labels
	// stay readable.
	optional, limit := 0, len(sites)
	if len(sites) > crowdedSites {
		limit = max(8, (w+h)/5)
	}
	for _, i := range labelOrder(sites) {
		if !mustLabel(sites[i].ranks[0]) {
			if optional >= limit {
				continue
			}
			optional++
		}
		c.labelSite(sc, sites, i)
	}
	return c
}

// zones marks the cells wholly outside the ring (for labels) and wholly
// inside it (kept free of leaders), from each cell's centre.
func (c *canvas) zones(g ringGeom) {
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			d := math.Hypot(float64(2*x+1)-g.cx, float64(4*y+2)-g.cy)
			c.outside[y*c.w+x] = d > g.r+1.5
			c.inner[y*c.w+x] = d < g.r-2.5
		}
	}
}

// crowdedSites is the number of marker cells above which a ring labels
// only some of the nodes that need no label.
const crowdedSites = 40

// Label ranks, most important first. The selected node, the origin, the
// nodes on the lookup path and faulty nodes must be labelled: they are
// labelled first, with a leader or inside the ring if need be; the rest
// only where a label fits beside them or a short leader away. Only a ring
// packed past a dozen nodes a cell can leave a must-label node unnamed.
const (
	rankSelected = iota
	rankOrigin
	rankPath
	rankMarked // named by the selected violation, or changed by the last step
	rankHolder // holds a key of the file where marks
	rankFaulty
	rankRest
	rankLeft // gone from the ring: labelled last
)

// mustLabel reports whether a node of this rank is always labelled.
func mustLabel(rank int) bool { return rank <= rankFaulty }

// faulty reports whether a fault shows on n: down, paused, partitioned,
// delayed or dropping messages.
func faulty(n *cluster.NodeSnapshot) bool {
	return n.State == cluster.StateDown || n.State == cluster.StatePaused ||
		n.Partitioned || n.Delay > 0 || n.DropPercent > 0
}

// ringSite is one marker cell of the ring and the nodes drawn in it.
type ringSite struct {
	x, y  int
	nodes []int   // indices into snap.Nodes, most important first
	ranks []int   // the rank of each node
	f     float64 // the first node's place on the ring, in turns
	room  float64 // the arc to the nearer neighbouring site, in turns
}

// ringSites groups the nodes by the cell their marker falls in.
func ringSites(sc *ringScene, g ringGeom, w, h int) []ringSite {
	snap := sc.snap
	rank := func(n *cluster.NodeSnapshot) int {
		switch {
		case n.Name == sc.selected:
			return rankSelected
		case n.Name == sc.origin:
			return rankOrigin
		case sc.lookup.onPath(n.Addr):
			return rankPath
		case sc.marked[n.Name] || sc.changedNode(n.Name):
			return rankMarked
		case sc.where[n.Name] != holdNone:
			return rankHolder
		case faulty(n):
			return rankFaulty
		case n.State == cluster.StateLeft:
			return rankLeft
		}
		return rankRest
	}
	byCell := make(map[int]int, len(snap.Nodes))
	var sites []ringSite
	for i := range snap.Nodes {
		x, y := g.at(fraction(snap.Nodes[i].ID, snap.Bits), 0)
		cx, cy := min(max(x/2, 0), w-1), min(max(y/4, 0), h-1)
		j, ok := byCell[cy*w+cx]
		if !ok {
			j = len(sites)
			byCell[cy*w+cx] = j
			sites = append(sites, ringSite{x: cx, y: cy})
		}
		sites[j].nodes = append(sites[j].nodes, i)
	}
	for j := range sites {
		s := &sites[j]
		slices.SortStableFunc(s.nodes, func(a, b int) int {
			na, nb := &snap.Nodes[a], &snap.Nodes[b]
			if ra, rb := rank(na), rank(nb); ra != rb {
				return ra - rb
			}
			return na.ID.Cmp(nb.ID)
		})
		for _, i := range s.nodes {
			s.ranks = append(s.ranks, rank(&snap.Nodes[i]))
		}
		s.f = fraction(snap.Nodes[s.nodes[0]].ID, snap.Bits)
	}
	byF := make([]int, len(sites))
	for i := range byF {
		byF[i] = i
	}
	slices.SortFunc(byF, func(a, b int) int { return cmpFloat(sites[a].f, sites[b].f) })
	for k, j := range byF {
		prev, next := sites[byF[(k+len(byF)-1)%len(byF)]].f, sites[byF[(k+1)%len(byF)]].f
		before, after := math.Mod(sites[j].f-prev+1, 1), math.Mod(next-sites[j].f+1, 1)
		if len(byF) == 1 {
			before, after = 1, 1
		}
		sites[j].room = math.Min(before, after)
	}
	return sites
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// labelOrder lists the sites in the order they are labelled: by their
// most important node's rank, and among the rest those with the most room
// around them first, so labels spread round the ring.
func labelOrder(sites []ringSite) []int {
	out := make([]int, len(sites))
	for i := range out {
		out[i] = i
	}
	slices.SortStableFunc(out, func(a, b int) int {
		sa, sb := &sites[a], &sites[b]
		if sa.ranks[0] != sb.ranks[0] {
			return sa.ranks[0] - sb.ranks[0]
		}
		if sa.ranks[0] >= rankRest && sa.room != sb.room {
			return cmpFloat(sb.room, sa.room)
		}
		return cmpFloat(sa.f, sb.f)
	})
	return out
}

// labelStyle is the style of a node's label (and of a shared cell's count).
func labelStyle(sc *ringScene, n *cluster.NodeSnapshot, rank int) styleID {
	switch rank {
	case rankSelected:
		return stSelected
	case rankOrigin:
		return stOrigin
	case rankPath:
		return stPath
	case rankMarked:
		if sc.marked[n.Name] {
			return stMarked
		}
		return stChanged
	case rankHolder:
		_, st := whereGlyph(sc.where[n.Name], n.State)
		return st
	}
	if n.State != cluster.StateAlive {
		_, st := marker(n.State)
		return st
	}
	if faulty(n) {
		return stWarn
	}
	return stText
}

// drawMarker draws a site's marker: the node's state symbol, or how many
// nodes share the cell.
func (c *canvas) drawMarker(sc *ringScene, s *ringSite, idx int) {
	n := &sc.snap.Nodes[s.nodes[0]]
	r, st := marker(n.State)
	if len(s.nodes) > 1 {
		c.shared = true
		r = '+'
		if len(s.nodes) <= 9 {
			r = rune('0' + len(s.nodes))
		}
		if st = labelStyle(sc, n, s.ranks[0]); st == stText {
			st = stAlive
		}
	}
	if len(s.nodes) == 1 && n.State == cluster.StateAlive && n.Side != "" {
		st = sideStyle(n.Side) // the side's colour; its label names the side
	}
	if st2, ok := sc.hostColor[n.Host]; ok && len(s.nodes) == 1 && n.State == cluster.StateAlive {
		st = st2 // its real node's colour
	}
	if sc.selHost != "" && len(s.nodes) == 1 && n.Host == sc.selHost && n.State == cluster.StateAlive {
		r = hostMark // one of the selected node's real node's identities
	}
	if level, ok := sc.heatOf(s); ok {
		st = heatStyle(level)
		if sc.heatGlyphs && len(s.nodes) == 1 && r != hostMark {
			r = heatGlyphs[level]
		}
	}
	if k := sc.where[n.Name]; len(s.nodes) == 1 && k != holdNone {
		r, st = whereGlyph(k, n.State) // its label's state badge says why it is down
	}
	switch {
	case s.ranks[0] == rankSelected, r == hostMark:
		st = stSelected
	case sc.marked[n.Name]:
		st = stMarked
	}
	c.put(s.x, s.y, string(r), st)
	c.owner[s.y*c.w+s.x] = int32(idx + 1)
}

// heatOf is the hottest level of the live nodes in s, when the ring is
// shaded and s has one.
func (sc *ringScene) heatOf(s *ringSite) (int, bool) {
	level, ok := 0, false
	for _, i := range s.nodes {
		if l, hot := sc.heat[sc.snap.Nodes[i].Name]; hot {
			level, ok = max(level, l), true
		}
	}
	return level, ok
}

// seg is a run of label text in one style.
type seg struct {
	s  string
	st styleID
}

// labelText is a label made of styled runs.
type labelText []seg

func (t labelText) width() int {
	n := 0
	for _, s := range t {
		n += utf8.RuneCountInString(s.s)
	}
	return n
}

func (t labelText) String() string {
	var b strings.Builder
	for _, s := range t {
		b.WriteString(s.s)
	}
	return b.String()
}

// nodeNames is each node's name in a site's label, in the site's order:
// the origin's with a * after it, under a partition its side's letter
// before it ("B:n3"), and, in a shared cell (whose marker is the count),
// the state symbol of a node not alive before that.
func nodeNames(sc *ringScene, s *ringSite) []labelText {
	out := make([]labelText, len(s.nodes))
	for k, i := range s.nodes {
		n := &sc.snap.Nodes[i]
		txt := n.Name
		if n.Name == sc.origin {
			txt += "*"
		}
		if sc.marked[n.Name] {
			txt = "⚠" + txt
		}
		txt += faultBadge(n)
		switch k := sc.where[n.Name]; {
		case len(s.nodes) > 1 && k != holdNone:
			sym, _ := whereGlyph(k, n.State)
			txt = string(sym) + txt
		case len(s.nodes) > 1 && n.State != cluster.StateAlive:
			sym, _ := marker(n.State)
			txt = string(sym) + txt
		}
		var t labelText
		if n.Side != "" {
			t = append(t, seg{n.Side + ":", sideStyle(n.Side)})
		}
		out[k] = append(t, seg{txt, labelStyle(sc, n, s.ranks[k])})
	}
	return out
}

// joinNames joins names with a / (one label, several nodes).
func joinNames(names []labelText) labelText {
	var t labelText
	for k, nm := range names {
		if k > 0 {
			t = append(t, seg{"/", stNone})
		}
		t = append(t, nm...)
	}
	return t
}

// siteTexts lists the labels a site may get, longest first: names with
// IDs, names alone, then (in a shared cell) the names that must show and
// a count of the others.
func siteTexts(sc *ringScene, s *ringSite) []labelText {
	snap := sc.snap
	names := nodeNames(sc, s)
	var full labelText
	must := 0
	for k, nm := range names {
		if k > 0 {
			full = append(full, seg{"/", stNone})
		}
		full = append(full, nm...)
		if n := &snap.Nodes[s.nodes[k]]; !namedByID(n, snap.Bits) {
			full = append(full, seg{" " + n.ID.Label(snap.Bits), nm[len(nm)-1].st})
		}
		if mustLabel(s.ranks[k]) {
			must++
		}
	}
	out := []labelText{full, joinNames(names)}
	if keep := max(1, must); keep < len(s.nodes) {
		short := joinNames(names[:keep])
		out = append(out, append(short, seg{fmt.Sprintf(" +%d", len(s.nodes)-keep), stDim}))
	}
	return out
}

// spot is a place a label of some length fits: its first cell, how many
// blank cells part it from the marker's column and row, and its cost.
type spot struct {
	x, y, gap, dy, cost int
	off                 int // how far the label's middle is from the marker's column
}

// near reports whether a label at sp reads as its marker's without a
// leader: on the marker's row at most two cells away, or on the next row
// at most one cell away.
func (sp spot) near() bool { return sp.dy == 0 && sp.gap <= 2 || abs(sp.dy) == 1 && sp.gap <= 1 }

// fits reports whether a label of n cells fits at (x, y): outside the ring
// (or anywhere off it when inside), on no marker, label or leader, with a
// blank cell before and after it.
func (c *canvas) fits(x, y, n int, inside bool) bool {
	if y < 0 || y >= c.h || x < 0 || x+n > c.w {
		return false
	}
	for i := y*c.w + x; i < y*c.w+x+n; i++ {
		if c.block[i] || !c.outside[i] && !inside {
			return false
		}
	}
	return (x == 0 || c.text[y*c.w+x-1] == 0) && (x+n == c.w || c.text[y*c.w+x+n] == 0)
}

// spots lists where a label of n cells fits near the marker at (mx, my)
// (inside the ring too when inside), cheapest first: within rows rows and
// scan cells of it, on either side or across its column, preferring the
// marker's row, the side facing out of the ring (up when up) and the
// cells nearest the marker.
func (c *canvas) spots(mx, my, n, rows, scan int, up, inside bool) []spot {
	var out []spot
	add := func(x, y, gap int) {
		dy := y - my
		cost := gap + 2*abs(dy)
		if dy != 0 && (dy < 0) != up {
			cost++
		}
		out = append(out, spot{x, y, gap, dy, cost, abs(x + n/2 - mx)})
	}
	for dy := -rows; dy <= rows; dy++ {
		y := my + dy
		if y < 0 || y >= c.h {
			continue
		}
		for x := mx + 1; x <= mx+2+scan && x+n <= c.w; x++ { // right of the marker
			if c.fits(x, y, n, inside) {
				add(x, y, x-mx-1)
			}
		}
		for end := mx - 1; end >= mx-2-scan && end-n+1 >= 0; end-- { // left of it
			if c.fits(end-n+1, y, n, inside) {
				add(end-n+1, y, mx-end-1)
			}
		}
		if dy == 0 {
			continue
		}
		for k := 0; k < n; k++ { // above or below it, across its column
			x := mx - n/2 + (k+1)/2*(1-2*(k%2))
			if x >= 0 && x <= mx && x+n > mx && c.fits(x, y, n, inside) {
				add(x, y, 0)
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b spot) int {
		if a.cost != b.cost {
			return a.cost - b.cost
		}
		if a.off != b.off { // centred on the marker when above or below it
			return a.off - b.off
		}
		if a.y != b.y {
			return a.y - b.y
		}
		return a.x - b.x
	})
	return out
}

// gapTo is how a marker at (x, y) lies to a label at sp of n cells: rows
// apart, and blank cells between it and the label's nearer end (0 when it
// is across the label's span).
func gapTo(sp spot, n, x, y int) (dy, gap int) {
	switch {
	case x < sp.x:
		gap = sp.x - x - 1
	case x >= sp.x+n:
		gap = x - (sp.x + n)
	}
	return y - sp.y, gap
}

// readScore ranks how readily a label is read as a marker's: the blank
// cells between them, and three more for a marker on the next row (a label
// is read as the marker's on its own row first).
func readScore(dy, gap int) int { return gap + 3*abs(dy) }

// confusable reports whether another site's marker lies near the label at
// sp (as spot.near means it) and reads as its owner no less readily than
// a marker of score own would, so the label could be taken for that
// node's. A marker beyond the site's own marker (at mx, my) on the same
// row does not count: the label is read as the nearer one's.
func (c *canvas) confusable(sp spot, n, idx, own, mx, my int) bool {
	for y := max(0, sp.y-1); y <= min(c.h-1, sp.y+1); y++ {
		for x := max(0, sp.x-3); x <= min(c.w-1, sp.x+n+2); x++ {
			o := c.owner[y*c.w+x]
			if o == 0 || int(o) == idx+1 {
				continue
			}
			if y == my && y == sp.y && (x < mx && mx < sp.x || x > mx && mx >= sp.x+n) {
				continue
			}
			dy, gap := gapTo(sp, n, x, y)
			if (spot{gap: gap, dy: dy}).near() && readScore(dy, gap) <= own+1 {
				return true
			}
		}
	}
	return false
}

// leaderEnd is the blank cell beside a label at sp (n cells) on the side of
// the marker at (mx, my), where its leader line ends.
func leaderEnd(sp spot, n, mx int) (int, int) {
	switch {
	case sp.x > mx: // the label is right of the marker
		return sp.x - 1, sp.y
	case sp.x+n-1 < mx: // left of it
		return sp.x + n, sp.y
	}
	return mx, sp.y - sign(sp.dy) // across its column, above or below
}

// leaderFree reports whether a leader may run through cell (x, y): no text
// there, no label beside it on its row, and not inside the ring. A leader
// may cross the ring itself: its glyph replaces the ring's dots. Its
// glyphs join only its own cells, so it never seems to start at another
// marker.
func (c *canvas) leaderFree(x, y int) bool {
	if x < 0 || y < 0 || x >= c.w || y >= c.h {
		return false
	}
	i := y*c.w + x
	if c.text[i] != 0 || c.inner[i] {
		return false
	}
	for _, nx := range []int{x - 1, x + 1} {
		if j := y*c.w + nx; nx >= 0 && nx < c.w && c.text[j] != 0 && c.owner[j] == 0 && !c.leader[j] {
			return false
		}
	}
	return true
}

// leaderRoutes is every leader route from one marker within a box of the
// canvas: for each cell, the cheapest run of free cells (leaderFree) from
// the marker to it along rows and columns. A step costs 1, a corner 2 more
// and crossing the ring 4 more, so leaders are short, straight and leave
// the ring rather than run along it. Leaders run only along rows and
// columns, so each glyph joins exactly its neighbours on the route and
// none looks as if it left another marker.
type leaderRoutes struct {
	c              *canvas
	mx, my         int
	x0, y0, bw, bh int
	cost           []int // per cell and last step: 4 directions, then the marker itself
	prev           []int // the state before, -1 at the marker
	rings          []int // ring cells crossed so far
}

var leaderSteps = [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}}

// routeLeaders finds the routes from the marker at (mx, my) to every cell
// within dx columns and dy rows of it that cross the ring at most maxRing
// times.
func (c *canvas) routeLeaders(mx, my, dx, dy, maxRing int) *leaderRoutes {
	r := &leaderRoutes{c: c, mx: mx, my: my, x0: max(0, mx-dx), y0: max(0, my-dy)}
	r.bw, r.bh = min(c.w, mx+dx+1)-r.x0, min(c.h, my+dy+1)-r.y0
	n := r.bw * r.bh * 5
	r.cost, r.prev, r.rings = make([]int, n), make([]int, n), make([]int, n)
	for i := range r.cost {
		r.cost[i] = math.MaxInt
	}
	start := r.state(mx, my, 4)
	r.cost[start], r.prev[start] = 0, -1
	h := stateHeap{cost: r.cost}
	h.push(start)
	for len(h.items) > 0 {
		st := h.pop()
		cell, dir := st/5, st%5
		x, y := cell%r.bw+r.x0, cell/r.bw+r.y0
		for d, step := range leaderSteps {
			nx, ny := x+step[0], y+step[1]
			if nx < r.x0 || ny < r.y0 || nx >= r.x0+r.bw || ny >= r.y0+r.bh || !c.leaderFree(nx, ny) {
				continue
			}
			cost, rings := r.cost[st]+1, r.rings[st]
			if dir != 4 && dir != d {
				cost += 2
			}
			if c.block[ny*c.w+nx] {
				cost, rings = cost+4, rings+1
			}
			if next := r.state(nx, ny, d); rings <= maxRing && cost < r.cost[next] {
				r.cost[next], r.prev[next], r.rings[next] = cost, st, rings
				h.push(next)
			}
		}
	}
	return r
}

func (r *leaderRoutes) state(x, y, dir int) int { return ((y-r.y0)*r.bw+x-r.x0)*5 + dir }

// to returns the cheapest route to (x, y), from the cell after the marker
// to (x, y) itself, and its cost; false when there is none.
func (r *leaderRoutes) to(x, y int) ([][2]int, int, bool) {
	if x < r.x0 || y < r.y0 || x >= r.x0+r.bw || y >= r.y0+r.bh || x == r.mx && y == r.my {
		return nil, 0, false
	}
	best := -1
	for d := 0; d < 4; d++ {
		if st := r.state(x, y, d); r.cost[st] != math.MaxInt && (best < 0 || r.cost[st] < r.cost[best]) {
			best = st
		}
	}
	if best < 0 {
		return nil, 0, false
	}
	var path [][2]int
	for st := best; r.prev[st] >= 0; st = r.prev[st] {
		path = append(path, [2]int{st/5%r.bw + r.x0, st/5/r.bw + r.y0})
	}
	slices.Reverse(path)
	return path, r.cost[best], true
}

// stateHeap is a binary min-heap of route states by cost.
type stateHeap struct {
	items []int
	cost  []int
}

func (h *stateHeap) push(st int) {
	h.items = append(h.items, st)
	for i := len(h.items) - 1; i > 0; {
		p := (i - 1) / 2
		if h.cost[h.items[p]] <= h.cost[h.items[i]] {
			break
		}
		h.items[p], h.items[i] = h.items[i], h.items[p]
		i = p
	}
}

func (h *stateHeap) pop() int {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items = h.items[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.cost[h.items[l]] < h.cost[h.items[m]] {
			m = l
		}
		if r < last && h.cost[h.items[r]] < h.cost[h.items[m]] {
			m = r
		}
		if m == i {
			return top
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
}

// leaderGlyph is the line drawing for a leader cell entered moving in and
// left moving out (unit steps along a row or column): straight, or a
// rounded corner.
func leaderGlyph(in, out [2]int) rune {
	if in == out {
		if in[1] == 0 {
			return '─'
		}
		return '│'
	}
	switch [4]int{in[0], in[1], out[0], out[1]} {
	case [4]int{1, 0, 0, 1}, [4]int{0, -1, -1, 0}:
		return '╮'
	case [4]int{1, 0, 0, -1}, [4]int{0, 1, -1, 0}:
		return '╯'
	case [4]int{-1, 0, 0, 1}, [4]int{0, -1, 1, 0}:
		return '╭'
	}
	return '╰'
}

// drawLeader draws the leader along path from the marker at (mx, my) to
// the cell beside the label that starts at (lx, ly).
func (c *canvas) drawLeader(path [][2]int, mx, my, lx, ly int) {
	px, py := mx, my
	for k, p := range path {
		in := [2]int{p[0] - px, p[1] - py}
		var out [2]int
		switch {
		case k+1 < len(path):
			out = [2]int{path[k+1][0] - p[0], path[k+1][1] - p[1]}
		case ly == p[1]: // the label is beside the last cell
			out = [2]int{sign(lx - p[0]), 0}
		default: // above or below it
			out = [2]int{0, sign(ly - p[1])}
		}
		c.put(p[0], p[1], string(leaderGlyph(in, out)), stDim)
		c.leader[p[1]*c.w+p[0]] = true
		px, py = p[0], p[1]
	}
}

// labelSite labels site idx: its whole label if one fits (see place);
// else, in a crowded shared cell, its must-label nodes a few at a time,
// most important first, while room lasts. A node that fits nowhere stays
// unlabelled; the nodes labelled before it had priority.
func (c *canvas) labelSite(sc *ringScene, sites []ringSite, idx int) {
	s := &sites[idx]
	if c.place(s, idx, siteTexts(sc, s)) || len(s.nodes) == 1 {
		return
	}
	parts := nodeNames(sc, s)
	must := 0
	for _, r := range s.ranks {
		if mustLabel(r) {
			must++
		}
	}
	for k := 0; k < must; {
		placed := false
		for j := must; j > k && !placed; j-- {
			t := joinNames(parts[k:j])
			if more := len(s.nodes) - j; more > 0 { // the nodes no label names yet
				t = append(t, seg{fmt.Sprintf(" +%d", more), stDim})
			}
			if placed = c.place(s, idx, []labelText{t}); placed {
				k = j
			}
		}
		if !placed {
			return
		}
	}
}

// place puts the first of texts that fits beside site idx's marker
// unmistakably; failing that, the text and spot further out that the
// cheapest leader line joins to the marker (only a short one, crossing
// the ring at most once, for a site that needs no label). It reports
// whether it placed one.
func (c *canvas) place(s *ringSite, idx int, texts []labelText) bool {
	rows, scan, maxCost, maxRing := 2, 4, 8, 1
	if mustLabel(s.ranks[0]) {
		rows, scan, maxCost, maxRing = 6, 24, 1<<30, 6
	}
	up := math.Cos(2*math.Pi*s.f) > 0 // outwards is up on the upper half
	if c.placeNear(s, idx, texts, up, false) {
		return true
	}
	var routes *leaderRoutes
	for _, t := range texts {
		n := t.width()
		best, bestCost := spot{}, math.MaxInt
		var bestPath [][2]int
		for _, sp := range c.spots(s.x, s.y, n, rows, scan, up, false) {
			if sp.cost >= bestCost || sp.cost > maxCost {
				break // spots come cheapest first
			}
			if c.confusable(sp, n, idx, 1<<20, s.x, s.y) {
				continue
			}
			if routes == nil { // a leader ends beside the label's nearer end
				routes = c.routeLeaders(s.x, s.y, scan+2, rows+1, maxRing)
			}
			ex, ey := leaderEnd(sp, n, s.x)
			path, cost, ok := routes.to(ex, ey)
			if !ok || sp.cost+cost >= bestCost || crosses(path, sp, n) {
				continue
			}
			best, bestCost, bestPath = sp, sp.cost+cost, path
		}
		if bestPath != nil {
			c.putLabel(t, best, idx)
			c.drawLeader(bestPath, s.x, s.y, best.x, best.y)
			return true
		}
	}
	// A must-label marker walled in by other markers: its label goes beside
	// it on the inside of the ring, over the chords, rather than nowhere.
	return mustLabel(s.ranks[0]) && c.placeNear(s, idx, texts, up, true)
}

// placeNear puts the first of texts that fits beside site idx's marker
// and reads as no other marker's (inside the ring too when inside).
func (c *canvas) placeNear(s *ringSite, idx int, texts []labelText, up, inside bool) bool {
	for _, t := range texts {
		n := t.width()
		for _, sp := range c.spots(s.x, s.y, n, 1, 1, up, inside) { // spot.near's reach
			if !sp.near() {
				continue
			}
			if !c.confusable(sp, n, idx, readScore(sp.dy, sp.gap), s.x, s.y) {
				c.putLabel(t, sp, idx)
				return true
			}
		}
	}
	return false
}

// crosses reports whether a leader path runs through the label at sp.
func crosses(path [][2]int, sp spot, n int) bool {
	return slices.ContainsFunc(path, func(p [2]int) bool { return p[1] == sp.y && p[0] >= sp.x && p[0] < sp.x+n })
}

// putLabel draws t at sp and records it.
func (c *canvas) putLabel(t labelText, sp spot, idx int) {
	x := sp.x
	for _, s := range t {
		c.put(x, sp.y, s.s, s.st)
		x += utf8.RuneCountInString(s.s)
	}
	c.labels = append(c.labels, placedLabel{site: idx, x: sp.x, y: sp.y, n: t.width(), text: t.String()})
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

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// namedByID reports whether n's name says its identifier ("N8" at 8), so
// that a label need not repeat it.
func namedByID(n *cluster.NodeSnapshot, bits int) bool {
	return bits <= chord.DecimalBits && n.Name == "N"+n.ID.Label(bits)
}

// faultBadge marks a node's faults in its label, without colour: ~20ms
// delayed, ↯30% dropping (a paused node's marker is ◐, a partitioned
// node's label starts with its side).
func faultBadge(n *cluster.NodeSnapshot) string {
	b := ""
	if n.Delay > 0 {
		b += "~" + shortDuration(n.Delay)
	}
	if n.DropPercent > 0 {
		b += fmt.Sprintf("↯%g%%", n.DropPercent)
	}
	if b != "" {
		b = " " + b
	}
	return b
}

// shortDuration prints a delay as "20ms", "1.5s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if d >= time.Second {
		s = strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
	}
	return s
}

// ringMark is a symbol drawn on an arc: ✗ or ! on a broken successor
// pointer.
type ringMark struct {
	x, y int
	text string
	st   styleID
}

// arcDots is how far inside the ring the successor arcs run, in dots; a
// broken pointer's arc runs further in, so it shows beside the arcs it
// crosses.
const (
	arcDots    = 4
	brokenDots = 7
)

// drawSuccessors draws every live or paused node's successor pointer as
// an arc inside the ring, clockwise from the node to its successor; one
// that points at a node not alive (✗) or not at the next live node (!)
// runs further in, in red, with its mark at its middle. A pointer the last
// step changed is drawn highlighted.
func (c *canvas) drawSuccessors(sc *ringScene, g ringGeom) []ringMark {
	snap := sc.snap
	var marks []ringMark
	for i := range snap.Nodes {
		n := &snap.Nodes[i]
		if (n.State != cluster.StateAlive && n.State != cluster.StatePaused) || !n.Chord.Joined {
			continue
		}
		succ := n.Chord.Successor()
		if succ.IsZero() || succ.Addr == n.Addr {
			continue
		}
		_, k := sc.ix.pointerMarks(n)
		st, dr := stSucc, float64(arcDots)
		switch k {
		case markDead, markNotIdeal, markNil:
			st, dr = stDown, brokenDots
		}
		if slices.ContainsFunc(sc.changed, func(ch cluster.PointerChange) bool {
			return ch.Node.Name == n.Name && ch.Kind == cluster.PointerSuccessor && ch.Index == 0
		}) {
			st = stChangedLine
		}
		f0, f1 := fraction(n.ID, snap.Bits), fraction(succ.ID, snap.Bits)
		mx, my := c.arc(g, f0, f1, -dr, st)
		switch {
		case st == stChangedLine: // marked without colour too
			marks = append(marks, ringMark{mx, my, k.suffix() + changeMark, stChanged})
		case k == markDead || k == markNotIdeal || k == markNil:
			marks = append(marks, ringMark{mx, my, k.suffix(), stDown})
		}
	}
	return marks
}

// arc draws the arc clockwise from fraction f0 to f1 of a turn at radius
// r+dr, leaving about a cell free at each end so that consecutive arcs
// stay apart, with a tick towards the ring at its end (the arrowhead).
// It returns the cell of a mark at its middle, further in.
func (c *canvas) arc(g ringGeom, f0, f1, dr float64, st styleID) (int, int) {
	span := math.Mod(f1-f0+1, 1)
	if span == 0 {
		span = 1
	}
	rad := g.r + dr
	gap := math.Min(span/4, 2.5/(2*math.Pi*math.Max(rad, 1)))
	a, b := f0+gap, f0+span-gap
	steps := max(2, int(2*math.Pi*rad*(b-a)*1.5))
	for i := 0; i <= steps; i++ {
		x, y := g.at(a+(b-a)*float64(i)/float64(steps), dr)
		c.dot(x, y, st)
	}
	x, y := g.at(b, dr+1) // the arrowhead: a dot towards the ring at the end
	c.dot(x, y, st)
	mx, my := g.at(f0+span/2, dr-4)
	return mx / 2, my / 4
}

// chordLine is a chord drawn on the canvas, in dots.
type chordLine struct{ x0, y0, x1, y1 int }

// drawChanged draws the pointers the last step changed that the arcs do
// not show: a new predecessor or finger as a highlighted chord from the
// node to it, and a new successor when the arcs are off. It returns the
// chords, to be marked Δ once the markers are down.
func (c *canvas) drawChanged(sc *ringScene, g ringGeom, pos func(*cluster.NodeSnapshot) (int, int)) []chordLine {
	var out []chordLine
	for _, ch := range sc.changed {
		if ch.New.IsZero() || ch.New.Addr == ch.Node.Addr {
			continue
		}
		if ch.Kind == cluster.PointerSuccessor && (ch.Index > 0 || sc.arrows) {
			continue // the successor list's other entries are told in the tables
		}
		a := sc.ix.byAddr[ch.Node.Addr]
		if a == nil {
			continue
		}
		x0, y0 := pos(a)
		x1, y1 := g.at(fraction(ch.New.ID.ID, sc.snap.Bits), 0)
		c.line(x0, y0, x1, y1, stChangedLine)
		out = append(out, chordLine{x0, y0, x1, y1})
	}
	return out
}
