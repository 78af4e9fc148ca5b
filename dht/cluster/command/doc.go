// Package command is chordtui's command language: the one-line commands
// that `chordtui repl` reads from stdin and the TUI's ":" prompt accepts
// ("kill n5", "get k via n3", "wait 5s").
//
// Exec(ctx, c, line) parses a line, runs it on a *cluster.Cluster through
// the cluster's typed methods and returns a Result: the command's name, OK,
// the error, the text a person reads, and Data, the typed result (one of
// the cluster's types such as cluster.GetResult, or one of this package's
// such as NodeDone). Result.MarshalJSON flattens it into the one JSON
// object per command that `chordtui repl --json` prints, so the text and
// the JSON come from the same value. A program that calls the cluster
// directly reports the outcome in the same words with Done.
//
// The pieces:
//   - lang.go: Tokenize (shell-like words and quotes), Parse (the command
//     table: names, arities, "via NODE"), Complete, Help, Commands, and
//     the "did you mean" suggestions;
//   - exec.go: Exec and one runner per command;
//   - files.go: put, cat, ls, mkdir, rm, stat and where, over the
//     cluster's file system, and their text;
//   - lesson.go: scripts and lessons (ParseLesson, ReadLesson: commands
//     and # narration, each with its line) and the source command;
//   - result.go: Result, its JSON form, Done and the data types;
//   - text.go: the text of every result.
//
// Errors wrap ErrSyntax, ErrUnknownCommand, ErrUsage or ErrViolations, or
// the cluster's sentinels (cluster.ErrUnknownNode, …); test with errors.Is.
// The full help text is pinned by testdata/help.golden.
//
// Where to look next: package github.com/chordtui/chordtui/dht/cluster for
// what the commands do; cmd/chordtui/repl.go for the REPL loop.
package command
