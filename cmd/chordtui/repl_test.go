package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/chordtui/chordtui/dht/cluster"
)

// scriptedExec answers each line from a table, recording what it was asked.
type scriptedExec struct {
	asked   []string
	answers map[string]cluster.Result
}

func (s *scriptedExec) Exec(_ context.Context, line string) cluster.Result {
	s.asked = append(s.asked, line)
	if r, ok := s.answers[line]; ok {
		return r
	}
	return cluster.Result{Cmd: strings.Fields(line)[0], OK: true, Text: "did " + line}
}

func TestREPLLoop(t *testing.T) {
	bad := cluster.Result{Cmd: "kill", Err: errors.New(`kill: unknown node "n9"`), Text: `error: kill: unknown node "n9"`}
	quit := cluster.Result{Cmd: "quit", OK: true, Quit: true, Text: "bye"}
	tests := []struct {
		name   string
		input  string
		opts   replOptions
		status int
		asked  []string
		out    string
	}{
		{"comments and blanks skipped", "# c\n\n   \n  nodes  \n", replOptions{}, 0, []string{"nodes"}, "did nodes\n"},
		{"last line without newline", "nodes", replOptions{}, 0, []string{"nodes"}, "did nodes\n"},
		{"a failure makes status 1 and goes on", "kill n9\nnodes\n", replOptions{}, 1, []string{"kill n9", "nodes"},
			"error: kill: unknown node \"n9\"\ndid nodes\n"},
		{"quit stops reading", "quit\nnodes\n", replOptions{}, 0, []string{"quit"}, "bye\n"},
		{"echo", "nodes\n", replOptions{echo: true}, 0, []string{"nodes"}, "> nodes\ndid nodes\n"},
		{"prompt when interactive", "nodes\n", replOptions{interactive: true}, 0, []string{"nodes"}, "chordtui> did nodes\nchordtui> \n"},
		{"json", "kill n9\nnodes\n", replOptions{json: true}, 1, []string{"kill n9", "nodes"},
			`{"cmd":"kill","error":"kill: unknown node \"n9\"","ok":false}` + "\n" + `{"cmd":"nodes","ok":true}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := &scriptedExec{answers: map[string]cluster.Result{"kill n9": bad, "quit": quit}}
			var out strings.Builder
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			status := repl(context.Background(), ex, strings.NewReader(tt.input), &out, tt.opts, log)
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			if strings.Join(ex.asked, "|") != strings.Join(tt.asked, "|") {
				t.Errorf("executed %q, want %q", ex.asked, tt.asked)
			}
			if out.String() != tt.out {
				t.Errorf("output\n got %q\nwant %q", out.String(), tt.out)
			}
		})
	}
}

func TestResultJSON(t *testing.T) {
	r := cluster.Result{Cmd: "get", OK: true, Data: map[string]any{"value": "v", "owner": "n3", "hops": 2}}
	m := resultJSON(r)
	if m["cmd"] != "get" || m["ok"] != true || m["value"] != "v" || m["hops"] != 2 {
		t.Fatalf("resultJSON = %v", m)
	}
	if _, ok := m["error"]; ok {
		t.Fatal("a successful result has an error field")
	}
	// The command's data cannot overwrite cmd and ok.
	m = resultJSON(cluster.Result{Cmd: "x", Err: errors.New("boom"), Data: map[string]any{"ok": true, "cmd": "y"}})
	if m["ok"] != false || m["cmd"] != "x" || m["error"] != "boom" {
		t.Fatalf("resultJSON = %v", m)
	}
}
