package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// usageWidth is the width the flag descriptions are wrapped to.
const usageWidth = 80

// WriteUsage writes the usage to w: the synopsis, what the subcommand does,
// the range of N, then the subcommand's own flags and the cluster's, each
// with its default.
func (c *Command) WriteUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n", c.synopsis)
	if c.about != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimRight(c.about, "\n"))
	}
	switch {
	case c.node != nil:
	case strings.Contains(c.synopsis, "N[,N…]"):
		fmt.Fprintf(w, "N is the number of nodes, from 1 to %d, or several separated by commas\n(16,128,256); flags may come before or after it.\n", maxNodes)
	default:
		fmt.Fprintf(w, "N is the number of nodes, from 1 to %d; flags may come before or after it.\n", maxNodes)
	}
	var own, shared []*flag.Flag
	c.Flags.VisitAll(func(f *flag.Flag) {
		if c.shared[f.Name] {
			shared = append(shared, f)
		} else {
			own = append(own, f)
		}
	})
	if len(own) > 0 {
		fmt.Fprintf(w, "\nflags of %s:\n", c.Name)
		writeFlags(w, own)
	}
	fmt.Fprintf(w, "\ncluster flags (every subcommand that starts nodes takes them):\n")
	writeFlags(w, shared)
}

// writeFlags writes one entry per flag: "--name value (default …)" on a
// line, then its description, wrapped and indented.
func writeFlags(w io.Writer, flags []*flag.Flag) {
	for _, f := range flags {
		name, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if name != "" {
			head += " " + name
		}
		if def := defaultOf(f); def != "" {
			head += " (default " + def + ")"
		}
		fmt.Fprintln(w, head)
		for _, line := range wrap(usage, usageWidth-6) {
			fmt.Fprintln(w, "      "+line)
		}
	}
}

// defaultOf is f's default as the usage shows it, or "" when there is
// nothing to show: a false boolean or an empty string.
func defaultOf(f *flag.Flag) string {
	if f.DefValue == "" {
		return ""
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() && f.DefValue == "false" {
		return ""
	}
	return f.DefValue
}

// wrap splits text into lines of at most width runes, breaking at spaces
// (a longer word gets a line of its own).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
