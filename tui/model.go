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
	paneDetail
	paneLog
	paneCount
)

// mode is what the keyboard is talking to.
type mode int

const (
	modeNormal  mode = iota
	modeCommand      // the ":" prompt
	modeKey          // the get/set/del prompt
	modeHelp         // the full help screen
)

// Messages the model sends itself.
type (
	tickMsg     struct{}
	snapshotMsg struct {
		snap cluster.Snapshot
		took time.Duration // how long Snapshot took
	}
	eventsMsg struct {
		events []cluster.Event
		closed bool
	}
	resultMsg struct {
		line string // the command as the REPL would spell it
		res  command.Result
		took time.Duration
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

// keysRefresh is how often the selected node's key list is re-read.
const keysRefresh = time.Second

// logLine is one line of the event log.
type logLine struct {
	at    time.Time
	text  string
	style styleID
	kind  cluster.EventKind // the event's kind; "" for the UI's own lines
	count int               // how many identical events in a row this line stands for
}

// lookupView is the lookup being shown: its path is revealed hop by hop.
type lookupView struct {
	line   string
	origin string // address of the asking node
	res    command.Result
	shown  int // hops revealed so far
	seq    int
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
	ix           *ringIndex
	order        []int // indices into snap.Nodes in ring (identifier) order
	snapshotting bool

	selected string // name of the selected node
	origin   string // origin chosen with Enter; "" means the cluster's
	focus    pane
	mode     mode
	keyCmd   string // "get", "set" or "del" in modeKey
	editor   lineEditor
	seen     bool // a snapshot has set the initial selection

	lines        []logLine
	logScroll    int // lines scrolled up from the newest
	detailScroll int
	helpScroll   int
	lookup       *lookupView
	lookupSeq    int
	message      string
	messageStyle styleID
	busy         int
	showKeys     bool
	showLookups  bool // show the cluster's lookup events in the log
	quitting     bool

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
		events:   c.Events(),
		closing:  make(chan struct{}),
		showKeys: true,
		width:    120,
		height:   40,
		commands: command.Commands,
		keys:     newKeyMap(),
		help:     help.New(),
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
	m.snapshotting = true
	return tea.Batch(tea.RequestBackgroundColor, m.snapshotCmd(), m.tickCmd(), m.eventsCmd())
}

func (m *Model) tickCmd() tea.Cmd {
	return tea.Tick(m.opts.RefreshInterval, func(time.Time) tea.Msg { return tickMsg{} })
}

// snapshotCmd takes a snapshot off the update loop.
func (m *Model) snapshotCmd() tea.Cmd {
	c := m.c
	return func() tea.Msg {
		start := time.Now()
		s := c.Snapshot()
		return snapshotMsg{snap: s, took: time.Since(start)}
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

// execCmd runs a line typed at the ":" prompt off the update loop.
func (m *Model) execCmd(line string) tea.Cmd {
	c := m.c
	return m.callCmd(line, func(ctx context.Context) command.Result { return c.Exec(ctx, line) })
}

// callCmd runs call, one typed call to the cluster reported as the command
// line would be, off the update loop; line labels it in the log.
func (m *Model) callCmd(line string, call func(context.Context) command.Result) tea.Cmd {
	m.busy++
	m.setMessage("… "+line, stDim)
	timeout, closing := m.opts.CommandTimeout, m.closing
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
		return resultMsg{line: line, res: res, took: time.Since(start)}
	}
}

func (m *Model) hopCmd(seq int) tea.Cmd {
	return tea.Tick(m.opts.HopInterval, func(time.Time) tea.Msg { return hopMsg{seq: seq} })
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
	case tickMsg:
		return m.onTick()
	case snapshotMsg:
		m.snapshotting = false
		if msg.took > m.opts.RefreshInterval {
			m.log.Warn("snapshot slower than the refresh interval", "took", msg.took, "nodes", len(msg.snap.Nodes))
		}
		m.setSnapshot(msg.snap)
		return m.maybeFetchKeys()
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
	case tea.KeyPressMsg:
		return m.onKey(msg)
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
	if m.quitting {
		return nil
	}
	cmds := []tea.Cmd{m.tickCmd()}
	if !m.snapshotting {
		m.snapshotting = true
		cmds = append(cmds, m.snapshotCmd())
	}
	return tea.Batch(cmds...)
}

// onHop reveals the next hop of the lookup being shown.
func (m *Model) onHop(msg hopMsg) tea.Cmd {
	if m.lookup == nil || msg.seq != m.lookup.seq || m.lookup.done() {
		return nil
	}
	m.lookup.shown++
	if m.lookup.done() {
		m.showResult(m.lookup.line, m.lookup.res)
		return nil
	}
	return m.hopCmd(msg.seq)
}

// maybeFetchKeys reads the selected node's key list (Cluster.Keys, local
// to the cluster) when the selection changed, the node's key counts
// changed, or the list is older than keysRefresh; one read at a time.
func (m *Model) maybeFetchKeys() tea.Cmd {
	if m.fetchingKeys || m.selected == "" || m.quitting {
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

func (m *Model) setMessage(s string, st styleID) { m.message, m.messageStyle = s, st }

// addEvent logs a cluster event; a repeat of the previous event only
// counts up on its line.
func (m *Model) addEvent(ev cluster.Event) {
	if n := len(m.lines); n > 0 && m.lines[n-1].kind == ev.Kind && m.lines[n-1].text == ev.Text {
		m.lines[n-1].count++
		m.lines[n-1].at = ev.Time
		return
	}
	m.appendLog(logLine{at: ev.Time, text: ev.Text, style: eventStyle(ev.Kind), kind: ev.Kind, count: 1})
}

// addLog logs the UI's own lines (commands and their results).
func (m *Model) addLog(at time.Time, text string, st styleID) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		m.appendLog(logLine{at: at, text: l, style: st, count: 1})
	}
}

func (m *Model) appendLog(l logLine) {
	m.lines = append(m.lines, l)
	if m.logScroll > 0 && m.logShows(l) {
		m.logScroll++ // keep the lines being read still
	}
	if extra := len(m.lines) - m.opts.EventLogSize; extra > 0 {
		m.lines = append(m.lines[:0], m.lines[extra:]...)
	}
}

// logShows reports whether the log pane shows l under the current filter.
func (m *Model) logShows(l logLine) bool { return m.showLookups || l.kind != cluster.EventLookup }

// visibleLog returns the log lines the filter lets through.
func (m *Model) visibleLog() []logLine {
	if m.showLookups {
		return m.lines
	}
	out := make([]logLine, 0, len(m.lines))
	for _, l := range m.lines {
		if m.logShows(l) {
			out = append(out, l)
		}
	}
	return out
}

func eventStyle(kind cluster.EventKind) styleID {
	switch kind {
	case cluster.EventFailure:
		return stDown
	case cluster.EventStable:
		return stOK
	case cluster.EventFault:
		return stWarn
	case cluster.EventJoined:
		return stAlive
	case cluster.EventLookup:
		return stDim
	}
	return stText
}

// onResult shows the outcome of a command.
func (m *Model) onResult(r resultMsg) tea.Cmd {
	m.busy = max(0, m.busy-1)
	res := r.res
	m.log.Debug("command", "line", r.line, "ok", res.OK, "err", res.Err, "took", r.took)
	at := m.snap.Taken
	if at.IsZero() {
		at = time.Now()
	}
	m.addLog(at, "› "+r.line, stBold)
	if res.Quit {
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
	if res.Lookup != nil && (len(res.Lookup.Path) > 0 || !res.Lookup.Owner.IsZero()) {
		m.lookupSeq++
		lv := &lookupView{line: r.line, res: res, seq: m.lookupSeq}
		if i := m.nodeIndex(res.Lookup.Via); i >= 0 {
			lv.origin = m.snap.Nodes[i].Addr
		}
		m.lookup = lv
		m.detailScroll = 0
		if m.opts.NoAnimate {
			lv.shown = len(res.Lookup.Path)
		} else {
			lv.shown = 1
		}
		if lv.done() {
			m.showResult(r.line, res)
		} else {
			m.setMessage(fmt.Sprintf("… %s: following the lookup path", r.line), stPath)
			cmds = append(cmds, m.hopCmd(lv.seq))
		}
		return tea.Batch(cmds...)
	}
	m.showResult(r.line, res)
	return tea.Batch(cmds...)
}

// showResult puts a command's outcome in the message line and the log.
func (m *Model) showResult(line string, res command.Result) {
	at := m.snap.Taken
	if at.IsZero() {
		at = time.Now()
	}
	if !res.OK {
		err := "failed"
		if res.Err != nil {
			err = res.Err.Error()
		}
		m.setMessage("✗ "+withCommand(line, firstLine(err)), stDown)
		m.addLog(at, "  ✗ "+err, stDown)
		return
	}
	text := strings.TrimSpace(res.Text)
	if text == "" {
		text = "ok"
	}
	m.setMessage("✓ "+line+": "+firstLine(text), stOK)
	m.addLog(at, indent(text, "  "), stText)
}

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

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
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
	case modeCommand, modeKey:
		return m.onPromptKey(msg)
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
		m.focus = (m.focus + 1) % paneCount
	case km.PrevPane.matches(msg):
		m.focus = (m.focus + paneCount - 1) % paneCount
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
	case km.Origin.matches(msg):
		m.chooseOrigin()
	case km.Random.matches(msg):
		return m.randomOrigin()
	case km.Get.matches(msg):
		m.openKeyPrompt("get")
	case km.Set.matches(msg):
		m.openKeyPrompt("set")
	case km.Del.matches(msg):
		m.openKeyPrompt("del")
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
	case km.Step.matches(msg):
		return m.stepMaintenance()
	case km.Ticks.matches(msg):
		m.showKeys = !m.showKeys
	case km.LookupEvents.matches(msg):
		m.showLookups = !m.showLookups
		m.logScroll = 0
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

// onHelpKey scrolls or closes the help screen.
func (m *Model) onHelpKey(msg tea.KeyPressMsg) {
	km := &m.keys
	switch {
	case km.CloseHelp.matches(msg):
		m.mode = modeNormal
	case km.HelpDown.matches(msg):
		m.helpScroll++
	case km.HelpUp.matches(msg):
		m.helpScroll = max(0, m.helpScroll-1)
	}
}

// back closes the lookup being shown, else returns to the members pane,
// else clears the message line.
func (m *Model) back() {
	switch {
	case m.lookup != nil:
		m.lookup = nil
		m.detailScroll = 0
	case m.focus != paneMembers:
		m.focus = paneMembers
	default:
		m.setMessage("", stNone)
	}
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

// toggleMaintenance pauses maintenance on every node, or resumes it.
func (m *Model) toggleMaintenance() tea.Cmd {
	c := m.c
	if m.snap.MaintenancePaused {
		return m.callCmd("maintenance resume", func(context.Context) command.Result {
			c.ResumeMaintenance()
			return command.Done("maintenance", command.Maintenance{Paused: false}, nil)
		})
	}
	return m.callCmd("maintenance pause", func(context.Context) command.Result {
		c.PauseMaintenance()
		return command.Done("maintenance", command.Maintenance{Paused: true}, nil)
	})
}

// stepMaintenance runs one round of every maintenance task on every node.
func (m *Model) stepMaintenance() tea.Cmd {
	c := m.c
	return m.callCmd("maintenance step", func(ctx context.Context) command.Result {
		return command.Done("maintenance", command.Stepped{Nodes: c.StepMaintenance(ctx)}, nil)
	})
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
			return m.keyOp(m.keyCmd, line, m.originName())
		}
		m.editor.remember(line)
		return m.execCmd(line)
	case km.Complete.matches(msg):
		m.complete()
	case km.Complete.owns(msg):
		// Completion is for the ":" prompt only; a tab is never typed.
	default:
		m.editor.key(msg, &km.Edit)
	}
	return nil
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
	if m.focus == paneMembers {
		km.Up.word("select")
	} else {
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
	prompt := m.mode == modeCommand
	km.Complete.set(prompt, "completion is for the \":\" prompt")
	km.Edit.HistoryPrev.set(prompt, "history is for the \":\" prompt")
	km.Edit.HistoryNext.set(prompt, "history is for the \":\" prompt")
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
		cur := 0
		for p, i := range m.order {
			if m.snap.Nodes[i].Name == m.selected {
				cur = p
			}
		}
		cur = min(max(cur+d, 0), len(m.order)-1)
		m.selected = m.snap.Nodes[m.order[cur]].Name
	default:
		m.scroll(d)
	}
}

// scroll scrolls the detail pane or the log (positive: towards newer or
// lower lines).
func (m *Model) scroll(d int) {
	switch m.focus {
	case paneDetail:
		m.detailScroll = max(0, m.detailScroll+d)
	case paneLog:
		m.logScroll = min(max(0, m.logScroll-d), max(0, len(m.visibleLog())-1))
	default:
		m.move(d)
	}
}

// onClick selects the node under a click on the ring or the members table.
func (m *Model) onClick(ms tea.Mouse) {
	lay := computeLayout(m.width, m.height)
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
	case lay.log.contains(ms.X, ms.Y):
		m.focus = paneLog
	}
}

// ringLookup is the shown part of the lookup for the ring: the origin
// (hop 0), then each call revealed so far, drawn from the node whose entry
// named it (the origin when that node is unknown).
func (m *Model) ringLookup() *ringLookup {
	l := m.lookup
	if l == nil {
		return nil
	}
	lr := l.res.Lookup
	out := &ringLookup{origin: l.origin, key: lr.ID.ID, label: lr.Key}
	for i, h := range lr.Path[:min(l.shown, len(lr.Path))] {
		from := l.origin
		if j := m.nodeIndex(h.From); j >= 0 {
			from = m.snap.Nodes[j].Addr
		}
		out.hops = append(out.hops, ringHop{from: from, to: h.Addr, num: i + 1, failed: !h.Answered()})
	}
	return out
}
