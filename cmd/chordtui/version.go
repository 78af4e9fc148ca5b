package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
)

// runVersion implements "chordtui version" and "chordtui --version": the
// module version and the VCS revision the binary was built from, as the
// go command recorded them.
func runVersion(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if isHelp(args[0]) {
			fmt.Fprint(stdout, "usage: chordtui version (or chordtui --version)\n\n"+
				"Prints chordtui's module version, the Go version it was built with, and the VCS\n"+
				"revision, its time and whether the tree had uncommitted changes (when recorded).\n")
			return 0
		}
		fmt.Fprintf(stderr, "chordtui version: takes no arguments, got %s\n", strings.Join(args, " "))
		return cli.StatusUsage
	}
	info, ok := debug.ReadBuildInfo()
	fmt.Fprint(stdout, versionText(info, ok))
	return 0
}

// versionText describes the build recorded in info (ok false: none).
func versionText(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "chordtui (unknown version: this binary records no build information)\n"
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "chordtui %s, built with %s for %s/%s\n", version, info.GoVersion, runtime.GOOS, runtime.GOARCH)
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		b.WriteString("no VCS revision recorded in this binary\n")
		return b.String()
	}
	vcs := settings["vcs"]
	if vcs == "" {
		vcs = "VCS"
	}
	fmt.Fprintf(&b, "%s revision %s", vcs, rev)
	if t := settings["vcs.time"]; t != "" {
		fmt.Fprintf(&b, ", committed %s", t)
	}
	switch settings["vcs.modified"] {
	case "true":
		b.WriteString(", with uncommitted changes")
	case "false":
		b.WriteString(", no uncommitted changes")
	}
	b.WriteString("\n")
	return b.String()
}
