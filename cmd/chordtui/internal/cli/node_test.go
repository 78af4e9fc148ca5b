package cli

import (
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

func TestAdvertisable(t *testing.T) {
	for host, ok := range map[string]bool{
		"127.0.0.1": true, "192.168.1.20": true, "localhost": true, "::1": true,
		"0.0.0.0": false, "::": false,
	} {
		if err := advertisable(host); (err == nil) != ok {
			t.Errorf("advertisable(%q) = %v, want ok %v", host, err, ok)
		}
	}
}
