package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/tui/screentest"
)

var update = flag.Bool("update", false, "rewrite docs/tui.svg from the real binary (TestREADMEPicture)")

// picturePath is the picture of the UI the README and docs/tui.md show.
var picturePath = filepath.Join("..", "..", "docs", "tui.svg")

// TestREADMEPicture takes the README's picture from the real binary:
// `chordtui --seed 1 16` in tmux at 120×40, in true colour, after
// `:kill n11`, then, once the ring is stable again, `:set greeting hello`
// and `:lookup greeting via n5`, captured with its colours (tmux capture-pane -e) and drawn
// cell by cell as an SVG (screentest.SVG). Rerun with
//
//	go test ./cmd/chordtui -run TestREADMEPicture -update
//
// to redraw docs/tui.svg. Without -update it checks that the picture is
// still of this run: ports, timings and event times vary from run to run,
// but the seeded ring's node names and IDs, the killed node and the
// lookup's pane and legend must be the ones on the screen now.
func TestREADMEPicture(t *testing.T) {
	s := startTmux(t, "--seed", "1", "16")
	s.waitFor(60*time.Second, "16/16 alive", "✓ stable")
	s.keys(":kill n11", "Enter")
	s.waitFor(60*time.Second, "15/16 alive · 1 down", "✓ stable — converged in", "after kill n11")
	s.keys(":set greeting hello", "Enter")
	s.waitFor(10*time.Second, "✓ set greeting hello")
	s.keys(":lookup greeting via n5", "Enter")
	plain := s.waitFor(20*time.Second, "✓ lookup greeting via n5", "owner n", "calls of n5 (hop 0)")
	svg := screentest.SVG(s.captureColour(), 120, 40)

	// What the picture must show: every member of the seeded ring by name
	// and ID, n11 down, the finished lookup.
	rows, _ := members(plain)
	if len(rows) != 16 {
		t.Fatalf("the members table shows %d rows, want 16:\n%s", len(rows), plain)
	}
	var want []string
	for _, line := range strings.Split(plain, "\n") {
		i := strings.Index(line, "││")
		if i < 0 {
			continue
		}
		if f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line[i+len("││"):]), "▶")); len(f) >= 3 && memberRowRE.MatchString(line[i+len("││"):]) {
			want = append(want, f[1]+"  "+f[2]) // name (and * for the origin), ID, as the table spaces them
		}
	}
	want = append(want, "○ n11", "Lookup: lookup greeting via n5", "calls of n5 (hop 0)", "◆", "✓ lookup greeting via n5")
	if *update {
		if err := os.WriteFile(picturePath, []byte(svg), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s from the screen:\n%s", picturePath, plain)
		return
	}
	old, err := os.ReadFile(picturePath)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/chordtui -run TestREADMEPicture -update draws it)", err)
	}
	text := svgText(string(old))
	for _, w := range want {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), strings.Join(strings.Fields(w), " ")) {
			t.Errorf("%s does not show %q, which the seeded run shows now: go test ./cmd/chordtui -run TestREADMEPicture -update redraws it", picturePath, w)
		}
	}
}

// svgText is the picture's text: its text elements in order (row by row),
// escapes undone.
func svgText(svg string) string {
	var b strings.Builder
	for _, part := range strings.Split(svg, "<text ")[1:] {
		start := strings.Index(part, ">")
		end := strings.Index(part, "</text>")
		if start < 0 || end < start {
			continue
		}
		b.WriteString(strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(part[start+1 : end]))
	}
	return b.String()
}
