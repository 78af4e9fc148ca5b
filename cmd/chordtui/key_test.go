package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// runBin runs the binary with stdin and extra environment and returns its
// exit status, stdout and stderr.
func runBin(t *testing.T, bin string, env []string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang fails, not the whole run
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// TestClusterKeyThroughTheBinary: keygen writes a key only its owner can
// read and never overwrites one; a ring started with it (--key-file or
// CHORDTUI_KEY) works, and its nodes refuse a transport without the key or
// with another one; a bad key stops chordtui with status 2 and a reason.
func TestClusterKeyThroughTheBinary(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "cluster.key")

	code, out, errOut := runBin(t, bin, nil, "", "keygen", keyPath)
	if code != 0 || !strings.Contains(out, "wrote a new cluster key to "+keyPath) || errOut != "" {
		t.Fatalf("keygen: status %d, stdout %q, stderr %q", code, out, errOut)
	}
	info, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	text, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(strings.TrimSuffix(string(text), "\n"))
	if err != nil || len(key) != netmux.MinKeySize {
		t.Fatalf("key file holds %q: %v", text, err)
	}
	code, _, errOut = runBin(t, bin, nil, "", "keygen", keyPath)
	if code != 2 || !strings.Contains(errOut, "never overwrites") {
		t.Fatalf("keygen over a key: status %d, stderr %q", code, errOut)
	}
	if again, _ := os.ReadFile(keyPath); !bytes.Equal(again, text) {
		t.Fatal("keygen changed an existing key file")
	}

	t.Run("a ring with the key", func(t *testing.T) {
		p := startREPL(t, bin, "--key-file", keyPath, "4")
		res := p.mustOK("set greeting 'hello, key'", "get greeting", "nodes")
		if res[1]["value"] != "hello, key" {
			t.Fatalf("get = %v", res[1]["value"])
		}
		nodes, _ := res[2]["nodes"].([]any)
		if len(nodes) != 4 {
			t.Fatalf("nodes: %v", res[2])
		}
		addr, _ := nodes[0].(map[string]any)["addr"].(string)
		for _, tc := range []struct {
			name string
			key  []byte
			want error
		}{
			{"no key", nil, netmux.ErrKeyRequired},
			{"another key", bytes.Repeat([]byte{7}, netmux.MinKeySize), netmux.ErrKeyMismatch},
		} {
			cfg := netmux.DefaultConfig()
			cfg.Key = tc.key
			stranger, err := netmux.Listen("127.0.0.1:0", cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err = stranger.Call(ctx, addr, "chord.ping", nil)
			cancel()
			stranger.Kill()
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: a call to %s: %v, want %v", tc.name, addr, err, tc.want)
			}
		}
		// stats counts both refusals, at the node that refused them.
		deadline := time.Now().Add(10 * time.Second)
		for {
			st := p.mustOK("stats")[0]
			if st["auth_refused"] == 2.0 {
				first, _ := st["nodes"].([]any)[0].(map[string]any)
				if first["name"] != "n0" || first["auth_refused"] != 2.0 {
					t.Fatalf("stats of the refusing node: %v", first)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("stats: auth_refused = %v, want 2", st["auth_refused"])
			}
			time.Sleep(20 * time.Millisecond) // polling interval
		}
		p.mustOK("get greeting")
		if code := p.exit(); code != 0 {
			t.Fatalf("exit status %d (stderr: %s)", code, p.errb.String())
		}
		if p.errb.Len() > 0 {
			t.Fatalf("stderr: %s", p.errb.String())
		}
	})

	t.Run("the key in CHORDTUI_KEY", func(t *testing.T) {
		code, out, errOut := runBin(t, bin, []string{"CHORDTUI_KEY=" + string(text)}, "set k v\nget k\n", "repl", "--json", "3")
		if code != 0 || !strings.Contains(out, `"value":"v"`) || errOut != "" {
			t.Fatalf("status %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	short := filepath.Join(dir, "short.key")
	if err := os.WriteFile(short, []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.key") // opening it would wait for a writer
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		env    []string
		args   []string
		stderr string
	}{
		{"a short key file", nil, []string{"repl", "--key-file", short, "3"},
			"chordtui repl: --key-file: key file " + short + ": bad cluster key: 16 bytes once decoded, want at least 32 (make one with: chordtui keygen FILE)"},
		{"a missing key file", nil, []string{"repl", "--key-file", filepath.Join(dir, "none"), "3"}, "no such file"},
		{"a bad CHORDTUI_KEY", []string{"CHORDTUI_KEY=not-a-key-at-all!"}, []string{"repl", "3"},
			"chordtui repl: CHORDTUI_KEY: bad cluster key: not hex or base64 text"},
		{"the UI with a short key file", nil, []string{"--key-file", short, "3"}, "bad cluster key"},
		{"bench with a short key file", nil, []string{"bench", "--key-file", short, "3"}, "bad cluster key"},
		{"a named pipe as the key file", nil, []string{"node", "--key-file", fifo}, "not a regular file (a named pipe)"},
		{"a named pipe as the key file of a ring", nil, []string{"repl", "--key-file", fifo, "1"}, "not a regular file (a named pipe)"},
		// Refused before anything listens there, even to ask the ring joined.
		{"listening beyond loopback without a key, joining", nil, []string{"repl", "--listen", "0.0.0.0", "--join", "127.0.0.1:1", "2"},
			"listening on 0.0.0.0 lets other machines join, so a cluster key is required"},
		{"attaching from beyond loopback without a key", nil, []string{"repl", "--listen", "0.0.0.0", "--attach", "127.0.0.1:1"},
			"listening on 0.0.0.0 lets other machines join, so a cluster key is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runBin(t, bin, tc.env, "", tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("status %d, stderr %q, want 2 and %q", code, errOut, tc.stderr)
			}
		})
	}

	t.Run("listening beyond loopback without a key", func(t *testing.T) {
		if _, help, _ := runBin(t, bin, nil, "", "repl", "-h"); !strings.Contains(help, "-listen") {
			t.Skip("chordtui repl has no --listen flag in this build: CheckListenKey is tested in package cli")
		}
		code, _, errOut := runBin(t, bin, nil, "", "repl", "--listen", "0.0.0.0", "3")
		want := "listening on 0.0.0.0 lets other machines join, so a cluster key is required: give one with --key-file F or CHORDTUI_KEY"
		if code != 2 || !strings.Contains(errOut, want) {
			t.Fatalf("status %d, stderr %q, want 2 and %q", code, errOut, want)
		}
		code, out, errOut := runBin(t, bin, nil, "set k v\nget k\n", "repl", "--json", "--listen", "0.0.0.0", "--key-file", keyPath, "3")
		if code != 0 || !strings.Contains(out, `"value":"v"`) {
			t.Fatalf("with a key: status %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
}
