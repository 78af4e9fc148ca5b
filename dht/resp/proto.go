package resp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// The wire format (RESP, the REdis Serialization Protocol): a request is an
// array of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or an inline
// line of words ("GET k\r\n", as typed into telnet); replies are RESP2 or,
// after HELLO 3, RESP3. Limits follow Redis's: at most 1024·1024 arguments
// a request, bulk strings of at most 512 MiB, inline lines of at most
// 64 KiB. Within those, an argument longer than the reader's keep limit
// (or past its request limit) is read and thrown away, never held in
// memory: the request is answered with an error and the client stays.

// Protocol limits, as Redis's defaults.
const (
	maxArgs       = 1024 * 1024 // arguments in one request
	maxBulk       = 512 << 20   // bytes in one bulk string (proto-max-bulk-len)
	maxInline     = 64 << 10    // bytes in one inline request line
	maxHeaderLine = 64          // bytes in a "*N" or "$N" line
)

// ProtocolError is a request that breaks the protocol: the server answers
// "-ERR Protocol error: …" and closes that client's connection.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

func protoErr(format string, args ...any) error {
	return &ProtocolError{Msg: fmt.Sprintf(format, args...)}
}

// request is one command as read: its arguments (the name first). They
// point into the reader's buffer and are valid until the next read.
type request struct {
	args [][]byte
	// dropped is the index of the first argument that was thrown away
	// (longer than the keep limit, or past the request limit); -1 if none.
	dropped int
	// droppedLen is that argument's length; size the request's total.
	droppedLen, size int64
}

// reader reads requests from a client.
type reader struct {
	br *bufio.Reader
	// keep is the longest argument kept in memory; maxRequest bounds the
	// bytes of every argument of one request kept in memory together.
	keep, maxRequest int
	arena            []byte // the current request's kept arguments, one after the other
	ends             []int  // where each kept argument ends in arena
	req              request
}

func newReader(r io.Reader, keep, maxRequest int) *reader {
	return &reader{br: bufio.NewReaderSize(r, 16<<10), keep: keep, maxRequest: maxRequest}
}

// buffered reports how many bytes have arrived but not been read yet:
// when none, the client has sent no more requests (a pipeline ended).
func (r *reader) buffered() int { return r.br.Buffered() }

// read returns the next request. An empty request (a blank inline line,
// "*0") is skipped. Errors are io.EOF and the connection's errors, or a
// *ProtocolError.
func (r *reader) read() (*request, error) {
	for {
		if cap(r.ends) > 1024 { // a huge request's index is not kept for the next ones
			r.ends, r.req.args = nil, nil
		}
		if cap(r.arena) > 64<<10 {
			r.arena = nil
		}
		r.arena, r.ends = r.arena[:0], r.ends[:0]
		r.req = request{args: r.req.args[:0], dropped: -1}
		b, err := r.br.Peek(1)
		if err != nil {
			return nil, err
		}
		if b[0] == '*' {
			err = r.readMultiBulk()
		} else {
			err = r.readInline()
		}
		if err != nil {
			return nil, err
		}
		start := 0
		for _, end := range r.ends {
			r.req.args = append(r.req.args, r.arena[start:end:end])
			start = end
		}
		if len(r.req.args) > 0 || r.req.dropped >= 0 {
			return &r.req, nil
		}
	}
}

// line reads one line of at most limit bytes (CRLF or LF excluded).
func (r *reader) line(limit int) ([]byte, error) {
	var long []byte // the line so far, when it spans bufio's buffer
	for {
		part, err := r.br.ReadSlice('\n')
		if len(long)+len(part) > limit+2 {
			return nil, errTooLong
		}
		if err == nil {
			if long != nil {
				part = append(long, part...)
			}
			part = part[:len(part)-1]
			if n := len(part); n > 0 && part[n-1] == '\r' {
				part = part[:n-1]
			}
			if len(part) > limit {
				return nil, errTooLong
			}
			return part, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) && len(long)+len(part) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		long = append(long, part...)
	}
}

var errTooLong = errors.New("line too long")

// number parses a header line's integer ("*3", "$5") strictly: an
// optional minus and digits, nothing else.
func number(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || b[0] == '+' {
		return 0, false
	}
	return n, true
}

func (r *reader) readMultiBulk() error {
	hdr, err := r.line(maxHeaderLine)
	if errors.Is(err, errTooLong) {
		return protoErr("too big mbulk count string")
	}
	if err != nil {
		return err
	}
	n, ok := number(hdr[1:])
	if !ok || n > maxArgs {
		return protoErr("invalid multibulk length")
	}
	for i := int64(0); i < n; i++ {
		hdr, err := r.line(maxHeaderLine)
		if errors.Is(err, errTooLong) {
			return protoErr("too big bulk count string")
		}
		if err != nil {
			return err
		}
		if len(hdr) == 0 || hdr[0] != '$' {
			got := "end of line"
			if len(hdr) > 0 {
				got = strconv.QuoteRune(rune(hdr[0]))
			}
			return protoErr("expected '$', got %s", got)
		}
		size, ok := number(hdr[1:])
		if !ok || size < 0 || size > maxBulk {
			return protoErr("invalid bulk length")
		}
		if err := r.bulk(int(i), size); err != nil {
			return err
		}
	}
	return nil
}

// bulk reads one bulk string's bytes and its CRLF, keeping them, or
// throwing them away when they are over a limit.
func (r *reader) bulk(i int, size int64) error {
	r.req.size += size
	if r.req.dropped >= 0 || size > int64(r.keep) || len(r.arena)+int(size) > r.maxRequest {
		if r.req.dropped < 0 {
			r.req.dropped, r.req.droppedLen = i, size
		}
		if _, err := r.br.Discard(int(size)); err != nil {
			return unexpected(err)
		}
	} else {
		start := len(r.arena)
		r.arena = slices.Grow(r.arena, int(size))[:start+int(size)]
		if _, err := io.ReadFull(r.br, r.arena[start:]); err != nil {
			return unexpected(err)
		}
		// The arena may move as it grows: the arguments are cut from it
		// once the request is complete.
		r.ends = append(r.ends, len(r.arena))
	}
	crlf, err := r.br.Peek(2)
	if err != nil {
		return unexpected(err)
	}
	if crlf[0] != '\r' || crlf[1] != '\n' {
		return protoErr("bulk string of %d bytes not followed by CRLF", size)
	}
	_, _ = r.br.Discard(2)
	return nil
}

// unexpected turns an EOF in the middle of a request into
// io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (r *reader) readInline() error {
	line, err := r.line(maxInline)
	if errors.Is(err, errTooLong) {
		return protoErr("too big inline request")
	}
	if err != nil {
		return err
	}
	words, ok := splitArgs(line)
	if !ok {
		return protoErr("unbalanced quotes in request")
	}
	for i, w := range words {
		r.req.size += int64(len(w))
		if r.req.dropped < 0 && (len(w) > r.keep || len(r.arena)+len(w) > r.maxRequest) {
			r.req.dropped, r.req.droppedLen = i, int64(len(w))
		}
		if r.req.dropped >= 0 {
			continue
		}
		r.arena = append(r.arena, w...)
		r.ends = append(r.ends, len(r.arena))
	}
	return nil
}

// splitArgs splits an inline request into words as Redis does
// (sdssplitargs): spaces separate words; "double quotes" take \n \r \t \b
// \a \\ \" and \xHH escapes; 'single quotes' take \'. A closing quote must
// end the word. ok is false for unbalanced quotes.
func splitArgs(line []byte) (words [][]byte, ok bool) {
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p == len(line) {
			return words, true
		}
		var cur []byte
		inq, insq := false, false
		for done := false; !done; {
			switch {
			case inq:
				switch {
				case p >= len(line):
					return nil, false
				case line[p] == '\\' && p+3 < len(line) && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]):
					cur = append(cur, unhex(line[p+2])<<4|unhex(line[p+3]))
					p += 3
				case line[p] == '\\' && p+1 < len(line):
					p++
					cur = append(cur, unescape(line[p]))
				case line[p] == '"':
					if p+1 < len(line) && !isSpace(line[p+1]) {
						return nil, false // the closing quote must end the word
					}
					done = true
				default:
					cur = append(cur, line[p])
				}
			case insq:
				switch {
				case p >= len(line):
					return nil, false
				case line[p] == '\\' && p+1 < len(line) && line[p+1] == '\'':
					p++
					cur = append(cur, '\'')
				case line[p] == '\'':
					if p+1 < len(line) && !isSpace(line[p+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, line[p])
				}
			default:
				switch {
				case p >= len(line) || isSpace(line[p]):
					done = true
				case line[p] == '"':
					inq = true
				case line[p] == '\'':
					insq = true
				default:
					cur = append(cur, line[p])
				}
			}
			if p < len(line) {
				p++
			}
		}
		if cur == nil {
			cur = []byte{}
		}
		words = append(words, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// writer encodes replies in RESP2, or RESP3 once proto is 3.
type writer struct {
	bw    *bufio.Writer
	proto int
	errs  int // error replies written by commands (call.fail)
	num   [24]byte
}

func newWriter(w io.Writer) *writer { return &writer{bw: bufio.NewWriterSize(w, 16<<10), proto: 2} }

func (w *writer) header(kind byte, n int64) {
	b := append(w.num[:0], kind)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, '\r', '\n')
	_, _ = w.bw.Write(b)
}

// simple writes a simple string: +OK.
func (w *writer) simple(s string) {
	_ = w.bw.WriteByte('+')
	_, _ = w.bw.WriteString(s)
	_, _ = w.bw.WriteString("\r\n")
}

// error writes an error reply; msg starts with its code ("ERR …",
// "WRONGTYPE …"). Line breaks in it become spaces.
func (w *writer) error(msg string) {
	_ = w.bw.WriteByte('-')
	_, _ = w.bw.WriteString(oneLine(msg))
	_, _ = w.bw.WriteString("\r\n")
}

func oneLine(s string) string {
	if !bytes.ContainsAny([]byte(s), "\r\n") {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

func (w *writer) integer(n int64) { w.header(':', n) }

func (w *writer) bulk(b []byte) {
	w.header('$', int64(len(b)))
	_, _ = w.bw.Write(b)
	_, _ = w.bw.WriteString("\r\n")
}

func (w *writer) bulkString(s string) {
	w.header('$', int64(len(s)))
	_, _ = w.bw.WriteString(s)
	_, _ = w.bw.WriteString("\r\n")
}

// null writes a missing value: $-1 in RESP2, _ in RESP3.
func (w *writer) null() {
	if w.proto >= 3 {
		_, _ = w.bw.WriteString("_\r\n")
		return
	}
	_, _ = w.bw.WriteString("$-1\r\n")
}

func (w *writer) array(n int) { w.header('*', int64(n)) }

// mapOf starts a map of n pairs: %n in RESP3, an array of 2n in RESP2.
func (w *writer) mapOf(n int) {
	if w.proto >= 3 {
		w.header('%', int64(n))
		return
	}
	w.header('*', int64(2*n))
}

// setOf starts a set of n elements: ~n in RESP3, an array in RESP2.
func (w *writer) setOf(n int) {
	if w.proto >= 3 {
		w.header('~', int64(n))
		return
	}
	w.header('*', int64(n))
}

func (w *writer) flush() error { return w.bw.Flush() }
