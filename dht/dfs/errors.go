package dfs

import "errors"

// Sentinel errors, wrapped with detail; test them with errors.Is. Each
// stands for one errno of the FUSE mount (package fusefs maps them).
var (
	// ErrNotFound: no such file or directory (ENOENT).
	ErrNotFound = errors.New("no such file or directory")
	// ErrExist: the name is taken (EEXIST).
	ErrExist = errors.New("file exists")
	// ErrNotDir: a path component or the target is not a directory (ENOTDIR).
	ErrNotDir = errors.New("not a directory")
	// ErrIsDir: a file operation on a directory (EISDIR).
	ErrIsDir = errors.New("is a directory")
	// ErrNotEmpty: rmdir or rename over a directory that has entries (ENOTEMPTY).
	ErrNotEmpty = errors.New("directory not empty")
	// ErrInvalid: a bad name or path (empty, "..", a NUL byte) or a bad
	// argument (EINVAL).
	ErrInvalid = errors.New("invalid argument")
	// ErrNameTooLong: a name longer than MaxNameLen bytes (ENAMETOOLONG).
	ErrNameTooLong = errors.New("name too long")
	// ErrTooLarge: a file would grow past Config.MaxFileSize (EFBIG).
	ErrTooLarge = errors.New("file too large")
	// ErrDirFull: a directory's record would exceed the DHT's value limit
	// (ENOSPC).
	ErrDirFull = errors.New("directory full")
	// ErrUnavailable: the ring could not serve a record or block in time
	// (EIO); retry after the ring has repaired itself.
	ErrUnavailable = errors.New("file system unavailable")
	// ErrClosed: the FS was closed (EIO).
	ErrClosed = errors.New("file system closed")
)
