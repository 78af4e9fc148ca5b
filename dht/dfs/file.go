package dfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/chordtui/chordtui/dht"
)

// Open files. Every Handle of an inode opened through one FS shares one
// openFile: its block list, its size, the blocks written but not yet
// uploaded (dirty) or being uploaded (inflight), and a cache of the
// blocks read. A write fills whole blocks in memory and uploads each as
// soon as it is full (at most Config.Parallel at once); a commit uploads
// the rest, waits for them, and only then writes the inode conditionally
// on the version it was based on, so that another reader sees the old
// block list or the new one. A commit that finds the inode changed (a
// writer through another FS) applies its own changes to the newer record:
// the blocks it wrote replace theirs, the rest of theirs stay.

// Handle is one open descriptor of a file. Close it to commit and release.
type Handle struct {
	of *openFile

	mu     sync.Mutex
	closed bool
}

// openFile is the shared state of an open inode.
type openFile struct {
	f   *FS
	ino uint64
	bs  int64
	// ctx ends when the last handle closes: its transfers stop then.
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{} // transfers in flight

	refs int // handles open; guarded by f.mu

	mu       sync.Mutex
	loaded   bool
	unlinked bool // removed from its directory: the inode goes at the last Close
	base     *Inode
	baseVer  dht.Version
	leaseAt  time.Time // when base was read or written (see Config.Lease)
	blocks   []Hash    // the file's blocks as this FS sees them
	size     int64
	mtime    int64
	dirty    map[int64][]byte  // blocks written and not uploaded yet
	inflight map[int64]*upload // blocks being uploaded
	changed  map[int64]bool    // blocks written since the last commit
	extent   int64             // the end of the furthest write since the last commit
	sizeSet  bool              // truncated since the last commit: this size wins
	truncMin int64             // the smallest size truncated to since the last commit
	oldest   time.Time         // the first change since the last commit
	err      error             // an upload that failed: the next commit fails
	cache    map[Hash]*fetch   // blocks read or being read
	order    []Hash            // cache entries, oldest first
	next     int64             // the block after the last read (read-ahead)
}

type upload struct {
	data []byte
	hash Hash
	err  error
	done chan struct{}
}

type fetch struct {
	data []byte
	err  error
	done chan struct{}
}

// spawn runs fn in a goroutine tracked by Close, unless Close is waiting
// for them already.
func (f *FS) spawn(fn func()) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil {
		return false
	}
	f.wg.Add(1)
	go func() { // exits when fn returns; fn's calls are bounded by OpTimeout
		defer f.wg.Done()
		fn()
	}()
	return true
}

// openState returns the open state of ino, or nil.
func (f *FS) openState(ino uint64) *openFile {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open[ino]
}

// Open opens file ino for reading and writing. A file already open here
// shares its state; otherwise, or when it has no uncommitted writes, its
// inode is read again (close-to-open: an open sees every commit that
// finished before it).
func (f *FS) Open(ctx context.Context, ino uint64) (*Handle, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, ErrClosed
	}
	of := f.open[ino]
	if of == nil {
		octx, cancel := context.WithCancel(f.ctx)
		of = &openFile{f: f, ino: ino, bs: int64(f.cfg.BlockSize), ctx: octx, cancel: cancel,
			sem: make(chan struct{}, f.cfg.Parallel), truncMin: -1,
			dirty: map[int64][]byte{}, inflight: map[int64]*upload{}, changed: map[int64]bool{}, cache: map[Hash]*fetch{}}
		f.open[ino] = of
	}
	of.refs++
	f.mu.Unlock()
	of.mu.Lock()
	var err error
	if !of.loaded {
		err = of.reloadLocked(ctx)
	} else if !of.hasChangesLocked() {
		err = of.reloadLocked(ctx)
	}
	of.mu.Unlock()
	h := &Handle{of: of}
	if err != nil {
		_ = h.release(ctx)
		return nil, err
	}
	return h, nil
}

// OpenCreated opens a file Create just made (created true), without
// reading its inode again; any other file is opened as by Open.
func (f *FS) OpenCreated(ctx context.Context, a Attr) (*Handle, error) {
	if a.Kind != KindFile || a.Size != 0 || a.Version.IsZero() {
		return f.Open(ctx, a.Ino)
	}
	f.mu.Lock()
	if f.closed || f.open[a.Ino] != nil {
		f.mu.Unlock()
		return f.Open(ctx, a.Ino)
	}
	octx, cancel := context.WithCancel(f.ctx)
	of := &openFile{f: f, ino: a.Ino, bs: int64(f.cfg.BlockSize), ctx: octx, cancel: cancel,
		sem: make(chan struct{}, f.cfg.Parallel), truncMin: -1, refs: 1,
		dirty: map[int64][]byte{}, inflight: map[int64]*upload{}, changed: map[int64]bool{}, cache: map[Hash]*fetch{},
		base:    &Inode{Ino: a.Ino, Kind: KindFile, Mode: a.Mode, Mtime: a.Mtime.UnixNano(), Ctime: a.Ctime.UnixNano()},
		baseVer: a.Version, loaded: true, leaseAt: f.now(), mtime: a.Mtime.UnixNano()}
	f.open[a.Ino] = of
	f.mu.Unlock()
	return &Handle{of: of}, nil
}

// nblocks is how many blocks a file of size bytes has.
func (of *openFile) nblocks(size int64) int64 { return (size + of.bs - 1) / of.bs }

func (of *openFile) hasChangesLocked() bool {
	return len(of.changed) > 0 || of.sizeSet || len(of.dirty) > 0 || len(of.inflight) > 0
}

// reloadLocked reads the inode and adopts it if it changed. The caller
// makes sure there are no uncommitted changes.
func (of *openFile) reloadLocked(ctx context.Context) error {
	f := of.f
	raw, ver, found, err := f.readRaw(ctx, of.ino)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("inode %d: %w", of.ino, ErrNotFound)
	}
	if of.loaded && ver == of.baseVer {
		of.leaseAt = f.now()
		return nil
	}
	in, err := decodeInode(raw)
	if err != nil {
		return fmt.Errorf("inode %d: %w", of.ino, err)
	}
	if in.Kind != KindFile {
		return fmt.Errorf("inode %d: %w", of.ino, ErrIsDir)
	}
	list, err := f.loadList(ctx, in)
	if err != nil {
		return err
	}
	of.base, of.baseVer, of.blocks, of.size, of.mtime = in, ver, list, in.Size, in.Mtime
	of.loaded, of.leaseAt = true, f.now()
	return nil
}

// adoptMeta takes a record written by SetAttr (same blocks, new mode or
// time) as the base.
func (of *openFile) adoptMeta(in *Inode, v dht.Version) {
	if !of.loaded || of.hasChangesLocked() {
		return
	}
	of.base, of.baseVer, of.mtime, of.leaseAt = in, v, in.Mtime, of.f.now()
}

// Uncommitted reports whether file ino is open here with writes not
// committed yet: ReadFile and Locate see the version committed before
// them, Stat and the handles see them.
func (f *FS) Uncommitted(ino uint64) bool {
	of := f.openState(ino)
	return of != nil && of.uncommitted()
}

// uncommitted reports whether the open file has writes not yet committed.
func (of *openFile) uncommitted() bool {
	of.mu.Lock()
	defer of.mu.Unlock()
	return of.loaded && of.hasChangesLocked()
}

// attr returns the open file's attributes (false before it is loaded).
func (of *openFile) attr() (Attr, bool) {
	of.mu.Lock()
	defer of.mu.Unlock()
	if !of.loaded {
		return Attr{}, false
	}
	a := attrOf(of.base, of.baseVer)
	a.Size, a.Mtime = of.size, time.Unix(0, of.mtime)
	return a, true
}

// leaseLocked renews the lease on the base inode when it is older than
// Config.Lease: a commit of pending changes, or a read of the inode (a
// newer version is adopted). Past the lease the blocks of an old version
// may be collected (see Collect).
func (of *openFile) leaseLocked(ctx context.Context) error {
	if of.f.now().Sub(of.leaseAt) <= of.f.cfg.Lease {
		return nil
	}
	if of.hasChangesLocked() {
		return of.commitLocked(ctx)
	}
	return of.reloadLocked(ctx)
}

// getBlock reads block h from any holder and checks it against its hash.
func (f *FS) getBlock(ctx context.Context, h Hash) ([]byte, error) {
	var data []byte
	err := f.retry(ctx, func(ctx context.Context) error {
		var e error
		data, e = f.kv.ReadAny(ctx, BlockKey(h), func(v []byte) bool {
			return len(v) <= f.cfg.BlockSize && HashOf(v) == h
		})
		return e
	})
	if errors.Is(err, dht.ErrNotFound) {
		return nil, fmt.Errorf("%w: block %s is missing", ErrCorrupt, h.Short())
	}
	return data, err
}

// putBlock stores data as a block and returns its hash; a block of zeros
// is a hole and is not stored.
func (f *FS) putBlock(ctx context.Context, data []byte) (Hash, error) {
	if allZero(data) {
		return Hash{}, nil
	}
	h := HashOf(data)
	return h, f.retry(ctx, func(ctx context.Context) error { return f.kv.Put(ctx, BlockKey(h), data) })
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// loadList returns a file's whole block list, reading its index blocks.
func (f *FS) loadList(ctx context.Context, in *Inode) ([]Hash, error) {
	bs := int64(f.cfg.BlockSize)
	n := (in.Size + bs - 1) / bs
	if len(in.Index) == 0 {
		if int64(len(in.Blocks)) != n {
			return nil, fmt.Errorf("inode %d: %w: %d blocks for %d bytes", in.Ino, ErrCorrupt, len(in.Blocks), in.Size)
		}
		return append([]Hash(nil), in.Blocks...), nil
	}
	per := bs / int64(len(Hash{}))
	if int64(len(in.Index)) != (n+per-1)/per {
		return nil, fmt.Errorf("inode %d: %w: %d index blocks for %d bytes", in.Ino, ErrCorrupt, len(in.Index), in.Size)
	}
	parts := make([][]Hash, len(in.Index))
	errs := make([]error, len(in.Index))
	var wg sync.WaitGroup
	sem := make(chan struct{}, f.cfg.Parallel)
	for i, h := range in.Index {
		want := min(per, n-int64(i)*per)
		if h.IsZero() {
			parts[i] = make([]Hash, want)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() { // exits when the read returns (bounded by OpTimeout and Attempts)
			defer wg.Done()
			defer func() { <-sem }()
			b, err := f.getBlock(ctx, h)
			if err == nil {
				parts[i], err = decodeIndex(b)
			}
			if err == nil && int64(len(parts[i])) != want {
				err = fmt.Errorf("%w: index block %d lists %d blocks, want %d", ErrCorrupt, i, len(parts[i]), want)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("inode %d: %w", in.Ino, err)
	}
	list := make([]Hash, 0, n)
	for _, p := range parts {
		list = append(list, p...)
	}
	return list, nil
}

// putList stores the index blocks of list that old does not have and
// returns the inode's Blocks and Index for it.
func (f *FS) putList(ctx context.Context, list, old []Hash) (direct, index []Hash, err error) {
	if len(list) <= f.cfg.DirectBlocks {
		return list, nil, nil
	}
	had := make(map[Hash]bool, len(old))
	for _, h := range old {
		had[h] = true
	}
	per := f.cfg.BlockSize / len(Hash{})
	for i := 0; i < len(list); i += per {
		b := encodeIndex(list[i:min(i+per, len(list))])
		h := HashOf(b)
		if allZero(b) {
			h = Hash{}
		} else if !had[h] {
			if _, err := f.putBlock(ctx, b); err != nil {
				return nil, nil, err
			}
		}
		index = append(index, h)
	}
	return nil, index, nil
}

// ReadAt reads len(p) bytes at off (fewer, with io.EOF, at the end).
func (h *Handle) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	if err := h.check(); err != nil {
		return 0, err
	}
	return h.of.readAt(ctx, p, off)
}

// WriteAt writes p at off, growing the file (with zeros) as needed.
func (h *Handle) WriteAt(ctx context.Context, p []byte, off int64) (int, error) {
	if err := h.check(); err != nil {
		return 0, err
	}
	return h.of.writeAt(ctx, p, off)
}

// Truncate sets the file's size.
func (h *Handle) Truncate(ctx context.Context, size int64) error {
	if err := h.check(); err != nil {
		return err
	}
	return h.of.truncate(ctx, size)
}

// Flush commits the file's writes: their blocks are stored, then the
// inode names them.
func (h *Handle) Flush(ctx context.Context) error {
	if err := h.check(); err != nil {
		return err
	}
	h.of.mu.Lock()
	defer h.of.mu.Unlock()
	return h.of.commitLocked(ctx)
}

// Attr returns the open file's attributes.
func (h *Handle) Attr() Attr {
	a, _ := h.of.attr()
	return a
}

// Ino is the open file's inode number.
func (h *Handle) Ino() uint64 { return h.of.ino }

func (h *Handle) check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return fmt.Errorf("%w: the handle is closed", ErrInvalid)
	}
	return nil
}

// Close commits the file's writes and releases the handle; the last
// handle of a file removed meanwhile deletes its inode.
func (h *Handle) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.mu.Unlock()
	of := h.of
	of.mu.Lock()
	err := of.commitLocked(ctx)
	of.mu.Unlock()
	if rerr := h.release(ctx); err == nil {
		err = rerr
	}
	return err
}

// release drops the handle's reference; the last one removes the open
// state, stops its transfers and deletes an unlinked inode.
func (h *Handle) release(ctx context.Context) error {
	of, f := h.of, h.of.f
	f.mu.Lock()
	of.refs--
	last := of.refs == 0
	if last && f.open[of.ino] == of {
		delete(f.open, of.ino)
	}
	f.mu.Unlock()
	if !last {
		return nil
	}
	of.cancel()
	of.mu.Lock()
	unlinked := of.unlinked
	of.mu.Unlock()
	if unlinked {
		return f.deleteInode(ctx, of.ino)
	}
	return nil
}

// copyBlock copies block data from offset in into dst, zeros past its end.
func copyBlock(dst, data []byte, in int64) {
	n := 0
	if in < int64(len(data)) {
		n = copy(dst, data[in:])
	}
	clear(dst[n:])
}

// maxCache bounds the blocks an open file keeps read.
func (of *openFile) maxCache() int { return 2*of.f.cfg.ReadAhead + 2*of.f.cfg.Parallel }

func (of *openFile) readAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%w: negative offset", ErrInvalid)
	}
	type pend struct {
		fe  *fetch
		h   Hash
		dst []byte
		in  int64
	}
	var pends []pend
	of.mu.Lock()
	if err := of.leaseLocked(ctx); err != nil {
		of.mu.Unlock()
		return 0, err
	}
	if off >= of.size {
		of.mu.Unlock()
		return 0, io.EOF
	}
	n := min(int64(len(p)), of.size-off)
	for pos := off; pos < off+n; {
		idx, in := pos/of.bs, pos%of.bs
		m := min(of.bs-in, off+n-pos)
		dst := p[pos-off : pos-off+m]
		if d, ok := of.dirty[idx]; ok {
			copyBlock(dst, d, in)
		} else if u, ok := of.inflight[idx]; ok {
			copyBlock(dst, u.data, in)
		} else if h := of.blocks[idx]; h.IsZero() {
			clear(dst)
		} else {
			pends = append(pends, pend{fe: of.fetchLocked(h), h: h, dst: dst, in: in})
		}
		pos += m
	}
	// A read near the furthest block read so far (the kernel sends a
	// sequential reader's reads a few at a time, in any order) is
	// sequential: the blocks after it are fetched ahead.
	first, last := off/of.bs, (off+n-1)/of.bs
	ra := int64(of.f.cfg.ReadAhead)
	if first == 0 || first <= of.next+1 && first+2*ra+2 >= of.next {
		for k := max(last, of.next) + 1; k <= last+ra && k < int64(len(of.blocks)); k++ {
			if h := of.blocks[k]; !h.IsZero() && of.dirty[k] == nil && of.inflight[k] == nil {
				of.fetchLocked(h)
			}
		}
		of.next = max(of.next, last+1)
	} else {
		of.next = last + 1 // a jump: a new sequence may start here
	}
	of.evictLocked()
	of.mu.Unlock()
	for _, pd := range pends {
		select {
		case <-pd.fe.done:
		case <-ctx.Done():
			return 0, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
		}
		if pd.fe.err != nil {
			of.mu.Lock()
			if of.cache[pd.h] == pd.fe {
				delete(of.cache, pd.h)
			}
			of.mu.Unlock()
			return 0, pd.fe.err
		}
		copyBlock(pd.dst, pd.fe.data, pd.in)
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// fetchLocked returns the read of block h, starting it if needed.
func (of *openFile) fetchLocked(h Hash) *fetch {
	if fe := of.cache[h]; fe != nil {
		return fe
	}
	fe := &fetch{done: make(chan struct{})}
	of.cache[h] = fe
	of.order = append(of.order, h)
	ok := of.f.spawn(func() {
		defer close(fe.done)
		select {
		case of.sem <- struct{}{}:
		case <-of.ctx.Done():
			fe.err = ErrClosed
			return
		}
		defer func() { <-of.sem }()
		fe.data, fe.err = of.f.getBlock(of.ctx, h)
	})
	if !ok {
		fe.err = ErrClosed
		close(fe.done)
	}
	return fe
}

// evictLocked drops the oldest finished reads beyond maxCache.
func (of *openFile) evictLocked() {
	for tries := len(of.order); len(of.cache) > of.maxCache() && tries > 0; tries-- {
		h := of.order[0]
		of.order = of.order[1:]
		fe := of.cache[h]
		if fe == nil {
			continue
		}
		select {
		case <-fe.done:
			delete(of.cache, h)
		default:
			of.order = append(of.order, h) // still on its way: later
		}
	}
}

// blockLocked returns the current contents of block idx for a write to
// change: a copy the write may keep.
func (of *openFile) blockLocked(ctx context.Context, idx int64) ([]byte, error) {
	if d, ok := of.dirty[idx]; ok {
		return d, nil
	}
	buf := make([]byte, 0, of.bs)
	if u, ok := of.inflight[idx]; ok {
		delete(of.inflight, idx) // superseded: its upload becomes garbage
		return append(buf, u.data...), nil
	}
	if idx*of.bs >= of.size || idx >= int64(len(of.blocks)) || of.blocks[idx].IsZero() {
		return buf, nil
	}
	h := of.blocks[idx]
	if fe := of.cache[h]; fe != nil {
		<-fe.done
		if fe.err == nil {
			return append(buf, fe.data...), nil
		}
	}
	data, err := of.f.getBlock(ctx, h)
	if err != nil {
		return nil, err
	}
	return append(buf, data...), nil
}

func (of *openFile) writeAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%w: negative offset", ErrInvalid)
	}
	end := off + int64(len(p))
	if end > of.f.cfg.MaxFileSize {
		return 0, fmt.Errorf("%w: a write to byte %d is past the limit of %d bytes", ErrTooLarge, end, of.f.cfg.MaxFileSize)
	}
	of.mu.Lock()
	defer of.mu.Unlock()
	if err := of.leaseLocked(ctx); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if of.oldest.IsZero() {
		of.oldest = of.f.now()
	}
	for need := of.nblocks(end); int64(len(of.blocks)) < need; {
		of.blocks = append(of.blocks, Hash{})
	}
	written := 0
	for pos := off; pos < end; {
		idx, in := pos/of.bs, pos%of.bs
		m := min(of.bs-in, end-pos)
		buf, err := of.blockLocked(ctx, idx)
		if err != nil {
			return written, err
		}
		if int64(len(buf)) < in+m {
			buf = append(buf, make([]byte, in+m-int64(len(buf)))...)
		}
		copy(buf[in:], p[pos-off:pos-off+m])
		of.dirty[idx] = buf
		of.changed[idx] = true
		if int64(len(buf)) == of.bs {
			if err := of.uploadLocked(idx); err != nil {
				return written, err
			}
		}
		pos += m
		written += int(m)
	}
	of.size = max(of.size, end)
	of.extent = max(of.extent, end)
	of.mtime = of.f.now().UnixNano()
	if len(of.dirty) > 2*of.f.cfg.Parallel {
		for idx := range of.dirty {
			if err := of.uploadLocked(idx); err != nil {
				return written, err
			}
		}
	}
	of.reapLocked()
	if of.err != nil {
		return written, of.err
	}
	return written, nil
}

// uploadLocked starts storing dirty block idx (a hole is not stored). It
// waits for a transfer slot: uploads finish without the lock.
func (of *openFile) uploadLocked(idx int64) error {
	data := of.dirty[idx]
	delete(of.dirty, idx)
	if allZero(data) {
		of.blocks[idx] = Hash{}
		return nil
	}
	u := &upload{data: data, done: make(chan struct{})}
	select {
	case of.sem <- struct{}{}:
	case <-of.ctx.Done():
		of.dirty[idx] = data
		return ErrClosed
	}
	of.inflight[idx] = u
	ok := of.f.spawn(func() {
		defer close(u.done)
		defer func() { <-of.sem }()
		u.hash = HashOf(u.data)
		u.err = of.f.retry(of.ctx, func(ctx context.Context) error { return of.f.kv.Put(ctx, BlockKey(u.hash), u.data) })
	})
	if !ok {
		<-of.sem
		delete(of.inflight, idx)
		of.dirty[idx] = data
		return ErrClosed
	}
	return nil
}

// reapLocked records the uploads that finished.
func (of *openFile) reapLocked() {
	for idx, u := range of.inflight {
		select {
		case <-u.done:
		default:
			continue
		}
		delete(of.inflight, idx)
		if u.err != nil {
			if of.err == nil {
				of.err = fmt.Errorf("store block %d: %w", idx, u.err)
			}
			continue
		}
		if idx < int64(len(of.blocks)) {
			of.blocks[idx] = u.hash
		}
	}
}

func (of *openFile) truncate(ctx context.Context, size int64) error {
	if size < 0 {
		return fmt.Errorf("%w: negative size", ErrInvalid)
	}
	if size > of.f.cfg.MaxFileSize {
		return fmt.Errorf("%w: %d bytes is past the limit of %d", ErrTooLarge, size, of.f.cfg.MaxFileSize)
	}
	of.mu.Lock()
	defer of.mu.Unlock()
	if err := of.leaseLocked(ctx); err != nil {
		return err
	}
	n := of.nblocks(size)
	if size < of.size {
		if rem := size % of.bs; rem != 0 {
			buf, err := of.blockLocked(ctx, n-1)
			if err != nil {
				return err
			}
			if int64(len(buf)) > rem {
				buf = buf[:rem]
			}
			of.dirty[n-1] = buf
			of.changed[n-1] = true
		}
		for idx := range of.dirty {
			if idx >= n {
				delete(of.dirty, idx)
			}
		}
		for idx := range of.inflight {
			if idx >= n {
				delete(of.inflight, idx)
			}
		}
		for idx := range of.changed {
			if idx >= n {
				delete(of.changed, idx)
			}
		}
		of.blocks = of.blocks[:min(n, int64(len(of.blocks)))]
	}
	for int64(len(of.blocks)) < n {
		of.blocks = append(of.blocks, Hash{})
	}
	if of.truncMin < 0 || size < of.truncMin {
		of.truncMin = size
	}
	of.size, of.sizeSet = size, true
	of.mtime = of.f.now().UnixNano()
	if of.oldest.IsZero() {
		of.oldest = of.f.now()
	}
	return nil
}

// commitLocked makes the file's writes its contents: it uploads the dirty
// blocks, waits for every upload, then writes the inode conditionally on
// the version it is based on, rebasing its changes on a newer one.
func (of *openFile) commitLocked(ctx context.Context) error {
	if !of.loaded {
		return nil
	}
	for idx := range of.dirty {
		if err := of.uploadLocked(idx); err != nil {
			return err
		}
	}
	for _, u := range of.inflight {
		select {
		case <-u.done:
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
		}
	}
	of.reapLocked()
	if of.err != nil {
		return of.err
	}
	if !of.hasChangesLocked() {
		return nil
	}
	f := of.f
	if f.now().Sub(of.oldest) > f.cfg.Grace/2 {
		// Blocks stored this long ago may be near collection: store them
		// again, so that their versions are recent (see Collect).
		for idx := range of.changed {
			if h := of.blocks[idx]; !h.IsZero() {
				data, err := f.getBlock(ctx, h)
				if err == nil {
					_, err = f.putBlock(ctx, data)
				}
				if err != nil {
					return fmt.Errorf("refresh block %d: %w", idx, err)
				}
			}
		}
	}
	for attempt := 0; attempt < 4*f.cfg.Attempts; attempt++ {
		next := of.base.clone()
		next.Size, next.Mtime = of.size, of.mtime
		next.Ctime = max(f.now().UnixNano(), of.base.Ctime+1)
		list := of.blocks[:of.nblocks(of.size)]
		var err error
		if next.Blocks, next.Index, err = f.putList(ctx, list, of.base.Index); err != nil {
			return err
		}
		if next.Blocks != nil {
			next.Blocks = append([]Hash(nil), next.Blocks...)
		}
		enc := encodeInode(next)
		var nv dht.Version
		err = f.retry(ctx, func(ctx context.Context) error {
			var e error
			nv, e = f.kv.SetIf(ctx, InodeKey(of.ino), enc, of.baseVer)
			return e
		})
		if err != nil && ctx.Err() == nil && (errors.Is(err, dht.ErrConflict) || errors.Is(err, ErrUnavailable)) {
			raw, cv, found, rerr := f.readRaw(ctx, of.ino)
			switch {
			case rerr != nil:
				return rerr
			case !found:
				return fmt.Errorf("inode %d: %w: the file was removed while open", of.ino, ErrNotFound)
			case bytes.Equal(raw, enc):
				err, nv = nil, cv // ours landed after all
			default:
				if rerr := of.rebaseLocked(ctx, raw, cv); rerr != nil {
					return rerr
				}
				continue
			}
		}
		if err != nil {
			return err
		}
		of.base, of.baseVer, of.leaseAt = next, nv, f.now()
		clear(of.changed)
		of.sizeSet, of.truncMin, of.extent, of.oldest = false, -1, 0, time.Time{}
		return nil
	}
	return fmt.Errorf("inode %d: %w: too many concurrent writers", of.ino, ErrUnavailable)
}

// rebaseLocked applies the uncommitted changes to a newer record: the
// blocks written here replace its blocks, its other blocks stay; the size
// is this one's after a truncate, else the larger of the two.
func (of *openFile) rebaseLocked(ctx context.Context, raw []byte, ver dht.Version) error {
	cur, err := decodeInode(raw)
	if err != nil {
		return fmt.Errorf("inode %d: %w", of.ino, err)
	}
	if cur.Kind != KindFile {
		return fmt.Errorf("inode %d: %w", of.ino, ErrIsDir)
	}
	curList, err := of.f.loadList(ctx, cur)
	if err != nil {
		return err
	}
	size := max(cur.Size, of.extent)
	if of.sizeSet {
		size = of.size
	}
	list := make([]Hash, of.nblocks(size))
	copy(list, curList)
	if of.sizeSet {
		for idx := of.nblocks(of.truncMin); idx < int64(len(list)); idx++ {
			list[idx] = Hash{}
		}
	}
	for idx := range of.changed {
		if idx < int64(len(list)) && idx < int64(len(of.blocks)) {
			list[idx] = of.blocks[idx]
		}
	}
	of.base, of.baseVer, of.blocks, of.size = cur, ver, list, size
	of.f.log.Debug("dfs: rebased a commit on a newer inode", "ino", of.ino, "version", ver.String())
	return nil
}

// Maintain is the file system's maintenance round: it commits every open
// file whose first uncommitted write is older than Config.CommitAfter, so
// that no written block waits uncommitted long enough to be collected.
// A driver calls it every CommitAfter/2 or so (see Tasks).
func (f *FS) Maintain(ctx context.Context) error {
	f.mu.Lock()
	ofs := make([]*openFile, 0, len(f.open))
	for _, of := range f.open {
		ofs = append(ofs, of)
	}
	f.mu.Unlock()
	var errs []error
	for _, of := range ofs {
		of.mu.Lock()
		of.reapLocked()
		if of.hasChangesLocked() && !of.oldest.IsZero() && f.now().Sub(of.oldest) > f.cfg.CommitAfter {
			if err := of.commitLocked(ctx); err != nil {
				errs = append(errs, fmt.Errorf("inode %d: %w", of.ino, err))
			}
		}
		of.mu.Unlock()
	}
	return errors.Join(errs...)
}
