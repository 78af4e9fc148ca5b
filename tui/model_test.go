package tui

import (
	"bytes"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
	"github.com/chordtui/chordtui/tui/screentest"
)

func keyPress(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// press sends keys to the model and runs the commands they start.
func press(t *testing.T, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, cmd := m.Update(keyPress(k))
		runCmd(t, m, cmd)
	}
}

func ring16() cluster.Snapshot {
	return fakeRing(ringSpec{n: 16, bits: 16, down: 5, paused: 9, keys: 30})
}

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			m, _ := newTestModel(t, ring16(), 120, 40)
			_, cmd := m.Update(keyPress(k))
			if !isQuit(cmd) {
				t.Fatalf("%s did not quit", k)
			}
			select {
			case <-m.closing:
			default:
				t.Error("quitting did not close the model's background commands")
			}
		})
	}
	t.Run("quit command", func(t *testing.T) {
		m, f := newTestModel(t, ring16(), 120, 40)
		f.results["quit"] = command.Result{Cmd: "quit", OK: true, Quit: true}
		press(t, m, ":")
		typeText(m, "quit")
		_, cmd := m.Update(keyPress("enter"))
		msg := cmd()
		_, next := m.Update(msg)
		if !isQuit(next) {
			t.Fatal("the quit command did not quit")
		}
	})
}

// TestNodeActionKeys checks that every key acting on the selected node, the
// cluster or maintenance makes the cluster call of the same name, and shows
// its outcome in the words of the command language.
func TestNodeActionKeys(t *testing.T) {
	tests := []struct {
		name    string
		select_ string // node to select first
		keys    []string
		paused  bool   // maintenance paused in the snapshot
		want    string // the call, as the fake records it
		shown   string // the message line
	}{
		{"kill", "n3", []string{"x"}, false, "kill n3", "✓ kill n3: killed n3 (127.0.0.1:7003)"},
		{"revive", "n5", []string{"v"}, false, "revive n5", "✓ revive n5: revived n5 (127.0.0.1:7005)"},
		{"leave", "n3", []string{"l"}, false, "leave n3", "✓ leave n3: n3 (127.0.0.1:7003) has left the ring"},
		{"pause", "n3", []string{"p"}, false, "pause n3", "✓ pause n3: paused n3"},
		{"resume paused node", "n9", []string{"p"}, false, "resume n9", "✓ resume n9: resumed n9"},
		{"add", "", []string{"a"}, false, "add 1", "✓ add: added n16"},
		{"random origin", "", []string{"r"}, false, "random", "✓ random: origin is now n4"},
		{"maintenance pause", "", []string{"space"}, false, "maintenance pause", "✓ maintenance pause: maintenance paused — maintenance step runs one round"},
		{"maintenance resume", "", []string{"space"}, true, "maintenance resume", "✓ maintenance resume: maintenance resumed"},
		{"step", "", []string{"n"}, true, "step n0", "✓ step n0: step 1 since kill n5 — converging after kill n5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ring16()
			s.MaintenancePaused, s.Health.MaintenancePaused = tc.paused, tc.paused
			m, f := newTestModel(t, s, 120, 40)
			if tc.select_ != "" {
				m.selected = tc.select_
			}
			press(t, m, tc.keys...)
			if got := f.executed(); !slices.Equal(got, []string{tc.want}) {
				t.Fatalf("ran %q, want [%q]", got, tc.want)
			}
			if tc.paused && !strings.Contains(screen(m), "maintenance paused") {
				t.Error("the status bar does not say maintenance is paused")
			}
			if !strings.Contains(screen(m), tc.shown) {
				t.Errorf("%q is not shown:\n%s", tc.shown, screen(m))
			}
		})
	}
}

// TestKeyPrompts checks g, s and d call Get, Set and Del through the
// origin with the key (and value) typed, and log the operation as the REPL
// would spell it.
func TestKeyPrompts(t *testing.T) {
	tests := []struct {
		key, input string
		want       string // the call, as the fake records it
		logged     string
	}{
		{"g", "greeting", "get greeting via n0", "› get greeting via n0"},
		{"s", "greeting hello world", "set greeting hello world via n0", `› set greeting "hello world" via n0`},
		{"s", "k v", "set k v via n0", "› set k v via n0"},
		{"s", "k", "set k  via n0", `› set k "" via n0`},
		{"d", "greeting", "del greeting via n0", "› del greeting via n0"},
		{"g", `say "hi"`, `get say "hi" via n0`, `› get "say \"hi\"" via n0`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			m, f := newTestModel(t, ring16(), 120, 40)
			press(t, m, tc.key)
			if m.mode != modeKey {
				t.Fatalf("%s did not open the key prompt", tc.key)
			}
			typeText(m, tc.input)
			if !strings.Contains(screen(m), tc.input) {
				t.Errorf("typed text not shown on the prompt line")
			}
			press(t, m, "enter")
			if got := f.executed(); !slices.Equal(got, []string{tc.want}) {
				t.Fatalf("ran %q, want [%q]", got, tc.want)
			}
			if !strings.Contains(screen(m), tc.logged) {
				t.Errorf("the log does not show %q:\n%s", tc.logged, screen(m))
			}
		})
	}
	t.Run("esc cancels", func(t *testing.T) {
		m, f := newTestModel(t, ring16(), 120, 40)
		press(t, m, "g")
		typeText(m, "abc")
		press(t, m, "esc")
		if m.mode != modeNormal || len(f.executed()) != 0 {
			t.Fatalf("esc left mode %v and ran %q", m.mode, f.executed())
		}
	})
}

// ":origin NODE" (and "r") choose where g/s/d start, replacing a node
// chosen with Enter earlier.
func TestOriginCommandReplacesEnterChoice(t *testing.T) {
	m, f := newTestModel(t, ring16(), 120, 40)
	m.selected = "n3"
	press(t, m, "enter") // n3 becomes the origin
	f.results["origin n4"] = command.Result{Cmd: "origin", OK: true, Data: command.Origin{Origin: "n4", Changed: true}}
	press(t, m, ":")
	typeText(m, "origin n4")
	press(t, m, "enter")
	press(t, m, "g")
	typeText(m, "k")
	press(t, m, "enter")
	got := f.executed()
	if want := []string{"origin n4", "get k via n4"}; !slices.Equal(got, want) {
		t.Fatalf("ran %q, want %q", got, want)
	}
	if m.selected != "n4" {
		t.Errorf("selection %q after origin n4, want n4", m.selected)
	}
}

func TestSelectionKeys(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 120, 40)
	// Ring order (by ID) of the fake ring: … n10, n0, n14, n11 …
	if m.selected != "n0" {
		t.Fatalf("initial selection %q, want the origin n0", m.selected)
	}
	press(t, m, "j")
	if m.selected != "n14" {
		t.Errorf("j selected %q, want n14 (next by ID)", m.selected)
	}
	press(t, m, "down")
	if m.selected != "n11" {
		t.Errorf("down selected %q, want n11", m.selected)
	}
	press(t, m, "k", "up", "up")
	if m.selected != "n10" {
		t.Errorf("k/up selected %q, want n10", m.selected)
	}
	if !strings.Contains(screen(m), "Node n10") {
		t.Error("the detail pane does not follow the selection")
	}
}

func TestPanesAndEnter(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 120, 40)
	press(t, m, "tab")
	if m.focus != paneDetail || !strings.Contains(screen(m), "▸ Node") {
		t.Errorf("tab: focus %v, want the detail pane marked ▸", m.focus)
	}
	press(t, m, "tab")
	if m.focus != paneLog || !strings.Contains(screen(m), "▸ Events") {
		t.Errorf("tab: focus %v, want the event log", m.focus)
	}
	press(t, m, "shift+tab", "esc")
	if m.focus != paneMembers {
		t.Errorf("esc: focus %v, want members", m.focus)
	}
	m.selected = "n3"
	press(t, m, "enter")
	if m.originName() != "n3" || m.focus != paneDetail {
		t.Errorf("enter: origin %q focus %v, want n3 and the detail pane", m.originName(), m.focus)
	}
	if !strings.Contains(strings.Split(screen(m), "\n")[0], "origin n3") {
		t.Error("the status bar does not show the new origin")
	}
}

func TestCommandPrompt(t *testing.T) {
	m, f := newTestModel(t, ring16(), 120, 40)
	press(t, m, ":")
	typeText(m, "kill n3")
	press(t, m, "enter")
	press(t, m, ":")
	typeText(m, "check")
	press(t, m, "enter")
	if got := f.executed(); !slices.Equal(got, []string{"kill n3", "check"}) {
		t.Fatalf("ran %q", got)
	}
	// History: up twice brings back the first line.
	press(t, m, ":", "up", "up")
	if v := m.editor.value(); v != "kill n3" {
		t.Errorf("history up up = %q, want %q", v, "kill n3")
	}
	press(t, m, "down")
	if v := m.editor.value(); v != "check" {
		t.Errorf("history down = %q, want %q", v, "check")
	}
	press(t, m, "esc")
	// Completion of a command name, then of a node name.
	press(t, m, ":")
	typeText(m, "rev")
	press(t, m, "tab")
	if v := m.editor.value(); v != "revive " {
		t.Errorf("tab after 'rev' gave %q, want %q", v, "revive ")
	}
	typeText(m, "n1")
	press(t, m, "tab")
	if !strings.Contains(m.message, "n10") || !strings.Contains(m.message, "n15") {
		t.Errorf("tab after 'revive n1' lists %q, want n1 and n10…n15", m.message)
	}
}

func TestResultsShown(t *testing.T) {
	m, f := newTestModel(t, ring16(), 120, 40)
	f.errs["kill n3"] = errors.New("kill: n3 is already down — revive n3 brings it back")
	m.selected = "n3"
	press(t, m, "x")
	msg := screentest.LastLines(screen(m), 2)
	if !strings.Contains(msg, "✗ kill: n3 is already down") || strings.Contains(msg, "kill: kill:") || strings.Contains(msg, "n3: kill:") {
		t.Errorf("failure not shown once, without a doubled prefix:\n%s", msg)
	}
	// An error that does not name its command gets the command line.
	f.results["frob"] = command.Done("frob", nil, errors.New(`unknown command "frob" (help lists commands)`))
	press(t, m, ":")
	typeText(m, "frob")
	press(t, m, "enter")
	if msg := screentest.LastLines(screen(m), 2); !strings.Contains(msg, `✗ frob: unknown command "frob"`) {
		t.Errorf("an error without its command's name is not prefixed with the line:\n%s", msg)
	}
}

// TestHintBarFollowsState checks the hint bar offers the node keys that
// act on the selected node in its state, with the right word, and that a
// key it does not offer makes no call and says why.
func TestHintBarFollowsState(t *testing.T) {
	tests := []struct {
		name     string
		select_  string
		state    cluster.State
		offered  []string // hint bar items
		withheld []string // keys pressed that must not call the cluster
		why      string   // the message a withheld key shows
	}{
		{"alive", "n3", cluster.StateAlive, []string{"x kill", "p pause", "l leave"}, []string{"v"}, "v: n3 is alive: only a down or left node can be revived"},
		{"down", "n5", cluster.StateDown, []string{"v revive"}, []string{"p", "l", "x"}, "x: n5 is down — v revives it"},
		{"paused", "n9", cluster.StatePaused, []string{"x kill", "p resume"}, []string{"v", "l"}, "l: n9 is paused: only a live node can leave gracefully"},
		{"left", "n3", cluster.StateLeft, []string{"v revive"}, []string{"x", "l", "p"}, "p: n3 has left: only a live node can be paused"},
	}
	nodeKeys := []string{"x kill", "v revive", "p pause", "p resume", "l leave"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ring16()
			for i := range s.Nodes {
				if s.Nodes[i].Name == tc.select_ {
					s.Nodes[i].State = tc.state
				}
			}
			m, f := newTestModel(t, s, 200, 40)
			m.selected = tc.select_
			m.Update(tea.WindowSizeMsg{Width: 200, Height: 40})
			bar := screentestLast(screen(m))
			for _, k := range nodeKeys {
				if want := slices.Contains(tc.offered, k); strings.Contains(bar, k) != want {
					t.Errorf("hint bar offers %q: %v, want %v\n%s", k, !want, want, bar)
				}
			}
			for _, k := range tc.withheld {
				press(t, m, k)
			}
			if got := f.executed(); len(got) != 0 {
				t.Errorf("withheld keys %q called %q", tc.withheld, got)
			}
			if !strings.Contains(screen(m), tc.why) {
				t.Errorf("pressing %s does not say %q:\n%s", tc.withheld[len(tc.withheld)-1], tc.why, screen(m))
			}
		})
	}
	t.Run("maintenance word", func(t *testing.T) {
		s := ring16()
		m, _ := newTestModel(t, s, 200, 40)
		if bar := screentestLast(screen(m)); !strings.Contains(bar, "space pause maint.") {
			t.Errorf("running maintenance: hint bar %q lacks \"space pause maint.\"", bar)
		}
		s.MaintenancePaused = true
		m.Update(snapshotMsg{snap: s})
		if bar := screentestLast(screen(m)); !strings.Contains(bar, "space resume maint.") {
			t.Errorf("paused maintenance: hint bar %q lacks \"space resume maint.\"", bar)
		}
	})
	t.Run("prompt", func(t *testing.T) {
		m, _ := newTestModel(t, ring16(), 120, 40)
		press(t, m, "g")
		if bar := screentestLast(screen(m)); strings.Contains(bar, "complete") || strings.Contains(bar, "history") || !strings.Contains(bar, "enter run") {
			t.Errorf("the get prompt offers completion or history, or not enter: %q", bar)
		}
		press(t, m, "esc", ":")
		if bar := screentestLast(screen(m)); !strings.Contains(bar, "tab complete") || !strings.Contains(bar, "↑↓ history") {
			t.Errorf("the : prompt does not offer completion and history: %q", bar)
		}
	})
}

// screentestLast is the screen's last line: the hint bar.
func screentestLast(s string) string {
	lines := strings.Split(s, "\n")
	return lines[len(lines)-1]
}

// TestHelpListsKeyMap checks the help screen shows every binding of the
// key map with its keys, so a key added to the map is documented.
func TestHelpListsKeyMap(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 120, 40)
	m.commands = func() []command.CommandInfo { return nil }
	press(t, m, "?")
	var all string
	for i := 0; i < 200; i++ {
		all += screen(m) + "\n"
		press(t, m, "j")
	}
	for _, g := range m.keys.groups() {
		for _, b := range g.keys {
			if !strings.Contains(all, keyNames(b.Keys())) || !strings.Contains(all, b.about) {
				t.Errorf("help lacks %q %q", keyNames(b.Keys()), b.about)
			}
		}
	}
}

// TestViewChangesNothing renders screens whose content is shorter than
// the scroll positions asked for, twice each, and checks View changed no
// part of the model; scrolling back responds at once because Update has
// already clamped.
func TestViewChangesNothing(t *testing.T) {
	type state struct {
		detail, log, help, story int
		logSel                   uint64
		selected, message        string
		mode                     mode
		focus                    pane
		keys                     keyMap
	}
	get := func(m *Model) state {
		return state{m.detailScroll, m.logTop, m.helpScroll, m.storyScroll, m.logSel, m.selected, m.message, m.mode, m.focus, m.keys}
	}
	m, _ := newTestModel(t, ring16(), 120, 40)
	var evs []cluster.Event
	for i := 0; i < 40; i++ {
		evs = append(evs, cluster.Event{Time: fakeTime, Kind: cluster.EventOther, Text: "event " + itoa3(i)})
	}
	m.Update(eventsMsg{events: evs})
	check := func(what string) {
		t.Helper()
		before := get(m)
		a, b := m.View().Content, m.View().Content
		if a != b {
			t.Errorf("%s: two Views differ", what)
		}
		if after := get(m); !reflect.DeepEqual(before, after) {
			t.Errorf("%s: View changed the model:\nbefore %+v\nafter  %+v", what, before, after)
		}
	}
	check("main screen")
	press(t, m, "tab") // the detail pane: 13 lines of n0 in a 13-line pane
	for i := 0; i < 50; i++ {
		press(t, m, "j")
	}
	check("detail scrolled past its end")
	before := screen(m)
	press(t, m, "k")
	if m.detailScroll > 0 && screen(m) == before {
		t.Error("k after scrolling past the end of the detail pane changed nothing on screen")
	}
	press(t, m, "tab")
	for i := 0; i < 100; i++ {
		press(t, m, "k")
	}
	check("log scrolled past its start")
	before = screen(m)
	press(t, m, "j")
	if screen(m) == before {
		t.Error("j after scrolling past the start of the log changed nothing on screen")
	}
	press(t, m, "?")
	for i := 0; i < 500; i++ {
		press(t, m, "j")
	}
	check("help scrolled past its end")
	before = screen(m)
	press(t, m, "k")
	if screen(m) == before {
		t.Error("k after scrolling past the end of the help changed nothing on screen")
	}
	press(t, m, "esc")
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	check("resized smaller")
	m.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	check("too small")
}

func TestHelpAndKeysToggle(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 120, 40)
	press(t, m, "?")
	s := screen(m)
	if !strings.Contains(s, "chordtui — keys") || !strings.Contains(s, "kill the selected node") {
		t.Fatalf("? did not show the help:\n%s", s)
	}
	for i := 0; i < 200 && !strings.Contains(screen(m), "maintenance pause|resume|step"); i++ {
		press(t, m, "j")
	}
	if !strings.Contains(screen(m), "maintenance pause|resume|step") {
		t.Error("help does not list the command language, even scrolled")
	}
	press(t, m, "esc")
	if m.mode != modeNormal {
		t.Fatal("esc did not close the help")
	}
	if !strings.Contains(screen(m), "⠁ keys") {
		t.Error("key ticks not in the legend by default")
	}
	press(t, m, "t")
	if strings.Contains(screen(m), "⠁ keys") {
		t.Error("t did not hide the key ticks")
	}
}

func TestTooSmall(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 120, 40)
	m.Update(tea.WindowSizeMsg{Width: 70, Height: 20})
	s := screen(m)
	if !strings.Contains(s, "terminal too small: have 70×20, need 80×24") {
		t.Fatalf("no size notice:\n%s", s)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if strings.Contains(screen(m), "too small") || len(strings.Split(screen(m), "\n")) != 24 {
		t.Error("no relayout at 80×24")
	}
}

func TestMouseSelects(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 120, 40)
	lay := computeLayout(120, 40)
	in := lay.members.inner()
	// Row 0 of the table is the header; with 16 rows everything shows and
	// the first row is the node with the smallest ID.
	first := m.snap.Nodes[m.order[0]].Name
	m.Update(tea.MouseClickMsg{X: in.x + 3, Y: in.y + 1, Button: tea.MouseLeft})
	if m.selected != first {
		t.Errorf("click on the first row selected %q, want %q", m.selected, first)
	}
	// A click on n3's marker on the ring.
	ri := lay.ring.inner()
	g := newRingGeom(ri.w, ri.h-1, labelRoom(&m.snap))
	n3 := m.snap.Nodes[3]
	x, y := g.at(n3.ID.Fraction(m.snap.Bits), 0)
	m.Update(tea.MouseClickMsg{X: ri.x + x/2, Y: ri.y + y/4, Button: tea.MouseLeft})
	if m.selected != "n3" {
		t.Errorf("click on n3's marker selected %q", m.selected)
	}
}

func TestEventLogScroll(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 120, 40)
	var evs []cluster.Event
	for i := 0; i < 40; i++ {
		evs = append(evs, cluster.Event{Time: fakeTime, Kind: cluster.EventOther, Text: "event " + itoa3(i)})
	}
	m.Update(eventsMsg{events: evs})
	if s := screen(m); !strings.Contains(s, "event 039") || strings.Contains(s, "event 000") {
		t.Fatalf("log does not show the newest lines")
	}
	press(t, m, "tab", "tab") // focus the log
	for i := 0; i < 40; i++ {
		press(t, m, "k")
	}
	s := screen(m)
	if !strings.Contains(s, "event 000") || strings.Contains(s, "event 039") || !strings.Contains(s, "newer") {
		t.Errorf("scrolling up did not reach the oldest lines:\n%s", s)
	}
}

func itoa3(i int) string {
	return string([]byte{byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10)})
}

// TestLookupAnimation checks the path is revealed one hop per tick and the
// value only at the end; a newer lookup makes old ticks stale.
func TestLookupAnimation(t *testing.T) {
	snap := fakeRing(ringSpec{n: 16, bits: 16, down: -1, paused: -1})
	f := newFake(snap)
	f.gets["greeting"] = fakeGet(snap)
	opts := DefaultOptions()
	m := NewModel(f, opts)
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(snapshotMsg{snap: snap})
	press(t, m, "g")
	typeText(m, "greeting")
	_, cmd := m.Update(keyPress("enter"))
	_, hop := m.Update(cmd())
	if m.lookup == nil || m.lookup.shown != 0 || hop == nil {
		t.Fatalf("lookup not started at hop 0, the origin: %+v", m.lookup)
	}
	if s := screen(m); !strings.Contains(s, "hop 0 of 3") || strings.Contains(s, `"hello"`) {
		t.Errorf("before the first call:\n%s", s)
	}
	seq := m.lookup.seq
	m.Update(hopMsg{seq: seq + 7}) // stale tick
	if m.lookup.shown != 0 {
		t.Error("a stale tick advanced the animation")
	}
	m.Update(hopMsg{seq: seq})
	if s := screen(m); !strings.Contains(s, "hop 1 of 3") || strings.Contains(s, `"hello"`) {
		t.Errorf("after the first hop:\n%s", s)
	}
	m.Update(hopMsg{seq: seq})
	m.Update(hopMsg{seq: seq})
	s := screen(m)
	if !m.lookup.done() || !strings.Contains(s, `"hello"   (owner n11, version 03:56:32.512847@n11, 3 hops via n0)`) || !strings.Contains(s, "owner n11 after 3 hops") {
		t.Errorf("after the last hop:\n%s", s)
	}
	press(t, m, "esc")
	if m.lookup != nil || !strings.Contains(screen(m), "Node n0") {
		t.Error("esc did not close the lookup")
	}
}

func TestSnapshotRefreshLoop(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 120, 40)
	// A tick while a snapshot is in flight must not start another one.
	m.snapshotting = true
	_, cmd := m.Update(tickMsg{})
	if n := countSnapshots(cmd); n != 0 {
		t.Errorf("tick during a snapshot started %d more", n)
	}
	m.snapshotting = false
	_, cmd = m.Update(tickMsg{})
	if n := countSnapshots(cmd); n != 1 {
		t.Errorf("tick started %d snapshots, want 1", n)
	}
}

// countSnapshots counts the snapshot commands in cmd, without running timers.
func countSnapshots(cmd tea.Cmd) int {
	if cmd == nil {
		return 0
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done: // a tick fires after the refresh interval

		switch msg := msg.(type) {
		case tea.BatchMsg:
			n := 0
			for _, c := range msg {
				n += countSnapshots(c)
			}
			return n
		case snapshotMsg:
			return 1
		}
	case <-time.After(5 * time.Second):
	}
	return 0
}

func TestEventLogFilterAndRepeats(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 120, 40)
	m.Update(eventsMsg{events: []cluster.Event{
		{Time: fakeTime, Kind: "lookup", Text: "n0: lookup 3fa2 → n7"},
		{Time: fakeTime, Kind: "failure", Text: "n6: detected failure of n5"},
		{Time: fakeTime, Kind: "failure", Text: "n6: detected failure of n5"},
		{Time: fakeTime, Kind: "failure", Text: "n6: detected failure of n5"},
	}})
	s := screen(m)
	if strings.Contains(s, "lookup 3fa2") || !strings.Contains(s, "lookups hidden") {
		t.Errorf("lookup events shown by default, or the filter not said:\n%s", s)
	}
	if !strings.Contains(s, "detected failure of n5 (×3)") {
		t.Errorf("three identical events not folded into one line (×3):\n%s", s)
	}
	press(t, m, "f")
	if !strings.Contains(screen(m), "lookup 3fa2") {
		t.Error("f did not show the lookup events")
	}
}

func TestWrap(t *testing.T) {
	got := wrap("closest preceding finger of the key known to n0", "   ", 20)
	want := []string{"   closest preceding", "   finger of the key", "   known to n0"} // each ≤ 20 cells
	if !slices.Equal(got, want) {
		t.Errorf("wrap = %q, want %q", got, want)
	}
}

// TestCloseEndsEventReader checks the event reader, blocked on a quiet
// channel, returns once the model is closed (no goroutine outlives the UI).
func TestCloseEndsEventReader(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 120, 40)
	cmd := m.eventsCmd()
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	m.Close()
	select {
	case msg := <-done:
		if msg != nil {
			t.Errorf("closed reader returned %T, want nil", msg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the event reader did not return after Close")
	}
}

// TestRunQuits runs the whole program over a fake cluster with a scripted
// keyboard: q quits and Run returns nil; a nil cluster is refused.
func TestRunQuits(t *testing.T) {
	f := newFake(ring16())
	opts := DefaultOptions()
	opts.Input = strings.NewReader("q")
	var out bytes.Buffer
	opts.Output = &out
	errc := make(chan error, 1)
	go func() { errc <- run(t.Context(), f, opts) }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run after q: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after q")
	}
	if out.Len() == 0 {
		t.Error("Run drew nothing")
	}
	if err := Run(t.Context(), nil, opts); !errors.Is(err, ErrNoCluster) {
		t.Errorf("Run(nil cluster) = %v, want ErrNoCluster", err)
	}
	bad := opts
	bad.HopInterval = 0
	if err := run(t.Context(), f, bad); err == nil {
		t.Error("Run accepted invalid options")
	}
}

// TestHeldKeys checks the node detail lists the keys the selected node
// holds, read with Keys after a snapshot.
func TestHeldKeys(t *testing.T) {
	m, f := newTestModel(t, ring16(), 120, 40)
	f.keys["n0"] = cluster.KeyList{Node: "n0", Running: true, Keys: []cluster.KeyEntry{
		{Key: "zeta"}, {Key: "color", Owned: true}, {Key: "gone", Owned: true, Deleted: true}}}
	m.fetchingKeys = false
	_, cmd := m.Update(snapshotMsg{snap: f.Snapshot()})
	if cmd == nil {
		t.Fatal("no key list read after a snapshot")
	}
	m.Update(cmd())
	if got := f.executed(); !slices.Equal(got, []string{"keys n0"}) {
		t.Fatalf("ran %q, want [keys n0]", got)
	}
	if s := screen(m); !strings.Contains(s, `held   owned "color" "gone" (deleted) replicas "zeta"`) {
		t.Errorf("held keys not listed owned first:\n%s", s)
	}
	var many []heldKey
	for i := 0; i < 30; i++ {
		many = append(many, heldKey{key: "key-" + itoa3(i), owned: true})
	}
	m.held = many
	if s := screen(m); !strings.Contains(s, "more") || strings.Contains(s, "key-029") {
		t.Errorf("30 held keys not cut with a count:\n%s", s)
	}
	// A second snapshot within keysRefresh does not read again.
	if _, cmd := m.Update(snapshotMsg{snap: f.Snapshot()}); cmd != nil {
		t.Error("the key list was read again within the refresh period")
	}
}

// TestHeldKeysFollowCounts checks a change in the node's key counts reads
// the list again at once, so the list and the counts agree.
func TestHeldKeysFollowCounts(t *testing.T) {
	m, f := newTestModel(t, ring16(), 120, 40)
	m.fetchingKeys = false
	_, cmd := m.Update(snapshotMsg{snap: f.Snapshot()})
	m.Update(cmd())
	s := f.Snapshot()
	s.Nodes[0].Keys.Replicas++
	if _, cmd := m.Update(snapshotMsg{snap: s}); cmd == nil {
		t.Error("changed key counts did not read the key list again")
	}
}

func TestOriginDownShown(t *testing.T) {
	s := ring16()
	s.Origin = "n5" // the fake's crashed node
	m, _ := newTestModel(t, s, 120, 40)
	if bar := strings.Split(screen(m), "\n")[0]; !strings.Contains(bar, "origin n5 (down!)") {
		t.Errorf("a down origin is not flagged in the status bar: %q", bar)
	}
}

func TestLoggerGetsCommands(t *testing.T) {
	var buf bytes.Buffer
	f := newFake(ring16())
	opts := DefaultOptions()
	opts.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := NewModel(f, opts)
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(snapshotMsg{snap: f.Snapshot()})
	press(t, m, "a")
	if !strings.Contains(buf.String(), "line=add") {
		t.Errorf("the command was not logged: %q", buf.String())
	}
}

// TestPaste checks that text a terminal pastes (bracketed paste) is typed
// into the open prompt as one line, and goes nowhere with none open.
func TestPaste(t *testing.T) {
	m, f := newTestModel(t, ring16(), 120, 40)
	m.Update(tea.PasteMsg{Content: "kill n3\n"})
	if m.mode != modeNormal || len(f.executed()) != 0 {
		t.Fatalf("a paste with no prompt open: mode %v, ran %v", m.mode, f.executed())
	}
	press(t, m, ":")
	typeText(m, "set")
	m.Update(tea.PasteMsg{Content: " pk\thello\r\nworld\n\n"})
	if got := m.editor.value(); got != "set pk hello  world" {
		t.Fatalf("the prompt after a paste = %q", got)
	}
	press(t, m, "enter")
	if calls := f.executed(); len(calls) == 0 || !strings.HasPrefix(calls[len(calls)-1], "set pk hello  world") {
		t.Fatalf("enter after the paste ran %v", calls)
	}
	press(t, m, "/")
	m.Update(tea.PasteMsg{Content: "n1"})
	if m.mode != modeFind || m.selected != "n1" {
		t.Fatalf("a paste into / : mode %v, selected %q", m.mode, m.selected)
	}
}

// In the help screen pgdown and space turn a page (less one line), down
// one line, pgup a page back; the help says pgdown moves a page.
func TestHelpScrollsByPage(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 100, 20)
	press(t, m, "?")
	if m.mode != modeHelp || m.maxHelpScroll() < 2*m.helpRows() {
		t.Fatalf("help: mode %v, %d lines to scroll for %d rows; the test needs two pages", m.mode, m.maxHelpScroll(), m.helpRows())
	}
	page := m.helpRows() - 1
	for _, st := range []struct {
		key  string
		want int
	}{{"pgdown", page}, {"down", page + 1}, {"space", 2*page + 1}, {"pgup", page + 1}, {"up", page}} {
		press(t, m, st.key)
		if m.helpScroll != st.want {
			t.Fatalf("after %s the help is scrolled %d lines, want %d", st.key, m.helpScroll, st.want)
		}
	}
}

// With the origin down a get from the key prompt goes through the
// cluster's first live node (no via), as the REPL's does, instead of
// failing with "pick a live node after via", which the prompt has no room for.
func TestKeyPromptWithTheOriginDown(t *testing.T) {
	s := ring16()
	s.Origin = "n5" // the fake's crashed node
	m, f := newTestModel(t, s, 120, 40)
	press(t, m, "g", "f", "o", "o", "enter")
	if got := f.calls[len(f.calls)-1]; got != "get foo" {
		t.Fatalf("get with the origin down ran %q, want %q", got, "get foo")
	}
}

// v on a node started elsewhere says why it cannot: a live one is alive,
// a down one needs its process started again.
func TestReviveRemoteSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		node, want string
	}{{"n3", "n3 is alive"}, {"n5", "n5 runs elsewhere: start its process again"}} {
		s := ring16()
		for i := range s.Nodes {
			s.Nodes[i].Remote = true
		}
		m, f := newTestModel(t, s, 120, 40)
		m.selected = tc.node
		press(t, m, "v")
		if got := f.executed(); len(got) != 0 || !strings.Contains(m.message, tc.want) {
			t.Errorf("v on remote %s: ran %q, message %q; want nothing run and %q", tc.node, got, m.message, tc.want)
		}
	}
}

// "/" and enter with a name no node has leaves the warning up, not a blank
// line as if something had been found.
func TestFindWithNoMatchSaysSo(t *testing.T) {
	m, _ := newTestModel(t, ring16(), 120, 40)
	press(t, m, "/", "z", "z", "z", "enter")
	if !strings.Contains(m.message, "no node matches zzz") {
		t.Fatalf("after / zzz enter the message line reads %q", m.message)
	}
	press(t, m, "/", "n", "3", "enter")
	if m.selected != "n3" || m.message != "" {
		t.Fatalf("after / n3 enter: selected %s, message %q", m.selected, m.message)
	}
}
