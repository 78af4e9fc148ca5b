package dht

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// Sentinel errors, wrapped with detail; test them with errors.Is.
var (
	// ErrEmptyKey: the key is the empty string.
	ErrEmptyKey = errors.New("empty key")
	// ErrKeyTooLarge: the key is longer than Config.MaxKeySize.
	ErrKeyTooLarge = errors.New("key too large")
	// ErrValueTooLarge: the value is longer than Config.MaxValueSize.
	ErrValueTooLarge = errors.New("value too large")
	// ErrUnavailable: the owner (and, for reads, every replica) could not be
	// reached, or too few holders acknowledged a write.
	ErrUnavailable = errors.New("key unavailable")
)

// Command names registered on the chord node.
const (
	cmdGet      = "dht.get"      // client → owner: read (owner merges its replicas)
	cmdSet      = "dht.set"      // client → owner: write a value
	cmdDel      = "dht.del"      // client → owner: write a tombstone
	cmdRead     = "dht.read"     // owner → holder: the local copy only
	cmdStore    = "dht.store"    // push records (replication, repair, leave)
	cmdDigest   = "dht.digest"   // repair: which of these versions do you need?
	cmdTransfer = "dht.transfer" // join: the records of (from, to]
	cmdSuccs    = "dht.succs"    // a node's predecessor and successor list
)

// Config holds the DHT's tunables.
type Config struct {
	// Replicas is r, the number of holders of each key (owner included).
	// It must not exceed the chord successor-list length + 1.
	Replicas int
	// MaxKeySize and MaxValueSize bound keys and values, in bytes.
	MaxKeySize, MaxValueSize int
	// RepairInterval is the period at which a Driver runs Repair.
	RepairInterval time.Duration
	// TombstoneTTL is how long a deletion is remembered: every node drops a
	// tombstone once the wall time of its version is this old, and a
	// tombstone older than that is not stored again. A holder that was
	// paused or cut off for longer than this may bring a deleted key back,
	// so it must outlast every fault the ring is expected to survive.
	TombstoneTTL time.Duration
	// MaxClockSkew is how far ahead of this node's physical clock a version
	// it sees may move its hybrid logical clock; a version from further
	// ahead moves it by this much only (and is logged), so that one clock
	// far ahead cannot stop versions from following physical time.
	MaxClockSkew time.Duration
	// MaxBatchBytes bounds the keys and values carried by one transfer or
	// push message (a message always carries at least one record).
	MaxBatchBytes int
	// MaxRedirects bounds how many "not the owner, try X" answers a Get,
	// Set or Del follows before giving up. Each answer moves one node
	// toward the owner; after a burst of joins a lookup through a node
	// that has not stabilized yet can name an old node with several new
	// ones between it and the key, so this is larger than a few.
	MaxRedirects int
	// Clock is the physical clock that versions start from and tombstone
	// ages are measured on; nil means time.Now.
	Clock func() time.Time
	// OnMerge, when set, is called for every merge this store makes (see
	// Merge), after the store's locks are released. It must not block.
	OnMerge func(Merge)
	// Logger receives the store's logs; nil discards them.
	Logger *slog.Logger

	// Host, when set, names the real node a node's address runs on, for
	// rings of virtual nodes: a key's holders are then the owner and the
	// next nodes on other real nodes than the owner's and each other's
	// (hosts.go), so that one real node's crash never takes two copies.
	// Nil: every address is a real node of its own.
	Host func(addr string) string

	// Cache is the read cache with owner leases (cache.go); off by default.
	Cache CacheConfig
	// CacheGroup, when set, joins this store's read cache with those of
	// the other stores of its real node (cachegroup.go): gets and lookup
	// steps here may be answered from their cached copies. Nil: none.
	CacheGroup *CacheGroup
}

// DefaultConfig returns r = 3, keys ≤ 1 KiB, values ≤ 1 MiB, a repair
// round every 100 ms, tombstones kept 10 minutes and a clock skew of at
// most one second.
func DefaultConfig() Config {
	return Config{
		Replicas:       3,
		MaxKeySize:     1024,
		MaxValueSize:   1 << 20,
		RepairInterval: 100 * time.Millisecond,
		TombstoneTTL:   10 * time.Minute,
		MaxClockSkew:   time.Second,
		MaxBatchBytes:  1 << 20,
		MaxRedirects:   16,
	}
}

// Validate reports every setting that is out of range.
func (c Config) Validate() error {
	var errs []error
	if c.Replicas < 1 {
		errs = append(errs, fmt.Errorf("replicas must be at least 1, got %d", c.Replicas))
	}
	if c.MaxKeySize < 1 {
		errs = append(errs, fmt.Errorf("max key size must be at least 1, got %d", c.MaxKeySize))
	}
	if c.MaxValueSize < 0 {
		errs = append(errs, fmt.Errorf("max value size must not be negative, got %d", c.MaxValueSize))
	}
	if c.RepairInterval < chord.MinInterval {
		errs = append(errs, fmt.Errorf("repair interval must be at least %v, got %v", chord.MinInterval, c.RepairInterval))
	}
	if c.TombstoneTTL < c.RepairInterval || c.TombstoneTTL <= 0 {
		errs = append(errs, fmt.Errorf("tombstone TTL must be at least the repair interval (%v), got %v", c.RepairInterval, c.TombstoneTTL))
	}
	if c.MaxClockSkew <= 0 {
		errs = append(errs, fmt.Errorf("max clock skew must be positive, got %v", c.MaxClockSkew))
	}
	if c.MaxBatchBytes < 1 {
		errs = append(errs, fmt.Errorf("max batch bytes must be at least 1, got %d", c.MaxBatchBytes))
	}
	if err := c.Cache.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.MaxRedirects < 0 {
		errs = append(errs, fmt.Errorf("max redirects must not be negative, got %d", c.MaxRedirects))
	}
	return errors.Join(errs...)
}

// Store is the DHT layer of one chord node. Its methods are safe for
// concurrent use. It runs no goroutines: Repair is called by a Driver or a
// test.
type Store struct {
	node *chord.Node
	cfg  Config
	self chord.NodeRef
	bits int
	// walkMax bounds the nodes one walk along the ring yields (walkLimit).
	walkMax int
	lim     limits
	rpc     time.Duration // per-call deadline for calls the store makes
	log     *slog.Logger
	now     func() time.Time // the physical clock (Config.Clock)
	clock   *hlc

	handlers map[string]chord.CommandHandler
	load     *storeLoad // requests served (load.go)
	cache    *readCache // cached answers and the leases granted (cache.go)
	fences   fenceTable // keys fenced by stand-ins' writes (fence.go)

	batch   batcher     // gets and reads held back for a batch (batch.go)
	flights readFlights // GetDirect reads shared by the gets of one key (coalesce.go)
	turns   updateTurns // Updates of one key through this store take turns (update.go)

	hintMu sync.Mutex
	hints  map[string][]chord.NodeRef // owner address → the replicas it reads (replicaHints)
	owners ownerMemory                // the ranges owners serve, for GetDirect (owners.go)

	repairMu sync.Mutex // one Repair or Leave at a time

	conds     condLocks     // the conditional writes of each key, one at a time (cond.go)
	tokens    atomic.Uint64 // names this node's conditional writes (reserve.go)
	tokenBase uint64        // drawn at New: this store's writes' names

	mu       sync.Mutex
	tab      *table
	lastPred chord.NodeRef          // last non-zero predecessor seen, for Counts
	ready    bool                   // the join handoff is done: the store serves its keys
	handoffs []handoff              // nodes taking over keys from this one (forward)
	leaving  bool                   // Leave has started: refuse writes and pushes
	left     bool                   // Leave has finished
	resv     map[string]reservation // the conditional write each key is reserved for (reserve.go)
}

// New attaches a store to node and registers the dht commands on it.
func New(node *chord.Node, cfg Config) (*Store, error) {
	if node == nil {
		return nil, errors.New("dht: nil node")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dht: %w", err)
	}
	ccfg := node.Config()
	if cfg.Replicas-1 > ccfg.SuccessorListLen {
		return nil, fmt.Errorf("dht: replicas %d needs a successor list of at least %d, chord has %d",
			cfg.Replicas, cfg.Replicas-1, ccfg.SuccessorListLen)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rpc := ccfg.RPCTimeout
	if rpc <= 0 {
		rpc = time.Second
	}
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	log = log.With("node", node.Self().Addr)
	s := &Store{
		node:    node,
		cfg:     cfg,
		self:    node.Self(),
		bits:    ccfg.Bits,
		walkMax: walkLimit(ccfg.SuccessorListLen),
		lim:     limits{key: cfg.MaxKeySize, value: cfg.MaxValueSize},
		rpc:     rpc,
		log:     log,
		now:     now,
		clock:   newHLC(now, cfg.MaxClockSkew, log),
		tab:     newTable(),
		load:    newStoreLoad(ccfg.Load.Window),
		cache:   newReadCache(cfg.Cache),
		// A node that created a ring and is still alone in it holds every
		// key there is (none): it has nothing to take over.
		ready: node.Joined() && len(distinctExcept(node.Successors(), node.Self())) == 0,

		hints: map[string][]chord.NodeRef{},

		tokenBase: rand.Uint64(),
	}
	s.handlers = map[string]chord.CommandHandler{
		cmdGet:      s.handleGet,
		cmdSet:      s.handleSet,
		cmdDel:      s.handleDel,
		cmdRead:     s.handleRead,
		cmdStore:    s.handleStore,
		cmdDigest:   s.handleDigest,
		cmdTransfer: s.handleTransfer,
		cmdSuccs:    s.handleSuccs,
		cmdSetIf:    s.handleSetIf,
		cmdInval:    s.handleInval,
		cmdFence:    s.handleFence,

		cmdReserve:   s.handleReserve,
		cmdCondStore: s.handleCondStore,
		cmdRelease:   s.handleRelease,
		cmdBatch:     s.handleBatch,
	}
	s.cache.self = s.self
	if cfg.CacheGroup != nil {
		cfg.CacheGroup.join(s) // before any handler: see join
	}
	node.SetStepCache(s) // hops answer gets from their cache (hopcache.go)
	for _, name := range []string{cmdGet, cmdSet, cmdDel, cmdRead, cmdStore, cmdDigest, cmdTransfer, cmdSuccs, cmdSetIf, cmdInval, cmdFence, cmdReserve, cmdCondStore, cmdRelease, cmdBatch} {
		if err := node.Register(name, s.handlers[name]); err != nil {
			return nil, fmt.Errorf("dht: register %s: %w", name, err)
		}
	}
	return s, nil
}

// Config returns the store's configuration.
func (s *Store) Config() Config { return s.cfg }

// Ready reports whether the store has taken over its keys (the join
// handoff, see Repair) and so serves them. Until then it answers no read
// or write: the nodes after it stand in, as for a node that is down.
func (s *Store) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready
}

// KeyID returns the identifier of key on this store's ring.
func (s *Store) KeyID(key string) chord.ID { return chord.HashID(s.bits, []byte(key)) }

// GetResult is the answer to Get.
type GetResult struct {
	Value []byte
	// Found is false for a key never written or deleted.
	Found bool
	// Version is the version of the record read (a tombstone's for a
	// deleted key, the zero Version for a key never written).
	Version Version
	// Owner is the node that answered: the owner, or the node that stood
	// in for it when the owner was down or had not yet taken over its keys
	// (then Fallback is true).
	Owner    chord.NodeRef
	Fallback bool
	// WrittenBack counts the holders that were behind and to which the
	// read wrote the record back before it returned.
	WrittenBack int
	Lookup      chord.LookupResult
	// Cached says a read cache answered (cache.go): this node's, with no
	// lookup and no holder asked, or (CachedBy not this node) the cache
	// of a hop of the lookup, whose last row is that hop (hopcache.go).
	// Owner is the one that granted the lease.
	Cached   bool
	CachedBy chord.NodeRef
	lease    time.Duration // granted with this answer (0: none)
}

// PutResult is the answer to Set and Del.
type PutResult struct {
	// Version is the version the owner (or its stand-in) assigned.
	Version Version
	Owner   chord.NodeRef
	// Copies is how many holders acknowledged the write (owner included).
	Copies int
	Lookup chord.LookupResult
}

// checkKey validates a key before anything is sent.
func (s *Store) checkKey(key string) error {
	if key == "" {
		return ErrEmptyKey
	}
	if len(key) > s.cfg.MaxKeySize {
		return fmt.Errorf("key of %d bytes exceeds the limit of %d: %w", len(key), s.cfg.MaxKeySize, ErrKeyTooLarge)
	}
	return nil
}

func (s *Store) checkValue(value []byte) error {
	if len(value) > s.cfg.MaxValueSize {
		return fmt.Errorf("value of %d bytes exceeds the limit of %d: %w", len(value), s.cfg.MaxValueSize, ErrValueTooLarge)
	}
	return nil
}

// Get reads key through this node: a lookup, then one round that asks the
// owner and reads its r-1 replicas (or asks the owner only, which reads
// them, when this node does not know them yet); if the owner is down, the
// next nodes of its successor list stand in. A missing or deleted key is Found = false with
// a nil error.
func (s *Store) Get(ctx context.Context, key string) (GetResult, error) {
	if err := s.checkKey(key); err != nil {
		return GetResult{}, fmt.Errorf("get: %w", err)
	}
	start := s.now()
	if res, ok := s.cachedHere(key, start); ok {
		return res, nil
	}
	return s.getUncached(ctx, key, start)
}

// getUncached is Get past this node's cache (start: when the get began).
func (s *Store) getUncached(ctx context.Context, key string, start time.Time) (GetResult, error) {
	lease, inval := s.cache.begin()
	opts := ownerLookup
	if lease { // a hop that routes to key may answer from its cache, under a sub-lease (hopcache.go)
		opts.Probe = encodeProbe(key, s.self.Addr)
	}
	lr, err := s.node.LookupWith(ctx, s.KeyID(key), opts)
	if err == nil && lr.Answer != nil {
		if res, ok := s.hopAnswer(key, lr); ok {
			if res.lease > 0 { // a sub-lease: it ends before the hop's own
				s.cache.keep(key, res, start, res.lease, inval)
			}
			return res, nil
		}
		lr, err = s.node.LookupWith(ctx, s.KeyID(key), ownerLookup)
	}
	return s.getLooked(ctx, key, lr, err, start, lease, inval)
}

// getLooked is Get once the owner is looked up: it reads the owner and
// replicas (looking up again if the owner failed) and keeps the answer in
// the cache under the lease the owner granted, if any.
func (s *Store) getLooked(ctx context.Context, key string, lr chord.LookupResult, err error, start time.Time, lease bool, inval uint64) (GetResult, error) {
	res, gerr := s.getAfter(ctx, key, lr, err, false, lease)
	res, gerr = lookUpVerified(ctx, s, key, err, res, gerr, func(lr chord.LookupResult, err error) (GetResult, error) {
		return s.getAfter(ctx, key, lr, err, true, lease)
	})
	if gerr == nil && res.lease > 0 {
		s.cache.keep(key, res, start, res.lease, inval)
	}
	return res, gerr
}

// getAfter is Get once the lookup is done (lookupErr is its error);
// verified says the lookup pinged the owner (see callOwner).
func (s *Store) getAfter(ctx context.Context, key string, lr chord.LookupResult, lookupErr error, verified, lease bool) (GetResult, error) {
	id := s.KeyID(key)
	op := newOpState(lr, verified || lookupErr != nil)
	standInReq := func(_ chord.NodeRef, force bool) []byte { return getReq{Key: key, Force: force}.encode() }
	if err := lookupErr; err != nil {
		// Every owner candidate the lookup knew of failed (the successor
		// lists still name crashed nodes): read from the nodes after the
		// nearest one instead.
		dead, ok := nearestFailed(lr, id)
		if !ok || ctx.Err() != nil {
			return GetResult{Lookup: lr}, fmt.Errorf("get %q: lookup: %w: %w", key, ErrUnavailable, err)
		}
		reply, at, _, ferr := s.standIn(ctx, cmdGet, standInReq, lr, dead, op)
		if ferr != nil {
			return GetResult{Lookup: lr}, fmt.Errorf("get %q: lookup: %w: %w; replicas: %w", key, ErrUnavailable, err, ferr)
		}
		return s.getResult(ctx, key, reply, at, true, lr)
	}
	// Read the owner and the replicas it would read at once: the client
	// reads them itself and tells the owner so (Cover).
	hints := s.replicaHints(lr.Owner)
	reads := make([]copyRead, len(hints))
	readReq := getReq{Key: key}.encode()
	var wg sync.WaitGroup
	for i := range hints {
		wg.Add(1)
		go func(i int) { // exits when its call returns (bounded by ctx)
			defer wg.Done()
			reads[i] = s.readCopy(ctx, hints[i], readReq)
		}(i)
	}
	cover := make([]string, len(hints))
	for i, h := range hints {
		cover[i] = h.Addr
	}
	covered := false // the request that got the reply had a Cover
	req := func(to chord.NodeRef, force bool) []byte {
		q := getReq{Key: key, Force: force, Hints: !force}
		if covered = len(cover) > 0 && !force && to.Addr == lr.Owner.Addr; covered {
			q.Cover = cover
		}
		if lease && !force {
			q.Lease, q.From = true, s.self.Addr
		}
		return q.encode()
	}
	reply, at, forced, err := s.callOwner(ctx, lr.Owner, cmdGet, req, op)
	wg.Wait()
	if err == nil && covered {
		// The owner counted every hint as read: if some did not answer (or
		// have not taken over their keys yet), it must read the next live
		// successors in their place.
		var ok, failed []string
		for i, r := range reads {
			if r.ok {
				ok = append(ok, hints[i].Addr)
			} else {
				failed = append(failed, hints[i].Addr)
			}
		}
		if len(failed) > 0 {
			cover = ok
			reply, at, forced, err = s.callOwner(ctx, at, cmdGet, func(to chord.NodeRef, force bool) []byte {
				q := getReq{Key: key, Force: force, Hints: !force}
				if !force && to.Addr == lr.Owner.Addr {
					q.Cover, q.Skip = ok, failed
				}
				return q.encode()
			}, op)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return GetResult{Lookup: lr}, fmt.Errorf("get %q: %w", key, ctx.Err())
		}
		if !op.verified {
			return GetResult{Lookup: lr, Owner: at}, fmt.Errorf("get %q: owner %s: %w", key, at.Addr, err)
		}
		var ferr error
		reply, at, forced, ferr = s.standIn(ctx, cmdGet, standInReq, lr, at, op)
		if ferr != nil {
			return GetResult{Lookup: lr, Owner: at}, fmt.Errorf("get %q: owner %s: %w; replicas: %w", key, at.Addr, err, ferr)
		}
	}
	return s.getResult(ctx, key, reply, at, forced, lr, reads...)
}

// copyRead is a holder's answer to dht.read: ok is false when it did not
// answer, or answered that it has not taken over its keys yet (answered).
type copyRead struct {
	addr                string
	rec                 record
	found, ok, answered bool
	fenced              bool // under a stand-in's fence: keep no lease (fence.go)
}

// getResult decodes a dht.get reply into a GetResult, keeping the newest of
// its record and the copies the client read itself (extra), and writes that
// record back to every copy that was behind before it returns (so a later
// read cannot return an older value, even if the write that made it has
// not finished and never will). A list of replicas in the reply replaces
// the ones remembered for the node that answered.
func (s *Store) getResult(ctx context.Context, key string, reply []byte, at chord.NodeRef, fallback bool, lr chord.LookupResult, extra ...copyRead) (GetResult, error) {
	m, err := decodeGetResp(reply, s.lim)
	if err == nil {
		err = headErr(m.Head)
	}
	if err != nil {
		return GetResult{Lookup: lr, Owner: at, Fallback: fallback}, fmt.Errorf("get %q from %s: %w", key, at.Addr, err)
	}
	if len(m.Replicas) > 0 && !fallback {
		s.learnReplicas(at, m.Replicas)
	}
	if !m.Pred.IsZero() && !fallback {
		s.owners.learn(m.Pred, at, s.now())
	}
	seen := map[string]copyVer{} // every copy read, by holder
	for _, c := range m.Copies {
		seen[c.Addr] = c
	}
	for _, c := range extra {
		if !c.ok {
			continue
		}
		seen[c.addr] = copyVer{Addr: c.addr, Found: c.found, Ver: c.rec.Ver}
		if c.found && (!m.Found || c.rec.Ver.Newer(m.Rec.Ver)) {
			m.Found, m.Rec = true, c.rec
		}
	}
	res := GetResult{Owner: at, Fallback: fallback, Lookup: lr}
	if !fallback && !slices.ContainsFunc(extra, func(c copyRead) bool { return c.fenced }) {
		res.lease = m.Lease
	}
	if !m.Found {
		return res, nil
	}
	s.clock.observe(m.Rec.Ver)
	res.Version = m.Rec.Ver
	if !m.Rec.Deleted {
		res.Found, res.Value = true, m.Rec.Value
	}
	var behind []string
	for a, c := range seen {
		if !c.Found || m.Rec.Ver.Newer(c.Ver) {
			behind = append(behind, a)
		}
	}
	res.WrittenBack = s.writeBack(ctx, m.Rec, behind)
	return res, nil
}

// writeBack pushes rec to the holders at addrs (all at once) and returns
// how many took it. A holder that does not answer is passed over: it is
// one of the failures the replication absorbs.
func (s *Store) writeBack(ctx context.Context, rec record, addrs []string) int {
	if len(addrs) == 0 {
		return 0
	}
	req := storeReq{Kind: storeWriteBack, Recs: []record{rec}}.encode()
	oks := make([]bool, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Add(1)
		go func(i int, a string) { // exits when its call returns (bounded by ctx)
			defer wg.Done()
			p := s.push(ctx, chord.NodeRef{Addr: a}, req)
			oks[i] = p.err == nil
		}(i, a)
	}
	wg.Wait()
	n := 0
	for _, ok := range oks {
		if ok {
			n++
		}
	}
	return n
}

// maxHintOwners bounds how many owners' replica lists a store remembers.
const maxHintOwners = 64

// replicaHints returns the r-1 nodes after owner that it reads on a get,
// as far as this node knows: from its own successor list when owner is in
// it with r-1 nodes after it, else as owner last named them. They are
// hints: the owner reads itself any of its replicas that a get does not
// cover. Nil when unknown (or when this node is the owner).
func (s *Store) replicaHints(owner chord.NodeRef) []chord.NodeRef {
	want := s.cfg.Replicas - 1
	if want == 0 || owner.Addr == s.self.Addr {
		return nil
	}
	mine := s.node.Successors()
	for i, n := range mine {
		if n.Addr == owner.Addr {
			if l := s.holders(mine[i+1:], owner); len(l) >= want {
				return l[:want]
			}
			break
		}
	}
	s.hintMu.Lock()
	defer s.hintMu.Unlock()
	return s.hints[owner.Addr]
}

// learnReplicas remembers the replicas owner named in a dht.get reply.
func (s *Store) learnReplicas(owner chord.NodeRef, reps []chord.NodeRef) {
	s.hintMu.Lock()
	defer s.hintMu.Unlock()
	if _, ok := s.hints[owner.Addr]; !ok && len(s.hints) >= maxHintOwners {
		for a := range s.hints { // forget one at random
			delete(s.hints, a)
			break
		}
	}
	s.hints[owner.Addr] = reps
}

// Set writes key through this node: a lookup, then the owner, which stores
// the value, pushes it to its next r-1 live successors and acknowledges
// once they all have it.
func (s *Store) Set(ctx context.Context, key string, value []byte) (PutResult, error) {
	if err := s.checkKey(key); err != nil {
		return PutResult{}, fmt.Errorf("set: %w", err)
	}
	if err := s.checkValue(value); err != nil {
		return PutResult{}, fmt.Errorf("set %q: %w", key, err)
	}
	return s.write(ctx, "set", setReq{Key: key, Value: value})
}

// Del deletes key by writing a versioned tombstone to its holders. Deleting
// a missing key succeeds.
func (s *Store) Del(ctx context.Context, key string) (PutResult, error) {
	if err := s.checkKey(key); err != nil {
		return PutResult{}, fmt.Errorf("del: %w", err)
	}
	return s.write(ctx, "del", setReq{Key: key, Deleted: true})
}

func (s *Store) write(ctx context.Context, op string, req setReq) (PutResult, error) {
	lr, err := s.node.LookupWith(ctx, s.KeyID(req.Key), ownerLookup)
	res, werr := s.writeAfter(ctx, op, req, lr, err, false)
	return lookUpVerified(ctx, s, req.Key, err, res, werr, func(lr chord.LookupResult, err error) (PutResult, error) {
		return s.writeAfter(ctx, op, req, lr, err, true)
	})
}

// lookUpAgain reports whether an operation whose owner was looked up
// without a ping (ownerLookup) should be retried after a verified
// lookup (verifiedLookup): the owner did not answer (crashed, left, or silent) and no node
// after it could stand in, because the node that named it listed it last
// (a verified lookup pings the owner and goes on from the nodes before it).
// A write that timed out on the owner may still be applied by it later;
// that risk is the one writeAfter already takes when it hands a write to a
// stand-in after an owner timeout, and the retry adds no other.
func (s *Store) lookUpAgain(ctx context.Context, lookupErr, opErr error) bool {
	if lookupErr != nil || opErr == nil || ctx.Err() != nil {
		return false
	}
	return errors.Is(opErr, chord.ErrNodeDown) || errors.Is(opErr, errUnreachable)
}

// ownerLookup is how Get, Set and Del look up the owner: they call it next
// and fall back on the nodes after it when it does not answer (callOwner,
// standIn), so the lookup does not ping it first (one round trip less).
var ownerLookup = chord.LookupOptions{TrustOwner: true}

// verifiedLookup is how an operation whose owner failed looks up again
// (lookUpAgain): the owner must answer a ping now, whatever other nodes
// heard from it before it failed.
var verifiedLookup = chord.LookupOptions{PingOwner: true}

// lookUpVerified retries an operation whose owner failed (lookUpAgain:
// lookupErr and opErr are the attempt's, res its result) by op after a
// verified lookup, and again while the owner that lookup pinged fails
// before op reaches it: it crashed right after its ping, and the successor
// lists may no longer name it, so no node can stand in for it (standIn)
// while a new lookup names the live node after it. Each attempt has a new
// owner, and there are at most Replicas of them: fewer than r crashes
// leave a holder.
func lookUpVerified[R any](ctx context.Context, s *Store, key string, lookupErr error, res R, opErr error, op func(chord.LookupResult, error) (R, error)) (R, error) {
	var tried []string // owners of the attempts made
	for range s.cfg.Replicas {
		if !s.lookUpAgain(ctx, lookupErr, opErr) {
			break
		}
		lr, err := s.node.LookupWith(ctx, s.KeyID(key), verifiedLookup)
		if err == nil && slices.Contains(tried, lr.Owner.Addr) {
			break
		}
		tried = append(tried, lr.Owner.Addr)
		res, opErr = op(lr, err)
		lookupErr = err
	}
	return res, opErr
}

// writeAfter is Set or Del once the lookup is done (lookupErr is its
// error); verified says the lookup pinged the owner (see callOwner).
func (s *Store) writeAfter(ctx context.Context, op string, req setReq, lr chord.LookupResult, lookupErr error, verified bool) (PutResult, error) {
	id := s.KeyID(req.Key)
	cmd := cmdSet
	if req.Deleted {
		cmd = cmdDel
	}
	st := newOpState(lr, verified || lookupErr != nil)
	build := func(_ chord.NodeRef, force bool) []byte {
		req.Force = force
		return req.encode()
	}
	var reply []byte
	var at chord.NodeRef
	if err := lookupErr; err != nil {
		// Every owner candidate the lookup knew of failed: the first live
		// node after them owns the key now and takes the write.
		dead, ok := nearestFailed(lr, id)
		if !ok || ctx.Err() != nil {
			return PutResult{Lookup: lr}, fmt.Errorf("%s %q: lookup: %w: %w", op, req.Key, ErrUnavailable, err)
		}
		var serr error
		if reply, at, _, serr = s.standIn(ctx, cmd, build, lr, dead, st); serr != nil {
			return PutResult{Lookup: lr}, fmt.Errorf("%s %q: lookup: %w: %w; stand-ins: %w", op, req.Key, ErrUnavailable, err, serr)
		}
	} else {
		var err error
		reply, at, _, err = s.callOwner(ctx, lr.Owner, cmd, build, st)
		if err != nil {
			// The owner is down or has not taken over its keys: after a
			// verified lookup, the first serving node after it takes the
			// write (before one, Set looks up again).
			if ctx.Err() != nil || !st.verified || !errors.Is(err, chord.ErrNodeDown) && !errors.Is(err, errUnreachable) {
				return PutResult{Lookup: lr, Owner: at}, fmt.Errorf("%s %q: owner %s: %w", op, req.Key, at.Addr, err)
			}
			var serr error
			if reply, at, _, serr = s.standIn(ctx, cmd, build, lr, at, st); serr != nil {
				return PutResult{Lookup: lr, Owner: at}, fmt.Errorf("%s %q: owner %s: %w; stand-ins: %w", op, req.Key, at.Addr, err, serr)
			}
		}
	}
	m, err := decodeSetResp(reply)
	if err != nil {
		return PutResult{Lookup: lr, Owner: at}, fmt.Errorf("%s %q at %s: %w", op, req.Key, at.Addr, err)
	}
	res := PutResult{Version: m.Ver, Owner: at, Copies: m.Copies, Lookup: lr}
	if err := headErr(m.Head); err != nil {
		return res, fmt.Errorf("%s %q at %s: %w", op, req.Key, at.Addr, err)
	}
	return res, nil
}

// headErr turns a reply status into an error (nil for statusOK).
func headErr(h replyHead) error {
	switch h.Status {
	case statusOK:
		return nil
	case statusInvalid:
		return fmt.Errorf("invalid request: %s", h.Msg)
	case statusUnavailable:
		return fmt.Errorf("%w: %s", ErrUnavailable, h.Msg)
	case statusNotMember:
		return fmt.Errorf("%w: %s", chord.ErrNotJoined, h.Msg)
	case statusNotReady:
		return fmt.Errorf("%w: %s", errUnreachable, h.Msg)
	case statusNotOwner:
		return fmt.Errorf("%w: not the owner (%s)", ErrUnavailable, h.Msg)
	}
	return fmt.Errorf("status %d: %s", h.Status, h.Msg)
}

// errUnreachable marks a peer that did not answer or is not a ring member.
var errUnreachable = errors.New("unreachable")

// unreachable marks err (a reply's error, headErr) with errUnreachable,
// once: a not-ready reply's error already is.
func unreachable(err error) error {
	if errors.Is(err, errUnreachable) {
		return err
	}
	return fmt.Errorf("%w: %w", errUnreachable, err)
}

// errRemembered: an owner remembered for a key (GetDirect) no longer
// serves it. It counts as unreachable, so the caller looks up again.
var errRemembered = fmt.Errorf("%w: the remembered owner does not serve the key", errUnreachable)

// opState is what one Get, Set or Del learns about the nodes it calls.
type opState struct {
	// verified: the owner was looked up with a ping (verifiedLookup), or
	// the lookup failed; only then may a node be forced to answer for a
	// key it does not own (see callOwner).
	verified bool
	down     map[string]bool // did not answer, or has left the ring
	notReady map[string]bool // answered that it has not taken over its keys
	alive    map[string]bool // answered (a walk may go on from its successor list)
	// unanswered: a conditional write was sent to a node that did not
	// answer, which may have applied it (see condWrite).
	unanswered bool
	// direct: the owner was remembered, not looked up (GetDirect); a
	// redirect from it is a miss (errRemembered), not a way to follow.
	direct bool
}

func newOpState(lr chord.LookupResult, verified bool) *opState {
	st := &opState{verified: verified, down: map[string]bool{}, notReady: map[string]bool{}, alive: map[string]bool{}}
	st.direct = len(lr.Path) == 0 && lr.OwnerVia == rememberedVia
	for _, h := range lr.Path {
		if h.Err != "" && verified {
			st.down[h.Node.Addr] = true
		}
	}
	return st
}

// errRedirectDown: a node redirected to its predecessor, which is down.
var errRedirectDown = fmt.Errorf("%w: redirected to a node that is down", errUnreachable)

// callOwner sends the request built by req to start, following "not the
// owner" redirects toward the predecessor that owns the key. If a redirect
// leads to a node that is down (it did not answer, or has left), the node
// that redirected is the first live successor of the key, provided the
// owner was looked up with a ping (st.verified): it is asked again with
// force. Without that the node that named the owner may have been wrong
// (a node that left, still vouched for), so callOwner fails and the caller
// looks up again. An answer that a node has not taken over its keys is no
// reason to force the next one: it may be ready a moment later, and the
// next one no longer a holder (get, set and del are not answered so: such
// a node serves them as a proxy). callOwner returns the reply, the node that gave it (or the
// last node tried) and whether it was forced. An error wraps
// ErrUnavailable, and chord.ErrNodeDown or errUnreachable when a node did
// not answer or does not serve the key's range.
func (s *Store) callOwner(ctx context.Context, start chord.NodeRef, cmd string, req func(to chord.NodeRef, force bool) []byte, st *opState) ([]byte, chord.NodeRef, bool, error) {
	at, prev := start, chord.NodeRef{}
	force := false
	for i := 0; ; i++ {
		var reply []byte
		var err error
		switch {
		case st.down[at.Addr]:
			err = fmt.Errorf("%w: %s", errUnreachable, at.Addr)
		case st.notReady[at.Addr]:
			err = fmt.Errorf("%w: %w: %s", errUnreachable, errNotReady, at.Addr)
		default:
			reply, err = s.call(ctx, at, cmd, req(at, force))
			if err != nil && cmd == cmdSetIf {
				st.unanswered = true
			}
		}
		var h replyHead
		if err == nil {
			h, err = decodeHeadPrefix(reply)
			switch {
			case err != nil:
			case h.Status == statusNotReady:
				err = fmt.Errorf("%w: %w: %s", errUnreachable, errNotReady, h.Msg)
				st.alive[at.Addr], st.notReady[at.Addr] = true, true
			case h.Status == statusNotMember:
				err = fmt.Errorf("%w: %s", errUnreachable, h.Msg)
			default:
				st.alive[at.Addr] = true
			}
		}
		if err != nil {
			if !errors.Is(err, errNotReady) {
				st.down[at.Addr] = true
			}
			if !prev.IsZero() && !force && ctx.Err() == nil && !errors.Is(err, errNotReady) {
				if !st.verified {
					return nil, at, false, fmt.Errorf("%w: %s redirected to %s: %w", ErrUnavailable, prev.Addr, at.Addr, errRedirectDown)
				}
				at, prev, force = prev, chord.NodeRef{}, true
				continue
			}
			return nil, at, force, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		if h.Status != statusNotOwner {
			return reply, at, force, nil
		}
		if st.direct && i == 0 {
			// A redirect walks toward the key from the node named; from a
			// node remembered rather than looked up it may pass a node
			// that has no predecessor yet: look the key up instead.
			return nil, at, force, fmt.Errorf("%w: %w: %s", ErrUnavailable, errRemembered, h.Msg)
		}
		if i >= s.cfg.MaxRedirects || h.Hint.IsZero() || h.Hint == at {
			return nil, at, force, fmt.Errorf("%w: %s is not the owner and redirects ran out", ErrUnavailable, at.Addr)
		}
		at, prev = h.Hint, at
	}
}

// call invokes a dht command on to (directly when to is this node) with
// the store's per-call deadline. dht.get and dht.set may make calls of
// their own on the owner, so their deadline is longer: the owner must be
// able to give up on a silent replica and try the next before the client
// gives up on the owner. The owner reads the replicas a get does not
// cover in parallel (two deadlines cover it); a set pushes to the first
// r-1 successors in parallel, then to stand-ins one by one (r+1). Gets
// and reads to a node that already has calls of theirs in flight wait
// for a batch (batch.go).
func (s *Store) call(ctx context.Context, to chord.NodeRef, cmd string, req []byte) ([]byte, error) {
	d := s.rpc
	switch cmd {
	case cmdGet:
		d *= 2
	case cmdSet, cmdDel:
		d *= time.Duration(s.cfg.Replicas + 1)
	case cmdSetIf: // a get, then a set
		d *= time.Duration(s.cfg.Replicas + 3)
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if to.Addr == s.self.Addr {
		return s.handlers[cmd](ctx, req)
	}
	if batchable(cmd) {
		return s.callBatched(ctx, to.Addr, cmd, req)
	}
	return s.node.Call(ctx, to.Addr, cmd, req)
}

// standIn sends a request (a read or a write) to the nodes after owner,
// which is down or not ready, to answer in its place. It learns them from
// the successor lists of this node (its own, when it is the owner), of
// the owner when it answered (it is not ready), of the nodes that answered
// on the lookup path (latest first), and of this node's successors
// (nearest to owner first), walking each list's entries after owner in
// turn and on along the successor lists of the nodes that answer (a run of
// nodes that are down or still taking over their keys may be longer than
// one list), until r of them answered: a node further on is no holder of
// the key, whatever its predecessor pointer. Each is asked through callOwner: a node whose predecessor
// pointer names a live owner before it redirects there; one whose
// predecessor is down answers, forced. A read goes on until a node answers
// without error; a write stops at the first node that answers at all (a
// redirect or a node that is not ready applied nothing), so it is never
// applied twice.
func (s *Store) standIn(ctx context.Context, cmd string, req func(to chord.NodeRef, force bool) []byte, lr chord.LookupResult, owner chord.NodeRef, st *opState) ([]byte, chord.NodeRef, bool, error) {
	write := cmd == cmdSet || cmd == cmdDel || cmd == cmdSetIf
	if !st.notReady[owner.Addr] {
		st.down[owner.Addr] = true
	}
	tried := map[string]bool{owner.Addr: true}
	answered := 0   // candidates that answered, however
	beyond := false // a walk passed the key's holders
	var errs []error
	try := func(list []chord.NodeRef) ([]byte, chord.NodeRef, bool, bool) {
		i := slices.IndexFunc(list, func(r chord.NodeRef) bool { return r.Addr == owner.Addr })
		if i < 0 {
			return nil, owner, false, false
		}
		walk := s.newWalk(list[i+1:], owner.Addr)
		pos := 0 // c's place after the owner, nodes not ready left out
		for answered < s.cfg.Replicas {
			c, ok := walk.next(ctx)
			if !ok {
				return nil, owner, false, false
			}
			if !st.notReady[c.Addr] {
				if pos++; pos >= s.cfg.Replicas {
					// The owner and the r-1 nodes after it, the key's
					// holders, did not answer: a node further on holds
					// no copy of the key's acknowledged writes.
					beyond = true
					return nil, owner, false, false
				}
			}
			if tried[c.Addr] || st.down[c.Addr] || st.notReady[c.Addr] {
				continue
			}
			tried[c.Addr] = true
			reply, at, forced, err := s.callOwner(ctx, c, cmd, req, st)
			if st.alive[c.Addr] {
				walk.answered(c)
				answered++
			}
			if err == nil {
				var h replyHead
				if h, err = decodeHeadPrefix(reply); err == nil {
					if err = headErr(h); err == nil || write {
						return reply, at, forced, true
					}
				}
			}
			errs = append(errs, fmt.Errorf("%s: %w", c.Addr, err))
			if ctx.Err() != nil {
				return nil, owner, false, false
			}
		}
		return nil, owner, false, false
	}
	mine := s.node.Successors()
	if owner.Addr == s.self.Addr {
		mine = append([]chord.NodeRef{s.self}, mine...)
	}
	if reply, at, forced, ok := try(mine); ok {
		return reply, at, forced, nil
	}
	if st.alive[owner.Addr] {
		// The owner answered that it has not taken over its keys yet: it
		// knows best which nodes come after it.
		if m, err := s.succs(ctx, owner); err == nil {
			if reply, at, forced, ok := try(append([]chord.NodeRef{owner}, m.Succs...)); ok {
				return reply, at, forced, nil
			}
		}
	}
	var ask []chord.NodeRef
	for i := len(lr.Path) - 1; i >= 0; i-- {
		if h := lr.Path[i]; h.Err == "" {
			ask = append(ask, h.Node)
		}
	}
	for i := len(mine) - 1; i >= 0; i-- {
		ask = append(ask, mine[i])
	}
	asked := map[string]bool{s.self.Addr: true, owner.Addr: true}
	for _, n := range ask {
		if ctx.Err() != nil {
			return nil, owner, false, ctx.Err()
		}
		if asked[n.Addr] {
			continue
		}
		asked[n.Addr] = true
		m, err := s.succs(ctx, n)
		if err != nil {
			continue
		}
		if reply, at, forced, ok := try(m.Succs); ok {
			return reply, at, forced, nil
		}
	}
	if beyond {
		errs = append(errs, fmt.Errorf("%s and the %d nodes after it did not answer", owner.Addr, s.cfg.Replicas-1))
	}
	if len(errs) == 0 {
		return nil, owner, false, fmt.Errorf("%w: no node knows the successors of %s", ErrUnavailable, owner.Addr)
	}
	return nil, owner, false, fmt.Errorf("%w: %w", ErrUnavailable, errors.Join(errs...))
}

// nearestFailed returns the node that failed on the lookup path nearest
// after id (clockwise): the owner the lookup could not reach.
func nearestFailed(lr chord.LookupResult, id chord.ID) (chord.NodeRef, bool) {
	var best chord.NodeRef
	var bestDist chord.ID
	found := false
	for _, h := range lr.Path {
		if h.Err == "" || h.Node.IsZero() {
			continue
		}
		d := chord.Distance(chord.MaxBits, id, h.Node.ID)
		if !found || d.Cmp(bestDist) < 0 {
			best, bestDist, found = h.Node, d, true
		}
	}
	return best, found
}

// succs asks a node for its predecessor and successor list.
func (s *Store) succs(ctx context.Context, n chord.NodeRef) (succsResp, error) {
	reply, err := s.call(ctx, n, cmdSuccs, nil)
	if err != nil {
		return succsResp{}, err
	}
	m, err := decodeSuccsResp(reply)
	if err != nil {
		return m, err
	}
	if m.Head.Status != statusOK {
		return m, unreachable(headErr(m.Head))
	}
	return m, nil
}

// distinctExcept returns list without duplicates and without the nodes
// named in skip, in order.
func distinctExcept(list []chord.NodeRef, skip ...chord.NodeRef) []chord.NodeRef {
	seen := make(map[string]bool, len(list)+len(skip))
	for _, r := range skip {
		seen[r.Addr] = true
	}
	var out []chord.NodeRef
	for _, r := range list {
		if r.IsZero() || seen[r.Addr] {
			continue
		}
		seen[r.Addr] = true
		out = append(out, r)
	}
	return out
}

// Tasks returns the store's maintenance round (one repair per
// Config.RepairInterval) for a chord.Driver.
func (s *Store) Tasks() []chord.Task {
	return []chord.Task{{
		Name:  "dht repair",
		Every: s.cfg.RepairInterval,
		Run: func(ctx context.Context) {
			if err := s.Repair(ctx); err != nil {
				s.log.Debug("repair round", "err", err)
			}
		},
	}}
}

// Counts are a node's key counts for the UI.
type Counts struct {
	// Owned counts live keys in (predecessor, self]; Replicas the other
	// live keys held; Tombstones the deletions not yet collected.
	Owned, Replicas, Tombstones int
	// Bytes is the size of every key and value held.
	Bytes int64
}

// Counts returns the store's key counts.
func (s *Store) Counts() Counts {
	pred := s.node.Predecessor()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !pred.IsZero() {
		s.lastPred = pred
	}
	var c Counts
	for _, e := range s.tab.recs {
		c.Bytes += e.rec.size()
		switch {
		case e.rec.Deleted:
			c.Tombstones++
		case s.ownedLocked(e.rec.ID):
			c.Owned++
		default:
			c.Replicas++
		}
	}
	return c
}

// ownedLocked reports whether id is in (last known predecessor, self].
func (s *Store) ownedLocked(id chord.ID) bool {
	if s.lastPred.IsZero() {
		return true
	}
	return chord.BetweenRightIncl(s.lastPred.ID, id, s.self.ID)
}

// KeyInfo describes one stored key.
type KeyInfo struct {
	Key     string
	ID      chord.ID
	Version Version
	// Owned: the key is in (predecessor, self].
	Owned   bool
	Deleted bool
	// Size is len(key) + len(value).
	Size int
	// MergedOver is the version this node held before a merge replaced it
	// with this record, a write whose writer had not seen it (see Merge);
	// the zero Version when the record did not come from a merge.
	MergedOver Version
}

// KeysGen changes whenever Keys would list other keys, versions or
// deleted flags: a watcher reads it first and Keys only when it moved.
func (s *Store) KeysGen() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tab.gen
}

// Keys returns the stored keys (tombstones included), sorted by ID.
func (s *Store) Keys() []KeyInfo {
	pred := s.node.Predecessor()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !pred.IsZero() {
		s.lastPred = pred
	}
	recs := s.tab.sorted()
	out := make([]KeyInfo, len(recs))
	for i, r := range recs {
		out[i] = KeyInfo{
			Key: r.Key, ID: r.ID, Version: r.Ver,
			Owned: s.ownedLocked(r.ID), Deleted: r.Deleted, Size: int(r.size()),
			MergedOver: s.tab.recs[r.Key].mergedOver,
		}
	}
	return out
}

// Merge reports that a node replaced its copy of Key with a newer write
// whose writer had not seen that copy: two writes were accepted without
// either knowing of the other (on the two sides of a partition, or by two
// nodes that both took themselves for the key's owner), and the one with
// the lower version is gone. It is reported by every node whose copy is
// replaced this way, when a repair round or a read's write-back brings it
// the newer write; an overwrite by a later write through the owner is not
// a merge.
type Merge struct {
	Time time.Time
	Key  string
	// Node is the node whose copy was replaced.
	Node chord.NodeRef
	// Kept is the version that won; Replaced the one it replaced.
	Kept, Replaced Version
	// KeptDeleted and ReplacedDeleted tell tombstones from values.
	KeptDeleted, ReplacedDeleted bool
}

// emitMoved reports keys moving between nodes as a chord.EventKeysMoved.
func (s *Store) emitMoved(from, to chord.NodeRef, detail string) {
	s.node.Emit(chord.Event{
		Time:   s.now(),
		Kind:   chord.EventKeysMoved,
		Node:   s.self,
		Old:    from,
		New:    to,
		Detail: detail,
	})
}
