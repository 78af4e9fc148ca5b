package tui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/chordtui/chordtui/dht/cluster"
)

// Starting a large ring takes seconds: RunStarting opens the UI first and
// starts the cluster behind it, showing how far the start has got (the
// nodes joined, each join wave settled, the fingers fixed) from the lines
// the cluster logs, and a start that fails says why on the screen.

// startProgress is how far a start has got.
type startProgress struct {
	joined, nodes int    // nodes joined so far, of nodes
	ring          int    // the ring settled after the last join wave
	step          string // the last step, in words
	unit          string // what joins: "nodes", or "identities" with virtual nodes
}

// progressMsg reports the start's progress; startedMsg its end.
type (
	progressMsg struct{ p startProgress }
	startedMsg  struct {
		c   Cluster
		err error
	}
)

// startState is the start shown while it runs, or its failure.
type startState struct {
	what     string
	began    time.Time
	p        startProgress
	err      error
	progress <-chan startProgress
	done     <-chan startedMsg
}

// startCmds waits for the start's progress and its end.
func (m *Model) startCmds() tea.Cmd {
	s := m.starting
	if s == nil {
		return nil
	}
	progress, done, closing := s.progress, s.done, m.closing
	return func() tea.Msg {
		select {
		case p := <-progress:
			return progressMsg{p}
		case r := <-done:
			return r
		case <-closing:
			return nil
		}
	}
}

// onProgress shows the start's progress and waits for more.
func (m *Model) onProgress(msg progressMsg) tea.Cmd {
	if m.starting == nil {
		return nil
	}
	m.starting.p = msg.p
	return m.startCmds()
}

// onStarted installs the started cluster, or shows why it did not start.
func (m *Model) onStarted(msg startedMsg) tea.Cmd {
	if m.starting == nil {
		return nil
	}
	if msg.err != nil {
		m.starting.err = msg.err
		return nil
	}
	m.starting = nil
	m.c = msg.c
	m.events = msg.c.Events()
	m.snapshotting = true
	return tea.Batch(m.snapshotCmd(), m.tickCmd(), m.eventsCmd())
}

// renderStart is the screen while the cluster starts, or after it failed.
func (m *Model) renderStart() string {
	t := m.theme
	s := m.starting
	lines := []string{t.render(stBold, "chordtui: "+s.what)}
	if s.err != nil {
		lines = append(lines, "", t.render(stDown, "✗ the cluster did not start:"))
		w := min(m.width-4, 100)
		for _, l := range wrap(s.err.Error(), "  ", w) {
			lines = append(lines, t.render(stDown, fit(l, w))) // one block, centred as a whole
		}
		lines = append(lines, "", t.render(stDim, "q quits (the error is printed again on exit)"))
		return placeCentre(m.width, m.height, lines)
	}
	p := s.p
	const barW = 40
	done := 0
	if p.nodes > 0 {
		done = min(barW, p.joined*barW/p.nodes)
	}
	lines = append(lines, "",
		t.render(stAlive, strings.Repeat("█", done))+t.render(stDim, strings.Repeat("░", barW-done))+
			fmt.Sprintf("  %d/%d %s joined", p.joined, p.nodes, p.units()))
	step := p.step
	if step == "" {
		step = "the first nodes form the base ring"
	}
	lines = append(lines, t.render(stDim, step), "", t.render(stDim, "q stops the start and quits"))
	return placeCentre(m.width, m.height, lines)
}

// RunStarting starts a cluster of cfg behind the UI, showing the start's
// progress, then shows the cluster as Run does until the user quits. It
// returns the cluster, which the caller closes (nil when the start failed
// or was stopped by quitting), and the start's error or the UI's. When the
// UI itself fails (no terminal), the start is let finish, so the cluster
// it logs is whole, and returned with the UI's error.
func RunStarting(ctx context.Context, cfg cluster.Config, opts Options) (*cluster.Cluster, error) {
	opts.NoColor = noColor(opts, getenv)
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("tui: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	progress := make(chan startProgress, 1)
	result := make(chan *cluster.Cluster, 1)
	done := make(chan startedMsg, 1)
	first := startProgress{nodes: cfg.Nodes}
	if cfg.VNodes > 1 { // every identity joins on its own (vnodes.go)
		first.nodes, first.unit = cfg.Nodes*cfg.VNodes, "identities"
	}
	rep := &progressReporter{p: first, out: progress}
	scfg := cfg
	scfg.Logger = slog.New(&progressHandler{inner: loggerHandler(cfg.Logger), rep: rep})
	var startErr error
	go func() { // exits when Start returns; sctx bounds it
		c, err := cluster.Start(sctx, scfg)
		if c != nil && opts.Started != nil {
			opts.Started(c)
		}
		startErr = err
		result <- c
		var live Cluster
		if c != nil {
			live = Live(c)
		}
		done <- startedMsg{c: live, err: err}
	}()
	m := NewModel(nil, opts)
	what := fmt.Sprintf("starting %s", nodesWords(cfg.Nodes))
	if cfg.Attach != "" {
		what = "attaching to the ring at " + cfg.Attach
	}
	m.starting = &startState{what: what, began: time.Now(), progress: progress, done: done}
	m.starting.p = first
	uiErr := runModel(ctx, m, opts)
	failed := m.starting != nil && m.starting.err != nil // the screen said so
	if uiErr == nil {
		cancel() // the user quit: a start still running is stopped
	}
	c := <-result
	switch {
	case uiErr != nil && startErr != nil:
		return nil, errors.Join(uiErr, startErr)
	case uiErr != nil:
		return c, uiErr
	case startErr != nil && failed:
		return nil, startErr
	case startErr != nil: // quit before the cluster had started
		return nil, nil
	}
	return c, nil
}

func nodesWords(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}

// progressReporter turns what the cluster logs while it starts into
// startProgress, sent without blocking (only the latest matters).
type progressReporter struct {
	mu  sync.Mutex
	p   startProgress
	out chan startProgress
}

// units names what joins.
func (p startProgress) units() string {
	if p.unit == "" {
		return "nodes"
	}
	return p.unit
}

func newProgressReporter(nodes int, out chan startProgress) *progressReporter {
	return &progressReporter{p: startProgress{nodes: nodes}, out: out}
}

// record reads one log record: a node joined (its event line), a join
// wave settled, the fingers fixed.
func (r *progressReporter) record(rec slog.Record) {
	var event string
	var ring int64
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "event":
			event = a.Value.String()
		case "ring":
			ring = a.Value.Int64()
		}
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case event == string(cluster.EventJoined):
		r.p.joined = min(r.p.nodes, r.p.joined+1)
	case rec.Message == "join wave":
		r.p.ring = int(ring)
		r.p.step = fmt.Sprintf("a join wave settled: the ring has %d of %d %s", ring, r.p.nodes, r.p.units())
	case rec.Message == "fingers fixed":
		r.p.step = "every finger fixed"
	default:
		return
	}
	select { // drop an unread report: the new one replaces it
	case <-r.out:
	default:
	}
	select {
	case r.out <- r.p:
	default:
	}
}

// progressHandler passes every record on and shows the start's to the
// reporter.
type progressHandler struct {
	inner slog.Handler
	rep   *progressReporter
}

func (h *progressHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.inner.Enabled(ctx, l)
}

func (h *progressHandler) Handle(ctx context.Context, r slog.Record) error {
	h.rep.record(r)
	if h.inner.Enabled(ctx, r.Level) {
		return h.inner.Handle(ctx, r)
	}
	return nil
}

func (h *progressHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &progressHandler{inner: h.inner.WithAttrs(as), rep: h.rep}
}

func (h *progressHandler) WithGroup(name string) slog.Handler {
	return &progressHandler{inner: h.inner.WithGroup(name), rep: h.rep}
}

// loggerHandler is l's handler, or one that discards.
func loggerHandler(l *slog.Logger) slog.Handler {
	if l == nil {
		return slog.DiscardHandler
	}
	return l.Handler()
}
