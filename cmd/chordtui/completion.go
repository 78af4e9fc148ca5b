package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// runCompletion implements "chordtui completion SHELL": it prints a script
// that completes chordtui's subcommands and flags in SHELL.
func runCompletion(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	all := cli.Shells()
	shells := strings.Join(all[:len(all)-1], ", ") + " or " + all[len(all)-1]
	switch {
	case len(args) == 1 && isHelp(args[0]):
		fmt.Fprint(stdout, "usage: chordtui completion SHELL\n\n"+
			"Prints a script that completes chordtui's subcommands, flags and flag values in SHELL:\n"+
			"  bash  source <(chordtui completion bash)    (in ~/.bashrc)\n"+
			"  zsh   source <(chordtui completion zsh)     (in ~/.zshrc, after compinit)\n"+
			"  fish  chordtui completion fish | source     (in ~/.config/fish/config.fish)\n")
		return 0
	case len(args) == 0:
		fmt.Fprintf(stderr, "chordtui completion: missing SHELL (want %s)\n", shells)
		return cli.StatusUsage
	case len(args) > 1:
		fmt.Fprintf(stderr, "chordtui completion: want one SHELL (%s), got %d: %s\n", shells, len(args), strings.Join(args, " "))
		return cli.StatusUsage
	}
	err := cli.WriteCompletion(stdout, args[0], completionSpec())
	if errors.Is(err, cli.ErrUnknownShell) {
		if s := command.Suggest(strings.ToLower(args[0]), cli.Shells()); s != "" {
			fmt.Fprintf(stderr, "chordtui completion: unknown shell %q — did you mean %q? (want %s)\n", args[0], s, shells)
		} else {
			fmt.Fprintf(stderr, "chordtui completion: unknown shell %q (want %s)\n", args[0], shells)
		}
		return cli.StatusUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "chordtui completion: %v\n", err)
		return 1
	}
	return 0
}

// completionSpec is chordtui's command line for the completion scripts,
// with the flag sets the subcommands really build.
func completionSpec() cli.Completion {
	spec := cli.Completion{Program: "chordtui"}
	if ui := cli.Describe(describable(runUI)); ui != nil {
		spec.Flags = ui.Flags
	}
	for _, s := range subcommands() {
		sc := cli.Subcommand{Name: s.name, Summary: s.summary, Args: s.args}
		if cmd := cli.Describe(describable(s.run)); cmd != nil {
			sc.Flags = cmd.Flags
		}
		spec.Subcommands = append(spec.Subcommands, sc)
	}
	return spec
}

// describable adapts a subcommand to cli.Describe, which runs it with -h.
func describable(run runFunc) func([]string, io.Writer) int {
	return func(args []string, stderr io.Writer) int {
		return run(context.Background(), args, strings.NewReader(""), io.Discard, stderr)
	}
}
