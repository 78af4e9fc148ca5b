package netmux_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

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

// TestReadKey reads a key file's text; what cannot be a key's text (more
// than 4 KiB, spaces included) is refused without reading it all.
func TestReadKey(t *testing.T) {
	if k, err := netmux.ReadKey(strings.NewReader(hex.EncodeToString(key(3)) + "\n")); err != nil || string(k) != string(key(3)) {
		t.Fatalf("ReadKey = %x, %v", k, err)
	}
	if _, err := netmux.ReadKey(strings.NewReader("abcd")); !errors.Is(err, netmux.ErrBadKey) {
		t.Fatalf("a short key: %v", err)
	}
	long := io.MultiReader(strings.NewReader(strings.Repeat(" ", 1<<20)), strings.NewReader(hex.EncodeToString(key(3))))
	if _, err := netmux.ReadKey(long); !errors.Is(err, netmux.ErrBadKey) || !strings.Contains(err.Error(), "more than 4096 bytes, a key is one line") {
		t.Fatalf("a key after 1 MiB of spaces: %v", err)
	}
}
