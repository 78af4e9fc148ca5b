package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/chordtui/chordtui/dht/cluster"
)

// maxNodes bounds N: each node needs a listener and a socket per peer.
const maxNodes = 4096

// StatusUsage is the exit status for a bad command line.
const StatusUsage = 2

// Command is one subcommand's command line.
type Command struct {
	// Name starts every error line: "chordtui bench: missing N …".
	Name string
	// Flags holds the cluster's flags; a subcommand adds its own before
	// Parse.
	Flags *flag.FlagSet

	synopsis, about string
	stderr          io.Writer
	cluster         *clusterFlags
}

// New returns the command line of subcommand name ("chordtui bench") with
// the cluster's flags. Its usage, printed on stderr for -h and after a bad
// flag or N, is synopsis ("chordtui bench [flags] N"), about (what the
// subcommand does and its exit statuses) and the flags.
func New(name, synopsis, about string, stderr io.Writer) *Command {
	c := &Command{
		Name:     name,
		Flags:    flag.NewFlagSet(name, flag.ContinueOnError),
		synopsis: synopsis,
		about:    about,
		stderr:   stderr,
	}
	c.Flags.SetOutput(stderr)
	c.Flags.Usage = c.Usage
	c.cluster = addClusterFlags(c.Flags)
	return c
}

// Usage prints the synopsis, the description and the flags on stderr.
func (c *Command) Usage() {
	fmt.Fprintf(c.stderr, "usage: %s\n\n%s\n\nflags:\n", c.synopsis, c.about)
	c.Flags.PrintDefaults()
}

// Parse parses args, whose flags may come before or after N, and returns
// N. Its errors go to ExitStatus: flag.ErrHelp after -h, or a bad flag or
// N (reported on stderr by ExitStatus).
func (c *Command) Parse(args []string) (int, error) {
	pos, err := parseInterspersed(c.Flags, args)
	if err != nil {
		// The flag package has printed the problem and the usage.
		return 0, reportedError{err}
	}
	n, err := parseNodeCount(pos)
	if err != nil {
		return 0, usageError{err}
	}
	return n, nil
}

// IsSet reports whether flag name was given on the command line.
func (c *Command) IsSet(name string) bool {
	set := false
	c.Flags.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// ClusterConfig builds the cluster configuration for n nodes from the
// flags (see clusterFlags.config) and opens the --log file; the caller
// closes the returned closer when the cluster is closed.
func (c *Command) ClusterConfig(n int) (cluster.Config, io.Closer, error) {
	return c.cluster.config(n, c.IsSet)
}

// ExitStatus says on stderr what is wrong with the command line and
// returns the exit status for err: 0 for flag.ErrHelp (the usage is
// printed), StatusUsage otherwise. A bad N is followed by the usage, a
// bad value by its line only.
func (c *Command) ExitStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var rep reportedError
	if errors.As(err, &rep) {
		return StatusUsage
	}
	fmt.Fprintf(c.stderr, "%s: %v\n", c.Name, err)
	var ue usageError
	if errors.As(err, &ue) {
		c.Usage()
	}
	return StatusUsage
}

// reportedError is a command-line error the flag package already printed.
type reportedError struct{ error }

func (e reportedError) Unwrap() error { return e.error }

// usageError is an error in the shape of the command line (N missing or
// not a number): the usage follows its line.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// parseInterspersed parses flags that may come before or after the
// positional arguments ("repl 16 --json" and "repl --json 16").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseNodeCount reads the N argument.
func parseNodeCount(pos []string) (int, error) {
	switch len(pos) {
	case 0:
		return 0, errors.New("missing N, the number of nodes (for example: 16)")
	case 1:
	default:
		return 0, fmt.Errorf("want one argument N, got %d: %s", len(pos), strings.Join(pos, " "))
	}
	n, err := strconv.Atoi(pos[0])
	if err != nil || n < 1 || n > maxNodes {
		//nolint:staticcheck // N is the argument's name, written as in the usage.
		return 0, fmt.Errorf("N must be a whole number from 1 to %d, got %q", maxNodes, pos[0])
	}
	return n, nil
}
