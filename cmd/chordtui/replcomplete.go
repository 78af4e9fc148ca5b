package main

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// maxKeyCandidates bounds the keys one Tab lists; with more, Tab only
// extends the word by what they all share.
const maxKeyCandidates = 100

// completionSource is what Tab asks the cluster: its node names and the
// keys each node stores (*cluster.Cluster).
type completionSource interface {
	Names() []string
	Keys(node string) (cluster.KeyList, error)
}

// replCompleter completes the word before the cursor for the line editor:
// commands, node names, subcommand choices and tunables through
// command.Complete, and keys where a command takes K: the keys set in this
// session and those the nodes store.
type replCompleter struct {
	src completionSource

	mu   sync.Mutex
	keys map[string]bool // keys set in this session and not deleted since
}

func newREPLCompleter(src completionSource) *replCompleter {
	return &replCompleter{src: src, keys: map[string]bool{}}
}

// Observe records the key of a successful set, and forgets that of a
// successful del, so that Tab offers the keys this session holds.
func (c *replCompleter) Observe(res command.Result) {
	w, ok := res.Data.(cluster.WriteResult)
	if !res.OK || !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch res.Cmd {
	case "set":
		c.keys[w.Key] = true
	case "del":
		delete(c.keys, w.Key)
	}
}

// Do implements readline.AutoCompleter: the text each candidate adds at
// the cursor, and how many runes before the cursor they complete.
func (c *replCompleter) Do(line []rune, pos int) ([][]rune, int) {
	adds := c.complete(string(line[:pos]))
	out := make([][]rune, len(adds.suffixes))
	for i, s := range adds.suffixes {
		out[i] = []rune(s)
	}
	return out, adds.typed
}

// completion is what Tab adds after the word being typed: one suffix per
// candidate, and the length in runes of that word as typed.
type completion struct {
	suffixes []string
	typed    int
}

// complete completes the last word of before (the line up to the cursor).
// A word that is whole gets a space after it.
func (c *replCompleter) complete(before string) completion {
	words, last, ok := splitForCompletion(before)
	if !ok {
		return completion{}
	}
	typed := len([]rune(last.raw))
	if last.quote == 0 {
		var names []string
		if len(words) > 0 {
			names = c.src.Names()
		}
		// Commands, names, choices and tunables need no quoting.
		var suffixes []string
		for _, cand := range command.Complete(before, names) {
			if len(cand) >= len(last.value) && strings.EqualFold(cand[:len(last.value)], last.value) {
				suffixes = append(suffixes, cand[len(last.value):]+" ")
			}
		}
		if len(suffixes) > 0 {
			return completion{suffixes, typed}
		}
	}
	if !takesKey(words) {
		return completion{}
	}
	keys := c.keysWithPrefix(last.value)
	var suffixes []string
	for _, k := range keys {
		if s, ok := last.finish(k[len(last.value):]); ok {
			suffixes = append(suffixes, s)
		}
	}
	if len(suffixes) > maxKeyCandidates {
		// Too many to list: add what they all share, or nothing.
		shared := sharedPrefix(suffixes)
		if shared == "" {
			return completion{}
		}
		suffixes = []string{shared}
	}
	return completion{suffixes, typed}
}

// takesKey reports whether the word after words is a key: the argument the
// command's usage names K (get K, set K V, del K, lookup K).
func takesKey(words []string) bool {
	if len(words) == 0 {
		return false
	}
	for _, info := range command.Commands() {
		if strings.EqualFold(info.Name, words[0]) {
			usage := strings.Fields(info.Usage)
			return len(words) < len(usage) && usage[len(words)] == "K"
		}
	}
	return false
}

// keysWithPrefix returns, sorted, the keys starting with prefix that this
// session set or that a node stores (not deleted) and that can be typed
// on one line.
func (c *replCompleter) keysWithPrefix(prefix string) []string {
	seen := map[string]bool{}
	add := func(k string) {
		if strings.HasPrefix(k, prefix) && !strings.ContainsAny(k, "\r\n") {
			seen[k] = true
		}
	}
	c.mu.Lock()
	for k := range c.keys {
		add(k)
	}
	c.mu.Unlock()
	for _, name := range c.src.Names() {
		list, err := c.src.Keys(name)
		if err != nil {
			continue // a node removed since Names: nothing to offer
		}
		for _, e := range list.Keys {
			if !e.Deleted {
				add(e.Key)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sharedPrefix(list []string) string {
	p := list[0]
	for _, s := range list[1:] {
		for !strings.HasPrefix(s, p) {
			_, size := utf8.DecodeLastRuneInString(p)
			p = p[:len(p)-size]
		}
	}
	return p
}

// partialWord is the word being typed at the cursor, as command.Tokenize
// would read it so far.
type partialWord struct {
	raw   string // as typed, quotes and backslashes included
	value string // what it says so far
	quote rune   // the quote still open (' or "), or 0
}

// finish returns what completes the word with rest, written so that it
// reads back as typed (escaped or inside the open quote), and closes it
// with a space; false when rest cannot be written inside the open quote.
func (w partialWord) finish(rest string) (string, bool) {
	var b strings.Builder
	switch w.quote {
	case '\'':
		if strings.ContainsRune(rest, '\'') {
			return "", false
		}
		b.WriteString(rest + "'")
	case '"':
		for _, r := range rest {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	default:
		for i, r := range rest {
			if strings.ContainsRune(" \t'\"\\", r) || (r == '#' && i == 0 && w.raw == "") {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte(' ')
	return b.String(), true
}

// splitForCompletion splits line by command.Tokenize's rules into the
// finished words and the word being typed at its end (empty after a
// blank). ok is false inside a comment.
func splitForCompletion(line string) (words []string, last partialWord, ok bool) {
	var raw, value strings.Builder
	inWord := false
	var quote rune
	runes := []rune(line)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		if quote != 0 {
			raw.WriteRune(r)
			switch {
			case r == quote:
				quote = 0
			case quote == '"' && r == '\\' && i+1 < len(runes) && (runes[i+1] == '"' || runes[i+1] == '\\'):
				i++
				raw.WriteRune(runes[i])
				value.WriteRune(runes[i])
			default:
				value.WriteRune(r)
			}
			continue
		}
		switch {
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, value.String())
				raw.Reset()
				value.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			return nil, partialWord{}, false
		case r == '\\':
			inWord = true
			raw.WriteRune(r)
			if i+1 < len(runes) {
				i++
				raw.WriteRune(runes[i])
				value.WriteRune(runes[i])
			}
		case r == '\'' || r == '"':
			inWord = true
			quote = r
			raw.WriteRune(r)
		default:
			inWord = true
			raw.WriteRune(r)
			value.WriteRune(r)
		}
	}
	return words, partialWord{raw: raw.String(), value: value.String(), quote: quote}, true
}
