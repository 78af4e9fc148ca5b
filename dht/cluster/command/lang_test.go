package command

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		line string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"   \t ", nil, false},
		{"# just a comment", nil, false},
		{"get k", []string{"get", "k"}, false},
		{"  set  k   v  ", []string{"set", "k", "v"}, false},
		{`set greeting "hello world"`, []string{"set", "greeting", "hello world"}, false},
		{`set k 'it''s'`, []string{"set", "k", "its"}, false},
		{`set k 'a "b" c'`, []string{"set", "k", `a "b" c`}, false},
		{`set k "say \"hi\" \\ ok"`, []string{"set", "k", `say "hi" \ ok`}, false},
		{`set k "a\nb"`, []string{"set", "k", `a\nb`}, false},
		{`set k a\ b`, []string{"set", "k", "a b"}, false},
		{`set k v # trailing comment`, []string{"set", "k", "v"}, false},
		{`set k v#not-a-comment`, []string{"set", "k", "v#not-a-comment"}, false},
		{`set k "#quoted"`, []string{"set", "k", "#quoted"}, false},
		{`set k ""`, []string{"set", "k", ""}, false},
		{`set "" v`, []string{"set", "", "v"}, false},
		{`set k "héllo wörld ☃"`, []string{"set", "k", "héllo wörld ☃"}, false},
		{`set k "unterminated`, nil, true},
		{`set k 'unterminated`, nil, true},
		{`set k \`, []string{"set", "k", `\`}, false},
		{`set k v\`, []string{"set", "k", `v\`}, false},
		{`set k v\\`, []string{"set", "k", `v\`}, false},
		// Bytes that are not UTF-8 are kept as they are, quoted or not.
		{"set \xff A", []string{"set", "\xff", "A"}, false},
		{"set k \"\xfe\xff\"", []string{"set", "k", "\xfe\xff"}, false},
		{"set k '\xef\xbf'", []string{"set", "k", "\xef\xbf"}, false},
		{"set k \\☃\xff", []string{"set", "k", "☃\xff"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := Tokenize(tt.line)
			if tt.err {
				if !errors.Is(err, ErrSyntax) {
					t.Fatalf("Tokenize(%q) error = %v, want ErrSyntax", tt.line, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Tokenize(%q): %v", tt.line, err)
			}
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Tokenize(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		line string
		want Command
	}{
		{"", Command{}},
		{"# comment", Command{}},
		{"get k", Command{Name: "get", Args: []string{"k"}}},
		{"GET k", Command{Name: "get", Args: []string{"k"}}},
		{"get k via n3", Command{Name: "get", Args: []string{"k"}, Via: "n3"}},
		{"get k VIA n3", Command{Name: "get", Args: []string{"k"}, Via: "n3"}},
		{`set "my key" "my value" via 3fa2`, Command{Name: "set", Args: []string{"my key", "my value"}, Via: "3fa2"}},
		// "via" as a key or value is just a word when it cannot be the suffix.
		{"get via", Command{Name: "get", Args: []string{"via"}}},
		{"set via n1", Command{Name: "set", Args: []string{"via", "n1"}}},
		{"partition n1 n2 n3", Command{Name: "partition", Args: []string{"n1", "n2", "n3"}}},
		{"add", Command{Name: "add", Args: []string{}}},
		{"add 3", Command{Name: "add", Args: []string{"3"}}},
		{"maintenance step", Command{Name: "maintenance", Args: []string{"step"}}},
		{"wait 5s", Command{Name: "wait", Args: []string{"5s"}}},
		{"help get", Command{Name: "help", Args: []string{"get"}}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			if got.Name != tt.want.Name || got.Via != tt.want.Via || len(got.Args) != len(tt.want.Args) ||
				(len(got.Args) > 0 && !reflect.DeepEqual(got.Args, tt.want.Args)) {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		line string
		kind error
		msg  string // exact message
	}{
		{"gte k", ErrUnknownCommand, `unknown command "gte" — did you mean "get"? (help lists commands)`},
		{"kil n1", ErrUnknownCommand, `unknown command "kil" — did you mean "kill"? (help lists commands)`},
		{"nodez", ErrUnknownCommand, `unknown command "nodez" — did you mean "nodes"? (help lists commands)`},
		{"frobnicate", ErrUnknownCommand, `unknown command "frobnicate" (help lists commands)`},
		{"set k", ErrUsage, `set: wants 2 arguments (K V), got 1 — usage: set K V [via NODE]`},
		{"set a b c", ErrUsage, `set: wants 2 arguments (K V), got 3 — usage: set K V [via NODE]`},
		{"get", ErrUsage, `get: wants 1 argument (K), got 0 — usage: get K [via NODE]`},
		{"kill", ErrUsage, `kill: wants 1 argument (NODE), got 0 — usage: kill NODE`},
		{"kill n1 n2", ErrUsage, `kill: wants 1 argument (NODE), got 2 — usage: kill NODE`},
		{"partition", ErrUsage, `partition: wants at least 1 argument (NODE…), got 0 — usage: partition NODE…`},
		{"add 1 2", ErrUsage, `add: wants at most 1 argument (COUNT), got 2 — usage: add [COUNT]`},
		{"heal now", ErrUsage, `heal: wants no arguments, got 1 — usage: heal`},
		{"kill n1 via n2", ErrUsage, `kill: wants 1 argument (NODE), got 3 — usage: kill NODE`},
		{"maintenance stop", ErrUsage, `maintenance: "stop" is not one of pause, resume, step — usage: maintenance pause|resume|step`},
		{`set k "v`, ErrSyntax, `unterminated " quote at column 7`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			_, err := Parse(tt.line)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.line, err, tt.kind)
			}
			if err.Error() != tt.msg {
				t.Fatalf("Parse(%q) error\n got %q\nwant %q", tt.line, err.Error(), tt.msg)
			}
		})
	}
}

func TestEveryCommandHasARunnerAndHelp(t *testing.T) {
	for _, ci := range Commands() {
		if _, ok := runners[ci.Name]; !ok {
			t.Errorf("command %q has no runner", ci.Name)
		}
		h, err := Help(ci.Name)
		if err != nil || !strings.Contains(h, ci.Usage) {
			t.Errorf("Help(%q) = %q, %v; want it to show the usage %q", ci.Name, h, err, ci.Usage)
		}
		if !strings.HasPrefix(ci.Usage, ci.Name) {
			t.Errorf("usage %q does not start with the name %q", ci.Usage, ci.Name)
		}
	}
	if len(runners) != len(Commands()) {
		t.Errorf("%d runners for %d commands", len(runners), len(Commands()))
	}
}

func TestHelp(t *testing.T) {
	all, err := Help("")
	if err != nil {
		t.Fatal(err)
	}
	for _, ci := range Commands() {
		usage := ci.Usage
		if b := specByName[ci.Name].brief; b != "" {
			usage = b // a long synopsis is shortened in the list; help CMD gives it whole
			if h, _ := Help(ci.Name); !strings.Contains(h, ci.Usage) {
				t.Errorf("help %s lacks %q", ci.Name, ci.Usage)
			}
		}
		if !strings.Contains(all, usage) || !strings.Contains(all, ci.Summary) {
			t.Errorf("full help lacks %q / %q", usage, ci.Summary)
		}
	}
	if _, err := Help("gte"); !errors.Is(err, ErrUnknownCommand) || !strings.Contains(err.Error(), `did you mean "get"`) {
		t.Errorf("Help(gte) error = %v, want an unknown-command error suggesting get", err)
	}
	cfg, _ := Help("config")
	for _, name := range tunableNames() {
		if !strings.Contains(cfg, name) {
			t.Errorf("help config does not list tunable %q", name)
		}
	}
}

func TestComplete(t *testing.T) {
	names := []string{"n0", "n1", "n2", "n10", "n11"}
	tests := []struct {
		line string
		want []string
	}{
		{"", commandNames()},
		{"g", []string{"get"}},
		{"de", []string{"del", "delay"}},
		{"kill ", names},
		{"kill n1", []string{"n1", "n10", "n11"}},
		{"kill n1 ", nil},
		{"get k ", []string{"via"}},
		{"get k v", []string{"via"}},
		{"get k via ", names},
		{"get k via n2", []string{"n2"}},
		{"set k v via n1", []string{"n1", "n10", "n11"}},
		{"partition n0 n1", []string{"n1", "n10", "n11"}},
		{"maintenance s", []string{"step"}},
		{"help ki", []string{"kill"}},
		{"config fix", []string{"fix-fingers"}},
		{"delay n2 ", nil},
		{"unknown x", nil},
		{`set "unterminated`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got := Complete(tt.line, names)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			want := tt.want
			if tt.line == "" {
				want = withPrefix(want, "")
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Complete(%q) = %q, want %q", tt.line, got, want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ word, want string }{
		{"gte", "get"},
		{"sett", "set"},
		{"revie", "revive"},
		{"partiton", "partition"},
		{"maint", "maintenance"},
		{"zzz", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.word, commandNames()); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

// FuzzParse checks that no input makes the tokenizer, parser or completer
// panic, and that whatever Parse accepts is a command with a legal arity.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "get k", `set "a b" 'c d' via n1`, "partition n1 n2", `set k "x`,
		"maintenance step", "# c", `a\`, "help", "add 3", "get via via via", "\x00\xff'\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := Parse(line)
		_ = Complete(line, []string{"n0", "n1"})
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrUnknownCommand) && !errors.Is(err, ErrUsage) {
				t.Fatalf("Parse(%q) error %v wraps no language sentinel", line, err)
			}
			return
		}
		if cmd.Name == "" {
			return
		}
		spec := specByName[cmd.Name]
		if spec == nil {
			t.Fatalf("Parse(%q) returned unknown command %q", line, cmd.Name)
		}
		if len(cmd.Args) < spec.min || (spec.max >= 0 && len(cmd.Args) > spec.max) {
			t.Fatalf("Parse(%q) accepted %d arguments for %s", line, len(cmd.Args), cmd.Name)
		}
		if cmd.Via != "" && !spec.via {
			t.Fatalf("Parse(%q) accepted via for %s", line, cmd.Name)
		}
	})
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 hops", 1: "1 hop", 2: "2 hops"} {
		if got := Plural(n, "hop"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
}
