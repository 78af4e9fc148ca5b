package dfs

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Hash names a block: the SHA-256 of its contents. The zero Hash is a
// hole, a block of zeros that is not stored.
type Hash [sha256.Size]byte

// HashOf returns the name of a block with these contents.
func HashOf(b []byte) Hash { return sha256.Sum256(b) }

// IsZero reports whether h is the hole.
func (h Hash) IsZero() bool { return h == Hash{} }

// String is the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short is the first 12 hex digits, for people.
func (h Hash) Short() string { return h.String()[:12] }

// The DHT keys of the file system's records.
const (
	blockPrefix = "dfs/b/" // + the block's hash in hex
	inodePrefix = "dfs/i/" // + the inode number in 16 hex digits
)

// BlockKey is the DHT key of the block named h.
func BlockKey(h Hash) string { return blockPrefix + h.String() }

// InodeKey is the DHT key of inode ino.
func InodeKey(ino uint64) string { return fmt.Sprintf("%s%016x", inodePrefix, ino) }

// IsBlockKey and IsInodeKey tell the file system's keys apart from the
// other keys of the ring.
func IsBlockKey(key string) bool { return strings.HasPrefix(key, blockPrefix) }

// IsInodeKey reports whether key is an inode record's key.
func IsInodeKey(key string) bool { return strings.HasPrefix(key, inodePrefix) }

// RootIno is the inode number of the root directory.
const RootIno uint64 = 1

// Kind is what an inode is.
type Kind uint8

// The kinds of inode.
const (
	KindFile Kind = 1
	KindDir  Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindDir:
		return "dir"
	}
	return fmt.Sprintf("kind(%d)", k)
}

// MaxNameLen is the longest name of a directory entry, in bytes.
const MaxNameLen = 255

// Inode is the record of a file or directory, stored under InodeKey(Ino)
// and versioned by the DHT. A file lists its blocks: each holds BlockSize
// bytes of the file (the last one fewer), a zero Hash a block of zeros.
// Small files list them in Blocks; larger ones in index blocks (Index),
// each a block of up to BlockSize/32 hashes, so that the record stays
// small whatever the file's size. A directory lists its entries, sorted by
// name.
type Inode struct {
	Ino  uint64
	Kind Kind
	// Mode holds the permission bits (07777).
	Mode uint32
	// Size is the file's length in bytes (0 for a directory).
	Size int64
	// Mtime and Ctime are Unix times in nanoseconds: of the last change
	// to the contents, and to the record.
	Mtime, Ctime int64
	Blocks       []Hash
	Index        []Hash
	Entries      []Dirent
}

// Dirent is one entry of a directory.
type Dirent struct {
	Name string
	Ino  uint64
	Kind Kind
}

// The encoding of an inode record: a magic and format byte, then
// uvarints, 32-byte hashes and length-prefixed names.
var inodeMagic = []byte("dfsI\x01")

// ErrCorrupt wraps every decoding failure of a record or block.
var ErrCorrupt = errors.New("corrupt record")

// encodeInode returns the record's bytes.
func encodeInode(in *Inode) []byte {
	b := make([]byte, 0, 64+32*(len(in.Blocks)+len(in.Index))+24*len(in.Entries))
	b = append(b, inodeMagic...)
	b = binary.AppendUvarint(b, in.Ino)
	b = append(b, byte(in.Kind))
	b = binary.AppendUvarint(b, uint64(in.Mode))
	b = binary.AppendUvarint(b, uint64(in.Size))
	b = binary.AppendVarint(b, in.Mtime)
	b = binary.AppendVarint(b, in.Ctime)
	b = binary.AppendUvarint(b, uint64(len(in.Blocks)))
	for _, h := range in.Blocks {
		b = append(b, h[:]...)
	}
	b = binary.AppendUvarint(b, uint64(len(in.Index)))
	for _, h := range in.Index {
		b = append(b, h[:]...)
	}
	b = binary.AppendUvarint(b, uint64(len(in.Entries)))
	for _, e := range in.Entries {
		b = binary.AppendUvarint(b, uint64(len(e.Name)))
		b = append(b, e.Name...)
		b = binary.AppendUvarint(b, e.Ino)
		b = append(b, byte(e.Kind))
	}
	return b
}

// decoder reads a record, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("short record")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// hashes reads a count and that many hashes; the count is bounded by what
// is left, so a hostile record cannot make a huge allocation.
func (d *decoder) hashes() []Hash {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(d.b)/len(Hash{})) {
		d.fail("%d hashes in %d bytes", n, len(d.b))
		return nil
	}
	out := make([]Hash, n)
	for i := range out {
		copy(out[i][:], d.b)
		d.b = d.b[len(Hash{}):]
	}
	return out
}

// decodeInode parses a record and checks that it is one encodeInode could
// have written for a valid inode: the decoders accept exactly the records
// the file system writes (fuzzed by FuzzDecodeInode).
func decodeInode(b []byte) (*Inode, error) {
	if len(b) < len(inodeMagic) || string(b[:len(inodeMagic)]) != string(inodeMagic) {
		return nil, fmt.Errorf("%w: not an inode record", ErrCorrupt)
	}
	d := decoder{b: b[len(inodeMagic):]}
	in := &Inode{Ino: d.uvarint(), Kind: Kind(d.byte())}
	mode := d.uvarint()
	size := d.uvarint()
	in.Mtime, in.Ctime = d.varint(), d.varint()
	in.Blocks = d.hashes()
	in.Index = d.hashes()
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/3) { // name length, ino, kind: 3 bytes at least
		d.fail("%d entries in %d bytes", n, len(d.b))
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		l := d.uvarint()
		if d.err == nil && l > uint64(len(d.b)) {
			d.fail("name of %d bytes in %d", l, len(d.b))
			break
		}
		name := string(d.b[:l])
		d.b = d.b[l:]
		in.Entries = append(in.Entries, Dirent{Name: name, Ino: d.uvarint(), Kind: Kind(d.byte())})
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	if mode > 07777 {
		return nil, fmt.Errorf("%w: mode %o", ErrCorrupt, mode)
	}
	if size > 1<<62 {
		return nil, fmt.Errorf("%w: size %d", ErrCorrupt, size)
	}
	in.Mode, in.Size = uint32(mode), int64(size)
	if err := in.check(); err != nil {
		return nil, err
	}
	return in, nil
}

// check reports what makes in an inode the file system never writes.
func (in *Inode) check() error {
	if in.Ino == 0 {
		return fmt.Errorf("%w: inode number 0", ErrCorrupt)
	}
	switch in.Kind {
	case KindFile:
		if len(in.Entries) > 0 {
			return fmt.Errorf("%w: a file with directory entries", ErrCorrupt)
		}
		if len(in.Blocks) > 0 && len(in.Index) > 0 {
			return fmt.Errorf("%w: a file with both direct and index blocks", ErrCorrupt)
		}
	case KindDir:
		if in.Size != 0 || len(in.Blocks) > 0 || len(in.Index) > 0 {
			return fmt.Errorf("%w: a directory with data", ErrCorrupt)
		}
		for i, e := range in.Entries {
			if err := CheckName(e.Name); err != nil {
				return fmt.Errorf("%w: entry %d: %w", ErrCorrupt, i, err)
			}
			if e.Ino == 0 || e.Kind != KindFile && e.Kind != KindDir {
				return fmt.Errorf("%w: entry %q: inode %d, kind %d", ErrCorrupt, e.Name, e.Ino, e.Kind)
			}
			if i > 0 && in.Entries[i-1].Name >= e.Name {
				return fmt.Errorf("%w: entries not sorted at %q", ErrCorrupt, e.Name)
			}
		}
	default:
		return fmt.Errorf("%w: kind %d", ErrCorrupt, in.Kind)
	}
	return nil
}

// CheckName reports why name cannot be a directory entry: empty, "." or
// "..", longer than MaxNameLen bytes, or holding a '/' or a NUL byte.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty name", ErrInvalid)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q is not a name", ErrInvalid, name)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: a name of %d bytes (the limit is %d)", ErrNameTooLong, len(name), MaxNameLen)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("%w: %q holds a '/' or a NUL byte", ErrInvalid, name)
	}
	return nil
}

// lookup returns the index of name in a directory's sorted entries, and
// whether it is there.
func (in *Inode) lookup(name string) (int, bool) {
	lo, hi := 0, len(in.Entries)
	for lo < hi {
		m := (lo + hi) / 2
		if in.Entries[m].Name < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(in.Entries) && in.Entries[lo].Name == name
}

// setEntry adds or replaces the entry e.Name.
func (in *Inode) setEntry(e Dirent) {
	i, ok := in.lookup(e.Name)
	if ok {
		in.Entries[i] = e
		return
	}
	in.Entries = append(in.Entries, Dirent{})
	copy(in.Entries[i+1:], in.Entries[i:])
	in.Entries[i] = e
}

// removeEntry removes name and reports whether it was there.
func (in *Inode) removeEntry(name string) bool {
	i, ok := in.lookup(name)
	if ok {
		in.Entries = append(in.Entries[:i], in.Entries[i+1:]...)
	}
	return ok
}

// clone returns a deep copy.
func (in *Inode) clone() *Inode {
	c := *in
	c.Blocks = append([]Hash(nil), in.Blocks...)
	c.Index = append([]Hash(nil), in.Index...)
	c.Entries = append([]Dirent(nil), in.Entries...)
	return &c
}

// encodeIndex packs hashes into one index block.
func encodeIndex(hs []Hash) []byte {
	b := make([]byte, 0, len(hs)*len(Hash{}))
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}

// decodeIndex unpacks an index block.
func decodeIndex(b []byte) ([]Hash, error) {
	if len(b)%len(Hash{}) != 0 {
		return nil, fmt.Errorf("%w: index block of %d bytes", ErrCorrupt, len(b))
	}
	out := make([]Hash, len(b)/len(Hash{}))
	for i := range out {
		copy(out[i][:], b[i*len(Hash{}):])
	}
	return out, nil
}
