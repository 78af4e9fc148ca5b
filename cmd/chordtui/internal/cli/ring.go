package cli

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/chordtui/chordtui/dht/cluster"
)

// ringFlags are the flags AddRingFlags adds: where the local nodes listen,
// and a ring to join or to attach to instead of forming one.
type ringFlags struct {
	listen string
	join   string
	attach string
	admin  bool
}

// AddRingFlags adds --listen HOST, --join ADDR, --attach ADDR and --admin
// (the REPL and the UI take them).
func (c *Command) AddRingFlags() {
	f := &ringFlags{}
	c.ring = f
	c.Flags.StringVar(&f.listen, "listen", cluster.DefaultConfig().Host, "the local nodes listen on this `host`'s address (0.0.0.0: every interface), so that nodes elsewhere can join them")
	c.Flags.StringVar(&f.join, "join", "", "the N local nodes join the ring of the node at this `address` (host:port) instead of forming their own, taking its identifier size, successors, replicas and periods unless given")
	c.Flags.StringVar(&f.attach, "attach", "", "start no node: observe and drive the ring of the node at this `address` (host:port); N is then left out")
	c.Flags.BoolVar(&f.admin, "admin", false, "the local nodes serve admin operations (pause, resume, delay, drop, partition, heal, kill) to programs attached to the ring")
}

// Attached reports whether --attach was given.
func (c *Command) Attached() bool { return c.ring != nil && c.ring.attach != "" }

// applyRing sets the cluster's host, join and attach from the flags; with
// --join or --attach it takes the ring's settings from the node named
// where no flag gives them.
func (c *Command) applyRing(ctx context.Context, cfg *cluster.Config) error {
	f := c.ring
	if f == nil {
		return nil
	}
	adv, err := advertiseHost(f.listen)
	if err != nil {
		return usageError{fmt.Errorf("--listen %s: %w", f.listen, err)}
	}
	cfg.Net.Advertise = adv
	cfg.Host, cfg.Join, cfg.Attach, cfg.Admin = f.listen, f.join, f.attach, f.admin
	if f.join != "" && f.attach != "" {
		return usageError{fmt.Errorf("--join and --attach exclude each other: join adds local nodes, attach starts none")}
	}
	at, flag := f.join, "--join"
	if f.attach != "" {
		at, flag = f.attach, "--attach"
		if c.Lecture() {
			return usageError{fmt.Errorf("--attach takes the ring's settings: leave --lecture out")}
		}
		if c.MountDir() != "" {
			return usageError{fmt.Errorf("--mount runs the file system on a node of this program, and --attach starts none: use chordtui repl N --join %s --mount %s", f.attach, c.MountDir())}
		}
		if c.resp != nil && c.resp.addr != "" {
			return usageError{fmt.Errorf("--resp serves through a node of this program, and --attach starts none: use chordtui repl N --join %s --resp %s", f.attach, c.resp.addr)}
		}
		cfg.Nodes = 0
	}
	if at == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(at); err != nil {
		return usageError{fmt.Errorf("%s %q: want HOST:PORT", flag, at)}
	}
	sc := cluster.DefaultStandaloneConfig()
	sc.Listen = net.JoinHostPort(f.listen, "0")
	key, err := c.Key()
	if err != nil {
		return usageError{err}
	}
	// Before anything listens there (asking the ring opens a transport).
	if err := CheckListenKey(f.listen, key); err != nil {
		return usageError{err}
	}
	sc.Net.Key = key
	ring, err := askRing(ctx, at, sc)
	if err != nil {
		return ringError{err}
	}
	sc.Chord, sc.DHT = cfg.Chord, cfg.DHT
	flagOf := map[string]string{"Bits": "bits", "R": "successors", "Replicas": "replicas", "Stabilize": "stabilize",
		"FixFingers": "fix-fingers", "CheckPredecessor": "check-pred", "Repair": "repair", "RPCTimeout": "rpc-timeout", "Liveness": "liveness"}
	sc.Adopt(ring, func(field string) bool { return f.attach == "" && c.IsSet(flagOf[field]) })
	if sc.Chord.Bits != ring.Bits {
		return usageError{fmt.Errorf("--bits %d: the ring at %s has %d-bit identifiers; leave --bits out to take them", sc.Chord.Bits, at, ring.Bits)}
	}
	cfg.Chord, cfg.DHT = sc.Chord, sc.DHT
	return nil
}

// advertisable refuses a host that a node cannot give its peers as its
// address: every interface (0.0.0.0, ::) is no address to call back.
// advertiseHost returns the host a node listening on host gives its peers
// as its address: "" (the same) unless host is every interface (0.0.0.0
// or ::), which no peer can dial; then this machine's address on the
// network, the source address of its route to the outside (no packet is
// sent), else its first non-loopback address.
func advertiseHost(host string) (string, error) {
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsUnspecified() {
		return "", nil
	}
	v4 := ip.To4() != nil
	probe := "192.0.2.1:9" // TEST-NET-1: a route is looked up, nothing is sent
	if !v4 {
		probe = "[2001:db8::1]:9"
	}
	if c, err := net.Dial("udp", probe); err == nil {
		local := c.LocalAddr().(*net.UDPAddr).IP
		c.Close()
		if !local.IsLoopback() && !local.IsUnspecified() {
			return local.String(), nil
		}
	}
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() && (n.IP.To4() != nil) == v4 {
				return n.IP.String(), nil
			}
		}
	}
	return "", errors.New("a node tells its peers its address, and this machine has none on a network: give the address to listen on (for example 192.168.1.20)")
}

// isRingError reports an error of askRing: the ring did not answer.
func isRingError(err error) bool {
	var r ringError
	return errors.As(err, &r)
}

// ringError marks an error as the ring's (no member answered).
type ringError struct{ err error }

func (e ringError) Error() string { return e.err.Error() }
func (e ringError) Unwrap() error { return e.err }
