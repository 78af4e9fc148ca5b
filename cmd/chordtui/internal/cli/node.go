package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
)

// nodeFlags are the flags of chordtui node (AddNodeFlags), beside the
// cluster's.
type nodeFlags struct {
	listen string
	join   string
	name   string
	id     string
	admin  bool
	json   bool
}

// AddNodeFlags adds the flags of "chordtui node": one node in this
// process, which takes no N.
func (c *Command) AddNodeFlags() {
	f := &nodeFlags{}
	c.node = f
	c.Flags.StringVar(&f.listen, "listen", "127.0.0.1:0", "listen on this `address` (host:port; port 0 picks a free one)")
	c.Flags.StringVar(&f.join, "join", "", "join the ring through the node at this `address` (host:port), taking its identifier size, successors, replicas and periods unless given; without it the node starts a new ring")
	c.Flags.StringVar(&f.name, "name", "", "the node's `name` in logs and on attached screens (default n- and the first hex digits of its identifier; N and its decimal identifier on a ring of m ≤ 10)")
	c.Flags.StringVar(&f.id, "id", "", "the node's `identifier`: decimal, or hex after 0x (default: SHA-1 of its address)")
	c.Flags.BoolVar(&f.admin, "admin", false, "serve admin operations (pause, resume, delay, drop, partition, heal, kill) to attached programs")
	c.Flags.BoolVar(&f.json, "json", false, "print the start line and the leave line as JSON objects")
}

// JSON reports whether --json was given (AddNodeFlags).
func (c *Command) JSON() bool { return c.node != nil && c.node.json }

// ParseNoN parses args of a subcommand that takes flags only.
func (c *Command) ParseNoN(args []string) error {
	pos, err := parseInterspersed(c.Flags, args)
	if errors.Is(err, flag.ErrHelp) {
		c.Usage()
		return err
	}
	if err != nil {
		return c.flagError(err)
	}
	if len(pos) > 0 {
		return fmt.Errorf("takes no arguments, got %s (%s -h lists the flags)", strings.Join(pos, " "), c.Name)
	}
	return nil
}

// StandaloneConfig builds the node's configuration from the flags: with
// --join, the ring's settings (asked of the node at that address) where
// no flag gives them. The log goes to --log, else to stderr; the caller
// closes the returned closer when the node has stopped. A bad flag is the
// user's error (ExitStatus); a ring that does not answer is not.
func (c *Command) StandaloneConfig(ctx context.Context, stderr io.Writer) (cluster.StandaloneConfig, io.Closer, error) {
	f := c.node
	cf := c.cluster
	for _, name := range []string{"vnodes", "seed"} {
		if c.IsSet(name) {
			return cluster.StandaloneConfig{}, nopCloser{}, usageError{fmt.Errorf("--%s is for a cluster of nodes, not for one node (give --id for a chosen identifier)", name)}
		}
	}
	base := cluster.DefaultConfig()
	cc := cf.config(base, false, c.IsSet)
	cfg := cluster.DefaultStandaloneConfig()
	cfg.Listen, cfg.Join, cfg.Name, cfg.Admin = f.listen, f.join, f.name, f.admin
	if host, _, err := net.SplitHostPort(f.listen); err == nil {
		adv, err := advertiseHost(host)
		if err != nil {
			return cfg, nopCloser{}, usageError{fmt.Errorf("--listen %s: %w", f.listen, err)}
		}
		cfg.Net.Advertise = adv
	}
	cfg.Chord, cfg.DHT = cc.Chord, cc.DHT
	key, err := c.Key()
	if err != nil {
		return cfg, nopCloser{}, usageError{err}
	}
	if err := CheckListenKey(f.listen, key); err != nil {
		return cfg, nopCloser{}, usageError{err}
	}
	cfg.Net.Key = key
	if f.join == "" {
		cfg.Net.Ring = rand.Uint64() | 1 // a new ring; a joiner learns its ring from the contact
	}
	if f.join != "" {
		if _, _, err := net.SplitHostPort(f.join); err != nil {
			return cfg, nopCloser{}, usageError{fmt.Errorf("--join %q: want HOST:PORT", f.join)}
		}
		ring, err := askRing(ctx, f.join, cfg)
		if err != nil {
			return cfg, nopCloser{}, err
		}
		flagOf := map[string]string{"Bits": "bits", "R": "successors", "Replicas": "replicas", "Stabilize": "stabilize",
			"FixFingers": "fix-fingers", "CheckPredecessor": "check-pred", "Repair": "repair", "RPCTimeout": "rpc-timeout", "Liveness": "liveness"}
		cfg.Adopt(ring, func(field string) bool { return c.IsSet(flagOf[field]) })
		if cfg.Chord.Bits != ring.Bits {
			return cfg, nopCloser{}, usageError{fmt.Errorf("--bits %d: the ring at %s has %d-bit identifiers; leave --bits out to take them", cfg.Chord.Bits, f.join, ring.Bits)}
		}
	}
	if f.id != "" {
		id, err := parseNodeID(cfg.Chord.Bits, f.id)
		if err != nil {
			return cfg, nopCloser{}, usageError{fmt.Errorf("--id %s: %w", f.id, err)}
		}
		cfg.ID, cfg.HasID = id, true
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nopCloser{}, usageError{err}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cf.logLevel)); err != nil {
		return cfg, nopCloser{}, usageError{fmt.Errorf("--log-level %q: %w", cf.logLevel, err)}
	}
	opts := &slog.HandlerOptions{Level: level}
	if cf.logFile == "" {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, opts))
		return cfg, nopCloser{}, nil
	}
	file, err := os.OpenFile(cf.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return cfg, nopCloser{}, usageError{fmt.Errorf("--log: %w", err)}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(file, opts))
	return cfg, file, nil
}

// askRing asks the node at addr for its ring's settings.
func askRing(ctx context.Context, addr string, cfg cluster.StandaloneConfig) (cluster.RingSettings, error) {
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return cluster.RingSettings{}, usageError{fmt.Errorf("--listen %q: want HOST:PORT", cfg.Listen)}
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	cl, err := cluster.NewClient(host, cfg.Net)
	if err != nil {
		return cluster.RingSettings{}, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	o, err := cl.Observe(ctx, addr)
	if err != nil {
		return cluster.RingSettings{}, fmt.Errorf("no ring member answers at %s: %w", addr, err)
	}
	return o.Ring, nil
}

// askTimeout bounds the question to the node --join names.
const askTimeout = 5 * time.Second

// parseNodeID reads --id: decimal, or hex after 0x.
func parseNodeID(bits int, s string) (chord.ID, error) {
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		return chord.ParseID(bits, h)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return chord.ID{}, errors.New("want a whole number, or hex after 0x")
	}
	if bits < 64 && v >= uint64(1)<<bits {
		return chord.ID{}, fmt.Errorf("does not fit in %d bits (at most %d)", bits, uint64(1)<<bits-1)
	}
	return chord.IDFromUint64(bits, v), nil
}

// usageError marks an error as the user's (a bad flag: exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// IsUsage reports whether err is the user's (ExitStatus prints it and
// returns StatusUsage) rather than the ring's.
func IsUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}
