package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/tui"
)

// runUI implements "chordtui [flags] N": start N nodes and show them in the
// terminal UI until the user quits. It returns the exit status: 0 on a
// normal quit, 1 if the cluster or the UI failed, 2 for bad flags or
// arguments. Nothing but the screen is written to stdout; diagnostics go to
// --log.
func runUI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := cli.New("chordtui", "chordtui [flags] N", uiAbout(), stderr)
	fs := cmd.Flags
	d := tui.DefaultOptions()
	noAnimate := fs.Bool("no-animate", false, "show a lookup's whole path at once (reduced motion)")
	noColor := fs.Bool("no-color", false, "draw without colour (also when NO_COLOR is set)")
	noMouse := fs.Bool("no-mouse", !d.Mouse, "leave the mouse to the terminal (keeps its text selection)")
	refresh := fs.Duration("refresh", d.RefreshInterval, "time between two screen refreshes from the cluster (≥ 100ms)")
	cmd.AddLectureFlags()
	cmd.AddUIFlags()
	cmd.AddRESPFlags()
	cmd.AddMountFlag()
	cmd.AddRingFlags()
	n, err := cmd.Parse(args)
	if err != nil {
		return cmd.ExitStatus(err)
	}
	cfg, logFile, err := cmd.ClusterConfigContext(ctx, n)
	if err != nil {
		return cmd.ExitStatus(err)
	}
	defer logFile.Close()
	lecture, err := cmd.UIOptions()
	if err != nil {
		return cmd.ExitStatus(err)
	}
	opts := d
	opts.NoAnimate, opts.NoColor, opts.Mouse, opts.RefreshInterval = *noAnimate, *noColor, !*noMouse, *refresh
	opts.HopInterval = lecture.HopDelay
	opts.Script = lecture.Script // parsed: a line that does not parse was named above
	opts.Lecture = cmd.Lecture()
	opts.Logger = cfg.Logger
	if f, ok := stdin.(*os.File); !ok || f != os.Stdin {
		opts.Input = stdin
	}
	if f, ok := stdout.(*os.File); !ok || f != os.Stdout {
		opts.Output = stdout
	}
	if err := opts.Validate(); err != nil {
		return cmd.ExitStatus(err)
	}

	// The UI opens first and shows the start's progress: a large ring
	// takes seconds to start, and a start that fails says so on screen.
	// The file system is mounted (--mount) once the cluster has started.
	var fsMount *beside
	opts.Started = func(c *cluster.Cluster) {
		fsMount = mountBeside(c, cmd.MountDir(), cfg.Logger) // a failure shows in the event log
	}
	c, err := tui.RunStarting(ctx, cfg, opts)
	if fsMount != nil { // RunStarting has returned: Started is done
		if uerr := errors.Join(fsMount.err, fsMount.stop()); uerr != nil {
			fmt.Fprintf(stderr, "chordtui: --mount: %v\n", uerr)
		}
	}
	if c != nil {
		if cerr := c.Close(); cerr != nil {
			cfg.Logger.Warn("closing the cluster", "err", cerr)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "chordtui: %v\n", err)
		if !onTerminal(stdin) || !onTerminal(stdout) {
			fmt.Fprintf(stderr, "chordtui: the UI needs a terminal; \"chordtui repl %d\" reads commands from stdin instead\n", n)
		}
		return 1
	}
	return 0
}

// uiAbout is what "chordtui -h" says before the flags: what the UI does,
// its exit statuses, and the other subcommands.
func uiAbout() string {
	return "Starts N Chord nodes on 127.0.0.1 and shows them in the terminal UI: ? lists the keys,\n" +
		": opens a prompt for the commands (\"chordtui help commands\" lists them), q quits.\n" +
		"Exit status: 0 on quit, 1 the cluster or the UI failed, 2 bad flags or arguments.\n\n" +
		overview()
}
