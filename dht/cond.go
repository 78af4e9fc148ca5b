package dht

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// The conditional write (dht.setif): a set or del that the owner applies
// only if the key's newest version is the one the client expects. It is
// what a layer above the store needs to update a record it read without
// losing a concurrent update (the file system's inodes and directories).
//
// The owner serialises its own conditional writes of a key (a lock per
// key held across the whole request). It reserves the key at each of its
// r holders, itself included, while it reads their copies (dht.reserve,
// reserve.go): a holder gives one live reservation per key at a time, so
// a conditional write that finds the key reserved by another one writes
// nothing (ErrConflict, read again). The owner compares the newest copy
// with the version expected and writes to exactly the holders that
// reserved it (dht.condstore), each of which applies the write only if it
// still holds that reservation and no copy newer than the version read;
// a node taking over the key (join handoff) gets it on the same terms.
// It is acknowledged only if r holders took it (the next ready node
// stands in, on the same terms, for a reserved holder that is gone). Two conditional writes
// from one version therefore never both succeed, whichever nodes take
// themselves for the owner (see "Across a change of owner" in the package
// doc for the argument and its limits). Update (update.go), the
// read-modify-write, is a loop of Get and SetIf. Like every write, a
// conditional write that failed (timed out, ErrUnavailable) may or may
// not have taken effect: read the key again before retrying.

// ErrConflict is a conditional write finding another version than the one it
// expected; nothing was written.
var ErrConflict = errors.New("version conflict")

// ErrBusy is the conflict of a conditional write that found the key
// reserved by another conditional write (it wraps ErrConflict): nothing
// was written, and the reservation lapses within Store.ReservationTTL,
// also when its writer crashed.
var ErrBusy = fmt.Errorf("reserved by another conditional write: %w", ErrConflict)

// cmdSetIf is the conditional write, client → owner.
const cmdSetIf = "dht.setif"

// CondResult is the answer to SetIf and DelIf.
type CondResult struct {
	// Version is the version written; on ErrConflict, the zero Version.
	Version Version
	// Current is the newest version the owner found: the one expected when
	// the write was applied, the one in the way on ErrConflict (zero when
	// the key is absent or deleted).
	Current Version
	Owner   chord.NodeRef
	// Copies is how many holders acknowledged the write (owner included).
	Copies int
	Lookup chord.LookupResult
}

// SetIf writes value under key only if the key's newest version is
// expect; the zero Version expects the key to be absent or deleted. A
// different version fails with ErrConflict (and CondResult.Current says
// which), writing nothing.
func (s *Store) SetIf(ctx context.Context, key string, value []byte, expect Version) (CondResult, error) {
	if err := s.checkKey(key); err != nil {
		return CondResult{}, fmt.Errorf("setif: %w", err)
	}
	if err := s.checkValue(value); err != nil {
		return CondResult{}, fmt.Errorf("setif %q: %w", key, err)
	}
	return s.condWrite(ctx, "setif", condReq{Key: key, Value: value, Expect: expect}, false)
}

// DelIf deletes key (writes a tombstone) only if its newest version is
// expect, which must not be zero; otherwise it fails with ErrConflict.
func (s *Store) DelIf(ctx context.Context, key string, expect Version) (CondResult, error) {
	if err := s.checkKey(key); err != nil {
		return CondResult{}, fmt.Errorf("delif: %w", err)
	}
	if expect.IsZero() {
		return CondResult{}, fmt.Errorf("delif %q: the expected version must not be zero", key)
	}
	return s.condWrite(ctx, "delif", condReq{Key: key, Deleted: true, Expect: expect}, false)
}

// condWrite is SetIf and DelIf: the lookup and the owner (or its stand-in)
// as for a write, then the reply.
// A conflict found after an attempt that got no answer is reported as
// ErrUnavailable: the version in the way may be this write's own, applied
// by a node that then did not answer, and a caller that retried its change
// on ErrConflict would apply it twice.
//
// With direct, an owner this store remembers for the key (GetDirect) is
// asked without a lookup; if it does not answer, the key is looked up
// with a ping as after any owner that failed.
func (s *Store) condWrite(ctx context.Context, op string, req condReq, direct bool) (CondResult, error) {
	var unanswered bool
	var lr chord.LookupResult
	var err error
	if remembered, ok := s.rememberedOwner(req.Key); direct && ok {
		lr = remembered
	} else {
		lr, err = s.node.LookupWith(ctx, s.KeyID(req.Key), ownerLookup)
	}
	res, werr := s.condAfter(ctx, op, req, lr, err, false, &unanswered)
	res, werr = lookUpVerified(ctx, s, req.Key, err, res, werr, func(lr chord.LookupResult, err error) (CondResult, error) {
		return s.condAfter(ctx, op, req, lr, err, true, &unanswered)
	})
	if unanswered && errors.Is(werr, ErrConflict) {
		//nolint:errorlint // not wrapped on purpose: this is no conflict to retry
		werr = fmt.Errorf("%s %q: %w: a node did not answer an earlier attempt, which may have been applied (then: %v)", op, req.Key, ErrUnavailable, werr)
	}
	return res, werr
}

// condAfter is writeAfter for dht.setif; it sets *unanswered when it sent
// the write to a node that did not answer.
func (s *Store) condAfter(ctx context.Context, op string, req condReq, lr chord.LookupResult, lookupErr error, verified bool, unanswered *bool) (CondResult, error) {
	st := newOpState(lr, verified || lookupErr != nil)
	defer func() { *unanswered = *unanswered || st.unanswered }()
	build := func(_ chord.NodeRef, force bool) []byte {
		req.Force = force
		return req.encode()
	}
	var reply []byte
	var at chord.NodeRef
	if lookupErr != nil {
		dead, ok := nearestFailed(lr, s.KeyID(req.Key))
		if !ok || ctx.Err() != nil {
			return CondResult{Lookup: lr}, fmt.Errorf("%s %q: lookup: %w: %w", op, req.Key, ErrUnavailable, lookupErr)
		}
		var serr error
		if reply, at, _, serr = s.standIn(ctx, cmdSetIf, build, lr, dead, st); serr != nil {
			return CondResult{Lookup: lr}, fmt.Errorf("%s %q: lookup: %w: %w; stand-ins: %w", op, req.Key, ErrUnavailable, lookupErr, serr)
		}
	} else {
		var err error
		reply, at, _, err = s.callOwner(ctx, lr.Owner, cmdSetIf, build, st)
		if err != nil {
			if ctx.Err() != nil || !st.verified || !errors.Is(err, chord.ErrNodeDown) && !errors.Is(err, errUnreachable) {
				return CondResult{Lookup: lr, Owner: at}, fmt.Errorf("%s %q: owner %s: %w", op, req.Key, at.Addr, err)
			}
			var serr error
			if reply, at, _, serr = s.standIn(ctx, cmdSetIf, build, lr, at, st); serr != nil {
				return CondResult{Lookup: lr, Owner: at}, fmt.Errorf("%s %q: owner %s: %w; stand-ins: %w", op, req.Key, at.Addr, err, serr)
			}
		}
	}
	m, err := decodeCondResp(reply)
	if err != nil {
		return CondResult{Lookup: lr, Owner: at}, fmt.Errorf("%s %q at %s: %w", op, req.Key, at.Addr, err)
	}
	res := CondResult{Version: m.Ver, Current: m.Current, Owner: at, Copies: m.Copies, Lookup: lr}
	if err := headErr(m.Head); err != nil {
		return res, fmt.Errorf("%s %q at %s: %w", op, req.Key, at.Addr, err)
	}
	if m.Busy {
		res.Version = Version{}
		return res, fmt.Errorf("%s %q: another conditional write of the key holds it at %s, nothing was written: %w", op, req.Key, m.BusyAt, ErrBusy)
	}
	if !m.Applied {
		res.Version = Version{}
		return res, fmt.Errorf("%s %q: expected version %s, found %s: %w", op, req.Key, req.Expect, m.Current, ErrConflict)
	}
	return res, nil
}

// handleSetIf serves dht.setif at the owner: under the key's lock,
// reserve the key at each of its r holders while reading their copies
// (dht.reserve), compare the newest with the version expected, and write
// it to those same holders, each of which applies it only if it still
// holds the reservation and nothing newer than the version read
// (dht.condstore). See "Across a change of owner" above for why.
func (s *Store) handleSetIf(ctx context.Context, b []byte) ([]byte, error) {
	m, err := decodeCondReq(b, s.lim)
	if err != nil {
		return condResp{Head: invalid(err)}.encode(), nil
	}
	if err := errors.Join(s.checkKey(m.Key), s.checkValue(m.Value)); err != nil {
		return condResp{Head: invalid(err)}.encode(), nil
	}
	cc := &condCommit{token: s.newToken(), start: time.Now(), ttl: s.reserveTTL()}
	done := false // the write reached every reserved holder: nothing to release
	defer func() {
		// After the key's lock: this node's next conditional write of the
		// key takes the reservations over anyway (reserveLocked).
		if !done {
			s.release(ctx, m.Key, cc)
		}
	}()
	unlock := s.conds.lock(m.Key)
	defer unlock()
	cc.start = time.Now()
	s.mu.Lock()
	busy := !s.reserveLocked(m.Key, cc.token, cc.ttl, cc.start)
	s.mu.Unlock()
	if busy {
		return condResp{Busy: true, BusyAt: s.self.Addr}.encode(), nil
	}
	// The read: redirects, not-ready and unavailable answers pass through
	// as they are (the client follows or gives up exactly as for a write).
	gr := s.ownerRead(ctx, getReq{Key: m.Key, Force: m.Force}, s.reserveReader(m.Key, cc))
	if gr.Head.Status != statusOK {
		return condResp{Head: gr.Head}.encode(), nil
	}
	if at := cc.busyAt(); at != "" {
		return condResp{Busy: true, BusyAt: at}.encode(), nil
	}
	var current Version
	if gr.Found && !gr.Rec.Deleted {
		current = gr.Rec.Ver
	}
	if current != m.Expect {
		return condResp{Current: current}.encode(), nil
	}
	var read Version // the record read, a tombstone's included
	if gr.Found {
		// The newest copy may be a replica's: hold it here first, so that
		// the write's version is newer than it.
		read = gr.Rec.Ver
		gr.Rec.ID = s.KeyID(m.Key)
		s.mu.Lock()
		if !s.leaving && !s.left {
			s.applyLocked(gr.Rec, storeWriteBack)
			if v := s.tab.version(m.Key); s.expiredLocked(gr.Rec, s.now()) && !v.Newer(read) {
				// A tombstone old enough to be dropped is not written back:
				// what this node holds (no newer write) is what was read.
				read = v
			}
		}
		s.mu.Unlock()
	}
	if time.Since(cc.start) > cc.ttl-2*s.rpc {
		// The reservations may lapse before the write reaches the
		// holders (it takes a forward and a push): nothing is written.
		return condResp{Busy: true, BusyAt: s.self.Addr}.encode(), nil
	}
	// The holders check against the newest copy read (an expired
	// tombstone's included), this node against its own.
	cc.read, cc.base = read, gr.Rec.Ver
	// The write checks again, under the lock that orders this node's
	// writes, that no write (a plain set or del included) came in since
	// the read.
	sr, cur, ok := s.ownerWriteIf(ctx, setReq{Key: m.Key, Value: m.Value, Deleted: m.Deleted, Force: m.Force}, cc)
	if !ok {
		if cur.Deleted {
			cur.Ver = Version{}
		}
		return condResp{Current: cur.Ver}.encode(), nil
	}
	done = sr.Head.Status == statusOK
	return condResp{Head: sr.Head, Applied: done, Current: current, Ver: sr.Ver, Copies: sr.Copies}.encode(), nil
}

// condLocks serialises the conditional writes of each key at its owner.
type condLocks struct {
	mu   sync.Mutex
	keys map[string]*condLock
}

type condLock struct {
	mu    sync.Mutex
	users int // holders and waiters; the entry goes when it drops to 0
}

// lock takes key's lock and returns its release.
func (c *condLocks) lock(key string) (unlock func()) {
	c.mu.Lock()
	if c.keys == nil {
		c.keys = map[string]*condLock{}
	}
	l := c.keys[key]
	if l == nil {
		l = &condLock{}
		c.keys[key] = l
	}
	l.users++
	c.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		c.mu.Lock()
		if l.users--; l.users == 0 {
			delete(c.keys, key)
		}
		c.mu.Unlock()
	}
}

// condReq is a conditional write: setReq plus the version expected.
type condReq struct {
	Key     string
	Value   []byte
	Deleted bool
	Force   bool
	Expect  Version
}

func (m condReq) encode() []byte {
	var e encoder
	e.str(m.Key)
	e.bytes(m.Value)
	e.boolean(m.Deleted)
	e.boolean(m.Force)
	e.version(m.Expect)
	return e.b
}

func decodeCondReq(b []byte, lim limits) (condReq, error) {
	d := decoder{b: b}
	m := condReq{Key: d.str(lim.key), Value: d.bytes(lim.value), Deleted: d.boolean(), Force: d.boolean(), Expect: d.version()}
	return m, d.finish()
}

// condResp answers dht.setif: Applied, the version found (Current) and,
// when applied, the version written and the copies acknowledged.
type condResp struct {
	Head    replyHead
	Applied bool
	Current Version
	Ver     Version
	Copies  int
	// Busy: another conditional write of the key holds its reservation at
	// BusyAt; nothing was written.
	Busy   bool
	BusyAt string
}

func (m condResp) encode() []byte {
	var e encoder
	e.head(m.Head)
	e.boolean(m.Applied)
	e.version(m.Current)
	e.version(m.Ver)
	e.uvarint(uint64(m.Copies))
	e.boolean(m.Busy)
	e.str(m.BusyAt)
	return e.b
}

func decodeCondResp(b []byte) (condResp, error) {
	d := decoder{b: b}
	m := condResp{Head: d.head(), Applied: d.boolean(), Current: d.version(), Ver: d.version(), Copies: int(d.uvarint()), Busy: d.boolean(), BusyAt: d.str(maxAddr)}
	return m, d.finish()
}
