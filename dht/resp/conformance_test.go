package resp_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/redis/go-redis/v9"
)

// The conformance tests drive the endpoint with a real client library
// (go-redis v9) over TCP, against a cluster on the in-memory network.

// startCluster starts n nodes with a RESP endpoint on a free port and
// waits for a stable ring; mutate changes the configuration first.
func startCluster(t *testing.T, n int, mutate func(*cluster.Config)) (*cluster.Cluster, string) {
	t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.Nodes = n
	cfg.Seed = 7
	cfg.Network = cluster.NewMemNetwork(7)
	cfg.RESP.Addr = "127.0.0.1:0"
	if mutate != nil {
		mutate(&cfg)
	}
	ctx := context.Background()
	c, err := cluster.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Wait(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	st, ok := c.RESP()
	if !ok || st.Addr == "" {
		t.Fatalf("no RESP endpoint: %+v", st)
	}
	return c, st.Addr
}

func newClient(t *testing.T, addr string, proto int) *redis.Client {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, PoolSize: 32, MaxRetries: -1, ReadTimeout: 20 * time.Second})
	t.Cleanup(func() { rc.Close() })
	return rc
}

func TestConformance(t *testing.T) {
	c, addr := startCluster(t, 8, nil)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			conformance(t, c, newClient(t, addr, proto), proto)
		})
	}
}

// wantErr checks that err is a reply starting with prefix.
func wantErr(t *testing.T, what string, err error, prefix string) {
	t.Helper()
	if err == nil || !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("%s: err = %v, want one starting %q", what, err, prefix)
	}
}

func conformance(t *testing.T, c *cluster.Cluster, rc *redis.Client, proto int) {
	ctx := context.Background()
	p := fmt.Sprintf("p%d-", proto) // each protocol its own keys
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	t.Run("connection", func(t *testing.T) {
		if v, err := rc.Ping(ctx).Result(); err != nil || v != "PONG" {
			t.Errorf("PING = %q, %v", v, err)
		}
		if v, err := rc.Do(ctx, "PING", "hi there").Text(); err != nil || v != "hi there" {
			t.Errorf("PING msg = %q, %v", v, err)
		}
		if v, err := rc.Echo(ctx, "a\x00b c").Result(); err != nil || v != "a\x00b c" {
			t.Errorf("ECHO = %q, %v", v, err)
		}
		hello, err := rc.Do(ctx, "HELLO", strconv.Itoa(proto)).Result()
		must("HELLO", err)
		if s := fmt.Sprint(hello); !strings.Contains(s, "proto:"+strconv.Itoa(proto)) && !strings.Contains(s, "proto "+strconv.Itoa(proto)) {
			t.Errorf("HELLO %d = %v", proto, hello)
		}
		wantErr(t, "HELLO 4", rc.Do(ctx, "HELLO", "4").Err(), "NOPROTO")
		must("CLIENT SETNAME", rc.Do(ctx, "CLIENT", "SETNAME", "tester").Err())
		// go-redis may use another pooled connection: ask on one.
		conn := rc.Conn()
		defer conn.Close()
		must("CLIENT SETNAME", conn.ClientSetName(ctx, "me").Err())
		if v, err := conn.ClientGetName(ctx).Result(); err != nil || v != "me" {
			t.Errorf("CLIENT GETNAME = %q, %v", v, err)
		}
		id1, err := conn.ClientID(ctx).Result()
		must("CLIENT ID", err)
		if id2, _ := conn.ClientID(ctx).Result(); id1 <= 0 || id2 != id1 {
			t.Errorf("CLIENT ID = %d then %d", id1, id2)
		}
		wantErr(t, "CLIENT SETNAME with a space", conn.ClientSetName(ctx, "a b").Err(), "ERR Client names cannot contain spaces")
		wantErr(t, "CLIENT NOPE", conn.Do(ctx, "CLIENT", "NOPE").Err(), "ERR unknown subcommand 'NOPE'. Try CLIENT HELP.")
		if v, err := conn.Do(ctx, "SELECT", "0").Text(); err != nil || v != "OK" {
			t.Errorf("SELECT 0 = %q, %v", v, err)
		}
		wantErr(t, "SELECT 1", conn.Do(ctx, "SELECT", "1").Err(), "ERR DB index is out of range")
	})

	t.Run("strings", func(t *testing.T) {
		k := p + "greeting"
		must("SET", rc.Set(ctx, k, "hello world", 0).Err())
		if v, err := rc.Get(ctx, k).Result(); err != nil || v != "hello world" {
			t.Errorf("GET = %q, %v", v, err)
		}
		if _, err := rc.Get(ctx, p+"never").Result(); !errors.Is(err, redis.Nil) {
			t.Errorf("GET of a missing key: err = %v, want redis.Nil", err)
		}
		if n, err := rc.StrLen(ctx, k).Result(); err != nil || n != 11 {
			t.Errorf("STRLEN = %d, %v", n, err)
		}
		if n, err := rc.StrLen(ctx, p+"never").Result(); err != nil || n != 0 {
			t.Errorf("STRLEN of a missing key = %d, %v", n, err)
		}
		if n, err := rc.Append(ctx, k, "!").Result(); err != nil || n != 12 {
			t.Errorf("APPEND = %d, %v", n, err)
		}
		if n, err := rc.Append(ctx, p+"fresh", "ab").Result(); err != nil || n != 2 {
			t.Errorf("APPEND to a missing key = %d, %v", n, err)
		}
		bin := string([]byte{0, 1, 2, '\r', '\n', 0xff})
		must("SET binary", rc.Set(ctx, p+"bin", bin, 0).Err())
		if v, _ := rc.Get(ctx, p+"bin").Result(); v != bin {
			t.Errorf("binary value came back as %q", v)
		}
	})

	t.Run("set options", func(t *testing.T) {
		k := p + "opt"
		if ok, err := rc.SetNX(ctx, k, "first", 0).Result(); err != nil || !ok {
			t.Errorf("SET NX on a missing key = %v, %v", ok, err)
		}
		if ok, err := rc.SetNX(ctx, k, "second", 0).Result(); err != nil || ok {
			t.Errorf("SET NX on an existing key = %v, %v", ok, err)
		}
		if ok, err := rc.SetXX(ctx, k, "third", 0).Result(); err != nil || !ok {
			t.Errorf("SET XX on an existing key = %v, %v", ok, err)
		}
		if ok, err := rc.SetXX(ctx, p+"absent", "x", 0).Result(); err != nil || ok {
			t.Errorf("SET XX on a missing key = %v, %v", ok, err)
		}
		if old, err := rc.SetArgs(ctx, k, "fourth", redis.SetArgs{Get: true}).Result(); err != nil || old != "third" {
			t.Errorf("SET GET = %q, %v", old, err)
		}
		if v, _ := rc.Get(ctx, k).Result(); v != "fourth" {
			t.Errorf("after SET GET the value is %q", v)
		}
		wantErr(t, "SET EX", rc.Set(ctx, k, "v", time.Minute).Err(), "ERR SET EX is not supported")
		wantErr(t, "SET PX", rc.Set(ctx, k, "v", 1500*time.Millisecond).Err(), "ERR SET PX is not supported")
		if v, err := rc.Do(ctx, "SET", k, "kept", "KEEPTTL").Text(); err != nil || v != "OK" {
			t.Errorf("SET KEEPTTL = %q, %v", v, err)
		}
		wantErr(t, "SET NX XX", rc.Do(ctx, "SET", k, "v", "NX", "XX").Err(), "ERR syntax error")
		wantErr(t, "SET BOGUS", rc.Do(ctx, "SET", k, "v", "BOGUS").Err(), "ERR syntax error")
		wantErr(t, "SET EX 0", rc.Do(ctx, "SET", k, "v", "EX", "0").Err(), "ERR invalid expire time")
		if v, _ := rc.Get(ctx, k).Result(); v != "kept" {
			t.Errorf("a refused SET changed the value to %q", v)
		}
	})

	t.Run("keys", func(t *testing.T) {
		a, b, none := p+"a", p+"b", p+"none"
		must("MSET", rc.MSet(ctx, a, "1", b, "2").Err())
		vals, err := rc.MGet(ctx, a, none, b).Result()
		must("MGET", err)
		if len(vals) != 3 || vals[0] != "1" || vals[1] != nil || vals[2] != "2" {
			t.Errorf("MGET = %#v", vals)
		}
		if n, err := rc.Exists(ctx, a, none, b, a).Result(); err != nil || n != 3 {
			t.Errorf("EXISTS a none b a = %d, %v (a key given twice counts twice)", n, err)
		}
		if n, err := rc.Del(ctx, a, none, b).Result(); err != nil || n != 2 {
			t.Errorf("DEL a none b = %d, %v", n, err)
		}
		if n, err := rc.Exists(ctx, a, b).Result(); err != nil || n != 0 {
			t.Errorf("EXISTS after DEL = %d, %v", n, err)
		}
		if n, err := rc.Del(ctx, a).Result(); err != nil || n != 0 {
			t.Errorf("DEL again = %d, %v", n, err)
		}
		wantErr(t, "MSET odd", rc.Do(ctx, "MSET", a, "1", b).Err(), "ERR wrong number of arguments for 'mset' command")
	})

	t.Run("counters", func(t *testing.T) {
		k := p + "ctr"
		for i, step := range []struct {
			run  func() (int64, error)
			want int64
		}{
			{func() (int64, error) { return rc.Incr(ctx, k).Result() }, 1},
			{func() (int64, error) { return rc.IncrBy(ctx, k, 41).Result() }, 42},
			{func() (int64, error) { return rc.Decr(ctx, k).Result() }, 41},
			{func() (int64, error) { return rc.DecrBy(ctx, k, 50).Result() }, -9},
		} {
			if n, err := step.run(); err != nil || n != step.want {
				t.Errorf("step %d = %d, %v, want %d", i, n, err, step.want)
			}
		}
		must("SET", rc.Set(ctx, p+"text", "abc", 0).Err())
		wantErr(t, "INCR of text", rc.Incr(ctx, p+"text").Err(), "ERR value is not an integer or out of range")
		wantErr(t, "INCRBY x", rc.Do(ctx, "INCRBY", k, "x").Err(), "ERR value is not an integer or out of range")
		must("SET", rc.Set(ctx, p+"max", strconv.FormatInt(1<<63-1, 10), 0).Err())
		wantErr(t, "INCR at max", rc.Incr(ctx, p+"max").Err(), "ERR increment or decrement would overflow")
		if v, _ := rc.Get(ctx, p+"text").Result(); v != "abc" {
			t.Errorf("a refused INCR changed the value to %q", v)
		}
	})

	t.Run("server", func(t *testing.T) {
		if _, err := c.Wait(ctx, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		n, err := rc.DBSize(ctx).Result()
		must("DBSIZE", err)
		want := 0
		for _, nd := range c.Nodes().Nodes {
			want += nd.Owned
		}
		if n != int64(want) || n == 0 {
			t.Errorf("DBSIZE = %d, want %d (the keys the nodes own, on a stable ring)", n, want)
		}
		info, err := rc.Info(ctx).Result()
		must("INFO", err)
		for _, s := range []string{"# Server", "redis_version:7.0.0", "# Clients", "connected_clients:", "# Stats",
			"total_commands_processed:", "# Keyspace", fmt.Sprintf("db0:keys=%d,", want), "# Chord", "ring_nodes:8", "ring_live_nodes:8",
			"ring_stable:1", "replicas:3", "via:n0", "lookup_hops_mean:", "keys_estimate:"} {
			if !strings.Contains(info, s) {
				t.Errorf("INFO lacks %q:\n%s", s, info)
			}
		}
		if info, _ := rc.Info(ctx, "chord").Result(); strings.Contains(info, "# Server") || !strings.Contains(info, "# Chord") {
			t.Errorf("INFO chord:\n%s", info)
		}
		if n, err := rc.Do(ctx, "COMMAND", "COUNT").Int(); err != nil || n < 20 {
			t.Errorf("COMMAND COUNT = %d, %v", n, err)
		}
		if raw, err := rc.Do(ctx, "COMMAND", "DOCS", "get").Result(); err != nil || !strings.Contains(fmt.Sprint(raw), "summary") {
			t.Errorf("COMMAND DOCS get = %v, %v", raw, err)
		}
		cmds, err := rc.Command(ctx).Result()
		must("COMMAND", err)
		if g, ok := cmds["get"]; !ok || g.Arity != 2 || g.FirstKeyPos != 1 || !slices.Contains(g.Flags, "readonly") {
			t.Errorf("COMMAND get = %+v", g)
		}
		cfg, err := rc.ConfigGet(ctx, "save").Result()
		must("CONFIG GET save", err)
		if v, ok := cfg["save"]; !ok || v != "" {
			t.Errorf("CONFIG GET save = %v", cfg)
		}
		if cfg, _ := rc.ConfigGet(ctx, "*").Result(); cfg["appendonly"] != "no" || cfg["databases"] != "1" {
			t.Errorf("CONFIG GET * = %v", cfg)
		}
		wantErr(t, "CONFIG SET", rc.ConfigSet(ctx, "save", "").Err(), "ERR CONFIG SET is not supported")
	})

	t.Run("errors", func(t *testing.T) {
		wantErr(t, "unknown", rc.Do(ctx, "FOO", "bar", "baz").Err(), "ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' ")
		wantErr(t, "arity", rc.Do(ctx, "GET").Err(), "ERR wrong number of arguments for 'get' command")
		wantErr(t, "arity", rc.Do(ctx, "GET", "a", "b").Err(), "ERR wrong number of arguments for 'get' command")
		big := strings.Repeat("v", 1<<20+1)
		wantErr(t, "value over the limit", rc.Set(ctx, p+"big", big, 0).Err(), "ERR string of 1048577 bytes exceeds maximum allowed size (1048576 bytes")
		wantErr(t, "key over the limit", rc.Set(ctx, strings.Repeat("k", 1025), "v", 0).Err(), "ERR key of 1025 bytes exceeds maximum allowed size (1024 bytes")
		wantErr(t, "empty key", rc.Set(ctx, "", "v", 0).Err(), "ERR empty key")
		must("SET at the limit", rc.Set(ctx, p+"big", big[1:], 0).Err())
		wantErr(t, "APPEND past the limit", rc.Append(ctx, p+"big", "x").Err(), "ERR string of 1048577 bytes exceeds maximum allowed size")
		if v, err := rc.Ping(ctx).Result(); err != nil || v != "PONG" {
			t.Errorf("after the errors PING = %q, %v", v, err)
		}
	})
}

func TestPipelining(t *testing.T) {
	_, addr := startCluster(t, 8, nil)
	rc := newClient(t, addr, 2)
	ctx := context.Background()
	const n = 500
	pipe := rc.Pipeline()
	for i := range n {
		pipe.Set(ctx, fmt.Sprintf("pipe-%d", i), fmt.Sprintf("v%d", i), 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	gets := make([]*redis.StringCmd, n)
	for i := range n {
		gets[i] = pipe.Get(ctx, fmt.Sprintf("pipe-%d", i))
	}
	unknown := pipe.Do(ctx, "NOPE")
	last := pipe.Incr(ctx, "pipe-ctr")
	if _, err := pipe.Exec(ctx); err == nil {
		t.Error("a pipeline with an unknown command reported no error")
	}
	for i, g := range gets {
		if v, err := g.Result(); err != nil || v != fmt.Sprintf("v%d", i) {
			t.Fatalf("GET pipe-%d = %q, %v", i, v, err)
		}
	}
	wantErr(t, "unknown in a pipeline", unknown.Err(), "ERR unknown command 'NOPE'")
	if v, err := last.Result(); err != nil || v != 1 {
		t.Errorf("the command after the error = %d, %v", v, err)
	}
}

// TestConcurrentClients: many clients at once, each on its own keys and
// all on one counter: every value reads back, and the counter's INCRs
// return distinct values ending at their number.
func TestConcurrentClients(t *testing.T) {
	c, addr := startCluster(t, 8, nil)
	ctx := context.Background()
	const clients, each = 24, 20
	var mu sync.Mutex
	var incrs []int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for cl := range clients {
		wg.Add(1)
		go func() { // exits after its operations
			defer wg.Done()
			rc := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2 + cl%2, MaxRetries: -1})
			defer rc.Close()
			for i := range each {
				k := fmt.Sprintf("c%d-%d", cl, i)
				if err := rc.Set(ctx, k, k+"-value", 0).Err(); err != nil {
					errs <- fmt.Errorf("SET %s: %w", k, err)
					return
				}
				if v, err := rc.Get(ctx, k).Result(); err != nil || v != k+"-value" {
					errs <- fmt.Errorf("GET %s = %q, %w", k, v, err)
					return
				}
				n, err := rc.Incr(ctx, "shared").Result()
				if err != nil {
					errs <- fmt.Errorf("INCR: %w", err)
					return
				}
				mu.Lock()
				incrs = append(incrs, n)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	slices.Sort(incrs)
	for i, n := range incrs {
		if n != int64(i+1) {
			t.Fatalf("INCR results are not 1…%d: %v", len(incrs), incrs)
		}
	}
	rc := newClient(t, addr, 2)
	if v, _ := rc.Get(ctx, "shared").Int64(); v != int64(len(incrs)) {
		t.Errorf("shared = %d after %d INCRs", v, len(incrs))
	}
	// go-redis's handshake (HELLO, CLIENT SETINFO, CLIENT
	// MAINT_NOTIFICATIONS) gets no error reply either.
	if st, _ := c.RESP(); st.Errors != 0 || st.Connections < clients {
		t.Errorf("%d error replies over %d connections, want none", st.Errors, st.Connections)
	}
}

// rawConn is a client that speaks the protocol by hand.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *rawConn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{conn, bufio.NewReader(conn)}
}

func (c *rawConn) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
}

func (c *rawConn) line(t *testing.T) string {
	t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

// closed reports whether the server closed the connection (EOF).
func (c *rawConn) closed() bool {
	_, err := c.r.ReadByte()
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || err != nil && strings.Contains(err.Error(), "reset")
}

func TestProtocolErrorsCloseOnlyThatClient(t *testing.T) {
	c, addr := startCluster(t, 4, nil)
	good := dial(t, addr)
	good.send(t, "PING\r\n")
	if l := good.line(t); l != "+PONG" {
		t.Fatalf("inline PING = %q", l)
	}
	tests := []struct{ in, want string }{
		{"*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length"},
		{"*2\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'"},
		{"SET k \"unterminated\r\n", "-ERR Protocol error: unbalanced quotes in request"},
		{"*99999999\r\n", "-ERR Protocol error: invalid multibulk length"},
	}
	for _, tt := range tests {
		bad := dial(t, addr)
		bad.send(t, tt.in)
		if l := bad.line(t); l != tt.want {
			t.Errorf("%q: reply %q, want %q", tt.in, l, tt.want)
		}
		if !bad.closed() {
			t.Errorf("%q: the connection stayed open", tt.in)
		}
	}
	good.send(t, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv v\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
	if a, b, v := good.line(t), good.line(t), good.line(t); a != "+OK" || b != "$3" || v != "v v" {
		t.Errorf("the other client after the errors: %q %q %q", a, b, v)
	}
	st, _ := c.RESP()
	if st.ProtocolErrors != uint64(len(tests)) || st.Errors < st.ProtocolErrors {
		t.Errorf("stats: %d protocol errors, %d errors, want %d", st.ProtocolErrors, st.Errors, len(tests))
	}
}

// An argument over the value limit is refused after it is read through
// (not held), and the client can go on.
func TestOversizedBulkRefused(t *testing.T) {
	_, addr := startCluster(t, 4, nil)
	conn := dial(t, addr)
	const size = 8 << 20
	conn.send(t, fmt.Sprintf("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n", size))
	chunk := strings.Repeat("x", 64<<10)
	for sent := 0; sent < size; sent += len(chunk) {
		conn.send(t, chunk)
	}
	conn.send(t, "\r\n*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n")
	if l := conn.line(t); l != "-ERR string of 8388608 bytes exceeds maximum allowed size (1048576 bytes: no key or value is larger)" {
		t.Errorf("reply %q", l)
	}
	if l := conn.line(t); l != "$-1" {
		t.Errorf("GET big after the refused SET = %q, want $-1 (nothing written)", l)
	}
	// Even a command name over the limit is an error reply, not a crash.
	conn.send(t, fmt.Sprintf("*1\r\n$%d\r\n%s\r\nPING\r\n", 2<<20, strings.Repeat("P", 2<<20)))
	if l := conn.line(t); !strings.HasPrefix(l, "-ERR string of 2097152 bytes exceeds maximum allowed size") {
		t.Errorf("an oversized command name: %q", l)
	}
	if l := conn.line(t); l != "+PONG" {
		t.Errorf("PING after it = %q", l)
	}
}

func TestIdleAndMaxClients(t *testing.T) {
	c, addr := startCluster(t, 4, func(cfg *cluster.Config) {
		cfg.RESP.Idle = 200 * time.Millisecond
		cfg.RESP.MaxClients = 2
	})
	a, b := dial(t, addr), dial(t, addr)
	a.send(t, "PING\r\n")
	b.send(t, "PING\r\n")
	a.line(t)
	b.line(t)
	third := dial(t, addr)
	if l := third.line(t); l != "-ERR max number of clients reached" {
		t.Errorf("third client: %q", l)
	}
	if !third.closed() {
		t.Error("the refused client stayed connected")
	}
	// Both go idle: each is closed after the idle timeout.
	if !a.closed() || !b.closed() {
		t.Error("idle clients were not closed")
	}
	st, _ := c.RESP()
	if st.Rejected != 1 || st.IdleClosed != 2 {
		t.Errorf("stats: %d rejected, %d closed idle; want 1 and 2", st.Rejected, st.IdleClosed)
	}
	// Room again.
	d := dial(t, addr)
	d.send(t, "PING\r\n")
	if l := d.line(t); l != "+PONG" {
		t.Errorf("a new client after the idle ones left: %q", l)
	}
}

// TestViaNodeDown: the endpoint goes through --resp-via while it is alive
// and through the default origin while it is down.
func TestViaNodeDown(t *testing.T) {
	c, addr := startCluster(t, 6, func(cfg *cluster.Config) { cfg.RESP.Via = "n3" })
	rc := newClient(t, addr, 2)
	ctx := context.Background()
	if err := rc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.RESP(); st.Via != "n3" || st.Serving != "n3" {
		t.Fatalf("via %q serving %q, want n3 and n3", st.Via, st.Serving)
	}
	if err := c.Kill("n3"); err != nil {
		t.Fatal(err)
	}
	if v, err := rc.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Errorf("GET with the via node down = %q, %v", v, err)
	}
	if st, _ := c.RESP(); st.Serving != "n0" {
		t.Errorf("serving %q with n3 down, want n0 (the default origin)", st.Serving)
	}
	if info, _ := rc.Info(ctx, "chord").Result(); !strings.Contains(info, "via:n0") {
		t.Errorf("INFO chord with n3 down:\n%s", info)
	}
}

// With every node down a command is refused as CLUSTERDOWN, once, and a
// write is not said to have maybe taken effect: no node was asked.
func TestNoLiveNode(t *testing.T) {
	c, addr := startCluster(t, 2, nil)
	rc := newClient(t, addr, 2)
	ctx := context.Background()
	for _, n := range []string{"n0", "n1"} {
		if err := c.Kill(n); err != nil {
			t.Fatal(err)
		}
	}
	err := rc.Set(ctx, "k", "v", 0).Err()
	wantErr(t, "SET with no live node", err, "CLUSTERDOWN no live node")
	if msg := err.Error(); strings.Count(msg, "no live node") != 1 || strings.Contains(msg, "may or may not") {
		t.Errorf("SET with no live node: %q, want one cause and no doubt about the write", msg)
	}
}

// respGoroutines returns the stacks of the goroutines running the
// endpoint's code.
func respGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "dht/resp.(*Server)") || strings.Contains(g, "dht/resp.each") {
			out = append(out, g)
		}
	}
	return out
}

// TestCloseLeavesNothing: Close ends every client, the requests in
// progress and the accept loop; no goroutine of the endpoint is left.
func TestCloseLeavesNothing(t *testing.T) {
	cfg := cluster.DefaultConfig()
	cfg.Nodes = 4
	cfg.Network = cluster.NewMemNetwork(3)
	cfg.RESP.Addr = "127.0.0.1:0"
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := c.RESP()
	var conns []*rawConn
	for range 5 {
		conn := dial(t, st.Addr)
		conn.send(t, "PING\r\n")
		conn.line(t)
		conns = append(conns, conn)
	}
	conns[0].send(t, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nhalf") // a request cut short
	if n := len(respGoroutines()); n < 6 {
		t.Fatalf("%d endpoint goroutines before Close, want the accept loop and 5 clients", n)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waits for every client's goroutine to be done; one may still be
	// returning from its last deferred call when Close returns.
	deadline := time.Now().Add(5 * time.Second)
	left := respGoroutines()
	for len(left) != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		left = respGoroutines()
	}
	if len(left) != 0 {
		t.Errorf("%d endpoint goroutines after Close:\n%s", len(left), strings.Join(left, "\n\n"))
	}
	for i, conn := range conns {
		if !conn.closed() {
			t.Errorf("client %d still connected after Close", i)
		}
	}
	if conn, err := net.Dial("tcp", st.Addr); err == nil {
		conn.Close()
		t.Error("the endpoint still accepts connections after Close")
	}
}
