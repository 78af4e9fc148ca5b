package dfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht"
)

// memKV is a KV in memory whose conditional writes and deletes of one key
// find it reserved (dht.ErrBusy) until a given time, as they do after a
// writer crashed holding the reservation.
type memKV struct {
	mu        sync.Mutex
	recs      map[string]memRec
	n         int64
	busyKey   string
	busyUntil time.Time
	ttl       time.Duration
}

type memRec struct {
	val []byte
	ver dht.Version
}

func (k *memKV) Get(_ context.Context, key string) ([]byte, dht.Version, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	r, ok := k.recs[key]
	return bytes.Clone(r.val), r.ver, ok, nil
}

func (k *memKV) SetIf(_ context.Context, key string, value []byte, expect dht.Version) (dht.Version, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key == k.busyKey && time.Now().Before(k.busyUntil) {
		return dht.Version{}, fmt.Errorf("setif %q: another conditional write of the key holds it: %w", key, dht.ErrBusy)
	}
	if k.recs[key].ver != expect {
		return dht.Version{}, fmt.Errorf("setif %q: %w", key, dht.ErrConflict)
	}
	k.n++
	v := dht.Version{Wall: k.n}
	k.recs[key] = memRec{val: bytes.Clone(value), ver: v}
	return v, nil
}

func (k *memKV) DelIf(_ context.Context, key string, expect dht.Version) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key == k.busyKey && time.Now().Before(k.busyUntil) {
		return fmt.Errorf("delif %q: another conditional write of the key holds it: %w", key, dht.ErrBusy)
	}
	if k.recs[key].ver != expect {
		return dht.ErrConflict
	}
	delete(k.recs, key)
	return nil
}

func (k *memKV) Put(_ context.Context, key string, value []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.n++
	k.recs[key] = memRec{val: bytes.Clone(value), ver: dht.Version{Wall: k.n}}
	return nil
}

func (k *memKV) ReadAny(_ context.Context, key string, valid func([]byte) bool) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if r, ok := k.recs[key]; ok && valid(r.val) {
		return bytes.Clone(r.val), nil
	}
	return nil, dht.ErrNotFound
}

func (k *memKV) ReservationTTL() time.Duration { return k.ttl }

// TestUpdateWaitsOutAReservation: a record a crashed writer left reserved
// is written once the reservation lapses, however few attempts the
// configuration allows: a directory's new entry, a file's commit, a
// directory's removal, a rename over an empty directory. A key held past
// the reservation's TTL still fails after those attempts.
func TestUpdateWaitsOutAReservation(t *testing.T) {
	ctx := context.Background()
	kv := &memKV{recs: map[string]memRec{}, ttl: 300 * time.Millisecond}
	cfg := DefaultConfig()
	cfg.Attempts, cfg.RetryPause = 1, time.Millisecond // 4 attempts, over in a few ms
	f, err := New(kv, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close(ctx) }()
	if _, err := f.Mkdir(ctx, RootIno, "before", 0o755); err != nil {
		t.Fatal(err)
	}
	reserve := func(ino uint64) time.Time { // as a crashed writer would, for 200 ms of the TTL's 300
		kv.mu.Lock()
		defer kv.mu.Unlock()
		kv.busyKey, kv.busyUntil = InodeKey(ino), time.Now().Add(200*time.Millisecond)
		return time.Now()
	}
	waited := func(op string, start time.Time, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s while the record was reserved: %v", op, err)
		}
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Fatalf("%s returned after %v, before the reservation lapsed", op, d)
		}
	}
	start := reserve(RootIno)
	_, err = f.Mkdir(ctx, RootIno, "during", 0o755)
	waited("mkdir", start, err)

	a, _, err := f.Create(ctx, RootIno, "file", 0o644, true)
	if err != nil {
		t.Fatal(err)
	}
	h, err := f.OpenCreated(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt(ctx, []byte("data"), 0); err != nil {
		t.Fatal(err)
	}
	start = reserve(a.Ino)
	waited("close (the file's commit)", start, h.Close(ctx))

	d, err := f.Lookup(ctx, RootIno, "during")
	if err != nil {
		t.Fatal(err)
	}
	start = reserve(d.Ino)
	waited("rmdir", start, f.Rmdir(ctx, RootIno, "during"))

	if _, err := f.Mkdir(ctx, RootIno, "empty", 0o755); err != nil {
		t.Fatal(err)
	}
	e, err := f.Lookup(ctx, RootIno, "empty")
	if err != nil {
		t.Fatal(err)
	}
	start = reserve(e.Ino)
	waited("rename over an empty directory", start, f.Rename(ctx, RootIno, "before", RootIno, "empty", 0))

	kv.mu.Lock()
	kv.busyKey, kv.busyUntil = InodeKey(RootIno), time.Now().Add(time.Hour) // held past its TTL: not a reservation any more
	kv.mu.Unlock()
	_, err = f.Mkdir(ctx, RootIno, "never", 0o755)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("mkdir against a key held past the TTL: %v, want ErrUnavailable", err)
	}
}
