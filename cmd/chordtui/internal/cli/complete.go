package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// ErrUnknownShell is the error of WriteCompletion for a shell it has no
// script for.
var ErrUnknownShell = errors.New("unknown shell")

// Completion is a program's command line as its completion scripts know
// it: the flags taken when the first argument names no subcommand, and
// the subcommands.
type Completion struct {
	Program     string        // the command's name, e.g. "chordtui"
	Flags       *flag.FlagSet // without a subcommand; nil: none
	Subcommands []Subcommand
}

// Subcommand is one subcommand for the completion scripts.
type Subcommand struct {
	Name    string
	Summary string        // one line, shown by zsh and fish
	Flags   *flag.FlagSet // nil: none
	Args    []string      // the values its first argument takes; nil: not completed
}

// Shells lists the shells WriteCompletion writes scripts for.
func Shells() []string { return []string{"bash", "zsh", "fish"} }

// WriteCompletion writes to w the completion script of c for shell (one of
// Shells): it completes the subcommand names, every flag of the subcommand
// on the line (or of the program without one), the values of a flag with
// fixed choices, a file name after a flag whose value is a `file`, and the
// fixed arguments of a subcommand.
func WriteCompletion(w io.Writer, shell string, c Completion) error {
	if err := c.check(); err != nil {
		return err
	}
	switch shell {
	case "bash":
		writeBash(w, c)
	case "zsh":
		writeZsh(w, c)
	case "fish":
		writeFish(w, c)
	default:
		return fmt.Errorf("%w %q: want %s", ErrUnknownShell, shell, orList(Shells()))
	}
	return nil
}

// flagKind says what follows a flag on the command line.
type flagKind int

const (
	flagBool   flagKind = iota // nothing
	flagValue                  // a value the scripts do not complete
	flagFile                   // a file name
	flagChoice                 // one of choices
)

// flagSpec is one flag as the scripts see it.
type flagSpec struct {
	name, summary string
	kind          flagKind
	choices       []string
}

// specsOf lists the flags of fs, sorted by name.
func specsOf(fs *flag.FlagSet) []flagSpec {
	if fs == nil {
		return nil
	}
	var out []flagSpec
	fs.VisitAll(func(f *flag.Flag) {
		valueName, usage := flag.UnquoteUsage(f)
		s := flagSpec{name: f.Name, summary: summarize(usage), kind: flagValue}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			s.kind = flagBool
		} else if ch, ok := f.Value.(interface{ Choices() []string }); ok {
			s.kind, s.choices = flagChoice, ch.Choices()
		} else if valueName == "file" {
			s.kind = flagFile
		}
		out = append(out, s)
	})
	return out
}

// wordRE matches what the scripts write unquoted: subcommand and flag
// names, choices and arguments.
var wordRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// check refuses a name the scripts could not write unquoted.
func (c Completion) check() error {
	words := []string{c.Program}
	for _, fs := range c.flagSets() {
		for _, s := range specsOf(fs) {
			words = append(words, s.name)
			words = append(words, s.choices...)
		}
	}
	for _, s := range c.Subcommands {
		words = append(words, s.Name)
		words = append(words, s.Args...)
	}
	for _, w := range words {
		if !wordRE.MatchString(w) {
			return fmt.Errorf("completion: %q is not a plain word", w)
		}
	}
	return nil
}

func (c Completion) flagSets() []*flag.FlagSet {
	out := []*flag.FlagSet{c.Flags}
	for _, s := range c.Subcommands {
		out = append(out, s.Flags)
	}
	return out
}

func (c Completion) subcommandNames() []string {
	var out []string
	for _, s := range c.Subcommands {
		out = append(out, s.Name)
	}
	return out
}

// summarize makes a flag's usage a short description: its first clause,
// at most 60 runes, without the characters the scripts' quoting treats
// specially.
func summarize(usage string) string {
	for _, sep := range []string{" (", "; "} {
		if i := strings.Index(usage, sep); i > 0 {
			usage = usage[:i]
		}
	}
	usage = strings.NewReplacer(":", " -", "[", "(", "]", ")", "\\", "/", "\n", " ", "`", "'").Replace(usage)
	const most = 60
	if r := []rune(usage); len(r) > most {
		cut := string(r[:most])
		if i := strings.LastIndex(cut, " "); i > 0 {
			cut = cut[:i]
		}
		usage = cut + "…"
	}
	return usage
}

// quote single-quotes s for bash and zsh.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// fishQuote single-quotes s for fish, whose single quotes take \' and \\.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func writeBash(w io.Writer, c Completion) {
	fn := "_" + strings.ReplaceAll(c.Program, "-", "_")
	fmt.Fprintf(w, `# bash completion for %[1]s. Load it with: source <(%[1]s completion bash)
%[2]s() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local sub= flags= words=
    # --flag=value: bash splits the word at "=".
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi
`, c.Program, fn)
	if len(c.Subcommands) > 0 {
		fmt.Fprintf(w, `    if ((COMP_CWORD > 1)); then
        case ${COMP_WORDS[1]} in
        %s) sub=${COMP_WORDS[1]} ;;
        esac
    fi
`, strings.Join(c.subcommandNames(), "|"))
	}
	fmt.Fprintf(w, "    case $sub in\n")
	bashCase(w, "''", specsOf(c.Flags), 1, c.subcommandNames())
	for _, s := range c.Subcommands {
		bashCase(w, s.Name, specsOf(s.Flags), 2, s.Args)
	}
	fmt.Fprintf(w, `    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    fi
}
complete -F %s %s
`, fn, c.Program)
}

// bashCase writes the case of one subcommand: its flags, the completion
// of their values, and words, offered as the argument at position pos.
func bashCase(w io.Writer, label string, specs []flagSpec, pos int, words []string) {
	fmt.Fprintf(w, "    %s)\n", label)
	var names []string
	for _, s := range specs {
		names = append(names, "--"+s.name)
	}
	fmt.Fprintf(w, "        flags=%s\n", quote(strings.Join(names, " ")))
	var arms, valued []string
	for _, s := range specs {
		pattern := "--" + s.name + "|-" + s.name
		switch s.kind {
		case flagChoice:
			arms = append(arms, fmt.Sprintf("%s) COMPREPLY=($(compgen -W %s -- \"$cur\")); return ;;", pattern, quote(strings.Join(s.choices, " "))))
		case flagFile:
			arms = append(arms, pattern+") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); return ;;")
		case flagValue:
			valued = append(valued, pattern)
		}
	}
	if len(valued) > 0 { // a value the script cannot guess: offer nothing
		arms = append(arms, strings.Join(valued, "|")+") COMPREPLY=(); return ;;")
	}
	if len(arms) > 0 {
		fmt.Fprintf(w, "        case $prev in\n")
		for _, a := range arms {
			fmt.Fprintf(w, "        %s\n", a)
		}
		fmt.Fprintf(w, "        esac\n")
	}
	if len(words) > 0 {
		fmt.Fprintf(w, "        ((COMP_CWORD == %d)) && words=%s\n", pos, quote(strings.Join(words, " ")))
	}
	fmt.Fprintf(w, "        ;;\n")
}

func writeZsh(w io.Writer, c Completion) {
	fn := "_" + strings.ReplaceAll(c.Program, "-", "_")
	fmt.Fprintf(w, `#compdef %[1]s
# zsh completion for %[1]s. Load it with: source <(%[1]s completion zsh)
# after compinit, or save it as %[2]s in a directory of $fpath.

%[2]s() {
    local -a subcommands
    subcommands=(
`, c.Program, fn)
	for _, s := range c.Subcommands {
		fmt.Fprintf(w, "        %s\n", quote(s.Name+":"+summarize(s.Summary)))
	}
	fmt.Fprintf(w, `    )
    if ((CURRENT == 2)) && [[ $PREFIX != -* ]]; then
        _describe -t subcommands '%s subcommand' subcommands
        return
    fi
    case $words[2] in
`, c.Program)
	for _, s := range c.Subcommands {
		fmt.Fprintf(w, "    %s)\n        shift words\n        ((CURRENT--))\n", s.Name)
		zshArguments(w, specsOf(s.Flags), s.Args)
		fmt.Fprintf(w, "        ;;\n")
	}
	fmt.Fprintf(w, "    *)\n")
	zshArguments(w, specsOf(c.Flags), nil)
	fmt.Fprintf(w, `        ;;
    esac
}

if [[ $funcstack[1] == %[1]s ]]; then
    %[1]s "$@"
else
    compdef %[1]s %[2]s
fi
`, fn, c.Program)
}

// zshArguments writes an _arguments call for specs and arguments, the
// first of which takes one of args.
func zshArguments(w io.Writer, specs []flagSpec, args []string) {
	fmt.Fprintf(w, "        _arguments")
	for _, s := range specs {
		var spec string
		switch s.kind {
		case flagBool:
			spec = fmt.Sprintf("--%s[%s]", s.name, s.summary)
		case flagChoice:
			spec = fmt.Sprintf("--%s=[%s]:value:(%s)", s.name, s.summary, strings.Join(s.choices, " "))
		case flagFile:
			spec = fmt.Sprintf("--%s=[%s]:file:_files", s.name, s.summary)
		default:
			spec = fmt.Sprintf("--%s=[%s]:value: ", s.name, s.summary)
		}
		fmt.Fprintf(w, " \\\n            %s", quote(spec))
	}
	// The arguments: one of args first, or anything (N) offered nothing; a
	// spec for them keeps _arguments completing flags after them.
	if len(args) > 0 {
		fmt.Fprintf(w, " \\\n            %s", quote(fmt.Sprintf(":argument:(%s)", strings.Join(args, " "))))
	}
	fmt.Fprintf(w, " \\\n            '*:argument:_nothing'\n")
}

func writeFish(w io.Writer, c Completion) {
	p := c.Program
	subs := strings.Join(c.subcommandNames(), " ")
	fmt.Fprintf(w, "# fish completion for %[1]s. Load it with: %[1]s completion fish | source\ncomplete -c %[1]s -f\n", p)
	for _, s := range c.Subcommands {
		fmt.Fprintf(w, "complete -c %s -n __fish_use_subcommand -a %s -d %s\n", p, s.Name, fishQuote(summarize(s.Summary)))
	}
	noSub := fishQuote("not __fish_seen_subcommand_from " + subs)
	if subs == "" {
		noSub = "true"
	}
	fishFlags(w, p, noSub, specsOf(c.Flags))
	for _, s := range c.Subcommands {
		cond := fishQuote("__fish_seen_subcommand_from " + s.Name)
		fishFlags(w, p, cond, specsOf(s.Flags))
		if len(s.Args) > 0 {
			fmt.Fprintf(w, "complete -c %s -n %s -a %s\n", p, cond, fishQuote(strings.Join(s.Args, " ")))
		}
	}
}

func fishFlags(w io.Writer, program, cond string, specs []flagSpec) {
	for _, s := range specs {
		var how string
		switch s.kind {
		case flagBool:
		case flagChoice:
			how = " -x -a " + fishQuote(strings.Join(s.choices, " "))
		case flagFile:
			how = " -r -F"
		default:
			how = " -x"
		}
		fmt.Fprintf(w, "complete -c %s -n %s -l %s%s -d %s\n", program, cond, s.name, how, fishQuote(s.summary))
	}
}
