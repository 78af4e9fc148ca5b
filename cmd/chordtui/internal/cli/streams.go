package cli

import "io"

// Streams is the stderr a dispatcher hands to a subcommand built on New:
// the subcommand writes its errors and progress to it as to any stderr
// (they go to Err), while the usage asked for with -h goes to Help, so that
// "chordtui repl -h | less" pages it. New also records in it the Command
// it builds, which is how Describe finds a subcommand's flags.
type Streams struct {
	Err  io.Writer // errors and progress
	Help io.Writer // the usage printed for -h; nil: Err

	cmd *Command // the last Command New built with these streams
}

// Write writes p to Err.
func (s *Streams) Write(p []byte) (int, error) { return s.Err.Write(p) }

// Describe returns the Command that sub builds, found by running sub with
// the single argument "-h" and Streams that discard everything: a
// subcommand built on New returns after Parse prints its usage, before it
// starts anything. sub gets the arguments and the stderr to pass to New.
// Describe returns nil if sub built no Command or did not exit with 0.
func Describe(sub func(args []string, stderr io.Writer) int) *Command {
	s := &Streams{Err: io.Discard, Help: io.Discard}
	if sub([]string{"-h"}, s) != 0 {
		return nil
	}
	return s.cmd
}
