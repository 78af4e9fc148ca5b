package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
	"github.com/chordtui/chordtui/dht/dfs/fusefs"
)

// mountAbout is what "chordtui mount -h" says before the flags.
const mountAbout = "Starts N Chord nodes on 127.0.0.1 and mounts their file system on DIR with FUSE: files\n" +
	"copied there are cut into 256 KiB blocks stored on the ring, 3 copies of each. Commands\n" +
	"(\"chordtui help commands\") are read from stdin meanwhile, one a line: kill n3, where /f, ….\n" +
	"Ctrl-c, SIGTERM or quit unmounts DIR and stops the ring; so does ctrl-d at a terminal.\n" +
	"As root the mount is direct; a user needs fusermount3 (apt-get install fuse3).\n" +
	"Exit status: 0 unmounted cleanly, 1 the mount or the ring failed, 2 bad flags or arguments."

// runMount implements "chordtui mount DIR [flags] N".
func runMount(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := cli.New("chordtui mount", "chordtui mount DIR [flags] N", mountAbout, stderr)
	var opts replOptions
	cmd.Flags.BoolVar(&opts.json, "json", false, "print one JSON object per command read from stdin")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && isHelp(args[0]) {
			_, err := cmd.Parse(args)
			return cmd.ExitStatus(err)
		}
		fmt.Fprintln(stderr, "chordtui mount: DIR comes first — usage: chordtui mount DIR [flags] N (chordtui mount -h lists the flags)")
		return cli.StatusUsage
	}
	dir := args[0]
	n, err := cmd.Parse(args[1:])
	if err != nil {
		return cmd.ExitStatus(err)
	}
	// What makes a mount impossible is said before the ring starts.
	if err := fusefs.Check(dir); err != nil {
		fmt.Fprintf(stderr, "chordtui mount: %v\n", err)
		return 1
	}
	cfg, logFile, err := cmd.ClusterConfig(n)
	if err != nil {
		return cmd.ExitStatus(err)
	}
	defer logFile.Close()
	c, err := cluster.Start(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "chordtui mount: %v\n", err)
		return 1
	}
	defer cli.DiscardEvents(c)()
	ready := "ring forming"
	if r, err := c.Wait(ctx, 10*time.Second); err == nil {
		ready = fmt.Sprintf("stable after %.2f s", r.ConvergedIn.Seconds())
	}
	b := mountBeside(c, dir, cfg.Logger)
	if b.err != nil {
		fmt.Fprintf(stderr, "chordtui mount: %v\n", b.err)
		return 1
	}
	if !opts.json {
		fmt.Fprintf(stdout, "mounted the file system of %s (%s, %d replicas) on %s — ctrl-c, SIGTERM or quit unmounts it; commands are read from stdin\n",
			command.Plural(n, "node"), ready, cfg.DHT.Replicas, dir)
	}
	var quit atomic.Bool
	exec := func(ctx context.Context, line string) command.Result {
		r := command.Exec(ctx, c, line)
		if r.Quit {
			quit.Store(true)
		}
		return r
	}
	status := repl(ctx, exec, stdin, stdout, opts, cfg.Logger)
	if !quit.Load() && ctx.Err() == nil && !onTerminal(stdin) {
		<-ctx.Done() // stdin ended (a pipe, /dev/null): serve until a signal
	}
	if err := b.stop(); err != nil {
		fmt.Fprintf(stderr, "chordtui mount: %v\n", err)
		return 1
	}
	if !opts.json {
		fmt.Fprintf(stdout, "unmounted %s\n", dir)
	}
	if ctx.Err() != nil {
		return 0 // ctrl-c and SIGTERM are how a mount ends
	}
	return status
}

// beside is the ring's file system mounted beside the UI or the REPL
// (--mount), or the reason it could not be.
type beside struct {
	c   *cluster.Cluster
	m   *fusefs.Mounted
	err error
	log *slog.Logger
}

// mountBeside mounts c's file system on dir ("": none). A failure is
// kept in err (the caller says it and goes on without the mount) and put
// into the event log.
func mountBeside(c *cluster.Cluster, dir string, log *slog.Logger) *beside {
	b := &beside{c: c, log: log}
	if dir == "" {
		return b
	}
	b.m, b.err = fusefs.Mount(c.FS(), dir, fusefs.Options{Logger: log})
	if b.err != nil {
		c.NoteFiles(fmt.Sprintf("no mount: %v", b.err))
		log.Warn("mount failed", "dir", dir, "err", b.err)
		return b
	}
	how := "fusermount3"
	if b.m.Direct {
		how = "a direct mount, as root"
	}
	c.NoteFiles(fmt.Sprintf("mounted the ring's file system on %s (%s)", dir, how))
	return b
}

// stop unmounts (before the cluster closes, which commits open files).
func (b *beside) stop() error {
	if b == nil || b.m == nil {
		return nil
	}
	err := b.m.Unmount()
	if err != nil {
		b.log.Warn("unmount", "dir", b.m.Dir, "err", err)
	}
	b.m = nil
	return err
}
