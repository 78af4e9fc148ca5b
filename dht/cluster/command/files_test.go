package command

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/dfs"
)

// TestFileCommands runs put, ls, cat, stat, where, mkdir and rm as a user
// would, checking their words and their JSON.
func TestFileCommands(t *testing.T) {
	c := startMem(t, 8)
	dir := t.TempDir()
	local := filepath.Join(dir, "notes.txt")
	body := strings.Repeat("chord ring notes\n", 18000) // 306000 bytes: 2 blocks of 256 KiB
	if err := os.WriteFile(local, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	if r := run(t, c, "mkdir /docs"); !strings.HasPrefix(r.Text, "created directory /docs (inode ") {
		t.Errorf("mkdir: %s", r.Text)
	}
	r := run(t, c, "put "+local+" /docs/notes.txt")
	if !strings.HasPrefix(r.Text, "stored /docs/notes.txt: 306000 bytes, mode 0640, inode ") || strings.Contains(r.Text, "replaced") {
		t.Errorf("put: %s", r.Text)
	}
	if m := asJSON(t, r); m["size"] != float64(306000) || m["kind"] != "file" || m["mode"] != "0640" {
		t.Errorf("put JSON: %v", m)
	}
	if r := run(t, c, "put "+local+" /docs/notes.txt"); !strings.Contains(r.Text, "(replaced the file that was there)") {
		t.Errorf("put again: %s", r.Text)
	}
	r = run(t, c, "ls")
	if !strings.HasPrefix(r.Text, "/: 1 entry\ndrwxr-xr-x  1  ") || !strings.HasSuffix(r.Text, "  docs/") {
		t.Errorf("ls:\n%s", r.Text)
	}
	r = run(t, c, "ls /docs")
	if !strings.Contains(r.Text, "-rw-r-----  306000  ") || !strings.HasSuffix(r.Text, "notes.txt") {
		t.Errorf("ls /docs:\n%s", r.Text)
	}
	// A name with a newline or a byte that is not UTF-8 is quoted: it
	// would otherwise read as two entries, or garble the terminal.
	run(t, c, "mkdir \"/docs/two\nlines\"") // a real newline, inside quotes
	run(t, c, "mkdir /docs/\xff")
	r = run(t, c, "ls /docs")
	if !strings.Contains(r.Text, `  "two\nlines"/`) || !strings.Contains(r.Text, `  "\xff"/`) || strings.Count(r.Text, "\n") != 3 {
		t.Errorf("ls of odd names:\n%s", r.Text)
	}
	run(t, c, "rm \"/docs/two\nlines\"")
	run(t, c, "rm /docs/\xff")
	r = run(t, c, "cat /docs/notes.txt")
	if r.Text != strings.TrimSuffix(body, "\n") {
		t.Errorf("cat: %d bytes", len(r.Text))
	}
	if m := asJSON(t, r); m["text"] != body || m["truncated"] != false {
		t.Errorf("cat JSON: text of %d bytes, truncated %v", len(m["text"].(string)), m["truncated"])
	}
	r = run(t, c, "stat /docs/notes.txt")
	if !strings.HasPrefix(r.Text, "/docs/notes.txt: file, 306000 bytes, mode 0640, modified ") {
		t.Errorf("stat: %s", r.Text)
	}
	r = run(t, c, "where /docs/notes.txt")
	w, ok := r.Data.(cluster.FileWhere)
	if !ok || len(w.Blocks) != 2 || w.Missing != 0 || len(w.Inode.Holders) != 3 {
		t.Fatalf("where: %+v", r.Data)
	}
	for _, b := range w.Blocks {
		if len(b.Holders) != 3 || b.Holders[0] == "" || b.Owner == "" {
			t.Errorf("block %d: owner %s, holders %v", b.N, b.Owner, b.Holders)
		}
	}
	if !strings.Contains(r.Text, "in 2 stored blocks") || !strings.Contains(r.Text, "per node, in ring order:") {
		t.Errorf("where:\n%s", r.Text)
	}
	if m := asJSON(t, r); len(m["blocks"].([]any)) != 2 || len(m["nodes"].([]any)) < 3 {
		t.Errorf("where JSON: %v", m)
	}
	if r := run(t, c, "rm /docs/notes.txt"); !strings.HasPrefix(r.Text, "removed /docs/notes.txt (306000 bytes") {
		t.Errorf("rm: %s", r.Text)
	}
	if r := run(t, c, "ls /docs"); r.Text != "/docs: empty" {
		t.Errorf("ls of an empty directory: %q", r.Text)
	}
	if r := run(t, c, "rm /docs"); r.Text != "removed directory /docs" {
		t.Errorf("rm a directory: %s", r.Text)
	}
}

// A file open here with writes not committed yet: stat reports them, and
// cat and where say that what they show is the committed version.
func TestFileCommandsOnAnOpenFile(t *testing.T) {
	c := startMem(t, 4)
	ctx := context.Background()
	fsys := c.FS()
	a, _, err := fsys.Create(ctx, dfs.RootIno, "f", 0o644, true)
	if err != nil {
		t.Fatal(err)
	}
	h, err := fsys.Open(ctx, a.Ino)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt(ctx, []byte("hello world"), 0); err != nil {
		t.Fatal(err)
	}
	if r := run(t, c, "stat /f"); !strings.HasPrefix(r.Text, "/f: file, 11 bytes") {
		t.Errorf("stat: %s", r.Text)
	}
	want := "(the committed version, 0 bytes: /f is open here, and its newer writes are not stored yet)"
	if r := run(t, c, "cat /f"); r.Text != want {
		t.Errorf("cat: %q, want %q", r.Text, want)
	}
	if r := run(t, c, "where /f"); !strings.Contains(r.Text, "0 bytes in 0 stored blocks (the committed version: it is open here") {
		t.Errorf("where: %s", r.Text)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if r := run(t, c, "cat /f"); r.Text != "hello world" {
		t.Errorf("cat after the close: %q", r.Text)
	}
}

// A PATH without its leading "/" is read from the root, and the results
// name it as ls does.
func TestFileCommandsNameRelativePathsFromTheRoot(t *testing.T) {
	c := startMem(t, 4)
	local := filepath.Join(t.TempDir(), "x")
	if err := os.WriteFile(local, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ line, prefix string }{
		{"put " + local + " rel.txt", "stored /rel.txt: 5 bytes"},
		{"stat rel.txt", "/rel.txt: file, 5 bytes"},
		{"where rel.txt", "/rel.txt: 5 bytes"},
		{"rm rel.txt", "removed /rel.txt"},
	} {
		if r := run(t, c, tt.line); !strings.HasPrefix(r.Text, tt.prefix) {
			t.Errorf("%s: %q, want it to start %q", tt.line, r.Text, tt.prefix)
		}
	}
}

// TestFileCommandErrors: every bad input is one sentence naming the
// problem, and leaves nothing behind.
func TestFileCommandErrors(t *testing.T) {
	c := startMem(t, 6)
	dir := t.TempDir()
	local := filepath.Join(dir, "x")
	if err := os.WriteFile(local, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, c, "mkdir /d")
	run(t, c, "put "+local+" /d/f")
	// A named pipe with no writer: opening it would block for ever.
	fifo := filepath.Join(dir, "fifo")
	if out, err := exec.Command("mkfifo", fifo).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v %s", err, out)
	}
	for _, tc := range []struct {
		line, want string
		kind       error
	}{
		{"put " + fifo + " /y", "cannot read " + quote(fifo) + ": not a regular file (a named pipe)", ErrUsage},
		{"put /dev/zero /y", "not a regular file (a device)", ErrUsage},
		{"put " + local + " /a/../b", `paths may not use ".."`, nil},
		{"put " + local + " /a//b", "empty name", nil},
		{"put " + local + " /" + strings.Repeat("n", 256), "a name of 256 bytes (the limit is 255)", nil},
		{"put " + local + " /d", "is a directory", nil},
		{"put " + dir + " /y", "is a directory — put copies one file", ErrUsage},
		{"put " + filepath.Join(dir, "nope") + " /y", "cannot read", ErrUsage},
		{"put " + local + " /missing/y", "no such file or directory", nil},
		{"cat /d", "is a directory", nil},
		{"cat /nope", "no such file or directory", nil},
		{"mkdir /d", "file exists", nil},
		{"mkdir /d/f/g", "not a directory", nil},
		{"rm /d", "directory not empty (rm removes files and empty directories)", nil},
		{"rm /", "the root directory cannot be the target", nil},
		{"ls /d/f/x", "not a directory", nil},
		{"where ''", "empty path", nil},
		{"stat", "wants 1 argument", ErrUsage},
	} {
		r := Exec(context.Background(), c, tc.line)
		if r.OK || !strings.Contains(r.Err.Error(), tc.want) || strings.Contains(r.Err.Error(), "\n") {
			t.Errorf("%s: %v, want an error saying %q", tc.line, r.Err, tc.want)
		}
		if tc.kind != nil && !errors.Is(r.Err, tc.kind) {
			t.Errorf("%s: %v does not wrap %v", tc.line, r.Err, tc.kind)
		}
	}
	r := run(t, c, "ls /")
	if !strings.HasPrefix(r.Text, "/: 1 entry") {
		t.Errorf("the root after the bad input:\n%s", r.Text)
	}
	if r := run(t, c, "ls /d"); !strings.HasPrefix(r.Text, "/d: 1 entry") {
		t.Errorf("/d after the bad input:\n%s", r.Text)
	}
}
