package resp_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/chordtui/chordtui/dht/cluster"
)

// Example starts a cluster with a RESP endpoint on a free port and speaks
// the protocol to it by hand, as redis-cli would: inline commands, each
// answered in RESP2.
func Example() {
	cfg := cluster.DefaultConfig()
	cfg.Nodes = 4
	cfg.Network = cluster.NewMemNetwork(1)
	cfg.RESP.Addr = "127.0.0.1:0" // the endpoint; Via "" is the default origin
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	st, _ := c.RESP()
	conn, err := net.Dial("tcp", st.Addr)
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "SET greeting \"hello ring\"\r\nGET greeting\r\nINCR visits\r\nGET nothing\r\nFOO bar\r\n")
	r := bufio.NewReader(conn)
	for range 6 {
		line, _ := r.ReadString('\n')
		fmt.Println(strings.TrimRight(line, "\r\n"))
	}
	// Output:
	// +OK
	// $10
	// hello ring
	// :1
	// $-1
	// -ERR unknown command 'FOO', with args beginning with: 'bar'
}
