package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
	"github.com/chordtui/chordtui/dht/dfs"
)

// The file system on the ring (package dfs): its records are dht keys, so
// every node serves them as it serves any key (replication, repair,
// handoff). The cluster runs one dfs.FS for the commands and the FUSE
// mount, whose calls go through the default origin, or the first live
// member while the origin is down (fsKV), and one goroutine (dfsLoop)
// that commits open files that waited too long (dfs.FS.Maintain) and
// collects garbage blocks (dfs.FS.Collect). dfsLoop exits when Close
// begins (stopDFS), before any node stops; then the FS commits what is
// still open and waits for its transfers.

// EventFiles tags the file system's events: a mount, an unmount, a
// mount that failed, a garbage collection that deleted blocks.
const EventFiles EventKind = "files"

// NoteFiles puts a line about the file system into the event log (the
// TUI shows it; it is logged too), e.g. that a mount failed and why.
func (c *Cluster) NoteFiles(text string) {
	c.emitOrdered(Event{Time: time.Now(), Kind: EventFiles, Text: text})
}

// dfsLayer is the cluster's file system and its maintenance goroutine.
type dfsLayer struct {
	fs   *dfs.FS
	stop chan struct{} // closed by stopDFS
	once sync.Once     // stopDFS's work, once
	done chan struct{} // closed when dfsLoop exits

	mu     sync.Mutex
	lastGC GCStatus
}

// GCStatus is the outcome of the last garbage collection round.
type GCStatus struct {
	At     time.Time    `json:"at"`
	Report dfs.GCReport `json:"report"`
	Error  string       `json:"error,omitempty"`
}

// validateDFS reports file system settings the store cannot serve.
func (c Config) validateDFS() error {
	var errs []error
	if err := c.DFS.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("dfs: %w", err))
	}
	if c.DFS.BlockSize > c.DHT.MaxValueSize {
		errs = append(errs, fmt.Errorf("dfs: blocks of %d bytes do not fit the dht's value limit of %d", c.DFS.BlockSize, c.DHT.MaxValueSize))
	}
	if c.GCInterval <= 0 {
		errs = append(errs, fmt.Errorf("gc interval must be positive, got %v", c.GCInterval))
	}
	return errors.Join(errs...)
}

// startDFS creates the file system and starts dfsLoop.
func (c *Cluster) startDFS() error {
	c.mu.RLock()
	cfg := c.cfg.DFS
	cfg.MaxRecordSize = min(cfg.MaxRecordSize, c.cfg.DHT.MaxValueSize)
	cfg.Clock = c.cfg.DHT.Clock
	cfg.Logger = c.log
	gcEvery := c.cfg.GCInterval
	c.mu.RUnlock()
	fsys, err := dfs.New(fsKV{c}, cfg)
	if err != nil {
		return err
	}
	l := &dfsLayer{fs: fsys, stop: make(chan struct{}), done: make(chan struct{})}
	c.mu.Lock()
	c.dfs = l
	c.mu.Unlock()
	go c.dfsLoop(l, cfg.CommitAfter/2, gcEvery) // exits when stopDFS closes l.stop
	return nil
}

// stopDFS stops dfsLoop and closes the file system (committing open
// files) while the nodes still run. Close calls it first.
func (c *Cluster) stopDFS() {
	c.mu.Lock()
	l := c.dfs
	c.mu.Unlock()
	if l == nil {
		return
	}
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.fs.Close(ctx); err != nil {
			c.log.Warn("dfs: closing the file system", "err", err)
		}
	})
}

// dfsLoop runs Maintain every commitEvery and Collect every gcEvery, while
// maintenance is not paused, until stop is closed.
func (c *Cluster) dfsLoop(l *dfsLayer, commitEvery, gcEvery time.Duration) {
	defer close(l.done)
	commit := time.NewTicker(commitEvery)
	defer commit.Stop()
	gc := time.NewTicker(gcEvery)
	defer gc.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // exits when stop is closed or the loop returns
		select {
		case <-l.stop:
		case <-ctx.Done():
		}
		cancel()
	}()
	for {
		select {
		case <-l.stop:
			return
		case <-commit.C:
			if !c.maintenancePaused() {
				if err := l.fs.Maintain(ctx); err != nil {
					c.log.Warn("dfs: commit of open files", "err", err)
				}
			}
		case <-gc.C:
			if !c.maintenancePaused() {
				_, _ = c.CollectGarbage(ctx)
			}
		}
	}
}

func (c *Cluster) maintenancePaused() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.maintPaused
}

// FS returns the cluster's file system (nil after Close).
func (c *Cluster) FS() *dfs.FS {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.dfs == nil || c.closed {
		return nil
	}
	return c.dfs.fs
}

func (c *Cluster) fsOrErr(op string) (*dfs.FS, error) {
	if fsys := c.FS(); fsys != nil {
		return fsys, nil
	}
	if c.cfg.Attach != "" && !c.Closed() {
		return nil, errorf(ErrNodeState, "%s: the file system runs on a node of this program, and an attached one starts none — use chordtui mount DIR N, or repl N --join %s", op, c.cfg.Attach)
	}
	return nil, errorf(ErrClosed, "%s: the cluster is closed", op)
}

// CollectGarbage runs one garbage collection round now over the keys the
// ring's members hold (see dfs.FS.Collect for the rule that keeps it
// safe). The rule needs every inode on the ring: while some member's keys
// cannot be read (a remote member that does not answer, a partition) the
// round deletes nothing and fails with ErrGCSkipped.
func (c *Cluster) CollectGarbage(ctx context.Context) (dfs.GCReport, error) {
	fsys, err := c.fsOrErr("gc")
	if err != nil {
		return dfs.GCReport{}, err
	}
	var rep dfs.GCReport
	keys, why := c.dfsKeys(ctx)
	if why != "" {
		err = fmt.Errorf("%w: %s", ErrGCSkipped, why)
	} else {
		rep, err = fsys.Collect(ctx, keys)
	}
	st := GCStatus{At: time.Now(), Report: rep}
	if err != nil {
		st.Error = err.Error()
		c.log.Warn("dfs: garbage collection", "err", err)
	} else if rep.Deleted > 0 {
		c.NoteFiles(fmt.Sprintf("garbage collection deleted %d blocks (%d bytes) no inode references", rep.Deleted, rep.DeletedBytes))
	}
	c.mu.RLock()
	l := c.dfs
	c.mu.RUnlock()
	if l != nil {
		l.mu.Lock()
		l.lastGC = st
		l.mu.Unlock()
	}
	return rep, err
}

// LastGC returns the outcome of the last garbage collection round (zero
// before the first).
func (c *Cluster) LastGC() GCStatus {
	c.mu.RLock()
	l := c.dfs
	c.mu.RUnlock()
	if l == nil {
		return GCStatus{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastGC
}

// ErrGCSkipped is the error of a garbage collection round that deleted
// nothing because the keys of some member of the ring could not be read.
var ErrGCSkipped = errors.New("garbage collection skipped")

// dfsKeys lists the file system's keys on every member of the ring that
// holds any: the local nodes that are alive or paused (a crashed node's
// keys are gone with it), and the remote members through their keys
// command. why says, when it is not "", whose keys could not be read: a
// collection then would take the blocks of the inodes only they hold for
// garbage.
func (c *Cluster) dfsKeys(ctx context.Context) (keys []dfs.StoredKey, why string) {
	add := func(ks []dht.KeyInfo) {
		for _, k := range ks {
			if dfs.IsBlockKey(k.Key) || dfs.IsInodeKey(k.Key) {
				keys = append(keys, dfs.StoredKey{Key: k.Key, Version: k.Version, Deleted: k.Deleted, Size: k.Size - len(k.Key)})
			}
		}
	}
	c.mu.RLock()
	if c.partitioned {
		c.mu.RUnlock()
		return nil, "a partition is in force"
	}
	var stores []*dht.Store
	for _, m := range c.members {
		if (m.state == StateAlive || m.state == StatePaused) && m.store != nil {
			stores = append(stores, m.store)
		}
	}
	var remotes []*remote
	for _, r := range c.remotes {
		if r.misses > 0 {
			c.mu.RUnlock()
			return nil, r.name + " does not answer (remote)"
		}
		remotes = append(remotes, r)
	}
	cl := c.client
	c.mu.RUnlock()
	for _, s := range stores {
		add(s.Keys())
	}
	for _, r := range remotes {
		ks, err := ObserveKeys(ctx, cl.tr, r.addr)
		if err != nil {
			return nil, "the keys of " + r.name + " (remote) could not be read: " + err.Error()
		}
		add(ks)
	}
	return keys, ""
}

// liveStores returns the live members' names, IDs and stores.
func (c *Cluster) liveStores() []startAt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []startAt
	for _, m := range c.liveLocked() {
		if m.store != nil {
			out = append(out, startAt{name: m.name, node: m.node, store: m.store})
		}
	}
	return out
}

// fsKV is the file system's view of the ring: each call goes through the
// default origin, or the first live member while it is down. A call
// through a node that is killed meanwhile fails as unavailable, and the
// file system tries again (through another node).
type fsKV struct{ c *Cluster }

func (k fsKV) at() (*dht.Store, error) {
	at, err := k.c.originFor("fs", "")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", dht.ErrUnavailable, err)
	}
	if at.store == nil {
		return nil, fmt.Errorf("%w: the file system runs on a local node, and %s is remote", dht.ErrUnavailable, at.name)
	}
	return at.store, nil
}

// transient marks the errors of a node that stopped under the call as
// unavailable, so that the call is tried again elsewhere.
func transient(err error) error {
	if err != nil && !errors.Is(err, dht.ErrUnavailable) &&
		(errors.Is(err, chord.ErrStopped) || errors.Is(err, chord.ErrNotJoined) || errors.Is(err, chord.ErrNodeDown)) {
		return fmt.Errorf("%w: %w", dht.ErrUnavailable, err)
	}
	return err
}

func (k fsKV) Get(ctx context.Context, key string) ([]byte, dht.Version, bool, error) {
	s, err := k.at()
	if err != nil {
		return nil, dht.Version{}, false, err
	}
	r, err := s.Get(ctx, key)
	return r.Value, r.Version, r.Found, transient(err)
}

// ReservationTTL implements dfs.Reserver.
func (k fsKV) ReservationTTL() time.Duration {
	s, err := k.at()
	if err != nil {
		return 0
	}
	return s.ReservationTTL()
}

func (k fsKV) SetIf(ctx context.Context, key string, value []byte, expect dht.Version) (dht.Version, error) {
	s, err := k.at()
	if err != nil {
		return dht.Version{}, err
	}
	r, err := s.SetIf(ctx, key, value, expect)
	return r.Version, transient(err)
}

func (k fsKV) DelIf(ctx context.Context, key string, expect dht.Version) error {
	s, err := k.at()
	if err != nil {
		return err
	}
	_, err = s.DelIf(ctx, key, expect)
	return transient(err)
}

func (k fsKV) Put(ctx context.Context, key string, value []byte) error {
	s, err := k.at()
	if err != nil {
		return err
	}
	_, err = s.Set(ctx, key, value)
	return transient(err)
}

func (k fsKV) ReadAny(ctx context.Context, key string, valid func([]byte) bool) ([]byte, error) {
	s, err := k.at()
	if err != nil {
		return nil, err
	}
	r, err := s.ReadAny(ctx, key, valid)
	return r.Value, transient(err)
}

// --- the file commands ---

// FileInfo describes a file or directory in a result.
type FileInfo struct {
	Path string `json:"path"`
	// Kind is "file" or "dir".
	Kind string `json:"kind"`
	// Size is a file's length in bytes, a directory's entry count.
	Size int64 `json:"size"`
	// Mode is the permission bits in octal ("0644").
	Mode  string    `json:"mode"`
	Mtime time.Time `json:"mtime"`
	// Ino is the inode number in hex, as the inode's key names it.
	Ino string `json:"ino"`
	// Version is the inode record's version.
	Version Version `json:"version"`
}

func (c *Cluster) fileInfo(path string, a dfs.Attr) FileInfo {
	return FileInfo{Path: path, Kind: a.Kind.String(), Size: a.Size, Mode: fmt.Sprintf("%04o", a.Mode),
		Mtime: a.Mtime.UTC(), Ino: fmt.Sprintf("%016x", a.Ino), Version: c.version(a.Version)}
}

// FileOpResult is the result of put, mkdir, rm and stat.
type FileOpResult struct {
	FileInfo
	// Replaced, for put: a file of that name was there and is replaced.
	Replaced bool `json:"replaced,omitempty"`
	// NoRecord, for rm: the name's record was on no live node, and only
	// the name was removed (dfs.FS.RemoveEntry).
	NoRecord bool `json:"no_record,omitempty"`
}

// FileList is the result of ls: the entries of a directory (or the file
// itself), sorted by name.
type FileList struct {
	Path    string     `json:"path"`
	Entries []FileInfo `json:"entries"`
}

// FileContent is the result of cat: the first bytes of a file.
type FileContent struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	// Data is what was read: the whole file up to CatLimit bytes.
	Data []byte `json:"data"`
	// Truncated is true when the file is longer than what Data holds.
	Truncated bool `json:"truncated,omitempty"`
	// Uncommitted: the file is open here with writes not committed yet;
	// Data is the version committed before them.
	Uncommitted bool `json:"uncommitted,omitempty"`
}

// CatLimit is how much of a file cat returns.
const CatLimit = 1 << 20

// fsErr words a file system error for the user: the command and path in
// front, a hint for what to do where one helps.
func fsErr(op, path string, err error) error {
	hint := ""
	switch {
	case errors.Is(err, dfs.ErrUnavailable):
		hint = " — the ring is repairing; try again after wait"
	}
	if strings.Contains(err.Error(), strconv.Quote(path)) { // the cause names the path already
		return &dataError{msg: fmt.Sprintf("%s: %v%s", op, err, hint), err: err}
	}
	return &dataError{msg: fmt.Sprintf("%s %s: %v%s", op, QuoteKey(path), err, hint), err: err}
}

// PutFile stores what r yields as the file at path (replacing a file
// there atomically) with permission bits mode.
func (c *Cluster) PutFile(ctx context.Context, path string, r io.Reader, mode uint32) (FileOpResult, error) {
	fsys, err := c.fsOrErr("put")
	if err != nil {
		return FileOpResult{}, err
	}
	_, statErr := fsys.Resolve(ctx, path)
	a, err := fsys.WriteFile(ctx, path, r, mode)
	if err != nil {
		return FileOpResult{}, fsErr("put", path, err)
	}
	return FileOpResult{FileInfo: c.fileInfo(path, a), Replaced: statErr == nil}, nil
}

// CatFile reads the file at path (its first CatLimit bytes).
func (c *Cluster) CatFile(ctx context.Context, path string) (FileContent, error) {
	fsys, err := c.fsOrErr("cat")
	if err != nil {
		return FileContent{}, err
	}
	w := &limitWriter{max: CatLimit}
	a, err := fsys.ReadFile(ctx, path, w)
	if err != nil && !errors.Is(err, errLimit) {
		return FileContent{}, fsErr("cat", path, err)
	}
	return FileContent{Path: path, Size: a.Size, Data: w.buf, Truncated: a.Size > int64(len(w.buf)), Uncommitted: fsys.Uncommitted(a.Ino)}, nil
}

var errLimit = errors.New("limit reached")

// limitWriter keeps the first max bytes written and then fails.
type limitWriter struct {
	buf []byte
	max int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	n := min(len(p), w.max-len(w.buf))
	w.buf = append(w.buf, p[:n]...)
	if n < len(p) {
		return n, errLimit
	}
	return n, nil
}

// ListFiles lists the directory at path ("/" for the root), or the file.
func (c *Cluster) ListFiles(ctx context.Context, path string) (FileList, error) {
	fsys, err := c.fsOrErr("ls")
	if err != nil {
		return FileList{}, err
	}
	ents, err := fsys.List(ctx, path)
	if err != nil {
		return FileList{}, fsErr("ls", path, err)
	}
	out := FileList{Path: path, Entries: make([]FileInfo, 0, len(ents))}
	for _, e := range ents {
		out.Entries = append(out.Entries, c.fileInfo(e.Name, e.Attr))
	}
	return out, nil
}

// RemoveFile removes the file, or empty directory, at path.
func (c *Cluster) RemoveFile(ctx context.Context, path string) (FileOpResult, error) {
	fsys, err := c.fsOrErr("rm")
	if err != nil {
		return FileOpResult{}, err
	}
	a, err := fsys.Resolve(ctx, path)
	if errors.Is(err, dfs.ErrNoRecord) && !errors.Is(err, dfs.ErrUnavailable) {
		// Its record is on no live node, lost or on nodes that are down:
		// a lookup keeps such a name, so rm is the way to remove it.
		e, rerr := fsys.RemoveEntryPath(ctx, path)
		if rerr != nil {
			return FileOpResult{}, fsErr("rm", path, rerr)
		}
		kind := "file"
		if e.Kind == dfs.KindDir {
			kind = "dir"
		}
		return FileOpResult{FileInfo: FileInfo{Path: path, Kind: kind, Ino: fmt.Sprintf("%016x", e.Ino)}, NoRecord: true}, nil
	}
	if err == nil {
		err = fsys.RemovePath(ctx, path)
	}
	if err != nil {
		if errors.Is(err, dfs.ErrNotEmpty) {
			return FileOpResult{}, fsErr("rm", path, fmt.Errorf("%w (rm removes files and empty directories)", err))
		}
		return FileOpResult{}, fsErr("rm", path, err)
	}
	return FileOpResult{FileInfo: c.fileInfo(path, a)}, nil
}

// MakeDir creates the directory at path (its parent must exist).
func (c *Cluster) MakeDir(ctx context.Context, path string) (FileOpResult, error) {
	fsys, err := c.fsOrErr("mkdir")
	if err != nil {
		return FileOpResult{}, err
	}
	a, err := fsys.MkdirPath(ctx, path, 0o755)
	if err != nil {
		return FileOpResult{}, fsErr("mkdir", path, err)
	}
	return FileOpResult{FileInfo: c.fileInfo(path, a)}, nil
}

// StatFile describes the file or directory at path.
func (c *Cluster) StatFile(ctx context.Context, path string) (FileOpResult, error) {
	fsys, err := c.fsOrErr("stat")
	if err != nil {
		return FileOpResult{}, err
	}
	a, err := fsys.Resolve(ctx, path)
	if err != nil {
		return FileOpResult{}, fsErr("stat", path, err)
	}
	return FileOpResult{FileInfo: c.fileInfo(path, a)}, nil
}

// KeyPlace is where one key of a file is: its identifier, the live node
// that owns it and the live nodes that hold a copy.
type KeyPlace struct {
	Key string `json:"key"`
	ID  RingID `json:"id"`
	// N is a block's position in the file (or an index block's in the
	// index); 0 for the inode.
	N int `json:"n"`
	// Bytes is the size of the file's data the key holds.
	Bytes   int64    `json:"bytes"`
	Owner   string   `json:"owner"`
	Holders []string `json:"holders"`
}

// FileShare is what one node holds of a file.
type FileShare struct {
	Node string `json:"node"`
	ID   RingID `json:"id"`
	// Inode: the node holds a copy of the inode.
	Inode bool `json:"inode"`
	// Blocks and Index count the data and index blocks it holds; Bytes is
	// the file data in them.
	Blocks int   `json:"blocks"`
	Index  int   `json:"index"`
	Bytes  int64 `json:"bytes"`
}

// FileWhere is the result of where: which nodes hold a file's inode and
// blocks. It is what the TUI draws on the ring: Inode's holders, and each
// node's share of the blocks (Nodes).
type FileWhere struct {
	FileInfo
	Inode  KeyPlace   `json:"inode"`
	Index  []KeyPlace `json:"index,omitempty"`
	Blocks []KeyPlace `json:"blocks"`
	// Nodes lists every live node holding any of the file's keys, in ring
	// order.
	Nodes []FileShare `json:"nodes"`
	// Missing counts keys no live node holds (lost, or not yet repaired).
	Missing int `json:"missing"`
	// Uncommitted: the file is open here with writes not committed yet,
	// which are not stored (Size and Blocks are the committed version's).
	Uncommitted bool `json:"uncommitted,omitempty"`
}

// WhereFile says which live nodes hold the inode and the blocks of the
// file or directory at path.
func (c *Cluster) WhereFile(ctx context.Context, path string) (FileWhere, error) {
	fsys, err := c.fsOrErr("where")
	if err != nil {
		return FileWhere{}, err
	}
	loc, err := fsys.Locate(ctx, path)
	if err != nil {
		return FileWhere{}, fsErr("where", path, err)
	}
	out := FileWhere{FileInfo: c.fileInfo(path, loc.Attr), Blocks: []KeyPlace{}, Uncommitted: loc.Uncommitted}
	want := map[string]bool{loc.InodeKey: true}
	for _, b := range loc.Blocks {
		want[b.Key] = true
	}
	for _, b := range loc.Index {
		want[b.Key] = true
	}
	stores := c.liveStores()
	held := map[string][]int{} // key → indexes into stores
	for i, s := range stores {
		for _, k := range s.store.Keys() {
			if want[k.Key] && !k.Deleted {
				held[k.Key] = append(held[k.Key], i)
			}
		}
	}
	c.mu.RLock()
	bits := c.cfg.Chord.Bits
	c.mu.RUnlock()
	ring := slices.Clone(stores)
	sort.Slice(ring, func(i, j int) bool { return ring[i].node.Self().ID.Cmp(ring[j].node.Self().ID) < 0 })
	owner := func(id chord.ID) string {
		for _, s := range ring {
			if s.node.Self().ID.Cmp(id) >= 0 {
				return s.name
			}
		}
		if len(ring) > 0 {
			return ring[0].name
		}
		return ""
	}
	shares := make([]FileShare, len(stores))
	for i, s := range stores {
		shares[i] = FileShare{Node: s.name, ID: RingID{ID: s.node.Self().ID, Bits: bits}}
	}
	place := func(key string, n int, bytes int64, count func(*FileShare)) KeyPlace {
		id := chord.HashID(bits, []byte(key))
		p := KeyPlace{Key: key, ID: RingID{ID: id, Bits: bits}, N: n, Bytes: bytes, Owner: owner(id), Holders: []string{}}
		for _, i := range held[key] {
			p.Holders = append(p.Holders, stores[i].name)
			count(&shares[i])
		}
		if len(p.Holders) == 0 {
			out.Missing++
		}
		return p
	}
	out.Inode = place(loc.InodeKey, 0, 0, func(s *FileShare) { s.Inode = true })
	for _, b := range loc.Index {
		out.Index = append(out.Index, place(b.Key, b.N, 0, func(s *FileShare) { s.Index++ }))
	}
	for _, b := range loc.Blocks {
		out.Blocks = append(out.Blocks, place(b.Key, b.N, b.Len, func(s *FileShare) { s.Blocks++; s.Bytes += b.Len }))
	}
	sort.Slice(shares, func(i, j int) bool { return shares[i].ID.ID.Cmp(shares[j].ID.ID) < 0 })
	for _, s := range shares {
		if s.Inode || s.Blocks > 0 || s.Index > 0 {
			out.Nodes = append(out.Nodes, s)
		}
	}
	return out, nil
}

// MarshalJSON writes the data as "text" when it is UTF-8, else as
// "base64".
func (f FileContent) MarshalJSON() ([]byte, error) {
	out := struct {
		Path      string  `json:"path"`
		Size      int64   `json:"size"`
		Text      *string `json:"text,omitempty"`
		Base64    []byte  `json:"base64,omitempty"`
		Truncated bool    `json:"truncated"`
	}{Path: f.Path, Size: f.Size, Truncated: f.Truncated}
	if utf8.Valid(f.Data) {
		s := string(f.Data)
		out.Text = &s
	} else {
		out.Base64 = f.Data
	}
	return json.Marshal(out)
}
