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
	Up, Down, PageUp, PageDown, Top, Bottom  binding
	NextPane, PrevPane, Back, Find, Expand   binding
	Origin, Random, Get, Set, Del            binding
	NextHop, PrevHop, Replay, Faster, Slower binding
	Kill, Revive, Leave, Pause, Add          binding
	Maintenance, Step, StepTarget            binding
	Stabilize, FixFingers, CheckPred, Repair binding
	Lesson                                   binding
	Fingers, Arrows, Violations, Output      binding
	Ticks, LookupEvents, Mine                binding
	Command, Help, Quit                      binding

	// The ":" prompt and the get/set/del prompt.
	Run, Complete, Cancel binding
	Edit                  editKeys

	// The help screen and the output view.
	CloseHelp, HelpDown, HelpUp binding
	CloseOutput                 binding
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
		NextPane: bind([]string{"tab"}, "tab", "pane", "focus the next pane: members, node detail, caption (when shown), event log"),
		PrevPane: bind([]string{"shift+tab"}, "", "", "focus the previous pane"),
		Back:     bind([]string{"esc"}, "", "", "back out: close the lookup, the caption, the violations, the lesson; back to the members"),
		Find:     bind([]string{"/"}, "/", "find", "members pane: jump to a node by name or ID; event log: show only the lines that match"),
		Expand:   bind([]string{"enter"}, "enter", "open", "event log: open the line under the cursor or a burst; caption pane: the lesson's next step"),

		Origin: bind([]string{"enter"}, "", "", "make the selected node the origin of get/set/del"),
		Random: bind([]string{"r"}, "r", "origin", "pick a random live member as the origin"),
		Get:    bind([]string{"g"}, "g/s/d", "get/set/del", "get a key through the origin; the path is drawn hop by hop"),
		Set:    bind([]string{"s"}, "", "", "set a key (first word) to a value (the rest) through the origin"),
		Del:    bind([]string{"d"}, "", "", "delete a key through the origin"),

		NextHop: bind([]string{"."}, ".,", "hop", "show the lookup's next call (stops the animation)"),
		PrevHop: bind([]string{","}, "", "", "go back one call of the lookup (back to hop 0, the origin)"),
		Replay:  bind([]string{"R"}, "R", "replay", "replay the lookup hop by hop from hop 0"),
		Faster:  bind([]string{"-"}, "-+", "hop delay", "shorten the hop delay of lookup animations (faster)"),
		Slower:  bind([]string{"+", "="}, "", "", "lengthen the hop delay of lookup animations (slower)"),

		Kill:   bind([]string{"x"}, "x", "kill", "kill the selected node (crash: sockets closed, state lost)"),
		Revive: bind([]string{"v"}, "v", "revive", "revive the selected node (down or left) into the ring"),
		Leave:  bind([]string{"l"}, "l", "leave", "the selected node leaves gracefully (hands its keys over)"),
		Pause:  bind([]string{"p"}, "p", "pause", "pause / resume the selected node (it stops answering)"),
		Add:    bind([]string{"a"}, "a", "add", "add a node"),

		Maintenance: bind([]string{"space"}, "space", "pause maint.", "pause / resume maintenance on every node (step mode)"),
		Stabilize:   bind([]string{"1"}, "1-4", "step", "step: one stabilize round (with notify and rectify) on the step target, told in the caption pane"),
		FixFingers:  bind([]string{"2"}, "", "", "step: one fix_fingers round (one finger refreshed) on the step target"),
		CheckPred:   bind([]string{"3"}, "", "", "step: one check_predecessor round on the step target"),
		Repair:      bind([]string{"4"}, "", "", "step: one key-repair round on the step target"),
		Step:        bind([]string{"n"}, "n", "all tasks", "step: one round of every task on the step target"),
		StepTarget:  bind([]string{"e"}, "e", "target", "switch the step target: the selected node, or every live node"),
		Lesson:      bind([]string{"right"}, "→", "next", "lesson: show the next narration or run the next command"),

		Fingers:      bind([]string{"c"}, "c", "fingers", "node pane: the finger table as the paper draws it (k, start, interval), or in runs"),
		Arrows:       bind([]string{"w"}, "w", "arrows", "show / hide every node's successor pointer on the ring"),
		Violations:   bind([]string{"!"}, "!", "violations", "show / hide the invariant violations and the ways the ring is not yet ideal"),
		Output:       bind([]string{"o"}, "o", "output", "show the last long command output again"),
		Ticks:        bind([]string{"t"}, "", "", "show / hide keys as ticks on the ring"),
		LookupEvents: bind([]string{"f"}, "", "", "show / hide the nodes' lookup events in the event log"),
		Mine:         bind([]string{"m"}, "m", "node's events", "event log: only the selected node's lines, or every line"),

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

		CloseHelp:   bind([]string{"esc", "?", "q", "enter"}, "esc", "close", "close this help"),
		HelpDown:    bind([]string{"down", "j", "space", "pgdown"}, "↓", "scroll", "scroll this help (or the output view) down"),
		HelpUp:      bind([]string{"up", "k", "pgup"}, "↑", "back", "scroll this help (or the output view) up"),
		CloseOutput: bind([]string{"esc", "q", "enter", "o"}, "esc", "close", "close the output view"),
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
			&km.NextPane, &km.PrevPane, &km.Back, &km.Find, &km.Expand}},
		{"keys and lookups", []*binding{&km.Origin, &km.Random, &km.Get, &km.Set, &km.Del,
			&km.NextHop, &km.PrevHop, &km.Replay, &km.Faster, &km.Slower}},
		{"faults", []*binding{&km.Kill, &km.Revive, &km.Leave, &km.Pause, &km.Add}},
		{"maintenance and step mode", []*binding{&km.Maintenance, &km.Stabilize, &km.FixFingers, &km.CheckPred,
			&km.Repair, &km.Step, &km.StepTarget, &km.Lesson}},
		{"view", []*binding{&km.Fingers, &km.Arrows, &km.Violations, &km.Output, &km.Ticks, &km.LookupEvents, &km.Mine,
			&km.Command, &km.Help, &km.Quit, &km.Interrupt}},
		{"prompts (: g/s/d and /)", []*binding{&km.Run, &km.Complete, &km.Cancel, &e.HistoryPrev, &e.HistoryNext,
			&e.Left, &e.Right, &e.Start, &e.End, &e.Backspace, &e.Delete, &e.KillStart, &e.KillEnd, &e.KillWord}},
		{"this help and the output view", []*binding{&km.CloseHelp, &km.HelpDown, &km.HelpUp, &km.CloseOutput}},
	}
}

// main lists the main screen's bindings, for telling a disabled key's
// reason.
func (km *keyMap) main() []*binding {
	return []*binding{&km.Up, &km.Down, &km.PageUp, &km.PageDown, &km.Top, &km.Bottom, &km.NextPane,
		&km.PrevPane, &km.Back, &km.Find, &km.Expand, &km.Origin, &km.Random, &km.Get, &km.Set, &km.Del,
		&km.NextHop, &km.PrevHop, &km.Replay, &km.Faster, &km.Slower, &km.Kill, &km.Revive,
		&km.Leave, &km.Pause, &km.Add, &km.Maintenance, &km.Stabilize, &km.FixFingers, &km.CheckPred, &km.Repair,
		&km.Step, &km.StepTarget, &km.Lesson, &km.Fingers, &km.Arrows, &km.Violations, &km.Output,
		&km.Ticks, &km.LookupEvents, &km.Mine, &km.Command, &km.Help, &km.Quit}
}

// hintState is what the hint bar's order follows.
type hintState struct {
	lesson, lookup, paused, log bool
}

// hints returns the hint bar's bindings in mode md: head as room allows,
// then tail, which always shows. What the moment calls for comes first: a
// lesson's next step, a lookup's hops, the step keys while maintenance is
// paused, the log's keys when it has the focus.
func (km *keyMap) hints(md mode, hs hintState) (head, tail []key.Binding) {
	switch md {
	case modeCommand, modeKey:
		return []key.Binding{km.Run.Binding, km.Complete.Binding, km.Edit.HistoryPrev.Binding}, []key.Binding{km.Cancel.Binding}
	case modeFind, modeSearch:
		return []key.Binding{km.Run.Binding}, []key.Binding{km.Cancel.Binding}
	case modeHelp:
		return []key.Binding{km.HelpDown.Binding, km.HelpUp.Binding}, []key.Binding{km.CloseHelp.Binding}
	case modeOutput:
		head = []key.Binding{km.HelpDown.Binding, km.HelpUp.Binding}
		if hs.lesson {
			head = append(head, km.Lesson.Binding)
		}
		return head, []key.Binding{km.CloseOutput.Binding}
	}
	var b []key.Binding
	if hs.lesson {
		b = append(b, km.Lesson.Binding)
	}
	b = append(b, km.Command.Binding)
	if hs.lookup {
		b = append(b, km.NextHop.Binding, km.Replay.Binding, km.Faster.Binding)
	}
	steps := []key.Binding{km.Stabilize.Binding, km.Step.Binding, km.StepTarget.Binding}
	if hs.paused {
		b = append(b, km.Maintenance.Binding)
		b = append(b, steps...)
	}
	if hs.log {
		b = append(b, km.Expand.Binding, km.Find.Binding, km.Mine.Binding)
	}
	b = append(b, km.Up.Binding, km.Kill.Binding, km.Revive.Binding, km.Pause.Binding, km.Get.Binding, km.Violations.Binding)
	if !hs.paused {
		b = append(b, km.Maintenance.Binding)
		b = append(b, steps...)
	}
	b = append(b, km.Leave.Binding, km.Add.Binding, km.Fingers.Binding, km.Arrows.Binding, km.Output.Binding,
		km.Random.Binding, km.NextPane.Binding)
	if !hs.log {
		b = append(b, km.Find.Binding)
	}
	return b, []key.Binding{km.Help.Binding, km.Quit.Binding}
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
