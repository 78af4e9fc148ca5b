package dfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/dfs"
)

// testClock is the physical clock of the ring's stores and of the file
// system: real time plus an offset the test moves forward (the garbage
// collector's rule is in that time; no test waits for it to pass).
type testClock struct{ off atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *testClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// ring is a cluster on the in-memory network with its file system.
type ring struct {
	t     *testing.T
	c     *cluster.Cluster
	fs    *dfs.FS
	clock *testClock
}

// newRing starts n nodes with 3 replicas, 4 KiB blocks and 4 direct
// blocks (so that a file of more than 16 KiB has index blocks).
func newRing(t *testing.T, n int, mutate func(*cluster.Config)) *ring {
	t.Helper()
	clock := &testClock{}
	cfg := cluster.DefaultConfig()
	cfg.Nodes = n
	cfg.Seed = 7
	cfg.Network = cluster.NewMemNetwork(7)
	cfg.Chord.RPCTimeout = 150 * time.Millisecond
	cfg.DHT.Clock = clock.Now
	cfg.DFS.BlockSize = 4096
	cfg.DFS.DirectBlocks = 4
	cfg.DFS.MaxFileSize = 64 << 20
	cfg.GCInterval = time.Hour // tests collect by hand
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	go func() { // exits when Close closes the event channel
		for range c.Events() {
		}
	}()
	t.Cleanup(func() { c.Close() })
	if _, err := c.Wait(context.Background(), 30*time.Second); err != nil {
		t.Fatalf("wait: %v", err)
	}
	return &ring{t: t, c: c, fs: c.FS(), clock: clock}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// pattern returns n bytes that differ from block to block and from seed
// to seed, so that a block in the wrong place or of the wrong version
// shows.
func pattern(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func (r *ring) put(path string, data []byte) dfs.Attr {
	r.t.Helper()
	a, err := r.fs.WriteFile(ctxT(r.t), path, bytes.NewReader(data), 0o644)
	if err != nil {
		r.t.Fatalf("write %s: %v", path, err)
	}
	return a
}

func (r *ring) get(path string) []byte {
	r.t.Helper()
	var buf bytes.Buffer
	if _, err := r.fs.ReadFile(ctxT(r.t), path, &buf); err != nil {
		r.t.Fatalf("read %s: %v", path, err)
	}
	return buf.Bytes()
}

func (r *ring) mustEqual(path string, want []byte) {
	r.t.Helper()
	if got := r.get(path); !bytes.Equal(got, want) {
		r.t.Fatalf("%s: read %d bytes that differ from the %d written (first difference at %d)", path, len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func names(ents []dfs.Dirent) string {
	var out []string
	for _, e := range ents {
		out = append(out, e.Name)
	}
	return strings.Join(out, " ")
}

// TestOperations runs every operation of the file system once and checks
// what a user would see after it.
func TestOperations(t *testing.T) {
	r := newRing(t, 8, nil)
	ctx := ctxT(t)
	fs := r.fs
	if _, err := fs.MkdirPath(ctx, "/src", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.MkdirPath(ctx, "/src", 0o755); !errors.Is(err, dfs.ErrExist) {
		t.Fatalf("mkdir twice: %v, want ErrExist", err)
	}
	src, err := fs.Resolve(ctx, "/src")
	if err != nil || src.Kind != dfs.KindDir {
		t.Fatalf("resolve /src: %+v %v", src, err)
	}

	// Create, write, read.
	a, created, err := fs.Create(ctx, src.Ino, "a.txt", 0o640, true)
	if err != nil || !created || a.Mode != 0o640 || a.Size != 0 {
		t.Fatalf("create: %+v %v %v", a, created, err)
	}
	h, err := fs.Open(ctx, a.Ino)
	if err != nil {
		t.Fatal(err)
	}
	data := pattern(1, 10000) // 3 blocks, the last one partial
	if n, err := h.WriteAt(ctx, data, 0); err != nil || n != len(data) {
		t.Fatalf("write: %d %v", n, err)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r.mustEqual("/src/a.txt", data)
	if st, _ := fs.Resolve(ctx, "src/a.txt"); st.Size != 10000 || st.Mode != 0o640 {
		t.Fatalf("stat after write: size %d mode %o", st.Size, st.Mode)
	}

	// Overwrite in the middle, across a block boundary, and append.
	h, _ = fs.Open(ctx, a.Ino)
	mid := bytes.Repeat([]byte("M"), 3000)
	if _, err := h.WriteAt(ctx, mid, 3000); err != nil {
		t.Fatal(err)
	}
	copy(data[3000:], mid)
	tail := pattern(2, 5000)
	if _, err := h.WriteAt(ctx, tail, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	data = append(data, tail...)
	// Read back through the same handle before the commit: the writes show.
	got := make([]byte, len(data))
	if n, err := h.ReadAt(ctx, got, 0); n != len(data) || (err != nil && !errors.Is(err, io.EOF)) || !bytes.Equal(got, data) {
		t.Fatalf("read through the writing handle: %d %v, equal %v", n, err, bytes.Equal(got, data))
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r.mustEqual("/src/a.txt", data)

	// Truncate down into a block, then extend: the cut bytes come back as zeros.
	size := int64(5000)
	if _, err := fs.SetAttr(ctx, a.Ino, dfs.SetAttr{Size: &size}); err != nil {
		t.Fatal(err)
	}
	r.mustEqual("/src/a.txt", data[:5000])
	size = 9000
	mode := uint32(0o600)
	if st, err := fs.SetAttr(ctx, a.Ino, dfs.SetAttr{Size: &size, Mode: &mode}); err != nil || st.Mode != 0o600 || st.Size != 9000 {
		t.Fatalf("extend and chmod: %+v %v", st, err)
	}
	want := append(append([]byte(nil), data[:5000]...), make([]byte, 4000)...)
	r.mustEqual("/src/a.txt", want)

	// Readdir, rename within a directory and across, over an existing file.
	r.put("/src/b.txt", []byte("bee"))
	if _, err := fs.MkdirPath(ctx, "/dst", 0o700); err != nil {
		t.Fatal(err)
	}
	ents, _ := fs.ReadDir(ctx, src.Ino)
	if names(ents) != "a.txt b.txt" {
		t.Fatalf("readdir: %s", names(ents))
	}
	if err := fs.RenamePath(ctx, "/src/a.txt", "/src/c.txt"); err != nil {
		t.Fatal(err)
	}
	r.mustEqual("/src/c.txt", want)
	if err := fs.RenamePath(ctx, "/src/c.txt", "/dst/c.txt"); err != nil {
		t.Fatal(err)
	}
	if err := fs.RenamePath(ctx, "/src/b.txt", "/dst/c.txt"); err != nil {
		t.Fatalf("rename over a file: %v", err)
	}
	r.mustEqual("/dst/c.txt", []byte("bee"))
	if ents, _ := fs.ReadDir(ctx, src.Ino); len(ents) != 0 {
		t.Fatalf("/src after the renames: %s", names(ents))
	}
	if err := fs.RenamePath(ctx, "/dst", "/dst/sub"); !errors.Is(err, dfs.ErrInvalid) {
		t.Fatalf("rename a directory into itself: %v", err)
	}
	if err := fs.RenamePath(ctx, "/src", "/moved"); err != nil {
		t.Fatalf("rename a directory: %v", err)
	}
	if err := fs.RenamePath(ctx, "/moved", "/dst"); !errors.Is(err, dfs.ErrNotEmpty) {
		t.Fatalf("rename over a non-empty directory: %v", err)
	}

	// Unlink, rmdir.
	if err := fs.RemovePath(ctx, "/dst"); !errors.Is(err, dfs.ErrNotEmpty) {
		t.Fatalf("rmdir a non-empty directory: %v", err)
	}
	if err := fs.RemovePath(ctx, "/dst/c.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Resolve(ctx, "/dst/c.txt"); !errors.Is(err, dfs.ErrNotFound) {
		t.Fatalf("stat a removed file: %v", err)
	}
	for _, p := range []string{"/dst", "/moved"} {
		if err := fs.RemovePath(ctx, p); err != nil {
			t.Fatalf("rmdir %s: %v", p, err)
		}
	}
	root, _ := fs.ReadDir(ctx, dfs.RootIno)
	if len(root) != 0 {
		t.Fatalf("root at the end: %s", names(root))
	}
}

// TestBadInput: every kind of bad name or path is a clear error, and
// nothing of a failed write is visible.
func TestBadInput(t *testing.T) {
	r := newRing(t, 6, func(c *cluster.Config) { c.DFS.MaxFileSize = 64 << 10 })
	ctx := ctxT(t)
	fs := r.fs
	r.put("/f", []byte("old"))
	if _, err := fs.MkdirPath(ctx, "/d", 0o755); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 256)
	for _, tc := range []struct {
		path string
		want error
	}{
		{"", dfs.ErrInvalid},
		{"/a/../b", dfs.ErrInvalid},
		{"/..", dfs.ErrInvalid},
		{"/a//b", dfs.ErrInvalid},
		{"/a/./b", dfs.ErrInvalid},
		{"/nul\x00", dfs.ErrInvalid},
		{"/" + long, dfs.ErrNameTooLong},
		{"/", dfs.ErrInvalid}, // the root is not a file
		{"/d", dfs.ErrIsDir},
		{"/f/x", dfs.ErrNotDir},
		{"/missing/x", dfs.ErrNotFound},
		{"/new/", dfs.ErrIsDir}, // a trailing "/" names a directory
		{"/f/", dfs.ErrIsDir},
	} {
		_, err := fs.WriteFile(ctx, tc.path, strings.NewReader("new"), 0o644)
		if !errors.Is(err, tc.want) {
			t.Errorf("write %q: %v, want %v", tc.path, err, tc.want)
		}
	}
	// A trailing "/" names a directory, as in POSIX.
	if _, err := fs.Resolve(ctx, "/f/"); !errors.Is(err, dfs.ErrNotDir) {
		t.Errorf("resolve /f/: %v, want %v", err, dfs.ErrNotDir)
	}
	if err := fs.RemovePath(ctx, "/f/"); !errors.Is(err, dfs.ErrNotDir) {
		t.Errorf("remove /f/: %v, want %v", err, dfs.ErrNotDir)
	}
	if a, err := fs.Resolve(ctx, "/d/"); err != nil || a.Kind != dfs.KindDir {
		t.Errorf("resolve /d/: %+v, %v", a, err)
	}
	r.mustEqual("/f", []byte("old"))
	if _, err := fs.MkdirPath(ctx, "/"+strings.Repeat("y", 255), 0o755); err != nil {
		t.Errorf("a name of 255 bytes: %v", err)
	}
	// Over the size limit: an error, and the old contents stay.
	big := pattern(3, 64<<10+1)
	if _, err := fs.WriteFile(ctx, "/f", bytes.NewReader(big), 0o644); !errors.Is(err, dfs.ErrTooLarge) {
		t.Fatalf("write past the limit: %v", err)
	}
	r.mustEqual("/f", []byte("old"))
	a, _ := fs.Resolve(ctx, "/f")
	h, _ := fs.Open(ctx, a.Ino)
	if _, err := h.WriteAt(ctx, []byte("x"), 64<<10); !errors.Is(err, dfs.ErrTooLarge) {
		t.Fatalf("write past the limit through a handle: %v", err)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	d, _ := fs.Resolve(ctx, "/d")
	if _, err := fs.Open(ctx, d.Ino); !errors.Is(err, dfs.ErrIsDir) {
		t.Fatalf("open a directory: %v", err)
	}
	if err := fs.Unlink(ctx, dfs.RootIno, "d"); !errors.Is(err, dfs.ErrIsDir) {
		t.Fatalf("unlink a directory: %v", err)
	}
	if err := fs.Rmdir(ctx, dfs.RootIno, "f"); !errors.Is(err, dfs.ErrNotDir) {
		t.Fatalf("rmdir a file: %v", err)
	}
	if _, err := fs.Lookup(ctx, dfs.RootIno, ".."); !errors.Is(err, dfs.ErrInvalid) {
		t.Fatalf("lookup ..: %v", err)
	}
	if _, _, err := fs.Create(ctx, dfs.RootIno, "", 0o644, false); !errors.Is(err, dfs.ErrInvalid) {
		t.Fatalf("create an empty name: %v", err)
	}
	ents, _ := fs.ReadDir(ctx, dfs.RootIno)
	if len(ents) != 3 { // d, f and the 255-byte directory
		t.Fatalf("root holds %d entries after the bad input: %s", len(ents), names(ents))
	}
}

// TestLargeFile: a file of 1 GiB (sparse: the ring holds its written
// blocks only) with 64 KiB blocks is written at both ends, read back and
// truncated; its inode stays small (index blocks).
func TestLargeFile(t *testing.T) {
	r := newRing(t, 6, func(c *cluster.Config) {
		c.DFS = dfs.DefaultConfig()
		c.DFS.MaxFileSize = 1 << 30
	})
	ctx := ctxT(t)
	a, _, err := r.fs.Create(ctx, dfs.RootIno, "big", 0o644, true)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := r.fs.Open(ctx, a.Ino)
	head, tail := pattern(4, 200<<10), pattern(5, 100<<10)
	if _, err := h.WriteAt(ctx, head, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt(ctx, tail, 1<<30-int64(len(tail))); err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt(ctx, []byte("x"), 1<<30); !errors.Is(err, dfs.ErrTooLarge) {
		t.Fatalf("a write past 1 GiB: %v", err)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	loc, err := r.fs.Locate(ctx, "/big")
	bs := r.fs.Config().BlockSize
	want := (len(head)+bs-1)/bs + 1 // the tail lies within the last block
	if err != nil || loc.Size != 1<<30 || len(loc.Index) == 0 || len(loc.Blocks) != want {
		t.Fatalf("locate: size %d, %d index blocks, %d data blocks, %v", loc.Size, len(loc.Index), len(loc.Blocks), err)
	}
	h, _ = r.fs.Open(ctx, a.Ino)
	got := make([]byte, len(tail)+10)
	n, err := h.ReadAt(ctx, got, 1<<30-int64(len(tail))-10)
	if n != len(got) || err != nil || !bytes.Equal(got[10:], tail) || !bytes.Equal(got[:10], make([]byte, 10)) {
		t.Fatalf("read the end: %d %v", n, err)
	}
	got = make([]byte, len(head))
	if n, err := h.ReadAt(ctx, got, 0); n != len(head) || err != nil || !bytes.Equal(got, head) {
		t.Fatalf("read the start: %d %v", n, err)
	}
	if err := h.Truncate(ctx, 100<<10); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r.mustEqual("/big", head[:100<<10])
}

// TestConcurrentWriters: writers to different files, each through its own
// handle and the path API at once, all land.
func TestConcurrentWriters(t *testing.T) {
	r := newRing(t, 8, nil)
	ctx := ctxT(t)
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := pattern(uint64(100+i), 20000+i*3000)
			if i%2 == 0 {
				_, errs[i] = r.fs.WriteFile(ctx, fmt.Sprintf("/w%d", i), bytes.NewReader(data), 0o644)
				return
			}
			a, _, err := r.fs.Create(ctx, dfs.RootIno, fmt.Sprintf("w%d", i), 0o644, true)
			if err != nil {
				errs[i] = err
				return
			}
			h, err := r.fs.Open(ctx, a.Ino)
			if err != nil {
				errs[i] = err
				return
			}
			for off := 0; off < len(data); off += 3333 {
				if _, err := h.WriteAt(ctx, data[off:min(off+3333, len(data))], int64(off)); err != nil {
					errs[i] = err
					break
				}
			}
			errs[i] = errors.Join(errs[i], h.Close(ctx))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	ents, _ := r.fs.ReadDir(ctx, dfs.RootIno)
	if len(ents) != writers {
		t.Fatalf("root holds %d files, want %d: %s", len(ents), writers, names(ents))
	}
	for i := range writers {
		r.mustEqual(fmt.Sprintf("/w%d", i), pattern(uint64(100+i), 20000+i*3000))
	}
}

// TestReaderDuringOverwrite: while a file is overwritten again and again
// (in place through a handle, and replaced whole), every read returns one
// version entirely, never a mix.
func TestReaderDuringOverwrite(t *testing.T) {
	r := newRing(t, 8, nil)
	ctx := ctxT(t)
	const size = 40000 // 10 blocks, index blocks included
	version := func(v byte) []byte { return bytes.Repeat([]byte{v}, size) }
	a := r.put("/f", version('a'))
	stop := make(chan struct{})
	var writes atomic.Int32
	var failed atomic.Bool
	var werr error // read after wg.Wait
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { failed.Store(werr != nil) }()
		for v := byte('b'); v <= 'z'; v++ {
			select {
			case <-stop:
				return
			default:
			}
			if v%2 == 0 {
				_, werr = r.fs.WriteFile(ctx, "/f", bytes.NewReader(version(v)), 0o644)
			} else {
				var h *dfs.Handle
				cur, err := r.fs.Resolve(ctx, "/f")
				if err == nil {
					h, err = r.fs.Open(ctx, cur.Ino)
				}
				if err == nil {
					// Block by block, from the end: uncommitted, a mix.
					for off := size - 4096; off > -4096; off -= 4096 {
						lo := max(off, 0)
						if _, err = h.WriteAt(ctx, version(v)[:min(4096, size-lo)], int64(lo)); err != nil {
							break
						}
					}
					err = errors.Join(err, h.Close(ctx))
				}
				werr = err
			}
			if werr != nil {
				return
			}
			writes.Add(1)
		}
	}()
	_ = a
	reads := 0
	for writes.Load() < 20 && !failed.Load() {
		var buf bytes.Buffer
		if _, err := r.fs.ReadFile(ctx, "/f", &buf); err != nil {
			t.Fatalf("read during overwrites: %v", err)
		}
		got := buf.Bytes()
		if len(got) != size || !bytes.Equal(got, version(got[0])) {
			t.Fatalf("read %d bytes mixing versions: starts with %q, byte %d differs", len(got), got[:1], firstDiff(got, version(got[0])))
		}
		reads++
	}
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatalf("writer: %v", werr)
	}
	t.Logf("%d reads during %d overwrites", reads, writes.Load())
}

// adjacent returns r live nodes that follow each other on the ring,
// starting at the i-th live node in ring order.
func (r *ring) adjacent(i, n int) []string {
	nodes := r.c.Nodes().Nodes
	var live []cluster.NodeRow
	for _, row := range nodes {
		if row.State == cluster.StateAlive {
			live = append(live, row)
		}
	}
	sort.Slice(live, func(a, b int) bool { return live[a].ID.ID.Cmp(live[b].ID.ID) < 0 })
	var out []string
	for k := range n {
		out = append(out, live[(i+k)%len(live)].Name)
	}
	return out
}

// TestCrashMidWriteAndRead kills r-1 = 2 adjacent nodes while a file is
// written, and (once the ring has repaired itself) two more while it is
// read: the write completes, the read returns every byte, and so does
// every read after the ring repaired itself.
func TestCrashMidWriteAndRead(t *testing.T) {
	r := newRing(t, 12, nil)
	ctx := ctxT(t)
	data := pattern(9, 3<<20) // 768 blocks of 4 KiB
	for round, start := range []int{0, 4} {
		victims := r.adjacent(start, 2)
		path := fmt.Sprintf("/crash%d", round)
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := r.fs.WriteFile(ctx, path, pr, 0o644)
			done <- err
		}()
		half := len(data) / 2
		if _, err := pw.Write(data[:half]); err != nil {
			t.Fatal(err)
		}
		for _, v := range victims {
			if err := r.c.Kill(v); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("killed %v halfway through writing %s", victims, path)
		if _, err := pw.Write(data[half:]); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		if err := <-done; err != nil {
			t.Fatalf("write with %v killed: %v", victims, err)
		}
		r.mustEqual(path, data)
		if _, err := r.c.Wait(ctx, time.Minute); err != nil {
			t.Fatalf("the ring did not repair itself: %v", err)
		}

		// Kill two more during a read.
		victims = r.adjacent(start+2, 2)
		a, _ := r.fs.Resolve(ctx, path)
		h, err := r.fs.Open(ctx, a.Ino)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(data))
		n, err := h.ReadAt(ctx, got[:half], 0)
		if err != nil || n != half {
			t.Fatalf("first half: %d %v", n, err)
		}
		for _, v := range victims {
			if err := r.c.Kill(v); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("killed %v halfway through reading %s", victims, path)
		if n, err := h.ReadAt(ctx, got[half:], int64(half)); n != len(data)-half || (err != nil && !errors.Is(err, io.EOF)) {
			t.Fatalf("second half with %v killed: %d %v", victims, n, err)
		}
		if err := h.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read through the crash differs at %d", firstDiff(got, data))
		}
		if _, err := r.c.Wait(ctx, time.Minute); err != nil {
			t.Fatalf("the ring did not repair itself: %v", err)
		}
		for k := range round + 1 {
			r.mustEqual(fmt.Sprintf("/crash%d", k), data)
		}
	}
}

// TestCollect: the collector deletes the blocks no inode references any
// more, only after two marks a grace apart, and never a block that an
// inode (an open, removed file's included) or a young upload still needs.
func TestCollect(t *testing.T) {
	const grace = time.Minute
	r := newRing(t, 8, func(c *cluster.Config) {
		c.DFS.Grace, c.DFS.Lease, c.DFS.CommitAfter = grace, grace/2, grace/4
	})
	ctx := ctxT(t)
	v1, v2 := pattern(20, 30000), pattern(21, 30000)
	r.put("/f", v1)
	keep := pattern(22, 20000)
	r.put("/keep", keep)
	blocksOf := func(path string) map[string]bool {
		loc, err := r.fs.Locate(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, b := range append(loc.Blocks, loc.Index...) {
			out[b.Key] = true
		}
		return out
	}
	old := blocksOf("/f")
	// A reader opens /f and reads the first half; then /f is replaced.
	a, _ := r.fs.Resolve(ctx, "/f")
	h, err := r.fs.Open(ctx, a.Ino)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 15000)
	if _, err := h.ReadAt(ctx, first, 0); err != nil {
		t.Fatal(err)
	}
	r.put("/f", v2)
	collect := func() dfs.GCReport {
		t.Helper()
		rep, err := r.c.CollectGarbage(ctx)
		if err != nil {
			t.Fatalf("collect: %v", err)
		}
		return rep
	}
	stored := func() map[string]bool {
		out := map[string]bool{}
		for _, n := range r.c.Nodes().Nodes {
			kl, _ := r.c.Keys(n.Name)
			for _, k := range kl.Keys {
				if dfs.IsBlockKey(k.Key) && !k.Deleted {
					out[k.Key] = true
				}
			}
		}
		return out
	}
	// The open handle keeps the old inode, and so its blocks.
	if rep := collect(); rep.Deleted != 0 || rep.Unreferenced != 0 {
		t.Fatalf("first round: %+v", rep)
	}
	for range 3 {
		r.clock.Advance(grace + time.Second)
		if rep := collect(); rep.Deleted != 0 {
			t.Fatalf("deleted %d blocks of the open, replaced file: %+v", rep.Deleted, rep)
		}
	}
	rest := make([]byte, 15000)
	if _, err := h.ReadAt(ctx, rest, 15000); err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("the open handle reads the rest of the old version: %v", err)
	}
	if !bytes.Equal(append(first, rest...), v1) {
		t.Fatal("the open handle read a mix of versions")
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Now the old inode is gone: its blocks go after two marks a grace apart.
	if rep := collect(); rep.Deleted != 0 || rep.Pending == 0 {
		t.Fatalf("first mark after the close: %+v", rep)
	}
	r.clock.Advance(grace / 2)
	if rep := collect(); rep.Deleted != 0 {
		t.Fatalf("deleted within the grace: %+v", rep)
	}
	r.clock.Advance(grace)
	rep := collect()
	if rep.Deleted != len(old) {
		t.Fatalf("deleted %d blocks, want the %d of the old version: %+v", rep.Deleted, len(old), rep)
	}
	left := stored()
	for k := range old {
		if left[k] {
			t.Errorf("old block %s still stored", k)
		}
	}
	want := blocksOf("/f")
	for k := range blocksOf("/keep") {
		want[k] = true
	}
	for k := range want {
		if !left[k] {
			t.Errorf("referenced block %s was deleted", k)
		}
	}
	if len(left) != len(want) {
		t.Errorf("%d blocks stored, %d referenced", len(left), len(want))
	}
	r.mustEqual("/f", v2)
	r.mustEqual("/keep", keep)
}

// TestCollectSparesUncommittedWrites: blocks a writer stored but has not
// committed yet are young to the collector; Maintain commits them before
// they could grow old, so however long the file stays open nothing it
// wrote is collected.
func TestCollectSparesUncommittedWrites(t *testing.T) {
	const grace = time.Minute
	r := newRing(t, 8, func(c *cluster.Config) {
		c.DFS.Grace, c.DFS.Lease, c.DFS.CommitAfter = grace, grace/2, grace/4
	})
	ctx := ctxT(t)
	a, _, err := r.fs.Create(ctx, dfs.RootIno, "open", 0o644, true)
	if err != nil {
		t.Fatal(err)
	}
	h, err := r.fs.Open(ctx, a.Ino)
	if err != nil {
		t.Fatal(err)
	}
	data := pattern(30, 40000)
	if _, err := h.WriteAt(ctx, data, 0); err != nil {
		t.Fatal(err)
	}
	// The full blocks are on their way or stored, none committed.
	if rep, err := r.c.CollectGarbage(ctx); err != nil || rep.Deleted != 0 {
		t.Fatalf("collect while writing: %+v %v", rep, err)
	}
	for range 4 {
		r.clock.Advance(grace/4 + time.Second)
		if err := r.fs.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := r.c.CollectGarbage(ctx)
		if err != nil || rep.Deleted != 0 {
			t.Fatalf("collect with the file open: %+v %v", rep, err)
		}
	}
	more := pattern(31, 10000)
	if _, err := h.WriteAt(ctx, more, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Now the blocks the intermediate commit named and the close replaced
	// (the last, partial block and the index block) are garbage, and go;
	// the file stays whole.
	r.clock.Advance(2 * grace)
	deleted := 0
	for range 3 {
		rep, err := r.c.CollectGarbage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		deleted += rep.Deleted
		r.clock.Advance(grace + time.Second)
	}
	if deleted != 2 {
		t.Errorf("deleted %d blocks after the close, want the 2 the close replaced", deleted)
	}
	r.mustEqual("/open", append(data, more...))
}

// A file open here with writes not committed yet reads as last
// committed, one version, and says so; stat reports the writes; reading
// neither commits them nor disturbs the writer's handle.
func TestReadOfAFileWithUncommittedWrites(t *testing.T) {
	r := newRing(t, 4, nil)
	ctx := ctxT(t)
	r.put("/f", []byte("old contents"))
	a, err := r.fs.Resolve(ctx, "/f")
	if err != nil {
		t.Fatal(err)
	}
	h, err := r.fs.Open(ctx, a.Ino)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Truncate(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt(ctx, []byte("hello world"), 0); err != nil {
		t.Fatal(err)
	}
	st, err := r.fs.Stat(ctx, a.Ino)
	if err != nil || st.Size != 11 || !r.fs.Uncommitted(a.Ino) {
		t.Fatalf("stat of the open file: %+v %v (uncommitted %v), want 11 bytes, uncommitted", st, err, r.fs.Uncommitted(a.Ino))
	}
	if got := r.get("/f"); string(got) != "old contents" {
		t.Fatalf("read of the open file = %q, want the committed %q", got, "old contents")
	}
	if loc, err := r.fs.Locate(ctx, "/f"); err != nil || !loc.Uncommitted || loc.Size != 12 {
		t.Fatalf("locate of the open file: %+v %v, want the committed 12 bytes, marked uncommitted", loc.Attr, err)
	}
	if _, err := h.WriteAt(ctx, []byte("!"), 11); err != nil {
		t.Fatalf("write after the read: %v", err)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r.mustEqual("/f", []byte("hello world!"))
	if loc, err := r.fs.Locate(ctx, "/f"); err != nil || loc.Uncommitted || r.fs.Uncommitted(a.Ino) {
		t.Fatalf("locate after the close: %+v %v, want nothing uncommitted", loc.Attr, err)
	}
}

// The collector needs every inode on the ring: an inode whose holders are
// all paused is still read from them (its blocks are kept), and under a
// partition a round deletes nothing and says so.
func TestCollectNeedsEveryInode(t *testing.T) {
	const grace = time.Minute
	r := newRing(t, 8, func(c *cluster.Config) {
		c.DFS.Grace, c.DFS.Lease, c.DFS.CommitAfter = grace, grace/2, grace/4
	})
	ctx := ctxT(t)
	data := pattern(40, 30000)
	r.put("/f", data)
	w, err := r.c.WhereFile(ctx, "/f")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range w.Inode.Holders {
		if err := r.c.Pause(n); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		r.clock.Advance(grace + time.Second)
		rep, err := r.c.CollectGarbage(ctx)
		if rep.Deleted != 0 || err == nil || !strings.Contains(err.Error(), "no holder answered") {
			t.Fatalf("collect with the inode's holders %v paused: %+v %v; want nothing deleted, and why", w.Inode.Holders, rep, err)
		}
	}
	for _, n := range w.Inode.Holders {
		if err := r.c.Resume(n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.c.Wait(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	r.mustEqual("/f", data)

	if _, err := r.c.Partition([]string{"n0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.CollectGarbage(ctx); !errors.Is(err, cluster.ErrGCSkipped) || !strings.Contains(err.Error(), "partition") {
		t.Fatalf("collect under a partition: %v, want ErrGCSkipped naming the partition", err)
	}
	r.c.Heal()
}

// A pause of every holder of an inode makes its file unreadable for the
// pause, never gone: the directory entry stays, and the root directory is
// not created afresh over the tree while its holders are paused.
func TestPausedHoldersLoseNoFile(t *testing.T) {
	r := newRing(t, 8, nil)
	ctx := ctxT(t)
	data := pattern(50, 9000)
	r.putApartFromRoot("/f", data)
	r.put("/g", []byte("other"))
	pauseHolders := func(path string) []string {
		hs := r.inodeHolders(path)
		for _, n := range hs {
			if err := r.c.Pause(n); err != nil {
				t.Fatal(err)
			}
		}
		return hs
	}
	resume := func(nodes []string) {
		for _, n := range nodes {
			if err := r.c.Resume(n); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := r.c.Wait(ctx, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}

	paused := pauseHolders("/f")
	for range 2 { // a lookup twice, as one that would drop a dangling entry
		if _, err := r.fs.Resolve(ctx, "/f"); !errors.Is(err, dfs.ErrNotFound) {
			t.Fatalf("/f with its inode's holders %v paused: %v, want not found", paused, err)
		}
	}
	if _, err := r.fs.List(ctx, "/"); err != nil {
		t.Fatalf("ls / with /f's holders paused: %v", err)
	}
	resume(paused)
	r.mustEqual("/f", data)

	paused = pauseHolders("/")
	if ents, err := r.fs.List(ctx, "/"); !errors.Is(err, dfs.ErrUnavailable) {
		t.Fatalf("ls / with the root's holders %v paused: %v %v, want unavailable (not an empty new root)", paused, ents, err)
	}
	if _, err := r.fs.WriteFile(ctx, "/new", strings.NewReader("x"), 0o644); err == nil {
		t.Fatal("put into the root with its holders paused succeeded: into a new, empty root?")
	}
	// A mkdir (as the mount calls it, with no read of the root first) too.
	if _, err := r.fs.Mkdir(ctx, dfs.RootIno, "x", 0o755); !errors.Is(err, dfs.ErrUnavailable) {
		t.Fatalf("mkdir in the root with its holders paused: %v, want unavailable", err)
	}
	resume(paused)
	r.mustEqual("/f", data)
	r.mustEqual("/g", []byte("other"))
}

// A name whose record was lost for good (every holder of its inode
// crashed) reads as not found but is kept, as it might come back; rm
// removes the name, and says that is all it could do.
func TestRemoveANameWhoseRecordIsLost(t *testing.T) {
	r := newRing(t, 8, nil)
	ctx := ctxT(t)
	r.putApartFromRoot("/lost", []byte("gone with its holders"))
	for _, n := range r.inodeHolders("/lost") {
		if err := r.c.Kill(n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.c.Wait(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := r.fs.Resolve(ctx, "/lost"); !errors.Is(err, dfs.ErrNotFound) || !errors.Is(err, dfs.ErrNoRecord) {
		t.Fatalf("/lost after its holders crashed: %v, want not found, no record", err)
	}
	res, err := r.c.RemoveFile(ctx, "/lost")
	if err != nil || !res.NoRecord {
		t.Fatalf("rm /lost: %+v %v, want the name removed", res, err)
	}
	ents, err := r.fs.ReadDir(ctx, dfs.RootIno)
	if err != nil || len(ents) != 0 {
		t.Fatalf("root after rm of the lost name: %v %v", names(ents), err)
	}
}

// inodeHolders names the nodes that hold the inode of path.
func (r *ring) inodeHolders(path string) []string {
	r.t.Helper()
	w, err := r.c.WhereFile(ctxT(r.t), path)
	if err != nil {
		r.t.Fatal(err)
	}
	return w.Inode.Holders
}

// putApartFromRoot stores data at path under an inode none of whose
// holders holds the root directory (inode numbers are random: it puts
// again until one is), so that a test can pause or kill them and still
// read the root.
func (r *ring) putApartFromRoot(path string, data []byte) {
	r.t.Helper()
	r.put(path, data)
	root := r.inodeHolders("/")
	for try := 0; slices.ContainsFunc(r.inodeHolders(path), func(n string) bool { return slices.Contains(root, n) }); try++ {
		if try == 50 {
			r.t.Fatal("no inode of 50 has holders apart from the root's")
		}
		r.put(path, data) // a new inode
	}
}
