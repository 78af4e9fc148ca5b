package resp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// command is one entry of the command table: what COMMAND and COMMAND
// DOCS report, and the function that runs it.
type command struct {
	name string
	// arity as Redis counts it, the name included: n exactly, or at least
	// -n when negative.
	arity int
	flags []string
	// firstKey, lastKey, step: where the keys are (0: none; -1: last).
	firstKey, lastKey, step    int
	group, summary, complexity string
	// since is the Redis version that added the command (COMMAND DOCS).
	since string
	// args documents the arguments for COMMAND DOCS.
	args []argDoc
	run  func(ctx context.Context, x *call)
}

// argDoc is one argument in COMMAND DOCS, as Redis describes arguments:
// a type (key, string, integer, pure-token, oneof, block), the token that
// introduces it, flags ("optional", "multiple") and, for oneof and block,
// the arguments it is made of.
type argDoc struct {
	name, typ, token string
	flags            []string
	args             []argDoc
}

// optional marks an argument optional.
var optional = []string{"optional"}

// call is one command being run.
type call struct {
	s    *Server
	c    *client
	w    *writer
	args [][]byte
	name string
}

// fail writes an error reply (and logs it at debug level).
func (x *call) fail(msg string) {
	x.w.error(msg)
	x.w.errs++
	if len(x.args) > 0 {
		x.s.log.Debug("resp: error reply", "client", x.c.id, "cmd", clip(x.args[0], 32), "reply", msg)
	}
}

func (x *call) failf(format string, args ...any) { x.fail(fmt.Sprintf(format, args...)) }

// commands is the command table, by lower-case name (filled by init: the
// functions refer to the table through COMMAND).
var commands map[string]*command

// commandNames lists commands in the order COMMAND reports them.
var commandNames []string

func init() {
	key := []argDoc{{name: "key", typ: "key"}}
	keys := []argDoc{{name: "key", typ: "key", flags: []string{"multiple"}}}
	table := []*command{
		{name: "ping", since: "1.0.0", arity: -1, flags: []string{"fast"}, group: "connection", summary: "Returns the server's liveliness response.", complexity: "O(1)",
			args: []argDoc{{name: "message", typ: "string", flags: optional}}, run: cmdPing},
		{name: "echo", since: "1.0.0", arity: 2, flags: []string{"fast"}, group: "connection", summary: "Returns the given string.", complexity: "O(1)",
			args: []argDoc{{name: "message", typ: "string"}}, run: cmdEcho},
		{name: "hello", since: "6.0.0", arity: -1, flags: []string{"noscript", "loading", "stale", "fast", "no_auth"}, group: "connection",
			summary: "Handshakes with the server: RESP2 or RESP3.", complexity: "O(1)",
			args: []argDoc{{name: "arguments", typ: "block", flags: optional, args: []argDoc{
				{name: "protover", typ: "integer"},
				{name: "username-password", typ: "block", token: "AUTH", flags: optional, args: []argDoc{{name: "username", typ: "string"}, {name: "password", typ: "string"}}},
				{name: "clientname", typ: "string", token: "SETNAME", flags: optional}}}}, run: cmdHello},
		{name: "auth", since: "1.0.0", arity: -2, flags: []string{"noscript", "loading", "stale", "fast", "no_auth"}, group: "connection",
			summary: "Authenticates the connection (there is no password: user default only).", complexity: "O(1)",
			args: []argDoc{{name: "username", typ: "string", flags: optional}, {name: "password", typ: "string"}}, run: cmdAuth},
		{name: "client", since: "2.4.0", arity: -2, flags: []string{"noscript", "loading", "stale"}, group: "connection",
			summary: "Client connection commands: ID, SETNAME, GETNAME, SETINFO, LIST, INFO (and MAINT_NOTIFICATIONS, accepted: there is no maintenance to notify).", complexity: "O(1)",
			args: []argDoc{{name: "subcommand", typ: "string"}}, run: cmdClient},
		{name: "select", since: "1.0.0", arity: 2, flags: []string{"loading", "stale", "fast"}, group: "connection",
			summary: "Selects database 0, the only one.", complexity: "O(1)",
			args: []argDoc{{name: "index", typ: "integer"}}, run: cmdSelect},
		{name: "quit", since: "1.0.0", arity: -1, flags: []string{"noscript", "loading", "stale", "fast", "no_auth"}, group: "connection",
			summary: "Closes the connection.", complexity: "O(1)", run: cmdQuit},
		{name: "get", since: "1.0.0", arity: 2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1, group: "string",
			summary: "Returns the value of a key: a lookup, then a read of its r copies.", complexity: "O(log N) in the ring size", args: key, run: cmdGet},
		{name: "set", since: "1.0.0", arity: -3, flags: []string{"write", "denyoom"}, firstKey: 1, lastKey: 1, step: 1, group: "string",
			summary:    "Sets the value of a key. NX, XX and GET are a conditional write, checked by every holder; EX, PX, EXAT and PXAT are refused (no expiry); KEEPTTL is accepted (there is none to keep).",
			complexity: "O(log N) in the ring size",
			args: []argDoc{{name: "key", typ: "key"}, {name: "value", typ: "string"},
				{name: "condition", typ: "oneof", flags: optional, args: []argDoc{{name: "nx", typ: "pure-token", token: "NX"}, {name: "xx", typ: "pure-token", token: "XX"}}},
				{name: "get", typ: "pure-token", token: "GET", flags: optional},
				{name: "expiration", typ: "oneof", flags: optional, args: []argDoc{{name: "keepttl", typ: "pure-token", token: "KEEPTTL"}}}}, run: cmdSet},
		{name: "del", since: "1.0.0", arity: -2, flags: []string{"write"}, firstKey: 1, lastKey: -1, step: 1, group: "generic",
			summary: "Deletes keys (each a conditional tombstone at its owner); returns how many existed.", complexity: "O(K log N)", args: keys, run: cmdDel},
		{name: "exists", since: "1.0.0", arity: -2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: -1, step: 1, group: "generic",
			summary: "Counts the keys that exist (a key given twice counts twice).", complexity: "O(K log N)", args: keys, run: cmdExists},
		{name: "mget", since: "1.0.0", arity: -2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: -1, step: 1, group: "string",
			summary: "Returns the values of keys (read at the same time).", complexity: "O(K log N)", args: keys, run: cmdMGet},
		{name: "mset", since: "1.0.1", arity: -3, flags: []string{"write", "denyoom"}, firstKey: 1, lastKey: -1, step: 2, group: "string",
			summary:    "Sets keys, each on its own: not atomic (the DHT has no multi-key transaction); on an error some may have been written.",
			complexity: "O(K log N)", args: []argDoc{{name: "data", typ: "block", flags: []string{"multiple"}, args: []argDoc{{name: "key", typ: "key"}, {name: "value", typ: "string"}}}}, run: cmdMSet},
		{name: "incr", since: "1.0.0", arity: 2, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1, group: "string",
			summary: "Adds one to an integer value: a read and a conditional write checked by every holder, atomic.", complexity: "O(log N)", args: key, run: cmdIncr},
		{name: "decr", since: "1.0.0", arity: 2, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1, group: "string",
			summary: "Subtracts one from an integer value, atomically (as INCR).", complexity: "O(log N)", args: key, run: cmdIncr},
		{name: "incrby", since: "1.0.0", arity: 3, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1, group: "string",
			summary: "Adds an integer to an integer value, atomically (as INCR).", complexity: "O(log N)",
			args: []argDoc{{name: "key", typ: "key"}, {name: "increment", typ: "integer"}}, run: cmdIncr},
		{name: "decrby", since: "1.0.0", arity: 3, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1, group: "string",
			summary: "Subtracts an integer from an integer value, atomically (as INCR).", complexity: "O(log N)",
			args: []argDoc{{name: "key", typ: "key"}, {name: "decrement", typ: "integer"}}, run: cmdIncr},
		{name: "strlen", since: "2.2.0", arity: 2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1, group: "string",
			summary: "Returns the length of a value (0 for a missing key).", complexity: "O(log N)", args: key, run: cmdStrlen},
		{name: "append", since: "2.0.0", arity: 3, flags: []string{"write", "denyoom", "fast"}, firstKey: 1, lastKey: 1, step: 1, group: "string",
			summary: "Appends to a value, atomically (a read and a conditional write checked by every holder).", complexity: "O(log N)",
			args: []argDoc{{name: "key", typ: "key"}, {name: "value", typ: "string"}}, run: cmdAppend},
		{name: "dbsize", since: "1.0.0", arity: 1, flags: []string{"readonly", "fast"}, group: "server",
			summary:    "An estimate of the number of keys: the sum of the keys each live node owns by its predecessor pointer (exact when the ring is stable).",
			complexity: "O(N)", run: cmdDBSize},
		{name: "info", since: "1.0.0", arity: -1, flags: []string{"loading", "stale"}, group: "server",
			summary: "Server, clients, stats, keyspace and chord (ring size, stable, hops) sections.", complexity: "O(N)",
			args: []argDoc{{name: "section", typ: "string", flags: []string{"optional", "multiple"}}}, run: cmdInfo},
		{name: "command", since: "2.8.13", arity: -1, flags: []string{"loading", "stale"}, group: "server",
			summary: "Describes the commands: COMMAND, COMMAND COUNT, COMMAND DOCS, COMMAND INFO, COMMAND LIST.", complexity: "O(C)", run: cmdCommand},
		{name: "config", since: "2.0.0", arity: -2, flags: []string{"admin", "noscript", "loading", "stale"}, group: "server",
			summary: "CONFIG GET reads settings (the flags of chordtui); CONFIG SET is refused.", complexity: "O(1)",
			args: []argDoc{{name: "subcommand", typ: "string"}}, run: cmdConfig},
	}
	commands = make(map[string]*command, len(table))
	for _, c := range table {
		commands[c.name] = c
		commandNames = append(commandNames, c.name)
	}
}

// exec runs one request and counts its reply.
func (s *Server) exec(ctx context.Context, c *client, req *request, w *writer) {
	errsBefore := w.errs
	x := &call{s: s, c: c, w: w, args: req.args}
	defer func() {
		if p := recover(); p != nil { // a bug ends one client, never the process
			s.log.Error("resp: internal error", "panic", p)
			x.failf("ERR internal error: %v", p)
			c.quit = true // the reply may have been cut in the middle
		}
		s.count(w.errs != errsBefore)
	}()
	if req.dropped >= 0 {
		if req.droppedLen > int64(max(s.cfg.MaxKeySize, s.cfg.MaxValueSize)) {
			x.failf("ERR string of %d bytes exceeds maximum allowed size (%d bytes: no key or value is larger)", req.droppedLen, max(s.cfg.MaxKeySize, s.cfg.MaxValueSize))
			return
		}
		x.failf("ERR request of %d bytes exceeds maximum allowed size (%d bytes of arguments)", req.size, s.cfg.MaxRequestBytes)
		return
	}
	var lower [32]byte
	name := req.args[0]
	if len(name) <= len(lower) {
		for i, ch := range name {
			if 'A' <= ch && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			lower[i] = ch
		}
		if cmd := commands[string(lower[:len(name)])]; cmd != nil {
			x.name = cmd.name
			if cmd.arity > 0 && len(req.args) != cmd.arity || cmd.arity < 0 && len(req.args) < -cmd.arity {
				x.failf("ERR wrong number of arguments for '%s' command", cmd.name)
				return
			}
			ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
			defer cancel()
			cmd.run(ctx, x)
			return
		}
	}
	x.fail(unknownCommand(req.args))
}

// unknownCommand words Redis's reply to a command it does not know.
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ERR unknown command '%s', with args beginning with: ", clip(args[0], 128))
	for _, a := range args[1:] {
		if b.Len() > 256 {
			break
		}
		fmt.Fprintf(&b, "'%s' ", clip(a, 128))
	}
	return b.String()
}

// clip returns at most n bytes of b as a string.
func clip(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// --- connection commands ---

func cmdPing(_ context.Context, x *call) {
	switch len(x.args) {
	case 1:
		x.w.simple("PONG")
	case 2:
		x.w.bulk(x.args[1])
	default:
		x.failf("ERR wrong number of arguments for '%s' command", x.name)
	}
}

func cmdEcho(_ context.Context, x *call) { x.w.bulk(x.args[1]) }

func cmdQuit(_ context.Context, x *call) {
	x.w.simple("OK")
	x.c.quit = true
}

func cmdSelect(_ context.Context, x *call) {
	n, err := strconv.ParseInt(string(x.args[1]), 10, 64)
	switch {
	case err != nil:
		x.fail("ERR value is not an integer or out of range")
	case n != 0:
		x.fail("ERR DB index is out of range (chordtui has database 0 only)")
	default:
		x.w.simple("OK")
	}
}

// ProtocolVersion is the Redis version the endpoint's replies follow
// (HELLO's version, INFO's redis_version): the commands it has behave as
// Redis 7.0's do, within the limits its documentation lists.
const ProtocolVersion = "7.0.0"

func cmdHello(_ context.Context, x *call) {
	proto := x.w.proto
	args := x.args[1:]
	if len(args) > 0 {
		v, err := strconv.Atoi(string(args[0]))
		if err != nil {
			x.fail("ERR Protocol version is not an integer or out of range")
			return
		}
		if v != 2 && v != 3 {
			x.fail("NOPROTO unsupported protocol version")
			return
		}
		proto = v
		args = args[1:]
	}
	name, setName := "", false
	for len(args) > 0 {
		switch opt := strings.ToLower(string(args[0])); {
		case opt == "auth" && len(args) >= 3:
			if msg := authError(string(args[1])); msg != "" {
				x.fail(msg)
				return
			}
			args = args[3:]
		case opt == "setname" && len(args) >= 2:
			if !validName(args[1]) {
				x.fail("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
			name, setName = string(args[1]), true
			args = args[2:]
		default:
			x.failf("ERR Syntax error in HELLO option '%s'", clip(args[0], 128))
			return
		}
	}
	if setName {
		x.c.name = name
	}
	x.w.proto = proto
	x.w.mapOf(7)
	x.w.bulkString("server")
	x.w.bulkString("chordtui")
	x.w.bulkString("version")
	x.w.bulkString(ProtocolVersion)
	x.w.bulkString("proto")
	x.w.integer(int64(proto))
	x.w.bulkString("id")
	x.w.integer(x.c.id)
	x.w.bulkString("mode")
	x.w.bulkString("standalone")
	x.w.bulkString("role")
	x.w.bulkString("master")
	x.w.bulkString("modules")
	x.w.array(0)
}

// authError is the reply to AUTH for user (the default user has no
// password, as a Redis without requirepass): "" for the default user.
func authError(user string) string {
	if user == "default" {
		return ""
	}
	return "WRONGPASS invalid username-password pair or user is disabled."
}

func cmdAuth(_ context.Context, x *call) {
	if len(x.args) == 2 {
		x.fail("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	if len(x.args) != 3 {
		x.fail("ERR syntax error")
		return
	}
	if msg := authError(string(x.args[1])); msg != "" {
		x.fail(msg)
		return
	}
	x.w.simple("OK")
}

// validName reports whether a client name has no spaces or control
// characters, as Redis requires.
func validName(b []byte) bool {
	for _, c := range b {
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}

func cmdClient(_ context.Context, x *call) {
	sub := strings.ToLower(string(x.args[1]))
	arity := map[string]int{"id": 2, "getname": 2, "setname": 3, "setinfo": 4, "list": -2, "info": 2, "help": 2, "maint_notifications": -3}
	want, ok := arity[sub]
	if !ok {
		x.failf("ERR unknown subcommand '%s'. Try CLIENT HELP.", clip(x.args[1], 128))
		return
	}
	if want > 0 && len(x.args) != want || want < 0 && len(x.args) < -want {
		x.failf("ERR wrong number of arguments for 'client|%s' command", sub)
		return
	}
	switch sub {
	case "id":
		x.w.integer(x.c.id)
	case "getname":
		if x.c.name == "" {
			x.w.null()
			return
		}
		x.w.bulkString(x.c.name)
	case "setname":
		if !validName(x.args[2]) {
			x.fail("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		x.c.name = string(x.args[2])
		x.w.simple("OK")
	case "setinfo":
		switch attr := strings.ToLower(string(x.args[2])); attr {
		case "lib-name":
			x.c.libName = string(x.args[3])
		case "lib-ver":
			x.c.libVer = string(x.args[3])
		default:
			x.failf("ERR Unrecognized option '%s'", clip(x.args[2], 128))
			return
		}
		x.w.simple("OK")
	case "maint_notifications":
		// Clients (go-redis) ask for notices of planned maintenance; this
		// server has none to send, so any setting is kept by sending none.
		x.w.simple("OK")
	case "info":
		x.w.bulkString(x.s.clientLine(x.c, x.w.proto) + "\n")
	case "list":
		x.w.bulkString(x.s.clientList())
	case "help":
		lines := []string{
			"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"ID", "    Return the ID of the current connection.",
			"GETNAME", "    Return the name of the current connection.",
			"SETNAME <name>", "    Assign the name <name> to the current connection.",
			"SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client meta attr.",
			"INFO", "    Return information about the current client connection.",
			"LIST", "    Return information about client connections.",
		}
		x.w.array(len(lines))
		for _, l := range lines {
			x.w.simple(l)
		}
	}
}

// clientLine describes a client as CLIENT LIST does, in part. Only c's
// own goroutine reads its name fields, so this is for c itself.
func (s *Server) clientLine(c *client, proto int) string {
	return fmt.Sprintf("id=%d addr=%s laddr=%s name=%s age=%d db=0 lib-name=%s lib-ver=%s resp=%d",
		c.id, c.conn.RemoteAddr(), c.conn.LocalAddr(), c.name, int(time.Since(c.created).Seconds()), c.libName, c.libVer, proto)
}

// clientList lists the connected clients (id, address, age).
func (s *Server) clientList() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for c := range s.clients {
		fmt.Fprintf(&b, "id=%d addr=%s laddr=%s age=%d db=0\n", c.id, c.conn.RemoteAddr(), c.conn.LocalAddr(), int(time.Since(c.created).Seconds()))
	}
	return b.String()
}

// --- data commands ---

// retryable reports whether an operation that wrote nothing may succeed
// if tried again a moment later, through the node that serves then.
func retryable(err error) bool {
	return errors.Is(err, dht.ErrUnavailable) || errors.Is(err, chord.ErrStopped)
}

// through runs op on the store of the node that serves now, again after
// RetryPause while it fails in a way that wrote nothing and may pass
// (retryable, again reports so), at most Attempts times in all.
func (s *Server) through(ctx context.Context, op func(st Store, via string) (again bool, err error)) error {
	for attempt := 1; ; attempt++ {
		st, via, err := s.ring.Via()
		if err != nil {
			return &noNodeError{err}
		}
		again, err := op(st, via)
		if err == nil || !again || attempt >= s.cfg.Attempts || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(s.cfg.RetryPause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// noNodeError: no node could serve the request.
type noNodeError struct{ err error }

func (e *noNodeError) Error() string { return e.err.Error() }
func (e *noNodeError) Unwrap() error { return e.err }

// lookedUp counts one DHT operation's lookup (op of key, through the node
// named via) and keeps it as the newest (LastLookup).
func (s *Server) lookedUp(op, key, via string, lr chord.LookupResult) {
	s.lookups.Add(1)
	s.hops.Add(uint64(max(lr.Hops, 0)))
	s.last.Store(&Lookup{Op: op, Key: key, Via: via, At: time.Now(), Lookup: lr})
}

// Lookup is a lookup a command made: for Op ("get", "set", and "read" and
// "write" for the two steps of a read-modify-write) of Key, through the
// node named Via, at At.
type Lookup struct {
	Op, Key, Via string
	At           time.Time
	Lookup       chord.LookupResult
}

// LastLookup returns the newest lookup the commands made; false before
// the first.
func (s *Server) LastLookup() (Lookup, bool) {
	l := s.last.Load()
	if l == nil {
		return Lookup{}, false
	}
	return *l, true
}

func (s *Server) get(ctx context.Context, key string) (dht.GetResult, error) {
	var gr dht.GetResult
	err := s.through(ctx, func(st Store, via string) (bool, error) {
		var err error
		gr, err = st.Get(ctx, key)
		s.lookedUp("get", key, via, gr.Lookup)
		return retryable(err), err
	})
	if err == nil {
		if gr.Found {
			s.keyspaceHits.Add(1)
		} else {
			s.keyMisses.Add(1)
		}
	}
	return gr, err
}

func (s *Server) set(ctx context.Context, key string, value []byte) error {
	return s.through(ctx, func(st Store, via string) (bool, error) {
		pr, err := st.Set(ctx, key, value)
		s.lookedUp("set", key, via, pr.Lookup)
		// Writing again is safe: a new write of the same value.
		return retryable(err), err
	})
}

// update runs an Update through the node that serves now, again only
// while it wrote nothing.
func (s *Server) update(ctx context.Context, key string, fn func([]byte, bool) (dht.Change, error)) (dht.UpdateResult, error) {
	var res dht.UpdateResult
	err := s.through(ctx, func(st Store, via string) (bool, error) {
		var err error
		res, err = st.Update(ctx, key, fn)
		s.lookedUp("read", key, via, res.Read.Lookup)
		if res.Put.Owner.Addr != "" {
			s.lookedUp("write", key, via, res.Put.Lookup)
		}
		var fe *funcError
		return !res.MayHaveWritten && !errors.As(err, &fe) && retryable(err), err
	})
	return res, err
}

// funcError is an error an Update's function returns: the command's own
// answer (not an integer, too long), written as it is.
type funcError struct{ msg string }

func (e *funcError) Error() string { return e.msg }

// checkKey refuses a key the DHT would refuse, with Redis's words.
func (x *call) checkKey(key []byte) bool {
	switch {
	case len(key) == 0:
		x.fail("ERR empty key: chordtui's DHT has no empty key")
		return false
	case len(key) > x.s.cfg.MaxKeySize:
		x.failf("ERR key of %d bytes exceeds maximum allowed size (%d bytes, the DHT's key limit)", len(key), x.s.cfg.MaxKeySize)
		return false
	}
	return true
}

func (x *call) checkValue(v []byte) bool {
	if len(v) > x.s.cfg.MaxValueSize {
		x.failf("ERR string of %d bytes exceeds maximum allowed size (%d bytes, the DHT's value limit)", len(v), x.s.cfg.MaxValueSize)
		return false
	}
	return true
}

// dataError writes the reply for a failed DHT operation; write says the
// operation may have written (then the reply says it may or may not have
// taken effect).
func (x *call) dataError(err error, write bool) {
	var fe *funcError
	var nn *noNodeError
	var msg string
	switch {
	case errors.As(err, &fe):
		x.fail(fe.msg)
		return
	case errors.As(err, &nn):
		x.fail("CLUSTERDOWN " + err.Error()) // no node was asked: nothing written
		return
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("ERR timed out after %v: %v", x.s.cfg.OpTimeout, err)
	case errors.Is(err, dht.ErrConflict):
		msg = "TRYAGAIN " + err.Error()
	case errors.Is(err, dht.ErrUnavailable), errors.Is(err, chord.ErrStopped):
		msg = "TRYAGAIN " + err.Error()
	default:
		msg = "ERR " + err.Error()
	}
	if write {
		msg += " (the write may or may not have taken effect)"
	}
	x.fail(msg)
}

func cmdGet(ctx context.Context, x *call) {
	if !x.checkKey(x.args[1]) {
		return
	}
	gr, err := x.s.get(ctx, string(x.args[1]))
	switch {
	case err != nil:
		x.dataError(err, false)
	case !gr.Found:
		x.w.null()
	default:
		x.w.bulk(gr.Value)
	}
}

func cmdStrlen(ctx context.Context, x *call) {
	if !x.checkKey(x.args[1]) {
		return
	}
	gr, err := x.s.get(ctx, string(x.args[1]))
	if err != nil {
		x.dataError(err, false)
		return
	}
	x.w.integer(int64(len(gr.Value)))
}

// setOptions are SET's options.
type setOptions struct {
	nx, xx, get bool
}

func parseSetOptions(args [][]byte) (setOptions, string) {
	var o setOptions
	expiry := ""
	for i := 0; i < len(args); i++ {
		switch opt := strings.ToUpper(string(args[i])); opt {
		case "NX":
			o.nx = true
		case "XX":
			o.xx = true
		case "GET":
			o.get = true
		case "KEEPTTL":
			if expiry != "" {
				return o, "ERR syntax error"
			}
			expiry = opt
		case "EX", "PX", "EXAT", "PXAT":
			if expiry != "" || i+1 == len(args) {
				return o, "ERR syntax error"
			}
			n, err := strconv.ParseInt(string(args[i+1]), 10, 64)
			if err != nil {
				return o, "ERR value is not an integer or out of range"
			}
			if n <= 0 {
				return o, "ERR invalid expire time in 'set' command"
			}
			expiry = opt
			i++
		default:
			return o, "ERR syntax error"
		}
	}
	if o.nx && o.xx {
		return o, "ERR syntax error"
	}
	if expiry != "" && expiry != "KEEPTTL" {
		return o, "ERR SET " + expiry + " is not supported: chordtui's DHT keeps no expiry times (SET without it writes the value for good)"
	}
	return o, ""
}

func cmdSet(ctx context.Context, x *call) {
	key, value := x.args[1], x.args[2]
	opts, msg := parseSetOptions(x.args[3:])
	if msg != "" {
		x.fail(msg)
		return
	}
	if !x.checkKey(key) || !x.checkValue(value) {
		return
	}
	if !opts.nx && !opts.xx && !opts.get {
		if err := x.s.set(ctx, string(key), value); err != nil {
			x.dataError(err, true)
			return
		}
		x.w.simple("OK")
		return
	}
	var old []byte
	var had bool
	res, err := x.s.update(ctx, string(key), func(v []byte, found bool) (dht.Change, error) {
		old, had = v, found
		if opts.nx && found || opts.xx && !found {
			return dht.Change{Keep: true}, nil
		}
		return dht.Change{Value: value}, nil
	})
	switch {
	case err != nil:
		x.dataError(err, res.MayHaveWritten)
	case opts.get && had:
		x.w.bulk(old)
	case opts.get, !res.Written:
		x.w.null()
	default:
		x.w.simple("OK")
	}
}

func cmdDel(ctx context.Context, x *call) {
	for _, k := range x.args[1:] {
		if !x.checkKey(k) {
			return
		}
	}
	n := 0
	for _, k := range x.args[1:] {
		res, err := x.s.update(ctx, string(k), func(_ []byte, found bool) (dht.Change, error) {
			return dht.Change{Delete: found, Keep: !found}, nil
		})
		if err != nil {
			x.dataError(fmt.Errorf("key %s: %w (after %d of the keys before it were deleted)", strconv.Quote(clip(k, 40)), err, n), res.MayHaveWritten)
			return
		}
		if res.Written {
			n++
		}
	}
	x.w.integer(int64(n))
}

func cmdExists(ctx context.Context, x *call) {
	vals, err := x.readAll(ctx, x.args[1:])
	if err != nil {
		return
	}
	n := 0
	for _, v := range vals {
		if v.Found {
			n++
		}
	}
	x.w.integer(int64(n))
}

func cmdMGet(ctx context.Context, x *call) {
	vals, err := x.readAll(ctx, x.args[1:])
	if err != nil {
		return
	}
	x.w.array(len(vals))
	for _, v := range vals {
		if v.Found {
			x.w.bulk(v.Value)
		} else {
			x.w.null()
		}
	}
}

// fanOut bounds how many keys of one MGET, EXISTS or MSET are read or
// written at once.
const fanOut = 16

// each runs op on every key of keys, fanOut at a time, and returns the
// first error with the key it came from.
func each(n int, op func(i int) error) (int, error) {
	errs := make([]error, n)
	sem := make(chan struct{}, fanOut)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() { // exits when op returns (bounded by the command's ctx)
			defer func() { <-sem; wg.Done() }()
			errs[i] = op(i)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return i, err
		}
	}
	return -1, nil
}

// readAll reads keys at the same time; on an error it has written the
// error reply.
func (x *call) readAll(ctx context.Context, keys [][]byte) ([]dht.GetResult, error) {
	for _, k := range keys {
		if !x.checkKey(k) {
			return nil, errors.New("bad key")
		}
	}
	out := make([]dht.GetResult, len(keys))
	if i, err := each(len(keys), func(i int) error {
		var err error
		out[i], err = x.s.get(ctx, string(keys[i]))
		return err
	}); err != nil {
		x.dataError(fmt.Errorf("key %s: %w", strconv.Quote(clip(keys[i], 40)), err), false)
		return nil, err
	}
	return out, nil
}

func cmdMSet(ctx context.Context, x *call) {
	pairs := x.args[1:]
	if len(pairs)%2 != 0 {
		x.failf("ERR wrong number of arguments for '%s' command", x.name)
		return
	}
	for i := 0; i < len(pairs); i += 2 {
		if !x.checkKey(pairs[i]) || !x.checkValue(pairs[i+1]) {
			return
		}
	}
	if i, err := each(len(pairs)/2, func(i int) error {
		return x.s.set(ctx, string(pairs[2*i]), pairs[2*i+1])
	}); err != nil {
		x.dataError(fmt.Errorf("MSET is not atomic: key %s failed: %w; the other keys may have been written", strconv.Quote(clip(pairs[2*i], 40)), err), true)
		return
	}
	x.w.simple("OK")
}

// parseInt parses a decimal integer as Redis does (string2ll): no sign
// but a minus, no leading zeros, no spaces.
func parseInt(b []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != string(b) {
		return 0, false
	}
	return n, true
}

func cmdIncr(ctx context.Context, x *call) {
	by := int64(1)
	switch x.name {
	case "decr":
		by = -1
	case "incrby", "decrby":
		n, ok := parseInt(x.args[2])
		if !ok {
			x.fail("ERR value is not an integer or out of range")
			return
		}
		if x.name == "decrby" {
			if n == math.MinInt64 {
				x.fail("ERR decrement would overflow")
				return
			}
			n = -n
		}
		by = n
	}
	if !x.checkKey(x.args[1]) {
		return
	}
	var next int64
	res, err := x.s.update(ctx, string(x.args[1]), func(v []byte, found bool) (dht.Change, error) {
		cur := int64(0)
		if found {
			var ok bool
			if cur, ok = parseInt(v); !ok {
				return dht.Change{}, &funcError{"ERR value is not an integer or out of range"}
			}
		}
		if by > 0 && cur > math.MaxInt64-by || by < 0 && cur < math.MinInt64-by {
			return dht.Change{}, &funcError{"ERR increment or decrement would overflow"}
		}
		next = cur + by
		return dht.Change{Value: strconv.AppendInt(nil, next, 10)}, nil
	})
	if err != nil {
		x.dataError(err, res.MayHaveWritten)
		return
	}
	x.w.integer(next)
}

func cmdAppend(ctx context.Context, x *call) {
	if !x.checkKey(x.args[1]) {
		return
	}
	add := x.args[2]
	var n int
	res, err := x.s.update(ctx, string(x.args[1]), func(v []byte, _ bool) (dht.Change, error) {
		if len(v)+len(add) > x.s.cfg.MaxValueSize {
			return dht.Change{}, &funcError{fmt.Sprintf("ERR string of %d bytes exceeds maximum allowed size (%d bytes, the DHT's value limit)", len(v)+len(add), x.s.cfg.MaxValueSize)}
		}
		next := append(append(make([]byte, 0, len(v)+len(add)), v...), add...)
		n = len(next)
		return dht.Change{Value: next}, nil
	})
	if err != nil {
		x.dataError(err, res.MayHaveWritten)
		return
	}
	x.w.integer(int64(n))
}

func cmdDBSize(_ context.Context, x *call) { x.w.integer(int64(x.s.ring.Info().Keys)) }

// --- server commands ---

// configParams are what CONFIG GET reports: what redis-benchmark and
// other tools ask, with the values that describe chordtui.
func (s *Server) configParams() [][2]string {
	idle := "0"
	if s.cfg.Idle > 0 {
		idle = strconv.Itoa(int(s.cfg.Idle.Seconds()))
	}
	return [][2]string{
		{"appendonly", "no"},
		{"databases", "1"},
		{"maxclients", strconv.Itoa(s.cfg.MaxClients)},
		{"maxmemory", "0"},
		{"proto-max-bulk-len", strconv.Itoa(s.cfg.MaxValueSize)},
		{"save", ""},
		{"timeout", idle},
	}
}

func cmdConfig(_ context.Context, x *call) {
	sub := strings.ToLower(string(x.args[1]))
	switch sub {
	case "get":
		if len(x.args) < 3 {
			x.fail("ERR wrong number of arguments for 'config|get' command")
			return
		}
		var hits [][2]string
		for _, p := range x.s.configParams() {
			for _, pat := range x.args[2:] {
				if ok, _ := path.Match(strings.ToLower(string(pat)), p[0]); ok {
					hits = append(hits, p)
					break
				}
			}
		}
		x.w.mapOf(len(hits))
		for _, h := range hits {
			x.w.bulkString(h[0])
			x.w.bulkString(h[1])
		}
	case "set", "resetstat", "rewrite":
		x.failf("ERR CONFIG %s is not supported: chordtui's settings are its command-line flags", strings.ToUpper(sub))
	default:
		x.failf("ERR unknown subcommand '%s'. Try CONFIG HELP.", clip(x.args[1], 128))
	}
}
