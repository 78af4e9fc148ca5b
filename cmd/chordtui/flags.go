package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
)

// maxNodes bounds N: each node needs a listener and a socket per peer.
const maxNodes = 4096

// clusterFlags are the flags the REPL and the TUI share.
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
	seed       int64
	logFile    string
	logLevel   string

	fs *flag.FlagSet // to tell the flags given from the defaults
}

// addClusterFlags registers the shared flags on fs with chordtui's defaults.
func addClusterFlags(fs *flag.FlagSet) *clusterFlags {
	d := cluster.DefaultConfig()
	f := &clusterFlags{fs: fs}
	fs.IntVar(&f.bits, "bits", d.Chord.Bits, "identifier size m: the ring has 2^m points (6..160)")
	fs.IntVar(&f.successors, "successors", d.Chord.SuccessorListLen, "successor-list length r")
	fs.IntVar(&f.replicas, "replicas", d.DHT.Replicas, "copies of every key (owner included)")
	const grows = " up to 64 nodes; above, it grows with N unless given"
	fs.DurationVar(&f.stabilize, "stabilize", d.Chord.StabilizeInterval, "stabilize period (this"+grows+")")
	fs.DurationVar(&f.fixFingers, "fix-fingers", d.Chord.FixFingersInterval, "fix-fingers period (this"+grows+")")
	fs.DurationVar(&f.checkPred, "check-pred", d.Chord.CheckPredecessorInterval, "check-predecessor period (this"+grows+")")
	fs.DurationVar(&f.repair, "repair", d.DHT.RepairInterval, "dht repair period: re-replication, migration (this"+grows+")")
	fs.DurationVar(&f.rpcTimeout, "rpc-timeout", d.Chord.RPCTimeout, "deadline of every protocol call (this"+grows+")")
	fs.DurationVar(&f.liveness, "liveness", d.Chord.LivenessWindow, "a lookup takes an owner as live without pinging it when it answered the node naming it this recently over a connection still open; 0 pings every owner (this"+grows+")")
	fs.Int64Var(&f.seed, "seed", 0, "non-zero: reproducible node IDs and random choices")
	fs.StringVar(&f.logFile, "log", "", "append diagnostics to this file (default: none)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return f
}

// isSet reports whether the flag name was given on the command line.
func (f *clusterFlags) isSet(name string) bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// config builds the cluster configuration for n nodes: cluster.ConfigFor(n)
// (maintenance paced for N) with the flags given on the command line. The
// returned closer closes the log file. Errors are the user's (exit status 2).
func (f *clusterFlags) config(n int) (cluster.Config, func() error, error) {
	cfg := cluster.ConfigFor(n)
	cfg.Chord.Bits = f.bits
	cfg.Chord.SuccessorListLen = f.successors
	cfg.DHT.Replicas = f.replicas
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
	} {
		if f.isSet(d.flag) {
			*d.dst = d.v
		}
	}
	cfg.Seed = f.seed
	noop := func() error { return nil }
	if err := cfg.Validate(); err != nil {
		return cfg, noop, err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return cfg, noop, fmt.Errorf("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	if f.logFile == "" {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		return cfg, noop, nil
	}
	file, err := os.OpenFile(f.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return cfg, noop, fmt.Errorf("--log: %w", err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(file, &slog.HandlerOptions{Level: level}))
	return cfg, file.Close, nil
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("repl 16 --json" and "repl --json 16").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseNodeCount reads the N argument.
func parseNodeCount(pos []string) (int, error) {
	switch len(pos) {
	case 0:
		return 0, errors.New("missing N, the number of nodes (for example: 16)")
	case 1:
	default:
		return 0, fmt.Errorf("want one argument N, got %d: %s", len(pos), strings.Join(pos, " "))
	}
	n, err := strconv.Atoi(pos[0])
	if err != nil || n < 1 || n > maxNodes {
		return 0, fmt.Errorf("N must be a whole number from 1 to %d, got %q", maxNodes, pos[0])
	}
	return n, nil
}
