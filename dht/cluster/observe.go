package cluster

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
	"github.com/chordtui/chordtui/netmux"
)

// The observer and admin commands every node serves, in a Cluster and
// alone in its process (StartStandalone) alike: a program attached to a
// ring it did not start reads each node's state and applies faults
// through them. Both are chord commands (chord.Node.Register), so they
// travel over the ring's own transport.

const (
	// observeCommand answers the node's Observation.
	observeCommand = "cluster.observe"
	// keysCommand answers the keys the node holds ([]dht.KeyInfo).
	keysCommand = "cluster.keys"
	// adminCommand runs an AdminRequest on the node, if it allows them.
	adminCommand = "cluster.admin"
)

// Observation is a node's account of itself, the answer of its observer
// command: the same NodeSnapshot a Cluster's Snapshot holds for it.
type Observation struct {
	Node NodeSnapshot
	// Replicas is the r of the node's store (copies of every key).
	Replicas int
	// Admin: the node accepts admin operations.
	Admin bool
	// Ring is the protocol settings the node runs with, which a node that
	// joins through it must share (chordtui node --join adopts them).
	Ring RingSettings
	// Ready: the node has taken over its keys (dht.Store.Ready).
	Ready bool
	// KeysGen moves whenever the node's keys change (dht.Store.KeysGen).
	KeysGen uint64
	// RoundNames are the node's maintenance tasks; RoundsStarted and
	// RoundsDone count each one's rounds begun and completed.
	RoundNames    []string
	RoundsStarted []uint64
	RoundsDone    []uint64
	// Events are the node's last few events in words, oldest first
	// (empty where the node keeps none).
	Events []string
	// Departed are the neighbours that announced their departure to the
	// node in the last minute (chord.Node.Departures): an observer shows
	// such a member as left, not down, once it stops answering.
	Departed []chord.Departure
}

// RingSettings are the protocol settings every node of a ring must share:
// the identifier size, the successor-list length, the replicas, and the
// maintenance periods (which a node may differ in, but a lecture's slow
// ring is slow on every node).
type RingSettings struct {
	Bits, R, Replicas int
	Stabilize         time.Duration
	FixFingers        time.Duration
	CheckPredecessor  time.Duration
	Repair            time.Duration
	RPCTimeout        time.Duration
	Liveness          time.Duration
}

// ringSettings reads the settings of cc and dc.
func ringSettings(cc chord.Config, dc dht.Config) RingSettings {
	return RingSettings{Bits: cc.Bits, R: cc.SuccessorListLen, Replicas: dc.Replicas,
		Stabilize: cc.StabilizeInterval, FixFingers: cc.FixFingersInterval, CheckPredecessor: cc.CheckPredecessorInterval,
		Repair: dc.RepairInterval, RPCTimeout: cc.RPCTimeout, Liveness: cc.LivenessWindow}
}

// AdminOp names an admin operation.
type AdminOp string

// The admin operations: those of a Cluster on one node (Pause, Resume,
// SetDelay, SetDrop, Partition, Heal, Kill).
const (
	AdminPause     AdminOp = "pause"
	AdminResume    AdminOp = "resume"
	AdminDelay     AdminOp = "delay"
	AdminDrop      AdminOp = "drop"
	AdminPartition AdminOp = "partition"
	AdminHeal      AdminOp = "heal"
	AdminKill      AdminOp = "kill"
)

// AdminRequest is one admin operation on the node that receives it.
type AdminRequest struct {
	Op AdminOp
	// Delay is added to every call to or from the node (AdminDelay; 0
	// removes it).
	Delay time.Duration
	// Percent of the calls to or from the node are lost (AdminDrop, 0 to
	// 100).
	Percent float64
	// Group is the addresses cut off from every other node (AdminPartition),
	// the whole group as every node of the ring is told it.
	Group []string
}

// validate reports a request no node can run.
func (r AdminRequest) validate() error {
	switch r.Op {
	case AdminPause, AdminResume, AdminHeal, AdminKill:
	case AdminDelay:
		if r.Delay < 0 {
			return errorf(ErrBadArgument, "delay: must not be negative, got %v", r.Delay)
		}
	case AdminDrop:
		if r.Percent < 0 || r.Percent > 100 {
			return errorf(ErrBadArgument, "drop: percentage must be from 0 to 100, got %g", r.Percent)
		}
	case AdminPartition:
		if len(r.Group) == 0 {
			return errorf(ErrBadArgument, "partition: no node named")
		}
	default:
		return errorf(ErrBadArgument, "admin: unknown operation %q", r.Op)
	}
	return nil
}

// ErrAdminRefused is the answer of a node that does not allow admin
// operations (it was started without --admin, Config.Admin or
// StandaloneConfig.Admin).
var ErrAdminRefused = errors.New("admin operations not allowed")

// adminFunc runs a valid admin request on one node; nil refuses them all.
type adminFunc func(ctx context.Context, req AdminRequest) error

// adminReply is the admin command's answer.
type adminReply struct {
	Refused bool   // the node does not allow admin operations
	Err     string // the operation failed (or why it was refused)
}

// registerObserver registers the observer and admin commands on node: obs
// returns the node's Observation, adm runs admin requests (nil: refused).
func registerObserver(node *chord.Node, store *dht.Store, obs func() Observation, adm adminFunc) error {
	if err := node.Register(observeCommand, func(context.Context, []byte) ([]byte, error) {
		return encodeGob(obs())
	}); err != nil {
		return err
	}
	if err := node.Register(keysCommand, func(context.Context, []byte) ([]byte, error) {
		return encodeGob(store.Keys())
	}); err != nil {
		return err
	}
	return node.Register(adminCommand, func(ctx context.Context, b []byte) ([]byte, error) {
		var req AdminRequest
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&req); err != nil {
			return nil, fmt.Errorf("admin: bad request: %w", err)
		}
		var rep adminReply
		if adm == nil {
			rep.Refused = true
			rep.Err = fmt.Sprintf("%s does not allow admin operations: start it with --admin", obs().Node.Name)
		} else if err := req.validate(); err != nil {
			rep.Err = err.Error()
		} else if err := adm(ctx, req); err != nil {
			rep.Err = err.Error()
		}
		return encodeGob(rep)
	})
}

func encodeGob(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Observe asks the node at addr for its Observation over tr (any
// transport of the ring: a node's, or one of its own for a program that
// runs no node). A node that does not answer is chord.ErrNodeDown.
func Observe(ctx context.Context, tr chord.Transport, addr string) (Observation, error) {
	b, err := chord.CallCommand(ctx, tr, addr, observeCommand, nil)
	if err != nil {
		return Observation{}, err
	}
	var o Observation
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&o); err != nil {
		return Observation{}, fmt.Errorf("observe %s: bad reply: %w", addr, err)
	}
	return o, nil
}

// ObserveKeys asks the node at addr for the keys it holds.
func ObserveKeys(ctx context.Context, tr chord.Transport, addr string) ([]dht.KeyInfo, error) {
	b, err := chord.CallCommand(ctx, tr, addr, keysCommand, nil)
	if err != nil {
		return nil, err
	}
	var keys []dht.KeyInfo
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&keys); err != nil {
		return nil, fmt.Errorf("keys of %s: bad reply: %w", addr, err)
	}
	return keys, nil
}

// observation fills what every node reports of its store and rounds.
func observation(m *member) Observation {
	o := Observation{}
	if m.node != nil {
		o.Departed = m.node.Departures()
	}
	if m.store != nil {
		o.Ready, o.KeysGen = m.store.Ready(), m.store.KeysGen()
	}
	if m.rounds != nil {
		o.RoundNames = m.rounds.names
		o.RoundsStarted = m.rounds.startedNow()
		for i := range m.rounds.done {
			o.RoundsDone = append(o.RoundsDone, m.rounds.done[i].Load())
		}
	}
	return o
}

// Admin asks the node at addr to run req. A node that does not allow
// admin operations answers an error that wraps ErrAdminRefused; a bad
// request wraps ErrBadArgument before anything is sent.
func Admin(ctx context.Context, tr chord.Transport, addr string, req AdminRequest) error {
	if err := req.validate(); err != nil {
		return err
	}
	b, err := encodeGob(req)
	if err != nil {
		return err
	}
	out, err := chord.CallCommand(ctx, tr, addr, adminCommand, b)
	if err != nil && req.Op == AdminKill && errors.Is(err, chord.ErrNodeDown) {
		return nil // killed before its reply got out, as asked
	}
	if err != nil {
		return err
	}
	var rep adminReply
	if err := gob.NewDecoder(bytes.NewReader(out)).Decode(&rep); err != nil {
		return fmt.Errorf("admin on %s: bad reply: %w", addr, err)
	}
	switch {
	case rep.Refused:
		return errorf(ErrAdminRefused, "%s", rep.Err)
	case rep.Err != "":
		return fmt.Errorf("%s on %s: %s", req.Op, addr, rep.Err)
	}
	return nil
}

// observe is member m's Observation, for its observer command.
func (c *Cluster) observe(m *member) Observation {
	c.mu.RLock()
	defer c.mu.RUnlock()
	o := observation(m)
	o.Node, o.Replicas, o.Admin, o.Ring = c.nodeSnapshotLocked(m, time.Now()), c.cfg.DHT.Replicas, c.cfg.Admin, ringSettings(c.cfg.Chord, c.cfg.DHT)
	return o
}

// adminFor returns how member m runs admin requests: through the
// cluster's own operations on it, or nil without Config.Admin.
func (c *Cluster) adminFor(m *member) adminFunc {
	c.mu.RLock()
	on := c.cfg.Admin
	c.mu.RUnlock()
	if !on {
		return nil
	}
	return func(_ context.Context, req AdminRequest) error {
		var err error
		switch req.Op {
		case AdminKill:
			// After the reply: the kill closes the transport it goes out on.
			// The goroutine ends when Kill returns (at once on a closed cluster).
			go func() { _ = c.Kill(m.name) }()
		case AdminPause:
			err = c.Pause(m.name)
		case AdminResume:
			err = c.Resume(m.name)
		case AdminDelay:
			_, err = c.SetDelay(m.name, req.Delay)
		case AdminDrop:
			_, err = c.SetDrop(m.name, req.Percent)
		case AdminPartition:
			err = c.partitionOwn(req.Group)
		case AdminHeal:
			c.Heal()
		}
		return err
	}
}

// partitionOwn cuts off the members of group that belong to this cluster
// (every node of the ring is told the whole group; the others are not
// this cluster's to cut).
func (c *Cluster) partitionOwn(group []string) error {
	in := map[string]bool{}
	for _, a := range group {
		in[a] = true
	}
	var own []string
	c.mu.RLock()
	for _, m := range c.members {
		if in[m.addr] {
			own = append(own, m.name)
		}
	}
	c.mu.RUnlock()
	if len(own) == 0 {
		return nil
	}
	_, err := c.Partition(own)
	return err
}

// Client is a transport for a program that runs no node but talks to a
// ring's nodes: it observes them and sends admin operations. It listens
// on Host (the protocol's sessions are between listeners) but serves
// nothing.
type Client struct {
	tr Transport
}

// NewClient opens a client transport on host (any port) with cfg.
func NewClient(host string, cfg netmux.Config) (*Client, error) {
	tr, err := netmux.Listen(net.JoinHostPort(host, "0"), cfg)
	if err != nil {
		return nil, err
	}
	return &Client{tr: netmuxTransport{tr}}, nil
}

// Transport is the client's transport (for chord.CallCommand).
func (cl *Client) Transport() chord.Transport { return cl.tr }

// Observe is Observe over the client's transport.
func (cl *Client) Observe(ctx context.Context, addr string) (Observation, error) {
	return Observe(ctx, cl.tr, addr)
}

// Admin is Admin over the client's transport.
func (cl *Client) Admin(ctx context.Context, addr string, req AdminRequest) error {
	return Admin(ctx, cl.tr, addr, req)
}

// Close closes the client's transport.
func (cl *Client) Close() error { return cl.tr.Close() }
