package bench

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chordtui/chordtui/dht/dfs/fusefs"
)

// TestBenchFiles runs the file system phase small (5 nodes, a 4 MiB file,
// one run) and checks what it reports: every figure measured, the copies
// compared, nothing lost when two adjacent nodes die during the copy. Not
// speed: the goals are for N = 16 and are shown, not judged, here.
func TestBenchFiles(t *testing.T) {
	if err := fusefs.Check(filepath.Join(t.TempDir(), "probe")); errors.Is(err, fusefs.ErrNoFUSE) || errors.Is(err, fusefs.ErrNoFusermount) {
		t.Skipf("skipped: no FUSE mount is possible on this machine: %v", err)
	}
	rep, _ := runBenchJSON(t, "6", "--files", "--file-mb", "4", "--repeats", "1", "--random-reads", "50")
	fr := rep.Files
	if fr == nil || fr.Skipped != "" {
		t.Fatalf("files phase: %+v", fr)
	}
	for name, v := range map[string]float64{
		"stream": fr.StreamMBps, "mount write": fr.Mount.SeqWriteMBps, "mount read": fr.Mount.SeqReadMBps,
		"mount random reads": fr.Mount.RandReadPerSec, "mount cp -r": fr.Mount.CopyTreeS,
		"tmpfs write": fr.Tmpfs.SeqWriteMBps, "tmpfs cp -r": fr.Tmpfs.CopyTreeS,
	} {
		if v <= 0 {
			t.Errorf("%s: %v", name, v)
		}
	}
	if fr.TreeFiles != 400 || len(fr.Mount.SeqWriteSamples) != 1 {
		t.Errorf("tree of %d files, %d samples", fr.TreeFiles, len(fr.Mount.SeqWriteSamples))
	}
	k := fr.KillCopy
	if k == nil || len(k.Killed) != 2 || k.Error != "" || k.LostBytes != 0 || k.LostAfterRepair != 0 {
		t.Fatalf("kill during the copy: %+v", k)
	}
	for _, g := range rep.Goals {
		if strings.HasPrefix(g.Figure, "seq ") && g.Met != nil {
			t.Errorf("goal %q judged at N = 6", g.Figure)
		}
	}
	var table bytes.Buffer
	writeTables(&table, &rep)
	for _, want := range []string{"one netmux stream between two nodes", "seq write MB/s", "cp -r with "} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
}
