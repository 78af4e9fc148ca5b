package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
	"github.com/chordtui/chordtui/netmux"
)

// clusterFlags are the flags every subcommand shares: they set the
// cluster's configuration.
type clusterFlags struct {
	bits       int
	successors int
	replicas   int
	stabilize  time.Duration
	fixFingers time.Duration
	checkPred  time.Duration
	repair     time.Duration
	rpcTimeout time.Duration
	liveness   time.Duration
	tombTTL    time.Duration
	seed       int64
	logFile    string
	logLevel   string
	vnodes     int
	adaptive   bool
	cache      int
	keyFile    string
}

// addClusterFlags registers the shared flags on fs with chordtui's defaults.
func addClusterFlags(fs *flag.FlagSet) *clusterFlags {
	d := cluster.DefaultConfig()
	f := &clusterFlags{}
	fs.IntVar(&f.bits, "bits", d.Chord.Bits, "identifier size m: the ring has 2^m points (6..160)")
	fs.IntVar(&f.successors, "successors", d.Chord.SuccessorListLen, "successor-list length r")
	fs.IntVar(&f.replicas, "replicas", d.DHT.Replicas, "copies of every key (owner included)")
	const grows = "; above 64 nodes the default grows with N"
	fs.DurationVar(&f.stabilize, "stabilize", d.Chord.StabilizeInterval, "stabilize period"+grows)
	fs.DurationVar(&f.fixFingers, "fix-fingers", d.Chord.FixFingersInterval, "fix-fingers period"+grows)
	fs.DurationVar(&f.checkPred, "check-pred", d.Chord.CheckPredecessorInterval, "check-predecessor period"+grows)
	fs.DurationVar(&f.repair, "repair", d.DHT.RepairInterval, "dht repair period: re-replication, migration"+grows)
	fs.DurationVar(&f.rpcTimeout, "rpc-timeout", d.Chord.RPCTimeout, "deadline of every protocol call"+grows)
	fs.DurationVar(&f.liveness, "liveness", d.Chord.LivenessWindow, "a lookup takes an owner as live without pinging it when it answered the node naming it this recently over a connection still open; 0 pings every owner"+grows)
	fs.DurationVar(&f.tombTTL, "tombstone-ttl", d.DHT.TombstoneTTL, "how long a deleted key's tombstone is kept: a holder cut off or paused longer may bring the key back")
	fs.Int64Var(&f.seed, "seed", 0, "non-zero: reproducible node IDs and random choices")
	fs.IntVar(&f.vnodes, "vnodes", 1, "Chord identities per node (virtual nodes): keys spread more evenly, copies stay on distinct nodes")
	fs.BoolVar(&f.adaptive, "adaptive", false, "adaptive routing from the start: a finger routes around its node when that node answers many more lookup steps than another of the finger's interval (config adaptive on|off changes it live)")
	fs.IntVar(&f.cache, "cache", 0, "read cache of this many keys per node from the start, served under the owner's lease (0: off; config cache on|off changes it live, with 1024 keys when not given)")
	fs.StringVar(&f.logFile, "log", "", "append diagnostics and every event line to this `file` (default: none)")
	fs.StringVar(&f.keyFile, "key-file", "", "cluster key `file` (hex or base64, at least 32 bytes; make one with chordtui keygen FILE; "+KeyEnv+" gives the key itself): nodes admit only peers that hold it. It authenticates, it does not encrypt (default: none, loopback only)")
	f.logLevel = "info"
	fs.Var(&choiceValue{&f.logLevel, []string{"debug", "info", "warn", "error"}}, "log-level", "log `level`: debug, info, warn or error")
	return f
}

// config builds the cluster configuration from base (cluster.ConfigFor(n),
// maintenance paced for N; or the lecture preset) and the flags: with
// explicit, only those isSet says were given, else the ring's shape (bits,
// successors, replicas, seed) always and the periods when given. The
// configuration is validated by openLog.
func (f *clusterFlags) config(base cluster.Config, explicit bool, isSet func(name string) bool) cluster.Config {
	cfg := base
	shape := func(name string) bool { return !explicit || isSet(name) }
	if shape("bits") {
		cfg.Chord.Bits = f.bits
	}
	if shape("successors") {
		cfg.Chord.SuccessorListLen = f.successors
	}
	if shape("replicas") {
		cfg.DHT.Replicas = f.replicas
	}
	if shape("seed") {
		cfg.Seed = f.seed
	}
	if shape("vnodes") {
		cfg.VNodes = f.vnodes
	}
	if isSet("adaptive") {
		cfg.Chord.Load.Adaptive = f.adaptive
	}
	if isSet("cache") {
		cfg.DHT.Cache.Size, cfg.DHT.Cache.On = f.cache, f.cache > 0
	}
	for _, d := range []struct {
		flag string
		dst  *time.Duration
		v    time.Duration
	}{
		{"stabilize", &cfg.Chord.StabilizeInterval, f.stabilize},
		{"fix-fingers", &cfg.Chord.FixFingersInterval, f.fixFingers},
		{"check-pred", &cfg.Chord.CheckPredecessorInterval, f.checkPred},
		{"rpc-timeout", &cfg.Chord.RPCTimeout, f.rpcTimeout},
		{"repair", &cfg.DHT.RepairInterval, f.repair},
		{"liveness", &cfg.Chord.LivenessWindow, f.liveness},
		{"tombstone-ttl", &cfg.DHT.TombstoneTTL, f.tombTTL},
	} {
		if isSet(d.flag) {
			*d.dst = d.v
		}
	}
	return cfg
}

// openLog sets the cluster key of --key-file or CHORDTUI_KEY, refuses a
// host beyond loopback without one (CheckListenKey), validates cfg and
// opens the --log file for it; the returned closer closes the file.
// Errors are the user's (exit status 2).
func (f *clusterFlags) openLog(cfg cluster.Config) (cluster.Config, io.Closer, error) {
	if f.vnodes < 1 || f.vnodes > cluster.MaxVNodes { // 0 would be the Config's default, 1
		return cfg, nopCloser{}, fmt.Errorf("--vnodes %d: must be from 1 to %d", f.vnodes, cluster.MaxVNodes)
	}
	key, err := loadKey(f.keyFile, os.Getenv(KeyEnv))
	if err != nil {
		return cfg, nopCloser{}, err
	}
	if key != nil {
		cfg.Key = key
	}
	if err := CheckListenKey(cfg.Host, cfg.Key); err != nil {
		return cfg, nopCloser{}, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nopCloser{}, err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil { // the flag admits only valid levels
		return cfg, nopCloser{}, fmt.Errorf("--log-level %q: %w", f.logLevel, err)
	}
	if f.logFile == "" {
		cfg.Logger = slog.New(slog.DiscardHandler)
		return cfg, nopCloser{}, nil
	}
	file, err := os.OpenFile(f.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return cfg, nopCloser{}, fmt.Errorf("--log: %w", err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(file, &slog.HandlerOptions{Level: level}))
	return cfg, file, nil
}

// KeyEnv is the environment variable that holds the cluster key itself,
// in the text a --key-file holds; --key-file wins when both are given.
const KeyEnv = "CHORDTUI_KEY"

// ErrNoKey is CheckListenKey's error: a cluster would listen beyond
// loopback without a cluster key.
var ErrNoKey = errors.New("a cluster key is required")

// loadKey returns the cluster key of --key-file file, else of the value
// of KeyEnv, else nil (none given). Errors are the user's.
func loadKey(file, env string) ([]byte, error) {
	if file != "" {
		// A regular file only: opening a named pipe waits for a writer.
		f, _, err := command.OpenRegular(file)
		if err != nil {
			return nil, fmt.Errorf("--key-file: key file %s: %w", file, err)
		}
		defer f.Close()
		key, err := netmux.ReadKey(f)
		if err != nil {
			return nil, fmt.Errorf("--key-file: key file %s: %w (make one with: chordtui keygen FILE)", file, err)
		}
		return key, nil
	}
	if strings.TrimSpace(env) == "" {
		return nil, nil
	}
	key, err := netmux.ParseKey([]byte(env))
	if err != nil {
		return nil, fmt.Errorf("%s: %w (make one with: chordtui keygen FILE)", KeyEnv, err)
	}
	return key, nil
}

// Key returns the cluster key given by --key-file, else by KeyEnv, else
// nil: for a subcommand that runs nodes without ClusterConfig (which sets
// cluster.Config.Key itself). Errors are the user's (exit status 2).
func (c *Command) Key() ([]byte, error) {
	return loadKey(c.cluster.keyFile, os.Getenv(KeyEnv))
}

// CheckListenKey refuses a listen host (or host:port) beyond loopback
// without a cluster key: with none, anyone who can reach the port can
// join the ring and read, write and delete every key. Loopback is
// 127.0.0.0/8, ::1 and "localhost"; an empty host listens everywhere.
func CheckListenKey(host string, key []byte) error {
	if len(key) > 0 {
		return nil
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.EqualFold(h, "localhost") {
		return nil
	}
	if ip, err := netip.ParseAddr(h); err == nil && ip.IsLoopback() {
		return nil
	}
	shown := h
	if shown == "" {
		shown = "every interface"
	}
	return fmt.Errorf("listening on %s lets other machines join, so %w: give one with --key-file F or %s (make one with: chordtui keygen F)", shown, ErrNoKey, KeyEnv)
}

// choiceValue is a string flag that takes one of a fixed list of values,
// which the completion scripts offer.
type choiceValue struct {
	value   *string
	choices []string
}

func (v *choiceValue) String() string {
	if v.value == nil { // the flag package's zero value
		return ""
	}
	return *v.value
}

func (v *choiceValue) Set(s string) error {
	if !slices.Contains(v.choices, s) {
		return fmt.Errorf("want %s", orList(v.choices))
	}
	*v.value = s
	return nil
}

func (v *choiceValue) Get() any { return *v.value }

// Choices lists the values the flag takes.
func (v *choiceValue) Choices() []string { return slices.Clone(v.choices) }

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// nopCloser is the log closer when there is no log file.
type nopCloser struct{}

func (nopCloser) Close() error { return nil }
