package netmux_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// Two transports on loopback: one serves an upper-casing method, the other
// calls it. The session the caller dials is also used for calls back.
func Example() {
	server, err := netmux.Listen("127.0.0.1:0", netmux.DefaultConfig())
	if err != nil {
		panic(err)
	}
	defer server.Close()
	server.Serve(func(_ context.Context, method string, req []byte) ([]byte, error) {
		if method != "upper" {
			return nil, fmt.Errorf("unknown method %q", method)
		}
		return []byte(strings.ToUpper(string(req))), nil
	})

	client, err := netmux.Listen("127.0.0.1:0", netmux.DefaultConfig())
	if err != nil {
		panic(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	reply, err := client.Call(ctx, server.Addr(), "upper", []byte("find successor"))
	fmt.Println(string(reply), err)

	_, err = client.Call(ctx, server.Addr(), "lower", nil)
	fmt.Println(err != nil, strings.Contains(err.Error(), `unknown method "lower"`))
	// Output:
	// FIND SUCCESSOR <nil>
	// true true
}

// A fault table shared by the transports of a local cluster: cut one node
// off, then heal.
func ExampleFaults() {
	faults := netmux.NewFaults()
	cfg := netmux.DefaultConfig()
	cfg.Faults = faults
	a, _ := netmux.Listen("127.0.0.1:0", cfg)
	b, _ := netmux.Listen("127.0.0.1:0", cfg)
	defer a.Kill()
	defer b.Kill()
	b.Serve(func(_ context.Context, _ string, req []byte) ([]byte, error) { return req, nil })

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	faults.Partition([]string{b.Addr()})
	_, err := a.Call(ctx, b.Addr(), "ping", nil)
	fmt.Println(errors.Is(err, netmux.ErrUnreachable))
	faults.Heal()
	reply, err := a.Call(ctx, b.Addr(), "ping", []byte("pong"))
	fmt.Println(string(reply), err)
	// Output:
	// true
	// pong <nil>
}

// Transports with a cluster key admit only peers that hold the same key;
// one without it is refused in the handshake, before any call is read.
func ExampleConfig_key() {
	key, err := netmux.ParseKey([]byte("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"))
	if err != nil {
		panic(err)
	}
	withKey := netmux.DefaultConfig()
	withKey.Key = key
	server, _ := netmux.Listen("127.0.0.1:0", withKey)
	member, _ := netmux.Listen("127.0.0.1:0", withKey)
	stranger, _ := netmux.Listen("127.0.0.1:0", netmux.DefaultConfig())
	defer server.Kill()
	defer member.Kill()
	defer stranger.Kill()
	server.Serve(func(_ context.Context, _ string, req []byte) ([]byte, error) { return req, nil })

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	reply, err := member.Call(ctx, server.Addr(), "echo", []byte("hello"))
	fmt.Println(string(reply), err)
	_, err = stranger.Call(ctx, server.Addr(), "echo", []byte("hello"))
	fmt.Println(errors.Is(err, netmux.ErrKeyRequired))
	// Output:
	// hello <nil>
	// true
}
