package dht

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

var testLim = limits{key: 1024, value: 1 << 20}

func TestCodecRoundTrip(t *testing.T) {
	w := chord.IDFromUint64(160, 0xbeef)
	rec := record{Key: "k", Value: []byte("v"), Ver: Version{Wall: 7, Writer: w}}
	tomb := record{Key: "gone", Deleted: true, Ver: Version{Wall: 9, Writer: w}}
	hint := chord.NodeRef{ID: chord.IDFromUint64(160, 3), Addr: "127.0.0.1:4000"}
	tests := []struct {
		name   string
		in     any
		encode func() []byte
		decode func([]byte) (any, error)
	}{
		{"getReq", getReq{Key: "k", Force: true}, getReq{Key: "k", Force: true}.encode,
			func(b []byte) (any, error) { return decodeGetReq(b, testLim) }},
		{"getResp", getResp{Found: true, Rec: rec}, getResp{Found: true, Rec: rec}.encode,
			func(b []byte) (any, error) { return decodeGetResp(b, testLim) }},
		{"getReq cover", getReq{Key: "k", Hints: true, Cover: []string{"a:1", "b:2"}, Skip: []string{"c:3"}},
			getReq{Key: "k", Hints: true, Cover: []string{"a:1", "b:2"}, Skip: []string{"c:3"}}.encode,
			func(b []byte) (any, error) { return decodeGetReq(b, testLim) }},
		{"getResp replicas", getResp{Found: true, Rec: tomb, Replicas: []chord.NodeRef{hint, hint}},
			getResp{Found: true, Rec: tomb, Replicas: []chord.NodeRef{hint, hint}}.encode,
			func(b []byte) (any, error) { return decodeGetResp(b, testLim) }},
		{"getResp fenced", getResp{Found: true, Rec: rec, Fenced: true}, getResp{Found: true, Rec: rec, Fenced: true}.encode,
			func(b []byte) (any, error) { return decodeGetResp(b, testLim) }},
		{"fenceReq", fenceReq{Key: "k", For: 1500 * time.Millisecond}, fenceReq{Key: "k", For: 1500 * time.Millisecond}.encode,
			func(b []byte) (any, error) { return decodeFenceReq(b, testLim) }},
		{"getResp not owner", getResp{Head: replyHead{Status: statusNotOwner, Msg: "m", Hint: hint}},
			getResp{Head: replyHead{Status: statusNotOwner, Msg: "m", Hint: hint}}.encode,
			func(b []byte) (any, error) { return decodeGetResp(b, testLim) }},
		{"setReq", setReq{Key: "k", Value: []byte{0, 1}}, setReq{Key: "k", Value: []byte{0, 1}}.encode,
			func(b []byte) (any, error) { return decodeSetReq(b, testLim) }},
		{"setResp", setResp{Ver: Version{Wall: 3, Writer: w}, Copies: 3}, setResp{Ver: Version{Wall: 3, Writer: w}, Copies: 3}.encode,
			func(b []byte) (any, error) { return decodeSetResp(b) }},
		{"storeReq", storeReq{Recs: []record{rec, tomb}}, storeReq{Recs: []record{rec, tomb}}.encode,
			func(b []byte) (any, error) { return decodeStoreReq(b, testLim) }},
		{"storeResp", storeResp{Accepted: []bool{true, false}, Current: []Version{{Wall: 1, Writer: w}, {Wall: 2, Writer: w}}},
			storeResp{Accepted: []bool{true, false}, Current: []Version{{Wall: 1, Writer: w}, {Wall: 2, Writer: w}}}.encode,
			func(b []byte) (any, error) { return decodeStoreResp(b) }},
		{"digestReq", digestReq{Entries: []digestEntry{{"a", Version{Wall: 1, Writer: w}}}}, digestReq{Entries: []digestEntry{{"a", Version{Wall: 1, Writer: w}}}}.encode,
			func(b []byte) (any, error) { return decodeDigestReq(b, testLim) }},
		{"digestResp", digestResp{State: []byte{digestNeed, digestSame, digestNewer}}, digestResp{State: []byte{digestNeed, digestSame, digestNewer}}.encode,
			func(b []byte) (any, error) { return decodeDigestResp(b) }},
		{"transferReq", transferReq{From: w, To: hint.ID, After: cursor{set: true, ID: w, Key: "a"}, MaxBytes: 99},
			transferReq{From: w, To: hint.ID, After: cursor{set: true, ID: w, Key: "a"}, MaxBytes: 99}.encode,
			func(b []byte) (any, error) { return decodeTransferReq(b, testLim) }},
		{"transferResp", transferResp{Recs: []record{rec}, More: true}, transferResp{Recs: []record{rec}, More: true}.encode,
			func(b []byte) (any, error) { return decodeTransferResp(b, testLim) }},
		{"succsResp", succsResp{Self: hint, Pred: hint, Succs: []chord.NodeRef{hint, hint}, Ready: true},
			succsResp{Self: hint, Pred: hint, Succs: []chord.NodeRef{hint, hint}, Ready: true}.encode,
			func(b []byte) (any, error) { return decodeSuccsResp(b) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.encode()
			got, err := tt.decode(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, tt.in)
			}
			// Every strict prefix is an error, never a panic.
			for n := 0; n < len(b); n++ {
				if _, err := tt.decode(b[:n]); !errors.Is(err, errMalformed) {
					t.Fatalf("prefix of %d/%d bytes: err = %v, want errMalformed", n, len(b), err)
				}
			}
			if _, err := tt.decode(append(bytes.Clone(b), 0)); !errors.Is(err, errMalformed) {
				t.Errorf("trailing byte: err = %v, want errMalformed", err)
			}
		})
	}
}

func TestCodecEnforcesLimits(t *testing.T) {
	lim := limits{key: 4, value: 8}
	if _, err := decodeSetReq(setReq{Key: "12345", Value: nil}.encode(), lim); !errors.Is(err, errMalformed) {
		t.Errorf("5-byte key with a 4-byte limit: err = %v", err)
	}
	if _, err := decodeSetReq(setReq{Key: "k", Value: make([]byte, 9)}.encode(), lim); !errors.Is(err, errMalformed) {
		t.Errorf("9-byte value with an 8-byte limit: err = %v", err)
	}
	// A list claiming 2^40 entries in a few bytes is refused before allocating.
	var e encoder
	e.uvarint(1 << 40)
	if _, err := decodeStoreReq(e.b, lim); !errors.Is(err, errMalformed) {
		t.Errorf("huge count: err = %v", err)
	}
}

// FuzzDecoders feeds arbitrary bytes to every decoder: errors are fine,
// panics are not. `go test -fuzz FuzzDecoders ./dht` runs it for real.
func FuzzDecoders(f *testing.F) {
	f.Add(storeReq{Recs: []record{{Key: "k", Value: []byte("v"), Ver: Version{Wall: 1}}}}.encode())
	f.Add(getResp{Found: true, Rec: record{Key: "k"}}.encode())
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeGetReq(b, testLim)
		_, _ = decodeGetResp(b, testLim)
		_, _ = decodeSetReq(b, testLim)
		_, _ = decodeSetResp(b)
		_, _ = decodeStoreReq(b, testLim)
		_, _ = decodeStoreResp(b)
		_, _ = decodeDigestReq(b, testLim)
		_, _ = decodeDigestResp(b)
		_, _ = decodeTransferReq(b, testLim)
		_, _ = decodeTransferResp(b, testLim)
		_, _ = decodeSuccsResp(b)
	})
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig invalid: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"zero replicas", func(c *Config) { c.Replicas = 0 }},
		{"zero key size", func(c *Config) { c.MaxKeySize = 0 }},
		{"negative value size", func(c *Config) { c.MaxValueSize = -1 }},
		{"zero repair interval", func(c *Config) { c.RepairInterval = 0 }},
		{"repair interval below a millisecond", func(c *Config) { c.RepairInterval = time.Microsecond }},
		{"zero tombstone TTL", func(c *Config) { c.TombstoneTTL = 0 }},
		{"tombstone TTL below the repair interval", func(c *Config) { c.TombstoneTTL = c.RepairInterval / 2 }},
		{"zero max clock skew", func(c *Config) { c.MaxClockSkew = 0 }},
		{"zero batch", func(c *Config) { c.MaxBatchBytes = 0 }},
		{"negative redirects", func(c *Config) { c.MaxRedirects = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			if err := c.Validate(); err == nil {
				t.Error("Validate accepted it")
			}
		})
	}
}

// A reply's status reads as one cause: a not-ready node is unreachable
// once, not "unreachable: unreachable: …".
func TestUnreachableOnce(t *testing.T) {
	for _, tt := range []struct {
		head replyHead
		want string
	}{
		{replyHead{Status: statusNotReady, Msg: "node has not taken over its keys yet"}, "unreachable: node has not taken over its keys yet"},
		{replyHead{Status: statusUnavailable, Msg: "busy"}, "unreachable: key unavailable: busy"},
	} {
		err := unreachable(headErr(tt.head))
		if err.Error() != tt.want || !errors.Is(err, errUnreachable) {
			t.Errorf("status %d: %q, want %q wrapping errUnreachable", tt.head.Status, err, tt.want)
		}
	}
}
