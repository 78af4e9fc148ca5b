package cluster

import (
	"context"
	"fmt"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// The data operations: get, set, del and lookup, each started at a member
// (via, or the default origin) and bounded by Config.OpTimeout. On error
// the result still carries the lookup as far as it went, for drawing.

// startAt is the member an operation starts at, with its node and store
// as they were when it was chosen.
type startAt struct {
	name  string
	node  *chord.Node
	store *dht.Store
}

// opContext bounds a data operation by OpTimeout.
func (c *Cluster) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	c.mu.RLock()
	d := c.cfg.OpTimeout
	c.mu.RUnlock()
	return context.WithTimeout(ctx, d)
}

// Get reads key through via (a node name, ID prefix or address; "" for
// the default origin). A key never written or deleted is not an error:
// Found is false.
func (c *Cluster) Get(ctx context.Context, key, via string) (GetResult, error) {
	at, err := c.originFor("get", via)
	if err != nil {
		return GetResult{Key: key}, err
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	gr, err := at.store.Get(ctx, key)
	out := GetResult{Key: key, Via: at.name, Lookup: c.lookupResult(key, at.name, gr.Lookup)}
	out.Hops = out.Lookup.Hops
	if err != nil {
		return out, fmt.Errorf("get %q via %s: %w", key, at.name, err)
	}
	out.Owner = c.ref(gr.Owner)
	out.Found = gr.Found
	if gr.Found {
		out.Value = string(gr.Value)
		out.Version = getVersion(gr)
	}
	return out, nil
}

// Set stores value under key through via ("" for the default origin).
func (c *Cluster) Set(ctx context.Context, key, value, via string) (WriteResult, error) {
	return c.write(ctx, "set", key, via, func(ctx context.Context, s *dht.Store) (dht.PutResult, error) {
		return s.Set(ctx, key, []byte(value))
	})
}

// Del deletes key through via ("" for the default origin): the owner and
// its replicas store a versioned tombstone.
func (c *Cluster) Del(ctx context.Context, key, via string) (WriteResult, error) {
	return c.write(ctx, "del", key, via, func(ctx context.Context, s *dht.Store) (dht.PutResult, error) {
		return s.Del(ctx, key)
	})
}

func (c *Cluster) write(ctx context.Context, op, key, via string, put func(context.Context, *dht.Store) (dht.PutResult, error)) (WriteResult, error) {
	at, err := c.originFor(op, via)
	if err != nil {
		return WriteResult{Key: key}, err
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	pr, err := put(ctx, at.store)
	out := WriteResult{Key: key, Via: at.name, Lookup: c.lookupResult(key, at.name, pr.Lookup)}
	out.Hops = out.Lookup.Hops
	if err != nil {
		return out, fmt.Errorf("%s %q via %s: %w", op, key, at.name, err)
	}
	out.Owner = c.ref(pr.Owner)
	out.Version = putVersion(pr)
	return out, nil
}

// Lookup finds the owner of key (hashed as a key is) through via ("" for
// the default origin), recording every call on the way.
func (c *Cluster) Lookup(ctx context.Context, key, via string) (LookupResult, error) {
	at, err := c.originFor("lookup", via)
	if err != nil {
		return LookupResult{Key: key}, err
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	c.mu.RLock()
	id := chord.HashID(c.cfg.Chord.Bits, []byte(key))
	c.mu.RUnlock()
	lr, err := at.node.Lookup(ctx, id)
	out := c.lookupResult(key, at.name, lr)
	if err != nil {
		return out, fmt.Errorf("lookup %q via %s: %w", key, at.name, err)
	}
	return out, nil
}

// ref names the node r points at.
func (c *Cluster) ref(r chord.NodeRef) Peer {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.refLocked(r)
}
