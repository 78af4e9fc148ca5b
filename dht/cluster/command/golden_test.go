package command

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestHelpGolden pins the full help text the REPL and the TUI's prompt
// show (go test ./dht/cluster/command -run TestHelpGolden -update rewrites it).
func TestHelpGolden(t *testing.T) {
	got, err := Help("")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"wait", "check", "config", "maintenance", "step", "source", "node"} {
		h, err := Help(name)
		if err != nil {
			t.Fatal(err)
		}
		got += "\n\n" + h
	}
	got += "\n"
	path := filepath.Join("testdata", "help.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("help text differs from %s (run with -update if the change is intended):\n%s", path, got)
	}
}
