// Package dht is the key-value layer on a Chord ring.
// (API skeleton: the dht issue replaces this file.)
package dht

import (
	"context"
	"errors"

	"github.com/chordtui/chordtui/chord"
)

var errUnimplemented = errors.New("unimplemented")

// Config holds the DHT's tunables.
type Config struct {
	// Replicas is r, the number of holders of each key (owner included).
	Replicas int
	// MaxKeySize and MaxValueSize bound keys and values, in bytes.
	MaxKeySize, MaxValueSize int
}

// DefaultConfig returns r = 3, keys ≤ 1 KiB, values ≤ 1 MiB.
func DefaultConfig() Config { return Config{Replicas: 3, MaxKeySize: 1024, MaxValueSize: 1 << 20} }

// Store is the DHT layer of one chord node.
type Store struct{}

// New attaches a store to node and registers the dht commands on it.
func New(node *chord.Node, cfg Config) (*Store, error) { return nil, errUnimplemented }

// GetResult is the answer to Get.
type GetResult struct {
	Value   []byte
	Found   bool
	Version uint64
	Owner   chord.NodeRef
	Lookup  chord.LookupResult
}

// PutResult is the answer to Set and Del.
type PutResult struct {
	Version uint64
	Owner   chord.NodeRef
	Lookup  chord.LookupResult
}

// Get reads key through this node.
func (s *Store) Get(ctx context.Context, key string) (GetResult, error) {
	return GetResult{}, errUnimplemented
}

// Set writes key through this node; acknowledged once r holders have it.
func (s *Store) Set(ctx context.Context, key string, value []byte) (PutResult, error) {
	return PutResult{}, errUnimplemented
}

// Del deletes key (a versioned tombstone).
func (s *Store) Del(ctx context.Context, key string) (PutResult, error) {
	return PutResult{}, errUnimplemented
}

// Repair runs one repair round: migrate keys to owners, restore r copies.
func (s *Store) Repair(ctx context.Context) error { return errUnimplemented }

// Tasks returns the store's maintenance rounds for a chord.Driver.
func (s *Store) Tasks() []chord.Task { return nil }

// Leave hands this node's keys to its successor, then leaves the ring.
func (s *Store) Leave(ctx context.Context) error { return errUnimplemented }

// Counts are a node's key counts for the UI.
type Counts struct {
	Owned, Replicas, Tombstones int
	Bytes                       int64
}

// Counts returns the store's key counts.
func (s *Store) Counts() Counts { return Counts{} }

// KeyInfo describes one stored key.
type KeyInfo struct {
	Key     string
	ID      chord.ID
	Version uint64
	Owned   bool
	Deleted bool
	Size    int
}

// Keys returns the stored keys, sorted by ID.
func (s *Store) Keys() []KeyInfo { return nil }
