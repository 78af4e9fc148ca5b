package dfs

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config holds the file system's settings.
type Config struct {
	// BlockSize is the size of a data block (the last block of a file is
	// shorter). An index block lists BlockSize/32 hashes.
	BlockSize int
	// MaxFileSize bounds a file's size: writes and truncates past it fail
	// with ErrTooLarge.
	MaxFileSize int64
	// MaxRecordSize is the largest value the DHT takes (dht.Config's
	// MaxValueSize): every block and record must fit, and a directory
	// whose record would not is full (ErrDirFull).
	MaxRecordSize int
	// DirectBlocks is how many block hashes an inode lists itself; a
	// larger file lists them in index blocks.
	DirectBlocks int
	// Parallel bounds the block transfers in flight for one open file.
	Parallel int
	// ReadAhead is how many blocks past a sequential reader's position
	// are fetched ahead of it.
	ReadAhead int
	// Grace is the garbage collector's safety margin (see the package
	// doc): a block is deleted only after two marks at least Grace apart
	// found no inode referencing it, and only if it was stored more than
	// Grace before the first.
	Grace time.Duration
	// Lease is how long a reader uses an inode it read before reading it
	// again; at most Grace.
	Lease time.Duration
	// CommitAfter is how long an open file keeps written blocks without
	// committing them (Maintain commits it); at most Grace/2.
	CommitAfter time.Duration
	// OpTimeout bounds one call to the DHT.
	OpTimeout time.Duration
	// Attempts bounds how often an operation is tried on a version
	// conflict or while the ring is unavailable; RetryPause is the pause
	// before a retry of an unavailable one (times the attempt).
	Attempts   int
	RetryPause time.Duration
	// Clock is the physical clock (nil: time.Now). It must agree with the
	// DHT's clock: the collector compares it with versions' wall times.
	Clock func() time.Time
	// Logger receives the file system's logs; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns 256 KiB blocks, files up to 1 GiB, records up to
// 1 MiB (the DHT's default value limit), 64 direct blocks (16 MiB), 8
// transfers in flight and 8 blocks (2 MiB) read ahead per open file, and a
// grace of one minute (leases of 30 s, commits after 15 s). Blocks of
// 256 KiB move a file at about twice the speed of 64 KiB ones on this
// machine (a lookup and a round of calls per block; docs/dfs.md), for
// four times the bytes fetched by a small random read.
func DefaultConfig() Config {
	return Config{
		BlockSize:     256 << 10,
		MaxFileSize:   1 << 30,
		MaxRecordSize: 1 << 20,
		DirectBlocks:  64,
		Parallel:      8,
		ReadAhead:     8,
		Grace:         time.Minute,
		Lease:         30 * time.Second,
		CommitAfter:   15 * time.Second,
		OpTimeout:     10 * time.Second,
		Attempts:      10,
		RetryPause:    50 * time.Millisecond,
	}
}

// Validate reports every setting that is out of range.
func (c Config) Validate() error {
	var errs []error
	if c.BlockSize < 4096 || c.BlockSize%32 != 0 {
		errs = append(errs, fmt.Errorf("block size must be a multiple of 32 of at least 4096, got %d", c.BlockSize))
	}
	if c.MaxRecordSize < c.BlockSize {
		errs = append(errs, fmt.Errorf("max record size %d must hold a block of %d", c.MaxRecordSize, c.BlockSize))
	}
	if c.MaxFileSize < int64(c.BlockSize) {
		errs = append(errs, fmt.Errorf("max file size must be at least a block, got %d", c.MaxFileSize))
	} else if c.BlockSize >= 4096 {
		blocks := (c.MaxFileSize + int64(c.BlockSize) - 1) / int64(c.BlockSize)
		index := (blocks + int64(c.BlockSize/32) - 1) / int64(c.BlockSize/32)
		if need := 128 + 32*index; need > int64(c.MaxRecordSize) {
			errs = append(errs, fmt.Errorf("max file size %d needs an inode of %d bytes, over the record limit %d", c.MaxFileSize, need, c.MaxRecordSize))
		}
	}
	if c.DirectBlocks < 1 || 128+32*c.DirectBlocks > c.MaxRecordSize {
		errs = append(errs, fmt.Errorf("direct blocks must be at least 1 and fit a record, got %d", c.DirectBlocks))
	}
	if c.Parallel < 1 || c.ReadAhead < 0 {
		errs = append(errs, fmt.Errorf("parallel must be at least 1 and read-ahead not negative, got %d and %d", c.Parallel, c.ReadAhead))
	}
	if c.Grace <= 0 || c.Lease <= 0 || c.Lease > c.Grace || c.CommitAfter <= 0 || c.CommitAfter > c.Grace/2 {
		errs = append(errs, fmt.Errorf("want 0 < lease ≤ grace and 0 < commit-after ≤ grace/2, got grace %v, lease %v, commit-after %v", c.Grace, c.Lease, c.CommitAfter))
	}
	if c.OpTimeout <= 0 || c.Attempts < 1 || c.RetryPause < 0 {
		errs = append(errs, fmt.Errorf("op timeout and attempts must be positive, got %v and %d", c.OpTimeout, c.Attempts))
	}
	return errors.Join(errs...)
}
