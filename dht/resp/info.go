package resp

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// infoSections are INFO's sections in order; "default", "all" and
// "everything" (or no argument) give them all.
var infoSections = []string{"server", "clients", "stats", "keyspace", "chord"}

func cmdInfo(_ context.Context, x *call) {
	want := map[string]bool{}
	for _, a := range x.args[1:] {
		switch sec := strings.ToLower(string(a)); sec {
		case "default", "all", "everything":
			for _, s := range infoSections {
				want[s] = true
			}
		default:
			want[sec] = true
		}
	}
	if len(x.args) == 1 {
		for _, s := range infoSections {
			want[s] = true
		}
	}
	x.w.bulkString(x.s.info(want))
}

// info renders the INFO sections in want.
func (s *Server) info(want map[string]bool) string {
	st := s.Stats()
	ring := s.ring.Info()
	var b strings.Builder
	section := func(name string, fields ...string) {
		if !want[strings.ToLower(name)] {
			return
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + name + "\r\n")
		for i := 0; i+1 < len(fields); i += 2 {
			b.WriteString(fields[i] + ":" + oneLine(fields[i+1]) + "\r\n")
		}
	}
	port := ""
	if _, p, err := net.SplitHostPort(st.Addr); err == nil {
		port = p
	}
	up := time.Since(s.start)
	section("Server",
		"redis_version", ProtocolVersion,
		"server_name", "chordtui",
		"redis_mode", "standalone",
		"os", runtime.GOOS+" "+runtime.GOARCH,
		"arch_bits", strconv.Itoa(strconv.IntSize),
		"process_id", strconv.Itoa(os.Getpid()),
		"tcp_port", port,
		"uptime_in_seconds", strconv.Itoa(int(up.Seconds())),
		"uptime_in_days", strconv.Itoa(int(up.Hours()/24)),
	)
	section("Clients",
		"connected_clients", strconv.Itoa(st.Clients),
		"maxclients", strconv.Itoa(st.MaxClients),
		"blocked_clients", "0",
		"idle_timeout_seconds", strconv.Itoa(int(st.Idle.Seconds())),
	)
	section("Stats",
		"total_connections_received", u(st.Connections),
		"total_commands_processed", u(st.Requests),
		"instantaneous_ops_per_sec", u(st.RequestsPerSec),
		"rejected_connections", u(st.Rejected),
		"total_error_replies", u(st.Errors),
		"instantaneous_errors_per_sec", u(st.ErrorsPerSec),
		"total_protocol_errors", u(st.ProtocolErrors),
		"idle_clients_closed", u(st.IdleClosed),
		"keyspace_hits", u(s.keyspaceHits.Load()),
		"keyspace_misses", u(s.keyMisses.Load()),
	)
	var ks []string
	if ring.Keys > 0 { // Redis lists only the databases that hold keys
		ks = []string{"db0", fmt.Sprintf("keys=%d,expires=0,avg_ttl=0", ring.Keys)}
	}
	section("Keyspace", ks...)
	state := "stable"
	if !ring.Stable {
		state = "not stable: " + ring.Reason
	}
	hops := "0.00"
	if st.Lookups > 0 {
		hops = fmt.Sprintf("%.2f", float64(st.Hops)/float64(st.Lookups))
	}
	section("Chord",
		"ring_nodes", strconv.Itoa(ring.Nodes),
		"ring_live_nodes", strconv.Itoa(ring.Live),
		"ring_stable", strconv.Itoa(btoi(ring.Stable)),
		"ring_state", state,
		"bits", strconv.Itoa(ring.Bits),
		"successors", strconv.Itoa(ring.Successors),
		"replicas", strconv.Itoa(ring.Replicas),
		"via", ring.Via,
		"lookups", u(st.Lookups),
		"lookup_hops_mean", hops,
		"keys_estimate", strconv.Itoa(ring.Keys),
		"keys_estimate_method", "sum of the keys each live node owns by its predecessor pointer (DBSIZE; exact when the ring is stable)",
	)
	return b.String()
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func cmdCommand(_ context.Context, x *call) {
	if len(x.args) == 1 {
		x.w.array(len(commandNames))
		for _, n := range commandNames {
			x.commandInfo(commands[n])
		}
		return
	}
	names := func() []string {
		if len(x.args) == 2 {
			return commandNames
		}
		var out []string
		for _, a := range x.args[2:] {
			out = append(out, strings.ToLower(string(a)))
		}
		return out
	}
	switch sub := strings.ToLower(string(x.args[1])); sub {
	case "count":
		x.w.integer(int64(len(commandNames)))
	case "list":
		x.w.array(len(commandNames))
		for _, n := range commandNames {
			x.w.bulkString(n)
		}
	case "info":
		ns := names()
		x.w.array(len(ns))
		for _, n := range ns {
			if c := commands[n]; c != nil {
				x.commandInfo(c)
			} else {
				x.w.null()
			}
		}
	case "docs":
		var cs []*command
		for _, n := range names() {
			if c := commands[n]; c != nil {
				cs = append(cs, c)
			}
		}
		x.w.mapOf(len(cs))
		for _, c := range cs {
			x.w.bulkString(c.name)
			x.commandDocs(c)
		}
	default:
		x.failf("ERR unknown subcommand '%s'. Try COMMAND HELP.", clip(x.args[1], 128))
	}
}

// commandInfo writes one command as COMMAND does (Redis 7's ten fields).
func (x *call) commandInfo(c *command) {
	w := x.w
	w.array(10)
	w.bulkString(c.name)
	w.integer(int64(c.arity))
	w.setOf(len(c.flags))
	for _, f := range c.flags {
		w.simple(f)
	}
	w.integer(int64(c.firstKey))
	w.integer(int64(c.lastKey))
	w.integer(int64(c.step))
	w.setOf(0) // ACL categories
	w.array(0) // tips
	w.array(0) // key specs
	w.array(0) // subcommands
}

// commandDocs writes one command's COMMAND DOCS map: summary, since and
// group (the fields Redis always gives), complexity and the arguments.
func (x *call) commandDocs(c *command) {
	w := x.w
	n := 4
	if len(c.args) > 0 {
		n++
	}
	w.mapOf(n)
	w.bulkString("summary")
	w.bulkString(c.summary)
	w.bulkString("since")
	w.bulkString(c.since)
	w.bulkString("group")
	w.bulkString(c.group)
	w.bulkString("complexity")
	w.bulkString(c.complexity)
	if len(c.args) > 0 {
		w.bulkString("arguments")
		x.argDocs(c.args)
	}
}

// argDocs writes the arguments of a command, or of a oneof or block.
func (x *call) argDocs(args []argDoc) {
	w := x.w
	w.array(len(args))
	for _, a := range args {
		n := 2
		for _, present := range []bool{a.token != "", len(a.flags) > 0, len(a.args) > 0} {
			if present {
				n++
			}
		}
		w.mapOf(n)
		w.bulkString("name")
		w.bulkString(a.name)
		w.bulkString("type")
		w.bulkString(a.typ)
		if a.token != "" {
			w.bulkString("token")
			w.bulkString(a.token)
		}
		if len(a.flags) > 0 {
			w.bulkString("flags")
			w.array(len(a.flags))
			for _, f := range a.flags {
				w.simple(f)
			}
		}
		if len(a.args) > 0 {
			w.bulkString("arguments")
			x.argDocs(a.args)
		}
	}
}
