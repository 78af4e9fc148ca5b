package dfs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/dfs"
)

// BenchmarkSequential writes and reads a 64 MiB file on 16 nodes over
// netmux (3 replicas) through the file system's API, without FUSE:
//
//	go test ./dht/dfs -run '^$' -bench Sequential -benchtime 3x
func BenchmarkSequential(b *testing.B) {
	cfg := cluster.DefaultConfig()
	cfg.Nodes = 16
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	go func() { // exits when Close closes the event channel
		for range c.Events() {
		}
	}()
	if _, err := c.Wait(context.Background(), 0); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	fs := c.FS()
	const size = 64 << 20
	data := pattern(77, size)
	chunk := 1 << 20
	for _, op := range []string{"write", "read"} {
		b.Run(op, func(b *testing.B) {
			b.SetBytes(size)
			for i := range b.N {
				name := fmt.Sprintf("f%d", i)
				if op == "read" {
					name = "f0" // written by the write benchmark
				}
				a, _, err := fs.Create(ctx, dfs.RootIno, name, 0o644, false)
				if err != nil {
					b.Fatal(err)
				}
				h, err := fs.Open(ctx, a.Ino)
				if err != nil {
					b.Fatal(err)
				}
				if op == "write" {
					for off := 0; off < size; off += chunk {
						if _, err := h.WriteAt(ctx, data[off:off+chunk], int64(off)); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					buf := make([]byte, chunk)
					for off := 0; off < size; off += chunk {
						if _, err := h.ReadAt(ctx, buf, int64(off)); err != nil && !errors.Is(err, io.EOF) {
							b.Fatal(err)
						}
					}
				}
				if err := h.Close(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
