// Package tui is chordtui's terminal user interface: a live picture of a
// Chord ring (nodes placed by identifier on a braille circle, the selected
// node's fingers, lookup paths hop by hop), a members table that marks
// pointers which are wrong right now, a node detail pane, an event log and a
// command prompt that speaks the same language as `chordtui repl`.
//
// The UI observes and commands a cluster only through the Cluster interface
// below: Snapshot and Events to draw, the cluster's typed methods for what
// the keys do, and the command language (package dht/cluster/command) for
// what is typed at the ":" prompt. Everything drawn comes from the latest
// Snapshot, so what the screen shows is what the nodes held when that
// snapshot was taken (at most one refresh interval ago).
//
// Lecture mode adds step mode (one maintenance task at a time, told in a
// caption, the pointers it changed marked Δ until the next step), lessons
// stepped through one step per →, the violations and the ways the ring is
// not yet ideal, every successor pointer drawn on the ring, and the finger
// table as the paper draws it (docs/lecture.md, docs/tui.md).
//
// Where to look: model.go (state, messages, results), actions.go (what
// the keys do), keys.go (the one key map: key handling, the hint bar and
// the help screen all read it), view.go (the panes and their layout; View
// only draws, Update keeps the state it reads valid; the status bar words
// cluster.Health, the cluster's one verdict), step.go (step mode and its
// highlights), lesson.go (lessons), story.go (the caption pane and the
// violations), log.go (the event log: bursts, search, filters), output.go
// (long outputs), start.go (the screen while the cluster starts), ring.go
// (the braille ring, where its labels go, successor arcs, a lookup's
// numbered calls and its key), pointers.go (judging pointers against the
// ideal ring of the node's side), editor.go (the prompt's line editor),
// where.go (a file's holders marked on the ring after :where), theme.go
// (colours). screentest reads and pictures the screen for tests.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// Cluster is what the UI needs from a running cluster: Live(c) for a
// *cluster.Cluster; tests use a fake. Every method but Snapshot and Events
// may block on the network; the UI calls them off the update loop.
type Cluster interface {
	// Snapshot returns a deep copy of every node's state. It may take a
	// while with many nodes.
	Snapshot() cluster.Snapshot
	// Events returns the cluster's lossy event stream. The UI reads it until
	// it is closed or the UI quits.
	Events() <-chan cluster.Event
	// Exec runs a line typed at the ":" prompt (command.Exec).
	Exec(ctx context.Context, line string) command.Result

	// What the keys do, as the cluster's methods of the same names.
	Get(ctx context.Context, key, via string) (cluster.GetResult, error)
	Set(ctx context.Context, key, value, via string) (cluster.WriteResult, error)
	Del(ctx context.Context, key, via string) (cluster.WriteResult, error)
	Keys(node string) (cluster.KeyList, error)
	Kill(node string) error
	Revive(ctx context.Context, node string) error
	Leave(ctx context.Context, node string) error
	Pause(node string) error
	Resume(node string) error
	Add(ctx context.Context, count int) ([]string, error)
	// Step runs one round of task (cluster.StepTasks, or cluster.TaskAll)
	// on node, or on every live node when node is "" (cluster.Step).
	Step(ctx context.Context, task, node string) (cluster.StepReport, error)
	PickOrigin() (string, error)
}

// Live adapts a running cluster to Cluster: its ":" prompt speaks the
// command language through command.Exec.
func Live(c *cluster.Cluster) Cluster { return live{c} }

type live struct{ *cluster.Cluster }

func (l live) Exec(ctx context.Context, line string) command.Result {
	return command.Exec(ctx, l.Cluster, line)
}

// Options configures the UI. The zero value is not valid; start from
// DefaultOptions.
type Options struct {
	// NoAnimate shows a lookup's whole path at once instead of hop by hop
	// (reduced motion).
	NoAnimate bool
	// NoColor renders without colour (bold and reverse video remain). Run
	// also turns it on when the NO_COLOR environment variable is non-empty.
	NoColor bool
	// Mouse enables mouse reporting so a click selects a node. The mouse is
	// never required; turning it off keeps the terminal's own text selection.
	Mouse bool
	// RefreshInterval is the time between two snapshots; the screen is
	// refreshed at most this often by the cluster's state (≥ 100 ms, so at
	// most 10 times a second), and less often when a snapshot takes more
	// than a third of it (snapDuty).
	RefreshInterval time.Duration
	// HopInterval is how long each hop of an animated lookup path is shown
	// before the next one is drawn.
	HopInterval time.Duration
	// CommandTimeout bounds one command run through the cluster.
	CommandTimeout time.Duration
	// EventLogSize is how many event-log lines are kept for scrolling.
	EventLogSize int
	// Logger receives the UI's own diagnostics; nil discards them. Nothing
	// is ever written to the process's stdout or stderr except the screen.
	Logger *slog.Logger
	// Input and Output replace the terminal (nil: stdin and stdout).
	Input  io.Reader
	Output io.Writer
	// Lecture turns on what lecture mode shows by default: every node's
	// successor pointer drawn on the ring.
	Lecture bool
	// Script is a lesson to step through, one step per → (nil: none).
	Script *command.Lesson
	// Started, when set, is called by RunStarting once the cluster has
	// started and before the UI shows it (e.g. to mount its file system
	// beside the UI). It runs off the UI's goroutine.
	Started func(*cluster.Cluster)
}

// DefaultOptions returns the options `chordtui N` uses.
func DefaultOptions() Options {
	return Options{
		Mouse:           true,
		RefreshInterval: 100 * time.Millisecond,
		HopInterval:     400 * time.Millisecond,
		CommandTimeout:  10 * time.Second,
		EventLogSize:    1000,
	}
}

// Validate reports the first invalid field.
func (o Options) Validate() error {
	switch {
	case o.RefreshInterval < 100*time.Millisecond:
		return fmt.Errorf("refresh interval %v is below 100ms: the screen would refresh more than 10 times a second", o.RefreshInterval)
	case o.HopInterval <= 0:
		return fmt.Errorf("hop interval must be positive, got %v", o.HopInterval)
	case o.CommandTimeout <= 0:
		return fmt.Errorf("command timeout must be positive, got %v", o.CommandTimeout)
	case o.EventLogSize < 1:
		return fmt.Errorf("event log size must be at least 1, got %d", o.EventLogSize)
	}
	return nil
}

// getenv reads the environment (tests replace nothing: noColor takes it).
var getenv = os.Getenv

// noColor reports whether to draw without colour: when asked, or when
// NO_COLOR is set to any non-empty value (https://no-color.org).
func noColor(opts Options, getenv func(string) string) bool {
	return opts.NoColor || getenv("NO_COLOR") != ""
}

// ErrNoCluster is returned by Run when it is given a nil cluster.
var ErrNoCluster = errors.New("tui: no cluster")

// Run shows the UI over c in the terminal's alternate screen and returns
// when the user quits (q, ctrl+c or the quit command) or ctx is done. It
// never closes c: closing the cluster (and so every node) after Run returns
// is the caller's job.
func Run(ctx context.Context, c *cluster.Cluster, opts Options) error {
	if c == nil {
		return ErrNoCluster
	}
	return run(ctx, Live(c), opts)
}

// run is Run over any Cluster.
func run(ctx context.Context, c Cluster, opts Options) error {
	if c == nil {
		return ErrNoCluster
	}
	opts.NoColor = noColor(opts, getenv)
	if err := opts.Validate(); err != nil {
		return fmt.Errorf("tui: %w", err)
	}
	return runModel(ctx, NewModel(c, opts), opts)
}

// runModel runs the program of m until the user quits or ctx is done.
func runModel(ctx context.Context, m *Model, opts Options) error {
	defer m.Close()
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.ASCII))
	}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		popts = append(popts, tea.WithOutput(opts.Output))
	}
	_, err := tea.NewProgram(m, popts...).Run()
	if errors.Is(err, tea.ErrInterrupted) || (errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil) {
		// SIGINT or cancelled by the caller: a clean quit, not a failure.
		return nil
	}
	if err != nil {
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}
