package dht

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// Reservations: how a conditional write stays atomic across a change of
// owner (see cond.go). Each holder of a key promises one conditional write
// at a time (a reservation, dht.reserve, given with its copy) and applies
// a conditional write (dht.condstore) only if it holds no other live
// reservation and nothing newer than the version the writer read.

// Commands of the conditional write, owner → holder.
const (
	cmdReserve   = "dht.reserve"   // reserve a key for one conditional write, read the copy
	cmdCondStore = "dht.condstore" // apply a conditional write if still reserved and not overtaken
	cmdRelease   = "dht.release"   // give a reservation back (the write is not coming)
)

// maxReserveTTL bounds the time a holder keeps a reservation, whatever a
// request asks.
const maxReserveTTL = time.Minute

// reservation is a holder's promise to one conditional write of a key.
// Its lifetime is a timeout in real time, like an RPC deadline.
type reservation struct {
	token string
	until time.Time
}

// condCommit is one conditional write as its owner runs it: the token of
// its reservations, when it asked for the first, for how long, the
// holders that gave one (and those that may have: they did not answer),
// the version read.
type condCommit struct {
	token string
	start time.Time
	ttl   time.Duration
	read  Version // this node's copy when it read (the owner's check)
	base  Version // the newest copy read (the holders' check)
	// fenced, for a stand-in's write, holds the only nodes it may go to
	// (fence.go); nil: any.
	fenced map[string]bool

	mu      sync.Mutex
	holders []chord.NodeRef // reserved: the write goes to exactly these
	maybe   []chord.NodeRef // asked without an answer: released too
	busy    string          // a holder that was reserved by another write
}

func (c *condCommit) busyAt() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.busy
}

// newToken names one conditional write uniquely on the ring: the
// address of the node that runs it, '#', a number drawn when the store
// started (a node restarted at the same address names its writes anew)
// and a counter.
func (s *Store) newToken() string {
	return s.self.Addr + "#" + strconv.FormatUint(s.tokenBase, 36) + "." + strconv.FormatUint(s.tokens.Add(1), 36)
}

// tokenNode returns the address of the node that runs a token's write.
func tokenNode(token string) string {
	if i := strings.LastIndexByte(token, '#'); i >= 0 {
		return token[:i]
	}
	return token
}

// ReservationTTL is the longest a conditional write can keep a key
// reserved (ErrBusy), a crashed writer's reservation included.
func (s *Store) ReservationTTL() time.Duration { return s.reserveTTL() }

// reserveTTL is how long a reservation lasts: the deadline a client gives
// a conditional write (see call), after which its owner no longer writes.
func (s *Store) reserveTTL() time.Duration {
	return s.rpc * time.Duration(s.cfg.Replicas+3)
}

// reserveLocked reserves key for token until now+ttl, unless another live
// reservation holds it; it reports whether it did. A reservation by the
// same node is taken over: a node runs its conditional writes of a key one
// at a time, so its earlier one has ended (a write of it still on its way
// finds the reservation gone and is refused). The caller holds s.mu.
func (s *Store) reserveLocked(key, token string, ttl time.Duration, now time.Time) bool {
	if r, ok := s.resv[key]; ok && r.token != token && now.Before(r.until) && tokenNode(r.token) != tokenNode(token) {
		return false
	}
	if s.resv == nil {
		s.resv = map[string]reservation{}
	}
	s.resv[key] = reservation{token: token, until: now.Add(min(ttl, maxReserveTTL))}
	return true
}

// releaseLocked drops token's reservation of key, if it still holds it.
// The caller holds s.mu.
func (s *Store) releaseLocked(key, token string) {
	if r, ok := s.resv[key]; ok && r.token == token {
		delete(s.resv, key)
	}
}

// sweepReservations drops the reservations that have lapsed (their
// writer crashed or gave up without releasing them).
func (s *Store) sweepReservations() {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, r := range s.resv {
		if !now.Before(r.until) {
			delete(s.resv, k)
		}
	}
}

// condApplyLocked is a holder applying a conditional write: only if no
// other live reservation holds the key and its copy is no newer than
// base, the version the writer read (a copy that is rec itself counts as
// applied). It returns whether the holder has rec now, whether it applied
// it just now, and its version of the key. The caller holds s.mu.
func (s *Store) condApplyLocked(token string, base Version, rec record) (has, applied bool, current Version) {
	if r, ok := s.resv[rec.Key]; ok {
		switch {
		case r.token == token:
			delete(s.resv, rec.Key)
		case time.Now().Before(r.until):
			return false, false, s.tab.version(rec.Key)
		default:
			delete(s.resv, rec.Key)
		}
	}
	c := s.tab.version(rec.Key)
	if c == rec.Ver {
		return true, false, c
	}
	if c.Newer(base) {
		return false, false, c
	}
	applied, _ = s.applyLocked(rec, storeWrite)
	return applied || s.tab.holds(rec), applied, s.tab.version(rec.Key)
}

// reserveReader reads each holder's copy for ownerRead with dht.reserve,
// noting in cc which holders reserved the key for it.
func (s *Store) reserveReader(key string, cc *condCommit) copyReader {
	req := reserveReq{Key: key, Token: cc.token, TTL: cc.ttl}.encode()
	return func(ctx context.Context, h chord.NodeRef) copyRead {
		c := copyRead{addr: h.Addr}
		reply, err := s.call(ctx, h, cmdReserve, req)
		var r reserveResp
		if err == nil {
			r, err = decodeReserveResp(reply, s.lim)
		}
		if err != nil {
			cc.mu.Lock()
			cc.maybe = append(cc.maybe, h)
			cc.mu.Unlock()
			return c
		}
		c.answered = r.Head.Status == statusOK || r.Head.Status == statusNotReady
		if r.Head.Status != statusOK {
			return c
		}
		c.rec, c.found, c.ok = r.Rec, r.Found, true
		cc.mu.Lock()
		if r.Busy {
			if cc.busy == "" {
				cc.busy = h.Addr
			}
		} else {
			cc.holders = append(cc.holders, h)
		}
		cc.mu.Unlock()
		return c
	}
}

// release gives back every reservation cc may hold (its write is not
// coming, or did not reach every holder), this node's included, all at
// once, and returns when they answered. It runs even if ctx has ended:
// a reservation left behind blocks the key's conditional writes until it
// lapses.
func (s *Store) release(ctx context.Context, key string, cc *condCommit) {
	s.mu.Lock()
	s.releaseLocked(key, cc.token)
	s.mu.Unlock()
	cc.mu.Lock()
	to := append(append([]chord.NodeRef(nil), cc.holders...), cc.maybe...)
	cc.mu.Unlock()
	if len(to) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	req := releaseReq{Key: key, Token: cc.token}.encode()
	var wg sync.WaitGroup
	for _, h := range to {
		wg.Add(1)
		go func(h chord.NodeRef) { // exits when its call returns (bounded by the call deadline)
			defer wg.Done()
			_, _ = s.call(ctx, h, cmdRelease, req)
		}(h)
	}
	wg.Wait()
}

// condReplicate is replicate for a conditional write: rec goes to exactly
// the holders that reserved the key for it, all at once, and each applies
// it only if it still may (condApplyLocked). Every one of them must have
// it; a holder that refused it names the version in its way.
func (s *Store) condReplicate(ctx context.Context, rec record, self bool, cc *condCommit) (copies int, err error) {
	cc.mu.Lock()
	to := append([]chord.NodeRef(nil), cc.holders...)
	cc.mu.Unlock()
	var unfenced []chord.NodeRef // reserved, but not fenced: taken as gone
	if cc.fenced != nil {
		to = slices.DeleteFunc(to, func(h chord.NodeRef) bool {
			if !cc.fenced[h.Addr] {
				unfenced = append(unfenced, h)
				return true
			}
			return false
		})
	}
	req := condStoreReq{Token: cc.token, Base: cc.base, Rec: rec, Holder: true}.encode()
	type result struct {
		resp condStoreResp
		err  error
	}
	send := func(h chord.NodeRef) result {
		reply, err := s.call(ctx, h, cmdCondStore, req)
		if err != nil {
			return result{err: err}
		}
		m, err := decodeCondStoreResp(reply)
		if err == nil && m.Head.Status != statusOK {
			err = headErr(m.Head)
		}
		return result{m, err}
	}
	results := make([]result, len(to))
	var wg sync.WaitGroup
	for i, h := range to {
		wg.Add(1)
		go func(i int, h chord.NodeRef) { // exits when its call returns (bounded by ctx and the call deadline)
			defer wg.Done()
			results[i] = send(h)
		}(i, h)
	}
	wg.Wait()
	copies = btoi(self)
	var errs, refused []error
	missing := len(unfenced)
	for _, h := range unfenced {
		errs = append(errs, fmt.Errorf("%s: did not acknowledge the fence", h.Addr))
	}
	for i, r := range results {
		switch {
		case r.err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", to[i].Addr, r.err))
			missing++
		case !r.resp.Accepted:
			refused = append(refused, fmt.Errorf("%s holds version %s, newer than the version read (%s), or another conditional write's reservation", to[i].Addr, r.resp.Current, cc.base))
		default:
			copies++
		}
	}
	if missing > 0 && len(refused) == 0 {
		// A holder that reserved the key has gone since: the next ready
		// nodes take its place, one by one. They gave no reservation, but
		// each applies the write only if no other conditional write holds
		// the key there and it has nothing newer than the version read,
		// which is a reservation and the write at once.
		skip := make([]string, 0, len(to)+len(unfenced))
		for _, h := range append(to, unfenced...) {
			skip = append(skip, h.Addr)
		}
		walk := s.newWalk(s.node.Successors(), s.self.Addr, skip...)
		walk.fencedOnly(cc.fenced)
		for missing > 0 && len(refused) == 0 && ctx.Err() == nil {
			h, ok := walk.next(ctx)
			if !ok {
				break
			}
			r := send(h)
			switch {
			case r.err != nil:
				if errors.Is(r.err, errUnreachable) {
					walk.answered(h) // not ready: answered all the same
				}
				errs = append(errs, fmt.Errorf("%s: %w", h.Addr, r.err))
			case !r.resp.Accepted:
				walk.answered(h)
				refused = append(refused, fmt.Errorf("%s holds version %s, newer than the version read (%s), or another conditional write's reservation", h.Addr, r.resp.Current, cc.base))
			default:
				walk.answered(h)
				copies++
				missing--
			}
		}
	}
	if missing > 0 || len(refused) > 0 {
		errs = append(refused, errs...)
		return copies, fmt.Errorf("conditional write stored on %d of %d holders: %w", copies, len(to)+len(unfenced)+btoi(self), errors.Join(errs...))
	}
	return copies, nil
}

// handleReserve serves dht.reserve: reserve the key for the request's
// token unless another live reservation holds it (then Busy), and answer
// with this holder's copy as dht.read does.
func (s *Store) handleReserve(_ context.Context, b []byte) ([]byte, error) {
	m, err := decodeReserveReq(b, s.lim)
	if err != nil {
		return reserveResp{Head: invalid(err)}.encode(), nil
	}
	if h, ok := s.memberHead(accessWrite); !ok {
		return reserveResp{Head: h}.encode(), nil
	}
	s.servedGet()
	s.mu.Lock()
	if s.leaving || s.left {
		s.mu.Unlock()
		return reserveResp{Head: replyHead{Status: statusNotMember, Msg: "node is leaving the ring"}}.encode(), nil
	}
	busy := !s.reserveLocked(m.Key, m.Token, m.TTL, time.Now())
	r, found := s.tab.get(m.Key)
	s.mu.Unlock()
	return reserveResp{Busy: busy, Found: found, Rec: r}.encode(), nil
}

// handleCondStore serves dht.condstore: a holder's side of a conditional
// write (condApplyLocked), forwarded like a write to the nodes taking
// over keys from this one.
func (s *Store) handleCondStore(ctx context.Context, b []byte) ([]byte, error) {
	m, err := decodeCondStoreReq(b, s.lim)
	if err != nil {
		return condStoreResp{Head: invalid(err)}.encode(), nil
	}
	if err := s.checkKey(m.Rec.Key); err != nil {
		return condStoreResp{Head: invalid(err)}.encode(), nil
	}
	// Like a push (dht.store): a node taking over its keys takes a
	// forwarded write before it is ready, not one sent to a holder.
	need := accessHandoff
	if m.Holder {
		need = accessWrite
	}
	if h, ok := s.memberHead(need); !ok {
		return condStoreResp{Head: h}.encode(), nil
	}
	s.servedSets(1)
	m.Rec.ID = s.KeyID(m.Rec.Key)
	s.mu.Lock()
	if s.leaving || s.left {
		s.mu.Unlock()
		return condStoreResp{Head: replyHead{Status: statusNotMember, Msg: "node is leaving the ring"}}.encode(), nil
	}
	has, applied, cur := s.condApplyLocked(m.Token, m.Base, m.Rec)
	s.mu.Unlock()
	if applied {
		if err := s.forwardIf(ctx, []record{m.Rec}, &condFwd{token: m.Token, base: m.Base}); err != nil {
			// Not acknowledged: a node taking over the key refused it.
			has = false
			s.log.Debug("dht: a node taking over a key refused a conditional write", "key", m.Rec.Key, "err", err)
		}
	}
	return condStoreResp{Accepted: has, Current: cur}.encode(), nil
}

// handleRelease serves dht.release.
func (s *Store) handleRelease(_ context.Context, b []byte) ([]byte, error) {
	m, err := decodeReleaseReq(b, s.lim)
	if err != nil {
		return encodeHead(invalid(err)), nil
	}
	s.mu.Lock()
	s.releaseLocked(m.Key, m.Token)
	s.mu.Unlock()
	return encodeHead(replyHead{}), nil
}

// reserveReq asks a holder to reserve Key for the conditional write named
// Token, for TTL.
type reserveReq struct {
	Key   string
	Token string
	TTL   time.Duration
}

func (m reserveReq) encode() []byte {
	var e encoder
	e.str(m.Key)
	e.str(m.Token)
	e.uvarint(uint64(max(m.TTL, 0)))
	return e.b
}

func decodeReserveReq(b []byte, lim limits) (reserveReq, error) {
	d := decoder{b: b}
	m := reserveReq{Key: d.str(lim.key), Token: d.str(maxToken), TTL: time.Duration(min(d.uvarint(), uint64(maxReserveTTL)))}
	return m, d.finish()
}

// maxToken bounds a reservation token (an address and a counter).
const maxToken = maxAddr + 24

// reserveResp answers dht.reserve: the holder's copy, and Busy when
// another conditional write holds the key.
type reserveResp struct {
	Head  replyHead
	Busy  bool
	Found bool
	Rec   record
}

func (m reserveResp) encode() []byte {
	var e encoder
	e.head(m.Head)
	e.boolean(m.Busy)
	e.boolean(m.Found)
	if m.Found {
		e.record(m.Rec)
	}
	return e.b
}

func decodeReserveResp(b []byte, lim limits) (reserveResp, error) {
	d := decoder{b: b}
	m := reserveResp{Head: d.head(), Busy: d.boolean(), Found: d.boolean()}
	if m.Found {
		m.Rec = d.record(lim)
	}
	return m, d.finish()
}

// condStoreReq is a conditional write sent to a holder: Rec, by the write
// named Token, which read Base.
type condStoreReq struct {
	Token string
	Base  Version
	Rec   record
	// Holder: sent to a holder (which must have taken over its keys), not
	// forwarded to a node taking over keys (which need not have).
	Holder bool
}

func (m condStoreReq) encode() []byte {
	var e encoder
	e.str(m.Token)
	e.version(m.Base)
	e.record(m.Rec)
	e.boolean(m.Holder)
	return e.b
}

func decodeCondStoreReq(b []byte, lim limits) (condStoreReq, error) {
	d := decoder{b: b}
	m := condStoreReq{Token: d.str(maxToken), Base: d.version(), Rec: d.record(lim), Holder: d.boolean()}
	return m, d.finish()
}

// condStoreResp answers dht.condstore: whether the holder has the record
// now, and its version of the key.
type condStoreResp struct {
	Head     replyHead
	Accepted bool
	Current  Version
}

func (m condStoreResp) encode() []byte {
	var e encoder
	e.head(m.Head)
	e.boolean(m.Accepted)
	e.version(m.Current)
	return e.b
}

func decodeCondStoreResp(b []byte) (condStoreResp, error) {
	d := decoder{b: b}
	m := condStoreResp{Head: d.head(), Accepted: d.boolean(), Current: d.version()}
	return m, d.finish()
}

// releaseReq gives back Token's reservation of Key.
type releaseReq struct {
	Key   string
	Token string
}

func (m releaseReq) encode() []byte {
	var e encoder
	e.str(m.Key)
	e.str(m.Token)
	return e.b
}

func decodeReleaseReq(b []byte, lim limits) (releaseReq, error) {
	d := decoder{b: b}
	m := releaseReq{Key: d.str(lim.key), Token: d.str(maxToken)}
	return m, d.finish()
}

func encodeHead(h replyHead) []byte {
	var e encoder
	e.head(h)
	return e.b
}
