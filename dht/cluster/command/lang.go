package command

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/chordtui/chordtui/dht/cluster"
)

// Errors of the command language. Every error in a Result, and every error
// Parse and Help return, wraps one of these or one of the cluster's
// sentinels (cluster.ErrUnknownNode, cluster.ErrNodeState, …); test with
// errors.Is.
var (
	// ErrSyntax: the line could not be split into words (an unterminated quote).
	ErrSyntax = errors.New("syntax error")
	// ErrUnknownCommand: the first word names no command.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrUsage: wrong number or kind of arguments. It is
	// cluster.ErrBadArgument itself: a bad argument is a usage error whether
	// the parser or the cluster finds it.
	ErrUsage = cluster.ErrBadArgument
	// ErrViolations: check found invariant violations.
	ErrViolations = errors.New("invariant violated")
)

// langError is an error with a user-facing message that wraps a sentinel.
type langError struct {
	msg  string
	kind error
}

func (e *langError) Error() string { return e.msg }
func (e *langError) Unwrap() error { return e.kind }

// errorf builds an error whose text is the formatted message and which
// wraps kind for errors.Is.
func errorf(kind error, format string, args ...any) error {
	return &langError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// CommandInfo describes one command of the command language.
type CommandInfo struct {
	Name    string
	Usage   string // e.g. "get K [via NODE]"
	Summary string // one line
}

// argKind says what a positional argument is, for completion and checks.
type argKind int

const (
	argText argKind = iota
	argNode
	argChoice
	argCommand
	argTunable
	argStep // a step TASK, or (if no task) the NODE
	argFile
)

// commandSpec is one row of the command table.
type commandSpec struct {
	CommandInfo
	// args names the positional arguments for messages ("K", "V").
	args []string
	// min and max bound the positional arguments; max < 0 means no limit.
	min, max int
	// kinds gives the kind of each positional argument; the last repeats.
	kinds []argKind
	// via allows a trailing "via NODE".
	via bool
	// choices are the allowed values of an argChoice argument.
	choices []string
	// details is the longer help text.
	details string
	// brief, when set, stands for Usage in the list of all commands, so
	// that one long synopsis does not widen every line.
	brief string
}

func (s commandSpec) kindAt(i int) argKind {
	if len(s.kinds) == 0 {
		return argText
	}
	if i >= len(s.kinds) {
		return s.kinds[len(s.kinds)-1]
	}
	return s.kinds[i]
}

// commandTable lists every command, in the order help shows them.
var commandTable = []commandSpec{
	{CommandInfo: CommandInfo{"set", "set K V [via NODE]", "store value V under key K"},
		args: []string{"K", "V"}, min: 2, max: 2, via: true,
		details: "The write goes to the owner of K and its replicas; prints the owner and the lookup's hop count.\nQuote values with spaces: set greeting \"hello world\"."},
	{CommandInfo: CommandInfo{"get", "get K [via NODE]", "read key K"},
		args: []string{"K"}, min: 1, max: 1, via: true,
		details: "Prints the value, the owner and the hop count; a missing key is not an error (found: false)."},
	{CommandInfo: CommandInfo{"del", "del K [via NODE]", "delete key K"},
		args: []string{"K"}, min: 1, max: 1, via: true,
		details: "Writes a versioned tombstone to the owner and its replicas; says when K was absent."},
	{CommandInfo: CommandInfo{"lookup", "lookup K [via NODE]", "find the owner of key K and show the path"},
		args: []string{"K"}, min: 1, max: 1, via: true,
		details: "K is hashed like a key. The origin is hop 0; every call it made is a hop, 1…k, with the\nrouting entry that named the node and why, failed calls marked ✗; then how the owner was\nfound live. \"N hops\" counts the calls that answered, \"M failed calls\" the others."},
	{CommandInfo: CommandInfo{"put", "put LOCAL PATH", "copy the local file LOCAL into the ring's file system as PATH"},
		args: []string{"LOCAL", "PATH"}, min: 2, max: 2, kinds: []argKind{argFile, argText},
		details: "The file is cut into 256 KiB blocks stored under the hash of their contents, then an inode\nlists them and the directory names it: a file already at PATH is replaced at once, and a\nput that fails leaves nothing. PATH's directory must exist (mkdir); files up to 1 GiB.\nThe file system is also mounted with chordtui mount, or --mount on the UI and the REPL."},
	{CommandInfo: CommandInfo{"cat", "cat PATH", "print a file of the ring's file system (its first MiB)"},
		args: []string{"PATH"}, min: 1, max: 1},
	{CommandInfo: CommandInfo{"ls", "ls [PATH]", "list a directory of the ring's file system (default /)"},
		args: []string{"PATH"}, min: 0, max: 1},
	{CommandInfo: CommandInfo{"mkdir", "mkdir PATH", "create a directory in the ring's file system"},
		args: []string{"PATH"}, min: 1, max: 1},
	{CommandInfo: CommandInfo{"rm", "rm PATH", "remove a file, or an empty directory, of the ring's file system"},
		args: []string{"PATH"}, min: 1, max: 1,
		details: "The inode and the directory entry go at once; the blocks are collected later, once no\nreader can still need them."},
	{CommandInfo: CommandInfo{"stat", "stat PATH", "show a file's or directory's size, mode, time, inode and version"},
		args: []string{"PATH"}, min: 1, max: 1},
	{CommandInfo: CommandInfo{"where", "where PATH", "show which nodes hold a file's inode and blocks"},
		args: []string{"PATH"}, min: 1, max: 1,
		details: "Every key of the file — its inode, its index blocks for a large file, each data block —\nwith its owner and the live nodes holding a copy, and what each node holds in all."},
	{CommandInfo: CommandInfo{"random", "random", "pick a random live member as the default origin"},
		details: "get/set/del/lookup without \"via\" start at the default origin (initially n0)."},
	{CommandInfo: CommandInfo{"origin", "origin [NODE]", "show the default origin, or make NODE (a live member) the default origin"},
		args: []string{"NODE"}, min: 0, max: 1, kinds: []argKind{argNode},
		details: "get/set/del/lookup without \"via\" start at the default origin (initially n0)."},
	{CommandInfo: CommandInfo{"kill", "kill NODE", "crash a node (sockets closed, memory lost)"},
		args: []string{"NODE"}, min: 1, max: 1, kinds: []argKind{argNode}},
	{CommandInfo: CommandInfo{"revive", "revive NODE", "restart a crashed or departed node, same address and ID, empty memory"},
		args: []string{"NODE"}, min: 1, max: 1, kinds: []argKind{argNode},
		details: "The new incarnation joins through a live member on its side of any partition; with none\nleft it starts a new ring (and says whether every key was lost)."},
	{CommandInfo: CommandInfo{"add", "add [COUNT]", "start COUNT new nodes (default 1) and join them"},
		args: []string{"COUNT"}, min: 0, max: 1,
		details: "New nodes continue the numbering and join concurrently through live members (side A of a\npartition); with none left the first starts a new ring. Fails at once when every identifier\nof the ring is taken."},
	{CommandInfo: CommandInfo{"leave", "leave NODE", "make a node leave gracefully (hands its keys on)"},
		args: []string{"NODE"}, min: 1, max: 1, kinds: []argKind{argNode}},
	{CommandInfo: CommandInfo{"pause", "pause NODE", "freeze a node: sockets stay open, it never answers"},
		args: []string{"NODE"}, min: 1, max: 1, kinds: []argKind{argNode}},
	{CommandInfo: CommandInfo{"resume", "resume NODE", "unfreeze a paused node"},
		args: []string{"NODE"}, min: 1, max: 1, kinds: []argKind{argNode}},
	{CommandInfo: CommandInfo{"partition", "partition NODE…", "cut the given nodes off from the rest"},
		args: []string{"NODE…"}, min: 1, max: -1, kinds: []argKind{argNode},
		details: "Calls between the group and the other nodes fail; heal undoes it. The group is side B, the\nothers side A: wait and check judge each side as a ring of its own. A partition replaces\nthe one in force, if any: there is one partition at a time."},
	{CommandInfo: CommandInfo{"heal", "heal", "remove the partition"}},
	{CommandInfo: CommandInfo{"delay", "delay NODE DURATION", "add DURATION to every call to or from a node (0 removes it)"},
		args: []string{"NODE", "DURATION"}, min: 2, max: 2, kinds: []argKind{argNode, argText},
		details: "DURATION is a Go duration: 20ms, 1.5s, 0."},
	{CommandInfo: CommandInfo{"drop", "drop NODE PERCENT", "drop PERCENT of the calls to or from a node"},
		args: []string{"NODE", "PERCENT"}, min: 2, max: 2, kinds: []argKind{argNode, argText},
		details: "PERCENT is 0..100 (a trailing % is allowed)."},
	{CommandInfo: CommandInfo{"wait", "wait [TIMEOUT]", "wait until the ring is stable; print how long it took"},
		args: []string{"TIMEOUT"}, min: 0, max: 1,
		details: "Stable: every live node in one ideal ring, fingers correct, every key at exactly r copies\non the right nodes, held while every node ran a round of each maintenance task. Under a\npartition each side is judged on its own. Prints the seconds from the last fault taking\neffect to the ring first meeting the condition (with maintenance paused since before the\nfault, the steps it took instead); fails after TIMEOUT (default 30s), or at once while\nmaintenance is paused and the ring is not stable."},
	{CommandInfo: CommandInfo{"check", "check", "check Zave's invariants now: ok or each violation"},
		details: "Checks invariants 1–8 (docs/chord.md) over the live nodes' current state, each side of a\npartition as a ring of its own. Below r+1 live nodes invariant 8 cannot hold: a note says so."},
	{CommandInfo: CommandInfo{"nodes", "nodes", "list the nodes: name, ID, address, state, keys"}},
	{CommandInfo: CommandInfo{"node", "node NODE [table|runs]", "show one node: predecessor, successor list, fingers, keys"},
		args: []string{"NODE", "table|runs"}, min: 1, max: 2, kinds: []argKind{argNode, argChoice},
		choices: []string{"table", "runs"},
		details: "The fingers as the paper's table (k, start = n + 2^(k−1), interval [start, next start),\nnode; ✗ marks a finger that is not the first live node at or after its start), or collapsed\nto runs of fingers that point at the same node. Default: the table when m ≤ 10, else runs."},
	{CommandInfo: CommandInfo{"keys", "keys NODE", "list the keys a node stores"},
		args: []string{"NODE"}, min: 1, max: 1, kinds: []argKind{argNode}},
	{CommandInfo: CommandInfo{"stats", "stats", "RPC and lookup counters per node"}},
	{CommandInfo: CommandInfo{"workload", workloadUsage, "run many gets and sets at once and report throughput, latency, errors and stale reads"},
		args: []string{"get|set|mix PCT", "N", "keys"}, min: 1, max: -1, via: true,
		brief:   "workload get|set|mix PCT N keys …",
		details: "Clients (8 by default) run operations on N keys (named wk-0 …) until DURATION passes (10s by\ndefault) or COUNT operations were made: gets (after writing every key once), sets, or a mix\nwith PCT% gets. Keys are chosen uniformly or by Zipf popularity (wk-0 the most popular, rank i\nwith probability ∝ 1/i^α); rate caps the operations per second; each starts at a random\nlive node (via random, the default) or at NODE. Every get is checked against the newest write\nacknowledged before it began: an older value is a stale read. Prints ops/s, latency\npercentiles, errors, hops and what each node served. \"workload stop\" ends a running one\n(in the TUI also W); in the REPL ctrl-c does.\nExample: workload get 10000 keys zipf 1.0 for 10s via random"},
	{CommandInfo: CommandInfo{"load", "load", "keys, requests and routing load per node, with their spread"},
		details: "Per node: keys owned and held as replicas, bytes, requests served (gets and sets it\nanswered as owner or stand-in, reads of its copy, writes pushed to it as a replica) and\nrouting load (lookup steps it answered for other nodes), in total and per second over the\nload window (10 s). Then, over the live nodes, each load's mean, maximum (in means) and\n1st and 99th percentiles."},
	{CommandInfo: CommandInfo{"resp", "resp", "the Redis-protocol endpoint: address, node, clients, requests, errors"},
		details: "Started with --resp ADDR (and --resp-via NODE, --resp-idle, --resp-max-clients): redis-cli,\nredis-benchmark and Redis client libraries read and write the DHT through it, every command\ngoing through one node (the default origin unless --resp-via names one; while that node is\nnot alive, through the default origin or the first live member). Shows the node commands go\nthrough now, the clients, and the requests and error replies, in all and in the last second."},
	{CommandInfo: CommandInfo{"maintenance", "maintenance pause|resume|step", "pause, resume or single-step the maintenance rounds"},
		args: []string{"pause|resume|step"}, min: 1, max: 1, kinds: []argKind{argChoice},
		choices: []string{"pause", "resume", "step"},
		details: "step runs one round of every task (stabilize, fix fingers, check predecessor, repair)\non every live node, in name order; the step command does the same and says what each\nround did."},
	{CommandInfo: CommandInfo{"step", "step [TASK] [NODE]", "run one maintenance round and say what it did (pauses maintenance)"},
		args: []string{"TASK", "NODE"}, min: 0, max: 2, kinds: []argKind{argStep, argNode},
		details: "TASK is stabilize (notify: the notification rides on stabilize), fix_fingers,\ncheck_predecessor, repair or all (the default); without NODE every live node runs it, in\nname order. Each round is told in words, with the pointers and keys it changed. Running\nmaintenance is paused first; while it stays paused, wait and the status count convergence\nin steps (\"converged after 7 steps\")."},
	{CommandInfo: CommandInfo{"source", "source FILE", "run the commands of FILE, a script or lesson (# lines are narration)"},
		args: []string{"FILE"}, min: 1, max: 1, kinds: []argKind{argFile},
		details: "Every line is checked first; then the commands run in order, each shown with its output,\nthe # lines between them as narration. The first command that fails stops the script and\nnames its line."},
	{CommandInfo: CommandInfo{"config", "config [NAME VALUE]", "list the live tunables, or change one"},
		args: []string{"NAME", "VALUE"}, min: 0, max: 2, kinds: []argKind{argTunable, argText}},
	{CommandInfo: CommandInfo{"help", "help [CMD]", "list the commands, or explain one"},
		args: []string{"CMD"}, min: 0, max: 1, kinds: []argKind{argCommand}},
	{CommandInfo: CommandInfo{"quit", "quit", "stop the cluster and exit"}},
}

var specByName = func() map[string]*commandSpec {
	m := make(map[string]*commandSpec, len(commandTable))
	for i := range commandTable {
		m[commandTable[i].Name] = &commandTable[i]
	}
	return m
}()

// Commands lists every command of the language, for help screens.
func Commands() []CommandInfo {
	out := make([]CommandInfo, len(commandTable))
	for i, s := range commandTable {
		out[i] = s.CommandInfo
	}
	return out
}

// Help returns the help text of one command, or of all when name is "".
func Help(name string) (string, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		var b strings.Builder
		b.WriteString("commands (NODE is a name like n3 or N8, an identifier (decimal when m ≤ 10, else a hex\nprefix), or host:port):\n")
		usage := func(s commandSpec) string {
			if s.brief != "" {
				return s.brief
			}
			return s.Usage
		}
		width := 0
		for _, s := range commandTable {
			width = max(width, len([]rune(usage(s))))
		}
		for _, s := range commandTable {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, usage(s), s.Summary)
		}
		b.WriteString("lines starting with # are comments; quote values with spaces")
		return b.String(), nil
	}
	s, ok := specByName[name]
	if !ok {
		return "", unknownCommand(name)
	}
	text := "usage: " + s.Usage + "\n" + s.Summary
	if s.details != "" {
		text += "\n" + s.details
	}
	if name == "config" {
		text += "\ntunables:"
		for _, t := range cluster.KnownTunables() {
			text += fmt.Sprintf("\n  %-12s %s", t.Name, t.Summary)
		}
	}
	return text, nil
}

// unknownCommand builds the error for a first word that names no command,
// with the closest command name as a hint.
func unknownCommand(name string) error {
	if s := suggest(name, commandNames()); s != "" {
		return errorf(ErrUnknownCommand, "unknown command %s — did you mean %q? (help lists commands)", quote(name), s)
	}
	return errorf(ErrUnknownCommand, "unknown command %s (help lists commands)", quote(name))
}

func commandNames() []string {
	out := make([]string, len(commandTable))
	for i, s := range commandTable {
		out[i] = s.Name
	}
	return out
}

// Suggest is suggest for callers outside the command language (the
// command line's subcommands and flags), so every "did you mean" agrees.
func Suggest(word string, candidates []string) string { return suggest(word, candidates) }

// suggest returns the candidate closest to word (by edit distance, or by
// prefix), or "" if none is close enough to be a likely typo.
func suggest(word string, candidates []string) string {
	best, bestD := "", 1<<30
	n := utf8.RuneCountInString(word)
	for _, c := range candidates {
		if n > utf8.RuneCountInString(c)+2 {
			continue // at least n−len(c) edits apart: no likely typo
		}
		d := editDistance(word, c)
		if strings.HasPrefix(c, word) && word != "" {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len([]rune(word)) <= 3 {
		limit = 1
		if len([]rune(word)) == 3 {
			limit = 2 // transpositions such as "gte" count as two edits
		}
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Command is one parsed line of the command language.
type Command struct {
	// Name is the command ("" for a blank or comment-only line).
	Name string
	// Args are the positional arguments, quotes removed.
	Args []string
	// Via is the NODE after "via", or "".
	Via string
}

// Parse splits line into words and checks it against the command table:
// the command exists and has the right number of arguments. Node names are
// resolved later, by the cluster, against its members.
func Parse(line string) (Command, error) {
	words, err := Tokenize(line)
	if err != nil {
		return Command{}, err
	}
	if len(words) == 0 {
		return Command{}, nil
	}
	name := strings.ToLower(words[0])
	spec, ok := specByName[name]
	if !ok {
		return Command{}, unknownCommand(words[0])
	}
	cmd := Command{Name: name, Args: words[1:]}
	if spec.via && len(cmd.Args) >= 2 && strings.EqualFold(cmd.Args[len(cmd.Args)-2], "via") && len(cmd.Args)-2 >= spec.min {
		cmd.Via = cmd.Args[len(cmd.Args)-1]
		cmd.Args = cmd.Args[:len(cmd.Args)-2]
	}
	if n := len(cmd.Args); n < spec.min || (spec.max >= 0 && n > spec.max) {
		return Command{}, arityError(spec, n)
	}
	for i, a := range cmd.Args {
		if spec.kindAt(i) == argChoice && !slices.Contains(spec.choices, strings.ToLower(a)) {
			return Command{}, errorf(ErrUsage, "%s: %s is not one of %s — usage: %s",
				name, quote(a), strings.Join(spec.choices, ", "), spec.Usage)
		}
	}
	if name == "step" && len(cmd.Args) == 2 {
		if _, ok := cluster.ParseTask(cmd.Args[0]); !ok {
			return Command{}, errorf(ErrUsage, "step: %s is not a task — tasks are %s or all; usage: %s",
				quote(cmd.Args[0]), strings.Join(cluster.StepTasks(), ", "), spec.Usage)
		}
	}
	return cmd, nil
}

func arityError(spec *commandSpec, got int) error {
	var want string
	switch {
	case spec.max == 0:
		want = "no arguments"
	case spec.min == spec.max:
		want = Plural(spec.min, "argument")
	case spec.max < 0:
		want = "at least " + Plural(spec.min, "argument")
	case got > spec.max:
		want = "at most " + Plural(spec.max, "argument")
	default:
		want = fmt.Sprintf("%d to %d arguments", spec.min, spec.max)
	}
	names := ""
	if len(spec.args) > 0 {
		names = " (" + strings.Join(spec.args, " ") + ")"
	}
	return errorf(ErrUsage, "%s: wants %s%s, got %d — usage: %s", spec.Name, want, names, got, spec.Usage)
}

// Tokenize splits line into words like a POSIX shell, without expansions:
// words are separated by blanks; 'single quotes' keep everything literally;
// "double quotes" allow \" and \\ escapes; a backslash outside quotes keeps
// the next character (at the end of the line, itself); # at the start of a
// word begins a comment. Every byte that is not one of these is kept as it
// is, invalid UTF-8 included: keys and values are bytes.
func Tokenize(line string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	column := func(i int) int { return utf8.RuneCountInString(line[:i]) + 1 }
	for i := 0; i < len(line); i++ {
		b := line[i]
		switch {
		case b == ' ' || b == '\t' || b == '\r' || b == '\n':
			flush()
		case b == '#' && !inWord:
			return words, nil
		case b == '\\':
			inWord = true
			if i+1 < len(line) { // else a trailing backslash is kept, as sh keeps it
				i++
			}
			cur.WriteByte(line[i]) // the rest of a multi-byte rune follows as is
		case b == '\'':
			inWord = true
			quoteAt := i
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errorf(ErrSyntax, "unterminated ' quote at column %d", column(quoteAt))
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += 1 + j
		case b == '"':
			inWord = true
			quoteAt := i
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' && j+1 < len(line) && (line[j+1] == '"' || line[j+1] == '\\') {
					j++
				}
				cur.WriteByte(line[j])
			}
			if j >= len(line) {
				return nil, errorf(ErrSyntax, "unterminated \" quote at column %d", column(quoteAt))
			}
			i = j
		default:
			inWord = true
			cur.WriteByte(b)
		}
	}
	flush()
	return words, nil
}

// Complete returns the completions of the last word of line: command names
// for the first word, node names (from names) where a NODE is expected.
// Each completion is the whole last word, sorted.
func Complete(line string, names []string) []string {
	words, err := Tokenize(line)
	if err != nil {
		return nil
	}
	endsInSpace := line == "" || strings.ContainsAny(line[len(line)-1:], " \t")
	if endsInSpace || len(words) == 0 {
		words = append(words, "")
	}
	last := words[len(words)-1]
	pos := len(words) - 1 // index of the word being completed
	if pos == 0 {
		return withPrefix(commandNames(), strings.ToLower(last))
	}
	spec, ok := specByName[strings.ToLower(words[0])]
	if !ok {
		return nil
	}
	if spec.via && pos >= 2 && strings.EqualFold(words[pos-1], "via") {
		return nodesWithPrefix(names, last)
	}
	argIdx := pos - 1
	if spec.max >= 0 && argIdx >= spec.max {
		if spec.via && argIdx == spec.max {
			return withPrefix([]string{"via"}, last)
		}
		return nil
	}
	switch spec.kindAt(argIdx) {
	case argNode:
		return nodesWithPrefix(names, last)
	case argChoice:
		return withPrefix(spec.choices, strings.ToLower(last))
	case argCommand:
		return withPrefix(commandNames(), strings.ToLower(last))
	case argTunable:
		return withPrefix(tunableNames(), strings.ToLower(last))
	case argStep:
		return append(withPrefix(append(cluster.StepTasks(), cluster.TaskAll), strings.ToLower(last)), nodesWithPrefix(names, last)...)
	}
	return nil
}

// nodesWithPrefix keeps the caller's order (n0, n1, …, n10), which a plain
// string sort would scramble.
func nodesWithPrefix(names []string, prefix string) []string {
	var out []string
	for _, s := range names {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func withPrefix(list []string, prefix string) []string {
	var out []string
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func tunableNames() []string {
	ts := cluster.KnownTunables()
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// quote quotes a word of the input for a message, cut short with its
// length when it is long (cluster.QuoteKey), so that no error echoes a
// huge argument.
func quote(s string) string { return cluster.QuoteKey(s) }

// Plural writes a count with its noun: "1 hop", "2 hops", "0 keys".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
