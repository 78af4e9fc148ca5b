// Command chordtui starts a real Chord ring of N nodes on 127.0.0.1 and lets
// you watch and drive it.
//
//	chordtui [flags] N         the terminal UI over N local nodes
//	chordtui repl [flags] N    the same cluster, commands from stdin
//	chordtui bench [flags] N   measure latency, throughput and repair times
//
// Run "chordtui repl -h" for the flags and "help" inside for the commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/chordtui/chordtui/cmd/chordtui/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage:
  chordtui [flags] N         start N nodes and show them in the terminal UI
  chordtui repl [flags] N    start N nodes and run commands from stdin
  chordtui bench [flags] N   start N nodes and measure them (chordtui bench -h)

"chordtui repl -h" lists the flags; "help" at the prompt lists the commands.
`

// run dispatches on the subcommand and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "repl":
		return runREPL(ctx, args[1:], stdin, stdout, stderr)
	case "bench":
		return bench.Run(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	return runUI(ctx, args, stdin, stdout, stderr)
}
