package netmux

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"testing/iotest"
	"time"
)

// FuzzDecodeFrame feeds arbitrary bytes to the frame reader (the code that
// reads every byte a peer sends on a stream), frame after frame until it
// stops. It must never panic, never return a body longer than the limit,
// and the frames it accepts must encode back to exactly the bytes they came
// from, in order, whether they arrive in one piece or a few bytes at a time.
//
//	go test ./netmux -run '^$' -fuzz FuzzDecodeFrame -fuzztime 10s
func FuzzDecodeFrame(f *testing.F) {
	f.Add(appendRequest(nil, "chord.findSuccessor", 500000, []byte("payload")), uint8(0))
	f.Add(appendRequest(nil, "m", 0, nil), uint8(3))
	f.Add(appendFrame(nil, kindReply, []byte("reply")), uint8(1))
	f.Add(appendFrame(nil, kindError, []byte("key not found")), uint8(0))
	f.Add(appendFrame(nil, kindGoAway, nil), uint8(0))
	f.Add(appendFrame(appendRequest(nil, "a", 1, []byte("x")), kindGoAway, nil), uint8(0))
	f.Add(appendRequest(appendRequest(nil, "a", 1, bytes.Repeat([]byte("y"), 3000)), "b", 2, nil), uint8(7))
	f.Add([]byte{0, 0, 0, 8, kindRequest, 200, 'a', 'b', 0, 0, 0, 0, 0}, uint8(0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, kindReply}, uint8(0))
	f.Add([]byte{0, 0, 0, 3, 77, 1, 2, 3}, uint8(0))
	f.Add([]byte("GET / HTTP/1.1\r\n"), uint8(2))
	const limit = 1 << 12
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		var r io.Reader = bytes.NewReader(data)
		switch {
		case chunk >= 128: // as a yamux stream hands over its buffer
			r = &chunkedStream{piecesReader{data: data, n: int(chunk) - 127}}
		case chunk > 1:
			r = &piecesReader{data: data, n: int(chunk)}
		case chunk == 1:
			r = iotest.OneByteReader(r)
		}
		fr := frameReader{r: r, max: limit}
		var again []byte
		for {
			kind, body, err := fr.next(nil)
			if err != nil {
				if !errors.Is(err, errProtocol) && !errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, io.EOF) {
					t.Fatalf("unexpected error class: %v", err)
				}
				break
			}
			if len(body) > limit {
				t.Fatalf("body of %d bytes exceeds the %d-byte limit", len(body), limit)
			}
			if kind == kindRequest {
				method, tmo, payload, err := parseRequest(body)
				if err != nil {
					t.Fatalf("the reader accepted a request parseRequest refuses: %v", err)
				}
				again = appendRequest(again, method, tmo, payload)
			} else {
				again = appendFrame(again, kind, body)
			}
		}
		if !bytes.HasPrefix(data, again) {
			t.Fatalf("re-encoding differs:\n got %x\nwant a prefix of %x", again, data)
		}
	})
}

// piecesReader returns data n bytes per Read.
type piecesReader struct {
	data []byte
	n    int
}

func (c *piecesReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.data)
	c.data = c.data[k:]
	return k, nil
}

// chunkedStream hands data over n bytes per ReadChunk, each piece a slice
// of its own, as a yamux stream does with each frame it received.
type chunkedStream struct {
	piecesReader
}

func (c *chunkedStream) ReadChunk() ([]byte, error) {
	if len(c.data) == 0 {
		return nil, io.EOF
	}
	k := min(c.n, len(c.data))
	out := append([]byte(nil), c.data[:k]...)
	c.data = c.data[k:]
	return out, nil
}

func TestFrameReaderKeepsBytesPastAFrame(t *testing.T) {
	big := bytes.Repeat([]byte("v"), 3*scratchSize)
	in := appendFrame(nil, kindReply, []byte("one"))
	in = appendFrame(in, kindReply, big)
	in = appendFrame(in, kindError, []byte("three"))
	fr := frameReader{r: bytes.NewReader(in), max: 1 << 16}
	for i, want := range [][]byte{[]byte("one"), big, []byte("three")} {
		_, body, err := fr.next(nil)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(body, want) {
			t.Fatalf("frame %d: %d bytes, want %d", i, len(body), len(want))
		}
	}
	if _, _, err := fr.next(nil); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

// TestFrameReaderChunks reads frames from a stream that hands over its
// buffer (chunkReader) in pieces of every kind: a frame per chunk, several
// in one, a large frame split over chunks, a header split over chunks.
func TestFrameReaderChunks(t *testing.T) {
	big := bytes.Repeat([]byte("v"), 3*scratchSize)
	var in []byte
	want := [][]byte{[]byte("one"), big, []byte("three"), []byte("four")}
	for _, b := range want {
		in = appendFrame(in, kindReply, b)
	}
	for _, n := range []int{1, 3, 5, 8, scratchSize, scratchSize + 7, len(in)} {
		fr := frameReader{r: &chunkedStream{piecesReader{data: in, n: n}}, max: 1 << 16}
		for i, w := range want {
			_, body, err := fr.next(nil)
			if err != nil {
				t.Fatalf("chunks of %d: frame %d: %v", n, i, err)
			}
			if !bytes.Equal(body, w) {
				t.Fatalf("chunks of %d: frame %d: %d bytes, want %d", n, i, len(body), len(w))
			}
		}
		if _, _, err := fr.next(nil); !errors.Is(err, io.EOF) {
			t.Fatalf("chunks of %d: after the last frame: %v, want io.EOF", n, err)
		}
	}
	// A body taken whole from a chunk holding the next frame too must not
	// let an append overwrite that frame.
	fr := frameReader{r: &chunkedStream{piecesReader{data: in, n: len(in)}}, max: 1 << 16}
	_, body, _ := fr.next(nil)
	_ = append(body, "XXXXXXXX"...)
	if _, body, _ := fr.next(nil); !bytes.Equal(body, big) {
		t.Fatal("appending to a body changed the next frame")
	}
	// A chunk ending inside a frame, then the end of the stream.
	cut := appendFrame(nil, kindReply, big)[:scratchSize]
	fr = frameReader{r: &chunkedStream{piecesReader{data: cut, n: 100}}, max: 1 << 16}
	if _, _, err := fr.next(nil); !errors.Is(err, errProtocol) {
		t.Fatalf("a cut frame: %v, want errProtocol", err)
	}
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
			fr := frameReader{r: bytes.NewReader(tc.in), max: 1 << 12}
			kind, _, err := fr.next(nil)
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

// TestMethodNameInterned: serving a request for a known method allocates
// no string for its name, and made-up names do not grow the table past
// its bound.
func TestMethodNameInterned(t *testing.T) {
	var tbl nameTable
	first := tbl.name([]byte("test.interned"))
	again := []byte("test.interned")
	if allocs := testing.AllocsPerRun(100, func() {
		if got := tbl.name(again); got != first {
			t.Fatalf("name = %q, want %q", got, first)
		}
	}); allocs != 0 {
		t.Errorf("name of a known method allocates %v times, want 0", allocs)
	}
	for i := range 2 * maxMethodNames {
		name := fmt.Sprintf("test.made-up-%d", i)
		if got := tbl.name([]byte(name)); got != name {
			t.Fatalf("name = %q, want %q", got, name)
		}
	}
	if n := len(*tbl.names.Load()); n != maxMethodNames {
		t.Errorf("the table holds %d names, want %d", n, maxMethodNames)
	}
	if got := tbl.name(again); got != first {
		t.Errorf("a name known before the table filled up: %q, want %q", got, first)
	}
}
