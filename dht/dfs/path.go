package dfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/chordtui/chordtui/dht"
)

// Paths: the operations of the command language (put, cat, ls, rm, mkdir,
// stat, where) name files by path, "/a/b" (or "a/b", from the root). A
// path may end in one "/", which names a directory, as in POSIX: a file
// there is ErrNotDir, and a file is not written there (ErrIsDir). An empty
// component ("a//b"), "." and ".." are ErrInvalid, a component over
// MaxNameLen bytes ErrNameTooLong.

// ErrChanged is a file that changed while ReadFile was reading it, for longer
// than its lease: what was written may mix two versions.
var ErrChanged = errors.New("file changed while it was read")

// SplitPath returns the names of a path's components (none for the root).
func SplitPath(p string) ([]string, error) {
	if strings.ContainsRune(p, 0) {
		return nil, fmt.Errorf("%w: the path holds a NUL byte", ErrInvalid)
	}
	s := strings.TrimPrefix(p, "/")
	s = strings.TrimSuffix(s, "/")
	if s == "" {
		if p == "" {
			return nil, fmt.Errorf("%w: empty path", ErrInvalid)
		}
		return nil, nil
	}
	names := strings.Split(s, "/")
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("%w: %q has an empty name (two '/' in a row)", ErrInvalid, p)
		}
		if n == ".." {
			return nil, fmt.Errorf("%w: %q: paths may not use \"..\"", ErrInvalid, p)
		}
		if err := CheckName(n); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// Resolve returns the attributes of the inode at path p.
func (f *FS) Resolve(ctx context.Context, p string) (Attr, error) {
	names, err := SplitPath(p)
	if err != nil {
		return Attr{}, err
	}
	a, err := f.walk(ctx, names)
	if err == nil && a.Kind != KindDir && dirOnly(p) {
		return Attr{}, fmt.Errorf("%s: %w", p, ErrNotDir)
	}
	return a, err
}

// dirOnly reports whether p ends in "/" below the root: it names a
// directory.
func dirOnly(p string) bool { return len(strings.Trim(p, "/")) > 0 && strings.HasSuffix(p, "/") }

func (f *FS) walk(ctx context.Context, names []string) (Attr, error) {
	a, err := f.Stat(ctx, RootIno)
	for i, n := range names {
		if err != nil {
			return Attr{}, err
		}
		if a.Kind != KindDir {
			return Attr{}, fmt.Errorf("/%s: %w", strings.Join(names[:i], "/"), ErrNotDir)
		}
		a, err = f.Lookup(ctx, a.Ino, n)
		switch {
		case errors.Is(err, ErrNoRecord): // not found for now; rm can remove the name
			return Attr{}, fmt.Errorf("/%s: %w: %w", strings.Join(names[:i+1], "/"), ErrNotFound, ErrNoRecord)
		case errors.Is(err, ErrNotFound):
			return Attr{}, fmt.Errorf("/%s: %w", strings.Join(names[:i+1], "/"), ErrNotFound)
		}
	}
	return a, err
}

// parent resolves the directory of path p and returns it with the last
// name (ErrInvalid for the root).
func (f *FS) parent(ctx context.Context, p string) (Attr, string, error) {
	names, err := SplitPath(p)
	if err != nil {
		return Attr{}, "", err
	}
	if len(names) == 0 {
		return Attr{}, "", fmt.Errorf("%w: the root directory cannot be the target", ErrInvalid)
	}
	d, err := f.walk(ctx, names[:len(names)-1])
	if err != nil {
		return Attr{}, "", err
	}
	if d.Kind != KindDir {
		return Attr{}, "", fmt.Errorf("/%s: %w", strings.Join(names[:len(names)-1], "/"), ErrNotDir)
	}
	return d, names[len(names)-1], nil
}

// MkdirPath creates directory p (its parent must exist).
func (f *FS) MkdirPath(ctx context.Context, p string, mode uint32) (Attr, error) {
	d, name, err := f.parent(ctx, p)
	if err != nil {
		return Attr{}, err
	}
	return f.Mkdir(ctx, d.Ino, name, mode)
}

// RemovePath removes file p, or directory p if it is empty.
func (f *FS) RemovePath(ctx context.Context, p string) error {
	d, name, err := f.parent(ctx, p)
	if err != nil {
		return err
	}
	a, err := f.Lookup(ctx, d.Ino, name)
	if err != nil {
		return err
	}
	if a.Kind == KindDir {
		return f.Rmdir(ctx, d.Ino, name)
	}
	if dirOnly(p) {
		return fmt.Errorf("%s: %w", p, ErrNotDir)
	}
	return f.Unlink(ctx, d.Ino, name)
}

// RemoveEntryPath is RemoveEntry for the last name of p.
func (f *FS) RemoveEntryPath(ctx context.Context, p string) (Dirent, error) {
	d, name, err := f.parent(ctx, p)
	if err != nil {
		return Dirent{}, err
	}
	return f.RemoveEntry(ctx, d.Ino, name)
}

// RenamePath moves from to to; a directory cannot move into itself.
func (f *FS) RenamePath(ctx context.Context, from, to string) error {
	fn, err := SplitPath(from)
	if err != nil {
		return err
	}
	tn, err := SplitPath(to)
	if err != nil {
		return err
	}
	if len(tn) > len(fn) && strings.Join(tn[:len(fn)], "/") == strings.Join(fn, "/") {
		return fmt.Errorf("%w: cannot move %q into itself", ErrInvalid, from)
	}
	od, oname, err := f.parent(ctx, from)
	if err != nil {
		return err
	}
	nd, nname, err := f.parent(ctx, to)
	if err != nil {
		return err
	}
	return f.Rename(ctx, od.Ino, oname, nd.Ino, nname, 0)
}

// WriteFile stores what r yields as file p, replacing a file there
// atomically: the new contents are written to a new inode that no
// directory names yet, and only once complete does p name it. Nothing is
// visible of a write that fails (ErrTooLarge past MaxFileSize, ErrIsDir
// when p is a directory).
func (f *FS) WriteFile(ctx context.Context, p string, r io.Reader, mode uint32) (Attr, error) {
	d, name, err := f.parent(ctx, p)
	if err != nil {
		return Attr{}, err
	}
	if a, err := f.Lookup(ctx, d.Ino, name); err == nil && a.Kind == KindDir || dirOnly(p) {
		return Attr{}, fmt.Errorf("%s: %w", p, ErrIsDir)
	}
	now := f.now().UnixNano()
	in := &Inode{Kind: KindFile, Mode: mode & 0o7777, Mtime: now, Ctime: now}
	for {
		in.Ino = newIno()
		err = f.retry(ctx, func(ctx context.Context) error {
			_, e := f.kv.SetIf(ctx, InodeKey(in.Ino), encodeInode(in), dht.Version{})
			return e
		})
		if !errors.Is(err, dht.ErrConflict) {
			break
		}
	}
	if err != nil {
		return Attr{}, err
	}
	fail := func(err error) (Attr, error) {
		if derr := f.deleteInode(ctx, in.Ino); derr != nil {
			f.log.Warn("dfs: an unlinked new inode stays", "ino", in.Ino, "err", derr)
		}
		return Attr{}, err
	}
	if err := f.fill(ctx, in.Ino, r); err != nil {
		return fail(err)
	}
	var old *Dirent
	_, _, err = f.update(ctx, d.Ino, func(dir *Inode) error {
		old = nil
		if i, ok := dir.lookup(name); ok {
			e := dir.Entries[i]
			if e.Ino == in.Ino {
				return errNoChange
			}
			if e.Kind == KindDir {
				return fmt.Errorf("%s: %w", p, ErrIsDir)
			}
			old = &e
		}
		dir.setEntry(Dirent{Name: name, Ino: in.Ino, Kind: KindFile})
		dir.Mtime = f.now().UnixNano()
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if old != nil {
		if err := f.dropInode(ctx, old.Ino); err != nil {
			f.log.Warn("dfs: the replaced inode stays", "ino", old.Ino, "err", err)
		}
	}
	return f.Stat(ctx, in.Ino)
}

// fill writes what r yields into the (new, empty) file ino.
func (f *FS) fill(ctx context.Context, ino uint64, r io.Reader) error {
	h, err := f.Open(ctx, ino)
	if err != nil {
		return err
	}
	buf := make([]byte, f.cfg.BlockSize)
	var off int64
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if off+int64(n) > f.cfg.MaxFileSize {
				_ = h.Close(ctx)
				return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, f.cfg.MaxFileSize)
			}
			if _, err := h.WriteAt(ctx, buf[:n], off); err != nil {
				_ = h.Close(ctx)
				return err
			}
			off += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			_ = h.Close(ctx)
			return fmt.Errorf("read the source: %w", rerr)
		}
	}
	return h.Close(ctx)
}

// ReadFile writes the contents of file p to w: one version of it, read
// with up to Config.Parallel blocks in flight. It fails with ErrChanged if
// the file changed while the read outlasted its lease. A file open here
// with writes not committed yet is read as last committed (see
// Uncommitted).
func (f *FS) ReadFile(ctx context.Context, p string, w io.Writer) (Attr, error) {
	var a Attr
	var in *Inode
	var ver dht.Version
	for attempt := 0; ; attempt++ {
		var err error
		if a, err = f.Resolve(ctx, p); err != nil {
			return Attr{}, err
		}
		if a.Kind == KindDir {
			return a, fmt.Errorf("%s: %w", p, ErrIsDir)
		}
		in, ver, err = f.readInode(ctx, a.Ino)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrNotFound) || attempt == 3 {
			return a, err
		}
		// Replaced (put, rename over it) between the lookup and the read.
	}
	a = attrOf(in, ver)
	leaseAt := f.now()
	list, err := f.loadList(ctx, in)
	if err != nil {
		return a, err
	}
	bs := int64(f.cfg.BlockSize)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ctx = cctx
	window := make([]chan blockRead, len(list))
	start := func(i int) {
		ch := make(chan blockRead, 1)
		window[i] = ch
		if list[i].IsZero() {
			ch <- blockRead{}
			return
		}
		h := list[i]
		go func() { // exits when the read returns (bounded by OpTimeout and Attempts, and ctx)
			data, err := f.getBlock(ctx, h)
			ch <- blockRead{data, err}
		}()
	}
	started := 0
	for i := range list {
		for started < len(list) && started < i+f.cfg.Parallel {
			start(started)
			started++
		}
		r := <-window[i]
		window[i] = nil
		if r.err != nil {
			cancel()
			drain(window[i+1 : started])
			return a, r.err
		}
		if f.now().Sub(leaseAt) > f.cfg.Lease {
			_, cur, found, err := f.readRaw(ctx, a.Ino)
			if err != nil || !found || cur != ver {
				cancel()
				drain(window[i+1 : started])
				if err == nil {
					err = fmt.Errorf("%s: %w (read it again)", p, ErrChanged)
				}
				return a, err
			}
			leaseAt = f.now()
		}
		out := make([]byte, min(bs, in.Size-int64(i)*bs))
		copyBlock(out, r.data, 0)
		if _, err := w.Write(out); err != nil {
			cancel()
			drain(window[i+1 : started])
			return a, err
		}
	}
	return a, nil
}

// blockRead is the outcome of one block read of ReadFile.
type blockRead struct {
	data []byte
	err  error
}

// drain waits for the reads still in flight (ReadFile cancels them first).
func drain(chs []chan blockRead) {
	for _, ch := range chs {
		if ch != nil {
			<-ch
		}
	}
}

// Entry is one name of a listing with its attributes.
type Entry struct {
	Name string
	Attr
}

// List returns the entries of directory p with their attributes, or the
// file p itself.
func (f *FS) List(ctx context.Context, p string) ([]Entry, error) {
	a, err := f.Resolve(ctx, p)
	if err != nil {
		return nil, err
	}
	if a.Kind != KindDir {
		names, _ := SplitPath(p)
		return []Entry{{Name: names[len(names)-1], Attr: a}}, nil
	}
	ents, err := f.ReadDir(ctx, a.Ino)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(ents))
	errs := make([]error, len(ents))
	sem := make(chan struct{}, f.cfg.Parallel)
	var wg sync.WaitGroup
	for i, e := range ents {
		wg.Add(1)
		sem <- struct{}{}
		go func() { // exits when its read returns (bounded by OpTimeout and Attempts)
			defer wg.Done()
			defer func() { <-sem }()
			out[i].Name = e.Name
			out[i].Attr, errs[i] = f.Stat(ctx, e.Ino)
		}()
	}
	wg.Wait()
	kept := out[:0]
	for i, e := range out {
		switch {
		case errs[i] == nil:
			kept = append(kept, e)
		case errors.Is(errs[i], ErrNoRecord): // left out, and kept: it may come back
		case errors.Is(errs[i], ErrNotFound):
			f.dropDangling(ctx, a.Ino, ents[i])
		default:
			return nil, errs[i]
		}
	}
	return kept, nil
}

// Location is where a file's records are: the keys of its inode, of its
// index blocks and of its data blocks (holes have none).
type Location struct {
	Attr
	InodeKey string
	// Blocks are the data blocks in file order (holes left out).
	Blocks []BlockLoc
	// Index are the index blocks of a large file.
	Index []BlockLoc
	// Uncommitted is true when the file is open here with writes not
	// committed yet: they are not stored, and Stat reports them.
	Uncommitted bool
}

// BlockLoc is one block of a file.
type BlockLoc struct {
	// N is the block's position in the file (0 for the first), or in the
	// index.
	N    int
	Hash Hash
	Key  string
	// Len is how many bytes of the file it holds (for an index block, the
	// hashes it lists times 32).
	Len int64
}

// Locate returns where the records of path p are.
func (f *FS) Locate(ctx context.Context, p string) (Location, error) {
	a, err := f.Resolve(ctx, p)
	if err != nil {
		return Location{}, err
	}
	in, ver, err := f.readInode(ctx, a.Ino)
	if err != nil {
		return Location{}, err
	}
	loc := Location{Attr: attrOf(in, ver), InodeKey: InodeKey(in.Ino)}
	loc.Uncommitted = f.Uncommitted(a.Ino)
	if in.Kind != KindFile {
		return loc, nil
	}
	list, err := f.loadList(ctx, in)
	if err != nil {
		return loc, err
	}
	bs := int64(f.cfg.BlockSize)
	per := len(list)
	if len(in.Index) > 0 {
		per = f.cfg.BlockSize / len(Hash{})
	}
	for i, h := range in.Index {
		if !h.IsZero() {
			n := min(per, len(list)-i*per)
			loc.Index = append(loc.Index, BlockLoc{N: i, Hash: h, Key: BlockKey(h), Len: int64(n * len(Hash{}))})
		}
	}
	for i, h := range list {
		if !h.IsZero() {
			loc.Blocks = append(loc.Blocks, BlockLoc{N: i, Hash: h, Key: BlockKey(h), Len: min(bs, in.Size-int64(i)*bs)})
		}
	}
	return loc, nil
}
