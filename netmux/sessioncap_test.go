package netmux_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// TestSessionCapBoundsDescriptors has every node call a new peer in each
// round, the way iterative lookups reach ever more nodes. Without a cap
// every pair ever used keeps a session (idle reaping is off here); with
// MaxSessions the descriptors stay near nodes × cap, and no call fails
// because a session was retired under it.
func TestSessionCapBoundsDescriptors(t *testing.T) {
	cases := []struct {
		name    string
		cap     int
		nodes   int
		rounds  int
		evicted bool // whether the cap must have retired sessions
	}{
		{"cap 3", 3, 32, 16, true},
		{"cap 8", 8, 32, 16, true},
		{"cap above the peers used", 64, 16, 6, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tr, err := netmux.Listen("127.0.0.1:0", netmux.DefaultConfig()); err == nil {
				tr.Kill() // the runtime's poller descriptors exist from here on
			}
			before := openFDs(t)
			cfg := testConfig()
			cfg.MaxSessions = tc.cap
			cfg.EvictAfter = 0  // the rounds follow each other within milliseconds
			cfg.IdleTimeout = 0 // only the cap bounds the sessions
			nodes := make([]*netmux.Transport, tc.nodes)
			for i := range nodes {
				nodes[i] = echoServer(t, cfg)
			}
			n := len(nodes)
			// Bound once retired sessions are closed: every node at most
			// cap live sessions plus the soft excess of the round (one dial
			// and one accept that found everything else busy), one
			// descriptor per session end, plus the listeners.
			settled := n*(tc.cap+2) + n
			peak := 0
			for r := 1; r <= tc.rounds; r++ {
				var wg sync.WaitGroup
				errs := make(chan error, n)
				for i, from := range nodes {
					wg.Add(1)
					go func() { // exits after its call
						defer wg.Done()
						to := nodes[(i+r)%n]
						if _, err := callCtx(from, to.Addr(), "round", []byte{byte(r)}, 5*time.Second); err != nil {
							errs <- fmt.Errorf("round %d: node %d → %d: %w", r, i, (i+r)%n, err)
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
				peak = max(peak, openFDs(t)-before)
				eventually(t, 5*time.Second, fmt.Sprintf("at most %d descriptors after round %d", settled, r), func() bool {
					return openFDs(t)-before <= settled
				})
			}
			var sessions, evicted int
			for _, tr := range nodes {
				st := tr.Stats()
				sessions += st.Sessions
				evicted += int(st.Evicted)
			}
			uncapped := 2*n*tc.rounds + n // every pair used keeps its session
			t.Logf("%d nodes, %d rounds, cap %d: peak %d descriptors (bound %d once settled, %d without a cap), %d session ends open, %d evicted",
				n, tc.rounds, tc.cap, peak, settled, uncapped, sessions, evicted)
			if peak > settled+n { // retired sessions not yet closed: at most about one per node
				t.Errorf("peak of %d descriptors, want at most %d", peak, settled+n)
			}
			if tc.evicted && evicted == 0 {
				t.Fatal("no session was evicted: the cap was never in play, the test proved nothing")
			}
			if !tc.evicted && evicted != 0 {
				t.Fatalf("%d sessions evicted below the cap", evicted)
			}
		})
	}
}

// TestEvictionNeverFailsCallInFlight checks that the cap only retires idle
// sessions: a session with a call in flight is kept (the transport goes
// over the cap instead), the call completes, and idle sessions, dialled or
// accepted, are retired once the cap is needed again.
func TestEvictionNeverFailsCallInFlight(t *testing.T) {
	cfg := testConfig()
	cfg.MaxSessions = 1
	cfg.EvictAfter = 0
	cfg.IdleTimeout = 0
	started, release := make(chan struct{}), make(chan struct{})
	a := echoServer(t, cfg)
	b := listen(t, cfg)
	b.Serve(func(ctx context.Context, method string, req []byte) ([]byte, error) {
		if method == "slow" {
			close(started)
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return echo(ctx, method, req)
	})
	c, d := echoServer(t, cfg), echoServer(t, cfg)

	slow := make(chan error, 1)
	go func() { // exits when the slow call returns
		_, err := callCtx(a, b.Addr(), "slow", nil, 5*time.Second)
		slow <- err
	}()
	<-started
	// At the cap with the only session busy: go over the cap, fail nothing.
	mustCall(t, a, c.Addr(), "m", "over the cap")
	if st := a.Stats(); st.Sessions != 2 || st.Evicted != 0 {
		t.Fatalf("with a call in flight: %d sessions, %d evicted; want 2 and 0", st.Sessions, st.Evicted)
	}
	close(release)
	if err := <-slow; err != nil {
		t.Fatalf("call in flight during the over-cap dial: %v", err)
	}

	// Both sessions idle now: a new dial retires both.
	mustCall(t, a, d.Addr(), "m", "evicts two")
	eventually(t, 5*time.Second, "A back at the cap with the idle sessions retired", func() bool {
		st := a.Stats()
		return st.Sessions == 1 && st.Evicted == 2
	})
	eventually(t, 5*time.Second, "B and C to close their ends after the go-away", func() bool {
		return b.Stats().Sessions == 0 && c.Stats().Sessions == 0
	})
	// An accepted session counts too: B dialling A makes A retire A–D.
	mustCall(t, b, a.Addr(), "m", "inbound")
	eventually(t, 5*time.Second, "A to retire its idle session to D", func() bool {
		st := a.Stats()
		return st.Sessions == 1 && st.Evicted == 3 && d.Stats().Sessions == 0
	})
	mustCall(t, a, b.Addr(), "m", "the accepted session carries A's calls")
}

// TestRecentlyUsedSessionsAreKept: a session used within EvictAfter is not
// retired for the cap, so a node that talks to more peers than the cap all
// the time (16 nodes all talking to each other) does not redial on every
// call; once the sessions have been quiet that long, the cap applies.
func TestRecentlyUsedSessionsAreKept(t *testing.T) {
	cfg := testConfig()
	cfg.MaxSessions = 1
	cfg.EvictAfter = 50 * time.Millisecond
	cfg.IdleTimeout = 0
	a := echoServer(t, cfg)
	peers := []*netmux.Transport{echoServer(t, cfg), echoServer(t, cfg), echoServer(t, cfg)}
	start := time.Now()
	for round := range 3 {
		for _, p := range peers {
			mustCall(t, a, p.Addr(), "m", fmt.Sprint(round))
		}
	}
	st := a.Stats()
	if time.Since(start) < cfg.EvictAfter && (st.Evicted != 0 || st.Dials != 3) {
		t.Fatalf("peers called in a tight loop: %d evicted, %d dials; want 0 and 3", st.Evicted, st.Dials)
	}
	// Quiet for longer than EvictAfter: the next new peer retires them.
	eventually(t, 5*time.Second, "the cap to retire sessions quiet for EvictAfter", func() bool {
		mustCall(t, a, echoServer(t, cfg).Addr(), "m", "new peer")
		return a.Stats().Evicted >= 3
	})
}

// TestEvictionUnderConcurrentCalls runs calls in both directions, some of
// them relayed (a handler calling a third node, so sessions are busy
// serving while others are being evicted), between nodes whose cap is far
// below the peers they use. Every call must succeed (run it with -race).
func TestEvictionUnderConcurrentCalls(t *testing.T) {
	cfg := testConfig()
	cfg.MaxSessions = 2
	cfg.EvictAfter = 0
	cfg.IdleTimeout = 0
	nodes := make([]*netmux.Transport, 8)
	for i := range nodes {
		nodes[i] = listen(t, cfg)
	}
	for i, tr := range nodes {
		tr.Serve(func(ctx context.Context, method string, req []byte) ([]byte, error) {
			if method != "relay" {
				return echo(ctx, method, req)
			}
			next := nodes[(i+int(req[0]))%len(nodes)]
			return tr.Call(ctx, next.Addr(), "m", req)
		})
	}
	const callers, calls = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for g := range callers {
		wg.Add(1)
		go func() { // exits after its calls or at its first failure
			defer wg.Done()
			from := nodes[g%len(nodes)]
			for i := range calls {
				to := nodes[(g*5+i*3+1)%len(nodes)]
				method := "m"
				if i%3 == 0 {
					method = "relay"
				}
				if _, err := callCtx(from, to.Addr(), method, []byte{byte(1 + (g+i)%7)}, 5*time.Second); err != nil {
					errs <- fmt.Errorf("caller %d call %d (%s): %w", g, i, method, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var evicted, dials uint64
	for _, tr := range nodes {
		st := tr.Stats()
		evicted += st.Evicted
		dials += st.Dials
	}
	if evicted == 0 {
		t.Fatal("no session was evicted: the test proved nothing")
	}
	t.Logf("%d calls, %d dials, %d sessions evicted", callers*calls, dials, evicted)
}

// TestTimedOutCallClosesDeadSession: with keep-alive pings off (the
// default), a call that times out pings its session; a peer whose
// connection has gone silent (half-open) does not answer, and the session
// is closed so later calls dial afresh. A peer that is only slow (paused
// handlers) answers the ping and keeps its session.
func TestTimedOutCallClosesDeadSession(t *testing.T) {
	cfg := testConfig()
	cfg.KeepAliveInterval = 0
	cfg.KeepAliveTimeout = 200 * time.Millisecond

	t.Run("silent peer", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		conns := make(chan net.Conn, 1)
		go func() { // exits after one connection or when ln closes
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hs := make([]byte, 7) // a handshake without a key (handshake.go)
			if _, err := io.ReadFull(c, hs); err == nil {
				_, _ = io.ReadFull(c, make([]byte, int(hs[6])+8))                            // address and ring
				_, _ = c.Write(append([]byte{'C', 'M', 'U', 'X', 3, 0}, make([]byte, 8)...)) // accepted; then silence
			}
			conns <- c
		}()
		a := echoServer(t, cfg)
		_, err = callCtx(a, ln.Addr().String(), "m", nil, 100*time.Millisecond)
		if !isDeadline(err) {
			t.Fatalf("call to a silent peer: %v, want DeadlineExceeded", err)
		}
		c := <-conns
		defer c.Close()
		eventually(t, 5*time.Second, "the unanswered ping to close the session", func() bool {
			return a.Stats().Sessions == 0
		})
		if !closedByPeer(c, 5*time.Second) {
			t.Fatal("the silent peer's connection was left open")
		}
	})

	t.Run("paused peer", func(t *testing.T) {
		f := netmux.NewFaults()
		pcfg := cfg
		pcfg.Faults = f
		a, b := echoServer(t, pcfg), echoServer(t, pcfg)
		mustCall(t, a, b.Addr(), "m", "warm")
		f.Pause(b.Addr())
		if _, err := callCtx(a, b.Addr(), "m", nil, 100*time.Millisecond); !isDeadline(err) {
			t.Fatalf("call to a paused peer: %v, want DeadlineExceeded", err)
		}
		f.Resume(b.Addr())
		mustCall(t, a, b.Addr(), "m", "resumed")
		// A session closed by the ping would have been dialled again.
		if d := a.Stats().Dials; d != 1 {
			t.Fatalf("%d dials: the session to a live, paused peer was closed", d)
		}
	})
}
