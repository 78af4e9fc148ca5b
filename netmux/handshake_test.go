package netmux

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// rw joins a reader of the peer's bytes and a writer that records our answer.
type rw struct {
	io.Reader
	out bytes.Buffer
}

func (r *rw) Write(p []byte) (int, error) { return r.out.Write(p) }

// testKey returns a MinKeySize-byte key filled with b.
func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, MinKeySize) }

// challengeLen is the length of the acceptor's challenge on a connection
// without addresses: header, ring, an empty acceptor end, nonce and proof.
const challengeLen = 6 + 8 + 1 + nonceSize + proofSize

// maxHandshakeIn is the most a dialler's handshake can be: header,
// 255-byte address, nonce and proof.
const maxHandshakeIn = 7 + 255 + nonceSize + proofSize

// FuzzServerHandshake feeds arbitrary bytes to the accepting side of the
// handshake, with and without a key: it must not panic, never read more
// than a handshake can hold, answer a refusal with at most its status,
// accept an address only when it is a valid host:port that encodes back to
// the bytes consumed, and never accept a keyed dialler that cannot know
// its fresh nonce.
//
//	go test ./netmux -run '^$' -fuzz FuzzServerHandshake -fuzztime 100000x
func FuzzServerHandshake(f *testing.F) {
	nonce := string(bytes.Repeat([]byte{7}, nonceSize))
	proof := string(bytes.Repeat([]byte{9}, proofSize))
	ring := "\x00\x00\x00\x00\x00\x00\x00\x2a"
	for _, seed := range []string{
		"CMUX\x03\x00\x0e127.0.0.1:4000" + ring,
		"CMUX\x03\x00\x0elocalhost:4000" + ring,
		"CMUX\x03\x00\x07[::1]:9" + ring,
		"CMUX\x03\x00\x07[::1]:9",
		"CMUX\x03\x01\x0e127.0.0.1:4000" + ring + nonce + proof,
		"CMUX\x03\x01\x0e127.0.0.1:4000" + ring + nonce[:5],
		"CMUX\x03\x07\x00",
		"CMUX\x01\x0e127.0.0.1:4000",
		"GET / HTTP/1.1\r\n",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, keyed bool) {
		var key []byte
		if keyed {
			key = testKey(1)
		}
		r := bytes.NewReader(data)
		conn := &rw{Reader: r}
		addr, err := serverHandshake(conn, key, nil)
		consumed := data[:len(data)-r.Len()]
		if len(consumed) > maxHandshakeIn {
			t.Fatalf("read %d bytes, more than a handshake holds", len(consumed))
		}
		out := conn.out.Bytes()
		if err != nil {
			switch {
			case len(out) == 0:
			case len(out) == 6 && bytes.HasPrefix(out, []byte("CMUX\x03")) && bytes.IndexByte([]byte{statusKeyRequired, statusNoKey, statusBadVersion}, out[5]) >= 0:
			case keyed && len(out) >= challengeLen && bytes.HasPrefix(out, []byte("CMUX\x03\x01")):
				if rest := out[challengeLen:]; len(rest) > 1 || len(rest) == 1 && rest[0] != statusKeyMismatch {
					t.Fatalf("after the challenge, answered %q to a refused proof", rest)
				}
			default:
				t.Fatalf("answered %q to a refused handshake", out)
			}
			return
		}
		if keyed {
			t.Fatalf("accepted %q with a proof over a nonce it could not know", data)
		}
		if err := checkAnnouncedAddr(addr); err != nil {
			t.Fatalf("accepted %q: %v", addr, err)
		}
		if want := append([]byte("CMUX\x03\x00"), append([]byte{byte(len(addr))}, addr...)...); len(consumed) != len(want)+8 || !bytes.HasPrefix(consumed, want) {
			t.Fatalf("consumed %q for address %q and a ring", consumed, addr)
		}
		if string(out) != "CMUX\x03\x00"+"\x00\x00\x00\x00\x00\x00\x00\x00" {
			t.Fatalf("answer %q", out)
		}
	})
}

// recorder records the bytes written to a connection.
type recorder struct {
	net.Conn
	sent bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.sent.Write(p)
	return r.Conn.Write(p)
}

// handshakePair runs both sides of a handshake over a pipe and returns
// the address the acceptor saw, the dialler's bytes and their errors.
func handshakePair(t *testing.T, dialKey, acceptKey []byte) (addr string, sent []byte, clientErr, serverErr error) {
	t.Helper()
	c, s := net.Pipe()
	deadline := time.Now().Add(5 * time.Second)
	_ = c.SetDeadline(deadline)
	_ = s.SetDeadline(deadline)
	rec := &recorder{Conn: c}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer s.Close() // the acceptor closes a refused connection
		addr, serverErr = serverHandshake(s, acceptKey, nil)
	}()
	clientErr = clientHandshake(rec, "127.0.0.1:4000", dialKey, nil)
	_ = c.Close()
	<-done
	return addr, rec.sent.Bytes(), clientErr, serverErr
}

func TestHandshakeKeys(t *testing.T) {
	cases := []struct {
		name              string
		dialKey, accKey   []byte
		wantClient        error // nil: the session is accepted
		wantServerAuthErr bool
	}{
		{"no key on either side", nil, nil, nil, false},
		{"the same key", testKey(1), testKey(1), nil, false},
		{"different keys", testKey(1), testKey(2), ErrKeyMismatch, true},
		{"the dialler has no key", nil, testKey(1), ErrKeyRequired, true},
		{"the acceptor has no key", testKey(1), nil, ErrNoPeerKey, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr, _, cerr, serr := handshakePair(t, tc.dialKey, tc.accKey)
			if tc.wantClient == nil {
				if cerr != nil || serr != nil || addr != "127.0.0.1:4000" {
					t.Fatalf("dialler %v, acceptor %v (address %q)", cerr, serr, addr)
				}
				return
			}
			if !errors.Is(cerr, tc.wantClient) {
				t.Errorf("dialler: %v, want %v", cerr, tc.wantClient)
			}
			if !errors.Is(serr, errAuth) {
				t.Errorf("acceptor: %v, want an authentication error", serr)
			}
		})
	}
}

// TestHandshakeReplay records an honest keyed handshake and replays the
// dialler's bytes to a new acceptor with the same key: the acceptor's
// nonce is fresh, so the old proof is refused.
func TestHandshakeReplay(t *testing.T) {
	key := testKey(1)
	_, sent, cerr, serr := handshakePair(t, key, key)
	if cerr != nil || serr != nil {
		t.Fatalf("honest handshake: dialler %v, acceptor %v", cerr, serr)
	}
	if want := 7 + len("127.0.0.1:4000") + 8 + nonceSize + proofSize; len(sent) != want {
		t.Fatalf("dialler sent %d bytes, want %d", len(sent), want)
	}
	conn := &rw{Reader: bytes.NewReader(sent)}
	_, err := serverHandshake(conn, key, nil)
	if !errors.Is(err, ErrKeyMismatch) || !errors.Is(err, errAuth) {
		t.Fatalf("replayed handshake: %v, want a key mismatch", err)
	}
	if out := conn.out.Bytes(); out[len(out)-1] != statusKeyMismatch {
		t.Fatalf("replay answered with status %d", out[len(out)-1])
	}
}

func TestHandshakeRefusals(t *testing.T) {
	// A refusal or a stranger is reported, not trusted.
	for _, answer := range []string{"CMUX\x03\x05", "CMUX\x01\x00", "CMUX\x03\x09", "HTTP/1", ""} {
		c := &rw{Reader: strings.NewReader(answer)}
		if err := clientHandshake(c, "127.0.0.1:4000", nil, nil); err == nil {
			t.Errorf("answer %q accepted", answer)
		}
	}
	// A keyed dialler does not take a keyless acceptance.
	c := &rw{Reader: strings.NewReader("CMUX\x03\x00")}
	if err := clientHandshake(c, "127.0.0.1:4000", testKey(1), nil); !errors.Is(err, ErrKeyMismatch) {
		t.Error("a keyed dialler accepted a session without a proof")
	}
	// Nor a challenge whose proof is wrong.
	challenge := "CMUX\x03\x01" + strings.Repeat("r", 8) + "\x00" + strings.Repeat("n", nonceSize) + strings.Repeat("p", proofSize) + "\x00"
	c = &rw{Reader: strings.NewReader(challenge)}
	if err := clientHandshake(c, "127.0.0.1:4000", testKey(1), nil); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("a forged acceptor proof: %v, want a key mismatch", err)
	}
	if err := clientHandshake(&rw{Reader: strings.NewReader("")}, strings.Repeat("x", 300), nil, nil); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("a 300-byte own address was announced: %v", err)
	}
	// The old version is refused with a status the dialler can read.
	old := &rw{Reader: strings.NewReader("CMUX\x01\x0e127.0.0.1:4000")}
	if _, err := serverHandshake(old, nil, nil); err == nil || old.out.String() != "CMUX\x03\x05" {
		t.Errorf("version 1: %v, answer %q", err, old.out.Bytes())
	}
}

// BenchmarkHandshake is the cost of one handshake over a pipe, without a
// key and with one (two HMACs and two nonces a side).
func BenchmarkHandshake(b *testing.B) {
	for _, bc := range []struct {
		name string
		key  []byte
	}{{"no key", nil}, {"key", testKey(1)}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				c, s := net.Pipe()
				done := make(chan error, 1)
				go func() { _, err := serverHandshake(s, bc.key, nil); done <- err }()
				if err := clientHandshake(c, "127.0.0.1:4000", bc.key, nil); err != nil {
					b.Fatal(err)
				}
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				_ = c.Close()
				_ = s.Close()
			}
		})
	}
}
