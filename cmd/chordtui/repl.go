package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// replOptions are the REPL's own settings, beyond the cluster's.
type replOptions struct {
	json bool
	echo bool // print each command before its result
	// startWait is how long to wait for the first stable ring before
	// reading commands (0: start reading at once).
	startWait time.Duration
}

// runREPL implements "chordtui repl [flags] N": start N nodes, then run the
// commands read from stdin, one a line. It returns the exit status: 0 if
// every command succeeded, 1 if any failed (or the cluster did not start),
// 2 for bad flags or arguments. At a terminal (stdin and stdout, without
// --json) the commands are typed into a line editor (termREPL), and the
// session ends with 0 on ctrl-d or quit.
func runREPL(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := cli.New("chordtui repl", "chordtui repl [flags] N",
		"Starts N Chord nodes on 127.0.0.1 and runs commands from stdin, one a line.\n"+
			"At a terminal (without --json) the line can be edited, Tab completes commands, nodes and\n"+
			"keys, ctrl-c stops the running command, ctrl-d or quit exits, and the history is kept in\n"+
			"$XDG_STATE_HOME/chordtui/history (default ~/.local/state/chordtui/history).\n"+
			"Exit status: 0 every command succeeded (at a terminal: on ctrl-d or quit), 1 a command\n"+
			"failed, 2 bad flags or arguments.", stderr)
	fs := cmd.Flags
	var opts replOptions
	fs.BoolVar(&opts.json, "json", false, "print one JSON object per command")
	fs.BoolVar(&opts.echo, "echo", false, "print each command (as \"> command\") before its result, and the # lines as they are, for readable transcripts")
	fs.DurationVar(&opts.startWait, "start-wait", 10*time.Second, "wait up to this long for the new ring to be stable before reading commands (0: don't)")
	cmd.AddLectureFlags()
	cmd.AddRESPFlags()
	cmd.AddMountFlag()
	cmd.AddRingFlags()
	n, err := cmd.Parse(args)
	if err == nil && opts.startWait < 0 {
		err = fmt.Errorf("--start-wait %v: must not be negative (0 does not wait)", opts.startWait)
	}
	if err != nil {
		return cmd.ExitStatus(err)
	}
	cfg, logFile, err := cmd.ClusterConfigContext(ctx, n)
	if err != nil {
		return cmd.ExitStatus(err)
	}
	defer logFile.Close()

	began := time.Now()
	c, err := cluster.Start(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "chordtui repl: %v\n", err)
		return 1
	}
	defer cli.DiscardEvents(c)()
	ready := "ring forming"
	if opts.startWait > 0 {
		if r, err := c.Wait(ctx, opts.startWait); err == nil {
			ready = fmt.Sprintf("stable after %.2f s", r.ConvergedIn.Seconds())
		} else {
			ready = err.Error()
		}
	}
	switch {
	case opts.json:
	case cfg.Attach != "":
		fmt.Fprintf(stdout, "attached to the ring at %s (%s found through the protocol, refreshed every %v), %s: %d-bit IDs, r = %d, %d replicas — help lists commands\n",
			cfg.Attach, command.Plural(c.Remotes(), "member"), max(cfg.MonitorInterval, 100*time.Millisecond), ready, cfg.Chord.Bits, cfg.Chord.SuccessorListLen, cfg.DHT.Replicas)
	default:
		all := c.Names() // with virtual nodes the n real nodes come first
		names := all[0]
		if last := min(n, len(all)) - 1; last > 0 {
			names += "…" + all[last]
		}
		joined := ""
		if cfg.Join != "" {
			joined = fmt.Sprintf(", joined to the ring at %s (%s elsewhere, judged with them)", cfg.Join, command.Plural(c.Remotes(), "member"))
		}
		host := cfg.Host
		if cfg.Net.Advertise != "" {
			host += " (reached as " + cfg.Net.Advertise + ")"
		}
		fmt.Fprintf(stdout, "started %s on %s (%s)%s, %s: %d-bit IDs, r = %d, %d replicas — help lists commands\n",
			command.Plural(n, "node"), host, names, joined, ready, cfg.Chord.Bits, cfg.Chord.SuccessorListLen, cfg.DHT.Replicas)
		if st, ok := c.RESP(); ok {
			fmt.Fprintln(stdout, strings.SplitN(command.Done("resp", st, nil).Text, "\n", 2)[0])
		}
	}
	cfg.Logger.Info("cluster ready", "nodes", n, "took", time.Since(began), "state", ready)
	fsMount := mountBeside(c, cmd.MountDir(), cfg.Logger)
	if fsMount.err != nil {
		fmt.Fprintf(stderr, "chordtui repl: --mount: %v — going on without the mount\n", fsMount.err)
	} else if fsMount.m != nil && !opts.json {
		fmt.Fprintf(stdout, "the ring's file system is mounted on %s until quit\n", cmd.MountDir())
	}
	defer func() { // before the cluster closes
		if err := fsMount.stop(); err != nil {
			fmt.Fprintf(stderr, "chordtui repl: %v\n", err)
		}
	}()
	exec := func(ctx context.Context, line string) command.Result { return command.Exec(ctx, c, line) }
	if in, out, ok := terminalFiles(stdin, stdout); ok && !opts.json {
		t := &termREPL{exec: exec, in: in, out: out, stderr: stderr, completer: newREPLCompleter(c), log: cfg.Logger}
		return t.run(ctx)
	}
	return repl(ctx, exec, stdin, stdout, opts, cfg.Logger)
}

// terminalFiles returns stdin and stdout as files when both are terminals.
func terminalFiles(stdin io.Reader, stdout io.Writer) (in, out *os.File, ok bool) {
	if !onTerminal(stdin) || !onTerminal(stdout) {
		return nil, nil, false
	}
	return stdin.(*os.File), stdout.(*os.File), true
}

// repl runs lines from in through exec until EOF, quit or ctx ends, writing
// each result to out (its text, or with --json the Result itself, one
// object a line), and returns the exit status (0 or 1). It is the REPL
// for scripts and pipes: no prompt, nothing on out but the results.
func repl(ctx context.Context, exec func(context.Context, string) command.Result, in io.Reader, out io.Writer, opts replOptions, log *slog.Logger) int {
	lines := make(chan inputLine)
	readErr := make(chan error, 1)
	go func() { // exits at EOF or a read error (stdin is never closed for us)
		defer close(lines)
		r := bufio.NewReaderSize(in, 64<<10)
		for {
			line, err := readLine(r, maxReplLine)
			if line.text != "" || line.tooLong {
				select {
				case lines <- line:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr <- err
				}
				return
			}
		}
	}()
	status := 0
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	lineNo := 0
	for {
		var in inputLine
		var ok bool
		select {
		case <-ctx.Done():
			return 1
		case in, ok = <-lines:
		}
		if !ok {
			select {
			case err := <-readErr:
				log.Error("reading commands", "err", err)
				return 1
			default:
			}
			return status
		}
		lineNo++
		if in.tooLong {
			status = 1
			res := command.Result{Cmd: "", Err: fmt.Errorf("%w: line %d is longer than %d bytes: ignored", command.ErrSyntax, lineNo, maxReplLine)}
			log.Warn("command failed", "line", lineNo, "err", res.Err)
			if opts.json {
				if err := enc.Encode(res); err != nil {
					log.Error("writing result", "err", err)
					return 1
				}
			} else {
				fmt.Fprintln(out, "error: "+res.Err.Error())
			}
			continue
		}
		trimmed := strings.TrimSpace(in.text)
		if strings.HasPrefix(trimmed, "#") && opts.echo && !opts.json {
			fmt.Fprintln(out, trimmed) // a script's narration, in the transcript
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if opts.echo && !opts.json {
			fmt.Fprintln(out, "> "+trimmed)
		}
		res := exec(ctx, trimmed)
		if res.Cmd == "" && res.OK { // a line that held only a comment
			continue
		}
		if !res.OK && ctx.Err() != nil && errors.Is(res.Err, context.Canceled) {
			res = interruptedResult(res, errShutdown)
		}
		if !res.OK {
			status = 1
			log.Warn("command failed", "line", lineNo, "cmd", res.Cmd, "err", res.Err)
		}
		if opts.json {
			if err := enc.Encode(res); err != nil {
				log.Error("writing result", "err", err)
				return 1
			}
		} else if res.Text != "" {
			fmt.Fprintln(out, res.Text)
		}
		if res.Quit {
			return status
		}
	}
}

// maxReplLine bounds a line of commands: it holds a set of the largest
// value (1 MiB) with every byte escaped (two bytes each), twice over.
const maxReplLine = 5 << 20

// inputLine is one line read by readLine: its text, or tooLong when it
// went past the limit (its bytes were dropped).
type inputLine struct {
	text    string
	tooLong bool
}

// readLine reads one line (with its newline, if any) of at most limit
// bytes; the rest of a longer one is read and dropped, never held.
func readLine(r *bufio.Reader, limit int) (inputLine, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) > limit {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			return inputLine{tooLong: true}, err
		}
		buf = append(buf, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return inputLine{text: string(buf)}, err
		}
	}
}
