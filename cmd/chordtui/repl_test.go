package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// scriptedExec answers each line from a table, recording what it was asked.
type scriptedExec struct {
	asked   []string
	answers map[string]command.Result
}

func (s *scriptedExec) exec(_ context.Context, line string) command.Result {
	s.asked = append(s.asked, line)
	if r, ok := s.answers[line]; ok {
		return r
	}
	return command.Result{Cmd: strings.Fields(line)[0], OK: true, Text: "did " + line}
}

func TestREPLLoop(t *testing.T) {
	bad := command.Result{Cmd: "kill", Err: errors.New(`kill: unknown node "n9"`), Text: `error: kill: unknown node "n9"`}
	quit := command.Result{Cmd: "quit", OK: true, Quit: true, Text: "bye"}
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
		{"no prompt", "nodes\n", replOptions{}, 0, []string{"nodes"}, "did nodes\n"},
		{"json", "kill n9\nnodes\n", replOptions{json: true}, 1, []string{"kill n9", "nodes"},
			`{"cmd":"kill","ok":false,"error":"kill: unknown node \"n9\""}` + "\n" + `{"cmd":"nodes","ok":true}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := &scriptedExec{answers: map[string]command.Result{"kill n9": bad, "quit": quit}}
			var out strings.Builder
			status := repl(context.Background(), ex.exec, strings.NewReader(tt.input), &out, tt.opts, slog.New(slog.DiscardHandler))
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

// TestREPLOnCluster runs the REPL loop over a real cluster on the
// in-memory network: the text a person reads, and with --json one object
// per command with the fields the README documents.
func TestREPLOnCluster(t *testing.T) {
	cfg := cluster.DefaultConfig()
	cfg.Nodes = 5
	cfg.Seed = 3
	cfg.Network = cluster.NewMemNetwork(3)
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	exec := func(ctx context.Context, line string) command.Result { return command.Exec(ctx, c, line) }
	script := "wait\nset k 'a b'\nget k via n3\nkill n9\nlookup k\nquit\nnodes\n"

	var text strings.Builder
	status := repl(context.Background(), exec, strings.NewReader(script), &text, replOptions{echo: true}, slog.New(slog.DiscardHandler))
	if status != 1 {
		t.Errorf("status %d after a failed command, want 1", status)
	}
	for _, want := range []string{"> wait\nstable ", "> get k via n3\n\"a b\"   (owner n", `error: kill: unknown node "n9" — nodes are n0…n4`, "is owned by n", "> quit\nbye\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "> nodes") {
		t.Error("the REPL read on after quit")
	}

	var out strings.Builder
	status = repl(context.Background(), exec, strings.NewReader(script), &out, replOptions{json: true}, slog.New(slog.DiscardHandler))
	if status != 1 {
		t.Errorf("status %d with --json, want 1", status)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d JSON lines for 6 commands up to quit:\n%s", len(lines), out.String())
	}
	want := []struct {
		cmd    string
		ok     bool
		fields []string
	}{
		{"wait", true, []string{"seconds"}},
		{"set", true, []string{"owner", "hops", "version"}},
		{"get", true, []string{"value", "found", "owner", "hops"}},
		{"kill", false, []string{"error"}},
		{"lookup", true, []string{"owner", "path"}},
		{"quit", true, nil},
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d is not one JSON object: %q: %v", i, line, err)
		}
		if m["cmd"] != want[i].cmd || m["ok"] != want[i].ok {
			t.Errorf("line %d: cmd %v ok %v, want %s %v", i, m["cmd"], m["ok"], want[i].cmd, want[i].ok)
		}
		for _, f := range want[i].fields {
			if _, ok := m[f]; !ok {
				t.Errorf("line %d (%s) lacks %q: %s", i, want[i].cmd, f, line)
			}
		}
	}
	if !strings.Contains(lines[2], `"value":"a b"`) {
		t.Errorf("get's JSON: %s", lines[2])
	}
}

// TestOnTerminal: /dev/null is a character device but not a terminal.
func TestOnTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, f := range []any{null, r, w, strings.NewReader("")} {
		if onTerminal(f) {
			t.Errorf("onTerminal(%v) = true", f)
		}
	}
}

// TestREPLNotATerminal runs the binary with stdin from /dev/null and from
// a file: no prompt, nothing on stdout but the banner and the results,
// and the exit status of scripts.
func TestREPLNotATerminal(t *testing.T) {
	bin := buildBinary(t)
	script := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(script, []byte("nodes\nkill n9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		lines []string // prefixes of the lines of stdout, in order
	}{
		{"dev null", os.DevNull, []string{"repl", "3"}, 0, []string{"started 3 nodes on 127.0.0.1"}},
		{"dev null json", os.DevNull, []string{"repl", "--json", "3"}, 0, nil},
		{"script", script, []string{"repl", "--start-wait", "0", "3"}, 1,
			[]string{"started 3 nodes", "NAME ", "n0 ", "n1 ", "n2 ", "3 nodes;", `error: kill: unknown node "n9"`}},
		{"script json", script, []string{"repl", "--json", "3"}, 1, []string{`{"cmd":"nodes","ok":true`, `{"cmd":"kill","ok":false`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := os.Open(tt.stdin)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+t.TempDir())
			var stdout, stderr strings.Builder
			cmd.Stdin, cmd.Stdout, cmd.Stderr = in, &stdout, &stderr
			err = cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code || stderr.Len() > 0 {
				t.Errorf("exit status %d, want %d; stderr: %q", code, tt.code, stderr.String())
			}
			got := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			if stdout.Len() == 0 {
				got = nil
			}
			ok := len(got) == len(tt.lines)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.HasPrefix(got[i], tt.lines[i])
			}
			if !ok || strings.Contains(stdout.String(), replPrompt) {
				t.Errorf("stdout:\n%s\nwant lines starting with %q, no prompt", stdout.String(), tt.lines)
			}
		})
	}
}

// TestREPLInterruptNotATerminal: SIGINT ends a REPL reading a pipe, as it
// always has, with status 1 and nothing more on stdout.
func TestREPLInterruptNotATerminal(t *testing.T) {
	bin := buildBinary(t)
	p := startREPL(t, bin, "3")
	p.mustOK("nodes")
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }() // exits when the process does
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("after SIGINT: %v, want exit status 1", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the REPL did not exit within 30 s of SIGINT")
	}
	for line := range p.lines {
		t.Errorf("stdout after SIGINT: %q", line)
	}
}

// A signal that ends the session while a command runs (SIGTERM during
// wait) is what the command's error says, not "context canceled".
func TestREPLShutdownDuringCommand(t *testing.T) {
	for _, opts := range []replOptions{{}, {json: true}} {
		ctx, cancel := context.WithCancel(context.Background())
		exec := func(ctx context.Context, line string) command.Result {
			cancel() // the signal arrives while the command runs
			<-ctx.Done()
			err := fmt.Errorf("%s: %w", line, ctx.Err())
			return command.Result{Cmd: line, Err: err, Text: "error: " + err.Error()}
		}
		var out strings.Builder
		status := repl(ctx, exec, strings.NewReader("wait\nnodes\n"), &out, opts, slog.New(slog.DiscardHandler))
		want := "error: wait: stopped: chordtui is shutting down\n"
		if opts.json {
			want = `{"cmd":"wait","ok":false,"error":"wait: stopped: chordtui is shutting down"}` + "\n"
		}
		if status != 1 || out.String() != want {
			t.Errorf("json %v: status %d, output %q; want 1, %q", opts.json, status, out.String(), want)
		}
	}
	// An error of its own stays what it is.
	ctx, cancel := context.WithCancel(context.Background())
	exec := func(context.Context, string) command.Result {
		cancel()
		return command.Result{Cmd: "set", Err: errors.New("set: wants 2 arguments"), Text: "error: set: wants 2 arguments"}
	}
	var out strings.Builder
	repl(ctx, exec, strings.NewReader("set k\n"), &out, replOptions{}, slog.New(slog.DiscardHandler))
	if out.String() != "error: set: wants 2 arguments\n" {
		t.Errorf("a usage error during a shutdown reads %q", out.String())
	}
}
