// Package dfs is a file system on the ring, in the spirit of CFS (Dabek et
// al., SOSP 2001): file data in immutable blocks named by the hash of
// their contents, and small mutable records for inodes and directories,
// all stored as keys of the key-value layer (package dht), so that the
// ring replicates, repairs and hands them over like any key. Package
// fusefs mounts it; package cluster runs it over a local ring and gives
// the command language its put, cat, ls, rm, mkdir, stat and where.
//
// Where to look: record.go (the records and their keys), fs.go (FS,
// directories: lookup, create, mkdir, unlink, rmdir, rename, setattr),
// file.go (open files: read, write, truncate, commit), path.go (the path
// operations of the commands), gc.go (the garbage collector), kv.go (what
// it needs from the store).
//
// # Records
//
// A block is at most Config.BlockSize bytes (256 KiB), stored under
// "dfs/b/" + the hex SHA-256 of its contents: identical blocks are stored
// once, and a block read from any one holder is checked against its name
// (dht.Store.ReadAny), so reads need no quorum and blocks are fetched in
// parallel, Config.ReadAhead ahead of a sequential reader (8 blocks, 2
// MiB). A block of
// zeros is a hole and is not stored. An inode ("dfs/i/" + 16 hex digits)
// holds the kind, mode, size, times and the file's block list, in the
// record up to Config.DirectBlocks blocks and in index blocks (each a
// block of hashes) beyond, so that a record stays small for a file of
// Config.MaxFileSize (1 GiB). A directory is an inode whose record lists
// its entries (name, inode, kind), sorted. The root is inode 1; it is
// created, empty, the first time it is read.
//
// # Updates
//
// Every change to an inode is a conditional write (dht.Store.SetIf) on
// the version read: a concurrent change makes it fail and the change is
// applied again to the newer record, so no update is lost. A file's
// writes become its contents at a commit (every Flush, Sync and Close,
// and Maintain for files written for longer than Config.CommitAfter):
// the new blocks are stored first, then the inode that names them, so a
// reader sees the old block list or the new one, never a mix. Open
// handles of one FS share one state per file, as on a local file system;
// another FS sees a file's commits when it opens it, or when a read finds
// its lease (Config.Lease) expired. Creating writes the new inode before
// the directory entry, removing deletes the entry before the inode, and
// a rename across directories adds the new entry before it removes the
// old one, so a crash in the middle never leaves an entry without its
// inode visible (an entry whose inode is gone is dropped at its next
// lookup). WriteFile (the put command) writes a new inode and only then
// makes the name point at it: a put replaces a file atomically, and a
// failed one leaves nothing.
//
// # Garbage
//
// Blocks nobody references any more are deleted by Collect, under the
// rule explained in gc.go: two marks over every inode a grace apart, and
// a conditional delete of a block stored long enough ago. Readers and
// writers keep their side of the rule with leases and commits.
//
// # Limits
//
// Names are at most 255 bytes (ErrNameTooLong) and may not be empty,
// ".", ".." or hold '/' or NUL (ErrInvalid); a directory's record must
// fit the store's value limit (1 MiB: some thousands of entries,
// ErrDirFull beyond); a file at most Config.MaxFileSize (ErrTooLarge).
// There are no hard links, symbolic links, owners or extended
// attributes.
package dfs
