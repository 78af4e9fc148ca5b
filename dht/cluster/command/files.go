package command

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chordtui/chordtui/dht/cluster"
)

// The file commands: put, cat, ls, mkdir, rm, stat and where, over the
// cluster's file system (cluster.PutFile and the others).

func runPut(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	local, path := cmd.Args[0], ringPath(cmd.Args[1])
	if st, err := os.Stat(local); err == nil && st.IsDir() {
		return nil, errorf(ErrUsage, "put: %s is a directory — put copies one file (cp -r on a mount copies a tree)", quote(local))
	}
	f, st, err := OpenRegular(local)
	if err != nil {
		return nil, errorf(ErrUsage, "put: cannot read %s: %v", quote(local), err)
	}
	defer f.Close()
	return c.PutFile(ctx, path, f, uint32(st.Mode().Perm()))
}

// OpenRegular opens a regular file for reading; the error says why not
// (without the name). Anything else is refused before it is opened:
// opening a FIFO blocks until a writer comes, and a device or a FIFO may
// never end.
func OpenRegular(name string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, nil, pathErr(err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("not a regular file (%s)", fileKind(st.Mode()))
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, pathErr(err)
	}
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, errors.New("it changed while it was opened")
	}
	return f, st, nil
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// pathErr drops the path an *fs.PathError repeats.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ringPath is a PATH argument as the file system reads it: from the
// root, with or without the leading "/" ("notes.txt" is "/notes.txt"), so
// that the results name it as ls does.
func ringPath(p string) string {
	if p == "" || strings.HasPrefix(p, "/") {
		return p // an empty path stays one, and is refused as such
	}
	return "/" + p
}

func runCat(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	return c.CatFile(ctx, ringPath(cmd.Args[0]))
}

func runLs(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	path := "/"
	if len(cmd.Args) == 1 {
		path = ringPath(cmd.Args[0])
	}
	return c.ListFiles(ctx, path)
}

func init() {
	runners["put"] = runPut
	runners["cat"] = runCat
	runners["ls"] = runLs
	runners["mkdir"] = func(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
		return c.MakeDir(ctx, ringPath(cmd.Args[0]))
	}
	runners["rm"] = func(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
		return c.RemoveFile(ctx, ringPath(cmd.Args[0]))
	}
	runners["stat"] = func(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
		return c.StatFile(ctx, ringPath(cmd.Args[0]))
	}
	runners["where"] = func(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
		return c.WhereFile(ctx, ringPath(cmd.Args[0]))
	}
}

// fileText is the text of the file commands' results (see text).
func fileText(cmd string, data any) (string, bool) {
	switch d := data.(type) {
	case cluster.FileOpResult:
		switch cmd {
		case "put":
			out := fmt.Sprintf("stored %s: %s, mode %s, inode %s, version %s", d.Path, Plural(int(d.Size), "byte"), d.Mode, shortIno(d.Ino), d.Version)
			if d.Replaced {
				out += " (replaced the file that was there)"
			}
			return out, true
		case "mkdir":
			return fmt.Sprintf("created directory %s (inode %s)", d.Path, shortIno(d.Ino)), true
		case "rm":
			if d.NoRecord {
				return "removed the name " + d.Path + ": its record is on no live node (lost, or its holders are down), so what it named, if it comes back, has no name", true
			}
			if d.Kind == "dir" {
				return "removed directory " + d.Path, true
			}
			return fmt.Sprintf("removed %s (%s; its blocks are collected once no reader can need them)", d.Path, Plural(int(d.Size), "byte")), true
		}
		return statText(d.FileInfo), true
	case cluster.FileList:
		return lsText(d), true
	case cluster.FileContent:
		return catText(d), true
	case cluster.FileWhere:
		return whereText(d), true
	}
	return "", false
}

func shortIno(ino string) string {
	return strings.TrimLeft(ino, "0")
}

func statText(f cluster.FileInfo) string {
	size := Plural(int(f.Size), "byte")
	if f.Kind == "dir" {
		size = plural2(int(f.Size), "entry", "entries")
	}
	return fmt.Sprintf("%s: %s, %s, mode %s, modified %s, inode %s, version %s",
		f.Path, f.Kind, size, f.Mode, f.Mtime.Format("2006-01-02 15:04:05.000000 UTC"), shortIno(f.Ino), f.Version)
}

// modeString is the mode as ls -l shows it.
func modeString(f cluster.FileInfo) string {
	var perm uint32
	_, _ = fmt.Sscanf(f.Mode, "%o", &perm)
	m := fs.FileMode(perm & 0o777)
	if f.Kind == "dir" {
		m |= fs.ModeDir
	}
	return m.String()
}

func lsText(d cluster.FileList) string {
	if len(d.Entries) == 0 {
		return d.Path + ": empty"
	}
	width := 1
	for _, e := range d.Entries {
		width = max(width, len(fmt.Sprint(e.Size)))
	}
	var b strings.Builder
	if len(d.Entries) != 1 || d.Entries[0].Kind == "dir" || !strings.HasSuffix(strings.TrimSuffix(d.Path, "/"), "/"+d.Entries[0].Path) {
		fmt.Fprintf(&b, "%s: %s\n", d.Path, plural2(len(d.Entries), "entry", "entries"))
	}
	for i, e := range d.Entries {
		name := e.Path
		if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
			name = strconv.Quote(name) // a newline in a name would read as two entries
		}
		if e.Kind == "dir" {
			name += "/"
		}
		fmt.Fprintf(&b, "%s  %*d  %s  %s", modeString(e), width, e.Size, e.Mtime.Format("2006-01-02 15:04"), name)
		if i < len(d.Entries)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func catText(d cluster.FileContent) string {
	var out string
	if !utf8.Valid(d.Data) {
		out = fmt.Sprintf("(%s is binary, %s — read it through a mount)", d.Path, Plural(int(d.Size), "byte"))
	} else {
		out = strings.TrimSuffix(string(d.Data), "\n")
		if d.Truncated {
			out += fmt.Sprintf("\n… (%s is %s; cat shows the first %s — read the rest through a mount)", d.Path, Plural(int(d.Size), "byte"), Plural(len(d.Data), "byte"))
		}
	}
	if d.Uncommitted {
		out += fmt.Sprintf("\n(the committed version, %s: %s is open here, and its newer writes are not stored yet)", Plural(int(d.Size), "byte"), d.Path)
	}
	return strings.TrimPrefix(out, "\n")
}

// whereBlocks is how many blocks the text of where lists one by one.
const whereBlocks = 12

func whereText(d cluster.FileWhere) string {
	var b strings.Builder
	holders := func(p cluster.KeyPlace) string {
		if len(p.Holders) == 0 {
			return "no live node (lost, or not repaired yet)"
		}
		return strings.Join(p.Holders, " ") + " (owner " + p.Owner + ")"
	}
	if d.Kind == "dir" {
		fmt.Fprintf(&b, "%s: directory of %s; its record (inode %s) is on %s", d.Path, plural2(int(d.Size), "entry", "entries"), shortIno(d.Ino), holders(d.Inode))
		return b.String()
	}
	fmt.Fprintf(&b, "%s: %s in %s", d.Path, Plural(int(d.Size), "byte"), Plural(len(d.Blocks), "stored block"))
	if len(d.Index) > 0 {
		fmt.Fprintf(&b, " listed by %s", Plural(len(d.Index), "index block"))
	}
	if d.Uncommitted {
		b.WriteString(" (the committed version: it is open here, and its newer writes are not stored yet)")
	}
	fmt.Fprintf(&b, "\n  inode %s  id %s  on %s", shortIno(d.Ino), d.Inode.ID.Short(), holders(d.Inode))
	for _, p := range d.Index {
		fmt.Fprintf(&b, "\n  index %d  id %s  on %s", p.N, p.ID.Short(), holders(p))
	}
	for i, p := range d.Blocks {
		if i == whereBlocks {
			fmt.Fprintf(&b, "\n  … and %s more (--json lists every one)", Plural(len(d.Blocks)-whereBlocks, "block"))
			break
		}
		fmt.Fprintf(&b, "\n  block %d  id %s  %s  on %s", p.N, p.ID.Short(), Plural(int(p.Bytes), "byte"), holders(p))
	}
	b.WriteString("\nper node, in ring order:")
	for _, n := range d.Nodes {
		var parts []string
		if n.Inode {
			parts = append(parts, "the inode")
		}
		if n.Index > 0 {
			parts = append(parts, Plural(n.Index, "index block"))
		}
		if n.Blocks > 0 {
			parts = append(parts, fmt.Sprintf("%s (%s)", Plural(n.Blocks, "block"), Plural(int(n.Bytes), "byte")))
		}
		fmt.Fprintf(&b, "\n  %-5s %s", n.Node, strings.Join(parts, ", "))
	}
	if d.Missing > 0 {
		fmt.Fprintf(&b, "\n%s on no live node", Plural(d.Missing, "key"))
	}
	return b.String()
}

// plural2 is Plural for a word whose plural is not word+"s".
func plural2(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
