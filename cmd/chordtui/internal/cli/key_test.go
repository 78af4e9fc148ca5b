package cli

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chordtui/chordtui/netmux"
)

func TestCheckListenKey(t *testing.T) {
	key := bytes.Repeat([]byte{1}, netmux.MinKeySize)
	for _, tc := range []struct {
		host  string
		key   []byte
		ok    bool
		shown string // in the error
	}{
		{"127.0.0.1", nil, true, ""},
		{"127.0.0.2:7000", nil, true, ""},
		{"::1", nil, true, ""},
		{"[::1]:7000", nil, true, ""},
		{"localhost", nil, true, ""},
		{"0.0.0.0", nil, false, "listening on 0.0.0.0 lets other machines join"},
		{"0.0.0.0:7000", nil, false, "listening on 0.0.0.0 lets"},
		{"192.168.1.20", nil, false, "listening on 192.168.1.20 lets"},
		{"::", nil, false, "listening on :: lets"},
		{"", nil, false, "listening on every interface lets"},
		{"lecturer.example", nil, false, "listening on lecturer.example lets"},
		{"0.0.0.0", key, true, ""},
		{"192.168.1.20:7000", key, true, ""},
	} {
		err := CheckListenKey(tc.host, tc.key)
		if tc.ok {
			if err != nil {
				t.Errorf("CheckListenKey(%q, %d-byte key): %v", tc.host, len(tc.key), err)
			}
			continue
		}
		if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), tc.shown) ||
			!strings.Contains(err.Error(), "give one with --key-file F or CHORDTUI_KEY (make one with: chordtui keygen F)") {
			t.Errorf("CheckListenKey(%q, no key): %v", tc.host, err)
		}
	}
}

// TestClusterConfigKey: ClusterConfig takes the key of --key-file, else
// of CHORDTUI_KEY, and refuses a cluster host beyond loopback without one.
func TestClusterConfigKey(t *testing.T) {
	fileKey := bytes.Repeat([]byte{1}, netmux.MinKeySize)
	envKey := bytes.Repeat([]byte{2}, netmux.MinKeySize)
	path := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(fileKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want []byte
	}{
		{"none", nil, "", nil},
		{"--key-file", []string{"--key-file", path}, "", fileKey},
		{"CHORDTUI_KEY", nil, hex.EncodeToString(envKey), envKey},
		{"--key-file wins", []string{"--key-file", path}, hex.EncodeToString(envKey), fileKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(KeyEnv, tc.env)
			cmd := New("test", "test [flags] N", "", io.Discard)
			if err := cmd.Flags.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			cfg, closer, err := cmd.ClusterConfig(3)
			if err != nil {
				t.Fatal(err)
			}
			_ = closer.Close()
			if !bytes.Equal(cfg.Key, tc.want) {
				t.Fatalf("key %x, want %x", cfg.Key, tc.want)
			}
			if k, err := cmd.Key(); err != nil || !bytes.Equal(k, tc.want) {
				t.Fatalf("Key() = %x, %v, want %x", k, err, tc.want)
			}
		})
	}

	t.Setenv(KeyEnv, "")
	cmd := New("test", "test [flags] N", "", io.Discard)
	cfg, _, err := cmd.ClusterConfig(3)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host = "0.0.0.0" // as a listen flag would set it
	if _, _, err := cmd.cluster.openLog(cfg); !errors.Is(err, ErrNoKey) {
		t.Fatalf("a cluster on 0.0.0.0 without a key: %v", err)
	}
	cfg.Key = fileKey
	if _, _, err := cmd.cluster.openLog(cfg); err != nil {
		t.Fatalf("a cluster on 0.0.0.0 with a key: %v", err)
	}
}
