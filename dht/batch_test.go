package dht

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// gatedTransport logs every outgoing call, holds the dht.read calls back
// while its gate is shut, and sends dht.batch under another name when
// noBatch is set (a peer of an older build, which does not know it).
type gatedTransport struct {
	chord.Transport
	log  *callLog
	gate *gate
}

type gate struct {
	mu      sync.Mutex
	shut    chan struct{} // nil: open
	noBatch bool
	// after: the gate holds the replies of dht.get and dht.read, the
	// calls made, instead of the dht.read calls before they are sent.
	after bool
	held  int // replies held so far (after)
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = make(chan struct{})
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut != nil {
		close(g.shut)
		g.shut = nil
	}
}

func (t gatedTransport) Call(ctx context.Context, addr, m string, req []byte) ([]byte, error) {
	t.log.add(t.Addr(), m)
	t.gate.mu.Lock()
	shut, noBatch, after := t.gate.shut, t.gate.noBatch, t.gate.after
	t.gate.mu.Unlock()
	if after && shut != nil && (m == method(cmdRead) || m == method(cmdGet)) {
		reply, err := t.Transport.Call(ctx, addr, m, req)
		t.gate.mu.Lock()
		t.gate.held++
		t.gate.mu.Unlock()
		select {
		case <-shut:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return reply, err
	}
	if m == method(cmdRead) && shut != nil && !after {
		select {
		case <-shut:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if m == method(cmdBatch) && noBatch {
		m = method("dht.batch-unknown")
	}
	return t.Transport.Call(ctx, addr, m, req)
}

func newGatedRing(t *testing.T, n int, seed int64, mutate func(*Config)) (*testRing, *callLog, *gate) {
	t.Helper()
	return newGatedRingRPC(t, n, seed, mutate, 0)
}

// newGatedRingRPC is newGatedRing with chord's RPCTimeout rpc (0: the default).
func newGatedRingRPC(t *testing.T, n int, seed int64, mutate func(*Config), rpc time.Duration) (*testRing, *callLog, *gate) {
	t.Helper()
	r := emptyTestRing(seed, nil, mutate)
	r.t = t
	if rpc > 0 {
		r.ccfg.RPCTimeout = rpc
	}
	log := &callLog{n: map[string]map[string]int{}}
	g := &gate{}
	r.listen = func() (chord.Transport, error) {
		ep, err := r.nw.Endpoint(fmt.Sprintf("node-%03d", r.next))
		r.next++
		if err != nil {
			return nil, err
		}
		return gatedTransport{ep, log, g}, nil
	}
	return r.start(n), log, g
}

// waiting returns how many requests of cmd to addr wait for a batch at s.
func (s *Store) waiting(addr, cmd string) int {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	if q := s.batch.queues[batchKey{addr: addr, cmd: cmd}]; q != nil {
		return len(q.waiting)
	}
	return 0
}

// batchedGets runs gets through via while the replicas' reads are held
// back (get i reads keys[i%len(keys)], which share their holders), until
// every get beyond the first batchInFlight waits for a batch to each
// replica, then lets them go, and checks every get's value (want[key]).
func batchedGets(t *testing.T, r *testRing, g *gate, via *testNode, keys []string, want map[string]string, gets int) {
	t.Helper()
	ctx := context.Background()
	holders := r.expectedHolders(HashIDForTest(keys[0]))
	g.close()
	defer g.open()
	errs := make(chan error, gets)
	for i := range gets {
		key := keys[i%len(keys)]
		go func() { // exits when its get returns
			got, err := via.store.Get(ctx, key)
			if err == nil && string(got.Value) != want[key] {
				err = fmt.Errorf("get %s: %q, want %q", key, got.Value, want[key])
			}
			errs <- err
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, h := range holders[1:] {
		for via.store.waiting(h, cmdRead) < gets-batchInFlight {
			if time.Now().After(deadline) {
				t.Fatalf("%d reads wait for a batch to %s, want %d", via.store.waiting(h, cmdRead), h, gets-batchInFlight)
			}
			time.Sleep(time.Millisecond)
		}
	}
	g.open()
	for range gets {
		if err := <-errs; err != nil {
			t.Fatalf("get via %s: %v", via.addr, err)
		}
	}
}

// keysWithHolders writes n keys that share their holders (key0 first) and
// returns them, a node that holds none of them and has read each once
// (so it knows their replicas), and each key's value (value(key)).
func keysWithHolders(t *testing.T, r *testRing, n int, value func(string) string) ([]string, *testNode, map[string]string) {
	t.Helper()
	ctx := context.Background()
	keys := []string{"key0"}
	holders := r.expectedHolders(HashIDForTest(keys[0]))
	for i := 1; len(keys) < n; i++ {
		if k := fmt.Sprintf("key%d", i); slices.Equal(r.expectedHolders(HashIDForTest(k)), holders) {
			keys = append(keys, k)
		}
	}
	want := map[string]string{}
	for _, k := range keys {
		want[k] = value(k)
		if _, err := r.any().store.Set(ctx, k, []byte(want[k])); err != nil {
			t.Fatal(err)
		}
	}
	via := notHolder(t, r, keys[0])
	for _, k := range keys {
		if _, err := via.store.Get(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	return keys, via, want
}

// notHolder returns a live node that holds no copy of key.
func notHolder(t *testing.T, r *testRing, key string) *testNode {
	t.Helper()
	holders := r.expectedHolders(HashIDForTest(key))
	for _, n := range r.live() {
		if !containsAddr(holders, n.addr) {
			return n
		}
	}
	t.Fatal("every node holds", key)
	return nil
}

// TestGetsAreBatched: concurrent gets through one node send the reads
// that find batchInFlight calls under way to a replica as one dht.batch
// call when one returns, and each get returns its value.
func TestGetsAreBatched(t *testing.T) {
	r, log, g := newGatedRing(t, 8, 31, nil)
	keys, via, want := keysWithHolders(t, r, 4, func(k string) string { return "v-" + k })
	const gets = 10
	log.take()
	batchedGets(t, r, g, via, keys, want, gets)
	mine := log.take()[via.addr]
	// Each replica: batchInFlight reads alone, then the others in one batch
	// (or more if a batch is sent before the last ones are queued; the
	// wait above rules that out).
	if got, want := mine[method(cmdRead)], 2*batchInFlight; got != want {
		t.Errorf("%d dht.read calls, want %d", got, want)
	}
	if got, want := mine[method(cmdBatch)], 2; got < want {
		t.Errorf("%d dht.batch calls, want at least %d (the gets to the owner may be batched too)", got, want)
	}
	if n := mine[method(cmdRead)] + mine[method(cmdBatch)] + mine[method(cmdGet)]; n >= 3*gets {
		t.Errorf("%d calls for %d gets: not batched", n, gets)
	}
}

// TestSameReadsGoOnce: gets of one key held back for a batch send their
// read to each replica once, and each get returns the value.
func TestSameReadsGoOnce(t *testing.T) {
	r, log, g := newGatedRing(t, 8, 35, nil)
	keys, via, want := keysWithHolders(t, r, 1, func(string) string { return "hot" })
	const gets = 10
	log.take()
	batchedGets(t, r, g, via, keys, want, gets)
	mine := log.take()[via.addr]
	// Each replica: batchInFlight reads alone, then one for all the others.
	if got, want := mine[method(cmdRead)], 2*(batchInFlight+1); got != want {
		t.Errorf("%d dht.read calls, want %d", got, want)
	}
	if got := mine[method(cmdBatch)]; got > 1 {
		t.Errorf("%d dht.batch calls, want at most 1 (of the gets to the owner)", got)
	}
}

// TestBatchReplyTooLarge: a node answers a batch only as far as its
// replies fit in Config.MaxBatchBytes; the rest are sent again one by one.
func TestBatchReplyTooLarge(t *testing.T) {
	r, log, g := newGatedRing(t, 8, 32, func(c *Config) { c.MaxBatchBytes = 100 })
	const gets = 6
	keys, via, want := keysWithHolders(t, r, gets, func(k string) string { return k + strings.Repeat("x", 200) })
	log.take()
	batchedGets(t, r, g, via, keys, want, gets)
	mine := log.take()[via.addr]
	// Per replica: batchInFlight alone, one batch answered for its first
	// request only, the others again alone.
	if got, want := mine[method(cmdRead)], 2*(batchInFlight+gets-batchInFlight-1); got != want {
		t.Errorf("%d dht.read calls, want %d", got, want)
	}
}

// TestBatchToOlderNode: a node that does not know dht.batch gets the
// requests one by one, that batch's and every later one.
func TestBatchToOlderNode(t *testing.T) {
	r, log, g := newGatedRing(t, 8, 33, nil)
	const gets = 5
	keys, via, want := keysWithHolders(t, r, gets, func(k string) string { return "v-" + k })
	g.mu.Lock()
	g.noBatch = true
	g.mu.Unlock()
	log.take()
	batchedGets(t, r, g, via, keys, want, gets)
	if got, want := log.take()[via.addr][method(cmdBatch)], 2; got < want {
		t.Fatalf("%d dht.batch calls, want at least %d", got, want)
	}
	// The replicas are known not to take batches now: concurrent reads go
	// out one by one, however many.
	for _, h := range r.expectedHolders(HashIDForTest(keys[0]))[1:] {
		via.store.batch.mu.Lock()
		single := via.store.batch.queues[batchKey{addr: h, cmd: cmdRead}].single
		via.store.batch.mu.Unlock()
		if !single {
			t.Errorf("%s is still sent batches", h)
		}
	}
}

func TestBatchCodec(t *testing.T) {
	req := batchReq{Cmd: cmdRead, Reqs: [][]byte{getReq{Key: "a"}.encode(), getReq{Key: "b"}.encode()}}
	got, err := decodeBatchReq(req.encode())
	if err != nil || !reflect.DeepEqual(got, req) {
		t.Errorf("batchReq round trip = %+v, %v", got, err)
	}
	resp := batchResp{Replies: [][]byte{{1, 2}, {}}}
	gotResp, err := decodeBatchResp(resp.encode(), 2)
	if err != nil || len(gotResp.Replies) != 2 || string(gotResp.Replies[0]) != "\x01\x02" || len(gotResp.Replies[1]) != 0 {
		t.Errorf("batchResp round trip = %+v, %v", gotResp, err)
	}
	many := batchReq{Cmd: cmdGet}
	for range maxBatch + 1 {
		many.Reqs = append(many.Reqs, []byte{0})
	}
	bad := []struct {
		name string
		err  error
	}{
		{"a batch of writes", func() error {
			_, err := decodeBatchReq(batchReq{Cmd: cmdSet, Reqs: [][]byte{{0}}}.encode())
			return err
		}()},
		{"too many requests", func() error { _, err := decodeBatchReq(many.encode()); return err }()},
		{"truncated", func() error { b := req.encode(); _, err := decodeBatchReq(b[:len(b)-1]); return err }()},
		{"more replies than requests", func() error { _, err := decodeBatchResp(resp.encode(), 1); return err }()},
		{"no reply", func() error { _, err := decodeBatchResp(batchResp{}.encode(), 1); return err }()},
		{"refused", func() error {
			_, err := decodeBatchResp(batchResp{Head: replyHead{Status: statusInvalid, Msg: "no"}}.encode(), 1)
			return err
		}()},
	}
	for _, b := range bad {
		if !errors.Is(b.err, errMalformed) {
			t.Errorf("%s: %v, want a malformed message", b.name, b.err)
		}
	}
}

// TestLinearizableBatched is TestLinearizable with twelve clients on two
// keys, and a request held back for a batch whenever one call of its
// command to the node is in flight, so that reads of the schedules travel
// in batches (about 4 in 100 in 200 schedules).
// DHT_SCHEDULES=n runs n schedules instead of the default 50.
func TestLinearizableBatched(t *testing.T) {
	defer func(n int) { batchInFlight = n }(batchInFlight)
	batchInFlight = 1
	checkSchedules(t, linConfig{nodes: 6, clients: 12, maxOps: 12, keys: 2, rpc: 30 * time.Millisecond}, schedulesFromEnv(50))
}

// TestSlowCallsEndTheBatchWait: while the calls in flight to a replica
// hang (a node waiting on something slow), the reads held back for a
// batch do not wait for them past an eighth of a call deadline: each
// goes out alone, so that the wait is not missing from its own call.
func TestSlowCallsEndTheBatchWait(t *testing.T) {
	ctx := context.Background()
	r, log, g := newGatedRing(t, 8, 34, nil)
	if _, err := r.any().store.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	via := notHolder(t, r, "k")
	if _, err := via.store.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	holders := r.expectedHolders(HashIDForTest("k"))
	const gets = 6
	log.take()
	g.close()
	defer g.open()
	errs := make(chan error, gets)
	for range gets {
		go func() { // exits when its get returns
			_, err := via.store.Get(ctx, "k")
			errs <- err
		}()
	}
	// The reads beyond the first batchInFlight queue, then leave the queue
	// on their own while the gate stays shut.
	deadline := time.Now().Add(10 * time.Second)
	for _, h := range holders[1:] {
		for via.store.waiting(h, cmdRead) > 0 || log.count(via.addr, method(cmdRead)) < 2*gets {
			if time.Now().After(deadline) {
				t.Fatalf("%d reads to %s still wait for a batch, %d sent, while the calls before them hang", via.store.waiting(h, cmdRead), h, log.count(via.addr, method(cmdRead)))
			}
			time.Sleep(time.Millisecond)
		}
	}
	g.open()
	for range gets {
		if err := <-errs; err != nil {
			t.Fatalf("get: %v", err)
		}
	}
}

// count is how many calls of method from has made since the last take.
func (l *callLog) count(from, method string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[from][method]
}

// waitSharing polls until n gets of key wait at via for a shared read.
func waitSharing(t *testing.T, via *testNode, key string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for via.store.flights.waiting(key) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d gets of %s wait for a shared read, want %d", via.store.flights.waiting(key), key, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGetsShareOneRead: GetDirect gets of one key that arrive while a read
// of it is under way share the next read: two reads for all of them, and
// each returns the value.
func TestGetsShareOneRead(t *testing.T) {
	ctx := context.Background()
	// A long RPC timeout: the gets wait for the read under way (rpc/8 at
	// most) longer than the test takes to start them.
	r, log, g := newGatedRingRPC(t, 8, 36, nil, 20*time.Second)
	keys, via, want := keysWithHolders(t, r, 1, func(string) string { return "hot" })
	const gets = 10
	log.take()
	g.close()
	defer g.open()
	errs := make(chan error, gets)
	get := func() { // exits when its get returns
		got, err := via.store.GetDirect(ctx, keys[0])
		if err == nil && string(got.Value) != want[keys[0]] {
			err = fmt.Errorf("got %q, want %q", got.Value, want[keys[0]])
		}
		errs <- err
	}
	go get()
	for log.count(via.addr, method(cmdRead)) < 2 { // the first read is under way
		time.Sleep(time.Millisecond)
	}
	for range gets - 1 {
		go get()
	}
	waitSharing(t, via, keys[0], gets-1)
	g.open()
	for range gets {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	mine := log.take()[via.addr]
	if got := mine[method(cmdRead)] + mine[method(cmdGet)]; got != 2*3 {
		t.Errorf("%d gets made %d calls (%v), want 6: two reads of three holders", gets, got, mine)
	}
}

// TestSharedReadStartsAfterTheGet: a get that arrives while a read of its
// key is under way does not take that read's answer: a write acknowledged
// before the get was made is always seen.
func TestSharedReadStartsAfterTheGet(t *testing.T) {
	ctx := context.Background()
	r, _, g := newGatedRing(t, 8, 37, nil)
	keys, via, _ := keysWithHolders(t, r, 1, func(string) string { return "old" })
	key := keys[0]
	g.mu.Lock()
	g.after = true // the first read has read every holder before the write
	g.mu.Unlock()
	g.close()
	defer g.open()
	first := make(chan error, 1)
	go func() { // exits when its get returns
		_, err := via.store.GetDirect(ctx, key)
		first <- err
	}()
	waitReads := time.Now().Add(10 * time.Second)
	for { // the first get has read the owner and both replicas
		g.mu.Lock()
		held := g.held
		g.mu.Unlock()
		if held >= 3 {
			break
		}
		if time.Now().After(waitReads) {
			t.Fatalf("the first get's calls: %d answered, want 3", held)
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := r.any().store.Set(ctx, key, []byte("new")); err != nil {
		t.Fatal(err)
	}
	second := make(chan GetResult, 1)
	go func() { // exits when its get returns
		res, err := via.store.GetDirect(ctx, key)
		if err != nil {
			t.Error(err)
		}
		second <- res
	}()
	waitSharing(t, via, key, 1)
	g.open()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if got := <-second; string(got.Value) != "new" {
		t.Errorf("a get made after the write was acknowledged read %q, want \"new\"", got.Value)
	}
}
