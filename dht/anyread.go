package dht

import (
	"context"
	"errors"
	"fmt"

	"github.com/chordtui/chordtui/chord"
)

// ReadAny: a read of an immutable value from any one of its holders. A
// value that can be checked on its own (a block named by the hash of its
// contents) needs no quorum: any copy that passes the check is the value.
// ReadAny costs the lookup and one call to the owner when the owner has
// it; it asks the replicas it knows of when the owner does not answer or
// has no valid copy, and falls back on Get (with its stand-ins, for an
// owner that is down and not yet replaced) when none of them has one.

// ErrNotFound is ReadAny finding no copy of the key, or none that passed the
// check, on any holder.
var ErrNotFound = errors.New("no valid copy found")

// AnyResult is the answer to ReadAny.
type AnyResult struct {
	Value []byte
	// From is the holder whose copy was returned.
	From chord.NodeRef
	// Owner is the owner the lookup named.
	Owner chord.NodeRef
	// Fallback is true when the copy came from Get, not from one holder.
	Fallback bool
	Lookup   chord.LookupResult
}

// ReadAny returns a copy of key's value that valid accepts (nil accepts
// any), read from one holder: the owner first, then its replicas, then
// through Get. A missing key, a deleted one, or one whose copies all fail
// valid is ErrNotFound.
func (s *Store) ReadAny(ctx context.Context, key string, valid func([]byte) bool) (AnyResult, error) {
	if err := s.checkKey(key); err != nil {
		return AnyResult{}, fmt.Errorf("readany: %w", err)
	}
	if valid == nil {
		valid = func([]byte) bool { return true }
	}
	lr, err := s.node.LookupWith(ctx, s.KeyID(key), ownerLookup)
	if err == nil {
		req := getReq{Key: key}.encode()
		for _, h := range append([]chord.NodeRef{lr.Owner}, s.replicaHints(lr.Owner)...) {
			c := s.readCopy(ctx, h, req)
			if c.ok && c.found && !c.rec.Deleted && valid(c.rec.Value) {
				return AnyResult{Value: c.rec.Value, From: h, Owner: lr.Owner, Lookup: lr}, nil
			}
			if ctx.Err() != nil {
				return AnyResult{Owner: lr.Owner, Lookup: lr}, fmt.Errorf("readany %q: %w", key, ctx.Err())
			}
		}
	}
	gr, gerr := s.Get(ctx, key)
	res := AnyResult{Owner: gr.Owner, Fallback: true, Lookup: gr.Lookup, From: gr.Owner}
	switch {
	case gerr != nil:
		return res, fmt.Errorf("readany: %w", gerr)
	case !gr.Found:
		return res, fmt.Errorf("readany %q: %w", key, ErrNotFound)
	case !valid(gr.Value):
		return res, fmt.Errorf("readany %q: the newest copy fails the check: %w", key, ErrNotFound)
	}
	res.Value = gr.Value
	return res, nil
}
