package netmux_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/netmux"
)

// key returns a cluster key of netmux.MinKeySize bytes filled with b.
func key(b byte) []byte { return bytes.Repeat([]byte{b}, netmux.MinKeySize) }

// keyed is testConfig with a cluster key and its log in logs.
func keyed(k []byte, logs *logBuffer) netmux.Config {
	cfg := testConfig()
	cfg.HandshakeTimeout = 300 * time.Millisecond
	cfg.Key = k
	if logs != nil {
		cfg.Logger = logs.logger()
	}
	return cfg
}

const refusedLine = "refused a connection for the cluster key"

func TestClusterKeySessions(t *testing.T) {
	node := echoServer(t, keyed(key(1), nil))
	client := echoServer(t, keyed(key(1), nil))
	mustCall(t, client, node.Addr(), "m", "with a key")
	// The session is used both ways: the node calls back over it.
	mustCall(t, node, client.Addr(), "back", "too")
	if st := node.Stats(); st.AuthRefused != 0 || st.Rejected != 0 {
		t.Fatalf("refused %d, rejected %d of honest peers", st.AuthRefused, st.Rejected)
	}
}

// TestClusterKeyRefusals dials a keyed node (or dials from one) with the
// wrong key or none: the dialler gets a clear error, the acceptor counts
// each refusal once, serves nothing, and logs the host once.
func TestClusterKeyRefusals(t *testing.T) {
	cases := []struct {
		name            string
		dialKey, accKey []byte
		want            error
	}{
		{"wrong key", key(2), key(1), netmux.ErrKeyMismatch},
		{"dialler has no key", nil, key(1), netmux.ErrKeyRequired},
		{"acceptor has no key", key(1), nil, netmux.ErrNoPeerKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs logBuffer
			node := echoServer(t, keyed(tc.accKey, &logs))
			client := echoServer(t, keyed(tc.dialKey, nil))
			for range 3 {
				_, err := callCtx(client, node.Addr(), "m", nil, 2*time.Second)
				if !errors.Is(err, tc.want) || !errors.Is(err, netmux.ErrUnreachable) {
					t.Fatalf("call: %v, want %v", err, tc.want)
				}
				if !strings.Contains(err.Error(), tc.want.Error()) {
					t.Fatalf("error %q does not say %q", err, tc.want)
				}
			}
			eventually(t, 2*time.Second, "3 refusals counted", func() bool { return node.Stats().AuthRefused == 3 })
			st := node.Stats()
			if st.Served != 0 || st.Rejected != 0 || st.Sessions != 0 {
				t.Fatalf("served %d, rejected %d, %d sessions after refusals", st.Served, st.Rejected, st.Sessions)
			}
			if n := strings.Count(logs.String(), refusedLine); n != 1 {
				t.Fatalf("logged %d times, want once per host:\n%s", n, logs.String())
			}
		})
	}
}

// proxy forwards connections to target and records what diallers sent.
// With rewriteEnd it also replaces the acceptor end in the target's
// challenge by its own address, as a relay that hides itself would.
type proxy struct {
	ln         net.Listener
	target     string
	rewriteEnd bool
	mu         sync.Mutex
	sent       []*bytes.Buffer
	wg         sync.WaitGroup
}

func newProxy(t *testing.T, target string, rewriteEnd bool) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, rewriteEnd: rewriteEnd}
	p.wg.Add(1)
	go p.loop()
	t.Cleanup(func() { _ = ln.Close(); p.wg.Wait() })
	return p
}

// loop accepts until the listener is closed; each pair of copies ends
// when either side closes.
func (p *proxy) loop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		rec := &bytes.Buffer{}
		p.mu.Lock()
		p.sent = append(p.sent, rec)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			_, _ = io.Copy(io.MultiWriter(s, lockedWriter{&p.mu, rec}), c)
			_ = s.Close()
		}()
		go func() {
			defer p.wg.Done()
			defer c.Close()
			if p.rewriteEnd {
				// "CMUX", version, status, ring, then the end's length and bytes.
				head := make([]byte, 4+2+8+1)
				if _, err := io.ReadFull(s, head); err != nil {
					return
				}
				if _, err := io.ReadFull(s, make([]byte, head[len(head)-1])); err != nil {
					return
				}
				mine := c.LocalAddr().String()
				head[len(head)-1] = byte(len(mine))
				if _, err := c.Write(append(head, mine...)); err != nil {
					return
				}
			}
			_, _ = io.Copy(c, s)
		}()
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestClusterKeyReplay records everything an honest keyed dialler sent on
// one connection (handshake and a call) and replays it on a new raw TCP
// connection: the node refuses it in the handshake and serves nothing.
func TestClusterKeyReplay(t *testing.T) {
	var logs logBuffer
	node := echoServer(t, keyed(key(1), &logs))
	client := echoServer(t, keyed(key(1), nil))
	var mu sync.Mutex
	var sent bytes.Buffer
	netmux.RecordDials(client, &mu, &sent)
	mustCall(t, client, node.Addr(), "secret", "call")
	client.Kill() // the capture is complete
	served := node.Stats().Served
	mu.Lock()
	captured := bytes.Clone(sent.Bytes())
	mu.Unlock()
	if !bytes.Contains(captured, []byte("secret")) {
		t.Fatalf("the capture holds no call: %q", captured)
	}

	conn, err := net.Dial("tcp", node.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = conn.Write(captured)
	if !closedByPeer(conn, 5*time.Second) {
		t.Fatal("the node kept the replayed connection open")
	}
	eventually(t, 2*time.Second, "the replay refused", func() bool { return node.Stats().AuthRefused == 1 })
	if st := node.Stats(); st.Served != served {
		t.Fatalf("served %d calls after the replay, %d before", st.Served, served)
	}
	if !strings.Contains(logs.String(), "cluster key mismatch") {
		t.Fatalf("no logged reason:\n%s", logs.String())
	}
}

// TestClusterKeyRelay: a program without the key that accepts a node's
// connection (on a port the node dials, such as a stopped node's) and
// relays the handshake to another node is not taken there for the
// dialler. Relayed as it is, the dialler sees that the answer comes from
// another end than it reached and sends no proof; with the acceptor end
// rewritten, the dialler's proof is over the relay's end, and the node
// refuses it. Nothing is served either way.
func TestClusterKeyRelay(t *testing.T) {
	for _, tc := range []struct {
		name        string
		rewriteEnd  bool
		want        error
		authRefused uint64
	}{
		{"relayed as it is", false, netmux.ErrNotDialled, 0},
		{"acceptor end rewritten", true, netmux.ErrKeyMismatch, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := echoServer(t, keyed(key(1), nil))
			relay := newProxy(t, node.Addr(), tc.rewriteEnd)
			client := echoServer(t, keyed(key(1), nil))
			_, err := callCtx(client, relay.ln.Addr().String(), "m", nil, 2*time.Second)
			if !errors.Is(err, tc.want) || !errors.Is(err, netmux.ErrUnreachable) {
				t.Fatalf("call through the relay: %v, want %v", err, tc.want)
			}
			eventually(t, 2*time.Second, "the relayed handshake refused", func() bool {
				st := node.Stats()
				return st.AuthRefused+st.Rejected >= 1
			})
			if st := node.Stats(); st.Served != 0 || st.Sessions != 0 || st.AuthRefused != tc.authRefused {
				t.Fatalf("served %d calls, %d sessions, %d refused for the key; want 0, 0, %d", st.Served, st.Sessions, st.AuthRefused, tc.authRefused)
			}
			mustCall(t, client, node.Addr(), "m", "direct") // the honest way still works
		})
	}
}

// TestClusterKeyBadHandshakes plays broken handshakes against a keyed
// node, each case from a peer host of its own: each connection is closed
// (a stalled one at the handshake deadline), counted once, logged once
// per host, and nothing is served. Played again from the same hosts, they
// are counted again and not logged again.
func TestClusterKeyBadHandshakes(t *testing.T) {
	hello := func(mode byte) []byte {
		return append(append([]byte{'C', 'M', 'U', 'X', 3, mode, 14}, "127.0.0.1:4000"...), make([]byte, 8)...)
	}
	cases := []struct {
		name     string
		send     []byte
		auth     bool   // counted in AuthRefused, else in Rejected
		wantLog  string // in the node's log
		wantBack string // the node's answer, if any
	}{
		{"garbage before the handshake", append([]byte("\x00garbage"), hello(1)...), false, "bad handshake magic", ""},
		{"old version", append([]byte{'C', 'M', 'U', 'X', 1, 14}, "127.0.0.1:4000"...), false, "unsupported handshake version", "CMUX\x03\x05"},
		{"no key", hello(0), true, "the peer has no cluster key", "CMUX\x03\x02"},
		{"truncated nonce", append(hello(1), 1, 2, 3), false, "handshake cut short", ""},
		{"no proof after the challenge", append(hello(1), make([]byte, 32)...), false, "no key proof", ""},
		{"a zero proof", append(append(hello(1), make([]byte, 32)...), make([]byte, 32)...), true, "cluster key mismatch", ""},
	}
	var logs logBuffer
	node := echoServer(t, keyed(key(1), &logs))
	for round := range 2 {
		for i, tc := range cases {
			t.Run(fmt.Sprintf("%s, round %d", tc.name, round+1), func(t *testing.T) {
				before := node.Stats()
				logStart := len(logs.String())
				conn := dialFrom(t, 20+i, node.Addr())
				_, _ = conn.Write(tc.send)
				start := time.Now()
				_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				got, _ := io.ReadAll(conn)
				if time.Since(start) >= 5*time.Second {
					t.Fatal("the node kept the connection open")
				}
				if tc.wantBack != "" && string(got) != tc.wantBack {
					t.Fatalf("answer %q, want %q", got, tc.wantBack)
				}
				eventually(t, 2*time.Second, "the refusal counted", func() bool {
					st := node.Stats()
					// At least: a stranger on this shared machine may dial the port too.
					return st.AuthRefused+st.Rejected >= before.AuthRefused+before.Rejected+1
				})
				st := node.Stats()
				if auth := st.AuthRefused == before.AuthRefused+1; auth != tc.auth {
					t.Errorf("counted as a key refusal: %v, want %v", auth, tc.auth)
				}
				if st.Served != 0 {
					t.Fatalf("served %d calls", st.Served)
				}
				if round == 0 {
					eventually(t, 2*time.Second, "a logged reason", func() bool {
						return strings.Contains(logs.String()[logStart:], tc.wantLog)
					})
				} else if strings.Contains(logs.String()[logStart:], tc.wantLog) {
					t.Fatalf("logged again for the same host:\n%s", logs.String()[logStart:])
				}
			})
		}
	}
	if n := strings.Count(logs.String(), "remote=127.0.0.2"); n != len(cases) { // the hosts of dialFrom(t, 20+i)
		t.Fatalf("%d refusals logged, want %d (one per host):\n%s", n, len(cases), logs.String())
	}
}
