package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/dfs/fusefs"
)

// The file system phase (--files): the same file operations through a
// FUSE mount of the ring's file system and on a local tmpfs (the floor),
// in the same run, each repeated and reported as its median, with the
// bulk throughput of one netmux stream between two nodes as the yardstick,
// and a copy of a tree during which two adjacent nodes are killed.

// filesReport is the file system phase.
type filesReport struct {
	// Skipped says why the phase did not run (no FUSE here).
	Skipped string `json:"skipped,omitempty"`
	FileMB  int    `json:"file_mb"`
	Repeats int    `json:"repeats"`
	// RandomReads is how many 4 KiB reads each random-read run makes.
	RandomReads int `json:"random_reads"`
	// Tree describes the tree copied with cp -r.
	TreeFiles int    `json:"tree_files"`
	TreeBytes int64  `json:"tree_bytes"`
	TreeFrom  string `json:"tree_from"`
	// StreamMBps is one netmux stream's bulk throughput (median).
	StreamMBps    float64     `json:"netmux_stream_mb_s"`
	StreamSamples []float64   `json:"netmux_stream_samples"`
	Mount         fsFigures   `json:"mount"`
	Tmpfs         fsFigures   `json:"tmpfs"`
	KillCopy      *killCopy   `json:"kill_during_copy,omitempty"`
	Ratios        filesRatios `json:"ratios"`
}

// fsFigures are one file system's medians and samples.
type fsFigures struct {
	Dir             string    `json:"dir"`
	SeqWriteMBps    float64   `json:"seq_write_mb_s"`
	SeqReadMBps     float64   `json:"seq_read_mb_s"`
	RandReadPerSec  float64   `json:"rand_4k_reads_per_s"`
	CopyTreeS       float64   `json:"cp_r_tree_s"`
	SeqWriteSamples []float64 `json:"seq_write_samples"`
	SeqReadSamples  []float64 `json:"seq_read_samples"`
	RandReadSamples []float64 `json:"rand_read_samples"`
	CopyTreeSamples []float64 `json:"cp_r_samples"`
}

// killCopy is the copy of the tree during which two adjacent nodes died.
type killCopy struct {
	Killed []string `json:"killed"`
	// DuringCopy is true when cp was still running after both kills.
	DuringCopy bool    `json:"during_copy"`
	CopyS      float64 `json:"cp_s"`
	// LostBytes counts the bytes of the files whose copy is missing or
	// differs, right after the copy and again once the ring is stable.
	LostBytes       int64   `json:"lost_bytes"`
	LostAfterRepair int64   `json:"lost_bytes_after_repair"`
	StableS         float64 `json:"stable_after_s"`
	Error           string  `json:"error,omitempty"`
}

// filesRatios relate the mount's figures to the floor and the goals.
type filesRatios struct {
	// ReadOverStream: sequential read over one stream (goal ≥ 0.5).
	ReadOverStream float64 `json:"seq_read_over_stream"`
	// WriteOverStreamPerReplica: sequential write over stream / replicas
	// (goal ≥ 0.5).
	WriteOverStreamPerReplica float64 `json:"seq_write_over_stream_per_replica"`
	ReadOverTmpfs             float64 `json:"seq_read_over_tmpfs"`
	WriteOverTmpfs            float64 `json:"seq_write_over_tmpfs"`
	CopyOverTmpfs             float64 `json:"cp_r_over_tmpfs"`
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// filesPhase runs the file system phase on the running cluster.
func (b *bencher) filesPhase(ctx context.Context) (*filesReport, error) {
	fr := &filesReport{FileMB: b.opts.fileMB, Repeats: b.opts.repeats, RandomReads: b.opts.randomReads}
	work, err := os.MkdirTemp("", "chordtui-bench-files-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	mountDir := filepath.Join(work, "ring")
	if err := fusefs.Check(mountDir); err != nil {
		fr.Skipped = err.Error()
		return fr, nil
	}
	tmpfs, cleanTmpfs, err := localTmpfs(work)
	if err != nil {
		fr.Skipped = err.Error()
		return fr, nil
	}
	defer cleanTmpfs()

	b.say("one netmux stream, %d × 1 s", fr.Repeats)
	for range fr.Repeats {
		bps, err := streamThroughput(ctx, time.Second)
		if err != nil {
			return nil, err
		}
		fr.StreamSamples = append(fr.StreamSamples, bps/1e6)
	}
	fr.StreamMBps = median(fr.StreamSamples)

	tree := b.opts.tree
	fr.TreeFrom = tree
	if tree == "" {
		tree = filepath.Join(work, "tree")
		if err := makeTree(tree, 400, b.rng); err != nil {
			return nil, err
		}
		fr.TreeFrom = "generated: 400 files in 20 directories, sizes like a Go source tree"
	}
	fr.TreeFiles, fr.TreeBytes, err = treeSize(tree)
	if err != nil {
		return nil, err
	}

	m, err := fusefs.Mount(b.c.FS(), mountDir, fusefs.Options{Logger: b.cfg.Logger})
	if err != nil {
		fr.Skipped = err.Error()
		return fr, nil
	}
	defer func() {
		if err := m.Unmount(); err != nil {
			b.say("unmount: %v", err)
		}
	}()
	data := make([]byte, fr.FileMB<<20)
	fill := rand.New(rand.NewPCG(1, 2))
	for i := 0; i+8 <= len(data); i += 8 {
		v := fill.Uint64()
		copy(data[i:], []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), byte(v >> 32), byte(v >> 40), byte(v >> 48), byte(v >> 56)})
	}
	for _, fsys := range []struct {
		name string
		dir  string
		out  *fsFigures
	}{{"tmpfs", tmpfs, &fr.Tmpfs}, {"mount", mountDir, &fr.Mount}} {
		fsys.out.Dir = fsys.dir
		for i := range fr.Repeats {
			b.say("%s: sequential write, read, %d random 4 KiB reads of %d MiB, cp -r (%d of %d)", fsys.name, fr.RandomReads, fr.FileMB, i+1, fr.Repeats)
			path := filepath.Join(fsys.dir, "big")
			w, err := seqWrite(path, data)
			if err != nil {
				return nil, fmt.Errorf("%s: sequential write: %w", fsys.name, err)
			}
			r, err := seqRead(path, data)
			if err != nil {
				return nil, fmt.Errorf("%s: sequential read: %w", fsys.name, err)
			}
			rr, err := randomReads(path, data, fr.RandomReads, b.rng)
			if err != nil {
				return nil, fmt.Errorf("%s: random reads: %w", fsys.name, err)
			}
			dst := filepath.Join(fsys.dir, fmt.Sprintf("tree%d", i))
			t0 := time.Now()
			if out, err := exec.CommandContext(ctx, "cp", "-r", tree, dst).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("%s: cp -r: %w: %s", fsys.name, err, out)
			}
			cp := time.Since(t0).Seconds()
			if lost, err := compareTree(tree, dst); err != nil {
				return nil, fmt.Errorf("%s: comparing the copied tree: %w", fsys.name, err)
			} else if lost > 0 {
				return nil, fmt.Errorf("%s: the copied tree differs in files of %d bytes", fsys.name, lost)
			}
			fsys.out.SeqWriteSamples = append(fsys.out.SeqWriteSamples, w)
			fsys.out.SeqReadSamples = append(fsys.out.SeqReadSamples, r)
			fsys.out.RandReadSamples = append(fsys.out.RandReadSamples, rr)
			fsys.out.CopyTreeSamples = append(fsys.out.CopyTreeSamples, cp)
		}
		fsys.out.SeqWriteMBps = median(fsys.out.SeqWriteSamples)
		fsys.out.SeqReadMBps = median(fsys.out.SeqReadSamples)
		fsys.out.RandReadPerSec = median(fsys.out.RandReadSamples)
		fsys.out.CopyTreeS = median(fsys.out.CopyTreeSamples)
		_ = os.Remove(filepath.Join(fsys.dir, "big"))
	}
	if !b.opts.noKill {
		b.say("cp -r with two adjacent nodes killed during the copy")
		fr.KillCopy = b.killDuringCopy(ctx, tree, filepath.Join(mountDir, "killed"))
	}
	rt := &fr.Ratios
	if fr.StreamMBps > 0 {
		rt.ReadOverStream = fr.Mount.SeqReadMBps / fr.StreamMBps
		rt.WriteOverStreamPerReplica = fr.Mount.SeqWriteMBps / (fr.StreamMBps / float64(b.cfg.DHT.Replicas))
	}
	if fr.Tmpfs.SeqReadMBps > 0 && fr.Tmpfs.SeqWriteMBps > 0 && fr.Mount.CopyTreeS > 0 {
		rt.ReadOverTmpfs = fr.Mount.SeqReadMBps / fr.Tmpfs.SeqReadMBps
		rt.WriteOverTmpfs = fr.Mount.SeqWriteMBps / fr.Tmpfs.SeqWriteMBps
		rt.CopyOverTmpfs = fr.Tmpfs.CopyTreeS / fr.Mount.CopyTreeS
	}
	return fr, nil
}

// localTmpfs returns a directory on a tmpfs: /dev/shm when it is one,
// else a tmpfs mounted under work (as root).
func localTmpfs(work string) (string, func(), error) {
	const tmpfsMagic = 0x01021994
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err == nil && st.Type == tmpfsMagic {
		d, err := os.MkdirTemp("/dev/shm", "chordtui-bench-")
		if err == nil {
			return d, func() { os.RemoveAll(d) }, nil
		}
	}
	d := filepath.Join(work, "tmpfs")
	if err := os.Mkdir(d, 0o755); err != nil {
		return "", nil, err
	}
	if err := syscall.Mount("tmpfs", d, "tmpfs", 0, "size=2g"); err != nil {
		return "", nil, fmt.Errorf("no tmpfs for the floor: /dev/shm is not one and mounting one failed: %w", err)
	}
	return d, func() { _ = syscall.Unmount(d, syscall.MNT_DETACH) }, nil
}

// seqWrite writes data to path in 1 MiB writes and closes it (the mount
// commits at close) and returns MB/s.
func seqWrite(path string, data []byte) (float64, error) {
	t0 := time.Now()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, err
	}
	for off := 0; off < len(data); off += 1 << 20 {
		if _, err := f.Write(data[off:min(off+1<<20, len(data))]); err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return float64(len(data)) / 1e6 / time.Since(t0).Seconds(), nil
}

// seqRead reads path in 1 MiB reads, checks it against data and returns
// MB/s.
func seqRead(path string, data []byte) (float64, error) {
	t0 := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	off := 0
	for {
		n, err := io.ReadFull(f, buf)
		if n > 0 && !bytes.Equal(buf[:n], data[off:off+n]) {
			return 0, fmt.Errorf("bytes %d… differ", off)
		}
		off += n
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if off != len(data) {
		return 0, fmt.Errorf("read %d bytes of %d", off, len(data))
	}
	return float64(len(data)) / 1e6 / time.Since(t0).Seconds(), nil
}

// randomReads makes n reads of 4 KiB at random aligned offsets of path,
// checks each and returns reads per second.
func randomReads(path string, data []byte, n int, rng *rand.Rand) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 4096)
	pages := len(data) / 4096
	offs := make([]int, n)
	for i := range offs {
		offs[i] = rng.IntN(pages) * 4096
	}
	t0 := time.Now()
	for _, off := range offs {
		if _, err := f.ReadAt(buf, int64(off)); err != nil {
			return 0, err
		}
		if !bytes.Equal(buf, data[off:off+4096]) {
			return 0, fmt.Errorf("4 KiB at %d differ", off)
		}
	}
	return float64(n) / time.Since(t0).Seconds(), nil
}

// makeTree writes files files in 20 directories, with sizes drawn like a
// Go source tree's (most a few KiB, a few tens of KiB).
func makeTree(dir string, files int, rng *rand.Rand) error {
	for i := range files {
		d := filepath.Join(dir, fmt.Sprintf("pkg%02d", i%20))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		size := int(200 * (1 << rng.IntN(8))) // 200 B … 25 KiB
		size += rng.IntN(size)
		body := make([]byte, size)
		for j := range body {
			body[j] = "abcdefghijklmnopqrstuvwxyz \n\t{}()"[rng.IntN(32)]
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("file%03d.go", i)), body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// treeSize counts the regular files of dir and their bytes.
func treeSize(dir string) (int, int64, error) {
	files, size := 0, int64(0)
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files++
		size += info.Size()
		return nil
	})
	return files, size, err
}

// compareTree returns the bytes of src's files whose copy under dst is
// missing or differs.
func compareTree(src, dst string) (int64, error) {
	var lost int64
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		got, err := os.ReadFile(filepath.Join(dst, rel))
		if err != nil || !bytes.Equal(got, want) {
			lost += int64(len(want))
		}
		return nil
	})
	return lost, err
}

// killDuringCopy copies tree to dst with cp -r and kills two adjacent
// nodes while it runs, then counts what was lost, right away and after
// the ring is stable again.
func (b *bencher) killDuringCopy(ctx context.Context, tree, dst string) *killCopy {
	kc := &killCopy{}
	live := b.c.LiveNodes()
	ring := slices.Clone(live)
	slices.SortFunc(ring, func(a, b cluster.LiveNode) int { return a.ID.Cmp(b.ID) })
	first := b.rng.IntN(len(ring))
	for j := range 2 {
		kc.Killed = append(kc.Killed, ring[(first+j)%len(ring)].Name)
	}
	cp := exec.CommandContext(ctx, "cp", "-r", tree, dst)
	var out strings.Builder
	cp.Stdout, cp.Stderr = &out, &out
	t0 := time.Now()
	if err := cp.Start(); err != nil {
		kc.Error = err.Error()
		return kc
	}
	done := make(chan error, 1)
	go func() { done <- cp.Wait() }() // exits when cp does
	time.Sleep(20 * time.Millisecond)
	for _, v := range kc.Killed {
		if err := b.c.Kill(v); err != nil {
			kc.Error = err.Error()
		}
	}
	var err error
	select {
	case err = <-done: // the copy ended before the kills were through
	default:
		kc.DuringCopy = true
		err = <-done
	}
	kc.CopyS = time.Since(t0).Seconds()
	if err != nil {
		kc.Error = fmt.Sprintf("cp -r: %v: %s", err, strings.TrimSpace(out.String()))
	}
	if kc.LostBytes, err = compareTree(tree, dst); err != nil && kc.Error == "" {
		kc.Error = err.Error()
	}
	took, werr := b.waitStable(ctx, "after the kills during the copy")
	if werr != nil {
		kc.Error = errors.Join(errors.New(kc.Error), werr).Error()
		return kc
	}
	kc.StableS = took.Seconds()
	kc.LostAfterRepair, _ = compareTree(tree, dst)
	return kc
}

// writeFilesTables prints the file system phase.
func writeFilesTables(w io.Writer, fr *filesReport, replicas int) {
	if fr.Skipped != "" {
		fmt.Fprintf(w, "file system: skipped — %s\n", fr.Skipped)
		return
	}
	fmt.Fprintf(w, "file system: a %d MiB file, %d random 4 KiB reads, cp -r of %d files (%.1f MB, %s); medians of %d runs\n",
		fr.FileMB, fr.RandomReads, fr.TreeFiles, float64(fr.TreeBytes)/1e6, fr.TreeFrom, fr.Repeats)
	fmt.Fprintf(w, "one netmux stream between two nodes (1 MiB calls, one after the other): %.0f MB/s (runs: %s)\n", fr.StreamMBps, samples(fr.StreamSamples, "%.0f"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tseq write MB/s\tseq read MB/s\t4 KiB reads/s\tcp -r s\t")
	for _, f := range []struct {
		name string
		f    fsFigures
	}{{"mount", fr.Mount}, {"tmpfs", fr.Tmpfs}} {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.0f\t%.3f\t\n", f.name, f.f.SeqWriteMBps, f.f.SeqReadMBps, f.f.RandReadPerSec, f.f.CopyTreeS)
		fmt.Fprintf(tw, "  runs\t%s\t%s\t%s\t%s\t\n", samples(f.f.SeqWriteSamples, "%.1f"), samples(f.f.SeqReadSamples, "%.1f"), samples(f.f.RandReadSamples, "%.0f"), samples(f.f.CopyTreeSamples, "%.3f"))
	}
	tw.Flush()
	r := fr.Ratios
	fmt.Fprintf(w, "ratios: seq read / stream %.2f, seq write / (stream / %d replicas) %.2f; mount / tmpfs: write %.3f, read %.3f, cp -r %.3f\n",
		r.ReadOverStream, replicas, r.WriteOverStreamPerReplica, r.WriteOverTmpfs, r.ReadOverTmpfs, r.CopyOverTmpfs)
	if k := fr.KillCopy; k != nil {
		fmt.Fprintf(w, "cp -r with %s killed (during the copy: %v): took %.2f s; bytes lost: %d right after, %d once stable again (%.2f s)\n",
			strings.Join(k.Killed, " and "), k.DuringCopy, k.CopyS, k.LostBytes, k.LostAfterRepair, k.StableS)
		if k.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", k.Error)
		}
	}
	fmt.Fprintln(w)
}

func samples(xs []float64, format string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(parts, " ")
}
