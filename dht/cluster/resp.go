package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
	"github.com/chordtui/chordtui/dht/resp"
)

// The RESP endpoint (package dht/resp): a Redis-protocol server that the
// cluster starts beside its nodes when Config.RESP.Addr is set, and
// whose every command goes through the DHT from one node. Start listens
// before it starts the nodes (a busy address fails at once) and serves
// once the ring is up; Close closes it before it stops the nodes.

// RESPConfig configures the RESP endpoint.
type RESPConfig struct {
	// Addr is where it listens ("127.0.0.1:6380"; port 0 picks a free
	// one); "" runs no endpoint.
	Addr string
	// Via names the node every command goes through (a NODE argument: a
	// name, an ID prefix or an address); "" means the default origin.
	// While that node is not alive (down, left or paused), commands go
	// through the default origin, or the first live member when the
	// origin is not alive either, and back through Via once it is.
	Via string
	// Idle closes a client that sent nothing for this long (0: never).
	Idle time.Duration
	// MaxClients bounds the clients connected at once.
	MaxClients int
}

// DefaultRESPConfig returns no endpoint (Addr ""), the default origin, a
// 5-minute idle timeout and at most 128 clients.
func DefaultRESPConfig() RESPConfig {
	d := resp.DefaultConfig()
	return RESPConfig{Idle: d.Idle, MaxClients: d.MaxClients}
}

func (rc RESPConfig) validate() error {
	if rc.Addr == "" {
		return nil
	}
	var errs []error
	if rc.Idle < 0 {
		errs = append(errs, fmt.Errorf("resp: idle timeout must not be negative, got %v", rc.Idle))
	}
	if rc.MaxClients < 1 {
		errs = append(errs, fmt.Errorf("resp: max clients must be at least 1, got %d", rc.MaxClients))
	}
	return errors.Join(errs...)
}

// RESPStatus describes the RESP endpoint: where it listens, through which
// node, and its counters (resp.Stats: clients, requests, errors, requests
// and errors in the last second, lookups and their hops).
type RESPStatus struct {
	resp.Stats
	// Via is the node asked for ("" for the default origin); Serving the
	// node commands go through now ("" when no node is alive): Via, else
	// Origin (the default origin), else the first live member.
	Via     string `json:"via"`
	Serving string `json:"serving"`
	Origin  string `json:"origin"`
	// HopsMean is Hops/Lookups (0 before the first lookup).
	HopsMean float64 `json:"hops_mean"`
	// LastLookup is the newest lookup a command made (nil before the
	// first): the TUI draws it on the ring.
	LastLookup *RESPLookup `json:"last_lookup,omitempty"`
}

// RESPLookup is a lookup a RESP command made: for Op ("get", "set", and
// "read" and "write" for the two steps of INCR, APPEND, SET NX and the
// like), at At.
type RESPLookup struct {
	Op     string       `json:"op"`
	At     time.Time    `json:"at"`
	Lookup LookupResult `json:"lookup"`
}

// RESP returns the RESP endpoint's status; false when the cluster runs
// none.
func (c *Cluster) RESP() (RESPStatus, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	st := c.respStatusLocked()
	if st == nil {
		return RESPStatus{}, false
	}
	return *st, true
}

// respStatusLocked is RESP for Snapshot (nil: no endpoint). Caller holds
// mu.
func (c *Cluster) respStatusLocked() *RESPStatus {
	if c.resp == nil {
		return nil
	}
	st := &RESPStatus{Stats: c.resp.Stats(), Via: c.respVia, Origin: c.origin}
	if st.Lookups > 0 {
		st.HopsMean = float64(st.Hops) / float64(st.Lookups)
	}
	if m := c.respServingLocked(); m != nil {
		st.Serving = m.name
	}
	if l, ok := c.resp.LastLookup(); ok {
		bits := c.cfg.Chord.Bits
		id := RingID{ID: chord.HashID(bits, []byte(l.Key)), Bits: bits}
		st.LastLookup = &RESPLookup{Op: l.Op, At: l.At, Lookup: c.lookupResultLocked(l.Key, id, l.Via, l.Lookup)}
	}
	return st
}

// listenRESP opens the endpoint's listener (Start calls it before the
// nodes start).
func listenRESP(rc RESPConfig) (net.Listener, error) {
	if rc.Addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", rc.Addr)
	if err != nil {
		return nil, fmt.Errorf("resp: %w", err)
	}
	return ln, nil
}

// serveRESP starts the endpoint on ln once the ring is up: it resolves
// Via and serves. On error ln is closed.
func (c *Cluster) serveRESP(ln net.Listener) error {
	c.mu.Lock()
	rc := c.cfg.RESP
	via := ""
	if rc.Via != "" {
		m, err := c.resolveLocked("--resp-via", rc.Via)
		if err != nil {
			c.mu.Unlock()
			ln.Close()
			return err
		}
		via = m.name
	}
	c.respVia = via
	cfg := resp.DefaultConfig()
	cfg.Idle, cfg.MaxClients = rc.Idle, rc.MaxClients
	cfg.MaxKeySize, cfg.MaxValueSize = c.cfg.DHT.MaxKeySize, c.cfg.DHT.MaxValueSize
	cfg.MaxRequestBytes = max(cfg.MaxRequestBytes, 2*max(cfg.MaxKeySize, cfg.MaxValueSize))
	cfg.OpTimeout = c.cfg.OpTimeout
	cfg.Attempts, cfg.RetryPause = opAttempts, 2*c.cfg.Chord.StabilizeInterval
	cfg.Logger = c.log
	c.mu.Unlock()
	srv, err := resp.New(respRing{c}, cfg)
	if err == nil {
		err = srv.Start(ln)
	}
	if err != nil {
		ln.Close()
		return err
	}
	c.mu.Lock()
	c.resp = srv
	c.mu.Unlock()
	c.log.Info("resp endpoint listening", "addr", ln.Addr().String(), "via", via)
	return nil
}

// closeRESP closes the endpoint, if any, and waits for its goroutines.
func (c *Cluster) closeRESP() error {
	c.mu.Lock()
	srv := c.resp
	c.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// respServingLocked returns the member commands go through now: Via while
// it is alive, else the default origin, else the first live member (nil
// when none is alive). Caller holds mu.
func (c *Cluster) respServingLocked() *member {
	var origin *member
	for _, m := range c.members {
		if m.state != StateAlive || m.store == nil {
			continue
		}
		if c.respVia != "" && m.name == c.respVia {
			return m
		}
		if m.name == c.origin {
			origin = m
		}
	}
	if origin != nil {
		return origin
	}
	if live := c.liveLocked(); len(live) > 0 {
		return live[0]
	}
	return nil
}

// respRing is the cluster as the endpoint sees it.
type respRing struct{ c *Cluster }

func (r respRing) Via() (resp.Store, string, error) {
	c := r.c
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return nil, "", errorf(ErrClosed, "the cluster is closed")
	}
	m := c.respServingLocked()
	if m == nil {
		return nil, "", errorf(ErrNoLiveNode, "no live node to go through — revive NODE or add starts a new ring")
	}
	return namedStore{m.store, c}, m.name, nil
}

func (r respRing) Info() resp.RingInfo {
	c := r.c
	c.mu.RLock()
	defer c.mu.RUnlock()
	info := resp.RingInfo{
		Nodes: len(c.members), Stable: c.stable, Reason: c.unstableWhy,
		Bits: c.cfg.Chord.Bits, Successors: c.cfg.Chord.SuccessorListLen, Replicas: c.cfg.DHT.Replicas,
	}
	for _, m := range c.liveLocked() {
		info.Live++
		info.Keys += m.store.Counts().Owned
	}
	if m := c.respServingLocked(); m != nil {
		info.Via = m.name
	}
	return info
}

// namedStore is a node's store whose errors name nodes as the cluster
// does (n3, not 127.0.0.1:40189).
type namedStore struct {
	s *dht.Store
	c *Cluster
}

// Get reads through GetDirect: a key whose owner the node has heard from
// in the last second goes straight to it, without a lookup.
func (n namedStore) Get(ctx context.Context, key string) (dht.GetResult, error) {
	r, err := n.s.GetDirect(ctx, key)
	return r, n.c.named(err)
}

func (n namedStore) Set(ctx context.Context, key string, value []byte) (dht.PutResult, error) {
	r, err := n.s.Set(ctx, key, value)
	return r, n.c.named(err)
}

func (n namedStore) Update(ctx context.Context, key string, fn func([]byte, bool) (dht.Change, error)) (dht.UpdateResult, error) {
	r, err := n.s.Update(ctx, key, fn)
	return r, n.c.named(err)
}

// named rewrites the addresses in err's text as node names, keeping err
// for errors.Is.
func (c *Cluster) named(err error) error {
	if err == nil {
		return nil
	}
	c.mu.RLock()
	msg := c.replacerLocked().Replace(err.Error())
	c.mu.RUnlock()
	return &dataError{msg: msg, err: err}
}
