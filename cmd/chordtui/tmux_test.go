package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/tui/screentest"
)

// tmuxSession drives the real chordtui binary in a detached tmux session
// ("ui", 120×40) on a private server socket, reading the screen as a
// person would.
type tmuxSession struct {
	t      *testing.T
	tmux   string
	socket string
	dir    string // the test's temporary directory: the exit status
}

// startTmux runs "chordtui ARGS…" in tmux at 120×40, in true colour
// (TERM=xterm-256color COLORTERM=truecolor, so the screen's colours are the
// theme's own), its exit status written to s.statusFile. It skips the test
// with -short or without tmux; the server is killed at the test's end.
func startTmux(t *testing.T, args ...string) *tmuxSession {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and starts a cluster in tmux; skipped with -short")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed (.ci/run installs it); skipping the real-binary test")
	}
	dir := t.TempDir()
	bin := binaryBuilt(t, false) // the binary as a user runs it, without -race
	s := &tmuxSession{t: t, tmux: tmux, socket: fmt.Sprintf("chordtui-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), os.Getpid()), dir: dir}
	t.Cleanup(func() { _ = exec.Command(tmux, "-L", s.socket, "kill-server").Run() })
	// The shell around chordtui writes its exit status to a file (tmux
	// 3.3a does not always record a dead pane's status).
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + a + "'"
	}
	s.run("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40",
		fmt.Sprintf("env TERM=xterm-256color COLORTERM=truecolor '%s' %s; echo $? > '%s'", bin, strings.Join(quoted, " "), s.statusFile()))
	return s
}

func (s *tmuxSession) statusFile() string { return filepath.Join(s.dir, "status") }

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.tmux, append([]string{"-L", s.socket, "-f", "/dev/null"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// paste pastes text into the pane at once, as a terminal pastes a
// selection (through a file: tmux's messages are too short for a long one).
func (s *tmuxSession) paste(text string) {
	s.t.Helper()
	f := filepath.Join(s.t.TempDir(), "paste")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		s.t.Fatal(err)
	}
	s.run("load-buffer", f)
	s.run("paste-buffer", "-t", "ui")
}

// capture is the screen as plain text.
func (s *tmuxSession) capture() string { return s.run("capture-pane", "-p", "-t", "ui") }

// captureColour is the screen with its colours and attributes (SGR).
func (s *tmuxSession) captureColour() string { return s.run("capture-pane", "-e", "-p", "-t", "ui") }

// keys types literal text, then sends the named keys (Enter, Escape…).
func (s *tmuxSession) keys(text string, named ...string) {
	if text != "" {
		s.run("send-keys", "-t", "ui", "-l", text)
	}
	if len(named) > 0 {
		s.run(append([]string{"send-keys", "-t", "ui"}, named...)...)
	}
}

// waitFor polls the pane until every want is on screen, failing at the
// deadline with the last screen.
func (s *tmuxSession) waitFor(d time.Duration, want ...string) string {
	s.t.Helper()
	return screentest.WaitFor(s.t, d, 50*time.Millisecond, s.capture, want...)
}

// waitExit waits for chordtui to exit and fails unless its status is 0.
func (s *tmuxSession) waitExit(d time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		if b, err := os.ReadFile(s.statusFile()); err == nil && strings.HasSuffix(string(b), "\n") {
			if st := strings.TrimSpace(string(b)); st != "0" {
				s.t.Fatalf("chordtui exited with status %s", st)
			}
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("chordtui did not exit within %v:\n%s", d, s.capture())
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bound wait
	}
}

// TestTmuxBinary runs `chordtui 16` in tmux at 120×40: 16/16 alive, a kill
// shows 15/16 and then stable, a set key reads back through :get, and q
// exits with status 0.
func TestTmuxBinary(t *testing.T) {
	s := startTmux(t, "16")
	s.waitFor(60*time.Second, "16/16 alive", "✓ stable")

	s.keys(":kill n5", "Enter")
	s.waitFor(10*time.Second, "15/16 alive")
	s.waitFor(30*time.Second, "15/16 alive", "✓ stable — converged in", "after kill n5")

	s.keys(":set greeting hello", "Enter")
	s.waitFor(10*time.Second, "✓ set greeting hello")
	s.keys(":get greeting", "Enter")
	scr := s.waitFor(10*time.Second, "✓ get greeting")
	if msg := screentest.LastLines(scr, 2); !strings.Contains(msg, `"hello"`) {
		t.Errorf(":get greeting does not show the value \"hello\":\n%s", msg)
	}
	t.Logf("screen after :get greeting:\n%s", scr)

	s.keys("q")
	s.waitExit(15 * time.Second)
}
