package netmux

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// FuzzDecodeFrame feeds arbitrary bytes to the frame decoder (the code that
// reads every byte a peer sends on a stream). It must never panic, never
// return a body longer than the limit, and whatever it accepts must encode
// back to exactly the bytes it consumed.
//
//	go test ./netmux -run '^$' -fuzz FuzzDecodeFrame -fuzztime 10s
func FuzzDecodeFrame(f *testing.F) {
	f.Add(appendRequest(nil, "chord.findSuccessor", 500000, []byte("payload")))
	f.Add(appendRequest(nil, "m", 0, nil))
	f.Add(appendFrame(nil, kindReply, []byte("reply")))
	f.Add(appendFrame(nil, kindError, []byte("key not found")))
	f.Add(appendFrame(nil, kindGoAway, nil))
	f.Add([]byte{0, 0, 0, 8, kindRequest, 200, 'a', 'b', 0, 0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, kindReply})
	f.Add([]byte{0, 0, 0, 3, 77, 1, 2, 3})
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	const max = 1 << 12
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		var hb [frameHeaderSize]byte
		kind, body, err := decodeFrame(r, &hb, max, nil)
		if err != nil {
			if !errors.Is(err, errProtocol) && !errors.Is(err, ErrFrameTooLarge) && err != io.EOF {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if len(body) > max {
			t.Fatalf("body of %d bytes exceeds the %d-byte limit", len(body), max)
		}
		consumed := data[:len(data)-r.Len()]
		if again := appendFrame(nil, kind, body); !bytes.Equal(again, consumed) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, consumed)
		}
		if kind == kindRequest {
			method, tmo, payload, err := parseRequest(body)
			if err != nil {
				t.Fatalf("decodeFrame accepted a request parseRequest refuses: %v", err)
			}
			if again := appendRequest(nil, method, tmo, payload); !bytes.Equal(again, consumed) {
				t.Fatalf("request re-encoding differs:\n got %x\nwant %x", again, consumed)
			}
		}
	})
}

func TestDecodeFrameCases(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		wantErr error
		kind    byte
	}{
		{"request", appendRequest(nil, "dht.get", 1000, []byte("k")), nil, kindRequest},
		{"reply", appendFrame(nil, kindReply, []byte("v")), nil, kindReply},
		{"empty stream", nil, io.EOF, 0},
		{"cut header", []byte{0, 0}, errProtocol, 0},
		{"cut body", []byte{0, 0, 0, 9, kindReply, 'x'}, errProtocol, 0},
		{"too large", []byte{0, 1, 0, 0, kindReply}, ErrFrameTooLarge, 0},
		{"unknown kind", []byte{0, 0, 0, 0, 9}, errProtocol, 0},
		{"empty method", []byte{0, 0, 0, 6, kindRequest, 0, 0, 0, 0, 0, 'x'}, errProtocol, 0},
		{"method with a control byte", appendRequest(nil, "a\nb", 0, nil), errProtocol, 0},
		{"go-away with a body", []byte{0, 0, 0, 1, kindGoAway, 1}, errProtocol, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hb [frameHeaderSize]byte
			kind, _, err := decodeFrame(bytes.NewReader(tc.in), &hb, 1<<12, nil)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if kind != tc.kind {
				t.Fatalf("kind = %d, want %d", kind, tc.kind)
			}
		})
	}
}

func TestHistogramPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	samples := make([]time.Duration, 20000)
	for i := range samples {
		// Log-uniform between 10 µs and 100 ms.
		samples[i] = time.Duration(10e3 * math.Pow(10, 4*rng.Float64()))
		h.Record(samples[i])
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	for _, q := range []float64{0.5, 0.9, 0.99} {
		exact := samples[int(q*float64(len(samples)))-1]
		got := h.Percentile(q)
		if ratio := float64(got) / float64(exact); ratio < 0.95 || ratio > 1.05 {
			t.Errorf("p%v = %v, exact %v (ratio %.3f)", q*100, got, exact, ratio)
		}
	}
	if h.Count() != uint64(len(samples)) {
		t.Fatalf("Count = %d", h.Count())
	}
	var empty Histogram
	if empty.Percentile(0.5) != 0 {
		t.Fatal("empty histogram has a non-zero percentile")
	}
	var edge Histogram
	edge.Record(-time.Second)
	edge.Record(100 * time.Hour)
	if p := edge.Percentile(1); p < time.Hour {
		t.Fatalf("huge sample lost: p100 = %v", p)
	}
}
