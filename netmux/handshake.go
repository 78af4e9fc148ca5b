package netmux

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
)

// The handshake runs on the raw TCP connection before yamux starts.
//
//	dialler → acceptor: "CMUX" | version | mode | uint8 n | n bytes: the dialler's listen address
//	                    | uint64 ring | [mode 1: 32-byte nonce Nd]
//	acceptor → dialler: "CMUX" | version | status
//	                    [status 0 or 1: uint64 ring]
//	                    [status 1: uint8 m | m bytes: the connection's acceptor end
//	                     | 32-byte nonce Na | 32-byte proof Pa]
//	dialler → acceptor: [mode 1: 32-byte proof Pd]
//	acceptor → dialler: [mode 1: status (0 = accepted)]
//
// Mode 0 is a transport without a key (Config.Key empty): status 0 accepts
// the session at once. Mode 1 is a transport with a cluster key: each side
// proves it holds the key by an HMAC-SHA-256, keyed by it, over its own
// direction label, both nonces, the dialler's announced address and the
// connection's acceptor end, the IP and port the dialler reached, as each
// side sees it (proof). Every connection gets fresh nonces from both
// sides, so a recorded handshake replayed on a new connection carries a
// proof over the old acceptor nonce and is refused. A stranger that
// accepts a node's connection (on the port of a node that stopped) and
// relays the handshake to another node cannot be taken there for the
// dialler: the dialler's proof is over the stranger's end, not that
// node's, and the dialler refuses the relayed answer first
// (ErrNotDialled). The acceptor files the session under the announced
// address and uses it for its own calls to the dialler.
//
// Ring is the identity of the ring each side belongs to (Config.Ring; 0:
// not known yet). Two sides that both know theirs and differ are refused
// (statusOtherRing): on one machine a node's port, freed when it stopped,
// may be taken by a node of another process, and the nodes that knew the
// old one must not merge the two rings through it. A dialler that does not
// know its ring yet (a node about to join) learns it from the first
// acceptor that answers.
const (
	handshakeMagic   = "CMUX"
	handshakeVersion = 3

	modeNoKey = 0
	modeKey   = 1

	statusAccepted    = 0 // the session is open (mode 0), or the dialler's proof is right (mode 1)
	statusChallenge   = 1 // mode 1: the acceptor's nonce and proof follow
	statusKeyRequired = 2 // the acceptor has a key, the dialler none
	statusNoKey       = 3 // the dialler has a key, the acceptor none
	statusKeyMismatch = 4 // the dialler's proof is wrong
	statusBadVersion  = 5 // the acceptor speaks another handshake version
	statusOtherRing   = 6 // the acceptor belongs to another ring

	nonceSize = 32
	proofSize = sha256.Size

	// MinKeySize is the shortest cluster key, in bytes.
	MinKeySize = 32
)

// Sentinel errors of the handshake, tested with errors.Is; a dial that
// fails with one of them also wraps ErrUnreachable.
var (
	// ErrKeyRequired: the peer has a cluster key and this transport none.
	ErrKeyRequired = errors.New("peer requires a cluster key")
	// ErrNoPeerKey: this transport has a cluster key and the peer none.
	ErrNoPeerKey = errors.New("peer has no cluster key")
	// ErrKeyMismatch: both have a cluster key, and they differ.
	ErrKeyMismatch = errors.New("cluster key mismatch")
	// ErrOtherRing: the peer is a node of another ring (Config.Ring).
	ErrOtherRing = errors.New("peer belongs to another ring")
	// ErrNotDialled: a keyed acceptor says the dialler reached another
	// address than the one it connected to: the handshake was relayed to
	// another node (or passes a NAT, which a keyed ring does not allow).
	ErrNotDialled = errors.New("peer is not the node dialled")
)

// errOtherRing marks a handshake the acceptor refused for the ring.
var errOtherRing = errors.New("dialler belongs to another ring")

// ringID is a transport's Config.Ring, learnt from a peer when it was 0.
type ringID struct{ v atomic.Uint64 }

// get returns the ring, 0 when r is nil or the ring is not known yet.
func (r *ringID) get() uint64 {
	if r == nil {
		return 0
	}
	return r.v.Load()
}

// meet checks a peer's ring against r, and adopts it when r is not known
// yet: it reports false when both are known and differ.
func (r *ringID) meet(peer uint64) bool {
	if r == nil || peer == 0 {
		return true
	}
	if r.v.CompareAndSwap(0, peer) {
		return true
	}
	return r.v.Load() == peer
}

// errAuth marks a handshake refused for the key (counted in
// Stats.AuthRefused), as against a protocol violation.
var errAuth = errors.New("authentication failed")

// Direction labels of the proofs: an acceptor's proof is never a
// dialler's, so neither can be reflected back to the other.
const (
	labelDialler  = "chordtui netmux v3 dialler"
	labelAcceptor = "chordtui netmux v3 acceptor"
)

// proof is HMAC-SHA-256 under key of the label, both nonces, the
// dialler's announced address and the connection's acceptor end.
func proof(key []byte, label string, nd, na *[nonceSize]byte, addr, end string) [proofSize]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	m.Write(nd[:])
	m.Write(na[:])
	m.Write([]byte{byte(len(addr))})
	m.Write([]byte(addr))
	m.Write([]byte{byte(len(end))})
	m.Write([]byte(end))
	var out [proofSize]byte
	m.Sum(out[:0])
	return out
}

// acceptorEnd is the connection's acceptor end as this side sees it: the
// local address on the acceptor, the remote one on the dialler (side),
// as host:port with an IPv4 address in its 4-byte form; empty for a
// connection without addresses.
func acceptorEnd(conn any, side func(net.Conn) net.Addr) string {
	c, ok := conn.(net.Conn)
	if !ok {
		return ""
	}
	a := side(c)
	if a == nil {
		return ""
	}
	s := a.String()
	if ap, err := netip.ParseAddrPort(s); err == nil {
		s = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
	}
	return s[:min(len(s), 255)]
}

// clientHandshake announces self and, with a key, proves it and checks
// the acceptor's proof.
func clientHandshake(conn io.ReadWriter, self string, key []byte, ring *ringID) error {
	if len(self) == 0 || len(self) > 255 {
		return fmt.Errorf("own address %q cannot be announced", self)
	}
	mode := byte(modeNoKey)
	if len(key) > 0 {
		mode = modeKey
	}
	msg := make([]byte, 0, len(handshakeMagic)+3+len(self)+8+nonceSize)
	msg = append(msg, handshakeMagic...)
	msg = append(msg, handshakeVersion, mode, byte(len(self)))
	msg = append(msg, self...)
	msg = binary.BigEndian.AppendUint64(msg, ring.get())
	var nd [nonceSize]byte
	if mode == modeKey {
		_, _ = rand.Read(nd[:]) // crypto/rand.Read never fails
		msg = append(msg, nd[:]...)
	}
	if _, err := conn.Write(msg); err != nil {
		return err
	}
	var ack [len(handshakeMagic) + 2]byte
	if _, err := io.ReadFull(conn, ack[:]); err != nil {
		return fmt.Errorf("no handshake answer: %w", err)
	}
	if string(ack[:4]) != handshakeMagic || ack[4] != handshakeVersion {
		return errors.New("peer is not a netmux transport of this version")
	}
	switch st := ack[5]; {
	case st == statusAccepted && mode == modeNoKey:
		return readRing(conn, ring)
	case st == statusChallenge && mode == modeKey:
		if err := readRing(conn, ring); err != nil {
			return err
		}
	case st == statusAccepted:
		return fmt.Errorf("%w: the peer accepted without proving it", ErrKeyMismatch)
	case st == statusKeyRequired:
		return ErrKeyRequired
	case st == statusNoKey:
		return ErrNoPeerKey
	case st == statusBadVersion:
		return errors.New("peer speaks another handshake version")
	case st == statusOtherRing:
		return ErrOtherRing
	default:
		return fmt.Errorf("peer refused the session (status %d)", st)
	}
	var n [1]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return fmt.Errorf("handshake cut short: %w", err)
	}
	var buf [255]byte
	theirs := buf[:n[0]]
	if _, err := io.ReadFull(conn, theirs); err != nil {
		return fmt.Errorf("handshake cut short: %w", err)
	}
	end := acceptorEnd(conn, net.Conn.RemoteAddr)
	if string(theirs) != end {
		// No proof for it: it would admit whoever relays it to the node
		// that sent this answer.
		return fmt.Errorf("%w: it answers as reached at %q, this connection goes to %q", ErrNotDialled, theirs, end)
	}
	var challenge [nonceSize + proofSize]byte
	if _, err := io.ReadFull(conn, challenge[:]); err != nil {
		return fmt.Errorf("handshake cut short: %w", err)
	}
	na := (*[nonceSize]byte)(challenge[:nonceSize])
	// The dialler's proof goes out even when the acceptor's is wrong, so
	// the acceptor learns of the mismatch and counts it; it is of no use
	// elsewhere, being bound to this connection's acceptor end and to the
	// acceptor's fresh nonce.
	pd := proof(key, labelDialler, &nd, na, self, end)
	if _, err := conn.Write(pd[:]); err != nil {
		return err
	}
	pa := proof(key, labelAcceptor, &nd, na, self, end)
	if !hmac.Equal(pa[:], challenge[nonceSize:]) {
		return ErrKeyMismatch
	}
	var final [1]byte
	if _, err := io.ReadFull(conn, final[:]); err != nil {
		return fmt.Errorf("no answer to the key proof: %w", err)
	}
	switch final[0] {
	case statusAccepted:
		return nil
	case statusKeyMismatch:
		return ErrKeyMismatch
	default:
		return fmt.Errorf("peer refused the session (status %d)", final[0])
	}
}

// serverHandshake reads and checks the dialler's announcement and, with a
// key, its proof, answers it, and returns the dialler's listen address. It
// reads only fixed-size fields (the address is at most 255 bytes), and
// never a byte past the handshake. An error for the key wraps errAuth.
func serverHandshake(conn io.ReadWriter, key []byte, ring *ringID) (string, error) {
	var hdr [len(handshakeMagic) + 3]byte
	if _, err := io.ReadFull(conn, hdr[:5]); err != nil {
		return "", fmt.Errorf("no handshake: %w", err)
	}
	if string(hdr[:4]) != handshakeMagic {
		return "", fmt.Errorf("%w: bad handshake magic %q", errProtocol, hdr[:4])
	}
	if hdr[4] != handshakeVersion {
		_ = answer(conn, statusBadVersion)
		return "", fmt.Errorf("%w: unsupported handshake version %d", errProtocol, hdr[4])
	}
	if _, err := io.ReadFull(conn, hdr[5:]); err != nil {
		return "", fmt.Errorf("handshake cut short: %w", err)
	}
	mode := hdr[5]
	if mode != modeNoKey && mode != modeKey {
		return "", fmt.Errorf("%w: unknown handshake mode %d", errProtocol, mode)
	}
	var buf [255]byte
	addrBytes := buf[:hdr[6]]
	if _, err := io.ReadFull(conn, addrBytes); err != nil {
		return "", fmt.Errorf("handshake cut short: %w", err)
	}
	addr := string(addrBytes)
	if err := checkAnnouncedAddr(addr); err != nil {
		return "", err
	}
	var theirs [8]byte
	if _, err := io.ReadFull(conn, theirs[:]); err != nil {
		return "", fmt.Errorf("handshake cut short: %w", err)
	}
	// The acceptor never learns its ring from a dialler: any stranger may dial.
	if mine, peer := ring.get(), binary.BigEndian.Uint64(theirs[:]); mine != 0 && peer != 0 && mine != peer {
		_ = answer(conn, statusOtherRing)
		return "", fmt.Errorf("%w (%s)", errOtherRing, addr)
	}
	mine := binary.BigEndian.AppendUint64(nil, ring.get())
	switch {
	case mode == modeNoKey && len(key) == 0:
		if err := answer(conn, statusAccepted, mine...); err != nil {
			return "", err
		}
		return addr, nil
	case mode == modeNoKey:
		_ = answer(conn, statusKeyRequired)
		return "", fmt.Errorf("%w: the peer has no cluster key", errAuth)
	}
	var nd, na [nonceSize]byte
	if _, err := io.ReadFull(conn, nd[:]); err != nil {
		return "", fmt.Errorf("handshake cut short: %w", err)
	}
	if len(key) == 0 {
		_ = answer(conn, statusNoKey)
		return "", fmt.Errorf("%w: the peer has a cluster key and this node none", errAuth)
	}
	_, _ = rand.Read(na[:]) // crypto/rand.Read never fails
	end := acceptorEnd(conn, net.Conn.LocalAddr)
	pa := proof(key, labelAcceptor, &nd, &na, addr, end)
	msg := append([]byte(handshakeMagic), handshakeVersion, statusChallenge)
	msg = append(append(msg, mine...), byte(len(end)))
	msg = append(append(append(msg, end...), na[:]...), pa[:]...)
	if _, err := conn.Write(msg); err != nil {
		return "", fmt.Errorf("handshake answer: %w", err)
	}
	var pd [proofSize]byte
	if _, err := io.ReadFull(conn, pd[:]); err != nil {
		return "", fmt.Errorf("no key proof: %w", err)
	}
	if want := proof(key, labelDialler, &nd, &na, addr, end); !hmac.Equal(want[:], pd[:]) {
		_, _ = conn.Write([]byte{statusKeyMismatch})
		return "", fmt.Errorf("%w: %w (or a replayed handshake)", errAuth, ErrKeyMismatch)
	}
	if _, err := conn.Write([]byte{statusAccepted}); err != nil {
		return "", fmt.Errorf("handshake answer: %w", err)
	}
	return addr, nil
}

// answer writes the acceptor's header with status, then rest.
func answer(w io.Writer, status byte, rest ...byte) error {
	if _, err := w.Write(append(append([]byte(handshakeMagic), handshakeVersion, status), rest...)); err != nil {
		return fmt.Errorf("handshake answer: %w", err)
	}
	return nil
}

// readRing reads the acceptor's ring and meets it (ringID.meet).
func readRing(conn io.Reader, ring *ringID) error {
	var b [8]byte
	if _, err := io.ReadFull(conn, b[:]); err != nil {
		return fmt.Errorf("handshake cut short: %w", err)
	}
	if !ring.meet(binary.BigEndian.Uint64(b[:])) {
		return ErrOtherRing
	}
	return nil
}

// checkAnnouncedAddr accepts host:port with an IP literal or a DNS name and
// a port in 1..65535.
func checkAnnouncedAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%w: announced address %q: %w", errProtocol, a, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%w: announced address %q has a bad port", errProtocol, a)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if !validHostname(host) {
		return fmt.Errorf("%w: announced address %q has a bad host", errProtocol, a)
	}
	return nil
}

// validHostname reports whether h is a plausible DNS name.
func validHostname(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return true
}
