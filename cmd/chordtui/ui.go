package main

import (
	"context"
	"io"
)

// runUI implements "chordtui [flags] N". Until the terminal UI lands it
// starts the REPL over the same flags.
func runUI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runREPL(ctx, args, stdin, stdout, stderr)
}
