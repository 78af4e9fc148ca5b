package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/chordtui/chordtui/netmux"
	"github.com/hashicorp/yamux"
)

// floorPayload is the size of every request and reply of the loopback
// ping-pongs: about the size of a chord step request.
const floorPayload = 64

// pingPong is a set of callers making floorPayload-byte request/reply round
// trips on loopback, one kind of connection each: the floor a netmux call
// is measured against (BenchmarkPingPong, chordtui bench).
type pingPong struct {
	// Calls has one function per caller; each makes one round trip. A
	// caller's function must not be called concurrently with itself.
	Calls []func() error
	// Close ends the connections and waits for every goroutine they
	// started (echo servers, accept loops) to exit.
	Close func()
}

// rawTCPPingPong connects callers TCP connections to an echo server on
// 127.0.0.1: the kernel's round trip, nothing on top.
func rawTCPPingPong(callers int) (*pingPong, error) {
	return tcpPingPong(callers,
		func(c net.Conn, _ *sync.WaitGroup) { echoFixed(c) },
		func(c net.Conn, _ *sync.WaitGroup) func() error { return pingPongOn(c) })
}

// rawTCPHandoffPingPong is rawTCPPingPong with the two hand-overs of a
// multiplexer: at each end one goroutine reads the connection and hands
// every message over a channel, to a worker that answers (server) or to
// the caller that waits for it (client). It prices those hand-overs
// alone, next to what a session's receive loop costs.
func rawTCPHandoffPingPong(callers int) (*pingPong, error) {
	serve := func(c net.Conn, wg *sync.WaitGroup) {
		work, done := make(chan []byte), make(chan struct{})
		wg.Add(1)
		go func() { // the worker: exits when the reader closes work
			defer wg.Done()
			for m := range work {
				_, _ = c.Write(m)
				done <- struct{}{}
			}
		}()
		defer close(work)
		defer c.Close()
		buf := make([]byte, floorPayload)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			work <- buf
			<-done
		}
	}
	call := func(c net.Conn, wg *sync.WaitGroup) func() error {
		// One reply at a time is outstanding, so the reader never finds
		// the slot full: the error that ends it, once the calls are over,
		// goes in the slot too.
		replies := make(chan error, 1)
		wg.Add(1)
		go func() { // the client's reader: exits when c is closed
			defer wg.Done()
			in := make([]byte, floorPayload)
			for {
				_, err := io.ReadFull(c, in)
				replies <- err
				if err != nil {
					return
				}
			}
		}()
		out := make([]byte, floorPayload)
		return func() error {
			if _, err := c.Write(out); err != nil {
				return err
			}
			return <-replies
		}
	}
	return tcpPingPong(callers, serve, call)
}

// tcpPingPong connects callers TCP connections to a server on 127.0.0.1
// that runs serve on each connection it accepts (until the client closes
// it), and makes each caller's call with call. Goroutines either starts
// are counted in the WaitGroup it is given and must exit once their
// connection is closed.
func tcpPingPong(callers int, serve func(net.Conn, *sync.WaitGroup), call func(net.Conn, *sync.WaitGroup) func() error) (*pingPong, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // exits when ln is closed
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); serve(c, &wg) }() // exits when the client closes
		}
	}()
	var conns []net.Conn
	closeAll := func() {
		for _, c := range conns {
			_ = c.Close()
		}
		_ = ln.Close()
		wg.Wait()
	}
	pp := &pingPong{Close: closeAll}
	for range callers {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			closeAll()
			return nil, err
		}
		conns = append(conns, c)
		pp.Calls = append(pp.Calls, call(c, &wg))
	}
	return pp, nil
}

// yamuxPingPong opens callers streams of one hashicorp/yamux session (one
// TCP connection, default yamux settings) to an echo server: the
// multiplexer's cost over raw TCP, without netmux's framing or batching.
func yamuxPingPong(callers int) (*pingPong, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ycfg := yamux.DefaultConfig()
	ycfg.LogOutput = io.Discard
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // exits when the client session closes
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		srv, err := yamux.Server(c, ycfg)
		if err != nil {
			_ = c.Close()
			return
		}
		defer srv.Close()
		for {
			st, err := srv.AcceptStream()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); echoFixed(st) }() // exits when the stream closes
		}
	}()
	fail := func(err error) (*pingPong, error) {
		_ = ln.Close()
		wg.Wait()
		return nil, err
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return fail(err)
	}
	cli, err := yamux.Client(c, ycfg)
	if err != nil {
		_ = c.Close()
		return fail(err)
	}
	pp := &pingPong{Close: func() {
		_ = cli.Close()
		_ = ln.Close()
		wg.Wait()
	}}
	for range callers {
		st, err := cli.OpenStream()
		if err != nil {
			_ = cli.Close()
			return fail(err)
		}
		pp.Calls = append(pp.Calls, pingPongOn(st))
	}
	return pp, nil
}

// netmuxPingPong makes callers call an echo handler between two transports
// configured by cfg: framing, pooled streams, deadlines (cfg.CallTimeout),
// the path every chord and dht message takes. The first call, which dials,
// is made here, outside any measurement.
func netmuxPingPong(cfg netmux.Config, callers int) (*pingPong, error) {
	srv, err := netmux.Listen("127.0.0.1:0", cfg)
	if err != nil {
		return nil, err
	}
	srv.Serve(func(_ context.Context, _ string, req []byte) ([]byte, error) { return req, nil })
	cli, err := netmux.Listen("127.0.0.1:0", cfg)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	pp := &pingPong{Close: func() {
		_ = cli.Close()
		_ = srv.Close()
	}}
	addr := srv.Addr()
	for range callers {
		req := make([]byte, floorPayload)
		pp.Calls = append(pp.Calls, func() error {
			reply, err := cli.Call(context.Background(), addr, "echo", req)
			if err == nil && len(reply) != floorPayload {
				err = fmt.Errorf("echo of %d bytes, want %d", len(reply), floorPayload)
			}
			return err
		})
	}
	if len(pp.Calls) > 0 {
		if err := pp.Calls[0](); err != nil {
			pp.Close()
			return nil, err
		}
	}
	return pp, nil
}

// echoFixed copies floorPayload-byte messages back until c ends.
func echoFixed(c io.ReadWriteCloser) {
	defer c.Close()
	buf := make([]byte, floorPayload)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// pingPongOn returns a call that writes one message on c and reads the echo.
func pingPongOn(c io.ReadWriter) func() error {
	out := make([]byte, floorPayload)
	in := make([]byte, floorPayload)
	return func() error {
		if _, err := c.Write(out); err != nil {
			return err
		}
		_, err := io.ReadFull(c, in)
		return err
	}
}
