package dht

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// Change is what an Update's function decides to write.
type Change struct {
	// Value is the new value (unless Delete or Keep).
	Value []byte
	// Delete writes a tombstone instead of a value (nothing when the key
	// is absent).
	Delete bool
	// Keep writes nothing: the Update ends with what it read.
	Keep bool
}

// UpdateResult is the answer to Update.
type UpdateResult struct {
	// Read is the read the function was last called with.
	Read GetResult
	// Written reports whether the function's change was written (false
	// when it chose Keep).
	Written bool
	// Put is the write's result when Written.
	Put PutResult
	// Attempts counts the reads: one, plus one per conflict.
	Attempts int
	// MayHaveWritten is set with an error that came from a conditional
	// write, which may or may not have taken effect; with any other error
	// the Update wrote nothing.
	MayHaveWritten bool
}

// MaxUpdateAttempts bounds how many times an Update reads the key and
// tries its conditional write.
const MaxUpdateAttempts = 64

// Update is an atomic read-modify-write of key through this node: it
// reads key (as GetDirect: no lookup when this node remembers the key's
// owner, nor then for the write), calls fn with the value read, and writes fn's change
// with SetIf (or DelIf) expecting the version read, so that it is applied
// only if no write came in between, whichever node owns the key by then
// (the key's holders check it too, see cond.go). If one did, nothing is written
// (ErrConflict): it reads again and calls fn again, up to
// MaxUpdateAttempts times (then ErrConflict). So two Updates of one key
// never both apply a change made from the same value (no lost update),
// under the conditions of the package's linearizability guarantee.
// Updates of one key through this node take turns (updateTurns): they
// conflict only with those made through other nodes.
//
// An error from fn ends the Update and is returned as it is. Any other
// error means the change may or may not have been written (as for Set);
// Update never retries a write that may have been applied (SetIf reports
// a conflict that follows an unanswered attempt as ErrUnavailable). fn may
// be called several times and must not have effects of its own beyond its
// result.
func (s *Store) Update(ctx context.Context, key string, fn func(value []byte, found bool) (Change, error)) (UpdateResult, error) {
	var res UpdateResult
	if err := s.checkKey(key); err != nil {
		return res, fmt.Errorf("update: %w", err)
	}
	release, err := s.turns.take(ctx, key)
	if err != nil {
		return res, fmt.Errorf("update %q: waiting for the updates before it: %w", key, err)
	}
	defer release()
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		gr, err := s.GetDirect(ctx, key)
		if err != nil {
			// Nothing was written yet: a key unavailable for a moment is
			// read again (not through a node that has stopped).
			if errors.Is(err, ErrUnavailable) && !errors.Is(err, chord.ErrStopped) && attempt < MaxUpdateAttempts && s.backoff(ctx, attempt) {
				continue
			}
			return res, fmt.Errorf("update %q: %w", key, err)
		}
		res.Read = gr
		ch, err := fn(gr.Value, gr.Found)
		if err != nil {
			return res, err
		}
		if ch.Keep || ch.Delete && !gr.Found {
			return res, nil // nothing to write, or nothing to delete
		}
		var expect Version // SetIf's zero: absent or deleted
		if gr.Found {
			expect = gr.Version
		}
		var cr CondResult
		// SetIf or DelIf, to the owner the read reached when this node
		// remembers it (no lookup, see GetDirect).
		switch {
		case ch.Delete:
			cr, err = s.condWrite(ctx, "delif", condReq{Key: key, Deleted: true, Expect: expect}, true)
		case s.checkValue(ch.Value) != nil:
			err = fmt.Errorf("setif %q: %w", key, s.checkValue(ch.Value))
		default:
			cr, err = s.condWrite(ctx, "setif", condReq{Key: key, Value: ch.Value, Expect: expect}, true)
		}
		res.Put = PutResult{Version: cr.Version, Owner: cr.Owner, Copies: cr.Copies, Lookup: cr.Lookup}
		if err == nil {
			res.Written = true
			return res, nil
		}
		if errors.Is(err, ErrValueTooLarge) || errors.Is(err, ErrKeyTooLarge) {
			return res, fmt.Errorf("update %q: %w", key, err) // refused before it was sent
		}
		if !errors.Is(err, ErrConflict) {
			res.MayHaveWritten = true
			return res, err
		}
		if attempt >= MaxUpdateAttempts || !s.backoff(ctx, attempt) {
			return res, fmt.Errorf("update %q: gave up after %d attempts: %w", key, attempt, err)
		}
	}
}

// updateTurns makes the Updates of one key through one store take turns,
// first come first served. Without them, many clients of one node
// incrementing one counter (the RESP endpoint's INCRs) read the same
// version, all but one conflict, and read again, round after round, and
// one could lose MaxUpdateAttempts times in a row. Updates of the key
// through other nodes still conflict with these and retry.
type updateTurns struct {
	mu   sync.Mutex
	keys map[string]*keyTurn
}

type keyTurn struct {
	held    chan struct{} // holds a token while an Update of the key runs
	waiting int           // Updates holding or waiting for the turn (under mu)
}

// take waits for key's turn, or for ctx to end. release ends the turn.
func (t *updateTurns) take(ctx context.Context, key string) (release func(), err error) {
	t.mu.Lock()
	if t.keys == nil {
		t.keys = map[string]*keyTurn{}
	}
	k := t.keys[key]
	if k == nil {
		k = &keyTurn{held: make(chan struct{}, 1)}
		t.keys[key] = k
	}
	k.waiting++
	t.mu.Unlock()
	leave := func() {
		t.mu.Lock()
		if k.waiting--; k.waiting == 0 {
			delete(t.keys, key)
		}
		t.mu.Unlock()
	}
	select {
	case k.held <- struct{}{}: // senders wait in arrival order
		return func() { <-k.held; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}

// backoff waits before an Update's next attempt: a random time that grows
// with the attempts (so that Updates of one key spread out), up to half a
// repair period (an owner still taking over its keys is ready after a few
// rounds). It reports false if ctx ended first.
func (s *Store) backoff(ctx context.Context, attempt int) bool {
	limit := min(time.Duration(attempt)*time.Millisecond, s.cfg.RepairInterval/2)
	t := time.NewTimer(rand.N(limit) + time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
