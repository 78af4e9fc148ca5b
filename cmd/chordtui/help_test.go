package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"github.com/chordtui/chordtui/dht"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// runCLI runs the command line args as the binary would, with stdin
// empty, and returns the exit status, stdout and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// A wrong command line gets exactly one line on stderr, saying what is
// wrong with a "did you mean" where one is likely and a pointer to the
// help, nothing on stdout, and exit status 2.
func TestCommandLineErrors(t *testing.T) {
	tests := []struct {
		args []string
		line string
	}{
		{[]string{"rpl", "4"}, `chordtui: unknown subcommand "rpl" — did you mean "repl"? (chordtui -h lists them)`},
		{[]string{"REPL", "4"}, `chordtui: unknown subcommand "REPL" — did you mean "repl"? (chordtui -h lists them)`},
		{[]string{"benhc", "4"}, `chordtui: unknown subcommand "benhc" — did you mean "bench"? (chordtui -h lists them)`},
		{[]string{"abc"}, `chordtui: unknown subcommand "abc" — want N (1 to 4096 nodes) or a subcommand (chordtui -h lists them)`},
		{[]string{"0"}, `chordtui: N must be a whole number from 1 to 4096, got "0"`},
		{[]string{"5000"}, `chordtui: N must be a whole number from 1 to 4096, got "5000"`},
		{[]string{"16.5"}, `chordtui: N must be a whole number from 1 to 4096, got "16.5"`},
		{[]string{"-3"}, `chordtui: N must be a whole number from 1 to 4096, got "-3"`},
		{[]string{"16", "repl"}, `chordtui: want one argument N, got 2: 16 repl`},
		{[]string{"--no-colour", "16"}, `chordtui: unknown flag --no-colour — did you mean --no-color? (chordtui -h lists the flags)`},
		{[]string{"--json", "16"}, `chordtui: unknown flag --json — did you mean --join? (chordtui -h lists the flags)`},
		{[]string{"--refresh", "often", "16"}, `chordtui: --refresh "often": want a duration such as 25ms, 1.5s or 2m (chordtui -h lists the flags)`},
		{[]string{"repl", "--jsn", "4"}, `chordtui repl: unknown flag --jsn — did you mean --json? (chordtui repl -h lists the flags)`},
		{[]string{"repl", "4", "--jsn"}, `chordtui repl: unknown flag --jsn — did you mean --json? (chordtui repl -h lists the flags)`},
		{[]string{"repl", "--log-level", "loud", "4"}, `chordtui repl: --log-level "loud": want debug, info, warn or error (chordtui repl -h lists the flags)`},
		{[]string{"repl"}, `chordtui repl: missing N, the number of nodes from 1 to 4096 (for example: chordtui repl 16)`},
		{[]string{"repl", "3", "4"}, `chordtui repl: want one argument N, got 2: 3 4`},
		{[]string{"repl", "abc"}, `chordtui repl: N must be a whole number from 1 to 4096, got "abc"`},
		{[]string{"bench", "--clinets", "1,2", "4"}, `chordtui bench: unknown flag --clinets — did you mean --clients? (chordtui bench -h lists the flags)`},
		{[]string{"help", "rpl"}, `chordtui help: unknown topic "rpl" — did you mean "repl"? (topics: repl, bench, attach, node, mount, keygen, completion, help, version, commands)`},
		{[]string{"help", "repl", "bench"}, `chordtui help: want at most one TOPIC, got 2: repl bench`},
		{[]string{"help", "commands", "gte"}, `chordtui help commands: unknown command "gte" — did you mean "get"? (chordtui help commands lists them)`},
		{[]string{"completion"}, `chordtui completion: missing SHELL (want bash, zsh or fish)`},
		{[]string{"completion", "bsh"}, `chordtui completion: unknown shell "bsh" — did you mean "bash"? (want bash, zsh or fish)`},
		{[]string{"completion", "csh"}, `chordtui completion: unknown shell "csh" — did you mean "zsh"? (want bash, zsh or fish)`},
		{[]string{"completion", "powershell"}, `chordtui completion: unknown shell "powershell" (want bash, zsh or fish)`},
		{[]string{"completion", "bash", "zsh"}, `chordtui completion: want one SHELL (bash, zsh or fish), got 2: bash zsh`},
		{[]string{"version", "now"}, `chordtui version: takes no arguments, got now`},
		{[]string{"node", "3"}, `chordtui node: takes no arguments, got 3 (chordtui node -h lists the flags)`},
		{[]string{"node", "--seed", "2"}, `chordtui node: --seed is for a cluster of nodes, not for one node (give --id for a chosen identifier)`},
		{[]string{"node", "--bits", "6", "--id", "64"}, `chordtui node: --id 64: does not fit in 6 bits (at most 63)`},
		{[]string{"node", "--listen", "0.0.0.0:0"}, `chordtui node: listening on 0.0.0.0 lets other machines join, so a cluster key is required: give one with --key-file F or CHORDTUI_KEY (make one with: chordtui keygen F)`},
		{[]string{"node", "--join", "nowhere"}, `chordtui node: --join "nowhere": want HOST:PORT`},
		{[]string{"repl", "--attach", "127.0.0.1:1", "4"}, `chordtui repl: --attach starts no node: leave N (4) out`},
		{[]string{"repl", "--listen", "::", "4"}, `chordtui repl: listening on :: lets other machines join, so a cluster key is required: give one with --key-file F or CHORDTUI_KEY (make one with: chordtui keygen F)`},
		{[]string{"attach"}, `chordtui attach: missing ADDR, the host:port of a node of the ring (for example: chordtui attach 127.0.0.1:40123)`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tt.args...)
			if code != 2 || stdout != "" || stderr != tt.line+"\n" {
				t.Errorf("status %d, stdout %q, stderr\n%q\nwant status 2, no stdout, stderr\n%q", code, stdout, stderr, tt.line+"\n")
			}
		})
	}
}

// chordtui alone shows the synopsis and the subcommands on stderr, without
// the flags, and exits with 2.
func TestNoArguments(t *testing.T) {
	code, stdout, stderr := runCLI(t, "")
	if code != 2 || stdout != "" {
		t.Fatalf("status %d, stdout %q", code, stdout)
	}
	for _, want := range []string{"usage: chordtui [flags] N\n", "chordtui repl [flags] N", "chordtui completion SHELL", "from 1 to 4096", `"chordtui -h" lists the flags`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "--bits") {
		t.Errorf("the flags are listed:\n%s", stderr)
	}
}

// Every way of asking for help prints on stdout and exits with 0, and
// "chordtui help X" prints what "chordtui X -h" prints.
func TestHelpIsTheSameEveryWay(t *testing.T) {
	groups := [][][]string{
		{{"-h"}, {"--help"}, {"-help"}, {"help"}, {"16", "-h"}, {"--seed", "3", "--help"}},
		{{"repl", "-h"}, {"help", "repl"}, {"repl", "16", "--help"}},
		{{"bench", "-h"}, {"help", "bench"}},
		{{"keygen", "-h"}, {"help", "keygen"}, {"keygen", "--help"}},
		{{"completion", "-h"}, {"help", "completion"}},
		{{"version", "-h"}, {"help", "version"}},
		{{"help", "-h"}, {"help", "help"}},
	}
	for _, group := range groups {
		var first string
		for i, args := range group {
			code, stdout, stderr := runCLI(t, "", args...)
			if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "usage: chordtui") {
				t.Errorf("%q: status %d, stderr %q, stdout\n%s", args, code, stderr, stdout)
			}
			if i == 0 {
				first = stdout
			} else if stdout != first {
				t.Errorf("%q prints\n%s\nbut %q prints\n%s", args, stdout, group[0], first)
			}
		}
	}
}

// Each subcommand's help lists every flag its flag set has, with the
// default on the flag's line, and the range of N; chordtui -h, the UI's
// help, also lists the subcommands.
func TestHelpListsEveryFlag(t *testing.T) {
	cases := map[string]runFunc{"": runUI}
	for _, s := range subcommands() {
		cases[s.name] = s.run
	}
	for name, sub := range cases {
		cmd := cli.Describe(describable(sub))
		if cmd == nil {
			continue // help, completion and version start no nodes and take no flags
		}
		args := []string{"-h"}
		if name != "" {
			args = []string{name, "-h"}
		}
		_, help, _ := runCLI(t, "", args...)
		if name != "node" && !strings.Contains(help, "N is the number of nodes, from 1 to 4096") { // node takes no N
			t.Errorf("%q lacks the range of N:\n%s", args, help)
		}
		cmd.Flags.VisitAll(func(f *flag.Flag) {
			line := ""
			for l := range strings.Lines(help) {
				if strings.HasPrefix(l, "  --"+f.Name+" ") || l == "  --"+f.Name+"\n" {
					line = l
				}
			}
			switch {
			case line == "":
				t.Errorf("%q lacks --%s", args, f.Name)
			case f.DefValue != "" && f.DefValue != "false" && !strings.Contains(line, "(default "+f.DefValue+")"):
				t.Errorf("%q: %q lacks the default %s", args, line, f.DefValue)
			}
		})
	}
	_, top, _ := runCLI(t, "", "-h")
	for _, s := range subcommands() {
		if !strings.Contains(top, "\n  "+s.synopsis+" ") {
			t.Errorf("chordtui -h lacks %q:\n%s", s.synopsis, top)
		}
	}
	_, repl, _ := runCLI(t, "", "repl", "-h")
	if strings.Contains(repl, "--no-animate") {
		t.Errorf("chordtui repl -h lists a flag of the UI:\n%s", repl)
	}
}

// "chordtui help commands [CMD]" is the REPL's help.
func TestHelpCommands(t *testing.T) {
	for _, name := range []string{"", "lookup"} {
		args := []string{"help", "commands"}
		if name != "" {
			args = append(args, name)
		}
		want, err := command.Help(name)
		if err != nil {
			t.Fatal(err)
		}
		if code, stdout, stderr := runCLI(t, "", args...); code != 0 || stdout != want+"\n" || stderr != "" {
			t.Errorf("%q: status %d, stderr %q, stdout\n%s", args, code, stderr, stdout)
		}
	}
}

// The limits the README states hold through the binary's REPL: keys up to
// 1 KiB and values up to 1 MiB (dht.DefaultConfig).
func TestREADMELimits(t *testing.T) {
	d := dht.DefaultConfig()
	if d.MaxKeySize != 1<<10 || d.MaxValueSize != 1<<20 {
		t.Fatalf("the default limits are %d and %d bytes; the README says 1 KiB and 1 MiB", d.MaxKeySize, d.MaxValueSize)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, claim := range []string{"N from 1 to 4096", "keys up to 1 KiB", "values up to 1 MiB"} {
		if !strings.Contains(string(readme), claim) {
			t.Errorf("README.md lacks %q", claim)
		}
	}
	if testing.Short() {
		t.Skip("starts a node")
	}
	lines := []struct {
		cmd string
		ok  bool
	}{
		{"set " + strings.Repeat("k", d.MaxKeySize) + " v", true},
		{"set " + strings.Repeat("k", d.MaxKeySize+1) + " v", false},
		{"set big " + strings.Repeat("v", d.MaxValueSize), true},
		{"set bigger " + strings.Repeat("v", d.MaxValueSize+1), false},
	}
	var stdin strings.Builder
	for _, l := range lines {
		stdin.WriteString(l.cmd + "\n")
	}
	code, stdout, stderr := runCLI(t, stdin.String(), "repl", "--json", "1")
	if code != 1 || stderr != "" {
		t.Errorf("status %d (want 1: two sets fail), stderr %q", code, stderr)
	}
	results := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(results) != len(lines) {
		t.Fatalf("%d results for %d commands:\n%.2000s", len(results), len(lines), stdout)
	}
	for i, l := range lines {
		var res struct{ OK bool }
		if err := json.Unmarshal([]byte(results[i]), &res); err != nil || res.OK != l.ok {
			t.Errorf("%.40s…: %.300s, want ok %v", l.cmd, results[i], l.ok)
		}
	}
}
