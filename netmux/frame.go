package netmux

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Wire format of one frame on a yamux stream:
//
//	uint32 length (big endian) | uint8 kind | length bytes of body
//
// Bodies by kind:
//
//	kindRequest: uint8 method length | method | uint32 timeout in µs (0 = none) | payload
//	kindReply:   payload
//	kindError:   error text (the remote handler's message)
//	kindGoAway:  empty; the sender will not use this session again, so the
//	             receiver drains its own calls on it and closes it.
//
// Requests and replies alternate strictly on a stream, so a stream can be
// reused for the next call once its reply has been read.
const (
	frameHeaderSize = 5

	kindRequest byte = 1
	kindReply   byte = 2
	kindError   byte = 3
	kindGoAway  byte = 4

	// maxMethodLen is the longest method name a request can carry.
	maxMethodLen = 255
	// requestFixed is the size of a request body without method and payload.
	requestFixed = 1 + 4
)

// errProtocol marks bytes that do not form a valid frame; the session that
// carried them is closed.
var errProtocol = errors.New("netmux: protocol violation")

// frameHeader is the decoded fixed part of a frame.
type frameHeader struct {
	Kind byte
	Len  uint32
}

// parseFrameHeader checks the fixed part of a frame against limit, the
// largest body accepted.
func parseFrameHeader(b [frameHeaderSize]byte, limit int) (frameHeader, error) {
	h := frameHeader{Len: binary.BigEndian.Uint32(b[:4]), Kind: b[4]}
	switch h.Kind {
	case kindRequest, kindReply, kindError, kindGoAway:
	default:
		return h, fmt.Errorf("%w: unknown frame kind %d", errProtocol, h.Kind)
	}
	if uint64(h.Len) > uint64(limit) {
		return h, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, h.Len, limit)
	}
	if h.Kind == kindGoAway && h.Len != 0 {
		return h, fmt.Errorf("%w: go-away frame with %d bytes of body", errProtocol, h.Len)
	}
	if h.Kind == kindRequest && h.Len < requestFixed+1 {
		return h, fmt.Errorf("%w: request frame of %d bytes is too short", errProtocol, h.Len)
	}
	return h, nil
}

// frameReader reads the frames of one stream. A frame that has arrived
// whole (the usual case: a peer writes each frame with one yamux write) is
// taken as the chunk the stream buffered, with no copy, from a stream that
// can hand it over (chunkReader), and otherwise read with a single Read,
// header and body together, through a pooled scratch buffer; bytes read
// past the end of a frame are kept for the next one.
type frameReader struct {
	r   io.Reader
	max int // the largest body accepted
	// rest holds bytes read past the previous frame. A peer that keeps to
	// the protocol never sends them (requests and replies alternate), so
	// callers may treat them as a violation; the server serves them in turn.
	rest []byte
}

// scratchSize is the size of the buffers frames are first read into: a
// frame up to this size costs one Read.
const scratchSize = 2 << 10

var scratchPool = sync.Pool{New: func() any { b := make([]byte, scratchSize); return &b }}

// next reads one frame: its kind and body. A body longer than fr.max is
// refused with ErrFrameTooLarge before more of it is read; an unknown kind
// or malformed header is a protocol violation. io.EOF is returned only when
// the stream ends cleanly before the first byte of a frame. started, if
// non-nil, runs when the header is in but the rest of the frame is not (the
// server uses it to bound the time the rest may take).
func (fr *frameReader) next(started func()) (kind byte, body []byte, err error) {
	if cr, ok := fr.r.(chunkReader); ok {
		return fr.nextChunk(cr, started)
	}
	sp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(sp)
	buf := *sp
	n := copy(buf, fr.rest)
	fr.rest = fr.rest[n:]
	if n < frameHeaderSize {
		m, err := io.ReadAtLeast(fr.r, buf[n:], frameHeaderSize-n)
		n += m
		if err != nil {
			if n == 0 && errors.Is(err, io.EOF) {
				return 0, nil, io.EOF
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return 0, nil, fmt.Errorf("%w: stream ended inside a frame header", errProtocol)
			}
			return 0, nil, err
		}
	}
	h, err := parseFrameHeader([frameHeaderSize]byte(buf[:frameHeaderSize]), fr.max)
	if err != nil {
		return 0, nil, err
	}
	end := frameHeaderSize + int(h.Len)
	body = make([]byte, h.Len)
	got := copy(body, buf[frameHeaderSize:n])
	if n > end {
		fr.rest = append(append([]byte(nil), buf[end:n]...), fr.rest...)
	}
	if got < len(body) {
		if started != nil {
			started()
		}
		if err := fr.readBody(body[got:], h.Len); err != nil {
			return 0, nil, err
		}
	}
	return fr.checked(h.Kind, body)
}

// nextChunk is next from a stream that hands over what it buffered: a
// frame that came whole in one chunk becomes its body with no copy.
func (fr *frameReader) nextChunk(cr chunkReader, started func()) (kind byte, body []byte, err error) {
	chunk := fr.rest
	fr.rest = nil
	for len(chunk) < frameHeaderSize {
		more, err := cr.ReadChunk()
		if err != nil {
			if len(chunk) == 0 && errors.Is(err, io.EOF) {
				return 0, nil, io.EOF
			}
			if errors.Is(err, io.EOF) {
				return 0, nil, fmt.Errorf("%w: stream ended inside a frame header", errProtocol)
			}
			return 0, nil, err
		}
		if len(chunk) == 0 {
			chunk = more
		} else {
			chunk = append(chunk, more...)
		}
	}
	h, err := parseFrameHeader([frameHeaderSize]byte(chunk[:frameHeaderSize]), fr.max)
	if err != nil {
		return 0, nil, err
	}
	end := frameHeaderSize + int(h.Len)
	if len(chunk) >= end {
		body = chunk[frameHeaderSize:end:end] // capped: an append must not reach the next frame
		if len(chunk) > end {
			fr.rest = chunk[end:]
		}
		return fr.checked(h.Kind, body)
	}
	body = make([]byte, h.Len)
	got := copy(body, chunk[frameHeaderSize:])
	if started != nil {
		started()
	}
	if err := fr.readBody(body[got:], h.Len); err != nil {
		return 0, nil, err
	}
	return fr.checked(h.Kind, body)
}

// readBody reads the rest of a frame of size bytes into p.
func (fr *frameReader) readBody(p []byte, size uint32) error {
	if _, err := io.ReadFull(fr.r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: stream ended inside a %d-byte frame", errProtocol, size)
		}
		return err
	}
	return nil
}

// checked returns a frame whose body has been read, or the error a
// malformed request is.
func (fr *frameReader) checked(kind byte, body []byte) (byte, []byte, error) {
	if kind == kindRequest {
		if _, _, _, err := splitRequest(body); err != nil {
			return 0, nil, err
		}
	}
	return kind, body, nil
}

// chunkReader is a reader that hands over what it has buffered instead of
// copying it (a yamux stream): the frames a peer writes at once arrive as
// one chunk each.
type chunkReader interface {
	ReadChunk() ([]byte, error)
}

// parseRequest splits a request body into method, timeout (µs) and payload.
// The payload aliases body; the method is interned (methodName).
func parseRequest(body []byte) (method string, timeoutMicros uint32, payload []byte, err error) {
	m, timeoutMicros, payload, err := splitRequest(body)
	if err != nil {
		return "", 0, nil, err
	}
	return methodName(m), timeoutMicros, payload, nil
}

// splitRequest is parseRequest with the method's bytes, aliasing body.
func splitRequest(body []byte) (method []byte, timeoutMicros uint32, payload []byte, err error) {
	if len(body) < requestFixed+1 {
		return nil, 0, nil, fmt.Errorf("%w: request of %d bytes is too short", errProtocol, len(body))
	}
	n := int(body[0])
	if n == 0 {
		return nil, 0, nil, fmt.Errorf("%w: empty method name", errProtocol)
	}
	if len(body) < 1+n+4 {
		return nil, 0, nil, fmt.Errorf("%w: method length %d overruns a %d-byte request", errProtocol, n, len(body))
	}
	m := body[1 : 1+n]
	if !validMethod(m) {
		return nil, 0, nil, fmt.Errorf("%w: method name is not UTF-8 without control characters", errProtocol)
	}
	return m, binary.BigEndian.Uint32(body[1+n : 1+n+4]), body[1+n+4:], nil
}

// nameTable holds the method names requests have carried, up to
// maxMethodNames of them: a request for a known method allocates no
// string for its name. The map is replaced, never changed, so readers take
// no lock.
type nameTable struct {
	mu    sync.Mutex
	names atomic.Pointer[map[string]string]
}

// methodNames is the table of the process, shared by its transports.
var methodNames nameTable

// maxMethodNames bounds a nameTable: names beyond it (a peer sending
// made-up methods) are allocated per request, and remembered by no one.
const maxMethodNames = 256

// methodName returns m as a string, the same string each time for a name
// methodNames holds.
func methodName(m []byte) string { return methodNames.name(m) }

func (t *nameTable) name(m []byte) string {
	if p := t.names.Load(); p != nil {
		if s, ok := (*p)[string(m)]; ok {
			return s
		}
	}
	s := string(m)
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.names.Load()
	if old != nil && len(*old) >= maxMethodNames {
		return s
	}
	names := map[string]string{}
	if old != nil {
		if known, ok := (*old)[s]; ok {
			return known
		}
		names = maps.Clone(*old)
	}
	names[s] = s
	t.names.Store(&names)
	return s
}

// validMethod reports whether m is 1..255 bytes of UTF-8 without control
// characters.
func validMethod(m []byte) bool {
	if len(m) == 0 || len(m) > maxMethodLen || !utf8.Valid(m) {
		return false
	}
	for _, c := range m {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// appendRequest appends a complete request frame to dst.
func appendRequest(dst []byte, method string, timeoutMicros uint32, payload []byte) []byte {
	bodyLen := 1 + len(method) + 4 + len(payload)
	dst = binary.BigEndian.AppendUint32(dst, uint32(bodyLen))
	dst = append(dst, kindRequest, byte(len(method)))
	dst = append(dst, method...)
	dst = binary.BigEndian.AppendUint32(dst, timeoutMicros)
	return append(dst, payload...)
}

// appendFrame appends a frame of the given kind with body to dst.
func appendFrame(dst []byte, kind byte, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	dst = append(dst, kind)
	return append(dst, body...)
}

// requestFrameSize is the size on the wire of a request frame.
func requestFrameSize(method string, payload []byte) int {
	return frameHeaderSize + 1 + len(method) + 4 + len(payload)
}
