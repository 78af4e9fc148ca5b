package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
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
	help            io.Writer // where -h prints the usage
	cluster         *clusterFlags
	lecture         *lectureFlags   // nil unless AddLectureFlags
	ui              *uiFlags        // nil unless AddUIFlags
	resp            *respFlags      // nil unless AddRESPFlags
	mount           *string         // nil unless AddMountFlag
	node            *nodeFlags      // nil unless AddNodeFlags (no N then)
	ring            *ringFlags      // nil unless AddRingFlags
	shared          map[string]bool // the cluster's flag names
}

// New returns the command line of subcommand name ("chordtui bench") with
// the cluster's flags. Its usage, printed for -h, is synopsis ("chordtui
// bench [flags] N"), about (what the subcommand does and its exit
// statuses), the range of N and every flag with its default. Errors go to
// stderr; if stderr is a *Streams, the usage goes to its Help writer.
func New(name, synopsis, about string, stderr io.Writer) *Command {
	c := &Command{
		Name:     name,
		Flags:    flag.NewFlagSet(name, flag.ContinueOnError),
		synopsis: synopsis,
		about:    about,
		stderr:   stderr,
		help:     stderr,
		shared:   map[string]bool{},
	}
	if s, ok := stderr.(*Streams); ok {
		s.cmd = c
		if s.Help != nil {
			c.help = s.Help
		}
	}
	// The flag package would print its error and the whole usage; Parse
	// turns its error into one line instead.
	c.Flags.SetOutput(io.Discard)
	c.Flags.Usage = func() {}
	c.cluster = addClusterFlags(c.Flags)
	c.Flags.VisitAll(func(f *flag.Flag) { c.shared[f.Name] = true })
	return c
}

// Usage prints the usage where -h prints it: stderr, or the Help writer of
// the Streams given to New.
func (c *Command) Usage() { c.WriteUsage(c.help) }

// Parse parses args, whose flags may come before or after N, and returns
// N. Its errors go to ExitStatus: flag.ErrHelp after -h (Parse has printed
// the usage), or a bad flag or N, whose message is one line that ends with
// a hint.
func (c *Command) Parse(args []string) (int, error) {
	pos, err := parseInterspersed(c.Flags, args)
	if errors.Is(err, flag.ErrHelp) {
		c.Usage()
		return 0, err
	}
	if err != nil {
		return 0, c.flagError(err)
	}
	if c.Attached() {
		if len(pos) > 0 {
			return 0, fmt.Errorf("--attach starts no node: leave N (%s) out", strings.Join(pos, " "))
		}
		return 0, nil
	}
	if n, ok, err := c.nodeCountFromIDs(pos); ok {
		return n, err
	}
	return c.parseNodeCount(pos)
}

// ParseSizes is Parse for a command that also takes several ring sizes at
// once, as N,N,…: it returns them in ascending order, each once, and
// whether a list was given (list: even one size, as in 16,16). One N is
// read as Parse reads it.
func (c *Command) ParseSizes(args []string) (sizes []int, list bool, err error) {
	pos, err := parseInterspersed(c.Flags, args)
	if err != nil || len(pos) != 1 || !strings.Contains(pos[0], ",") {
		n, err := c.Parse(args)
		return []int{n}, false, err
	}
	for f := range strings.SplitSeq(pos[0], ",") {
		n, err := c.parseNodeCount([]string{strings.TrimSpace(f)})
		if err != nil {
			return nil, true, err
		}
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	return slices.Compact(sizes), true, nil
}

// IsSet reports whether flag name was given on the command line.
func (c *Command) IsSet(name string) bool {
	set := false
	c.Flags.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// ClusterConfig builds the cluster configuration for n nodes from the
// flags (see clusterFlags.config; with --lecture, cluster.LectureConfig
// with the flags given explicitly on top) and opens the --log file; the
// caller closes the returned closer when the cluster is closed.
func (c *Command) ClusterConfig(n int) (cluster.Config, io.Closer, error) {
	return c.ClusterConfigContext(context.Background(), n)
}

// ClusterConfigContext is ClusterConfig; with --join or --attach
// (AddRingFlags) it asks the ring for its settings within ctx. An error
// IsUsage is the user's; another is the ring's (it did not answer).
func (c *Command) ClusterConfigContext(ctx context.Context, n int) (cluster.Config, io.Closer, error) {
	base, explicit := cluster.ConfigFor(n*max(1, c.cluster.vnodes)), false // paced for every identity
	base.Nodes = n
	base.Net = cluster.ConfigFor(n).Net // sessions are per real node: its identities share one transport
	if c.Lecture() {
		base, explicit = c.lectureConfig(n), true
	}
	cfg := c.cluster.config(base, explicit, c.IsSet)
	if err := c.applyLecture(&cfg); err != nil {
		return cfg, nopCloser{}, err
	}
	rc, err := c.respConfig()
	if err != nil {
		return cfg, nopCloser{}, err
	}
	cfg.RESP = rc
	if err := c.applyRing(ctx, &cfg); err != nil {
		return cfg, nopCloser{}, err
	}
	cfg, closer, err := c.cluster.openLog(cfg)
	if err != nil && c.Lecture() && cfg.Chord.Bits < 63 && uint64(n) > uint64(1)<<cfg.Chord.Bits {
		err = fmt.Errorf("%w (--lecture uses m = %d: give --bits 8 or more for more nodes)", err, cfg.Chord.Bits)
	}
	return cfg, closer, err
}

// ExitStatus returns the exit status for err, an error from Parse,
// ClusterConfig or the subcommand's own checks of its flags: 0 for
// flag.ErrHelp, StatusUsage for any other, after one line on stderr
// saying what is wrong.
func (c *Command) ExitStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil && c.ring != nil && (c.ring.join != "" || c.ring.attach != "") && !IsUsage(err) && isRingError(err) {
		fmt.Fprintf(c.stderr, "%s: %v\n", c.Name, err)
		return 1 // the ring did not answer: not a bad command line
	}
	fmt.Fprintf(c.stderr, "%s: %v\n", c.Name, err)
	return StatusUsage
}

// The flag package's errors, which carry no type: Parse rewords them.
var (
	undefinedRE = regexp.MustCompile(`^flag provided but not defined: -(.*)$`)
	needsArgRE  = regexp.MustCompile(`^flag needs an argument: -(.*)$`)
	badValueRE  = regexp.MustCompile(`^invalid (?:boolean )?value (".*") for (?:flag )?-([^:]*): (.*)$`)
)

// flagError turns an error of the flag package into one line that names
// the flag as it is written (--name), suggests the closest flag for an
// unknown one, and points to -h.
func (c *Command) flagError(err error) error {
	hint := fmt.Sprintf(" (%s -h lists the flags)", c.Name)
	msg := err.Error()
	if m := undefinedRE.FindStringSubmatch(msg); m != nil {
		name := m[1]
		if _, err := strconv.Atoi(name); err == nil { // "-3": a negative N, not a flag
			return nodeCountError("-" + name)
		}
		var names []string
		c.Flags.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := command.Suggest(strings.ToLower(name), names); s != "" {
			return fmt.Errorf("unknown flag --%s — did you mean --%s?%s", name, s, hint)
		}
		return fmt.Errorf("unknown flag --%s%s", name, hint)
	}
	if m := needsArgRE.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("--%s needs a value%s", m[1], hint)
	}
	if m := badValueRE.FindStringSubmatch(msg); m != nil {
		value, name, why := m[1], m[2], m[3]
		if f := c.Flags.Lookup(name); f != nil {
			why = wantOf(f, why)
		}
		return fmt.Errorf("--%s %s: %s%s", name, value, why, hint)
	}
	return fmt.Errorf("%s%s", msg, hint)
}

// wantOf says what flag f takes, replacing the flag package's "parse
// error"; why is kept for a value that says it itself.
func wantOf(f *flag.Flag, why string) string {
	if why == "value out of range" {
		return why
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return why
	}
	switch g.Get().(type) {
	case bool:
		return "want true or false"
	case int, int64, uint, uint64:
		return "want a whole number"
	case float64:
		return "want a number"
	case time.Duration:
		return "want a duration such as 25ms, 1.5s or 2m"
	}
	return why
}

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
func (c *Command) parseNodeCount(pos []string) (int, error) {
	switch len(pos) {
	case 0:
		example := c.Name + " 16"
		if strings.Contains(c.synopsis, "[flags] N") {
			synopsis := strings.Replace(c.synopsis, "N[,N…]", "N", 1)
			example = strings.Replace(synopsis, "[flags] N", "16", 1) // chordtui mount DIR 16
		}
		return 0, fmt.Errorf("missing N, the number of nodes from 1 to %d (for example: %s)", maxNodes, example)
	case 1:
	default:
		return 0, fmt.Errorf("want one argument N, got %d: %s", len(pos), strings.Join(pos, " "))
	}
	n, err := strconv.Atoi(pos[0])
	if err != nil || n < 1 || n > maxNodes {
		return 0, nodeCountError(pos[0])
	}
	return n, nil
}

// nodeCountError is the error for an argument that is not a valid N.
func nodeCountError(arg string) error {
	//nolint:staticcheck // N is the argument's name, written as in the usage.
	return fmt.Errorf("N must be a whole number from 1 to %d, got %q", maxNodes, arg)
}
