package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht/dfs/fusefs"
)

// needFUSE skips the test, saying why, where no FUSE mount can be made
// (no /dev/fuse, or no fusermount3 for a user other than root).
func needFUSE(t *testing.T) {
	t.Helper()
	if err := fusefs.Check(filepath.Join(t.TempDir(), "probe")); errors.Is(err, fusefs.ErrNoFUSE) || errors.Is(err, fusefs.ErrNoFusermount) {
		t.Skipf("skipped: no FUSE mount is possible on this machine: %v", err)
	}
}

// mounted reports whether dir is a mount point (from /proc/self/mountinfo).
func mounted(t *testing.T, dir string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == dir {
			return true
		}
	}
	return false
}

// detach unmounts dir if a test left it mounted.
func detach(dir string) {
	if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
		_ = exec.Command("fusermount3", "-u", "-z", dir).Run()
	}
}

// sourceTree copies the repository's own source directories (a few
// hundred files) to a temporary directory and returns the copies.
func sourceTree(t *testing.T) []string {
	t.Helper()
	local := t.TempDir()
	var dirs []string
	for _, d := range []string{"chord", "dht", "netmux", "tui", "cmd", "docs"} {
		p := filepath.Join("..", "..", d)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		sh(t, "cp", "-r", p, local+"/")
		dirs = append(dirs, filepath.Join(local, d))
	}
	if len(dirs) == 0 {
		t.Fatal("no source tree found at ../..")
	}
	return dirs
}

func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ringOrder returns the live nodes of a "nodes" result in identifier
// order.
func ringOrder(t *testing.T, res map[string]any) []string {
	t.Helper()
	type row struct{ name, id string }
	var rows []row
	for _, n := range res["nodes"].([]any) {
		m := n.(map[string]any)
		if m["state"] == "alive" {
			rows = append(rows, row{m["name"].(string), m["id"].(string)})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.name
	}
	return out
}

// lsSizesModes is "ls -l" of dir cut to the mode, size and name columns.
func lsSizesModes(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(sh(t, "ls", "-l", dir), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 {
			continue
		}
		out = append(out, f[0]+" "+f[4]+" "+f[8])
	}
	return strings.Join(out, "\n")
}

// TestMountCopyKillDiff is the file system end to end, through a real
// mount of "chordtui repl --mount" on 16 nodes: a copy of the
// repository's source comes back identical (diff -r), also with two
// adjacent nodes killed during the copy and after the ring repaired
// itself; renames, removals, chmod and ls -l behave as on a local disk;
// quit unmounts.
func TestMountCopyKillDiff(t *testing.T) {
	needFUSE(t)
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "ring")
	t.Cleanup(func() { detach(dir) })
	p := startREPL(t, bin, "--mount", dir, "16")
	p.mustOK("wait 30s")
	if !mounted(t, dir) {
		t.Fatalf("%s is not mounted (stderr: %s)", dir, p.errb.String())
	}
	srcs := sourceTree(t)
	files := 0
	for _, s := range srcs {
		files += strings.Count(sh(t, "find", s, "-type", "f"), "\n")
	}
	t.Logf("copying %d files of %v", files, srcs)

	// The copy, with two adjacent nodes killed while it runs.
	order := ringOrder(t, p.mustOK("nodes")[0])
	victims := []string{order[5], order[6]}
	cp := exec.Command("cp", append(append([]string{"-r"}, srcs...), dir+"/")...)
	out := &strings.Builder{}
	cp.Stdout, cp.Stderr = out, out
	if err := cp.Start(); err != nil {
		t.Fatal(err)
	}
	copied := make(chan error, 1)
	go func() { copied <- cp.Wait() }() // exits when cp does
	time.Sleep(50 * time.Millisecond)   // under way
	p.mustOK("kill "+victims[0], "kill "+victims[1])
	select {
	case err := <-copied:
		t.Fatalf("the copy ended (%v) before both nodes were killed: nothing was tested", err)
	default:
	}
	if err := <-copied; err != nil {
		t.Fatalf("cp -r: %v\n%s", err, out)
	}
	t.Logf("killed %v during the copy", victims)
	for _, s := range srcs {
		sh(t, "diff", "-r", s, filepath.Join(dir, filepath.Base(s)))
	}
	p.mustOK("wait 60s")
	for _, s := range srcs {
		sh(t, "diff", "-r", s, filepath.Join(dir, filepath.Base(s)))
	}
	// where shows the file's keys on live nodes only.
	w := p.mustOK("where /dht/dht.go")[0]
	for _, b := range w["blocks"].([]any) {
		for _, h := range b.(map[string]any)["holders"].([]any) {
			if h == victims[0] || h == victims[1] {
				t.Errorf("where names the killed node %v", h)
			}
		}
	}

	// Renames, removals, modes and sizes, as a shell sees them.
	dhtSrc := srcs[1]
	if err := os.Rename(filepath.Join(dir, "dht"), filepath.Join(dir, "dht2")); err != nil {
		t.Fatal(err)
	}
	sh(t, "diff", "-r", dhtSrc, filepath.Join(dir, "dht2"))
	if err := os.Rename(filepath.Join(dir, "dht2", "dht.go"), filepath.Join(dir, "chord", "moved.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "chord", "moved.go")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dht2", "dht.go")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a moved file is still at its old name: %v", err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "dht2", "cluster")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "chord", "node.go"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(srcs[0], "node.go"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := lsSizesModes(t, filepath.Join(dir, "chord")), lsSizesModes(t, srcs[0]); got != want {
		t.Fatalf("ls -l differs:\nmount:\n%s\nlocal:\n%s", got, want)
	}
	if !strings.Contains(lsSizesModes(t, filepath.Join(dir, "chord")), "-rw------- ") {
		t.Fatal("chmod 600 does not show in ls -l")
	}
	if res := p.mustOK("ls /dht2"); len(res[0]["entries"].([]any)) == 0 {
		t.Fatal("ls /dht2 through the REPL is empty")
	}
	p.mustOK("quit")
	if status := p.exit(); status != 0 {
		t.Fatalf("exit status %d (stderr: %s)", status, p.errb.String())
	}
	if mounted(t, dir) {
		t.Fatalf("%s still mounted after quit", dir)
	}
}

// startMount runs "chordtui mount DIR N" and waits for its banner.
func startMount(t *testing.T, bin, dir string, n int) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(bin, "mount", dir, fmt.Sprint(n))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait() // the exit error of a killed process says nothing new
		}
	})
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "mounted the file system of ") {
		t.Fatalf("no banner: %q (stderr: %s)", sc.Text(), errb.String())
	}
	return cmd, sc
}

// TestMountSignalsAndStale: SIGTERM unmounts cleanly (exit 0); a mount
// whose process was killed with SIGKILL stays behind, and the next start
// says so and what to run.
func TestMountSignalsAndStale(t *testing.T) {
	needFUSE(t)
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "ring")
	t.Cleanup(func() { detach(dir) })

	cmd, sc := startMount(t, bin, dir, 4)
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("kept until the ring stops"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !sc.Scan() || sc.Text() != "unmounted "+dir {
		t.Fatalf("after SIGTERM: %q", sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	if mounted(t, dir) {
		t.Fatal("still mounted after SIGTERM")
	}

	cmd, _ = startMount(t, bin, dir, 4)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // killed: its status says so
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := os.Stat(dir)
		if errors.Is(err, syscall.ENOTCONN) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mount of the killed process is not stale: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	out, err := exec.Command(bin, "mount", dir, "4").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("start over a stale mount: %v\n%s", err, out)
	}
	for _, want := range []string{"stale mount", "a chordtui that was killed", "fusermount3 -u " + dir} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the error does not say %q:\n%s", want, out)
		}
	}
	detach(dir)
}

// TestMountUnavailable: where the mount cannot be made, the REPL says why
// and what to do, and every command still works.
func TestMountUnavailable(t *testing.T) {
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "no", "such", "parent")
	p := startREPL(t, bin, "--mount", dir, "4")
	res := p.mustOK("set k v", "get k")
	if res[1]["value"] != "v" {
		t.Fatalf("get after a failed mount: %v", res[1])
	}
	if status := p.exit(); status != 0 {
		t.Fatalf("exit status %d", status)
	}
	if e := p.errb.String(); !strings.Contains(e, "--mount: bad mount point") || !strings.Contains(e, "mkdir -p "+dir) || !strings.Contains(e, "going on without the mount") {
		t.Fatalf("stderr does not explain the failed mount:\n%s", e)
	}
}

// TestTmuxMount runs the UI with --mount in tmux: the mount works beside
// it, the event log says so, where answers at the ":" prompt, and q
// unmounts.
func TestTmuxMount(t *testing.T) {
	needFUSE(t)
	dir := filepath.Join(t.TempDir(), "ring")
	t.Cleanup(func() { detach(dir) })
	s := startTmux(t, "--mount", dir, "8")
	s.waitFor(60*time.Second, "8/8 alive", "✓ stable", "mounted the ring's file system on")
	if !mounted(t, dir) {
		t.Fatalf("%s is not mounted", dir)
	}
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello, ring\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.keys(":where /hello.txt", "Enter")
	// where's answer is several lines: it opens in the output view.
	scr := s.waitFor(10*time.Second, "› where /hello.txt", "/hello.txt: 12 bytes in 1 stored block", "per node, in ring order:")
	t.Logf("screen after :where:\n%s", scr)
	s.keys("", "Escape") // alone: an escape followed at once by q reads as alt+q
	s.waitFor(5*time.Second, "q quit")
	s.keys("q")
	s.waitExit(15 * time.Second)
	if mounted(t, dir) {
		t.Fatalf("%s still mounted after q", dir)
	}
}
