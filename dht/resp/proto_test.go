package resp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// readAllRequests reads every request of in with the given limits and
// returns them (arguments copied) and the error that ended the reading.
func readAllRequests(in string, keep, maxReq int) ([][]string, []int, error) {
	r := newReader(strings.NewReader(in), keep, maxReq)
	var out [][]string
	var dropped []int
	for {
		req, err := r.read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return out, dropped, err
		}
		var args []string
		for _, a := range req.args {
			args = append(args, string(a))
		}
		out = append(out, args)
		dropped = append(dropped, req.dropped)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    [][]string
		dropped []int
		err     string
	}{
		{"array", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", [][]string{{"GET", "k"}}, []int{-1}, ""},
		{"pipeline", "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", [][]string{{"PING"}, {"ECHO", ""}}, []int{-1, -1}, ""},
		{"binary", "*2\r\n$4\r\nECHO\r\n$4\r\n\x00\r\n\xff\r\n", [][]string{{"ECHO", "\x00\r\n\xff"}}, []int{-1}, ""},
		{"empty array skipped", "*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", [][]string{{"PING"}}, []int{-1}, ""},
		{"inline", "SET k \"a b\\x41\\n\" 'it\\'s'\r\n", [][]string{{"SET", "k", "a bA\n", "it's"}}, []int{-1}, ""},
		{"inline LF only and blank lines", "\r\n\nPING\n", [][]string{{"PING"}}, []int{-1}, ""},
		{"inline empty quotes", "ECHO \"\"\r\n", [][]string{{"ECHO", ""}}, []int{-1}, ""},
		{"bulk over the keep limit is dropped", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20\r\n01234567890123456789\r\n*1\r\n$4\r\nPING\r\n",
			[][]string{{"SET", "k"}, {"PING"}}, []int{2, -1}, ""},
		{"request over the request limit is dropped", "*4\r\n$4\r\nMSET\r\n$8\r\nabcdefgh\r\n$8\r\nabcdefgh\r\n$8\r\nabcdefgh\r\n",
			[][]string{{"MSET", "abcdefgh", "abcdefgh"}}, []int{3}, ""},
		{"bad bulk length", "*1\r\n$x\r\n", nil, nil, "invalid bulk length"},
		{"negative bulk length", "*1\r\n$-1\r\n", nil, nil, "invalid bulk length"},
		{"bulk over 512 MiB", "*1\r\n$536870913\r\n", nil, nil, "invalid bulk length"},
		{"bad multibulk length", "*x\r\n", nil, nil, "invalid multibulk length"},
		{"too many arguments", "*1048577\r\n", nil, nil, "invalid multibulk length"},
		{"not a bulk", "*1\r\n:1\r\n", nil, nil, "expected '$', got ':'"},
		{"bulk without CRLF", "*1\r\n$1\r\nab\r\n", nil, nil, "not followed by CRLF"},
		{"unbalanced quotes", "SET k \"abc\r\n", nil, nil, "unbalanced quotes"},
		{"quote not ending a word", "SET k \"a\"b\r\n", nil, nil, "unbalanced quotes"},
		{"long header line", "*" + strings.Repeat("1", 100) + "\r\n", nil, nil, "too big mbulk count string"},
		{"long inline line", strings.Repeat("a", maxInline+1) + "\r\n", nil, nil, "too big inline request"},
		{"cut short", "*2\r\n$3\r\nGET\r\n$5\r\nab", nil, nil, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dropped, err := readAllRequests(tt.in, 16, 20)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			if tt.err != "" {
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("requests = %q, want %q", got, tt.want)
			}
			for i := range got {
				if strings.Join(got[i], "|") != strings.Join(tt.want[i], "|") || dropped[i] != tt.dropped[i] {
					t.Errorf("request %d = %q dropped %d, want %q dropped %d", i, got[i], dropped[i], tt.want[i], tt.dropped[i])
				}
			}
		})
	}
}

// A bulk string over the keep limit is read through, never held: the
// reader's memory stays at its buffers however long the value.
func TestReaderDoesNotHoldOversizedValues(t *testing.T) {
	const size = 64 << 20
	head := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$67108864\r\n"
	in := io.MultiReader(strings.NewReader(head), io.LimitReader(zeros{}, size), strings.NewReader("\r\n*1\r\n$4\r\nPING\r\n"))
	r := newReader(in, 1<<20, 4<<20)
	req, err := r.read()
	if err != nil {
		t.Fatal(err)
	}
	if req.dropped != 2 || req.droppedLen != size || len(req.args) != 2 {
		t.Fatalf("dropped %d (%d bytes), %d args kept", req.dropped, req.droppedLen, len(req.args))
	}
	if c := cap(r.arena); c > 1<<10 {
		t.Errorf("the reader holds %d bytes for a request whose kept arguments are 4 bytes", c)
	}
	if req, err := r.read(); err != nil || string(req.args[0]) != "PING" {
		t.Fatalf("next request: %v %v", req, err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := newWriter(&b)
	w.simple("OK")
	w.error("ERR a\r\nb")
	w.integer(-7)
	w.bulk([]byte("hi"))
	w.null()
	w.mapOf(1)
	w.proto = 3
	w.null()
	w.mapOf(1)
	w.setOf(2)
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	want := "+OK\r\n-ERR a  b\r\n:-7\r\n$2\r\nhi\r\n$-1\r\n*2\r\n_\r\n%1\r\n~2\r\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}

// FuzzReader feeds arbitrary bytes to the request reader: any error is
// fine, a panic or an argument over the limits is not. `go test -fuzz
// FuzzReader ./dht/resp` runs it for real.
func FuzzReader(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
	f.Add([]byte("SET k \"a\\x00b\" 'c'\r\nPING\n"))
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$40\r\n0123456789012345678901234567890123456789\r\n"))
	f.Add([]byte("*1\r\n$-1\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		const keep, maxReq = 32, 64
		r := newReader(bytes.NewReader(in), keep, maxReq)
		for range 1000 {
			req, err := r.read()
			if err != nil {
				return
			}
			total := 0
			for _, a := range req.args {
				if len(a) > keep {
					t.Fatalf("argument of %d bytes kept, over the limit %d", len(a), keep)
				}
				total += len(a)
			}
			if total > maxReq {
				t.Fatalf("%d bytes of arguments kept, over the limit %d", total, maxReq)
			}
			if len(req.args) == 0 && req.dropped < 0 {
				t.Fatal("an empty request was returned")
			}
		}
	})
}
