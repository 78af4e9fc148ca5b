// Package cli is the command-line setup every chordtui subcommand shares:
// a flag set per subcommand carrying the cluster's flags (ring size,
// maintenance periods, --seed, --log), flags before or after the node count
// N, a usage that lists every flag with its default, and one exit-status
// rule (0 after -h, 2 for a bad command line, with exactly one line on
// stderr saying what is wrong, a "did you mean" for a mistyped flag).
//
// A subcommand calls New, adds its own flags to Command.Flags, then Parse
// for N and ClusterConfig for the cluster.Config; any error from those or
// from its own checks goes to Command.ExitStatus. A flag every subcommand
// takes belongs in clusterFlags (flags.go); the parsing and error reporting
// are in command.go, the usage in usage.go.
//
// The dispatcher (package main) passes a subcommand Streams as its stderr,
// so that -h prints on stdout; Describe uses the same Streams to get the
// flags a subcommand really builds, from which WriteCompletion
// (complete.go) writes the bash, zsh and fish completion scripts.
package cli
