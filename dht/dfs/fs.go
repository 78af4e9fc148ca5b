package dfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/dht"
)

// FS is a file system over a KV. Its methods are safe for concurrent use.
// Files opened through it share one state per inode (as on a local file
// system every descriptor of a file sees the others' writes); other FS
// values over the same ring see a file's writes once they are committed
// (at every Flush, Sync and Close, and by Maintain).
type FS struct {
	kv  KV
	cfg Config
	log *slog.Logger
	now func() time.Time

	// ctx ends at Close; transfers that outlive a call (read-ahead,
	// uploads) run under it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the transfer goroutines

	mu     sync.Mutex
	open   map[uint64]*openFile
	closed bool

	gcMu sync.Mutex // one Collect at a time
	gc   gcState

	// rootSeen: this FS has read the root directory, so a root that
	// reads as absent is unreachable (its holders paused or cut off),
	// not a new ring's, and must not be created afresh over the tree.
	rootSeen atomic.Bool
}

// New returns a file system over kv. It runs no goroutine of its own
// until a file is read or written; Close waits for those.
func New(kv KV, cfg Config) (*FS, error) {
	if kv == nil {
		return nil, errors.New("dfs: nil KV")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dfs: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &FS{kv: kv, cfg: cfg, log: log, now: now, ctx: ctx, cancel: cancel, open: map[uint64]*openFile{}}, nil
}

// Config returns the file system's configuration.
func (f *FS) Config() Config { return f.cfg }

// Close commits every open file, then stops every transfer and waits for
// its goroutine. Handles still open fail with ErrClosed afterwards.
func (f *FS) Close(ctx context.Context) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	ofs := make([]*openFile, 0, len(f.open))
	for _, of := range f.open {
		ofs = append(ofs, of)
	}
	f.mu.Unlock()
	var errs []error
	for _, of := range ofs {
		of.mu.Lock()
		if err := of.commitLocked(ctx); err != nil {
			errs = append(errs, fmt.Errorf("inode %d: %w", of.ino, err))
		}
		of.mu.Unlock()
	}
	f.cancel()
	f.wg.Wait()
	return errors.Join(errs...)
}

// Attr describes an inode.
type Attr struct {
	Ino  uint64
	Kind Kind
	// Mode holds the permission bits.
	Mode uint32
	// Size is a file's length (for a directory, its entry count).
	Size         int64
	Mtime, Ctime time.Time
	// Version is the DHT version of the inode record.
	Version dht.Version
}

func attrOf(in *Inode, v dht.Version) Attr {
	a := Attr{Ino: in.Ino, Kind: in.Kind, Mode: in.Mode, Size: in.Size,
		Mtime: time.Unix(0, in.Mtime), Ctime: time.Unix(0, in.Ctime), Version: v}
	if in.Kind == KindDir {
		a.Size = int64(len(in.Entries))
	}
	return a
}

// retry runs op, each try bounded by OpTimeout, again while it fails with
// a transient error (at most Attempts times, pausing RetryPause times the
// attempt). A transient error that outlasts them wraps ErrUnavailable.
// A conditional write that finds its key reserved by another (dht.ErrBusy)
// is tried again, uncounted, while the reservation may still be held
// (stillReserved): a writer that crashed holding one blocks the key that
// long, far longer than the attempts last. The write expects the version
// read before, so once the reservation is gone it either lands or meets
// the other write's record as a plain conflict.
func (f *FS) retry(ctx context.Context, op func(ctx context.Context) error) error {
	var busySince time.Time
	for attempt := 1; ; attempt++ {
		if f.ctx.Err() != nil {
			return ErrClosed
		}
		cctx, cancel := context.WithTimeout(ctx, f.cfg.OpTimeout)
		err := op(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
		}
		if f.stillReserved(err, &busySince) {
			attempt--
			if err := sleep(ctx, time.Duration(rand.Int64N(int64(f.cfg.RetryPause)+1))); err != nil {
				return fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
			continue
		}
		if !transient(err) {
			return err
		}
		if attempt >= f.cfg.Attempts {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		if err := sleep(ctx, time.Duration(attempt)*f.cfg.RetryPause); err != nil {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// readRaw reads the record of ino: its bytes and version (found false when
// absent).
func (f *FS) readRaw(ctx context.Context, ino uint64) (raw []byte, ver dht.Version, found bool, err error) {
	err = f.retry(ctx, func(ctx context.Context) error {
		var e error
		raw, ver, found, e = f.kv.Get(ctx, InodeKey(ino))
		return e
	})
	return raw, ver, found, err
}

// ErrNoRecord marks an inode that reads as absent without a tombstone:
// never written, or no live node holds it now (its holders are paused,
// cut off, or lost). Unlike a deleted inode, it may come back, so its
// directory entry is kept (Lookup), unless RemoveEntry removes it.
var ErrNoRecord = errors.New("no live node holds its record")

// errRootUnreachable: the root directory, read before, reads as absent
// now: its holders are paused or cut off (or all crashed: then it stays
// so until the program starts again). Creating it afresh would hide the
// whole tree behind an empty root whose newer version wins.
var errRootUnreachable = fmt.Errorf("the root directory: %w: %w", ErrUnavailable, ErrNoRecord)

// readInode reads and decodes inode ino. The root is created (empty) the
// first time it is read, unless this FS has seen it before.
func (f *FS) readInode(ctx context.Context, ino uint64) (*Inode, dht.Version, error) {
	for attempt := 0; ; attempt++ {
		seen := ino == RootIno && f.rootSeen.Load() // before the read: it may be the creating one
		raw, ver, found, err := f.readRaw(ctx, ino)
		if err != nil {
			return nil, ver, err
		}
		if !found {
			switch {
			case seen && ver.IsZero():
				return nil, ver, errRootUnreachable
			case ino != RootIno || attempt > 0:
				if ver.IsZero() {
					return nil, ver, fmt.Errorf("inode %d: %w: %w", ino, ErrNotFound, ErrNoRecord)
				}
				return nil, ver, fmt.Errorf("inode %d: %w", ino, ErrNotFound)
			}
			if err := f.createRoot(ctx); err != nil {
				return nil, ver, err
			}
			continue
		}
		if ino == RootIno {
			f.rootSeen.Store(true)
		}
		in, err := decodeInode(raw)
		if err != nil {
			return nil, ver, fmt.Errorf("inode %d: %w", ino, err)
		}
		if in.Ino != ino {
			return nil, ver, fmt.Errorf("inode %d: %w: the record names inode %d", ino, ErrCorrupt, in.Ino)
		}
		return in, ver, nil
	}
}

// createRoot writes an empty root directory unless one exists.
func (f *FS) createRoot(ctx context.Context) error {
	now := f.now().UnixNano()
	root := &Inode{Ino: RootIno, Kind: KindDir, Mode: 0o755, Mtime: now, Ctime: now}
	err := f.retry(ctx, func(ctx context.Context) error {
		_, e := f.kv.SetIf(ctx, InodeKey(RootIno), encodeInode(root), dht.Version{})
		return e
	})
	if err != nil && !errors.Is(err, dht.ErrConflict) {
		return fmt.Errorf("create the root directory: %w", err)
	}
	return nil
}

// errNoChange tells update that the change is already there.
var errNoChange = errors.New("no change")

// update applies change to inode ino and writes it back conditionally on
// the version it read, again on a conflict (with the newer record). A
// write whose outcome is unknown (it timed out) counts as done if the
// record read next is exactly the one written. change returns errNoChange
// when there is nothing to write, or an error that stops the update.
func (f *FS) update(ctx context.Context, ino uint64, change func(in *Inode) error) (*Inode, dht.Version, error) {
	var last []byte // the record last written, whose outcome is unknown
	var lastIn *Inode
	for attempt := 0; attempt < 4*f.cfg.Attempts; attempt++ {
		seen := ino == RootIno && f.rootSeen.Load() // before the read, as in readInode
		raw, ver, found, err := f.readRaw(ctx, ino)
		if err != nil {
			return nil, ver, err
		}
		if last != nil && found && bytes.Equal(raw, last) {
			return lastIn, ver, nil
		}
		if !found {
			switch {
			case seen && ver.IsZero():
				return nil, ver, errRootUnreachable
			case ino == RootIno:
				if err := f.createRoot(ctx); err != nil {
					return nil, ver, err
				}
				continue
			case ver.IsZero():
				return nil, ver, fmt.Errorf("inode %d: %w: %w", ino, ErrNotFound, ErrNoRecord)
			}
			return nil, ver, fmt.Errorf("inode %d: %w", ino, ErrNotFound)
		}
		if ino == RootIno {
			f.rootSeen.Store(true)
		}
		in, err := decodeInode(raw)
		if err != nil {
			return nil, ver, fmt.Errorf("inode %d: %w", ino, err)
		}
		next := in.clone()
		if err := change(next); err != nil {
			if errors.Is(err, errNoChange) {
				return in, ver, nil
			}
			return in, ver, err
		}
		next.Ctime = max(f.now().UnixNano(), in.Ctime+1)
		enc := encodeInode(next)
		if len(enc) > f.cfg.MaxRecordSize {
			if next.Kind == KindDir {
				return in, ver, fmt.Errorf("%w: its record would take %d bytes, over the limit of %d", ErrDirFull, len(enc), f.cfg.MaxRecordSize)
			}
			return in, ver, fmt.Errorf("%w: its record would take %d bytes", ErrTooLarge, len(enc))
		}
		var nv dht.Version
		err = f.retry(ctx, func(ctx context.Context) error {
			var e error
			nv, e = f.kv.SetIf(ctx, InodeKey(ino), enc, ver)
			return e
		})
		if err == nil {
			return next, nv, nil
		}
		if ctx.Err() != nil {
			return nil, ver, err
		}
		last, lastIn = enc, next
		if !errors.Is(err, dht.ErrConflict) && !errors.Is(err, ErrUnavailable) {
			return nil, ver, err
		}
		// Someone else's update came first, or ours may have: read again.
		if err := sleep(ctx, time.Duration(rand.Int64N(int64(f.cfg.RetryPause)+1))); err != nil {
			return nil, ver, err
		}
	}
	return nil, dht.Version{}, fmt.Errorf("inode %d: %w: too many concurrent updates", ino, ErrUnavailable)
}

// stillReserved reports whether err is a key reserved by another
// conditional write (dht.ErrBusy) that may still be held: seen first at
// *since, less than the store's ReservationTTL ago (OpTimeout for a KV
// that does not say). A writer that crashed holding a reservation blocks
// the key that long, longer than the attempts last.
func (f *FS) stillReserved(err error, since *time.Time) bool {
	if !errors.Is(err, dht.ErrBusy) {
		return false
	}
	now := time.Now()
	if since.IsZero() {
		*since = now
	}
	wait := f.cfg.OpTimeout
	if r, ok := f.kv.(Reserver); ok {
		wait = r.ReservationTTL() + f.cfg.RetryPause
	}
	return now.Sub(*since) < wait
}

// deleteInode removes inode ino's record, whatever its version.
func (f *FS) deleteInode(ctx context.Context, ino uint64) error {
	for attempt := 0; attempt < 4*f.cfg.Attempts; attempt++ {
		_, ver, found, err := f.readRaw(ctx, ino)
		if err != nil || !found {
			return err
		}
		err = f.retry(ctx, func(ctx context.Context) error { return f.kv.DelIf(ctx, InodeKey(ino), ver) })
		if err == nil || !errors.Is(err, dht.ErrConflict) && !errors.Is(err, ErrUnavailable) {
			return err
		}
	}
	return fmt.Errorf("delete inode %d: %w: too many concurrent updates", ino, ErrUnavailable)
}

// dirInode reads directory ino.
func (f *FS) dirInode(ctx context.Context, ino uint64) (*Inode, dht.Version, error) {
	in, v, err := f.readInode(ctx, ino)
	if err != nil {
		return nil, v, err
	}
	if in.Kind != KindDir {
		return nil, v, fmt.Errorf("inode %d: %w", ino, ErrNotDir)
	}
	return in, v, nil
}

// Stat returns the attributes of inode ino; a file open here with
// uncommitted writes reports their size and time.
func (f *FS) Stat(ctx context.Context, ino uint64) (Attr, error) {
	if of := f.openState(ino); of != nil {
		if a, ok := of.attr(); ok {
			return a, nil
		}
	}
	in, v, err := f.readInode(ctx, ino)
	if err != nil {
		return Attr{}, err
	}
	return attrOf(in, v), nil
}

// Lookup returns the attributes of name in directory dir. An entry whose
// inode was deleted (a removal interrupted by a crash) is removed and
// reported as not found; one whose inode no live node holds (ErrNoRecord)
// is reported as not found and kept.
func (f *FS) Lookup(ctx context.Context, dir uint64, name string) (Attr, error) {
	if err := CheckName(name); err != nil {
		return Attr{}, err
	}
	var gone uint64 // an inode the name named that was gone when read
	for attempt := 0; ; attempt++ {
		d, _, err := f.dirInode(ctx, dir)
		if err != nil {
			return Attr{}, err
		}
		i, ok := d.lookup(name)
		if !ok {
			return Attr{}, fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		e := d.Entries[i]
		a, err := f.Stat(ctx, e.Ino)
		if !errors.Is(err, ErrNotFound) {
			return a, err
		}
		if errors.Is(err, ErrNoRecord) {
			return Attr{}, fmt.Errorf("%q: %w", name, err) // kept: it may come back
		}
		if e.Ino == gone || attempt == 3 {
			// Twice the same inode gone: not a replacement under way
			// but an entry a crash left behind.
			f.dropDangling(ctx, dir, e)
			return Attr{}, fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		gone = e.Ino // the name may have been pointed at a new inode meanwhile
	}
}

// RemoveEntry removes name from directory dir whatever its inode holds:
// for an entry whose inode no live node holds (ErrNoRecord), which a
// lookup reports as not found and keeps. If the record comes back, what
// it names is no longer reachable by a path (its blocks stay: see
// Collect). It returns the entry removed.
func (f *FS) RemoveEntry(ctx context.Context, dir uint64, name string) (Dirent, error) {
	if err := CheckName(name); err != nil {
		return Dirent{}, err
	}
	var gone Dirent
	_, _, err := f.update(ctx, dir, func(d *Inode) error {
		i, ok := d.lookup(name)
		if !ok {
			return fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		gone = d.Entries[i]
		d.removeEntry(name)
		d.Mtime = f.now().UnixNano()
		return nil
	})
	return gone, err
}

// dropDangling removes entry e from dir if it still names e.Ino, whose
// inode is gone.
func (f *FS) dropDangling(ctx context.Context, dir uint64, e Dirent) {
	if f.openState(e.Ino) != nil {
		return
	}
	_, _, err := f.update(ctx, dir, func(in *Inode) error {
		i, ok := in.lookup(e.Name)
		if !ok || in.Entries[i].Ino != e.Ino {
			return errNoChange
		}
		in.removeEntry(e.Name)
		return nil
	})
	if err == nil {
		f.log.Info("dfs: removed an entry whose inode was gone", "dir", dir, "name", e.Name, "ino", e.Ino)
	}
}

// ReadDir returns the entries of directory dir, sorted by name.
func (f *FS) ReadDir(ctx context.Context, dir uint64) ([]Dirent, error) {
	d, _, err := f.dirInode(ctx, dir)
	if err != nil {
		return nil, err
	}
	return d.Entries, nil
}

// newIno returns a random inode number (never 0 or the root's).
func newIno() uint64 {
	for {
		if n := rand.Uint64(); n > RootIno {
			return n
		}
	}
}

// Mkdir creates directory name in dir.
func (f *FS) Mkdir(ctx context.Context, dir uint64, name string, mode uint32) (Attr, error) {
	a, _, err := f.makeNode(ctx, dir, name, KindDir, mode, true)
	return a, err
}

// Create creates an empty file name in dir. If it exists, exclusive makes
// that an ErrExist; otherwise the existing file is returned (created
// false), or ErrIsDir if it is a directory.
func (f *FS) Create(ctx context.Context, dir uint64, name string, mode uint32, exclusive bool) (a Attr, created bool, err error) {
	return f.makeNode(ctx, dir, name, KindFile, mode, exclusive)
}

// makeNode writes a new inode, then links it into dir: a crash in between
// leaves an inode no directory names, never an entry without an inode.
func (f *FS) makeNode(ctx context.Context, dir uint64, name string, kind Kind, mode uint32, exclusive bool) (Attr, bool, error) {
	if err := CheckName(name); err != nil {
		return Attr{}, false, err
	}
	// The directory is read once, by the update that links the new inode
	// (the kernel has looked the name up already).
	now := f.now().UnixNano()
	in := &Inode{Kind: kind, Mode: mode & 0o7777, Mtime: now, Ctime: now}
	var ver dht.Version
	var err error
	for {
		in.Ino = newIno()
		err = f.retry(ctx, func(ctx context.Context) error {
			var e error
			ver, e = f.kv.SetIf(ctx, InodeKey(in.Ino), encodeInode(in), dht.Version{})
			return e
		})
		if !errors.Is(err, dht.ErrConflict) {
			break
		}
	}
	if err != nil {
		return Attr{}, false, err
	}
	var taken *Dirent
	_, _, err = f.update(ctx, dir, func(d *Inode) error {
		if d.Kind != KindDir {
			return fmt.Errorf("inode %d: %w", dir, ErrNotDir)
		}
		if i, ok := d.lookup(name); ok {
			if d.Entries[i].Ino == in.Ino {
				return errNoChange // our own earlier try
			}
			taken = &d.Entries[i]
			return fmt.Errorf("%q: %w", name, ErrExist)
		}
		d.setEntry(Dirent{Name: name, Ino: in.Ino, Kind: kind})
		d.Mtime = max(now, d.Mtime)
		return nil
	})
	if err != nil {
		if derr := f.deleteInode(ctx, in.Ino); derr != nil {
			f.log.Warn("dfs: an unlinked new inode stays", "ino", in.Ino, "err", derr)
		}
		if taken != nil {
			return f.existing(ctx, *taken, kind, exclusive)
		}
		return Attr{}, false, err
	}
	return attrOf(in, ver), true, nil
}

// existing is makeNode's answer when the name is taken by e.
func (f *FS) existing(ctx context.Context, e Dirent, kind Kind, exclusive bool) (Attr, bool, error) {
	if exclusive || kind == KindDir {
		return Attr{}, false, fmt.Errorf("%q: %w", e.Name, ErrExist)
	}
	if e.Kind == KindDir {
		return Attr{}, false, fmt.Errorf("%q: %w", e.Name, ErrIsDir)
	}
	a, err := f.Stat(ctx, e.Ino)
	return a, false, err
}

// Unlink removes file name from dir. The inode goes at once, or at the
// last Close when the file is open here; its blocks are left to Collect.
func (f *FS) Unlink(ctx context.Context, dir uint64, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	var gone Dirent
	_, _, err := f.update(ctx, dir, func(d *Inode) error {
		if d.Kind != KindDir {
			return ErrNotDir
		}
		i, ok := d.lookup(name)
		if !ok {
			return fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		if gone = d.Entries[i]; gone.Kind == KindDir {
			return fmt.Errorf("%q: %w", name, ErrIsDir)
		}
		d.removeEntry(name)
		d.Mtime = f.now().UnixNano()
		return nil
	})
	if err != nil {
		return err
	}
	return f.dropInode(ctx, gone.Ino)
}

// dropInode deletes a file's inode, or marks it for deletion at the last
// Close when it is open here.
func (f *FS) dropInode(ctx context.Context, ino uint64) error {
	if of := f.openState(ino); of != nil {
		of.mu.Lock()
		of.unlinked = true
		of.mu.Unlock()
		return nil
	}
	return f.deleteInode(ctx, ino)
}

// Rmdir removes the empty directory name from dir. The directory's record
// is deleted first, conditionally on the empty version read, so that an
// entry created in it meanwhile makes Rmdir fail rather than vanish.
func (f *FS) Rmdir(ctx context.Context, dir uint64, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	for attempt := 0; attempt < 4*f.cfg.Attempts; attempt++ {
		d, _, err := f.dirInode(ctx, dir)
		if err != nil {
			return err
		}
		i, ok := d.lookup(name)
		if !ok {
			return fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		e := d.Entries[i]
		if e.Kind != KindDir {
			return fmt.Errorf("%q: %w", name, ErrNotDir)
		}
		err = f.removeEmptyDir(ctx, e.Ino, name)
		if errors.Is(err, dht.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		return f.unlinkEntry(ctx, dir, e)
	}
	return fmt.Errorf("%q: %w: too many concurrent updates", name, ErrUnavailable)
}

// removeEmptyDir deletes directory ino's record if it has no entries
// (ErrNotEmpty otherwise, dht.ErrConflict if it changed meanwhile); a
// record already gone is not an error.
func (f *FS) removeEmptyDir(ctx context.Context, ino uint64, name string) error {
	raw, ver, found, err := f.readRaw(ctx, ino)
	if err != nil || !found {
		return err
	}
	in, err := decodeInode(raw)
	if err != nil {
		return fmt.Errorf("inode %d: %w", ino, err)
	}
	if len(in.Entries) > 0 {
		return fmt.Errorf("%q: %w", name, ErrNotEmpty)
	}
	return f.retry(ctx, func(ctx context.Context) error { return f.kv.DelIf(ctx, InodeKey(ino), ver) })
}

// unlinkEntry removes e from dir if the entry still names e.Ino.
func (f *FS) unlinkEntry(ctx context.Context, dir uint64, e Dirent) error {
	_, _, err := f.update(ctx, dir, func(d *Inode) error {
		i, ok := d.lookup(e.Name)
		if !ok || d.Entries[i].Ino != e.Ino {
			return errNoChange
		}
		d.removeEntry(e.Name)
		d.Mtime = f.now().UnixNano()
		return nil
	})
	return err
}

// RenameFlags modify Rename.
type RenameFlags uint32

// RenameNoReplace makes Rename fail with ErrExist when the new name is
// taken.
const RenameNoReplace RenameFlags = 1

// Rename moves oldName in oldDir to newName in newDir, replacing a file
// there, or an empty directory when a directory moves. Within one
// directory it is one conditional write, so atomic. Across directories
// the entry is added to newDir first and removed from oldDir second: a
// crash in between leaves the inode under both names (never under none);
// removing either then leaves the other, whose inode is gone, to be
// dropped at its next lookup. The caller checks that a directory does not
// move into itself (the kernel does for the mount; RenamePath does for
// paths).
func (f *FS) Rename(ctx context.Context, oldDir uint64, oldName string, newDir uint64, newName string, flags RenameFlags) error {
	if err := errors.Join(CheckName(oldName), CheckName(newName)); err != nil {
		return err
	}
	if flags&^RenameNoReplace != 0 {
		return fmt.Errorf("%w: rename flags %#x are not supported", ErrInvalid, uint32(flags))
	}
	for attempt := 0; attempt < 4*f.cfg.Attempts; attempt++ {
		err := f.renameOnce(ctx, oldDir, oldName, newDir, newName, flags)
		if !errors.Is(err, errRestart) {
			return err
		}
	}
	return fmt.Errorf("rename %q: %w: too many concurrent updates", oldName, ErrUnavailable)
}

// errRestart: an entry changed between the checks and the writes.
var errRestart = errors.New("restart")

func (f *FS) renameOnce(ctx context.Context, oldDir uint64, oldName string, newDir uint64, newName string, flags RenameFlags) error {
	od, _, err := f.dirInode(ctx, oldDir)
	if err != nil {
		return err
	}
	i, ok := od.lookup(oldName)
	if !ok {
		return fmt.Errorf("%q: %w", oldName, ErrNotFound)
	}
	src := od.Entries[i]
	nd := od
	if newDir != oldDir {
		if nd, _, err = f.dirInode(ctx, newDir); err != nil {
			return err
		}
	}
	var dst *Dirent
	if j, ok := nd.lookup(newName); ok {
		e := nd.Entries[j]
		dst = &e
		switch {
		case e.Ino == src.Ino:
			return nil // the same inode: nothing to do
		case flags&RenameNoReplace != 0:
			return fmt.Errorf("%q: %w", newName, ErrExist)
		case src.Kind == KindDir && e.Kind != KindDir:
			return fmt.Errorf("%q: %w", newName, ErrNotDir)
		case src.Kind != KindDir && e.Kind == KindDir:
			return fmt.Errorf("%q: %w", newName, ErrIsDir)
		case e.Kind == KindDir:
			if err := f.removeEmptyDir(ctx, e.Ino, newName); err != nil {
				if errors.Is(err, dht.ErrConflict) {
					return errRestart
				}
				return err
			}
		}
	}
	// sameDst checks that newName still names what was checked above.
	sameDst := func(d *Inode) error {
		j, ok := d.lookup(newName)
		switch {
		case dst == nil && ok, dst != nil && !ok && dst.Kind != KindDir, dst != nil && ok && d.Entries[j].Ino != dst.Ino:
			return errRestart
		}
		return nil
	}
	now := f.now().UnixNano()
	moved := src
	moved.Name = newName
	if newDir == oldDir {
		_, _, err = f.update(ctx, oldDir, func(d *Inode) error {
			j, ok := d.lookup(oldName)
			if !ok || d.Entries[j].Ino != src.Ino {
				return errRestart
			}
			if err := sameDst(d); err != nil {
				return err
			}
			d.removeEntry(oldName)
			d.setEntry(moved)
			d.Mtime = now
			return nil
		})
	} else {
		_, _, err = f.update(ctx, newDir, func(d *Inode) error {
			if err := sameDst(d); err != nil {
				return err
			}
			d.setEntry(moved)
			d.Mtime = now
			return nil
		})
		if err == nil {
			err = f.unlinkEntry(ctx, oldDir, src)
		}
	}
	if err != nil {
		return err
	}
	if dst != nil && dst.Kind == KindFile {
		return f.dropInode(ctx, dst.Ino)
	}
	return nil
}

// SetAttr holds the attributes SetAttr changes; nil fields stay.
type SetAttr struct {
	Mode  *uint32
	Size  *int64
	Mtime *time.Time
}

// SetAttr changes inode ino's mode, size (truncating or extending a file
// with zeros) or modification time.
func (f *FS) SetAttr(ctx context.Context, ino uint64, s SetAttr) (Attr, error) {
	if s.Size != nil {
		h, err := f.Open(ctx, ino)
		if err != nil {
			return Attr{}, err
		}
		err = h.Truncate(ctx, *s.Size)
		if cerr := h.Close(ctx); err == nil {
			err = cerr
		}
		if err != nil {
			return Attr{}, err
		}
	}
	if s.Mode == nil && s.Mtime == nil {
		return f.Stat(ctx, ino)
	}
	if of := f.openState(ino); of != nil {
		// Commit the open file's writes first, so the update below does
		// not race them.
		of.mu.Lock()
		err := of.commitLocked(ctx)
		of.mu.Unlock()
		if err != nil {
			return Attr{}, err
		}
	}
	in, v, err := f.update(ctx, ino, func(in *Inode) error {
		if s.Mode != nil {
			in.Mode = *s.Mode & 0o7777
		}
		if s.Mtime != nil {
			in.Mtime = s.Mtime.UnixNano()
		}
		return nil
	})
	if err != nil {
		return Attr{}, err
	}
	if of := f.openState(ino); of != nil {
		of.mu.Lock()
		of.adoptMeta(in, v)
		of.mu.Unlock()
	}
	return attrOf(in, v), nil
}
