package tui

import (
	"flag"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// updating reports whether -update was given: rewrite the golden files
// under testdata/ (and the docs/ picture). The flag itself is defined by
// charmbracelet/x/exp/golden, which teatest links into this test binary.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// newTestModel returns a model over a fake with the given snapshot
// installed, on a w×h terminal.
func newTestModel(t testing.TB, snap cluster.Snapshot, w, h int) (*Model, *fakeCluster) {
	t.Helper()
	f := newFake(snap)
	opts := DefaultOptions()
	opts.NoAnimate = true
	m := NewModel(f, opts)
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(snapshotMsg{snap: f.Snapshot()})
	return m, f
}

// screen renders the model's view without styling.
func screen(m *Model) string { return ansi.Strip(m.View().Content) }

// checkGolden compares got with testdata/name.golden, rewriting it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("screen %s differs from %s (go test ./tui -run %s -update rewrites it)\n--- got:\n%s\n--- want:\n%s", name, path, t.Name(), got, want)
	}
}

func sampleEvents() []cluster.Event {
	return []cluster.Event{
		{Time: fakeTime.Add(-2 * time.Second), Kind: "joined", Node: "n1", Text: "n1 joined through n0"},
		{Time: fakeTime.Add(-800 * time.Millisecond), Kind: "fault", Text: "kill n5"},
		{Time: fakeTime.Add(-500 * time.Millisecond), Kind: "failure", Node: "n6", Text: "n6 detected that its predecessor n5 failed"},
		{Time: fakeTime.Add(-300 * time.Millisecond), Kind: "succ", Node: "n9", Text: "n9 successor n5 → n6"},
	}
}

func TestGoldenScreens(t *testing.T) {
	tests := []struct {
		name string
		spec ringSpec
		w, h int
	}{
		{"ring1", ringSpec{n: 1, bits: 16, down: -1, paused: -1, keys: 3}, 120, 40},
		{"ring2_one_down", ringSpec{n: 2, bits: 16, down: 1, paused: -1, keys: 5}, 120, 40},
		{"ring16", ringSpec{n: 16, bits: 16, down: 5, paused: 9, keys: 30}, 120, 40},
		{"ring64", ringSpec{n: 64, bits: 16, down: 5, paused: 9, keys: 100}, 120, 40},
		{"ring16_80x24", ringSpec{n: 16, bits: 16, down: 5, paused: 9, keys: 30}, 80, 24},
		{"ring64_80x24", ringSpec{n: 64, bits: 16, down: 5, paused: 9, keys: 100}, 80, 24},
		{"ring16_200x60", ringSpec{n: 16, bits: 16, down: 5, paused: 9, keys: 30}, 200, 60},
		{"ring64_200x60", ringSpec{n: 64, bits: 16, down: 5, paused: 9, keys: 100}, 200, 60},
		{"ring16_160bits", ringSpec{n: 16, bits: 160, down: 5, paused: 9, keys: 30}, 140, 45},
		// A ring below r+1 nodes: stable, with the note of what it cannot promise.
		{"ring2", ringSpec{n: 2, bits: 16, down: -1, paused: -1, keys: 5}, 120, 40},
		// Two sides, each its own ideal ring: marked by side, no pointer !.
		{"ring16_partition", ringSpec{n: 16, bits: 16, down: -1, paused: -1, keys: 30, sideB: []int{3, 4, 13}}, 120, 40},
		{"ring16_partition_80x24", ringSpec{n: 16, bits: 16, down: -1, paused: -1, keys: 30, sideB: []int{3, 4, 13}}, 80, 24},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newTestModel(t, fakeRing(tc.spec), tc.w, tc.h)
			m.Update(eventsMsg{events: sampleEvents()})
			got := screen(m)
			if lines := strings.Split(got, "\n"); len(lines) != tc.h {
				t.Errorf("screen has %d lines, want %d", len(lines), tc.h)
			}
			for i, l := range strings.Split(got, "\n") {
				if w := ansi.StringWidth(l); w != tc.w {
					t.Errorf("line %d is %d cells wide, want %d: %q", i, w, tc.w, l)
				}
			}
			checkGolden(t, tc.name, got)
		})
	}
}

// TestGoldenLookup shows a finished lookup: its calls on the ring as
// chords numbered from the origin (hop 0), a failed one dashed and marked
// ✗, the key's place (◆), and each call's row in the Lookup pane with the
// same number.
func TestGoldenLookup(t *testing.T) {
	for _, tc := range []struct {
		name string
		get  func(cluster.Snapshot) cluster.GetResult
	}{{"lookup16", fakeGet}, {"lookup16_failed", fakeGetFailed}} {
		t.Run(tc.name, func(t *testing.T) {
			snap := fakeRing(ringSpec{n: 16, bits: 16, down: -1, paused: -1, keys: 30})
			m, f := newTestModel(t, snap, 120, 40)
			f.gets["greeting"] = tc.get(snap)
			m.Update(tea.KeyPressMsg{Code: 'g', Text: "g"})
			typeText(m, "greeting")
			runCmd(t, m, m.onKey(tea.KeyPressMsg{Code: tea.KeyEnter}))
			checkGolden(t, tc.name, screen(m))
		})
	}
}

// fakeGet is a get from n0 whose lookup calls n7 (named by n0's finger),
// n3 (named by n7's) and pings the owner n11 (named by n3's successor
// list): three calls, all answered.
func fakeGet(snap cluster.Snapshot) cluster.GetResult {
	return fakeGetPath(snap, false)
}

// fakeGetFailed is fakeGet whose first call, to n7, times out: the origin
// tries the next-best entry, n4, instead. Four calls, one failed.
func fakeGetFailed(snap cluster.Snapshot) cluster.GetResult {
	return fakeGetPath(snap, true)
}

func fakeGetPath(snap cluster.Snapshot, failFirst bool) cluster.GetResult {
	n := func(name string) cluster.Peer {
		for _, x := range snap.Nodes {
			if x.Name == name {
				return cluster.Peer{Name: x.Name, ID: cluster.RingID{ID: x.ID, Bits: snap.Bits}, Addr: x.Addr}
			}
		}
		panic(name)
	}
	hop := func(name, from, via, reason string, rtt time.Duration) cluster.Hop {
		p := n(name)
		return cluster.Hop{Node: p.Name, ID: p.ID, Addr: p.Addr, From: from, Via: via, Reason: reason, RTT: rtt}
	}
	path := []cluster.Hop{
		hop("n7", "n0", "finger[15]", "closest preceding finger of the key known to n0", 90*time.Microsecond),
		hop("n3", "n7", "finger[12]", "closest preceding finger of the key known to n7", 85*time.Microsecond),
		hop("n11", "n3", "successor list[0]", "key ∈ (n3, n11]: the first live entry of n3's successor list owns it", 80*time.Microsecond),
	}
	path[2].Ping = true
	hops, failed, took := 3, 0, 310*time.Microsecond
	if failFirst {
		path[0].Err, path[0].Timeout, path[0].RTT = "chord.step n7: timed out (node down)", true, 300*time.Millisecond
		path = slices.Insert(path, 1, hop("n4", "n0", "finger[14]", "next-best after a failed hop; closest preceding finger of the key known to n0", 70*time.Microsecond))
		path[2].From, path[2].Reason = "n4", "closest preceding finger of the key known to n4"
		failed, took = 1, 300500*time.Microsecond
	}
	lr := cluster.LookupResult{Key: "greeting", ID: cluster.RingID{ID: chord.HashID(snap.Bits, []byte("greeting")), Bits: snap.Bits},
		Owner: n("n11"), Hops: hops, Timeouts: failed, Took: took, Via: "n0", Path: path,
		OwnerCheck: chord.OwnerPinged, OwnerNamedBy: "n3", OwnerVia: "successor list[0]",
		OwnerReason: "key ∈ (n3, n11]: the first live entry of n3's successor list owns it"}
	return cluster.GetResult{Key: "greeting", Found: true, Value: "hello", Version: cluster.NewVersion(time.Date(2026, 12, 6, 3, 56, 32, 512847000, time.UTC), 0, "n11"), Owner: n("n11"), Hops: hops, Timeouts: failed, Via: "n0", Lookup: lr}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		if r == ' ' {
			m.Update(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
			continue
		}
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// runCmd runs cmd and feeds the messages it produces back into the model,
// skipping timers and the event reader (they would block).
func runCmd(t testing.TB, m *Model, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			runCmd(t, m, c)
		}
	case resultMsg, snapshotMsg:
		_, next := m.Update(msg)
		runCmd(t, m, next)
	}
}

func TestGoldenHelp(t *testing.T) {
	m, _ := newTestModel(t, fakeRing(ringSpec{n: 16, bits: 16, down: -1, paused: -1}), 120, 40)
	// A fixed command list, so the golden screen follows the UI only.
	m.commands = func() []command.CommandInfo {
		return []command.CommandInfo{{Name: "get", Usage: "get K [via NODE]", Summary: "read key K"},
			{Name: "kill", Usage: "kill NODE", Summary: "crash a node"}}
	}
	m.Update(tea.KeyPressMsg{Code: '?', Text: "?"})
	checkGolden(t, "help", screen(m))
}

// TestBackgroundAware checks the colours follow the terminal's background
// while the text stays the same.
func TestBackgroundAware(t *testing.T) {
	m, _ := newTestModel(t, fakeRing(ringSpec{n: 16, bits: 16, down: 5, paused: 9}), 120, 40)
	m.Update(tea.BackgroundColorMsg{Color: color.Black})
	dark := m.View().Content
	m.Update(tea.BackgroundColorMsg{Color: color.White})
	light := m.View().Content
	if dark == light {
		t.Error("the same colours on a light and a dark background")
	}
	if ansi.Strip(dark) != ansi.Strip(light) {
		t.Error("the background changed the text, not just the colours")
	}
}
