package cli_test

import (
	"fmt"
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
