package dfs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chordtui/chordtui/dht"
)

// Garbage collection: blocks that no inode references any more (the old
// blocks of an overwritten file, the blocks of a removed one, blocks a
// crashed writer stored and never committed) are deleted by a mark and
// sweep. The mark reads every inode record stored on the ring (not only
// those reachable from the root, so that a rename in progress cannot hide
// one) and collects the blocks they reference. A block that is not
// referenced is deleted only when
//
//  1. two marks found it unreferenced, the second starting at least
//     Config.Grace after the first ended (a reader that read an inode
//     naming the block before the first mark uses it for at most
//     Config.Lease ≤ Grace before it reads the inode again), and
//  2. its version (the time it was last stored) is older than the start
//     of the first mark minus Grace, and unchanged since: the delete is
//     conditional on that version (a writer commits an inode within
//     Grace of storing its blocks, and stores a block again, giving it a
//     new version, when it reuses one that may be old, so a block about
//     to be referenced is always younger than that).
//
// Inode records are deleted by Unlink, Rmdir and Rename themselves; a
// record a crashed operation left with no directory naming it keeps its
// blocks until it is removed by hand (it is not collected).

// StoredKey is one key a node holds, as the collector is told of it.
type StoredKey struct {
	Key     string
	Version dht.Version
	Deleted bool
	Size    int
}

// GCReport says what one Collect round did.
type GCReport struct {
	// Inodes is how many inode records the mark read; Referenced how many
	// distinct blocks they reference (data and index blocks).
	Inodes, Referenced int
	// Stored is how many blocks the ring holds; Unreferenced how many of
	// them no inode references; Young how many of those are too recent to
	// be candidates; Pending how many wait for their second mark.
	Stored, Unreferenced, Young, Pending int
	// Deleted counts the blocks deleted, DeletedBytes their size.
	Deleted      int
	DeletedBytes int64
	Took         time.Duration
}

// gcState is what the collector remembers between rounds.
type gcState struct {
	pending map[string]pendingBlock // block key → its first unreferenced mark
}

type pendingBlock struct {
	ver     dht.Version
	markEnd time.Time
}

// Collect runs one round of garbage collection over the keys the ring's
// nodes hold (every holder's list, in any order; duplicates are merged).
// A mark that cannot read every inode deletes nothing.
func (f *FS) Collect(ctx context.Context, stored []StoredKey) (GCReport, error) {
	f.gcMu.Lock()
	defer f.gcMu.Unlock()
	start := f.now()
	var rep GCReport
	inodes := map[string]StoredKey{}
	blocks := map[string]StoredKey{}
	for _, k := range stored {
		switch {
		case IsInodeKey(k.Key):
			if in, ok := inodes[k.Key]; !ok || k.Version.Newer(in.Version) {
				inodes[k.Key] = k
			}
		case IsBlockKey(k.Key):
			if b, ok := blocks[k.Key]; !ok || k.Version.Newer(b.Version) {
				blocks[k.Key] = k
			}
		}
	}
	for k, b := range blocks {
		if b.Deleted {
			delete(blocks, k)
		}
	}
	rep.Stored = len(blocks)
	refs, n, err := f.mark(ctx, inodes)
	rep.Inodes, rep.Referenced = n, len(refs)
	if err != nil {
		rep.Took = f.now().Sub(start)
		return rep, fmt.Errorf("mark: %w (nothing deleted)", err)
	}
	markEnd := f.now()
	if f.gc.pending == nil {
		f.gc.pending = map[string]pendingBlock{}
	}
	var errs []error
	for key, b := range blocks {
		if refs[key] {
			continue
		}
		rep.Unreferenced++
		if !b.Version.Time().Before(start.Add(-f.cfg.Grace)) {
			rep.Young++
			delete(f.gc.pending, key)
			continue
		}
		p, ok := f.gc.pending[key]
		if !ok || p.ver != b.Version {
			f.gc.pending[key] = pendingBlock{ver: b.Version, markEnd: markEnd}
			rep.Pending++
			continue
		}
		if start.Before(p.markEnd.Add(f.cfg.Grace)) {
			rep.Pending++
			continue
		}
		err := f.retry(ctx, func(ctx context.Context) error { return f.kv.DelIf(ctx, key, b.Version) })
		delete(f.gc.pending, key)
		switch {
		case err == nil:
			rep.Deleted++
			rep.DeletedBytes += int64(b.Size)
		case errors.Is(err, dht.ErrConflict): // stored again meanwhile
		default:
			errs = append(errs, fmt.Errorf("delete %s: %w", key, err))
		}
	}
	for key := range f.gc.pending {
		if b, ok := blocks[key]; !ok || refs[key] || b.Version != f.gc.pending[key].ver {
			delete(f.gc.pending, key)
		}
	}
	rep.Took = f.now().Sub(start)
	if len(errs) > 0 {
		return rep, fmt.Errorf("sweep: %w", errors.Join(errs...))
	}
	return rep, nil
}

// mark reads every inode listed (the newest version: reads are
// linearizable, so an inode written before the mark began is seen as it
// is now) and returns the block keys they reference and the number read.
// An inode listed as stored that reads as absent, with no tombstone
// newer than the copy listed, was not reached (its holders may be paused
// or cut off): that is an error, as the blocks it names would otherwise
// look unreferenced.
func (f *FS) mark(ctx context.Context, inodes map[string]StoredKey) (map[string]bool, int, error) {
	refs := map[string]bool{}
	var mu sync.Mutex
	var errs []error
	read := 0
	sem := make(chan struct{}, f.cfg.Parallel)
	var wg sync.WaitGroup
	for key, listed := range inodes {
		wg.Add(1)
		sem <- struct{}{}
		go func() { // exits when its reads return (bounded by OpTimeout and Attempts)
			defer wg.Done()
			defer func() { <-sem }()
			var raw []byte
			var found bool
			var ver dht.Version
			err := f.retry(ctx, func(ctx context.Context) error {
				var e error
				raw, ver, found, e = f.kv.Get(ctx, key)
				return e
			})
			if err == nil && !found && !listed.Deleted && !ver.Newer(listed.Version) {
				err = fmt.Errorf("%w: stored at version %v, but no holder answered for it", ErrUnavailable, listed.Version)
			}
			var hs []Hash
			if err == nil && found {
				var in *Inode
				if in, err = decodeInode(raw); err == nil && in.Kind == KindFile {
					hs = append(hs, in.Index...)
					var list []Hash
					if list, err = f.loadList(ctx, in); err == nil {
						hs = append(hs, list...)
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", key, err))
				return
			}
			if found {
				read++
			}
			for _, h := range hs {
				if !h.IsZero() {
					refs[BlockKey(h)] = true
				}
			}
		}()
	}
	wg.Wait()
	return refs, read, errors.Join(errs...)
}
