package cluster

// (API skeleton: the chordtui-binary issue replaces this file.)

// CommandInfo describes one command of the command language.
type CommandInfo struct {
	Name    string
	Usage   string // e.g. "get K [via NODE]"
	Summary string // one line
}

// Commands lists every command of the language, for help screens.
func Commands() []CommandInfo { return nil }

// Help returns the help text of one command, or of all when name is "".
func Help(name string) (string, error) { return "", nil }

// Complete returns the completions of the last word of line: command names
// for the first word, node names (from names) where a NODE is expected.
func Complete(line string, names []string) []string { return nil }
