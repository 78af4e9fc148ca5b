package cluster

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	node  *chord.Node // nil for a remote member
	store *dht.Store  // nil for a remote member
	ops   opStore     // the operations: on node and store, or remote
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
	var gr dht.GetResult
	err = c.retryUnavailable(ctx, func() (err error) {
		gr, err = at.ops.Get(ctx, key)
		return err
	})
	out := GetResult{Key: key, Via: at.name, Lookup: c.lookupResult(key, at.name, gr.Lookup)}
	out.Hops, out.Timeouts = out.Lookup.Hops, out.Lookup.Timeouts
	if err != nil {
		return out, c.dataErr("get", key, at.name, err)
	}
	out.Owner = c.ref(gr.Owner)
	out.Found = gr.Found
	out.Cached = gr.Cached
	if gr.Cached {
		out.CachedAt = at.name
		if !gr.CachedBy.IsZero() {
			out.CachedAt = c.nameOf(gr.CachedBy.Addr)
		}
	}
	if gr.Found {
		out.Value = string(gr.Value)
		out.Version = c.version(gr.Version)
	}
	return out, nil
}

// Set stores value under key through via ("" for the default origin).
func (c *Cluster) Set(ctx context.Context, key, value, via string) (WriteResult, error) {
	return c.write(ctx, "set", key, via, func(ctx context.Context, s opStore) (dht.PutResult, error) {
		return s.Set(ctx, key, []byte(value))
	})
}

// Del deletes key through via ("" for the default origin): the owner and
// its replicas store a versioned tombstone. Existed says whether a read
// through the same origin just before found the key.
func (c *Cluster) Del(ctx context.Context, key, via string) (WriteResult, error) {
	var existed *bool
	r, err := c.write(ctx, "del", key, via, func(ctx context.Context, s opStore) (dht.PutResult, error) {
		if gr, err := s.Get(ctx, key); err == nil {
			existed = &gr.Found
		}
		return s.Del(ctx, key)
	})
	r.Existed = existed
	return r, err
}

func (c *Cluster) write(ctx context.Context, op, key, via string, put func(context.Context, opStore) (dht.PutResult, error)) (WriteResult, error) {
	at, err := c.originFor(op, via)
	if err != nil {
		return WriteResult{Key: key}, err
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	var pr dht.PutResult
	err = c.retryUnavailable(ctx, func() (err error) {
		pr, err = put(ctx, at.ops)
		return err
	})
	out := WriteResult{Key: key, Via: at.name, Lookup: c.lookupResult(key, at.name, pr.Lookup)}
	out.Hops, out.Timeouts = out.Lookup.Hops, out.Lookup.Timeouts
	if err != nil {
		return out, c.dataErr(op, key, at.name, err)
	}
	out.Owner = c.ref(pr.Owner)
	out.Version = c.version(pr.Version)
	return out, nil
}

// opAttempts is how many times a get, set or del is tried while the key
// is unavailable (dht.ErrUnavailable).
const opAttempts = 5

// maxRetryPause caps one pause between attempts, so that with slow
// maintenance (lecture mode) a key that stays unavailable fails within
// about a second.
const maxRetryPause = 250 * time.Millisecond

// retryUnavailable runs op again while it fails because the key is
// unavailable, at most opAttempts times in all and within ctx; the first
// pause is two stabilize periods and each next one twice as long (at most
// maxRetryPause). While many nodes join at once a lookup can name a node
// whose range is still moving (its redirects run out), and a joiner may
// not have taken over its keys: a few rounds later the pointers are
// right, and on a loaded machine rounds come late. Retrying a write is
// safe: it is a new write of the same value, with a later version. Other
// errors return at once.
func (c *Cluster) retryUnavailable(ctx context.Context, op func() error) error {
	c.mu.RLock()
	pause := 2 * c.cfg.Chord.StabilizeInterval
	c.mu.RUnlock()
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !errors.Is(err, dht.ErrUnavailable) || attempt == opAttempts {
			return err
		}
		t := time.NewTimer(min(pause, maxRetryPause))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause *= 2
	}
}

// Lookup finds the owner of key (hashed as a key is) through via ("" for
// the default origin), recording every call on the way.
func (c *Cluster) Lookup(ctx context.Context, key, via string) (LookupResult, error) {
	at, err := c.originFor("lookup", via)
	if err != nil {
		return LookupResult{Key: key}, err
	}
	if key == "" { // refused as set and get refuse it: no key lives there
		return LookupResult{Key: key}, c.dataErr("lookup", key, at.name, dht.ErrEmptyKey)
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	c.mu.RLock()
	id := chord.HashID(c.cfg.Chord.Bits, []byte(key))
	c.mu.RUnlock()
	lr, err := at.ops.Lookup(ctx, id)
	out := c.lookupResult(key, at.name, lr)
	if err != nil {
		return out, c.dataErr("lookup", key, at.name, err)
	}
	return out, nil
}

// keyQuoteMax is the longest key an error or result quotes in full.
const keyQuoteMax = 40

// QuoteKey quotes key for a message: in full up to 40 bytes, else its
// first runes and its length, e.g. "aaaa…" (102400 bytes), so that no
// message echoes a huge key.
func QuoteKey(key string) string {
	if len(key) <= keyQuoteMax {
		return strconv.Quote(key)
	}
	cut := keyQuoteMax
	for cut > 0 && !utf8.RuneStart(key[cut]) {
		cut--
	}
	return fmt.Sprintf("%s (%d bytes)", strconv.Quote(key[:cut]+"…"), len(key))
}

// durationSyntax is what time.ParseDuration reads: numbers with units.
var durationSyntax = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)

// TooLongDuration reports whether s, refused by time.ParseDuration, is
// written as a duration but is longer than the longest one (about 292
// years): the time package calls both "invalid".
func TooLongDuration(s string) bool { return durationSyntax.MatchString(s) }

// NotADuration says why time.ParseDuration refused s: "longer than a
// duration can be, 2562047h" (TooLongDuration), else "not a
// duration".
func NotADuration(s string) string {
	if TooLongDuration(s) {
		return "longer than a duration can be, 2562047h"
	}
	return "not a duration"
}

// dataError is the error of a data operation: "get "k" via n3: …" in
// front of the cause, without repeating the operation's name when the
// cause starts with it (dht's errors do), and wrapping the cause.
type dataError struct {
	msg string
	err error
}

func (e *dataError) Error() string { return e.msg }
func (e *dataError) Unwrap() error { return e.err }

func (c *Cluster) dataErr(op, key, via string, err error) error {
	cause := strings.TrimPrefix(err.Error(), op+": ")
	if q := op + " " + strconv.Quote(key); strings.HasPrefix(cause, q) {
		cause = strings.TrimPrefix(strings.TrimPrefix(cause, q), ":")
		cause = strings.TrimSpace(cause)
	}
	c.mu.RLock()
	cause = c.replacerLocked().Replace(cause)
	c.mu.RUnlock()
	return &dataError{msg: fmt.Sprintf("%s %s via %s: %s", op, QuoteKey(key), via, cause), err: err}
}

// ref names the node r points at.
func (c *Cluster) ref(r chord.NodeRef) Peer {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.refLocked(r)
}
