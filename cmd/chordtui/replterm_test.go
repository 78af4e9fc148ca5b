package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht/cluster/command"
	"github.com/chordtui/chordtui/tui/screentest"
)

// lastLine returns the screen's last line that is not blank.
func lastLine(scr string) string {
	return strings.TrimSpace(screentest.LastLines(strings.TrimRight(scr, " \n"), 1))
}

// waitLast polls the pane until its last non-blank line is want.
func (s *tmuxSession) waitLast(d time.Duration, want string) string {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		scr := s.capture()
		if lastLine(scr) == want {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("after %v the last line is %q, want %q:\n%s", d, lastLine(scr), want, scr)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a deadline-bound wait
	}
}

// waitAfter waits until the screen, from the last occurrence of marker
// on, contains want, and returns that part: an answer printed earlier in
// the session does not count.
func (s *tmuxSession) waitAfter(d time.Duration, marker, want string) string {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		scr := s.capture()
		if i := strings.LastIndex(scr, marker); i >= 0 && strings.Contains(scr[i:], want) {
			return scr[i:]
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("after %v no %q after the last %q:\n%s", d, want, marker, scr)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a deadline-bound wait
	}
}

// TestTmuxREPL types into "chordtui repl 8" at a real terminal (tmux, run
// from an interactive bash as a person would): Tab completes commands,
// nodes and keys, the editing keys work, ctrl-c cancels a line and a
// running wait without ending the session, ctrl-d exits 0, the next run
// recalls the first run's commands with Up, and a long paste is taken in
// seconds.
func TestTmuxREPL(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed (.ci/run installs it); skipping the terminal REPL test")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed; skipping the terminal REPL test")
	}
	bin := buildBinary(t)
	state := t.TempDir()
	s := &tmuxSession{t: t, tmux: tmux, socket: fmt.Sprintf("chordtui-repl-test-%d", os.Getpid())}
	t.Cleanup(func() { _ = exec.Command(tmux, "-L", s.socket, "kill-server").Run() })
	s.run("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40",
		fmt.Sprintf("env PS1='$ ' HISTFILE=/dev/null XDG_STATE_HOME='%s' bash --norc --noprofile", state))
	s.waitLast(10*time.Second, "$")
	start := fmt.Sprintf(`clear; '%s' repl --seed 1 8; echo "exit status $?"`, bin)

	// First run.
	s.keys(start, "Enter")
	s.waitFor(60*time.Second, "started 8 nodes")
	s.waitLast(10*time.Second, "chordtui>")
	s.keys("set greeting hello", "Enter")
	s.waitFor(10*time.Second, `ok — "greeting" stored`)

	// Tab: a command, then the node names, then one of them.
	s.keys("ki", "Tab")
	s.waitLast(5*time.Second, "chordtui> kill")
	s.keys("n", "Tab")
	s.waitFor(5*time.Second, "chordtui> kill n\n", "n0  n1  n2  n3  n4  n5  n6  n7")
	s.keys("3", "Enter")
	s.waitFor(10*time.Second, "killed n3")

	// Tab completes a key this session set.
	s.keys("get gr", "Tab")
	s.waitLast(5*time.Second, "chordtui> get greeting")
	s.keys("", "Enter")
	s.waitFor(10*time.Second, `"hello"   (owner`)

	// Editing keys: Home, ctrl-a, the arrows, End, ctrl-e, ctrl-left and
	// ctrl-right (a word left, right).
	s.keys("odes", "Home")
	s.keys("n", "Enter")
	s.waitFor(10*time.Second, "8 nodes;")
	s.keys("gt greting", "C-a", "Right")
	s.keys("e", "End", "Left", "Left", "Left", "Left")
	s.keys("e", "Enter")
	s.waitFor(10*time.Second, "chordtui> get greeting\n\"hello\"   (owner")
	s.keys("set world", "C-Left")
	s.keys("greeting ", "Enter")
	s.waitFor(10*time.Second, "chordtui> set greeting world\nok — \"greeting\" stored")
	s.keys("get y greetin", "C-Left", "C-Left", "C-Right", "BSpace", "BSpace", "C-e")
	s.keys("g", "Enter")
	s.waitFor(10*time.Second, "chordtui> get greeting\n\"world\"   (owner")

	// Ctrl-c drops the line being typed, and at an empty prompt says how
	// to exit.
	s.keys("kill n0", "C-c")
	s.waitLast(5*time.Second, "chordtui>")
	s.keys("", "C-c")
	s.waitFor(5*time.Second, "(ctrl-d or quit exits)")
	s.waitLast(5*time.Second, "chordtui>")

	// Ctrl-c stops a wait that would block: with stabilize rounds a
	// minute apart the ring cannot repair a kill within 30 s.
	s.keys("config stabilize 1m", "Enter")
	s.waitFor(10*time.Second, "stabilize = 1m0s")
	s.keys("kill n5", "Enter")
	s.waitFor(10*time.Second, "killed n5")
	s.keys("wait 30s", "Enter")
	s.waitLast(5*time.Second, "chordtui> wait 30s")
	sent := time.Now()
	s.keys("", "C-c")
	scr := s.waitLast(5*time.Second, "chordtui>")
	took := time.Since(sent)
	if !strings.Contains(scr, "error: wait: interrupted (ctrl-c)") {
		t.Fatalf("ctrl-c during wait does not say it interrupted it:\n%s", scr)
	}
	t.Logf("ctrl-c to the next prompt: %v", took)
	if took > time.Second {
		t.Errorf("the prompt came back %v after ctrl-c, want within a second", took)
	}
	s.keys("nodes", "Enter")
	// The session printed a table before: read only the one after the
	// interrupted wait.
	scr = s.waitAfter(10*time.Second, "error: wait: interrupted (ctrl-c)\nchordtui> nodes\n", "8 nodes;")
	for _, want := range []string{"n0 ", "n3 ", "n5 "} {
		var state string
		for _, l := range strings.Split(scr, "\n") {
			if strings.HasPrefix(l, want) {
				state = strings.Fields(l)[3]
			}
		}
		if wantState := map[bool]string{true: "alive", false: "down"}[want == "n0 "]; state != wantState {
			t.Errorf("%sis %q after the session's kills, want %s:\n%s", want, state, wantState, scr)
		}
	}

	// Ctrl-d exits with status 0.
	s.keys("", "C-d")
	scr = s.waitFor(30*time.Second, "exit status ")
	if !strings.Contains(scr, "exit status 0") {
		t.Fatalf("ctrl-d: want exit status 0:\n%s", scr)
	}
	t.Logf("first run:\n%s", scr)
	hist, err := os.ReadFile(filepath.Join(state, "chordtui", "history"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(hist), "set greeting hello\nkill n3\nget greeting\nnodes\nget greeting\nset greeting world\nget greeting\n") {
		t.Errorf("history file after the first run:\n%s", hist)
	}

	// Second run: Up recalls the first run's commands, newest first.
	s.keys(start, "Enter")
	s.waitLast(60*time.Second, "chordtui>")
	s.keys("", "Up")
	s.waitLast(5*time.Second, "chordtui> nodes")
	s.keys("", "Up", "Up")
	s.waitLast(5*time.Second, "chordtui> kill n5")
	s.keys("", "Down")
	s.waitLast(5*time.Second, "chordtui> wait 30s")
	s.keys("", "C-u")
	s.keys("quit", "Enter")
	scr = s.waitFor(30*time.Second, "exit status ")
	if !strings.Contains(scr, "bye\nexit status 0") {
		t.Fatalf("quit: want bye and exit status 0:\n%s", scr)
	}

	// Third run: a history that cannot be kept is a warning; the REPL
	// works all the same.
	notADir := filepath.Join(state, "chordtui", "history")
	s.keys(fmt.Sprintf(`clear; XDG_STATE_HOME='%s' '%s' repl --seed 1 8; echo "exit status $?"`, notADir, bin), "Enter")
	s.waitLast(60*time.Second, "chordtui>")
	s.waitFor(time.Second, "chordtui repl: history not kept: mkdir ")
	s.keys("get greeting", "Enter")
	s.waitFor(10*time.Second, "(not found)")
	// A paste of 20,000 characters is drawn once, not once a character
	// (which took 45 s without the race detector).
	s.keys("set pasted ")
	s.paste(strings.Repeat("p", 20000))
	s.keys("", "Enter")
	s.waitFor(30*time.Second, `ok — "pasted" stored`)
	s.keys("", "C-d")
	scr = s.waitFor(30*time.Second, "exit status ")
	if !strings.Contains(scr, "exit status 0") {
		t.Fatalf("without a history: want exit status 0:\n%s", scr)
	}
	t.Logf("third run:\n%s", scr)
}

func TestInterruptedResult(t *testing.T) {
	canceled := fmt.Errorf("wait: %w", context.Canceled)
	tests := []struct {
		cmd, text string
	}{
		{"wait", "error: wait: interrupted (ctrl-c)"},
		{"get", "error: get: interrupted (ctrl-c)"},
		{"set", "error: set: interrupted (ctrl-c) — it may have taken effect in part (wait: context canceled)"},
	}
	for _, tt := range tests {
		res := interruptedResult(command.Result{Cmd: tt.cmd, Err: canceled, Text: "error: " + canceled.Error()}, errInterrupted)
		if res.OK || res.Text != tt.text || !errors.Is(res.Err, errInterrupted) {
			t.Errorf("%s: ok %v, text %q, err %v; want not ok, %q, errInterrupted", tt.cmd, res.OK, res.Text, res.Err, tt.text)
		}
	}
}

// TestKeyReader: the keys the editor does not know arrive as keys it
// does, also when the reader asks for less than a whole translation.
func TestKeyReader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ab", "ab"},
		{"\x1b[1~x\x1b[4~", "\x01x\x05"},             // Home, End (tmux, screen)
		{"\x1b[7~\x1b[8~", "\x01\x05"},               // Home, End (rxvt)
		{"\x1b[1;5Dw\x1b[1;5C", "\x1bbw\x1bf"},       // ctrl-left, ctrl-right
		{"\x1b[1;3D\x1b[1;3C", "\x1bb\x1bf"},         // alt-left, alt-right
		{"\x1b[A\x1b[D\x1b[H", "\x1b[A\x1b[D\x1b[H"}, // known to the editor: unchanged
	}
	for _, tt := range tests {
		for _, size := range []int{1, 3, 64} {
			k := &keyReader{r: strings.NewReader(tt.in)}
			var got []byte
			buf := make([]byte, size)
			for {
				n, err := k.Read(buf)
				got = append(got, buf[:n]...)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if string(got) != tt.want {
				t.Errorf("read %q with %d-byte reads: got %q, want %q", tt.in, size, got, tt.want)
			}
		}
	}
}
