package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
)

// completionScript writes "chordtui completion SHELL" to a file and
// returns its path; it skips the test when the shell is not installed.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	if _, err := exec.LookPath(shell); err != nil {
		t.Skipf("%s is not installed: its completion script is not checked", shell)
	}
	code, stdout, stderr := runCLI(t, "", "completion", shell)
	if code != 0 || stderr != "" || stdout == "" {
		t.Fatalf("completion %s: status %d, stderr %q", shell, code, stderr)
	}
	path := filepath.Join(t.TempDir(), "chordtui."+shell)
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Each script parses in its shell.
func TestCompletionSyntax(t *testing.T) {
	for shell, check := range map[string][]string{"bash": {"-n"}, "zsh": {"-n"}, "fish": {"--no-execute"}} {
		t.Run(shell, func(t *testing.T) {
			path := completionScript(t, shell)
			if out, err := exec.Command(shell, append(check, path)...).CombinedOutput(); err != nil {
				t.Errorf("%s %s: %v\n%s", shell, strings.Join(check, " "), err, out)
			}
		})
	}
}

// completionCases are command lines, the cursor at their end, and the
// candidates a shell offers there.
var completionCases = []struct {
	line string
	want []string
}{
	{"chordtui ", []string{"attach", "bench", "completion", "help", "keygen", "mount", "node", "repl", "version"}},
	{"chordtui r", []string{"repl"}},
	{"chordtui repl --js", []string{"--json"}},
	{"chordtui repl 16 --log-level ", []string{"debug", "error", "info", "warn"}},
	{"chordtui --no-", []string{"--no-animate", "--no-color", "--no-mouse"}},
	{"chordtui 16 --no-c", []string{"--no-color"}},
	{"chordtui bench --no-", []string{"--no-kill"}},
	{"chordtui repl --bits ", nil},
	{"chordtui completion ", []string{"bash", "fish", "zsh"}},
	{"chordtui help c", []string{"commands", "completion"}},
}

// flagCandidates lists "--name" for every flag the subcommand (or, for "",
// the UI) builds: what completing "--" must offer.
func flagCandidates(t *testing.T, sub string) []string {
	t.Helper()
	run := runFunc(runUI)
	for _, s := range subcommands() {
		if s.name == sub {
			run = s.run
		}
	}
	var out []string
	if cmd := cli.Describe(describable(run)); cmd != nil {
		cmd.Flags.VisitAll(func(f *flag.Flag) { out = append(out, "--"+f.Name) })
	}
	return out
}

// bashComplete returns the candidates the bash script offers at the end of
// line.
func bashComplete(t *testing.T, script, line string) []string {
	t.Helper()
	words := strings.Fields(line)
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	out, err := exec.Command("bash", append([]string{"--norc", "--noprofile", "-c",
		`source "$0" && COMP_WORDS=("$@") && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && _chordtui && printf '%s\n' "${COMPREPLY[@]}"`,
		script}, words...)...).Output()
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	return candidates(string(out))
}

// fishComplete returns the candidates the fish script offers at the end of
// line.
func fishComplete(t *testing.T, script, line string) []string {
	t.Helper()
	out, err := exec.Command("fish", "--no-config", "-c", `source $argv[1]; and complete -C $argv[2]`, script, line).Output()
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	return candidates(string(out))
}

// candidates parses one candidate a line (fish adds a tab and its
// description), sorted, nil for none.
func candidates(out string) []string {
	var got []string
	for l := range strings.Lines(out) {
		if c, _, _ := strings.Cut(strings.TrimSuffix(l, "\n"), "\t"); c != "" {
			got = append(got, c)
		}
	}
	slices.Sort(got)
	return got
}

// The bash and fish scripts offer the subcommands, the flags of the
// subcommand on the line, the choices of --log-level, the shells and the
// help topics; after "--" every flag of the subcommand and only those.
func TestCompletionCandidates(t *testing.T) {
	for shell, complete := range map[string]func(*testing.T, string, string) []string{"bash": bashComplete, "fish": fishComplete} {
		t.Run(shell, func(t *testing.T) {
			script := completionScript(t, shell)
			for _, tt := range completionCases {
				if got := complete(t, script, tt.line); !slices.Equal(got, tt.want) {
					t.Errorf("%q offers %q, want %q", tt.line, got, tt.want)
				}
			}
			for _, sub := range []string{"", "repl", "bench"} {
				line := strings.Join(slices.DeleteFunc([]string{"chordtui", sub, "--"}, func(s string) bool { return s == "" }), " ")
				want := flagCandidates(t, sub)
				if got := complete(t, script, line); !slices.Equal(got, want) {
					t.Errorf("%q offers %q, want the flag set's %q", line, got, want)
				}
			}
		})
	}
}

// zshDriver types LINE and a Tab into an interactive zsh that sourced
// SCRIPT, then runs "echo RESULT: " before the completed line, and prints
// that line. Exit status 3: no zsh/zpty module.
const zshDriver = `
zmodload zsh/zpty || exit 3
zpty z 'zsh -f -i'
zpty -w z "PROMPT='>'; autoload -U compinit && compinit -u -D; source ${(q)SCRIPT}; setopt nobeep"
zpty -w -n z "$LINE"$'\t\C-a echo RESULT: \C-m'
out=
for i in {1..200}; do
  while zpty -r -t z chunk; do out+=$chunk; done
  for l in ${(f)out}; do
    l=${l//$'\r'/}
    l=${l//$'\e'\[[0-9\;\?]#[A-Za-z]/}
    if [[ $l == RESULT:* ]]; then
      print -r -- ${l#RESULT: }
      zpty -d z
      exit 0
    fi
  done
  sleep 0.05
done
zpty -d z
exit 4
`

// The zsh script, sourced after compinit, completes a unique candidate of
// each kind in an interactive shell.
func TestCompletionZsh(t *testing.T) {
	script := completionScript(t, "zsh")
	tests := []struct{ line, want string }{
		{"chordtui rep", "chordtui repl"},
		{"chordtui repl --js", "chordtui repl --json"},
		{"chordtui repl 16 --log-level w", "chordtui repl 16 --log-level warn"},
		{"chordtui 16 --no-an", "chordtui 16 --no-animate"},
		{"chordtui bench --no-k", "chordtui bench --no-kill"},
		{"chordtui completion fi", "chordtui completion fish"},
		{"chordtui help comm", "chordtui help commands"},
	}
	for _, tt := range tests {
		cmd := exec.Command("zsh", "-f", "-c", zshDriver)
		cmd.Env = append(os.Environ(), "SCRIPT="+script, "LINE="+tt.line)
		cmd.WaitDelay = time.Second
		out, err := cmd.Output()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 3 {
			t.Skip("zsh has no zsh/zpty module: the zsh completion is checked for syntax only")
		}
		if err != nil {
			t.Fatalf("%q: %v (no completed line within 10 s)", tt.line, err)
		}
		if got := strings.TrimSpace(string(out)); got != tt.want {
			t.Errorf("%q completes to %q, want %q", tt.line, got, tt.want)
		}
	}
}
