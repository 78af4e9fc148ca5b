package dfs

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func sampleInodes() []*Inode {
	h1, h2 := HashOf([]byte("one")), HashOf([]byte("two"))
	return []*Inode{
		{Ino: RootIno, Kind: KindDir, Mode: 0o755, Mtime: 1, Ctime: 2},
		{Ino: 7, Kind: KindDir, Mode: 0o700, Mtime: -5, Ctime: 9, Entries: []Dirent{
			{Name: "a", Ino: 9, Kind: KindFile}, {Name: "b c", Ino: 10, Kind: KindDir}, {Name: strings.Repeat("z", MaxNameLen), Ino: 11, Kind: KindFile}}},
		{Ino: 1 << 63, Kind: KindFile, Mode: 0o4755, Size: 70000, Blocks: []Hash{h1, {}}},
		{Ino: 3, Kind: KindFile, Mode: 0o644, Size: 1 << 30, Index: []Hash{h2, {}, h1}},
		{Ino: 4, Kind: KindFile},
	}
}

func TestInodeRoundTrip(t *testing.T) {
	for _, in := range sampleInodes() {
		got, err := decodeInode(encodeInode(in))
		if err != nil {
			t.Fatalf("decode %+v: %v", in, err)
		}
		if !reflect.DeepEqual(normal(got), normal(in)) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, in)
		}
	}
}

// normal makes empty lists nil, as the decoder returns them.
func normal(in *Inode) *Inode {
	c := in.clone()
	if len(c.Blocks) == 0 {
		c.Blocks = nil
	}
	if len(c.Index) == 0 {
		c.Index = nil
	}
	if len(c.Entries) == 0 {
		c.Entries = nil
	}
	return c
}

// TestDecodeRejects: records the file system never writes are errors.
func TestDecodeRejects(t *testing.T) {
	bad := []*Inode{
		{Ino: 0, Kind: KindFile},
		{Ino: 5, Kind: 9},
		{Ino: 5, Kind: KindDir, Size: 3},
		{Ino: 5, Kind: KindDir, Entries: []Dirent{{Name: "b", Ino: 1, Kind: KindFile}, {Name: "a", Ino: 2, Kind: KindFile}}},
		{Ino: 5, Kind: KindDir, Entries: []Dirent{{Name: "..", Ino: 1, Kind: KindFile}}},
		{Ino: 5, Kind: KindDir, Entries: []Dirent{{Name: "a/b", Ino: 1, Kind: KindFile}}},
		{Ino: 5, Kind: KindDir, Entries: []Dirent{{Name: "a", Ino: 0, Kind: KindFile}}},
		{Ino: 5, Kind: KindFile, Entries: []Dirent{{Name: "a", Ino: 3, Kind: KindFile}}},
		{Ino: 5, Kind: KindFile, Blocks: []Hash{{}}, Index: []Hash{{}}},
		{Ino: 5, Kind: KindFile, Mode: 0o10000},
	}
	for _, in := range bad {
		if _, err := decodeInode(encodeInode(in)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decode %+v: %v, want ErrCorrupt", in, err)
		}
	}
	good := encodeInode(sampleInodes()[1])
	for _, b := range [][]byte{nil, []byte("dfsI"), good[:len(good)-1], append(append([]byte(nil), good...), 0), []byte("dfsI\x02")} {
		if _, err := decodeInode(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decode %q: %v, want ErrCorrupt", b, err)
		}
	}
	if _, err := decodeIndex(make([]byte, 33)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("index block of 33 bytes: %v", err)
	}
}

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want error
	}{
		{"ok", nil}, {strings.Repeat("é", 127), nil},
		{"", ErrInvalid}, {".", ErrInvalid}, {"..", ErrInvalid}, {"a/b", ErrInvalid}, {"a\x00", ErrInvalid},
		{strings.Repeat("a", 256), ErrNameTooLong},
	} {
		if err := CheckName(tc.name); !errors.Is(err, tc.want) && (err != nil || tc.want != nil) {
			t.Errorf("CheckName(%q) = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// FuzzDecodeInode: any bytes decode to an error or to an inode the file
// system could have written, which encodes and decodes to itself; never a
// panic or a huge allocation.
func FuzzDecodeInode(f *testing.F) {
	for _, in := range sampleInodes() {
		f.Add(encodeInode(in))
	}
	f.Add([]byte("dfsI\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := decodeInode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrNameTooLong) {
				t.Fatalf("error not ErrCorrupt: %v", err)
			}
			return
		}
		again, err := decodeInode(encodeInode(in))
		if err != nil || !reflect.DeepEqual(normal(again), normal(in)) {
			t.Fatalf("re-encoded record differs: %v\n%+v\n%+v", err, in, again)
		}
	})
}

// FuzzDecodeIndex: an index block decodes to its hashes or an error.
func FuzzDecodeIndex(f *testing.F) {
	f.Add(encodeIndex([]Hash{HashOf(nil), {}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		hs, err := decodeIndex(b)
		if err == nil && !bytes.Equal(encodeIndex(hs), b) {
			t.Fatal("index round trip differs")
		}
	})
}
