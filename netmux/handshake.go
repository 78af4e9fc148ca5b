package netmux

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
)

// The handshake runs on the raw TCP connection before yamux starts.
//
//	dialler → acceptor: "CMUX" | version | uint8 n | n bytes: the dialler's listen address
//	acceptor → dialler: "CMUX" | version | status (0 = accepted)
//
// The acceptor files the session under the announced address and uses it
// for its own calls to the dialler.
const (
	handshakeMagic   = "CMUX"
	handshakeVersion = 1
	statusAccepted   = 0
)

// clientHandshake announces self and waits for the acceptor's answer.
func clientHandshake(conn io.ReadWriter, self string) error {
	if len(self) == 0 || len(self) > 255 {
		return fmt.Errorf("own address %q cannot be announced", self)
	}
	msg := make([]byte, 0, len(handshakeMagic)+2+len(self))
	msg = append(msg, handshakeMagic...)
	msg = append(msg, handshakeVersion, byte(len(self)))
	msg = append(msg, self...)
	if _, err := conn.Write(msg); err != nil {
		return err
	}
	var ack [len(handshakeMagic) + 2]byte
	if _, err := io.ReadFull(conn, ack[:]); err != nil {
		return fmt.Errorf("no handshake answer: %w", err)
	}
	if string(ack[:4]) != handshakeMagic || ack[4] != handshakeVersion {
		return errors.New("peer is not a netmux transport")
	}
	if ack[5] != statusAccepted {
		return fmt.Errorf("peer refused the session (status %d)", ack[5])
	}
	return nil
}

// serverHandshake reads and checks the dialler's announcement, answers it,
// and returns the dialler's listen address.
func serverHandshake(conn io.ReadWriter) (string, error) {
	var hdr [len(handshakeMagic) + 2]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return "", fmt.Errorf("no handshake: %w", err)
	}
	if string(hdr[:4]) != handshakeMagic {
		return "", fmt.Errorf("%w: bad handshake magic %q", errProtocol, hdr[:4])
	}
	if hdr[4] != handshakeVersion {
		return "", fmt.Errorf("%w: unsupported handshake version %d", errProtocol, hdr[4])
	}
	addr := make([]byte, hdr[5])
	if _, err := io.ReadFull(conn, addr); err != nil {
		return "", fmt.Errorf("handshake cut short: %w", err)
	}
	if err := checkAnnouncedAddr(string(addr)); err != nil {
		return "", err
	}
	ack := append([]byte(handshakeMagic), handshakeVersion, statusAccepted)
	if _, err := conn.Write(ack); err != nil {
		return "", fmt.Errorf("handshake answer: %w", err)
	}
	return string(addr), nil
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
