package cli

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Maintenance periods follow N unless given on the command line; a period
// that is given wins at every N.
func TestClusterFlagsScaleUnlessGiven(t *testing.T) {
	tests := []struct {
		args           []string
		n              int
		stabilize, fix time.Duration
	}{
		{nil, 16, 25 * time.Millisecond, 50 * time.Millisecond},
		{nil, 1024, 100 * time.Millisecond, 800 * time.Millisecond},
		{[]string{"--stabilize", "40ms"}, 1024, 40 * time.Millisecond, 800 * time.Millisecond},
		{[]string{"--fix-fingers", "25ms"}, 16, 25 * time.Millisecond, 25 * time.Millisecond},
	}
	for _, tt := range tests {
		cmd := New("test", "test [flags] N", "", io.Discard)
		if err := cmd.Flags.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		cfg, logFile, err := cmd.ClusterConfig(tt.n)
		if err != nil {
			t.Fatalf("%v at N=%d: %v", tt.args, tt.n, err)
		}
		if err := logFile.Close(); err != nil {
			t.Fatal(err)
		}
		if cfg.Chord.StabilizeInterval != tt.stabilize || cfg.Chord.FixFingersInterval != tt.fix {
			t.Errorf("%v at N=%d: stabilize %v, fix-fingers %v; want %v, %v", tt.args, tt.n,
				cfg.Chord.StabilizeInterval, cfg.Chord.FixFingersInterval, tt.stabilize, tt.fix)
		}
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args []string
		pos  string
		json bool
	}{
		{[]string{"--json", "16"}, "16", true},
		{[]string{"16", "--json"}, "16", true},
		{[]string{"16"}, "16", false},
		{[]string{"--", "-3"}, "-3", false},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		j := fs.Bool("json", false, "")
		pos, err := parseInterspersed(fs, tt.args)
		if err != nil || strings.Join(pos, " ") != tt.pos || *j != tt.json {
			t.Errorf("parseInterspersed(%q) = %q, %v (json %v)", tt.args, pos, err, *j)
		}
	}
}

// Every way a command line can be wrong exits with status 2 and exactly
// one line on stderr naming the problem, never the usage; -h exits with 0
// and prints the usage.
func TestExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		status int
		stderr string // all of it
	}{
		{"unknown flag", []string{"--bogus", "3"}, 2, "chordtui x: unknown flag --bogus (chordtui x -h lists the flags)\n"},
		{"mistyped flag", []string{"3", "--sed", "4"}, 2, "chordtui x: unknown flag --sed — did you mean --seed? (chordtui x -h lists the flags)\n"},
		{"mistyped flag, one dash", []string{"-stabilise=1s", "3"}, 2, "chordtui x: unknown flag --stabilise — did you mean --stabilize? (chordtui x -h lists the flags)\n"},
		{"negative N", []string{"-3"}, 2, "chordtui x: N must be a whole number from 1 to 4096, got \"-3\"\n"},
		{"bad int", []string{"--bits", "many", "3"}, 2, "chordtui x: --bits \"many\": want a whole number (chordtui x -h lists the flags)\n"},
		{"int out of range", []string{"--bits", "99999999999999999999", "3"}, 2, "chordtui x: --bits \"99999999999999999999\": value out of range (chordtui x -h lists the flags)\n"},
		{"bad duration", []string{"--stabilize=fast", "3"}, 2, "chordtui x: --stabilize \"fast\": want a duration such as 25ms, 1.5s or 2m (chordtui x -h lists the flags)\n"},
		{"bad bool", []string{"--verbose=maybe", "3"}, 2, "chordtui x: --verbose \"maybe\": want true or false (chordtui x -h lists the flags)\n"},
		{"bad choice", []string{"--log-level", "loud", "3"}, 2, "chordtui x: --log-level \"loud\": want debug, info, warn or error (chordtui x -h lists the flags)\n"},
		{"missing value", []string{"3", "--seed"}, 2, "chordtui x: --seed needs a value (chordtui x -h lists the flags)\n"},
		{"bad flag syntax", []string{"---x", "3"}, 2, "chordtui x: bad flag syntax: ---x (chordtui x -h lists the flags)\n"},
		{"missing N", nil, 2, "chordtui x: missing N, the number of nodes from 1 to 4096 (for example: chordtui x 16)\n"},
		{"bad N", []string{"many"}, 2, "chordtui x: N must be a whole number from 1 to 4096, got \"many\"\n"},
		{"N zero", []string{"0"}, 2, "chordtui x: N must be a whole number from 1 to 4096, got \"0\"\n"},
		{"N too large", []string{"4097"}, 2, "chordtui x: N must be a whole number from 1 to 4096, got \"4097\"\n"},
		{"two Ns", []string{"3", "4"}, 2, "chordtui x: want one argument N, got 2: 3 4\n"},
		{"bad config", []string{"--bits", "4", "3"}, 2, "chordtui x: chord: bits must be between 6 and 160, got 4\n"},
		{"log file in a missing directory", []string{"--log", "/nonexistent/dir/x.log", "3"}, 2, "chordtui x: --log: open /nonexistent/dir/x.log: no such file or directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			cmd := New("chordtui x", "chordtui x [flags] N", "Does x.", &stderr)
			cmd.Flags.Bool("verbose", false, "say more")
			n, err := cmd.Parse(tt.args)
			if err == nil {
				var logFile io.Closer
				_, logFile, err = cmd.ClusterConfig(n)
				if err == nil {
					logFile.Close()
					t.Fatalf("N = %d and a cluster config, want an error", n)
				}
			}
			if got := cmd.ExitStatus(err); got != tt.status {
				t.Errorf("status %d, want %d", got, tt.status)
			}
			if stderr.String() != tt.stderr {
				t.Errorf("stderr:\n%q\nwant\n%q", stderr.String(), tt.stderr)
			}
		})
	}
}

// The extremes of N are accepted.
func TestNodeCountBounds(t *testing.T) {
	for _, arg := range []string{"1", "4096"} {
		cmd := New("chordtui x", "chordtui x [flags] N", "", io.Discard)
		if n, err := cmd.Parse([]string{arg}); err != nil || strconv.Itoa(n) != arg {
			t.Errorf("Parse(%s) = %d, %v", arg, n, err)
		}
	}
}

// -h prints the usage and nothing else, where New was told: stderr, or the
// Help writer of Streams, whose Err still gets the errors.
func TestHelpGoesWhereAsked(t *testing.T) {
	var plain strings.Builder
	cmd := New("chordtui x", "chordtui x [flags] N", "Does x.", &plain)
	if _, err := cmd.Parse([]string{"16", "-h"}); cmd.ExitStatus(err) != 0 {
		t.Fatalf("-h: %v", err)
	}
	if !strings.HasPrefix(plain.String(), "usage: chordtui x [flags] N\n") {
		t.Errorf("-h with a plain stderr printed:\n%s", plain.String())
	}

	var out, errs strings.Builder
	streams := &Streams{Err: &errs, Help: &out}
	cmd = New("chordtui x", "chordtui x [flags] N", "Does x.", streams)
	if _, err := cmd.Parse([]string{"--help"}); cmd.ExitStatus(err) != 0 {
		t.Fatalf("--help: %v", err)
	}
	if !strings.HasPrefix(out.String(), "usage: chordtui x [flags] N\n") || errs.Len() != 0 {
		t.Errorf("--help: help %q, errors %q", out.String(), errs.String())
	}
	out.Reset()
	if _, err := cmd.Parse([]string{"--bogus"}); cmd.ExitStatus(err) != 2 {
		t.Fatalf("--bogus: %v", err)
	}
	if out.Len() != 0 || !strings.HasPrefix(errs.String(), "chordtui x: unknown flag --bogus") {
		t.Errorf("--bogus: help %q, errors %q", out.String(), errs.String())
	}
}

// The usage lists every flag with its default (none for a false boolean or
// an empty string), the subcommand's own before the cluster's, the range
// of N, and fits 80 columns.
func TestUsageListsEveryFlag(t *testing.T) {
	var b strings.Builder
	cmd := New("chordtui x", "chordtui x [flags] N", "Does x.\nExit status: 0.", io.Discard)
	cmd.Flags.Bool("verbose", false, "say more")
	cmd.Flags.Duration("pause", 3*time.Second, "wait this long before a `period` of very long description that has to be wrapped because it would not fit on one line otherwise")
	cmd.WriteUsage(&b)
	usage := b.String()
	for _, want := range []string{
		"usage: chordtui x [flags] N\n\nDoes x.\nExit status: 0.\n\n",
		"N is the number of nodes, from 1 to 4096",
		"flags of chordtui x:\n  --pause period (default 3s)\n      wait this long",
		"  --verbose\n      say more\n",
		"  --bits int (default 160)\n",
		"  --log file\n",
		"  --log-level level (default info)\n",
		"  --seed int (default 0)\n",
	} {
		if !strings.Contains(usage, want) {
			t.Errorf("usage lacks %q:\n%s", want, usage)
		}
	}
	if strings.Index(usage, "--verbose") > strings.Index(usage, "cluster flags") {
		t.Errorf("the subcommand's own flags do not come first:\n%s", usage)
	}
	cmd.Flags.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(usage, "  --"+f.Name+" ") && !strings.Contains(usage, "  --"+f.Name+"\n") {
			t.Errorf("usage lacks --%s", f.Name)
		}
	})
	for line := range strings.SplitSeq(usage, "\n") {
		if n := len([]rune(line)); n > usageWidth {
			t.Errorf("line of %d runes: %q", n, line)
		}
	}
}

// Describe finds the Command a subcommand builds, with the flags it adds,
// without running it; a subcommand that builds none gives nil.
func TestDescribe(t *testing.T) {
	started := false
	sub := func(args []string, stderr io.Writer) int {
		cmd := New("chordtui x", "chordtui x [flags] N", "", stderr)
		cmd.Flags.Bool("verbose", false, "")
		if _, err := cmd.Parse(args); err != nil {
			return cmd.ExitStatus(err)
		}
		started = true
		return 0
	}
	cmd := Describe(sub)
	if cmd == nil || cmd.Flags.Lookup("verbose") == nil || cmd.Flags.Lookup("bits") == nil || started {
		t.Fatalf("Describe = %v (started %v)", cmd, started)
	}
	if cmd := Describe(func([]string, io.Writer) int { return 0 }); cmd != nil {
		t.Errorf("Describe of a subcommand without a Command = %v", cmd)
	}
}

// A subcommand's own flag is parsed with the shared ones, before or after
// N, and IsSet tells a given flag from its default.
func TestOwnFlagsAndIsSet(t *testing.T) {
	cmd := New("chordtui x", "chordtui x [flags] N", "Does x.", io.Discard)
	json := cmd.Flags.Bool("json", false, "")
	n, err := cmd.Parse([]string{"--seed", "3", "16", "--json"})
	if err != nil || n != 16 || !*json {
		t.Fatalf("Parse = %d, %v (json %v)", n, err, *json)
	}
	if !cmd.IsSet("seed") || !cmd.IsSet("json") || cmd.IsSet("bits") {
		t.Errorf("IsSet seed %v json %v bits %v, want true true false", cmd.IsSet("seed"), cmd.IsSet("json"), cmd.IsSet("bits"))
	}
	cfg, logFile, err := cmd.ClusterConfig(n)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	if cfg.Seed != 3 || cfg.Nodes != 16 || cfg.Logger == nil {
		t.Errorf("config: seed %d, nodes %d, logger %v", cfg.Seed, cfg.Nodes, cfg.Logger)
	}
}

// A command that takes several sizes says so where the usage gives N's
// range, within 80 columns.
func TestUsageOfSizes(t *testing.T) {
	var b strings.Builder
	New("chordtui x", "chordtui x [flags] N[,N…]", "", io.Discard).WriteUsage(&b)
	if !strings.Contains(b.String(), "from 1 to 4096, or several separated by commas\n(16,128,256);") {
		t.Errorf("usage:\n%s", b.String())
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if utf8.RuneCountInString(l) > 80 {
			t.Errorf("line longer than 80 columns: %q", l)
		}
	}
}

// ParseSizes reads one N as Parse does, and N,N,… as the sizes in
// ascending order, each once; any bad size is an error naming it.
func TestParseSizes(t *testing.T) {
	tests := []struct {
		args    []string
		want    string
		wantErr string
	}{
		{[]string{"16"}, "[16]", ""},
		{[]string{"--json", "256,16,128"}, "[16 128 256]", ""},
		{[]string{"16, 128", "--json"}, "[16 128]", ""},
		{[]string{"16,16,32"}, "[16 32]", ""},
		{[]string{"16,16"}, "[16]", ""},
		{[]string{"16,x"}, "", `got "x"`},
		{[]string{"16,0"}, "", `got "0"`},
		{[]string{"16,"}, "", `got ""`},
		{[]string{"16,5000"}, "", "from 1 to 4096"},
		{[]string{"16,128", "32"}, "", "want one argument N, got 2"},
		{[]string{}, "", "missing N"},
	}
	for _, tt := range tests {
		cmd := New("chordtui x", "chordtui x [flags] N", "", io.Discard)
		cmd.Flags.Bool("json", false, "")
		sizes, list, err := cmd.ParseSizes(tt.args)
		wantList := strings.Contains(strings.Join(tt.args, " "), ",")
		switch {
		case tt.wantErr == "" && (err != nil || fmt.Sprint(sizes) != tt.want || list != wantList):
			t.Errorf("ParseSizes(%q) = %v, %v, %v; want %s, %v", tt.args, sizes, list, err, tt.want, wantList)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseSizes(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
		}
	}
}
