package cluster

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRESPConfigAndStart(t *testing.T) {
	bad := memConfig(3)
	bad.RESP = RESPConfig{Addr: "127.0.0.1:0", Idle: -time.Second, MaxClients: 0}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "idle timeout must not be negative") || !strings.Contains(err.Error(), "max clients must be at least 1") {
		t.Errorf("Validate = %v", err)
	}
	none := memConfig(3)
	none.RESP = RESPConfig{Idle: -time.Second} // no Addr: no endpoint, nothing to check
	if err := none.Validate(); err != nil {
		t.Errorf("Validate without an endpoint = %v", err)
	}

	// A busy address fails at once, before any node starts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := memConfig(3)
	busy.RESP.Addr = ln.Addr().String()
	began := time.Now()
	if _, err := Start(context.Background(), busy); !errors.Is(err, syscall.EADDRINUSE) || !strings.HasPrefix(err.Error(), "resp: ") {
		t.Errorf("Start on a busy address = %v, want EADDRINUSE", err)
	} else if d := time.Since(began); d > time.Second {
		t.Errorf("the busy address was found after %v", d)
	}

	unknown := memConfig(3)
	unknown.RESP.Addr, unknown.RESP.Via = "127.0.0.1:0", "n9"
	if _, err := Start(context.Background(), unknown); !errors.Is(err, ErrUnknownNode) || !strings.Contains(err.Error(), `--resp-via: unknown node "n9"`) {
		t.Errorf("Start with --resp-via n9 = %v", err)
	}

	c, err := Start(context.Background(), memConfig(3))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.RESP(); ok || c.Snapshot().RESP != nil {
		t.Error("a cluster without RESP.Addr reports an endpoint")
	}
}
