package fusefs_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/dfs/fusefs"
)

// mount starts a ring of 6 nodes in memory and mounts its file system on
// a new directory; it skips the test, saying why, where FUSE cannot be
// used.
func mount(t *testing.T) (*cluster.Cluster, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ring")
	if err := fusefs.Check(dir); errors.Is(err, fusefs.ErrNoFUSE) || errors.Is(err, fusefs.ErrNoFusermount) {
		t.Skipf("no FUSE mount possible here: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	cfg := cluster.DefaultConfig()
	cfg.Nodes, cfg.Seed, cfg.Network = 6, 3, cluster.NewMemNetwork(3)
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	go func() { // exits when Close closes the event channel
		for range c.Events() {
		}
	}()
	m, err := fusefs.Mount(c.FS(), dir, fusefs.Options{})
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Unmount(); err != nil {
			t.Errorf("unmount: %v", err)
		}
		c.Close()
	})
	return c, dir
}

func errno(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return 0
}

// TestMount: files written through the mount read back, through it and
// through the ring's own API, and bad input gets the errno a program
// expects.
func TestMount(t *testing.T) {
	c, dir := mount(t)
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320000 bytes: 5 blocks
	p := filepath.Join(dir, "sub", "f.bin")
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back: %d bytes, %v", len(got), err)
	}
	var buf bytes.Buffer
	if _, err := c.FS().ReadFile(ctx, "/sub/f.bin", &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("read through the ring: %d bytes, %v", buf.Len(), err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Size() != int64(len(data)) || st.Mode().Perm() != 0o640 {
		t.Fatalf("stat: %v %v", st, err)
	}
	// Every mode shows as set, none (0) included, on files and directories.
	for _, path := range []string{p, filepath.Join(dir, "sub")} {
		for _, mode := range []os.FileMode{0, 0o600, 0o755} {
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(path); err != nil || st.Mode().Perm() != mode {
				t.Fatalf("chmod %o %s: stat says %v, %v", mode, path, st.Mode(), err)
			}
		}
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	// Append and overwrite in the middle through one descriptor.
	f, err := os.OpenFile(p, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("tail")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	f, _ = os.OpenFile(p, os.O_RDWR, 0)
	if _, err := f.WriteAt([]byte("MIDDLE"), 100000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want := append(append([]byte(nil), data...), "tail"...)
	copy(want[100000:], "MIDDLE")
	if got, _ := os.ReadFile(p); !bytes.Equal(got, want) {
		t.Fatal("append and overwrite: contents differ")
	}
	if err := os.Truncate(p, 10); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "0123456789" {
		t.Fatalf("after truncate: %q", got)
	}
	if err := os.Rename(p, filepath.Join(dir, "g")); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "g sub" {
		t.Fatalf("root: %v", names)
	}
	for _, tc := range []struct {
		what string
		err  error
		want syscall.Errno
	}{
		{"a name of 256 bytes", os.WriteFile(filepath.Join(dir, strings.Repeat("n", 256)), nil, 0o644), syscall.ENAMETOOLONG},
		{"write to a directory", os.WriteFile(filepath.Join(dir, "sub"), []byte("x"), 0o644), syscall.EISDIR},
		{"rmdir a non-empty directory", func() error {
			_ = os.WriteFile(filepath.Join(dir, "sub", "x"), nil, 0o644)
			return syscall.Rmdir(filepath.Join(dir, "sub"))
		}(), syscall.ENOTEMPTY},
		{"unlink a missing file", os.Remove(filepath.Join(dir, "missing")), syscall.ENOENT},
		{"mkdir over a file", os.Mkdir(filepath.Join(dir, "g"), 0o755), syscall.EEXIST},
	} {
		if errno(tc.err) != tc.want {
			t.Errorf("%s: %v, want %v", tc.what, tc.err, tc.want)
		}
	}
	// A file past the limit is EFBIG and leaves the file as it was.
	f, _ = os.OpenFile(filepath.Join(dir, "g"), os.O_RDWR, 0)
	_, err = f.WriteAt([]byte("x"), c.FS().Config().MaxFileSize)
	f.Close()
	if errno(err) != syscall.EFBIG {
		t.Errorf("write past the limit: %v, want EFBIG", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "g")); string(got) != "0123456789" {
		t.Errorf("after the failed write: %q", got)
	}
}

// TestCheck: a missing FUSE device and a directory that is a file are
// explained.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := fusefs.Check(file); !errors.Is(err, fusefs.ErrMountPoint) || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a file as mount point: %v", err)
	}
	if err := fusefs.Check(filepath.Join(dir, "a", "b")); !errors.Is(err, fusefs.ErrMountPoint) || !strings.Contains(err.Error(), "mkdir -p") {
		t.Errorf("a missing parent: %v", err)
	}
	restore := fusefs.SetDeviceForTest(filepath.Join(dir, "no-such-device"))
	defer restore()
	err := fusefs.Check(filepath.Join(dir, "m"))
	if !errors.Is(err, fusefs.ErrNoFUSE) || !strings.Contains(err.Error(), "modprobe fuse") {
		t.Errorf("no FUSE device: %v", err)
	}
}

// TestNoLeak: after Unmount and the cluster's Close, every goroutine the
// mount, the file system and the ring started has exited.
func TestNoLeak(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ring")
	if err := fusefs.Check(dir); errors.Is(err, fusefs.ErrNoFUSE) || errors.Is(err, fusefs.ErrNoFusermount) {
		t.Skipf("no FUSE mount possible here: %v", err)
	}
	runtime.GC()
	baseline := runtime.NumGoroutine()
	cfg := cluster.DefaultConfig()
	cfg.Nodes, cfg.Seed, cfg.Network = 5, 4, cluster.NewMemNetwork(4)
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	drained := make(chan struct{})
	go func() { // exits when Close closes the event channel
		defer close(drained)
		for range c.Events() {
		}
	}()
	m, err := fusefs.Mount(c.FS(), dir, fusefs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("leak? "), 100000)
	if err := os.WriteFile(filepath.Join(dir, "f"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "f")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back: %v", err)
	}
	if _, err := c.CollectGarbage(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Unmount(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	<-drained
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond) // polling interval of a deadline-bound wait
	}
}
