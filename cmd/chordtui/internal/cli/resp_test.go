package cli

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestRESPFlags(t *testing.T) {
	tests := []struct {
		args       []string
		addr, via  string
		idle       time.Duration
		maxClients int
		err        string
	}{
		{nil, "", "", 5 * time.Minute, 128, ""},
		{[]string{"--resp", ":6380"}, "127.0.0.1:6380", "", 5 * time.Minute, 128, ""},
		{[]string{"--resp", "127.0.0.1:0", "--resp-via", "n3", "--resp-idle", "30s", "--resp-max-clients", "4"}, "127.0.0.1:0", "n3", 30 * time.Second, 4, ""},
		{[]string{"--resp", "0.0.0.0:6380"}, "0.0.0.0:6380", "", 5 * time.Minute, 128, ""},
		{[]string{"--resp", "6380"}, "", "", 0, 0, `--resp "6380": want host:port or :port`},
		{[]string{"--resp-via", "n3"}, "", "", 0, 0, "--resp-via needs --resp ADDR"},
		{[]string{"--resp", ":1", "--resp-max-clients", "0"}, "", "", 0, 0, "--resp-max-clients 0: must be at least 1"},
		{[]string{"--resp", ":1", "--resp-idle", "-1s"}, "", "", 0, 0, "--resp-idle -1s: must not be negative"},
		{[]string{"--resp", ":65536"}, "", "", 0, 0, `--resp ":65536": the port must be a number from 0 to 65535`},
		{[]string{"--resp", "localhost:redis"}, "", "", 0, 0, `--resp "localhost:redis": the port must be a number`},
	}
	for _, tt := range tests {
		cmd := New("test", "test [flags] N", "", io.Discard)
		cmd.AddRESPFlags()
		if err := cmd.Flags.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		cfg, logFile, err := cmd.ClusterConfig(4)
		_ = logFile.Close()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		rc := cfg.RESP
		if err != nil || rc.Addr != tt.addr || rc.Via != tt.via || rc.Idle != tt.idle || rc.MaxClients != tt.maxClients {
			t.Errorf("%q: %+v, %v; want %s via %q idle %v max %d", tt.args, rc, err, tt.addr, tt.via, tt.idle, tt.maxClients)
		}
	}
}
