package command

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/chordtui/chordtui/dht/cluster"
)

func TestRESPCommand(t *testing.T) {
	noEndpoint := startMem(t, 3)
	res := Exec(context.Background(), noEndpoint, "resp")
	if res.OK || !errors.Is(res.Err, ErrUsage) || !strings.Contains(res.Err.Error(), "start chordtui with --resp ADDR") {
		t.Errorf("resp without an endpoint = %+v", res)
	}

	cfg := cluster.DefaultConfig()
	cfg.Nodes = 4
	cfg.Network = cluster.NewMemNetwork(5)
	cfg.RESP.Addr = "127.0.0.1:0"
	cfg.RESP.Via = "n2"
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, _ := c.RESP()
	conn, err := net.Dial("tcp", st.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "SET k v\r\nNOPE\r\n")
	r := bufio.NewReader(conn)
	for range 2 {
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	res = run(t, c, "resp")
	m := asJSON(t, res)
	for name, want := range map[string]any{"addr": st.Addr, "via": "n2", "serving": "n2", "clients": 1.0, "requests": 2.0, "errors": 1.0, "lookups": 1.0} {
		if m[name] != want {
			t.Errorf("resp --json %s = %v, want %v (%v)", name, m[name], want, m)
		}
	}
	for _, f := range []string{"requests_per_sec", "errors_per_sec", "max_clients", "hops_mean", "rejected", "protocol_errors"} {
		if _, ok := m[f]; !ok {
			t.Errorf("resp --json has no %q", f)
		}
	}
	for _, s := range []string{"RESP endpoint on " + st.Addr, "through n2 (--resp-via)", "1 connected (at most 128)", "2 answered, 1 error replies"} {
		if !strings.Contains(res.Text, s) {
			t.Errorf("resp text lacks %q:\n%s", s, res.Text)
		}
	}
	run(t, c, "kill n2")
	if res := run(t, c, "resp"); !strings.Contains(res.Text, "through n0, the default origin (n2, given with --resp-via, is not alive)") {
		t.Errorf("resp with n2 down:\n%s", res.Text)
	}
	run(t, c, "kill n0")
	if res := run(t, c, "resp"); !strings.Contains(res.Text, "through n1, the first live member (n2, given with --resp-via, and the default origin n0 are not alive)") {
		t.Errorf("resp with n2 and n0 down:\n%s", res.Text)
	}
}
