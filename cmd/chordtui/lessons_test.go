package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLessonsRun runs every shipped lesson as the docs say a lecturer can:
// "chordtui repl --lecture 10 --echo < docs/lessons/NAME.txt" through the
// built binary. Every command must succeed (exit status 0), and the
// transcript shows the narration and the step captions.
func TestLessonsRun(t *testing.T) {
	bin := buildBinary(t)
	lessons, err := filepath.Glob(filepath.Join("..", "..", "docs", "lessons", "*.txt"))
	if err != nil || len(lessons) < 2 {
		t.Fatalf("lessons: %v, %v", lessons, err)
	}
	for _, lesson := range lessons {
		t.Run(filepath.Base(lesson), func(t *testing.T) {
			in, err := os.Open(lesson)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			var out, errs bytes.Buffer
			cmd := exec.Command(bin, "repl", "--lecture", "--echo", "10")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = in, &out, &errs
			began := time.Now()
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", lesson, err, out.String(), errs.String())
			}
			text := out.String()
			for _, want := range []string{"started 10 nodes on 127.0.0.1 (N1…N56)", "\n# ", "\n> step stabilize ", " at N", "stable "} {
				if !strings.Contains(text, want) {
					t.Fatalf("%s: the transcript lacks %q:\n%s", lesson, want, text)
				}
			}
			for _, line := range strings.Split(text, "\n") {
				if strings.Contains(line, " at N") && strings.Contains(line, ": ") && strings.Contains(line, "127.0.0.1") {
					t.Fatalf("%s: a caption names an address: %s", lesson, line)
				}
			}
			t.Logf("%s ran in %v", filepath.Base(lesson), time.Since(began).Round(time.Millisecond))
		})
	}
}

// TestLectureREPLJSON: the lecture preset through the binary, with the
// identifiers given by hand and N left out: names are N<id>, IDs keep
// their hex in JSON, and step's report is typed JSON.
func TestLectureREPLJSON(t *testing.T) {
	bin := buildBinary(t)
	p := startREPL(t, bin, "--lecture", "--ids", "5,20,40,60,10")
	nodes := p.mustOK("nodes")[0]["nodes"].([]any)
	var names, ids []string
	for _, n := range nodes {
		m := n.(map[string]any)
		names = append(names, m["name"].(string))
		ids = append(ids, m["id"].(string))
	}
	if strings.Join(names, " ") != "N5 N20 N40 N60 N10" || strings.Join(ids, " ") != "05 14 28 3c 0a" {
		t.Fatalf("nodes %v with ids %v", names, ids)
	}
	res := p.mustOK("maintenance pause", "kill N20", "step stabilize 10")
	var step struct {
		Task    string `json:"task"`
		Node    string `json:"node"`
		Changes []struct {
			Node, Pointer, Old, New string
		} `json:"changes"`
		Rounds []struct {
			Caption string `json:"caption"`
		} `json:"rounds"`
	}
	raw, _ := json.Marshal(res[2])
	if err := json.Unmarshal(raw, &step); err != nil {
		t.Fatal(err)
	}
	if step.Task != "stabilize" || step.Node != "N10" || len(step.Rounds) != 1 || len(step.Changes) == 0 ||
		step.Changes[0].Node != "N10" || step.Changes[0].Pointer != "successor" || step.Changes[0].Old != "N20" || step.Changes[0].New != "N40" ||
		!strings.Contains(step.Rounds[0].Caption, "N20 does not answer") {
		t.Fatalf("step: %s", raw)
	}
	if status := p.exit(); status != 0 {
		t.Fatalf("exit status %d", status)
	}
}
