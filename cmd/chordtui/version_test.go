package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// --version and version print the same on stdout and exit with 0.
func TestVersionCommand(t *testing.T) {
	code, long, stderr := runCLI(t, "", "--version")
	if code != 0 || stderr != "" || !strings.HasPrefix(long, "chordtui ") {
		t.Fatalf("--version: status %d, stderr %q, stdout %q", code, stderr, long)
	}
	if _, short, _ := runCLI(t, "", "version"); short != long {
		t.Errorf("version prints %q, --version %q", short, long)
	}
}

// The version names the module version, the Go version and, when the go
// command recorded it, the VCS revision, its time and whether the tree was
// modified; without it, it says so.
func TestVersionText(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "818947e0c0ffee"},
			{Key: "vcs.time", Value: "2026-03-01T10:00:00Z"},
			{Key: "vcs.modified", Value: modified},
		}
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "chordtui (unknown version: this binary records no build information)\n"},
		{"go run, -buildvcs=false", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}, true,
			"chordtui (devel), built with go1.26.0 for " + platform + "\nno VCS revision recorded in this binary\n"},
		{"no main version", &debug.BuildInfo{GoVersion: "go1.26.0"}, true,
			"chordtui (devel), built with go1.26.0 for " + platform + "\nno VCS revision recorded in this binary\n"},
		{"clean checkout", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.3.0"}, Settings: vcs("false")}, true,
			"chordtui v0.3.0, built with go1.26.0 for " + platform + "\ngit revision 818947e0c0ffee, committed 2026-03-01T10:00:00Z, no uncommitted changes\n"},
		{"modified tree", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")}, true,
			"chordtui (devel), built with go1.26.0 for " + platform + "\ngit revision 818947e0c0ffee, committed 2026-03-01T10:00:00Z, with uncommitted changes\n"},
	}
	for _, tt := range tests {
		if got := versionText(tt.info, tt.ok); got != tt.want {
			t.Errorf("%s:\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}
