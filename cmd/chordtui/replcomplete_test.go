package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// fakeSource is a cluster as Tab sees it: names, and the keys each node
// stores.
type fakeSource struct {
	names []string
	keys  map[string][]cluster.KeyEntry
}

func (f fakeSource) Names() []string { return f.names }

func (f fakeSource) Keys(node string) (cluster.KeyList, error) {
	if !slices.Contains(f.names, node) {
		return cluster.KeyList{}, fmt.Errorf("keys: unknown node %q", node)
	}
	return cluster.KeyList{Node: node, Running: true, Keys: f.keys[node]}, nil
}

func TestREPLComplete(t *testing.T) {
	var names []string
	for i := range 12 {
		names = append(names, fmt.Sprintf("n%d", i))
	}
	src := fakeSource{names: names, keys: map[string][]cluster.KeyEntry{
		"n0": {{Key: "greeting"}, {Key: "a b"}, {Key: "it's"}, {Key: "gone", Deleted: true}},
		"n5": {{Key: "greeting"}, {Key: "grape"}, {Key: `say "hi"`}, {Key: "#tag"}, {Key: "two\nlines"}},
	}}
	tests := []struct {
		line  string
		want  []string // what each candidate adds at the cursor
		typed int      // runes of the word being completed
	}{
		{"ki", []string{"ll "}, 2},
		{"KI", []string{"ll "}, 2},
		{"he", []string{"al ", "lp "}, 2},
		{"kill n1", []string{" ", "0 ", "1 "}, 2},
		{"kill ", []string{"n0 ", "n1 ", "n2 ", "n3 ", "n4 ", "n5 ", "n6 ", "n7 ", "n8 ", "n9 ", "n10 ", "n11 "}, 0},
		{"partition n2 n1", []string{" ", "0 ", "1 "}, 2},
		{"maintenance p", []string{"ause "}, 1},
		{"config rpc", []string{"-timeout "}, 3},
		{"help ki", []string{"ll "}, 2},
		{"get gr", []string{"ape ", "eeting "}, 2},
		{"lookup gree", []string{"ting "}, 4},
		{"get go", nil, 0},                     // deleted keys are not offered
		{"get a", []string{`\ b `}, 1},         // escaped so that it reads back as one word
		{"get 'a", []string{" b' "}, 2},        // inside an open quote
		{`get "s`, []string{`ay \"hi\"" `}, 2}, // inside double quotes
		{"get 'it", nil, 0},                    // a ' cannot be written inside '…'
		{"get it", []string{`\'s `}, 2},        // but can be escaped
		{"get ", []string{`\#tag `, `a\ b `, "grape ", "greeting ", `it\'s `, `say\ \"hi\" `}, 0},
		{"get k ", []string{"via "}, 0},
		{"get k via n1", []string{" ", "0 ", "1 "}, 2},
		{"set gr", []string{"ape ", "eeting "}, 2},
		{"set k ", nil, 0}, // a value: nothing to offer
		{"nodes ", nil, 0},
		{"# ki", nil, 0},
		{"bogus ", nil, 0},
	}
	known := map[string]bool{"via": true, "pause": true, "resume": true, "step": true}
	for _, info := range command.Commands() {
		known[info.Name] = true
	}
	for _, tn := range cluster.KnownTunables() {
		known[tn.Name] = true
	}
	for _, n := range names {
		known[n] = true
	}
	for _, list := range src.keys {
		for _, e := range list {
			known[e.Key] = true
		}
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			c := newREPLCompleter(src)
			got := c.complete(tt.line)
			if !slices.Equal(got.suffixes, tt.want) {
				t.Errorf("complete(%q) adds %q, want %q", tt.line, got.suffixes, tt.want)
			}
			if len(tt.want) > 0 && got.typed != tt.typed {
				t.Errorf("complete(%q) completes %d typed runes, want %d", tt.line, got.typed, tt.typed)
			}
			// What Tab adds must read back as one whole word the cluster
			// knows, the one being typed.
			for _, suffix := range got.suffixes {
				line := tt.line + suffix
				words, err := command.Tokenize(line)
				if err != nil || len(words) == 0 {
					t.Fatalf("%q does not tokenize: %v", line, err)
				}
				if w := words[len(words)-1]; !known[strings.ToLower(w)] && !known[w] {
					t.Errorf("%q ends in %q, not a command, node, key or choice", line, w)
				}
			}
		})
	}
}

// TestREPLCompleteSessionKeys: a key set in this session is offered even
// when no node stores it (its nodes died), until it is deleted.
func TestREPLCompleteSessionKeys(t *testing.T) {
	c := newREPLCompleter(fakeSource{names: []string{"n0"}})
	set := command.Result{Cmd: "set", OK: true, Data: cluster.WriteResult{Key: "mine"}}
	failed := command.Result{Cmd: "set", Data: cluster.WriteResult{Key: "never"}}
	c.Observe(set)
	c.Observe(failed)
	if got := c.complete("get ").suffixes; !slices.Equal(got, []string{"mine "}) {
		t.Fatalf("after set mine: get offers %q, want [mine ]", got)
	}
	c.Observe(command.Result{Cmd: "del", OK: true, Data: cluster.WriteResult{Key: "mine"}})
	if got := c.complete("get ").suffixes; len(got) != 0 {
		t.Fatalf("after del mine: get offers %q, want nothing", got)
	}
}

// TestREPLCompleteManyKeys: with more keys than a screen can list, Tab
// adds only what they all share.
func TestREPLCompleteManyKeys(t *testing.T) {
	var keys []cluster.KeyEntry
	for i := range maxKeyCandidates + 50 {
		keys = append(keys, cluster.KeyEntry{Key: fmt.Sprintf("key-%04d", i)})
	}
	c := newREPLCompleter(fakeSource{names: []string{"n0"}, keys: map[string][]cluster.KeyEntry{"n0": keys}})
	if got := c.complete("get k").suffixes; !slices.Equal(got, []string{"ey-0"}) {
		t.Errorf("get k adds %q, want only the shared [ey-0]", got)
	}
	if got := c.complete("get key-0").suffixes; len(got) != 0 {
		t.Errorf("get key-0 adds %q, want nothing (nothing more is shared)", got)
	}
	if got := c.complete("get key-01").suffixes; len(got) != 50 {
		t.Errorf("get key-01 offers %d keys, want the 50 it matches", len(got))
	}
}

// TestREPLCompleteOnCluster completes node names and a stored key from a
// real cluster on the in-memory network.
func TestREPLCompleteOnCluster(t *testing.T) {
	cfg := cluster.DefaultConfig()
	cfg.Nodes = 4
	cfg.Seed = 5
	cfg.Network = cluster.NewMemNetwork(5)
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	comp := newREPLCompleter(c)
	if res := command.Exec(context.Background(), c, "set greeting hello"); !res.OK {
		t.Fatal(res.Err)
	}
	if got := comp.complete("get gre").suffixes; !slices.Equal(got, []string{"eting "}) {
		t.Errorf("get gre adds %q, want [eting ]", got)
	}
	if got := comp.complete("kill n").suffixes; !slices.Equal(got, []string{"0 ", "1 ", "2 ", "3 "}) {
		t.Errorf("kill n adds %q, want the 4 names", got)
	}
}
