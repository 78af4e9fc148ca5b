package netmux_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

func TestParseKey(t *testing.T) {
	raw := key(0xab)
	cases := []struct {
		name, text string
		ok         bool
		wantErr    string
	}{
		{"hex", hex.EncodeToString(raw), true, ""},
		{"hex with a newline and spaces", "  " + hex.EncodeToString(raw) + "\n", true, ""},
		{"upper-case hex", strings.ToUpper(hex.EncodeToString(raw)), true, ""},
		{"base64", base64.StdEncoding.EncodeToString(raw) + "\n", true, ""},
		{"base64 without padding", base64.RawStdEncoding.EncodeToString(raw), true, ""},
		{"empty", " \n\t", false, "empty"},
		{"too short", hex.EncodeToString(raw[:16]), false, "16 bytes once decoded, want at least 32"},
		{"not hex or base64", "correct-horse-battery-staple!correct-horse-battery-staple", false, "not hex or base64"},
		{"a document", strings.Repeat("ab", 5000), false, "one line"},
		// Damaged hex is refused, not read as base64 text of another key.
		{"hex a digit short", hex.EncodeToString(raw)[:63], false, "odd length"},
		{"hex over two lines", hex.EncodeToString(raw)[:32] + "\n" + hex.EncodeToString(raw)[32:], false, "a key is one line"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := netmux.ParseKey([]byte(tc.text))
			if tc.ok {
				if err != nil || string(got) != string(raw) {
					t.Fatalf("ParseKey = %x, %v", got, err)
				}
				return
			}
			if !errors.Is(err, netmux.ErrBadKey) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseKey: %v, want %q", err, tc.wantErr)
			}
			if strings.TrimSpace(tc.text) != "" && strings.Contains(err.Error(), strings.TrimSpace(tc.text)[:8]) {
				t.Fatalf("the error quotes the secret: %v", err)
			}
		})
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "k")
	if err := os.WriteFile(good, []byte(hex.EncodeToString(key(3))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := netmux.LoadKey(good); err != nil || string(k) != string(key(3)) {
		t.Fatalf("LoadKey = %x, %v", k, err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("abcd"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := netmux.LoadKey(short); !errors.Is(err, netmux.ErrBadKey) || !strings.Contains(err.Error(), short) {
		t.Fatalf("a short key file: %v", err)
	}
	if _, err := netmux.LoadKey(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a missing key file: %v", err)
	}
	// A named pipe is refused before it is opened (opening one waits for
	// a writer), as are a directory and a file too long to be a key.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(dir, "long")
	if err := os.WriteFile(long, []byte(strings.Repeat(" ", 1<<20)+hex.EncodeToString(key(3))), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "not a regular file (a named pipe)"},
		{dir, "not a regular file (a directory)"},
		{long, "1048640 bytes, a key is one line of at most 4096"},
	} {
		done := make(chan error, 1)
		go func() { _, err := netmux.LoadKey(tc.path); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, netmux.ErrBadKey) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadKey(%s): %v, want %q", filepath.Base(tc.path), err, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("LoadKey(%s) still blocks after 5 s", filepath.Base(tc.path))
		}
	}
}
