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

// tmuxSession drives the real chordtui binary in a detached tmux session on
// a private server socket, reading the screen as a person would.
type tmuxSession struct {
	t      *testing.T
	tmux   string
	socket string
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.tmux, append([]string{"-L", s.socket, "-f", "/dev/null"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tmuxSession) capture() string { return s.run("capture-pane", "-p", "-t", "ui") }

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

// TestTmuxBinary builds chordtui and runs `chordtui 16` in tmux at 120×40:
// 16/16 alive, a kill shows 15/16 and then stable, a set key reads back
// through :get, and q exits with status 0.
func TestTmuxBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts 16 nodes; skipped with -short")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed (.ci/run installs it); skipping the real-binary test")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "chordtui")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s := &tmuxSession{t: t, tmux: tmux, socket: fmt.Sprintf("chordtui-test-%d", os.Getpid())}
	t.Cleanup(func() { _ = exec.Command(tmux, "-L", s.socket, "kill-server").Run() })
	// The shell around chordtui writes its exit status to a file (tmux
	// 3.3a does not always record a dead pane's status).
	statusFile := filepath.Join(dir, "status")
	s.run("new-session", "-d", "-s", "ui", "-x", "120", "-y", "40",
		fmt.Sprintf("'%s' 16; echo $? > '%s'", bin, statusFile))

	s.waitFor(60*time.Second, "16/16 alive", "✓ stable")

	s.keys(":kill n5", "Enter")
	s.waitFor(10*time.Second, "15/16 alive")
	s.waitFor(30*time.Second, "15/16 alive", "✓ stable — converged in", "after kill n5")

	s.keys(":set greeting hello", "Enter")
	scr := s.waitFor(10*time.Second, "✓ set greeting hello")
	s.keys(":get greeting", "Enter")
	scr = s.waitFor(10*time.Second, "✓ get greeting")
	if msg := screentest.LastLines(scr, 2); !strings.Contains(msg, `"hello"`) {
		t.Errorf(":get greeting does not show the value \"hello\":\n%s", msg)
	}
	t.Logf("screen after :get greeting:\n%s", scr)

	s.keys("q")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(statusFile); err == nil && strings.HasSuffix(string(b), "\n") {
			if st := strings.TrimSpace(string(b)); st != "0" {
				t.Fatalf("chordtui exited with status %s after q", st)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("chordtui did not exit within 15s of q:\n%s", s.capture())
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bound wait
	}
}
