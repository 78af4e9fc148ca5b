package netmux

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// yamux's "[ERR]" lines are warnings, except those that say the
// connection was closed here or by the peer (its program exited): those,
// like the rest, are debug lines.
func TestYamuxLogLevels(t *testing.T) {
	for _, tt := range []struct {
		line string
		warn bool
	}{
		{"[ERR] yamux: Failed to read header: invalid protocol version", true},
		{"[ERR] yamux: Failed to write frames: write tcp 127.0.0.1:1->127.0.0.1:2: write: broken pipe", false},
		{"[ERR] yamux: Failed to write frames: write tcp 127.0.0.1:1->127.0.0.1:2: write: connection reset by peer", false},
		{"[ERR] yamux: Failed to write frames: write tcp 127.0.0.1:1->127.0.0.1:2: use of closed network connection", false},
		{"[WARN] yamux: frame for missing stream", false},
	} {
		var buf bytes.Buffer
		l := yamuxLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
		l.Printf("%s", tt.line)
		if got := strings.Contains(buf.String(), "level=WARN"); got != tt.warn {
			t.Errorf("%q logged as %s, want warning %v", tt.line, strings.TrimSpace(buf.String()), tt.warn)
		}
	}
}
