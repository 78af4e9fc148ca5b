package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// binding is one entry of the key map: its keys and the hint bar's words
// (a bubbles key.Binding), the help screen's sentence, and, while it is
// disabled, why it does nothing.
type binding struct {
	key.Binding
	about string // what the help screen says the key does
	why   string // shown when a disabled key is pressed
}

// bind makes a binding; hintKey and hint are the hint bar's words (empty
// for a key the hint bar leaves to the help screen).
func bind(keys []string, hintKey, hint, about string) binding {
	return binding{Binding: key.NewBinding(key.WithKeys(keys...), key.WithHelp(hintKey, hint)), about: about}
}

// matches reports whether msg is one of b's keys and b is enabled.
func (b *binding) matches(msg tea.KeyPressMsg) bool { return key.Matches(msg, b.Binding) }

// owns reports whether msg is one of b's keys, enabled or not.
func (b *binding) owns(msg tea.KeyPressMsg) bool { return slices.Contains(b.Keys(), msg.String()) }

// set enables or disables b; why says what is missing when it is disabled.
func (b *binding) set(on bool, why string) {
	b.SetEnabled(on)
	b.why = ""
	if !on {
		b.why = why
	}
}

// word sets the hint bar's word for keys whose meaning follows the state
// (p pauses or resumes, space pauses or resumes maintenance).
func (b *binding) word(w string) { b.SetHelp(b.Help().Key, w) }

// keyMap is every key the UI answers to. It is the one source for the key
// handling (onKey), the hint bar and the help screen; syncKeys enables,
// disables and words the bindings after every message, so the hint bar
// never offers a key that does nothing.
type keyMap struct {
	// Interrupt quits in every mode.
	Interrupt binding

	// The main screen.
	Up, Down, PageUp, PageDown, Top, Bottom binding
	NextPane, PrevPane, Back                binding
	Origin, Random, Get, Set, Del           binding
	Kill, Revive, Leave, Pause, Add         binding
	Maintenance, Step                       binding
	Ticks, LookupEvents                     binding
	Command, Help, Quit                     binding

	// The ":" prompt and the get/set/del prompt.
	Run, Complete, Cancel binding
	Edit                  editKeys

	// The help screen.
	CloseHelp, HelpDown, HelpUp binding
}

// editKeys are the prompts' line-editing keys (lineEditor.key).
type editKeys struct {
	Left, Right, Start, End      binding
	Backspace, Delete            binding
	KillStart, KillEnd, KillWord binding
	HistoryPrev, HistoryNext     binding
}

// newKeyMap returns the key map with every binding enabled.
func newKeyMap() keyMap {
	return keyMap{
		Interrupt: bind([]string{"ctrl+c"}, "", "", "quit from anywhere, even a prompt"),

		Up:       bind([]string{"up", "k"}, "↑↓", "select", "select the previous node by ID (or scroll the focused pane)"),
		Down:     bind([]string{"down", "j"}, "", "", "select the next node by ID (or scroll the focused pane)"),
		PageUp:   bind([]string{"pgup"}, "", "", "move the selection (or scroll) 10 rows up"),
		PageDown: bind([]string{"pgdown"}, "", "", "move the selection (or scroll) 10 rows down"),
		Top:      bind([]string{"home"}, "", "", "select the node with the smallest ID (or scroll to the top)"),
		Bottom:   bind([]string{"end", "G"}, "", "", "select the node with the largest ID (or scroll to the end)"),
		NextPane: bind([]string{"tab"}, "tab", "pane", "focus the next pane: members, node detail, event log"),
		PrevPane: bind([]string{"shift+tab"}, "", "", "focus the previous pane"),
		Back:     bind([]string{"esc"}, "", "", "back out: close the lookup, return to the members pane"),

		Origin: bind([]string{"enter"}, "", "", "make the selected node the origin of get/set/del"),
		Random: bind([]string{"r"}, "r", "origin", "pick a random live member as the origin"),
		Get:    bind([]string{"g"}, "g/s/d", "get/set/del", "get a key through the origin; the path is drawn hop by hop"),
		Set:    bind([]string{"s"}, "", "", "set a key (first word) to a value (the rest) through the origin"),
		Del:    bind([]string{"d"}, "", "", "delete a key through the origin"),

		Kill:   bind([]string{"x"}, "x", "kill", "kill the selected node (crash: sockets closed, state lost)"),
		Revive: bind([]string{"v"}, "v", "revive", "revive the selected node (down or left) into the ring"),
		Leave:  bind([]string{"l"}, "l", "leave", "the selected node leaves gracefully (hands its keys over)"),
		Pause:  bind([]string{"p"}, "p", "pause", "pause / resume the selected node (it stops answering)"),
		Add:    bind([]string{"a"}, "a", "add", "add a node"),

		Maintenance: bind([]string{"space"}, "space", "pause maint.", "pause / resume maintenance on every node (step mode)"),
		Step:        bind([]string{"n"}, "n", "step", "run one maintenance round on every node"),

		Ticks:        bind([]string{"t"}, "", "", "show / hide keys as ticks on the ring"),
		LookupEvents: bind([]string{"f"}, "", "", "show / hide the nodes' lookup events in the event log"),

		Command: bind([]string{":"}, ":", "cmd", "command prompt: the language of chordtui repl"),
		Help:    bind([]string{"?"}, "?", "help", "this help"),
		Quit:    bind([]string{"q"}, "q", "quit", "quit (every node is closed)"),

		Run:      bind([]string{"enter"}, "enter", "run", "run the line"),
		Complete: bind([]string{"tab"}, "tab", "complete", "complete a command or node name (\":\" only)"),
		Cancel:   bind([]string{"esc"}, "esc", "cancel", "close the prompt without running it"),
		Edit: editKeys{
			Left:        bind([]string{"left", "ctrl+b"}, "", "", "cursor left"),
			Right:       bind([]string{"right", "ctrl+f"}, "", "", "cursor right"),
			Start:       bind([]string{"home", "ctrl+a"}, "", "", "cursor to the start of the line"),
			End:         bind([]string{"end", "ctrl+e"}, "", "", "cursor to the end of the line"),
			Backspace:   bind([]string{"backspace", "ctrl+h"}, "", "", "delete before the cursor"),
			Delete:      bind([]string{"delete", "ctrl+d"}, "", "", "delete under the cursor"),
			KillStart:   bind([]string{"ctrl+u"}, "", "", "delete to the start of the line"),
			KillEnd:     bind([]string{"ctrl+k"}, "", "", "delete to the end of the line"),
			KillWord:    bind([]string{"ctrl+w"}, "", "", "delete the word before the cursor"),
			HistoryPrev: bind([]string{"up"}, "↑↓", "history", "the previous line from the history (\":\" only)"),
			HistoryNext: bind([]string{"down"}, "", "", "the next line from the history (\":\" only)"),
		},

		CloseHelp: bind([]string{"esc", "?", "q", "enter"}, "esc", "close", "close this help"),
		HelpDown:  bind([]string{"down", "j", "space", "pgdown"}, "↓", "scroll", "scroll this help down"),
		HelpUp:    bind([]string{"up", "k", "pgup"}, "↑", "back", "scroll this help up"),
	}
}

// keyGroup is one section of the help screen.
type keyGroup struct {
	title string
	keys  []*binding
}

// groups lists every binding by section, in the help screen's order.
func (km *keyMap) groups() []keyGroup {
	e := &km.Edit
	return []keyGroup{
		{"moving around", []*binding{&km.Up, &km.Down, &km.PageUp, &km.PageDown, &km.Top, &km.Bottom,
			&km.NextPane, &km.PrevPane, &km.Back}},
		{"keys and lookups", []*binding{&km.Origin, &km.Random, &km.Get, &km.Set, &km.Del}},
		{"faults", []*binding{&km.Kill, &km.Revive, &km.Leave, &km.Pause, &km.Add}},
		{"maintenance", []*binding{&km.Maintenance, &km.Step}},
		{"view", []*binding{&km.Ticks, &km.LookupEvents, &km.Command, &km.Help, &km.Quit, &km.Interrupt}},
		{"prompts (: and g/s/d)", []*binding{&km.Run, &km.Complete, &km.Cancel, &e.HistoryPrev, &e.HistoryNext,
			&e.Left, &e.Right, &e.Start, &e.End, &e.Backspace, &e.Delete, &e.KillStart, &e.KillEnd, &e.KillWord}},
		{"this help", []*binding{&km.CloseHelp, &km.HelpDown, &km.HelpUp}},
	}
}

// main lists the main screen's bindings, for telling a disabled key's
// reason.
func (km *keyMap) main() []*binding {
	return []*binding{&km.Up, &km.Down, &km.PageUp, &km.PageDown, &km.Top, &km.Bottom, &km.NextPane,
		&km.PrevPane, &km.Back, &km.Origin, &km.Random, &km.Get, &km.Set, &km.Del, &km.Kill, &km.Revive,
		&km.Leave, &km.Pause, &km.Add, &km.Maintenance, &km.Step, &km.Ticks, &km.LookupEvents, &km.Command,
		&km.Help, &km.Quit}
}

// hints returns the hint bar's bindings in mode md: head as room allows,
// then tail, which always shows.
func (km *keyMap) hints(md mode) (head, tail []key.Binding) {
	switch md {
	case modeCommand, modeKey:
		return []key.Binding{km.Run.Binding, km.Complete.Binding, km.Edit.HistoryPrev.Binding}, []key.Binding{km.Cancel.Binding}
	case modeHelp:
		return []key.Binding{km.HelpDown.Binding, km.HelpUp.Binding}, []key.Binding{km.CloseHelp.Binding}
	}
	return []key.Binding{km.Up.Binding, km.Command.Binding, km.Get.Binding, km.Kill.Binding, km.Revive.Binding,
			km.Pause.Binding, km.Leave.Binding, km.Add.Binding, km.Maintenance.Binding, km.Step.Binding,
			km.Random.Binding, km.NextPane.Binding},
		[]key.Binding{km.Help.Binding, km.Quit.Binding}
}

// keyNames spells a binding's keys for the help screen: "↑ k", "q ctrl+c".
func keyNames(keys []string) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		switch k {
		case "up":
			k = "↑"
		case "down":
			k = "↓"
		case "left":
			k = "←"
		case "right":
			k = "→"
		}
		names[i] = k
	}
	return strings.Join(names, " ")
}
