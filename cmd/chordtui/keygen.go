package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"github.com/chordtui/chordtui/netmux"
)

// runKeygen implements "chordtui keygen FILE": a new cluster key of
// netmux.MinKeySize random bytes, hex-encoded on one line, in a new file
// only its owner may read. It never overwrites a file.
func runKeygen(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 1 && isHelp(args[0]):
		fmt.Fprintf(stdout, "usage: chordtui keygen FILE\n\n"+
			"Writes a new cluster key (%d random bytes, hex) to FILE, readable by its owner only\n"+
			"(mode 0600); it refuses to overwrite a file. Give the same key to every node of a\n"+
			"ring with --key-file FILE, or its text in %s: nodes then admit only peers that\n"+
			"hold it. The key authenticates nodes; it does not encrypt their traffic\n"+
			"(docs/security.md).\n", netmux.MinKeySize, cli.KeyEnv)
		return 0
	case len(args) == 0:
		fmt.Fprintln(stderr, "chordtui keygen: missing FILE (chordtui keygen -h says more)")
		return cli.StatusUsage
	case len(args) > 1:
		fmt.Fprintf(stderr, "chordtui keygen: want one FILE, got %d: %s\n", len(args), strings.Join(args, " "))
		return cli.StatusUsage
	}
	path := args[0]
	if err := writeKey(path); err != nil {
		fmt.Fprintf(stderr, "chordtui keygen: %v\n", err)
		if errors.Is(err, fs.ErrExist) {
			return cli.StatusUsage
		}
		return 1
	}
	fmt.Fprintf(stdout, "wrote a new cluster key to %s: give every node --key-file %s, and keep it secret\n", path, path)
	return 0
}

// writeKey creates path with a new key; a file already there is kept.
func writeKey(path string) error {
	key := make([]byte, netmux.MinKeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: keygen never overwrites a key (remove it first if you mean to replace it): %w", path, err)
	}
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, hex.EncodeToString(key)); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return err
	}
	return nil
}
