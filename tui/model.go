package tui

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/chordtui/chordtui/dht"
	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// pane is one of the panes that Tab moves between.
type pane int

const (
	paneMembers pane = iota // the members table and the ring share the selection
	paneDetail              // the selected node, or the lookup shown
	paneStory               // the caption of a step or a lesson, or the violations
	paneLog                 // the event log
	paneCount
)

// mode is what the keyboard is talking to.
type mode int

const (
	modeNormal  mode = iota
	modeCommand      // the ":" prompt
	modeKey          // the get/set/del prompt
	modeHelp         // the full help screen
	modeFind         // "/" in the members pane: jump to a node
	modeSearch       // "/" in the event log: show the matching lines
	modeOutput       // a long command output, in a view of its own
)

// from says who ran a command: a key, the ":" prompt or a lesson.
type from int

const (
	fromKey from = iota
	fromPrompt
	fromLesson
)

// Messages the model sends itself.
type (
	tickMsg     struct{}
	snapshotMsg struct {
		snap cluster.Snapshot
		took time.Duration // how long Snapshot took
		seq  int           // the snapshot's number, in the order they were asked for
	}
	eventsMsg struct {
		events []cluster.Event
		closed bool
	}
	resultMsg struct {
		line string // the command as the REPL would spell it
		res  command.Result
		took time.Duration
		from from
	}
	hopMsg  struct{ seq int }
	keysMsg struct {
		node   string
		keys   []heldKey
		ok     bool
		counts dht.Counts
	}
)

// heldKey is one key a node stores, from Cluster.Keys.
type heldKey struct {
	key            string
	owned, deleted bool
}

// snapDuty bounds the periodic snapshots to one part in snapDuty of the
// time: on a ring of 512 identities one took up to 0.45 s on a busy
// machine, and taken back to back they and the redraws they cause took
// 20% of the CPU the nodes needed (docs/BENCHMARKS.md, load balance).
const snapDuty = 4

// keysRefresh is how often the selected node's key list is re-read.
const keysRefresh = time.Second

// lookupView is the lookup being shown: its path is revealed hop by hop,
// by the animation or by hand (. and ,).
type lookupView struct {
	line     string
	origin   string // address of the asking node
	res      command.Result
	shown    int  // calls revealed so far (0: only the origin, hop 0)
	seq      int  // the animation's number: a tick of an older one is stale
	manual   bool // stepped by hand: the animation stopped
	reported bool // its outcome is in the message line and the log
}

// done reports whether every hop has been revealed.
func (l *lookupView) done() bool { return l.shown >= len(l.res.Lookup.Path) }

// Model is the Bubble Tea model of the UI. Create it with NewModel; Run
// wraps it in a program. It is exported so tests and tools can drive it.
type Model struct {
	c       Cluster
	opts    Options
	log     *slog.Logger
	events  <-chan cluster.Event
	closing chan struct{} // closed by Close: background commands give up
	once    sync.Once

	width, height int
	theme         *theme

	snap         cluster.Snapshot
	haveSnap     bool
	snapAsked    int // snapshots asked for so far
	snapSeq      int // the number of the snapshot shown
	ix           *ringIndex
	order        []int // indices into snap.Nodes in ring (identifier) order
	snapshotting bool
	// snapNext is the earliest time of the next refresh: a snapshot that
	// took d is followed by 3·d without one (snapDuty), so that a large
	// ring's snapshots never take more than a quarter of a core.
	snapNext time.Time

	selected string // name of the selected node
	origin   string // origin chosen with Enter; "" means the cluster's
	focus    pane
	mode     mode
	keyCmd   string // "get", "set" or "del" in modeKey
	editor   lineEditor
	seen     bool   // a snapshot has set the initial selection
	findFrom string // the selection before "/" in the members pane

	// The event log (log.go): its lines, the cursor (the seq of its row's
	// first line, 0 to follow the newest), the first line drawn, the rows
	// opened with enter, the search and the node filter.
	lines      []logLine
	logSeq     uint64
	logSel     uint64
	logTop     int
	logOpen    map[uint64]bool
	logQuery   string
	logNode    string
	awaitFault map[string]time.Time // command verbs whose fault event is still to come

	detailScroll int
	helpScroll   int
	lookup       *lookupView
	lookupSeq    int
	where        *whereView // the file whose holders the ring marks (where.go)
	whereSeq     int
	hopDelay     time.Duration // the lookup animation's delay per hop
	message      string
	messageStyle styleID
	busy         int
	showKeys     bool
	showLookups  bool // show the cluster's lookup events in the log
	quitting     bool

	// Step mode (step.go): the last step, how many steps have been shown,
	// the pointers it changed that still hold, the step target.
	step      *stepView
	stepSeq   int
	hl        map[changeKey]cluster.PointerChange
	hlPending bool // the snapshot predates the step: nothing judged yet
	stepEvery bool // the step keys act on every live node

	// The lesson being stepped through (lesson.go), nil for none.
	lesson *lessonRun

	// The story pane (story.go): the violations instead of the caption,
	// the one selected, the ideal-ring checks of the snapshot, and how far
	// the pane is scrolled.
	showViolations bool
	violSel        int
	ideal          []cluster.Violation
	storyScroll    int

	// fingersFlipped: c has switched the Node pane's fingers from their
	// default for the ring's size (fingerTable); arrows draws every
	// successor pointer on the ring.
	fingersFlipped bool
	arrows         bool

	// showLoad: the Load pane takes the members table's place and the
	// ring shades every live node by loadMetric (load.go).
	showLoad   bool
	loadMetric loadMetric

	// output is the last long command output; modeOutput shows it.
	output *outputView

	// starting is the cluster's start while it runs (start.go), nil once
	// the cluster is up.
	starting *startState

	// held is the key list of heldNode, read at heldAt; fetchingKeys is
	// true while a read is in flight.
	held         []heldKey
	heldNode     string
	heldAt       time.Time
	heldCounts   dht.Counts // the node's counts when the list was asked for
	fetchingKeys bool

	// commands lists the command language for the help screen
	// (command.Commands; tests fix it).
	commands func() []command.CommandInfo

	// keys drives the key handling, the hint bar and the help screen;
	// help draws the hint bar from it.
	keys keyMap
	help help.Model
}

// NewModel returns the UI model over c. Call Close when the program using
// it has ended, so that its background commands return.
func NewModel(c Cluster, opts Options) *Model {
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	m := &Model{
		c:        c,
		opts:     opts,
		log:      lg,
		closing:  make(chan struct{}),
		showKeys: true,
		width:    120,
		height:   40,
		commands: command.Commands,
		keys:     newKeyMap(),
		help:     help.New(),
		hopDelay: opts.HopInterval,
		arrows:   opts.Lecture,
	}
	if c != nil {
		m.events = c.Events()
	}
	if opts.Script != nil {
		m.loadLesson(*opts.Script)
	}
	m.help.ShortSeparator = "  "
	m.setTheme(true)
	m.editor.reset()
	m.syncKeys()
	return m
}

// Close makes the model's background commands (the event reader, pending
// command timeouts) return. It is safe to call more than once.
func (m *Model) Close() { m.once.Do(func() { close(m.closing) }) }

// Init starts the refresh loop, the event reader and asks the terminal for
// its background colour.
func (m *Model) Init() tea.Cmd {
	if m.c == nil {
		return tea.Batch(tea.RequestBackgroundColor, m.startCmds())
	}
	m.snapshotting = true
	return tea.Batch(tea.RequestBackgroundColor, m.snapshotCmd(), m.tickCmd(), m.eventsCmd())
}

func (m *Model) tickCmd() tea.Cmd {
	return tea.Tick(m.opts.RefreshInterval, func(time.Time) tea.Msg { return tickMsg{} })
}

// snapshotCmd takes a snapshot off the update loop.
func (m *Model) snapshotCmd() tea.Cmd {
	c := m.c
	m.snapAsked++
	seq := m.snapAsked
	return func() tea.Msg {
		start := time.Now()
		s := c.Snapshot()
		return snapshotMsg{snap: s, took: time.Since(start), seq: seq}
	}
}

// eventsCmd waits for the next event, then gathers whatever arrives within
// one refresh interval so a burst costs one redraw. It returns when the
// channel is closed or the model is closed.
func (m *Model) eventsCmd() tea.Cmd {
	ch, closing, window := m.events, m.closing, m.opts.RefreshInterval
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		var batch []cluster.Event
		select {
		case ev, ok := <-ch:
			if !ok {
				return eventsMsg{closed: true}
			}
			batch = append(batch, ev)
		case <-closing:
			return nil
		}
		t := time.NewTimer(window)
		defer t.Stop()
		for len(batch) < 512 {
			select {
			case ev, ok := <-ch:
				if !ok {
					return eventsMsg{events: batch, closed: true}
				}
				batch = append(batch, ev)
			case <-t.C:
				return eventsMsg{events: batch}
			case <-closing:
				return nil
			}
		}
		return eventsMsg{events: batch}
	}
}

// runLine runs a line of the command language, typed at the ":" prompt or
// read from a lesson, off the update loop. "source FILE" loads a lesson to
// step through instead of running it whole.
func (m *Model) runLine(line string, src from) tea.Cmd {
	if cmd, err := command.Parse(line); err == nil && cmd.Name == "source" && len(cmd.Args) == 1 {
		m.busy++
		m.setMessage("… reading "+cmd.Args[0], stDim)
		return readLessonCmd(line, cmd.Args[0])
	}
	c := m.c
	return m.callFrom(line, src, m.commandTimeout(line), func(ctx context.Context) command.Result { return c.Exec(ctx, line) })
}

// callCmd runs call, one typed call to the cluster reported as the command
// line would be, off the update loop; line labels it in the log.
func (m *Model) callCmd(line string, call func(context.Context) command.Result) tea.Cmd {
	return m.callFrom(line, fromKey, m.opts.CommandTimeout, call)
}

// callFrom is callCmd for a command run by src, bounded by timeout.
func (m *Model) callFrom(line string, src from, timeout time.Duration, call func(context.Context) command.Result) tea.Cmd {
	m.busy++
	m.setMessage("… "+line, stDim)
	closing := m.closing
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		finished := make(chan struct{})
		defer close(finished)
		go func() { // exits when the command finishes or the UI closes
			select {
			case <-closing:
				cancel()
			case <-finished:
			}
		}()
		start := time.Now()
		res := call(ctx)
		return resultMsg{line: line, res: res, took: time.Since(start), from: src}
	}
}

func (m *Model) hopCmd(seq int) tea.Cmd {
	return tea.Tick(m.hopDelay, func(time.Time) tea.Msg { return hopMsg{seq: seq} })
}

// Update handles one message: route does what the message asks, then the
// scroll positions are clamped to the content and the key map follows the
// new state, so View only draws.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.route(msg)
	m.clampScrolls()
	m.syncKeys()
	return m, cmd
}

// route hands a message to its handler.
func (m *Model) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.BackgroundColorMsg:
		m.setTheme(msg.IsDark())
	case progressMsg:
		return m.onProgress(msg)
	case startedMsg:
		return m.onStarted(msg)
	case lessonMsg:
		m.onLesson(msg)
	case tickMsg:
		return m.onTick()
	case snapshotMsg:
		m.snapshotting = false
		if msg.took > m.opts.RefreshInterval {
			m.log.Warn("snapshot slower than the refresh interval", "took", msg.took, "nodes", len(msg.snap.Nodes))
		}
		m.snapNext = time.Now().Add((snapDuty - 1) * msg.took)
		m.setSnapshot(msg.snap)
		m.snapSeq = max(m.snapSeq, msg.seq)
		m.setHighlights()
		m.checkIdeal()
		return tea.Batch(m.maybeFetchKeys(), m.refreshWhere())
	case keysMsg:
		m.fetchingKeys = false
		if msg.ok {
			m.held, m.heldNode, m.heldAt, m.heldCounts = msg.keys, msg.node, time.Now(), msg.counts
		}
	case eventsMsg:
		for _, ev := range msg.events {
			m.addEvent(ev)
		}
		if !msg.closed && !m.quitting {
			return m.eventsCmd()
		}
	case resultMsg:
		return m.onResult(msg)
	case hopMsg:
		return m.onHop(msg)
	case whereMsg:
		m.onWhere(msg)
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.PasteMsg:
		m.onPaste(msg.Content)
	case tea.MouseClickMsg:
		m.onClick(msg.Mouse())
	case tea.MouseWheelMsg:
		d := 3
		if msg.Mouse().Button == tea.MouseWheelUp {
			d = -3
		}
		m.scroll(d)
	}
	return nil
}

// setTheme picks the styles for a dark or light background.
func (m *Model) setTheme(dark bool) {
	m.theme = newTheme(dark)
	m.help.Styles.ShortKey = m.theme.styles[stBold]
	m.help.Styles.ShortDesc = m.theme.styles[stDim]
	m.help.Styles.ShortSeparator = m.theme.styles[stNone]
	m.help.Styles.Ellipsis = m.theme.styles[stDim]
}

// onTick takes the next snapshot unless one is still being taken.
func (m *Model) onTick() tea.Cmd {
	if m.quitting || m.c == nil {
		return nil
	}
	cmds := []tea.Cmd{m.tickCmd()}
	if !m.snapshotting && !time.Now().Before(m.snapNext) {
		m.snapshotting = true
		cmds = append(cmds, m.snapshotCmd())
	}
	return tea.Batch(cmds...)
}

// onHop reveals the next hop of the lookup being shown, unless it is
// stepped by hand.
func (m *Model) onHop(msg hopMsg) tea.Cmd {
	l := m.lookup
	if l == nil || msg.seq != l.seq || l.manual || l.done() {
		return nil
	}
	l.shown++
	if l.done() {
		m.reportLookup()
		return nil
	}
	return m.hopCmd(msg.seq)
}

// reportLookup puts the lookup's outcome in the message line and the log,
// once, when its whole path has been shown.
func (m *Model) reportLookup() {
	if l := m.lookup; l != nil && !l.reported {
		l.reported = true
		m.showResult(l.line, l.res)
	}
}

// maybeFetchKeys reads the selected node's key list (Cluster.Keys, local
// to the cluster) when the selection changed, the node's key counts
// changed, or the list is older than keysRefresh; one read at a time.
func (m *Model) maybeFetchKeys() tea.Cmd {
	if m.fetchingKeys || m.selected == "" || m.quitting || m.c == nil {
		return nil
	}
	var counts dht.Counts
	if i := m.nodeIndex(m.selected); i >= 0 {
		counts = m.snap.Nodes[i].Keys
	}
	if m.selected == m.heldNode && counts == m.heldCounts && time.Since(m.heldAt) < keysRefresh {
		return nil
	}
	m.fetchingKeys = true
	c, name := m.c, m.selected
	return func() tea.Msg {
		kl, err := c.Keys(name)
		if err != nil {
			return keysMsg{node: name}
		}
		out := make([]heldKey, 0, len(kl.Keys))
		for _, k := range kl.Keys {
			out = append(out, heldKey{key: k.Key, owned: k.Owned, deleted: k.Deleted})
		}
		return keysMsg{node: name, keys: out, ok: true, counts: counts}
	}
}

// setSnapshot installs a new snapshot and the ring index built from it.
func (m *Model) setSnapshot(s cluster.Snapshot) {
	m.snap, m.haveSnap = s, true
	m.ix = newRingIndex(&m.snap)
	m.order = m.order[:0]
	for i := range m.snap.Nodes {
		m.order = append(m.order, i)
	}
	slices.SortStableFunc(m.order, func(a, b int) int { return m.snap.Nodes[a].ID.Cmp(m.snap.Nodes[b].ID) })
	if m.nodeIndex(m.selected) < 0 {
		m.selected = ""
		if len(m.order) > 0 {
			m.selected = m.snap.Nodes[m.order[0]].Name
			if o := m.nodeIndex(m.snap.Origin); o >= 0 && !m.seen {
				m.selected = m.snap.Origin
			}
		}
	}
	m.seen = true
}

// nodeIndex returns the index in snap.Nodes of the node called name, or -1.
func (m *Model) nodeIndex(name string) int {
	if name == "" {
		return -1
	}
	for i := range m.snap.Nodes {
		if m.snap.Nodes[i].Name == name {
			return i
		}
	}
	return -1
}

// originName is the node get/set/del run through: the one chosen with
// Enter if it is still alive, else the cluster's origin.
func (m *Model) originName() string {
	if i := m.nodeIndex(m.origin); i >= 0 && m.snap.Nodes[i].State == cluster.StateAlive {
		return m.origin
	}
	return m.snap.Origin
}

// viaName is the node a get, set or del names after via: the origin if
// it is alive, else none, and the cluster goes through its first live
// node, as the REPL does without via (the status bar flags the origin as
// down).
func (m *Model) viaName() string {
	o := m.originName()
	if i := m.nodeIndex(o); i >= 0 && m.snap.Nodes[i].State != cluster.StateAlive {
		return ""
	}
	return o
}

func (m *Model) setMessage(s string, st styleID) { m.message, m.messageStyle = s, st }

// onResult shows the outcome of a command: a step's in the caption pane,
// a lookup's path hop by hop, a long output in its own view, the rest in
// the message line; and logs it once.
func (m *Model) onResult(r resultMsg) tea.Cmd {
	m.busy = max(0, m.busy-1)
	res := r.res
	asked := m.snapAsked // a snapshot asked for after this shows the command's effect
	m.log.Debug("command", "line", r.line, "ok", res.OK, "err", res.Err, "took", r.took)
	if r.from == fromLesson {
		m.onLessonResult(res)
	}
	if res.Quit {
		m.logCommand(r.line, "› "+r.line, "", stBold, false)
		return m.quit()
	}
	if o, ok := res.Data.(command.Origin); res.OK && ok && o.Changed {
		// "r", ":random" and ":origin NODE" choose the origin: they replace
		// the one chosen with Enter, and the selection follows.
		m.origin, m.selected = o.Origin, o.Origin
	}
	var cmds []tea.Cmd
	if !m.snapshotting && !m.quitting {
		m.snapshotting = true
		cmds = append(cmds, m.snapshotCmd())
	}
	switch d := res.Data.(type) { // node and keys NODE select the node, for after their output
	case command.NodeView:
		if res.OK && m.nodeIndex(d.Name) >= 0 {
			m.selected = d.Name
		}
	case cluster.KeyList:
		if res.OK && m.nodeIndex(d.Node) >= 0 {
			m.selected = d.Node
		}
	}
	if r.from == fromLesson && res.Lookup == nil {
		m.lookup = nil // the lesson has moved on from the lookup it showed
	}
	if rep, ok := res.Data.(cluster.StepReport); ok {
		if rep.Node != "" && m.nodeIndex(rep.Node) >= 0 {
			m.selected = rep.Node // its pointers, marked Δ, show in the Node pane
		}
		if res.Lookup == nil {
			m.lookup = nil
		}
		if m.focus == paneLog && m.width < wideWidth {
			m.focus = paneMembers // the caption takes the log's place: show it
		}
		m.stepSeq++
		// Only a snapshot asked for from now on shows the step's effect.
		m.step = &stepView{line: r.line, rep: rep, err: res.Err, snapAfter: asked + 1}
		m.showViolations, m.storyScroll = false, 0
		m.setHighlights()
	}
	if d, ok := res.Data.(cluster.FileWhere); ok && res.OK {
		m.setWhere(r.line, d)
	}
	if res.Lookup != nil && (len(res.Lookup.Path) > 0 || !res.Lookup.Owner.IsZero()) {
		m.where = nil // the lookup's marks take the ring
		m.lookupSeq++
		lv := &lookupView{line: r.line, res: res, seq: m.lookupSeq}
		if i := m.nodeIndex(res.Lookup.Via); i >= 0 {
			lv.origin = m.snap.Nodes[i].Addr
		}
		m.lookup = lv
		m.detailScroll = 0
		if m.opts.NoAnimate {
			lv.shown = len(res.Lookup.Path)
		}
		if lv.done() {
			m.reportLookup()
		} else {
			m.setMessage(fmt.Sprintf("… %s: following the lookup path (. steps, R replays)", r.line), stPath)
			cmds = append(cmds, m.hopCmd(lv.seq))
		}
		return tea.Batch(cmds...)
	}
	m.showResult(r.line, res)
	return tea.Batch(cmds...)
}

// showResult puts a command's outcome in the message line and the log
// (one line: the command and its result); a longer output opens in the
// output view, a step's is told in the caption pane.
func (m *Model) showResult(line string, res command.Result) {
	_, isStep := res.Data.(cluster.StepReport)
	faults := res.OK && faultVerbs[firstWord(line)]
	if !res.OK {
		err := "failed"
		if res.Err != nil {
			err = res.Err.Error()
		}
		m.setMessage("✗ "+withCommand(line, firstLine(err)), stDown)
		m.logCommand(line, "› "+line+" ✗ "+logWords(firstLine(err)), res.Text, stDown, false)
		if strings.Contains(err, "\n") && !isStep {
			m.openOutput(line, err)
		}
		return
	}
	text := strings.TrimSpace(res.Text)
	if text == "" {
		text = "ok"
	}
	switch {
	case isStep:
		lines := strings.Split(text, "\n")
		last := lines[len(lines)-1]
		m.setMessage("✓ "+line+": "+last, stOK)
		m.logCommand(line, "› "+line+" — "+last, text, stBold, false)
	case res.Lookup != nil: // the Lookup pane shows the path and the owner
		m.setMessage("✓ "+line+": "+firstLine(text), stOK)
		m.logCommand(line, "› "+line+" — "+logWords(firstLine(text)), text, stBold, false)
	case isWhere(res):
		// The ring shows the answer (marks and a caption); the whole text
		// waits behind o, so the marks are not hidden by the output view.
		n := strings.Count(text, "\n") + 1
		m.setMessage("✓ "+line+": marked on the ring (o: the whole answer)", stOK)
		m.logCommand(line, fmt.Sprintf("› %s — %d lines of output (o shows them)", line, n), text, stBold, false)
		m.output = &outputView{line: line, text: strings.Split(text, "\n")}
	case strings.Contains(text, "\n"):
		n := strings.Count(text, "\n") + 1
		m.setMessage(fmt.Sprintf("✓ %s: %d lines, in the output view (o shows them again)", line, n), stOK)
		m.logCommand(line, fmt.Sprintf("› %s — %d lines of output (o shows them)", line, n), text, stBold, false)
		m.openOutput(line, text)
	default:
		m.setMessage("✓ "+line+": "+text, stOK)
		m.logCommand(line, "› "+line+" — "+logWords(text), "", stBold, faults)
	}
}

// isWhere reports whether res is where's answer, which the ring draws.
func isWhere(res command.Result) bool {
	_, ok := res.Data.(cluster.FileWhere)
	return ok
}

// faultVerbs are the commands whose effect the cluster logs as a fault
// event of its own ("kill N56"): the UI logs the command once, in its place.
var faultVerbs = map[string]bool{"kill": true, "revive": true, "add": true, "leave": true, "pause": true,
	"resume": true, "partition": true, "heal": true, "delay": true, "drop": true}

// withCommand puts the command line in front of its error, unless the
// error already starts with the command's name ("kill: n3 is already
// down"): the cluster and the command language name it themselves.
func withCommand(line, err string) string {
	name, _, _ := strings.Cut(line, " ")
	if strings.HasPrefix(err, name+": ") || strings.HasPrefix(err, line+": ") {
		return err
	}
	return line + ": " + err
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.Close()
	return tea.Quit
}

// nodeAction is the typed call behind a key that acts on the selected
// node: verb is kill, revive, leave or pause (which resumes a paused node),
// reported as the command of the same name would be.
func (m *Model) nodeAction(verb string) tea.Cmd {
	n := m.selectedNode()
	if n == nil {
		m.setMessage("no node selected", stWarn)
		return nil
	}
	c, name := m.c, n.Name
	var act func(context.Context) error
	switch verb {
	case "kill":
		act = func(context.Context) error { return c.Kill(name) }
	case "revive":
		act = func(ctx context.Context) error { return c.Revive(ctx, name) }
	case "leave":
		act = func(ctx context.Context) error { return c.Leave(ctx, name) }
	case "pause":
		act = func(context.Context) error { return c.Pause(name) }
		if n.State == cluster.StatePaused {
			verb, act = "resume", func(context.Context) error { return c.Resume(name) }
		}
	default:
		return nil
	}
	peer := cluster.Peer{Name: name, ID: cluster.RingID{ID: n.ID, Bits: m.snap.Bits}, Addr: n.Addr}
	return m.callCmd(verb+" "+name, func(ctx context.Context) command.Result {
		return command.Done(verb, command.NodeDone{Node: peer}, act(ctx))
	})
}

// selectedNode returns the selected node in the snapshot, or nil.
func (m *Model) selectedNode() *cluster.NodeSnapshot {
	if i := m.nodeIndex(m.selected); i >= 0 {
		return &m.snap.Nodes[i]
	}
	return nil
}

// keyOp runs get, set or del for the key prompt's input through origin:
// the key is the first word (or the whole input for get and del), a set's
// value is the rest.
func (m *Model) keyOp(op, input, origin string) tea.Cmd {
	c := m.c
	key := strings.TrimSpace(input)
	value := ""
	if op == "set" {
		key, value, _ = strings.Cut(key, " ")
		value = strings.TrimSpace(value)
	}
	return m.callCmd(lookupCommand(op, key, value, origin), func(ctx context.Context) command.Result {
		switch op {
		case "set":
			r, err := c.Set(ctx, key, value, origin)
			return command.Done(op, r, err)
		case "del":
			r, err := c.Del(ctx, key, origin)
			return command.Done(op, r, err)
		}
		r, err := c.Get(ctx, key, origin)
		return command.Done(op, r, err)
	})
}

// lookupCommand spells a get, set or del as the REPL would, for the log:
// the key and a set's value are quoted when they hold blanks or quotes.
func lookupCommand(op, key, value, origin string) string {
	line := op + " " + quoteArg(key)
	if op == "set" {
		line += " " + quoteArg(value)
	}
	if origin != "" {
		line += " via " + origin
	}
	return line
}

// quoteArg quotes s for the command language when it is empty or holds a
// blank, a quote or a backslash ("double quotes" allow \" and \\).
func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"\\#") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
