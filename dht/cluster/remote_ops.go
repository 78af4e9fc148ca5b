package cluster

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"strings"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// Operations on remote members (remote.go): get, set, del and lookup
// started at a remote member run there through its op command; faults on
// one go through its admin command (observe.go).

// opCommand runs a get, set, del or lookup on the node that receives it,
// as if a program on it had (any node of the ring may call dht.get and
// dht.set on any other: this gives no more).
const opCommand = "cluster.op"

// opRequest is one data operation for opCommand.
type opRequest struct {
	Op    string // get, set, del, lookup
	Key   string
	Value []byte
	ID    chord.ID // lookup: the identifier looked up
}

// opReply is opCommand's answer: the operation's result and its error in
// words, with the one sentinel the cluster retries on.
type opReply struct {
	Get         dht.GetResult
	Put         dht.PutResult
	Lookup      chord.LookupResult
	Err         string
	Unavailable bool // the error wraps dht.ErrUnavailable
}

// serveOp runs req on node and store.
func serveOp(ctx context.Context, node *chord.Node, store *dht.Store, req opRequest) opReply {
	var rep opReply
	var err error
	switch req.Op {
	case "get":
		rep.Get, err = store.Get(ctx, req.Key)
	case "set":
		rep.Put, err = store.Set(ctx, req.Key, req.Value)
	case "del":
		rep.Put, err = store.Del(ctx, req.Key)
	case "lookup":
		rep.Lookup, err = node.Lookup(ctx, req.ID)
	default:
		err = fmt.Errorf("unknown operation %q", req.Op)
	}
	if err != nil {
		rep.Err, rep.Unavailable = err.Error(), errors.Is(err, dht.ErrUnavailable)
	}
	return rep
}

// registerOp registers opCommand on node.
func registerOp(node *chord.Node, store *dht.Store) error {
	return node.Register(opCommand, func(ctx context.Context, b []byte) ([]byte, error) {
		var req opRequest
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&req); err != nil {
			return nil, fmt.Errorf("op: bad request: %w", err)
		}
		return encodeGob(serveOp(ctx, node, store, req))
	})
}

// remoteErr is an error a remote member answered.
type remoteErr struct {
	msg  string
	kind error // dht.ErrUnavailable, or nil
}

func (e *remoteErr) Error() string { return e.msg }
func (e *remoteErr) Unwrap() error { return e.kind }

// opStore is what a data operation runs on: a member's own store and
// node, or a remote member reached through its op command.
type opStore interface {
	Get(ctx context.Context, key string) (dht.GetResult, error)
	Set(ctx context.Context, key string, value []byte) (dht.PutResult, error)
	Del(ctx context.Context, key string) (dht.PutResult, error)
	Lookup(ctx context.Context, id chord.ID) (chord.LookupResult, error)
}

// localStore is a local member's store and node as an opStore.
type localStore struct {
	*dht.Store
	node *chord.Node
}

func (l localStore) Lookup(ctx context.Context, id chord.ID) (chord.LookupResult, error) {
	return l.node.Lookup(ctx, id)
}

// remoteStore runs operations on a remote member.
type remoteStore struct {
	tr   chord.Transport
	addr string
}

func (r remoteStore) call(ctx context.Context, req opRequest) (opReply, error) {
	b, err := encodeGob(req)
	if err != nil {
		return opReply{}, err
	}
	out, err := chord.CallCommand(ctx, r.tr, r.addr, opCommand, b)
	if err != nil {
		return opReply{}, err
	}
	var rep opReply
	if err := gob.NewDecoder(bytes.NewReader(out)).Decode(&rep); err != nil {
		return opReply{}, fmt.Errorf("%s on %s: bad reply: %w", req.Op, r.addr, err)
	}
	if rep.Err != "" {
		e := &remoteErr{msg: rep.Err}
		if rep.Unavailable {
			e.kind = dht.ErrUnavailable
		}
		return rep, e
	}
	return rep, nil
}

func (r remoteStore) Get(ctx context.Context, key string) (dht.GetResult, error) {
	rep, err := r.call(ctx, opRequest{Op: "get", Key: key})
	return rep.Get, err
}

func (r remoteStore) Set(ctx context.Context, key string, value []byte) (dht.PutResult, error) {
	rep, err := r.call(ctx, opRequest{Op: "set", Key: key, Value: value})
	return rep.Put, err
}

func (r remoteStore) Del(ctx context.Context, key string) (dht.PutResult, error) {
	rep, err := r.call(ctx, opRequest{Op: "del", Key: key})
	return rep.Put, err
}

func (r remoteStore) Lookup(ctx context.Context, id chord.ID) (chord.LookupResult, error) {
	rep, err := r.call(ctx, opRequest{Op: "lookup", ID: id})
	return rep.Lookup, err
}

// remoteNamedLocked finds the remote member arg names: its name, address
// or a unique hex prefix of its identifier. Caller holds mu.
func (c *Cluster) remoteNamedLocked(arg string) *remote {
	for _, r := range c.remotes {
		if strings.EqualFold(r.name, arg) || r.addr == arg {
			return r
		}
	}
	hex := strings.TrimPrefix(strings.ToLower(arg), "0x")
	if hex == "" || !isHex(hex) {
		return nil
	}
	var match *remote
	for _, r := range c.remotes {
		if strings.HasPrefix(r.id.Hex(c.cfg.Chord.Bits), hex) {
			if match != nil {
				return nil // ambiguous
			}
			match = r
		}
	}
	return match
}

// remoteFault applies an admin operation to the remote member node names,
// if it names one (else handled is false): the fault is marked, sent, and
// recorded as a local one is. Caller holds opMu.
func (c *Cluster) remoteFault(op, node string, req AdminRequest, what func(name string) string) (name string, handled bool, err error) {
	c.mu.RLock()
	r := c.remoteNamedLocked(node)
	local := false
	for _, m := range c.members {
		local = local || strings.EqualFold(m.name, node) || m.addr == node
	}
	c.mu.RUnlock()
	if r == nil || local {
		return "", false, nil
	}
	if c.client == nil {
		return r.name, true, errorf(ErrNodeState, "%s: %s is remote and the cluster has no client", op, r.name)
	}
	w := what(r.name)
	f := c.beginFault(w)
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.OpTimeout)
	defer cancel()
	if err := c.client.Admin(ctx, r.addr, req); err != nil {
		f.cancel()
		if errors.Is(err, ErrAdminRefused) {
			return r.name, true, fmt.Errorf("%s: %w", op, err)
		}
		return r.name, true, fmt.Errorf("%s: %s did not take it: %w", op, r.name, err)
	}
	c.mu.Lock()
	switch req.Op {
	case AdminDelay:
		r.as.delay = req.Delay
	case AdminDrop:
		r.as.drop = req.Percent
	}
	c.mu.Unlock()
	c.faultEvent(w)
	f.end(w)
	return r.name, true, nil
}

// remoteOnly refuses an operation that cannot act on a remote member.
func (c *Cluster) remoteOnly(op, node, how string) error {
	c.mu.RLock()
	r := c.remoteNamedLocked(node)
	c.mu.RUnlock()
	if r == nil {
		return nil
	}
	for _, m := range c.members {
		if m.name == node || m.addr == node {
			return nil
		}
	}
	return errorf(ErrNodeState, "%s: %s is remote (started elsewhere): %s", op, r.name, how)
}

// partitionRemotes tells every remote member that allows admin
// operations of the partition group (addresses) and marks the remote
// members of it; heal (group nil) removes it. It returns the members that
// refused or did not answer, in words.
func (c *Cluster) partitionRemotes(group []string) []string {
	c.mu.RLock()
	rs := append([]*remote(nil), c.remotes...)
	cl := c.client
	timeout := 3 * c.cfg.Chord.RPCTimeout
	c.mu.RUnlock()
	if cl == nil || len(rs) == 0 {
		return nil
	}
	in := map[string]bool{}
	for _, a := range group {
		in[a] = true
	}
	req := AdminRequest{Op: AdminHeal}
	if group != nil {
		req = AdminRequest{Op: AdminPartition, Group: group}
	}
	var failed []string
	for _, r := range rs {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err := cl.Admin(ctx, r.addr, req)
		cancel()
		if err != nil {
			failed = append(failed, r.name)
		}
		c.mu.Lock()
		r.as.partitioned = in[r.addr]
		c.mu.Unlock()
	}
	return failed
}
