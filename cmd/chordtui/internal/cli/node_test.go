package cli

import (
	"net"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

func TestParseNodeID(t *testing.T) {
	tests := []struct {
		bits int
		in   string
		want uint64
		ok   bool
	}{
		{6, "42", 42, true},
		{6, "0x2a", 42, true},
		{6, "0X2A", 42, true},
		{6, "63", 63, true},
		{6, "64", 0, false},   // does not fit
		{6, "0x40", 0, false}, // does not fit
		{6, "-1", 0, false},
		{6, "forty", 0, false},
		{160, "18446744073709551615", 1<<64 - 1, true},
	}
	for _, tt := range tests {
		id, err := parseNodeID(tt.bits, tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("parseNodeID(%d, %q): %v, want ok %v", tt.bits, tt.in, err, tt.ok)
			continue
		}
		if tt.ok && id != chord.IDFromUint64(tt.bits, tt.want) {
			t.Errorf("parseNodeID(%d, %q) = %s, want %d", tt.bits, tt.in, id.Hex(tt.bits), tt.want)
		}
	}
}

func TestAdvertiseHost(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "192.168.1.20", "localhost", "::1"} {
		if adv, err := advertiseHost(host); adv != "" || err != nil {
			t.Errorf("advertiseHost(%q) = %q, %v, want the listen host itself", host, adv, err)
		}
	}
	adv, err := advertiseHost("0.0.0.0")
	if err != nil {
		t.Skipf("this machine has no IPv4 address on a network: %v", err)
	}
	if ip := net.ParseIP(adv); ip == nil || ip.IsLoopback() || ip.IsUnspecified() || ip.To4() == nil {
		t.Fatalf("advertiseHost(0.0.0.0) = %q, want an IPv4 address peers can dial", adv)
	}
}
