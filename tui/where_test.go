package tui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
	"github.com/chordtui/chordtui/dht/dfs"
)

// fileWhere builds where's answer for path: the inode on inode, block k
// on blocks[k], each node's share in the snapshot's ring order.
func fileWhere(snap cluster.Snapshot, path string, inode []string, blocks ...[]string) cluster.FileWhere {
	d := cluster.FileWhere{FileInfo: cluster.FileInfo{Path: path, Kind: "file", Size: int64(100 * len(blocks))},
		Inode: cluster.KeyPlace{Key: "inode:" + path, Owner: inode[0], Holders: inode}}
	share := map[string]*cluster.FileShare{}
	get := func(name string) *cluster.FileShare {
		if share[name] == nil {
			share[name] = &cluster.FileShare{Node: name}
		}
		return share[name]
	}
	for _, h := range inode {
		get(h).Inode = true
	}
	for k, hs := range blocks {
		d.Blocks = append(d.Blocks, cluster.KeyPlace{Key: "block:" + path + ":" + string(rune('a'+k)), N: k, Bytes: 100, Owner: hs[0], Holders: hs})
		for _, h := range hs {
			get(h).Blocks++
			get(h).Bytes += 100
		}
	}
	order := slices.Clone(snap.Nodes)
	slices.SortFunc(order, func(a, b cluster.NodeSnapshot) int { return a.ID.Cmp(b.ID) })
	for _, n := range order {
		if s := share[n.Name]; s != nil {
			s.ID = cluster.RingID{ID: n.ID, Bits: snap.Bits}
			d.Nodes = append(d.Nodes, *s)
		}
	}
	return d
}

// caption is the ring's caption for the file where marks, unstyled.
func caption(m *Model) string { return ansi.Strip(strings.Join(m.whereCaption(1000), " ")) }

// ringMarker is the symbol the ring draws for node on a w×h canvas.
func ringMarker(t *testing.T, m *Model, name string, w, h int) rune {
	t.Helper()
	sc := m.ringScene()
	c := drawRing(sc, w, h)
	for _, s := range ringSites(sc, newRingGeom(w, h, labelRoom(sc.snap)), w, h) {
		for _, i := range s.nodes {
			if sc.snap.Nodes[i].Name == name {
				if len(s.nodes) > 1 {
					t.Fatalf("%s shares its cell: pick another node", name)
				}
				return c.text[s.y*w+s.x]
			}
		}
	}
	t.Fatalf("%s is not on the ring", name)
	return 0
}

// withState is snap with the named nodes in state st and the ring's
// verdict stable or not.
func withState(snap cluster.Snapshot, st cluster.State, stable bool, names ...string) cluster.Snapshot {
	snap.Nodes = slices.Clone(snap.Nodes)
	for i := range snap.Nodes {
		if slices.Contains(names, snap.Nodes[i].Name) {
			snap.Nodes[i].State = st
		}
	}
	snap.Health.Stable = stable
	return snap
}

// TestWhereMarksHolders runs :where, then kills a holder: the ring marks
// the inode's holders ◈ and the blocks' ■, the killed holder ⊗ from the
// next snapshot on, and once the ring is stable again where runs again
// and the marks follow the copies repair made.
func TestWhereMarksHolders(t *testing.T) {
	snap := fakeRing(ringSpec{n: 16, bits: 16, down: -1, paused: -1, keys: 30})
	m, f := newTestModel(t, snap, 120, 40)
	d := fileWhere(snap, "/f", []string{"n1", "n2", "n3"}, []string{"n3", "n4"}, []string{"n4", "n6"}, []string{"n7"})
	f.results["where /f"] = command.Done("where", d, nil)

	press(t, m, ":")
	typeText(m, "where /f")
	press(t, m, "enter")
	// The ring shows the answer; o opens its whole text, esc closes it
	// and the marks stay.
	if m.mode != modeNormal || !strings.Contains(m.message, "o: the whole answer") {
		t.Fatalf("where's answer hides the ring (mode %d, message %q)", m.mode, m.message)
	}
	press(t, m, "o")
	if m.mode != modeOutput || !strings.Contains(strings.Join(m.output.text, "\n"), "n7") {
		t.Fatalf("o does not open where's answer (mode %d)", m.mode)
	}
	press(t, m, "esc")
	const w, h = 110, 55
	want := map[string]rune{"n1": '◈', "n2": '◈', "n3": '◈', "n4": '■', "n6": '■', "n7": '■', "n5": '●', "n8": '●'}
	for name, r := range want {
		if got := ringMarker(t, m, name, w, h); got != r {
			t.Errorf("after where, %s is drawn %q, want %q", name, got, r)
		}
	}
	if s := caption(m); !strings.Contains(s, "/f: ◈ inode on n1 n2 n3, ■ 3 blocks on 4 live nodes, 0 missing") || !strings.Contains(screen(m), "/f: ◈ inode on n1 n2 n3, ■ 3 blocks on 4 live nodes,") {
		t.Errorf("the caption does not name the file and its holders:\n%s", s)
	}

	// Kill n4 (the x key), and n7, the one holder of block 2: from the next
	// snapshot they are ⊗, and block 2 is missing.
	m.selected = "n4"
	press(t, m, "x")
	if !slices.Contains(f.executed(), "kill n4") {
		t.Fatalf("x did not kill n4: %q", f.executed())
	}
	m.Update(snapshotMsg{snap: withState(snap, cluster.StateDown, false, "n4", "n7")})
	for name, r := range map[string]rune{"n4": '⊗', "n7": '⊗', "n6": '■', "n1": '◈'} {
		if got := ringMarker(t, m, name, w, h); got != r {
			t.Errorf("after the kill, %s is drawn %q, want %q", name, got, r)
		}
	}
	if s := caption(m); !strings.Contains(s, "/f: ◈ inode on n1 n2 n3, ■ 3 blocks on 2 live nodes, 1 missing; ⊗ n7 n4 down") {
		t.Errorf("the caption does not count the killed holders:\n%s", s)
	}
	if n := len(f.executed()); n != 2 {
		t.Errorf("where ran again before the ring was stable: %q", f.executed())
	}

	// Stable again: where runs again and repair's copy on n8 shows.
	d2 := fileWhere(snap, "/f", []string{"n1", "n2", "n3"}, []string{"n3", "n5"}, []string{"n6", "n8"}, []string{"n8"})
	f.results["where /f"] = command.Done("where", d2, nil)
	_, cmd := m.Update(snapshotMsg{snap: withState(snap, cluster.StateDown, true, "n4", "n7")})
	runCmd(t, m, cmd)
	if got := f.executed(); len(got) != 3 || got[2] != "where /f" {
		t.Fatalf("where did not run again once stable: %q", got)
	}
	for name, r := range map[string]rune{"n4": '○', "n7": '○', "n5": '■', "n8": '■'} {
		if got := ringMarker(t, m, name, w, h); got != r {
			t.Errorf("after the refresh, %s is drawn %q, want %q", name, got, r)
		}
	}
	if s := caption(m); !strings.Contains(s, "/f: ◈ inode on n1 n2 n3, ■ 3 blocks on 4 live nodes, 0 missing (re-read when stable ×1)") {
		t.Errorf("the caption does not show the refresh:\n%s", s)
	}

	if o := strings.Join(m.output.text, "\n"); !strings.Contains(o, "n8") || strings.Contains(o, "n4 ") {
		t.Errorf("o does not show the answer the ring marks:\n%s", o)
	}

	// A re-read that fails keeps the marks and says so; one that finds
	// the file gone clears them.
	f.results["where /f"] = command.Result{Err: errors.New("where: the ring is repairing")}
	_, cmd = m.Update(snapshotMsg{snap: withState(snap, cluster.StateDown, false, "n4")})
	runCmd(t, m, cmd)
	_, cmd = m.Update(snapshotMsg{snap: withState(snap, cluster.StateDown, true, "n4")})
	runCmd(t, m, cmd)
	if s := caption(m); !strings.Contains(s, "(re-read failed: where: the ring is repairing)") {
		t.Errorf("a failed re-read is not told: %q", s)
	}
	f.results["where /f"] = command.Result{Err: fmt.Errorf("where /f: %w", dfs.ErrNotFound)}
	_, cmd = m.Update(snapshotMsg{snap: withState(snap, cluster.StateDown, false, "n4")})
	runCmd(t, m, cmd)
	_, cmd = m.Update(snapshotMsg{snap: withState(snap, cluster.StateDown, true, "n4")})
	runCmd(t, m, cmd)
	if m.where != nil || !strings.Contains(m.message, "/f no longer exists") {
		t.Fatalf("the marks of a removed file stay (message %q)", m.message)
	}
	m.Update(resultMsg{line: "where /f", res: command.Done("where", d2, nil)})

	// esc clears the marks.
	press(t, m, "esc")
	if m.where != nil || ringMarker(t, m, "n1", w, h) != '●' {
		t.Errorf("esc left the marks")
	}
}

// TestWhereGivesWayToLookup: a lookup replaces the marks, and a where
// the lookup.
func TestWhereGivesWayToLookup(t *testing.T) {
	snap := fakeRing(ringSpec{n: 16, bits: 16, down: -1, paused: -1, keys: 30})
	m, f := newTestModel(t, snap, 120, 40)
	f.results["where /f"] = command.Done("where", fileWhere(snap, "/f", []string{"n1"}, []string{"n2"}), nil)
	f.gets["k"] = fakeGet(snap)
	m.Update(resultMsg{line: "where /f", res: f.Exec(t.Context(), "where /f")})
	if m.where == nil {
		t.Fatal("where marked nothing")
	}
	press(t, m, "g")
	typeText(m, "k")
	press(t, m, "enter")
	if m.lookup == nil || m.where != nil {
		t.Errorf("after a get: lookup shown %v, where marks kept %v", m.lookup != nil, m.where != nil)
	}
	m.Update(resultMsg{line: "where /f", res: f.Exec(t.Context(), "where /f")})
	if m.lookup != nil || m.where == nil {
		t.Errorf("after where: lookup kept %v, where marks %v", m.lookup != nil, m.where != nil)
	}
}

// TestGoldenWhere: a file's holders on the ring, one killed, at the
// sizes the UI is used at.
func TestGoldenWhere(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
	}{{"where_120x40", 120, 40}, {"where_80x24", 80, 24}} {
		t.Run(tc.name, func(t *testing.T) {
			snap := fakeRing(ringSpec{n: 16, bits: 16, down: -1, paused: -1, keys: 30})
			m, f := newTestModel(t, snap, tc.w, tc.h)
			d := fileWhere(snap, "/services", []string{"n1", "n2", "n3"}, []string{"n3", "n4", "n5"}, []string{"n4", "n6", "n9"})
			m.Update(resultMsg{line: "where /services", res: command.Done("where", d, nil)})
			f.snap = withState(snap, cluster.StateDown, false, "n4")
			m.Update(snapshotMsg{snap: f.Snapshot()})
			checkGolden(t, tc.name, screen(m))
		})
	}
}
