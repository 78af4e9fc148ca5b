package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestHistoryPath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	tests := []struct {
		xdg, want string
	}{
		{"/state", "/state/chordtui/history"},
		{"", filepath.Join(home, ".local/state/chordtui/history")},
		{"relative/dir", filepath.Join(home, ".local/state/chordtui/history")}, // the XDG spec ignores relative paths
	}
	for _, tt := range tests {
		t.Setenv("XDG_STATE_HOME", tt.xdg)
		got, err := historyPath()
		if err != nil || got != tt.want {
			t.Errorf("XDG_STATE_HOME=%q: history at %q (%v), want %q", tt.xdg, got, err, tt.want)
		}
	}
}

// TestHistoryAcrossRuns: a line added in one run is read back by the next,
// the file is private and created with its directory.
func TestHistoryAcrossRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "chordtui", "history")
	var warnings []error
	warn := func(err error) { warnings = append(warnings, err) }

	lines, h := openHistory(path, 10, warn)
	if len(lines) != 0 {
		t.Fatalf("a new history has %q", lines)
	}
	h.Add("set k v")
	h.Add("   ") // blank: not kept
	h.Add("kill n3")
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v, want 0600 (commands may hold values)", st.Mode().Perm())
	}
	lines, h = openHistory(path, 10, warn)
	defer h.Close()
	if want := []string{"set k v", "kill n3"}; !slices.Equal(lines, want) {
		t.Errorf("next run reads %q, want %q", lines, want)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings: %v", warnings)
	}
}

// TestHistoryBounded: a file longer than the limit is read and cut to its
// last lines.
func TestHistoryBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history")
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, "get k%d\n\n", i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	lines, h := openHistory(path, 10, func(err error) { t.Errorf("warning: %v", err) })
	h.Add("nodes")
	h.Close()
	if len(lines) != 10 || lines[0] != "get k15" || lines[9] != "get k24" {
		t.Fatalf("read %q, want get k15 … get k24", lines)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSpace(string(data)), "\n"); len(got) != 11 || got[0] != "get k15" || got[10] != "nodes" {
		t.Fatalf("file after the run:\n%s\nwant get k15 … get k24, nodes", data)
	}
}

// TestHistoryUnwritable: a history that cannot be kept is a warning, and
// the lines that could be read are still recalled.
func TestHistoryUnwritable(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	asDir := filepath.Join(dir, "adir")
	if err := os.MkdirAll(asDir, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, warning string
	}{
		{"directory is a file", filepath.Join(blocker, "chordtui", "history"), "history not kept: mkdir"},
		{"history is a directory", asDir, "history of earlier runs not read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warnings []string
			lines, h := openHistory(tt.path, 10, func(err error) { warnings = append(warnings, err.Error()) })
			h.Add("nodes") // must not panic or fail
			h.Close()
			if len(lines) != 0 || len(warnings) == 0 || !strings.Contains(warnings[0], tt.warning) {
				t.Errorf("lines %q, warnings %q; want none and a warning containing %q", lines, warnings, tt.warning)
			}
		})
	}
}
