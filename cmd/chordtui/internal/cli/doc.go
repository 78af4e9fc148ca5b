// Package cli is the command-line setup every chordtui subcommand shares:
// a flag set per subcommand carrying the cluster's flags (ring size,
// maintenance periods, --seed, --log), flags before or after the node count
// N, and one exit-status rule (0 after -h, 2 for a bad command line, with a
// line on stderr saying what is wrong).
//
// A subcommand calls New, adds its own flags to Command.Flags, then Parse
// for N and ClusterConfig for the cluster.Config; any error from those or
// from its own checks goes to Command.ExitStatus. A flag every subcommand
// takes belongs in clusterFlags (flags.go); the parsing and error reporting
// are in command.go.
package cli
