package cli_test

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
)

// A subcommand adds its own flags to the shared ones, then asks for N and
// the cluster's configuration; every command-line error goes to
// ExitStatus, which says what is wrong on stderr.
func Example() {
	var stderr strings.Builder
	cmd := cli.New("chordtui demo", "chordtui demo [flags] N", "Starts N nodes and does nothing.", &stderr)
	verbose := cmd.Flags.Bool("verbose", false, "say more")
	n, err := cmd.Parse([]string{"16", "--verbose", "--stabilize", "40ms"})
	if err != nil {
		os.Exit(cmd.ExitStatus(err))
	}
	cfg, logFile, err := cmd.ClusterConfig(n)
	if err != nil {
		os.Exit(cmd.ExitStatus(err))
	}
	defer logFile.Close()
	fmt.Println(cfg.Nodes, cfg.Chord.StabilizeInterval, *verbose)

	_, err = cmd.Parse([]string{"sixteen"})
	fmt.Println("exit status", cmd.ExitStatus(err))
	line, _, _ := strings.Cut(stderr.String(), "\n")
	fmt.Println(line)
	// Output:
	// 16 40ms true
	// exit status 2
	// chordtui demo: N must be a whole number from 1 to 4096, got "sixteen"
}

// A dispatcher finds the flags a subcommand really takes with Describe,
// and writes a completion script from them.
func ExampleWriteCompletion() {
	greet := func(args []string, stderr io.Writer) int {
		cmd := cli.New("demo greet", "demo greet [flags] N", "Greets N nodes.", stderr)
		cmd.Flags.Bool("loud", false, "greet loudly")
		if _, err := cmd.Parse(args); err != nil {
			return cmd.ExitStatus(err)
		}
		return 0
	}
	spec := cli.Completion{Program: "demo", Subcommands: []cli.Subcommand{
		{Name: "greet", Summary: "greet N nodes", Flags: cli.Describe(greet).Flags},
	}}
	var script strings.Builder
	if err := cli.WriteCompletion(&script, "fish", spec); err != nil {
		fmt.Println(err)
	}
	for line := range strings.Lines(script.String()) {
		if strings.Contains(line, "-l loud") || strings.Contains(line, "-l log-level") || strings.Contains(line, "-a greet") {
			fmt.Print(line)
		}
	}
	// Output:
	// complete -c demo -n __fish_use_subcommand -a greet -d 'greet N nodes'
	// complete -c demo -n '__fish_seen_subcommand_from greet' -l log-level -x -a 'debug info warn error' -d 'log level - debug, info, warn or error'
	// complete -c demo -n '__fish_seen_subcommand_from greet' -l loud -d 'greet loudly'
}
