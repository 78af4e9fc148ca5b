package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// loadRing is a 16-node ring under a hot spot: n5 serves ten times the
// requests of the others and n4, the node before it, most lookup steps.
func loadRing() cluster.Snapshot {
	s := fakeRing(ringSpec{n: 16, bits: 16, down: 9, paused: -1, keys: 30})
	s.LoadWindow = 10 * time.Second
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if n.State != cluster.StateAlive {
			n.Load = cluster.NodeLoad{Name: n.Name, State: n.State}
			continue
		}
		l := cluster.NodeLoad{Name: n.Name, State: n.State, Owned: n.Keys.Owned, Replicas: n.Keys.Replicas,
			Bytes: n.Keys.Bytes, RequestRate: 10 + float64(i%3), RoutingRate: 5 + float64(i%4)}
		switch n.Name {
		case "n5":
			l.RequestRate = 120
		case "n4":
			l.RoutingRate = 90
		}
		l.Requests, l.Routing = uint64(l.RequestRate*10), uint64(l.RoutingRate*10)
		n.Load = l
	}
	return s
}

// TestLoadPane checks the Load pane and the ring's heat: L swaps the
// members table for the histograms with each load's spread, h moves the
// heat to the next load, and without colour the ring marks each live
// node's heat level with a glyph.
func TestLoadPane(t *testing.T) {
	m, _ := newTestModel(t, loadRing(), 120, 40)
	m.opts.NoColor = true
	if got := screen(m); !strings.Contains(got, " L load") {
		t.Errorf("the hint bar does not offer L:\n%s", got)
	}
	press(t, m, "L")
	checkGolden(t, "load_keys", screen(m))
	press(t, m, "h")
	got := screen(m)
	for _, want := range []string{"heat: requests/s", "▸ requests/s  mean 18.2  max 120 n5 6.6×  p1 10  p99 120",
		"  routing/s  mean 12.2  max 90 n4 7.4×  p1 5  p99 90", "█ requests/s: <¼ of the mean … ≥5×"} {
		if !strings.Contains(got, want) {
			t.Errorf("after h the screen lacks %q:\n%s", want, got)
		}
	}
	checkGolden(t, "load_requests", got)
	press(t, m, "h", "h", "L")
	if got := screen(m); !strings.Contains(got, "Members") || strings.Contains(got, "heat:") {
		t.Errorf("L again should bring back the members and drop the heat:\n%s", got)
	}
}

// TestHeatLevel checks the levels against the mean: a quarter, a half,
// once, 1.5, 2, 3 and 5 times the mean each raise the level by one.
func TestHeatLevel(t *testing.T) {
	for _, tc := range []struct {
		v, mean float64
		want    int
	}{
		{0, 10, 0}, {2, 10, 0}, {2.5, 10, 1}, {5, 10, 2}, {9.9, 10, 2}, {10, 10, 3}, {15, 10, 4},
		{20, 10, 5}, {30, 10, 6}, {49, 10, 6}, {50, 10, 7}, {1000, 10, 7}, {5, 0, 0},
	} {
		if got := heatLevel(tc.v, tc.mean); got != tc.want {
			t.Errorf("heatLevel(%v, mean %v) = %d, want %d", tc.v, tc.mean, got, tc.want)
		}
	}
}

// TestHeatShadesMarkers checks the ring's markers with colour: the hot
// node's marker keeps its ● and takes the hottest colour, a node near
// the mean a middle one, and with the Load pane hidden no marker is
// shaded.
func TestHeatShadesMarkers(t *testing.T) {
	m, _ := newTestModel(t, loadRing(), 120, 40)
	styleOf := func(name string) (rune, styleID) {
		t.Helper()
		sc := m.ringScene()
		c := drawRing(sc, 58, 20)
		g := newRingGeom(58, 20, labelRoom(sc.snap))
		for _, s := range ringSites(sc, g, 58, 20) {
			if len(s.nodes) == 1 && sc.snap.Nodes[s.nodes[0]].Name == name {
				i := s.y*c.w + s.x
				return c.text[i], c.tstyl[i]
			}
		}
		t.Fatalf("%s has no marker cell of its own", name)
		return 0, 0
	}
	press(t, m, "L", "h") // heat: requests/s
	if r, st := styleOf("n5"); r != '●' || st != stHeat7 {
		t.Errorf("hot n5: marker %q in style %d, want ● in the hottest heat style %d", r, st, stHeat7)
	}
	if r, st := styleOf("n7"); r != '●' || st != heatStyle(2) {
		t.Errorf("n7 (11 requests/s, mean 18.2): marker %q in style %d, want ● in heat style %d", r, st, heatStyle(2))
	}
	press(t, m, "L")
	if _, st := styleOf("n5"); st >= stHeat0 && st <= stHeat7 {
		t.Errorf("with the Load pane hidden n5's marker is still shaded (style %d)", st)
	}
}

// TestWorkloadProgress checks what the screen says while a workload
// runs: its progress in the message line, W in the hint bar, and W runs
// "workload stop"; once it has ended neither shows and W says why.
func TestWorkloadProgress(t *testing.T) {
	snap := loadRing()
	spec := cluster.DefaultWorkload()
	spec.Keys, spec.Zipf, spec.Duration = 20000, 1, 30*time.Second
	snap.Workload = &cluster.WorkloadProgress{Spec: spec, Phase: "running", Elapsed: 4 * time.Second, Ops: 16000, Errors: 2}
	m, f := newTestModel(t, snap, 120, 40)
	lines := strings.Split(screen(m), "\n")
	msg, bar := lines[len(lines)-2], lines[len(lines)-1]
	if want := "▶ workload 4.0 s of 30s: 16000 ops (4000/s), 2 errors, 0 stale reads (W stops it)"; !strings.Contains(msg, want) {
		t.Errorf("message line %q lacks %q", msg, want)
	}
	if !strings.Contains(bar, "W stop workload") {
		t.Errorf("hint bar %q does not offer W", bar)
	}
	press(t, m, "W")
	if calls := f.executed(); len(calls) == 0 || calls[len(calls)-1] != "workload stop" {
		t.Errorf("W ran %v, want workload stop", calls)
	}
	snap.Workload = nil
	m.Update(snapshotMsg{snap: snap, seq: 1 << 20})
	press(t, m, "W")
	lines = strings.Split(screen(m), "\n")
	if msg, bar := lines[len(lines)-2], lines[len(lines)-1]; !strings.Contains(msg, "W: no workload is running") || strings.Contains(bar, "W stop") {
		t.Errorf("after the workload: message %q, hint bar %q", msg, bar)
	}
	// A workload's command may run for its whole duration and more.
	cmd, _ := command.Parse("workload get 10 keys for 2m")
	if d := workloadTimeout(cmd, 10*time.Second); d < 2*time.Minute {
		t.Errorf("a 2-minute workload times out after %v", d)
	}
}
