package dht

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// Batched reads. Under load, many gets through one node go to the same
// few nodes at once (a key's owner and replicas). While batchInFlight
// calls of one command to one node are under way, the store holds further
// dht.get and dht.read requests to it back and sends them together, as
// one dht.batch call, when one of those calls returns: every request is
// served as if it came alone, but one round trip carries many. A request
// that finds no call in flight goes out at once, unbatched, so a quiet
// node reads exactly as before.
//
// It changes no guarantee: a batch is sent after each of its requests was
// made and answered before each returns, so each is served by the node
// at some time within its own call, as an unbatched request is.

// cmdBatch carries several requests of one command (dht.get or dht.read)
// to one node.
const cmdBatch = "dht.batch"

// maxBatch bounds the requests of one dht.batch call.
const maxBatch = 64

// batchInFlight is how many calls of one command a store has in flight
// to one node before it holds further requests back (a variable so that
// a test can batch more).
var batchInFlight = 2

// batchable reports whether requests of cmd may be batched: reads only,
// which are safe to serve in any order (a read changes nothing but the
// copies a write-back brings up to date, and they are never batched).
func batchable(cmd string) bool { return cmd == cmdGet || cmd == cmdRead }

// batcher holds the requests waiting for a batch, by node and command.
type batcher struct {
	mu     sync.Mutex
	queues map[batchKey]*batchQueue
}

type batchKey struct{ addr, cmd string }

type batchQueue struct {
	inFlight int           // calls of the command to the node under way
	waiting  []*batchedReq // requests held back, oldest first
	// single: the node does not know dht.batch (an older build); its
	// requests go out one by one.
	single bool
}

// batchedReq is one request waiting for (or sent in) a batch.
type batchedReq struct {
	req      []byte
	deadline time.Time
	done     chan struct{} // closed once reply and err are set
	reply    []byte
	err      error
}

// callBatched is Store.call for a batchable command to another node:
// the call itself when fewer than batchInFlight are under way, else a
// place in the next batch. ctx carries the request's deadline.
func (s *Store) callBatched(ctx context.Context, to, cmd string, req []byte) ([]byte, error) {
	b := &s.batch
	k := batchKey{addr: to, cmd: cmd}
	b.mu.Lock()
	if b.queues == nil {
		b.queues = map[batchKey]*batchQueue{}
	}
	q := b.queues[k]
	if q == nil {
		q = &batchQueue{}
		b.queues[k] = q
	}
	if q.inFlight < batchInFlight || q.single {
		q.inFlight++
		b.mu.Unlock()
		reply, err := s.node.Call(ctx, to, cmd, req)
		s.sendNext(k, q)
		return reply, err
	}
	deadline, _ := ctx.Deadline()
	r := &batchedReq{req: req, deadline: deadline, done: make(chan struct{})}
	q.waiting = append(q.waiting, r)
	b.mu.Unlock()
	// A request waits for a batch an eighth of a call deadline at most: when the calls in
	// flight are slow (the node waits on a silent replica), the time spent
	// waiting would be missing from its own call, and a batch answers
	// only once its slowest request is served.
	wait := time.NewTimer(s.rpc / 8)
	defer wait.Stop()
	select {
	case <-r.done:
		return r.reply, r.err
	case <-wait.C:
		b.mu.Lock()
		if i := slices.Index(q.waiting, r); i >= 0 {
			q.waiting = slices.Delete(q.waiting, i, i+1)
			q.inFlight++
			b.mu.Unlock()
			reply, err := s.node.Call(ctx, to, cmd, req)
			s.sendNext(k, q)
			return reply, err
		}
		b.mu.Unlock() // taken into a batch meanwhile
		select {
		case <-r.done:
			return r.reply, r.err
		case <-ctx.Done():
		}
	case <-ctx.Done():
	}
	b.mu.Lock()
	if i := slices.Index(q.waiting, r); i >= 0 {
		q.waiting = slices.Delete(q.waiting, i, i+1)
	}
	b.mu.Unlock()
	return nil, fmt.Errorf("command %s to %s: %w: %w", cmd, to, chord.ErrNodeDown, ctx.Err())
}

// sendNext is called as a call to k's node returns: it sends the requests
// held back meanwhile as one batch, in a goroutine that goes on with the
// next batch while requests wait and exits when none do.
func (s *Store) sendNext(k batchKey, q *batchQueue) {
	batch := s.takeBatch(q)
	if batch == nil {
		return
	}
	go func() { // exits when no request waits (each call bounded by its deadline)
		for batch != nil {
			s.sendBatch(k, q, batch)
			batch = s.takeBatch(q)
		}
	}()
}

// takeBatch takes up to maxBatch waiting requests off q, keeping its call
// counted as in flight; with none waiting it counts the call as done and
// returns nil.
func (s *Store) takeBatch(q *batchQueue) []*batchedReq {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	if len(q.waiting) == 0 {
		q.inFlight--
		return nil
	}
	n := min(len(q.waiting), maxBatch)
	batch := slices.Clone(q.waiting[:n])
	q.waiting = slices.Delete(q.waiting, 0, n)
	return batch
}

// sendBatch sends batch to k's node and hands each request its reply.
// The call's deadline is the latest of the requests' (a request whose
// deadline is earlier has stopped waiting by then). Requests the node
// left unanswered (their replies would have made the reply too large)
// are sent again, one by one.
func (s *Store) sendBatch(k batchKey, q *batchQueue, batch []*batchedReq) {
	now := time.Now()
	live := batch[:0:0]
	var deadline time.Time
	for _, r := range batch {
		if !r.deadline.After(now) {
			r.finish(nil, fmt.Errorf("command %s to %s: %w: %w", k.cmd, k.addr, chord.ErrNodeDown, context.DeadlineExceeded))
			continue
		}
		live = append(live, r)
		if r.deadline.After(deadline) {
			deadline = r.deadline
		}
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	// Identical requests (many clients reading one hot key) go once: each
	// was made before the batch is sent and is answered after the node
	// served it, so one answer is served within each one's own call.
	reqs, of := dedupe(live)
	if len(reqs) == 1 {
		reply, err := s.node.Call(ctx, k.addr, k.cmd, reqs[0])
		finishAll(live, of, [][]byte{reply}, err)
		return
	}
	reply, err := s.node.Call(ctx, k.addr, cmdBatch, batchReq{Cmd: k.cmd, Reqs: reqs}.encode())
	var m batchResp
	if err == nil {
		m, err = decodeBatchResp(reply, len(reqs))
	}
	if errors.Is(err, chord.ErrUnknownCommand) {
		s.batch.mu.Lock()
		q.single = true
		s.batch.mu.Unlock()
	}
	if err != nil && !errors.Is(err, chord.ErrUnknownCommand) {
		for _, r := range live {
			r.finish(nil, err)
		}
		return
	}
	answered := len(m.Replies)
	finishAll(live, of, m.Replies, nil)
	var wg sync.WaitGroup
	for u := answered; u < len(reqs); u++ {
		wg.Add(1)
		go func() { // exits when its call returns (bounded by the deadline)
			defer wg.Done()
			var late time.Time
			for i, r := range live {
				if of[i] == u && r.deadline.After(late) {
					late = r.deadline
				}
			}
			rctx, rcancel := context.WithDeadline(context.Background(), late)
			defer rcancel()
			reply, err := s.node.Call(rctx, k.addr, k.cmd, reqs[u])
			finishOnly(live, of, u, reply, err)
		}()
	}
	wg.Wait()
}

// dedupe returns the distinct requests of batch, in order, and for each
// request of batch the index of its own among them.
func dedupe(batch []*batchedReq) (reqs [][]byte, of []int) {
	of = make([]int, len(batch))
	seen := make(map[string]int, len(batch))
	for i, r := range batch {
		u, ok := seen[string(r.req)]
		if !ok {
			u = len(reqs)
			seen[string(r.req)] = u
			reqs = append(reqs, r.req)
		}
		of[i] = u
	}
	return reqs, of
}

// finishAll hands the requests of live whose distinct request has a
// reply (of[i] < len(replies)) that reply, or err.
func finishAll(live []*batchedReq, of []int, replies [][]byte, err error) {
	for u, rep := range replies {
		finishOnly(live, of, u, rep, err)
	}
}

// finishOnly hands the requests of live whose distinct request is u its
// reply (each its own copy), or err.
func finishOnly(live []*batchedReq, of []int, u int, reply []byte, err error) {
	first := true
	for i, r := range live {
		if of[i] != u {
			continue
		}
		rep := reply
		if !first {
			rep = slices.Clone(reply)
		}
		first = false
		r.finish(rep, err)
	}
}

func (r *batchedReq) finish(reply []byte, err error) {
	r.reply, r.err = reply, err
	close(r.done)
}

// handleBatch serves dht.batch: each request as its command's handler
// would, the gets at once (an owner may have to read holders for one),
// the reads one after the other (each is a look at the local table). The
// replies stop, after the first, before their size would pass
// Config.MaxBatchBytes; the caller sends the rest again.
func (s *Store) handleBatch(ctx context.Context, b []byte) ([]byte, error) {
	m, err := decodeBatchReq(b)
	if err != nil {
		return batchResp{Head: invalid(err)}.encode(), nil
	}
	h := s.handlers[m.Cmd]
	replies := make([][]byte, len(m.Reqs))
	if m.Cmd == cmdGet && len(m.Reqs) > 1 {
		var wg sync.WaitGroup
		for i, req := range m.Reqs {
			wg.Add(1)
			go func() { // exits when the handler returns (bounded by ctx)
				defer wg.Done()
				replies[i], _ = h(ctx, req)
			}()
		}
		wg.Wait()
	} else {
		for i, req := range m.Reqs {
			replies[i], _ = h(ctx, req)
		}
	}
	size := 0
	for i, rep := range replies {
		size += len(rep)
		if i > 0 && size > s.cfg.MaxBatchBytes {
			replies = replies[:i]
			break
		}
	}
	return batchResp{Replies: replies}.encode(), nil
}

// batchReq is a dht.batch request: Reqs, each a request of Cmd.
type batchReq struct {
	Cmd  string
	Reqs [][]byte
}

func (m batchReq) encode() []byte {
	n := len(m.Cmd) + 2
	for _, r := range m.Reqs {
		n += len(r) + 3
	}
	e := encoder{b: make([]byte, 0, n)}
	e.str(m.Cmd)
	e.blobs(m.Reqs)
	return e.b
}

func decodeBatchReq(b []byte) (batchReq, error) {
	d := decoder{b: b}
	m := batchReq{Cmd: d.str(16)}
	n := d.count(1)
	if d.err == nil && !batchable(m.Cmd) {
		d.fail("dht.batch of %q", m.Cmd)
	}
	if d.err == nil && n > maxBatch {
		d.fail("dht.batch of %d requests (at most %d)", n, maxBatch)
	}
	for i := 0; i < n && d.err == nil; i++ {
		m.Reqs = append(m.Reqs, d.raw(len(d.b)))
	}
	return m, d.finish()
}

// batchResp is the answer to dht.batch: the replies to the first
// len(Replies) requests, in order.
type batchResp struct {
	Head    replyHead
	Replies [][]byte
}

func (m batchResp) encode() []byte {
	n := 32
	for _, r := range m.Replies {
		n += len(r) + 5
	}
	e := encoder{b: make([]byte, 0, n)}
	e.head(m.Head)
	e.blobs(m.Replies)
	return e.b
}

// decodeBatchResp decodes the answer to a batch of sent requests.
func decodeBatchResp(b []byte, sent int) (batchResp, error) {
	d := decoder{b: b}
	m := batchResp{Head: d.head()}
	n := d.count(1)
	if d.err == nil && m.Head.Status != statusOK {
		d.fail("dht.batch refused: %s", m.Head.Msg)
	}
	if d.err == nil && (n > sent || n == 0) {
		d.fail("%d replies to a batch of %d", n, sent)
	}
	for i := 0; i < n && d.err == nil; i++ {
		m.Replies = append(m.Replies, d.raw(len(d.b)))
	}
	return m, d.finish()
}
