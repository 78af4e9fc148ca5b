package cli

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
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

// Every way a command line can be wrong exits with status 2 and one line
// naming the problem; -h exits with 0. The usage follows a bad flag or a
// bad N, not a bad value.
func TestExitStatus(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		status    int
		line      string // the first line on stderr
		withUsage bool
	}{
		{"help", []string{"-h"}, 0, "usage: chordtui x [flags] N", true},
		{"unknown flag", []string{"--bogus", "3"}, 2, "flag provided but not defined: -bogus", true},
		{"bad flag value", []string{"--bits", "many", "3"}, 2, `invalid value "many" for flag -bits: parse error`, true},
		{"missing N", nil, 2, "chordtui x: missing N, the number of nodes (for example: 16)", true},
		{"bad N", []string{"many"}, 2, `chordtui x: N must be a whole number from 1 to 4096, got "many"`, true},
		{"N too large", []string{"4097"}, 2, `chordtui x: N must be a whole number from 1 to 4096, got "4097"`, true},
		{"two Ns", []string{"3", "4"}, 2, "chordtui x: want one argument N, got 2: 3 4", true},
		{"bad config", []string{"--bits", "4", "3"}, 2, "chordtui x: ", false},
		{"bad log level", []string{"--log-level", "loud", "3"}, 2, `chordtui x: --log-level "loud": want debug, info, warn or error`, false},
		{"log file in a missing directory", []string{"--log", "/nonexistent/dir/x.log", "3"}, 2, "chordtui x: --log: open /nonexistent/dir/x.log", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			cmd := New("chordtui x", "chordtui x [flags] N", "Does x.", &stderr)
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
			first, rest, _ := strings.Cut(stderr.String(), "\n")
			if !strings.HasPrefix(first, tt.line) {
				t.Errorf("first line %q, want it to start with %q", first, tt.line)
			}
			if usage := strings.Contains(rest, "usage: chordtui x [flags] N") || strings.HasPrefix(first, "usage:"); usage != tt.withUsage {
				t.Errorf("usage printed: %v, want %v; stderr:\n%s", usage, tt.withUsage, stderr.String())
			}
		})
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
