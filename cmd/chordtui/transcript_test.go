package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The REPL transcripts of README.md and docs/*.md are tests: every
// ```console block that starts with "$ chordtui repl ARGS" (or "$ go run
// ./cmd/chordtui repl ARGS") runs the real binary with ARGS, feeds it the
// lines after "chordtui> ", and must print the block's other lines. Ports,
// times of day and durations vary from run to run and are compared as
// placeholders; a line "…" stands for any number of lines.

// transcript is one console block of a document.
type transcript struct {
	file string
	line int // of the "$ " line
	args []string
	// lines are the block's lines after the "$ " line: inputs keep their
	// "chordtui> " prompt.
	lines []string
}

const transcriptPrompt = "chordtui> "

// transcripts returns the REPL transcripts of the document at path.
func transcripts(t *testing.T, path string) []transcript {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []transcript
	var cur *transcript
	inBlock := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case !inBlock && strings.TrimSpace(line) == "```console":
			inBlock = true
		case inBlock && strings.TrimSpace(line) == "```":
			inBlock = false
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
		case inBlock && cur == nil:
			for _, pre := range []string{"$ chordtui repl ", "$ go run ./cmd/chordtui repl "} {
				if rest, ok := strings.CutPrefix(line, pre); ok {
					cur = &transcript{file: path, line: n, args: strings.Fields(rest)}
				}
			}
		case inBlock:
			cur.lines = append(cur.lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// variable matches what differs between runs: addresses, HLC clock
// readings, durations.
var variable = []struct {
	re  *regexp.Regexp
	say string
}{
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`\b\d\d:\d\d:\d\d\.\d{6}(\+\d+)?`), "HH:MM:SS"},
	{regexp.MustCompile(`\b\d+(\.\d+)?\s?(ns|µs|ms|s)\b`), "DURATION"},
}

func normalize(s string) string {
	for _, v := range variable {
		s = v.re.ReplaceAllString(s, v.say)
	}
	return strings.TrimRight(s, " ")
}

// matchTranscript compares what the binary printed (its "> " echoes
// turned into prompts) with the block, "…" matching any lines; it returns
// "" or the first difference.
func matchTranscript(want, got []string) string {
	i, j := 0, 0
	for i < len(want) {
		if strings.TrimSpace(want[i]) == "…" {
			i++
			if i == len(want) {
				return ""
			}
			for j < len(got) && normalize(got[j]) != normalize(want[i]) {
				j++
			}
			if j == len(got) {
				return "no line after … matches " + want[i]
			}
			continue
		}
		if j == len(got) {
			return "the program stopped before " + want[i]
		}
		if normalize(want[i]) != normalize(got[j]) {
			return "want " + want[i] + "\n  got " + got[j]
		}
		i, j = i+1, j+1
	}
	if j < len(got) {
		return "the program printed more: " + got[j]
	}
	return ""
}

// TestDocTranscripts runs every REPL transcript of README.md and docs/.
func TestDocTranscripts(t *testing.T) {
	bin := buildBinary(t)
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var all []transcript
	for _, path := range append([]string{"../../README.md"}, docs...) {
		all = append(all, transcripts(t, path)...)
	}
	if len(all) == 0 {
		t.Fatal("no transcript found in README.md or docs/: the parser or the documents changed")
	}
	for _, tr := range all {
		name := filepath.Base(tr.file) + ":" + strconv.Itoa(tr.line)
		t.Run(name, func(t *testing.T) {
			var input []string
			for _, l := range tr.lines {
				if cmd, ok := strings.CutPrefix(l, transcriptPrompt); ok {
					input = append(input, cmd)
				}
			}
			cmd := exec.Command(bin, append([]string{"repl", "--echo"}, tr.args...)...)
			cmd.Stdin = strings.NewReader(strings.Join(input, "\n") + "\n")
			out, _ := cmd.Output() // a transcript may show a failing command: the exit status says nothing here
			var got []string
			for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
				if echoed, ok := strings.CutPrefix(l, "> "); ok {
					l = transcriptPrompt + echoed
				}
				got = append(got, l)
			}
			if diff := matchTranscript(tr.lines, got); diff != "" {
				t.Errorf("%s: the transcript drifted from what chordtui repl %s prints:\n  %s\nall it printed:\n%s",
					name, strings.Join(tr.args, " "), diff, strings.Join(got, "\n"))
			}
		})
	}
}

// TestTranscriptMatching checks the comparison itself: placeholders,
// "…", and the differences it must catch.
func TestTranscriptMatching(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, got []string
		ok        bool
	}{
		{"same", []string{"a", "b"}, []string{"a", "b"}, true},
		{"port and time", []string{"killed n14 (127.0.0.1:45789)", "stable 0.203 s after kill n14"},
			[]string{"killed n14 (127.0.0.1:38219)", "stable 0.304 s after kill n14"}, true},
		{"clock", []string{"version 04:41:27.710375@n14"}, []string{"version 11:02:03.000001+2@n14"}, true},
		{"µs", []string{"[44µs]"}, []string{"[1203µs]"}, true},
		{"other node", []string{"owner n6"}, []string{"owner n7"}, false},
		{"other count", []string{"0 hops via n0"}, []string{"1 hops via n0"}, false},
		{"ellipsis", []string{"a", "…", "d"}, []string{"a", "b", "c", "d"}, true},
		{"ellipsis at end", []string{"a", "…"}, []string{"a", "b"}, true},
		{"missing line", []string{"a", "b"}, []string{"a"}, false},
		{"extra line", []string{"a"}, []string{"a", "b"}, false},
	} {
		if got := matchTranscript(tc.want, tc.got) == ""; got != tc.ok {
			t.Errorf("%s: match = %v, want %v", tc.name, got, tc.ok)
		}
	}
}
