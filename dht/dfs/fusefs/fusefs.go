// Package fusefs mounts a dfs.FS with FUSE (github.com/hanwen/go-fuse/v2),
// so that any program reads and writes the ring's file system as files.
//
// Mount checks first what can go wrong and says what to do about it
// (Check): no /dev/fuse, no permission to open it, no fusermount3 for a
// user that is not root, a directory that is a stale mount left by a
// chordtui that was killed, or one that is mounted already. As root it
// mounts directly (the mount system call); otherwise through the
// fusermount3 helper (Debian's fuse3 package). Unmount unmounts cleanly,
// or, when a process still uses the mount, detaches it lazily and says
// so.
//
// Each FUSE request is one call of the FS: lookups, getattr, readdir,
// create, mkdir, unlink, rmdir, rename and setattr go to the directory
// operations; open, read, write, flush, fsync and release to a dfs.Handle
// (a write is committed at every close, as with close-to-open
// consistency). Errors map to errnos by their dfs sentinel (Errno):
// ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL, ENAMETOOLONG, EFBIG,
// ENOSPC, and EIO for a ring that could not serve the request (logged).
//
// The go-fuse server runs its own goroutines (one reader of /dev/fuse
// and one per request); they exit when the mount is gone, and Unmount
// waits for them.
package fusefs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/chordtui/chordtui/dht/dfs"
)

// Errno maps a file system error to the errno a program sees.
func Errno(err error) syscall.Errno {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, dfs.ErrNotFound):
		return syscall.ENOENT
	case errors.Is(err, dfs.ErrExist):
		return syscall.EEXIST
	case errors.Is(err, dfs.ErrNotDir):
		return syscall.ENOTDIR
	case errors.Is(err, dfs.ErrIsDir):
		return syscall.EISDIR
	case errors.Is(err, dfs.ErrNotEmpty):
		return syscall.ENOTEMPTY
	case errors.Is(err, dfs.ErrNameTooLong):
		return syscall.ENAMETOOLONG
	case errors.Is(err, dfs.ErrInvalid):
		return syscall.EINVAL
	case errors.Is(err, dfs.ErrTooLarge):
		return syscall.EFBIG
	case errors.Is(err, dfs.ErrDirFull):
		return syscall.ENOSPC
	case errors.Is(err, context.Canceled):
		return syscall.EINTR
	}
	return syscall.EIO
}

// node is one inode of the mount.
type node struct {
	fs.Inode
	m   *Mounted
	ino uint64
}

var (
	_ fs.NodeLookuper  = (*node)(nil)
	_ fs.NodeGetattrer = (*node)(nil)
	_ fs.NodeSetattrer = (*node)(nil)
	_ fs.NodeReaddirer = (*node)(nil)
	_ fs.NodeMkdirer   = (*node)(nil)
	_ fs.NodeCreater   = (*node)(nil)
	_ fs.NodeUnlinker  = (*node)(nil)
	_ fs.NodeRmdirer   = (*node)(nil)
	_ fs.NodeRenamer   = (*node)(nil)
	_ fs.NodeOpener    = (*node)(nil)
	_ fs.NodeStatfser  = (*node)(nil)
)

// errno logs an EIO (the others are the program's business) and maps err.
func (m *Mounted) errno(op string, err error) syscall.Errno {
	e := Errno(err)
	if e == syscall.EIO {
		m.log.Warn("dfs mount: "+op, "err", err)
	}
	return e
}

func (m *Mounted) fill(a dfs.Attr, out *fuse.Attr) {
	out.Ino = a.Ino
	out.Size = uint64(a.Size)
	out.Mode = a.Mode
	out.Nlink = 1
	if a.Kind == dfs.KindDir {
		out.Mode |= syscall.S_IFDIR
		out.Nlink = 2
		out.Size = 4096
	} else {
		out.Mode |= syscall.S_IFREG
		out.Blocks = (uint64(a.Size) + 511) / 512
	}
	out.Blksize = uint32(m.fsys.Config().BlockSize)
	out.Owner = fuse.Owner{Uid: m.uid, Gid: m.gid}
	out.SetTimes(&a.Mtime, &a.Mtime, &a.Ctime)
}

func stable(a dfs.Attr) fs.StableAttr {
	mode := uint32(syscall.S_IFREG)
	if a.Kind == dfs.KindDir {
		mode = syscall.S_IFDIR
	}
	return fs.StableAttr{Mode: mode, Ino: a.Ino}
}

func (n *node) child(ctx context.Context, a dfs.Attr, out *fuse.EntryOut) *fs.Inode {
	n.m.fill(a, &out.Attr)
	return n.NewInode(ctx, &node{m: n.m, ino: a.Ino}, stable(a))
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	a, err := n.m.fsys.Lookup(ctx, n.ino, name)
	if err != nil {
		return nil, n.m.errno("lookup", err)
	}
	return n.child(ctx, a, out), 0
}

// stale maps an inode that is gone (replaced by a put or a rename over
// it since the kernel looked its name up) to ESTALE, on which the kernel
// looks the name up again and retries.
func (m *Mounted) stale(op string, err error) syscall.Errno {
	if errors.Is(err, dfs.ErrNotFound) {
		return syscall.ESTALE
	}
	return m.errno(op, err)
}

func (n *node) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if fh, ok := f.(*handle); ok {
		n.m.fill(fh.h.Attr(), &out.Attr)
		return 0
	}
	a, err := n.m.fsys.Stat(ctx, n.ino)
	if err != nil {
		return n.m.stale("getattr", err)
	}
	n.m.fill(a, &out.Attr)
	return 0
}

func (n *node) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	var s dfs.SetAttr
	if mode, ok := in.GetMode(); ok {
		m := mode & 0o7777
		s.Mode = &m
	}
	if mt, ok := in.GetMTime(); ok {
		s.Mtime = &mt
	}
	if size, ok := in.GetSize(); ok {
		sz := int64(size)
		if fh, ok := f.(*handle); ok {
			if err := fh.h.Truncate(ctx, sz); err != nil {
				return n.m.errno("truncate", err)
			}
		} else {
			s.Size = &sz
		}
	}
	a, err := n.m.fsys.SetAttr(ctx, n.ino, s)
	if err != nil {
		return n.m.errno("setattr", err)
	}
	n.m.fill(a, &out.Attr)
	return 0
}

func (n *node) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	ents, err := n.m.fsys.ReadDir(ctx, n.ino)
	if err != nil {
		return nil, n.m.errno("readdir", err)
	}
	list := make([]fuse.DirEntry, 0, len(ents))
	for _, e := range ents {
		mode := uint32(syscall.S_IFREG)
		if e.Kind == dfs.KindDir {
			mode = syscall.S_IFDIR
		}
		list = append(list, fuse.DirEntry{Name: e.Name, Ino: e.Ino, Mode: mode})
	}
	return fs.NewListDirStream(list), 0
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	a, err := n.m.fsys.Mkdir(ctx, n.ino, name, mode)
	if err != nil {
		return nil, n.m.errno("mkdir", err)
	}
	return n.child(ctx, a, out), 0
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	a, created, err := n.m.fsys.Create(ctx, n.ino, name, mode, flags&syscall.O_EXCL != 0)
	if err != nil {
		return nil, nil, 0, n.m.errno("create", err)
	}
	h, err := n.m.fsys.OpenCreated(ctx, a)
	if err != nil {
		return nil, nil, 0, n.m.errno("open", err)
	}
	if !created && flags&syscall.O_TRUNC != 0 {
		if err := h.Truncate(ctx, 0); err != nil {
			_ = h.Close(ctx)
			return nil, nil, 0, n.m.errno("truncate", err)
		}
	}
	return n.child(ctx, h.Attr(), out), &handle{m: n.m, h: h}, 0, 0
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	return n.m.errno("unlink", n.m.fsys.Unlink(ctx, n.ino, name))
}

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	return n.m.errno("rmdir", n.m.fsys.Rmdir(ctx, n.ino, name))
}

// renameNoReplace is RENAME_NOREPLACE of renameat2(2).
const renameNoReplace = 1

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	np, ok := newParent.(*node)
	if !ok {
		return syscall.EXDEV
	}
	if flags&^renameNoReplace != 0 {
		return syscall.EINVAL // RENAME_EXCHANGE, RENAME_WHITEOUT
	}
	var rf dfs.RenameFlags
	if flags&renameNoReplace != 0 {
		rf = dfs.RenameNoReplace
	}
	return n.m.errno("rename", n.m.fsys.Rename(ctx, n.ino, name, np.ino, newName, rf))
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	h, err := n.m.fsys.Open(ctx, n.ino)
	if err != nil {
		return nil, 0, n.m.stale("open", err)
	}
	if flags&syscall.O_TRUNC != 0 {
		if err := h.Truncate(ctx, 0); err != nil {
			_ = h.Close(ctx)
			return nil, 0, n.m.errno("truncate", err)
		}
	}
	return &handle{m: n.m, h: h}, 0, 0
}

func (n *node) Statfs(_ context.Context, out *fuse.StatfsOut) syscall.Errno {
	bs := uint32(n.m.fsys.Config().BlockSize)
	out.Bsize, out.Frsize, out.NameLen = bs, bs, dfs.MaxNameLen
	return 0
}

// handle is an open file of the mount.
type handle struct {
	m *Mounted
	h *dfs.Handle
}

var (
	_ fs.FileReader    = (*handle)(nil)
	_ fs.FileWriter    = (*handle)(nil)
	_ fs.FileFlusher   = (*handle)(nil)
	_ fs.FileFsyncer   = (*handle)(nil)
	_ fs.FileReleaser  = (*handle)(nil)
	_ fs.FileGetattrer = (*handle)(nil)
)

func (fh *handle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	n, err := fh.h.ReadAt(ctx, dest, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fh.m.errno("read", err)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

func (fh *handle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	n, err := fh.h.WriteAt(ctx, data, off)
	if err != nil {
		return uint32(n), fh.m.errno("write", err)
	}
	return uint32(n), 0
}

// commitTimeout bounds a commit at close: it must not depend on the
// request's context, which an interrupted close(2) cancels.
const commitTimeout = time.Minute

func (fh *handle) Flush(context.Context) syscall.Errno {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	return fh.m.errno("flush", fh.h.Flush(ctx))
}

func (fh *handle) Fsync(ctx context.Context, _ uint32) syscall.Errno { return fh.Flush(ctx) }

func (fh *handle) Release(context.Context) syscall.Errno {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	return fh.m.errno("release", fh.h.Close(ctx))
}

func (fh *handle) Getattr(_ context.Context, out *fuse.AttrOut) syscall.Errno {
	fh.m.fill(fh.h.Attr(), &out.Attr)
	return 0
}

// Options configure Mount.
type Options struct {
	// Logger receives the mount's warnings (requests that failed with
	// EIO); nil discards them.
	Logger *slog.Logger
	// Debug logs every FUSE request to Logger.
	Debug bool
}

// Mounted is a mounted file system.
type Mounted struct {
	// Dir is the mount point, as given.
	Dir string
	// Direct is true when it was mounted by the mount system call (as
	// root), false when through fusermount3.
	Direct bool

	fsys     *dfs.FS
	server   *fuse.Server
	log      *slog.Logger
	uid, gid uint32
	conn     uint32 // the kernel's number of the FUSE connection (0: unknown)
}

// Mount mounts fsys on dir (created if missing) and serves it until
// Unmount. Check runs first: its errors say what is wrong and what to do.
func Mount(fsys *dfs.FS, dir string, opts Options) (*Mounted, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := Check(dir); err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, fmt.Errorf("mount %s: %w", dir, err)
		}
	}
	m := &Mounted{Dir: dir, fsys: fsys, log: log, uid: uint32(os.Getuid()), gid: uint32(os.Getgid()), Direct: os.Geteuid() == 0}
	root := &node{m: m, ino: dfs.RootIno}
	timeout := time.Second
	mo := fuse.MountOptions{
		FsName:       "chordtui",
		Name:         "chordtui",
		MaxWrite:     1 << 20,
		MaxReadAhead: 1 << 20,
		DirectMount:  m.Direct,
		// Reads and writes of one file may run at once.
		MaxBackground:      64,
		DisableXAttrs:      true,
		DisableReadDirPlus: true,
		Debug:              opts.Debug,
	}
	if opts.Debug {
		mo.Logger = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	}
	server, err := fs.Mount(dir, root, &fs.Options{
		MountOptions:   mo,
		EntryTimeout:   &timeout,
		AttrTimeout:    &timeout,
		RootStableAttr: &fs.StableAttr{Mode: syscall.S_IFDIR, Ino: dfs.RootIno},
		UID:            m.uid,
		GID:            m.gid,
		// A mode of 0 (chmod 000) is shown as it is, not as go-fuse's
		// default 0644 or 0755.
		NullPermissions: true,
	})
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w%s", dir, err, mountHint(err))
	}
	m.server = server
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err == nil {
		m.conn = unix.Minor(st.Dev)
	}
	log.Info("dfs mounted", "dir", dir, "direct", m.Direct)
	return m, nil
}

// ErrBusy is Unmount finding the mount in use and detached it lazily.
var ErrBusy = errors.New("mount busy")

// Unmount unmounts the file system and waits for the server to stop.
// When a process still has a file or its working directory in it, the
// mount is detached lazily (it disappears for new lookups at once, and
// for good when the last user lets go) and Unmount returns an error
// wrapping ErrBusy that says so.
func (m *Mounted) Unmount() error {
	if m == nil || m.server == nil {
		return nil
	}
	var err error
	for try := 0; try < 4; try++ { // requests of the kernel's read-ahead may still be under way
		if err = m.server.Unmount(); err == nil {
			m.log.Info("dfs unmounted", "dir", m.Dir)
			return nil
		}
		time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
	}
	if lerr := lazyUnmount(m.Dir, m.Direct); lerr != nil {
		return fmt.Errorf("unmount %s: %w; a lazy unmount failed too: %w — run: fusermount3 -u -z %s", m.Dir, err, lerr, m.Dir)
	}
	// The server stops with this process: requests still pending (this
	// process's own, among others) would wait for it forever.
	abortConnection(m.conn)
	return fmt.Errorf("unmount %s: %w: a process still uses it (a shell's working directory, an open file); it is detached and goes when they let go", m.Dir, ErrBusy)
}
