package dfs

import (
	"context"
	"errors"
	"time"

	"github.com/chordtui/chordtui/dht"
)

// KV is what the file system needs from the key-value store: versioned
// reads, conditional writes of records, and plain writes and any-holder
// reads of blocks. StoreKV adapts one node's dht.Store; package cluster
// routes each call through a live node of its ring.
type KV interface {
	// Get reads key (linearizable). A missing or deleted key is found
	// false with a nil error.
	Get(ctx context.Context, key string) (value []byte, ver dht.Version, found bool, err error)
	// SetIf writes value if key's version is expect (zero: absent); else
	// an error wrapping dht.ErrConflict.
	SetIf(ctx context.Context, key string, value []byte, expect dht.Version) (dht.Version, error)
	// DelIf deletes key if its version is expect; else dht.ErrConflict.
	DelIf(ctx context.Context, key string, expect dht.Version) error
	// Put writes value under key (a block: the same value every time).
	Put(ctx context.Context, key string, value []byte) error
	// ReadAny returns a copy of key that valid accepts, from any holder;
	// dht.ErrNotFound when there is none.
	ReadAny(ctx context.Context, key string, valid func([]byte) bool) ([]byte, error)
}

// Reserver is implemented by a KV whose conditional writes can find a key
// reserved by another conditional write (dht.ErrBusy): ReservationTTL
// bounds how long that lasts, a crashed writer's reservation included.
// The file system waits that long before it counts such conflicts
// against an operation's attempts.
type Reserver interface {
	ReservationTTL() time.Duration
}

// StoreKV is a KV over one node's store.
type StoreKV struct{ Store *dht.Store }

// Get implements KV.
func (s StoreKV) Get(ctx context.Context, key string) ([]byte, dht.Version, bool, error) {
	r, err := s.Store.Get(ctx, key)
	return r.Value, r.Version, r.Found, err
}

// SetIf implements KV.
func (s StoreKV) SetIf(ctx context.Context, key string, value []byte, expect dht.Version) (dht.Version, error) {
	r, err := s.Store.SetIf(ctx, key, value, expect)
	return r.Version, err
}

// DelIf implements KV.
func (s StoreKV) DelIf(ctx context.Context, key string, expect dht.Version) error {
	_, err := s.Store.DelIf(ctx, key, expect)
	return err
}

// ReservationTTL implements Reserver.
func (s StoreKV) ReservationTTL() time.Duration { return s.Store.ReservationTTL() }

// Put implements KV.
func (s StoreKV) Put(ctx context.Context, key string, value []byte) error {
	_, err := s.Store.Set(ctx, key, value)
	return err
}

// ReadAny implements KV.
func (s StoreKV) ReadAny(ctx context.Context, key string, valid func([]byte) bool) ([]byte, error) {
	r, err := s.Store.ReadAny(ctx, key, valid)
	return r.Value, err
}

// transient reports whether err may go away on a retry: the ring could
// not serve the key (a crash being repaired, a node still taking over its
// keys) or a call timed out.
func transient(err error) bool {
	return errors.Is(err, dht.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}
