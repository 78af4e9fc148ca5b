// Command chordtui starts a real Chord ring of N nodes on 127.0.0.1 and lets
// you watch and drive it.
//
//	chordtui [flags] N           the terminal UI over N local nodes
//	chordtui repl [flags] N      the same cluster, commands from stdin
//	chordtui bench [flags] N[,N…] measure latency, throughput and repair times
//	chordtui node [flags]        one node in this process, joining a ring with --join
//	chordtui attach ADDR [flags] the terminal UI over a ring started elsewhere
//	chordtui mount DIR [flags] N mount the ring's file system on DIR (FUSE)
//	chordtui keygen FILE         a new cluster key, for --key-file
//	chordtui completion SHELL    a completion script for bash, zsh or fish
//	chordtui help [TOPIC]        a subcommand's usage, or the commands
//	chordtui version             the version and the VCS revision
//
// "chordtui -h" lists the flags, "chordtui help commands" the commands.
// The subcommands are in subcommands (main.go); help, completion and
// version in the files of those names.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/chordtui/chordtui/cmd/chordtui/bench"
	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks for a clean stop; once it came, a second one
	// ends the process at once (the default action), however long the
	// stop takes.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runFunc runs a subcommand with the arguments after its name and returns
// the exit status.
type runFunc func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// subcommand is one word chordtui takes as its first argument; without
// one, chordtui runs the terminal UI (runUI).
type subcommand struct {
	name     string
	synopsis string   // "chordtui repl [flags] N"
	summary  string   // one line for the overview
	args     []string // the values its first argument takes, for completion
	run      runFunc
}

// subcommands lists chordtui's subcommands in the order the help shows them.
func subcommands() []subcommand {
	subs := []subcommand{
		{"repl", "chordtui repl [flags] N", "start N nodes and run commands from stdin, one a line", nil, runREPL},
		{"bench", "chordtui bench [flags] N[,N…]", "start N nodes and measure latency, throughput and repair", nil, runBench},
		{"attach", "chordtui attach ADDR [flags]", "the terminal UI over the ring of the node at ADDR, started elsewhere", nil, runAttach},
		{"node", "chordtui node [flags]", "run one node in this process: start a ring, or join one with --join ADDR", nil, runNode},
		{"mount", "chordtui mount DIR [flags] N", "start N nodes and mount their file system on DIR (FUSE)", nil, runMount},
		{"keygen", "chordtui keygen FILE", "write a new cluster key to FILE, for --key-file", nil, runKeygen},
		{"completion", "chordtui completion SHELL", "print a completion script for bash, zsh or fish", cli.Shells(), runCompletion},
		{"help", "chordtui help [TOPIC]", "print a subcommand's flags, or the commands (help commands)", nil, runHelp},
		{"version", "chordtui version", "print the version and the VCS revision (also --version)", nil, runVersion},
	}
	for i := range subs {
		if subs[i].name == "help" {
			subs[i].args = helpTopics(subs)
		}
	}
	return subs
}

func runBench(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return bench.Run(ctx, args, stdout, stderr)
}

// run dispatches on the first argument and returns the exit status: a
// subcommand's name runs it, a number or a flag runs the UI, anything else
// is a typo, answered with one line.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Usage asked for with -h goes to stdout; errors to stderr.
	streams := &cli.Streams{Err: stderr, Help: stdout}
	if len(args) == 0 {
		fmt.Fprintf(stderr, "usage: chordtui [flags] N\n\n%s\n%s\n", overview(), `N is the number of nodes, from 1 to 4096; "chordtui -h" lists the flags.`)
		return cli.StatusUsage
	}
	first := args[0]
	for _, s := range subcommands() {
		if s.name == first {
			return s.run(ctx, args[1:], stdin, stdout, streams)
		}
	}
	switch {
	case first == "--version" || first == "-version":
		return runVersion(ctx, args[1:], stdin, stdout, streams)
	case looksLikeUI(first):
		return runUI(ctx, args, stdin, stdout, streams)
	}
	var names []string
	for _, s := range subcommands() {
		names = append(names, s.name)
	}
	if s := command.Suggest(strings.ToLower(first), names); s != "" {
		fmt.Fprintf(stderr, "chordtui: unknown subcommand %q — did you mean %q? (chordtui -h lists them)\n", first, s)
	} else {
		fmt.Fprintf(stderr, "chordtui: unknown subcommand %q — want N (1 to 4096 nodes) or a subcommand (chordtui -h lists them)\n", first)
	}
	return cli.StatusUsage
}

// looksLikeUI reports whether the first argument belongs to the UI's
// command line "chordtui [flags] N": a flag, or something meant as N (it
// starts with a digit or a sign), so that a bad N gets the UI's error.
func looksLikeUI(first string) bool {
	return first == "" || strings.ContainsRune("-+0123456789", rune(first[0]))
}

// overview lists the subcommands, one a line, for the help and for
// chordtui without arguments.
func overview() string {
	subs := subcommands()
	width := 0
	for _, s := range subs {
		width = max(width, len(s.synopsis))
	}
	var b strings.Builder
	b.WriteString("subcommands:\n")
	for _, s := range subs {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, s.synopsis, s.summary)
	}
	b.WriteString(`"chordtui SUBCOMMAND -h", the same as "chordtui help SUBCOMMAND", lists its flags.`)
	return b.String()
}

// isHelp reports whether arg asks for the usage, as the flag package
// reads it.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}
