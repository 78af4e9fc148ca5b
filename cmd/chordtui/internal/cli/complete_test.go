package cli

import (
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// Each flag's kind decides what the scripts complete after it: nothing
// (a boolean), a word of its choices, a file name (a value named `file`),
// or no guess.
func TestFlagKinds(t *testing.T) {
	cmd := New("chordtui x", "chordtui x [flags] N", "", io.Discard)
	cmd.Flags.Bool("verbose", false, "say more")
	cmd.Flags.String("out", "", "write to this `file`")
	want := map[string]flagKind{"verbose": flagBool, "out": flagFile, "log": flagFile, "log-level": flagChoice, "bits": flagValue, "stabilize": flagValue}
	specs := specsOf(cmd.Flags)
	for _, s := range specs {
		if k, ok := want[s.name]; ok && k != s.kind {
			t.Errorf("--%s: kind %d, want %d", s.name, s.kind, k)
		}
		if s.name == "log-level" && !slices.Equal(s.choices, []string{"debug", "info", "warn", "error"}) {
			t.Errorf("--log-level choices %v", s.choices)
		}
	}
	if len(specs) == 0 || len(specs) != len(slices.Collect(func(yield func(string) bool) {
		cmd.Flags.VisitAll(func(f *flag.Flag) { yield(f.Name) })
	})) {
		t.Errorf("%d specs for the flag set", len(specs))
	}
}

// A shell without a script, or a name a script could not write unquoted,
// is refused.
func TestWriteCompletionRefuses(t *testing.T) {
	ok := Completion{Program: "prog", Subcommands: []Subcommand{{Name: "run"}}}
	if err := WriteCompletion(io.Discard, "csh", ok); !errors.Is(err, ErrUnknownShell) {
		t.Errorf("csh: %v, want ErrUnknownShell", err)
	}
	bad := Completion{Program: "prog", Subcommands: []Subcommand{{Name: "run; rm -rf"}}}
	if err := WriteCompletion(io.Discard, "bash", bad); err == nil {
		t.Error("a subcommand named \"run; rm -rf\" was written")
	}
}

// Every script parses in its shell, for a program with every kind of flag
// and no flags at all (the shells that are not installed are skipped).
func TestCompletionSyntax(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Bool("verbose", false, "say more; it's [loud]: really")
	fs.String("out", "", "write to this `file`")
	level := "info"
	fs.Var(&choiceValue{&level, []string{"info", "debug"}}, "level", "log level")
	fs.Int("count", 3, "how many")
	specs := []Completion{
		{Program: "prog", Flags: fs, Subcommands: []Subcommand{{Name: "run", Summary: "run it (now)", Flags: fs}, {Name: "shell", Args: []string{"a", "b"}}}},
		{Program: "bare"},
	}
	check := map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}}
	for _, shell := range Shells() {
		argv := check[shell]
		if _, err := exec.LookPath(argv[0]); err != nil {
			t.Logf("%s is not installed: its script's syntax is not checked", shell)
			continue
		}
		for _, c := range specs {
			path := filepath.Join(t.TempDir(), "script")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteCompletion(f, shell, c); err != nil {
				t.Fatal(err)
			}
			f.Close()
			if out, err := exec.Command(argv[0], append(argv[1:], path)...).CombinedOutput(); err != nil {
				script, _ := os.ReadFile(path)
				t.Errorf("%s %s: %v\n%s\n%s", shell, c.Program, err, out, script)
			}
		}
	}
}
