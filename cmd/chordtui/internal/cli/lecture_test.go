package cli

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
)

// lectureCommand is a command with the lecture and UI flags, as the UI
// builds it.
func lectureCommand(stderr io.Writer) *Command {
	cmd := New("chordtui", "chordtui [flags] N", "", stderr)
	cmd.AddLectureFlags()
	cmd.AddUIFlags()
	return cmd
}

func ids(cfg cluster.Config) []uint64 {
	var out []uint64
	for _, id := range cfg.IDs {
		out = append(out, id.Uint64())
	}
	return out
}

// --lecture is the preset; a flag given explicitly overrides its part,
// and --ids and --names place and name the nodes.
func TestLectureFlags(t *testing.T) {
	paper := []uint64{1, 8, 14, 21, 32, 38, 42, 48, 51, 56}
	tests := []struct {
		args      []string
		n         int
		bits      int
		names     cluster.NameStyle
		ids       []uint64
		stabilize time.Duration
		seed      int64
		hop       time.Duration
	}{
		{[]string{"--lecture", "10"}, 10, 6, cluster.NamesID, paper, time.Second, 1, time.Second},
		{[]string{"--lecture", "8"}, 8, 6, cluster.NamesID, nil, time.Second, 1, time.Second},
		{[]string{"--lecture", "--stabilize", "200ms", "--seed", "7", "--hop-delay", "250ms", "10"}, 10, 6, cluster.NamesID, paper, 200 * time.Millisecond, 7, 250 * time.Millisecond},
		{[]string{"--lecture", "--bits", "8", "10"}, 10, 8, cluster.NamesID, nil, time.Second, 1, time.Second},
		{[]string{"--lecture", "--bits", "12", "10"}, 10, 12, cluster.NamesStart, nil, time.Second, 1, time.Second},
		{[]string{"--lecture", "--names", "start", "10"}, 10, 6, cluster.NamesStart, paper, time.Second, 1, time.Second},
		{[]string{"--lecture", "--ids", "3,60,20"}, 3, 6, cluster.NamesID, []uint64{3, 60, 20}, time.Second, 1, time.Second},
		{[]string{"--ids", "3,60,20", "3"}, 3, 160, "", []uint64{3, 60, 20}, 25 * time.Millisecond, 0, 400 * time.Millisecond},
		{[]string{"--bits", "8", "--names", "id", "5"}, 5, 8, cluster.NamesID, nil, 25 * time.Millisecond, 0, 400 * time.Millisecond},
	}
	for _, tt := range tests {
		cmd := lectureCommand(io.Discard)
		n, err := cmd.Parse(tt.args)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		cfg, logFile, err := cmd.ClusterConfig(n)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		logFile.Close()
		ui, err := cmd.UIOptions()
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if n != tt.n || cfg.Chord.Bits != tt.bits || cfg.Names != tt.names || !slices.Equal(ids(cfg), tt.ids) ||
			cfg.Chord.StabilizeInterval != tt.stabilize || cfg.Seed != tt.seed || ui.HopDelay != tt.hop {
			t.Errorf("%v: n %d, bits %d, names %q, ids %v, stabilize %v, seed %d, hop %v", tt.args, n, cfg.Chord.Bits, cfg.Names,
				ids(cfg), cfg.Chord.StabilizeInterval, cfg.Seed, ui.HopDelay)
		}
		if cmd.Lecture() && (!cfg.SettleFingers || cfg.Chord.FixFingersInterval != 2*time.Second || cfg.DHT.RepairInterval != 2*time.Second) {
			t.Errorf("%v: lecture preset incomplete: %+v", tt.args, cfg)
		}
	}
}

// Bad lecture command lines exit with status 2 and one line that says
// what to do.
func TestLectureFlagErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("# a lesson\nlookup apple\nkil N8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"--ids", "1,8,x"}, `chordtui: --ids "1,8,x": want identifiers in decimal separated by commas, such as 1,8,14 ("x" is not one) (chordtui -h lists the flags)`},
		{[]string{"--ids", "1,8,1"}, `chordtui: --ids "1,8,1": identifier 1 is given twice: every node needs its own (chordtui -h lists the flags)`},
		{[]string{"--ids", "1,8", "3"}, "chordtui: --ids gives 2 identifiers for 3 nodes: give one per node, or leave N out"},
		{[]string{"--lecture", "--ids", "1,80"}, "chordtui: --ids: identifier 80 does not fit in m = 6 bits (0 to 63); give --bits 7 or more"},
		{[]string{"--lecture", "65"}, "chordtui: 65 nodes do not fit on a ring of 2^6 identifiers (--lecture uses m = 6: give --bits 8 or more for more nodes)"},
		{[]string{"--names", "id", "3"}, "chordtui: --names id: names by identifier (N8) need m ≤ 10 bits, got --bits 160"},
		{[]string{"--names", "ids", "3"}, `chordtui: --names "ids": want start or id (chordtui -h lists the flags)`},
		{[]string{"--hop-delay", "0s", "3"}, "chordtui: --hop-delay 0s: want a positive duration such as 400ms or 1s"},
		{[]string{"--script", bad, "--lecture", "10"}, "chordtui: --script: " + bad + ":3: unknown command \"kil\" — did you mean \"kill\"? (help lists commands)"},
		{[]string{"--script", filepath.Join(dir, "none.txt"), "10"}, "chordtui: --script: cannot read the script \"" + filepath.Join(dir, "none.txt") + "\": no such file or directory"},
	}
	for _, tt := range tests {
		var stderr strings.Builder
		cmd := lectureCommand(&stderr)
		n, err := cmd.Parse(tt.args)
		if err == nil {
			var logFile io.Closer
			_, logFile, err = cmd.ClusterConfig(n)
			if err == nil {
				logFile.Close()
				_, err = cmd.UIOptions()
			}
		}
		if cmd.ExitStatus(err) != StatusUsage || strings.TrimSuffix(stderr.String(), "\n") != tt.stderr {
			t.Errorf("%v:\n got %q\nwant %q", tt.args, stderr.String(), tt.stderr)
		}
	}
}

// A script that parses comes back as a lesson of narration and commands.
func TestUIScript(t *testing.T) {
	file := filepath.Join(t.TempDir(), "l.txt")
	if err := os.WriteFile(file, []byte("# First,\n# a lookup.\nlookup apple via N8\n\nstep stabilize N8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := lectureCommand(io.Discard)
	if _, err := cmd.Parse([]string{"--lecture", "--script", file, "10"}); err != nil {
		t.Fatal(err)
	}
	ui, err := cmd.UIOptions()
	if err != nil || ui.Script == nil || ui.Script.Commands() != 2 || ui.Script.Steps[0].Narration != "First,\na lookup." {
		t.Fatalf("UIOptions = %+v, %v", ui, err)
	}
}
