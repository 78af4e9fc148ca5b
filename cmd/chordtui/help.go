package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// helpTopics are the topics of "chordtui help TOPIC": every subcommand,
// and the command language of the REPL and the UI's prompt.
func helpTopics(subs []subcommand) []string {
	var out []string
	for _, s := range subs {
		out = append(out, s.name)
	}
	return append(out, "commands")
}

// runHelp implements "chordtui help [TOPIC]": without a topic the UI's
// usage (what "chordtui -h" prints), with a subcommand's name what
// "chordtui SUBCOMMAND -h" prints, with "commands [CMD]" the help of the
// command language. It writes to stdout and returns 0, or 2 for an unknown
// topic.
func runHelp(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	streams := &cli.Streams{Err: stderr, Help: stdout}
	if len(args) == 0 {
		return runUI(ctx, []string{"-h"}, stdin, stdout, streams)
	}
	topic := args[0]
	switch {
	case isHelp(topic):
		fmt.Fprintf(stdout, "usage: chordtui help [TOPIC]\n\n"+
			"Prints the usage and flags of chordtui (without TOPIC) or of subcommand TOPIC, or the\n"+
			"commands of the REPL and of the UI's \":\" prompt (TOPIC commands, or commands CMD for one).\n"+
			"Topics: %s.\n", strings.Join(helpTopics(subcommands()), ", "))
		return 0
	case topic == "commands" && len(args) <= 2:
		name := ""
		if len(args) == 2 {
			name = args[1]
		}
		text, err := command.Help(name)
		if errors.Is(err, command.ErrUnknownCommand) {
			// The language's own message points to the prompt's help.
			var names []string
			for _, c := range command.Commands() {
				names = append(names, c.Name)
			}
			if s := command.Suggest(strings.ToLower(name), names); s != "" {
				fmt.Fprintf(stderr, "chordtui help commands: unknown command %q — did you mean %q? (chordtui help commands lists them)\n", name, s)
			} else {
				fmt.Fprintf(stderr, "chordtui help commands: unknown command %q (chordtui help commands lists them)\n", name)
			}
			return cli.StatusUsage
		}
		if err != nil {
			fmt.Fprintf(stderr, "chordtui help commands: %v\n", err)
			return cli.StatusUsage
		}
		fmt.Fprintln(stdout, text)
		return 0
	case len(args) > 1:
		fmt.Fprintf(stderr, "chordtui help: want at most one TOPIC, got %d: %s\n", len(args), strings.Join(args, " "))
		return cli.StatusUsage
	}
	subs := subcommands()
	if i := slices.IndexFunc(subs, func(s subcommand) bool { return s.name == topic }); i >= 0 {
		return subs[i].run(ctx, []string{"-h"}, stdin, stdout, streams)
	}
	topics := helpTopics(subs)
	hint := fmt.Sprintf("(topics: %s)", strings.Join(topics, ", "))
	if s := command.Suggest(strings.ToLower(topic), topics); s != "" {
		fmt.Fprintf(stderr, "chordtui help: unknown topic %q — did you mean %q? %s\n", topic, s, hint)
	} else {
		fmt.Fprintf(stderr, "chordtui help: unknown topic %q %s\n", topic, hint)
	}
	return cli.StatusUsage
}
