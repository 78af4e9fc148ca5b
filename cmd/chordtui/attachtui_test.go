package main

import (
	"strings"
	"testing"
	"time"
)

// TestTmuxAttach runs `chordtui attach ADDR` in tmux over five `chordtui
// node` processes it did not start: the screen shows the five members and
// a stable ring; a kill -9 of one process shows it down and the ring
// unstable, then stable again without it; q exits with status 0.
func TestTmuxAttach(t *testing.T) {
	bin := buildBinary(t)
	first := startNode(t, bin, "--admin")
	procs := []*nodeProc{first}
	for range 4 {
		procs = append(procs, startNode(t, bin, "--admin", "--join", first.start.Addr))
	}
	s := startTmux(t, "attach", first.start.Addr)
	s.waitFor(60*time.Second, "5/5 alive", "✓ stable")

	// The members pane lists names in order and selects the first: kill
	// that one, so the hint bar is about it.
	victim := procs[0]
	for _, p := range procs {
		if p.start.Name < victim.start.Name {
			victim = p
		}
	}
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// The status bar's verdict names the crash it converged after.
	s.waitFor(60*time.Second, "4/5 alive", "✓ stable — converged in", "stopped answering (remote)")
	// The selected member is down and runs elsewhere: no revive offered.
	if screen := s.capture(); strings.Contains(screen, "v revive") {
		t.Fatalf("revive offered for a remote member:\n%s", screen)
	}
	s.keys("q")
	s.waitExit(10 * time.Second)
}
