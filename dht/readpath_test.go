package dht

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// callLog counts the calls each node makes, by method.
type callLog struct {
	mu sync.Mutex
	n  map[string]map[string]int // caller address → method → calls
}

func (l *callLog) add(from, method string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[from] == nil {
		l.n[from] = map[string]int{}
	}
	l.n[from][method]++
}

// take returns the counts so far and starts again from zero.
func (l *callLog) take() map[string]map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.n
	l.n = map[string]map[string]int{}
	return out
}

// countingTransport is a chord.Transport that logs every outgoing call.
type countingTransport struct {
	chord.Transport
	log *callLog
}

func (t countingTransport) Call(ctx context.Context, addr, method string, req []byte) ([]byte, error) {
	t.log.add(t.Addr(), method)
	return t.Transport.Call(ctx, addr, method, req)
}

// newCountingRing is newTestRing on the in-memory network with every
// node's outgoing calls logged.
func newCountingRing(t *testing.T, n int, seed int64, rpc time.Duration) (*testRing, *callLog) {
	t.Helper()
	r := emptyTestRing(seed, nil, nil)
	r.t = t
	if rpc > 0 {
		r.ccfg.RPCTimeout = rpc
	}
	log := &callLog{n: map[string]map[string]int{}}
	r.listen = func() (chord.Transport, error) {
		ep, err := r.nw.Endpoint(fmt.Sprintf("node-%03d", r.next))
		r.next++
		if err != nil {
			return nil, err
		}
		return countingTransport{ep, log}, nil
	}
	return r.start(n), log
}

// method is the transport method name of a dht command.
func method(cmd string) string { return "cmd." + cmd }

// TestGetIsOneRoundAfterLookup checks the read path's shape: once a node
// knows the replicas of the owners it reads from, a get makes its lookup
// calls and then one round of calls: the owner and its r-1 replicas, all
// asked by the reading node, while the owner makes no call of its own.
func TestGetIsOneRoundAfterLookup(t *testing.T) {
	ctx := context.Background()
	r, log := newCountingRing(t, 16, 21, 0)
	vers, vals := setKeys(t, r, 200, "g")
	r.quiesce(vers)
	for pass := 0; pass < 2; pass++ {
		log.take()
		for _, via := range r.live() {
			for k, v := range vals {
				got, err := via.store.Get(ctx, k)
				if err != nil || string(got.Value) != v {
					t.Fatalf("pass %d: get %s via %s = %q, %v; want %q", pass, k, via.addr, got.Value, err, v)
				}
				if pass == 0 {
					continue
				}
				holders := r.expectedHolders(HashIDForTest(k))
				calls := log.take()
				for from, m := range calls {
					if from != via.addr && m[method(cmdRead)]+m[method(cmdGet)] > 0 {
						t.Fatalf("get %s via %s: %s made calls %v of its own (holders %v): not one round", k, via.addr, from, m, holders)
					}
				}
				// The reading node asks the owner (unless it is the owner)
				// and reads the r-1 replicas (its own copy without a call).
				mine := calls[via.addr]
				wantGets, wantReads := 1, r.cfg.Replicas-1
				if via.addr == holders[0] {
					wantGets = 0
				} else if containsAddr(holders[1:], via.addr) {
					wantReads--
				}
				if mine[method(cmdGet)] != wantGets {
					t.Fatalf("get %s via %s: %d dht.get calls, want %d", k, via.addr, mine[method(cmdGet)], wantGets)
				}
				if mine[method(cmdRead)] != wantReads {
					t.Fatalf("get %s via %s: %d dht.read calls, want %d (holders %v)", k, via.addr, mine[method(cmdRead)], wantReads, holders)
				}
			}
		}
	}
}

// TestGetAfterOwnerMissedWrites is the case that rules out owner-only
// reads: the owner is paused while a write goes to its first successor
// (which stands in and replicates it to the next two), then resumes with
// its stale copy, and before any repair the two nodes after it crash. A
// get through the owner's predecessor (which reads the owner and the two
// crashed nodes itself) still returns the new value: the owner reads the
// next live node in their place.
func TestGetAfterOwnerMissedWrites(t *testing.T) {
	ctx := context.Background()
	r, log := newCountingRing(t, 8, 22, 20*time.Millisecond)
	vers, _ := setKeys(t, r, 100, "s")
	r.quiesce(vers)
	const key = "s-17"
	ring := r.ringOrder()
	holders := r.expectedHolders(HashIDForTest(key))
	var owner, pred int
	for i, n := range ring {
		if n.addr == holders[0] {
			owner, pred = i, (i+len(ring)-1)%len(ring)
		}
	}
	via := ring[pred]
	writer := ring[(owner+4)%len(ring)]
	r.nw.Pause(holders[0])
	put, err := writer.store.Set(ctx, key, []byte("new"))
	r.nw.Resume(holders[0])
	if err != nil || put.Owner.Addr != holders[1] {
		t.Fatalf("set with the owner paused = %+v, %v; want it taken by %s", put, err, holders[1])
	}
	if got, _ := r.byAddr(holders[0]).store.tab.get(key); got.Ver.Newer(versionOf(put)) || got.Ver == versionOf(put) {
		t.Fatalf("the paused owner should still hold the old version, has %v", got.Ver)
	}
	r.crash(ring[(owner+1)%len(ring)])
	r.crash(ring[(owner+2)%len(ring)])
	log.take()
	got, err := via.store.Get(ctx, key)
	if err != nil || string(got.Value) != "new" || got.Owner.Addr != holders[0] {
		t.Fatalf("get via the owner's predecessor = %q from %s, %v; want \"new\" from the owner %s", got.Value, got.Owner.Addr, err, holders[0])
	}
	if n := log.take()[holders[0]][method(cmdRead)]; n == 0 {
		t.Errorf("the owner read no replica: the new value came from elsewhere")
	}
}

// TestGetReadPathFaults reads through the owner's predecessor, which
// reads the owner's replicas itself (they are in its successor list), when
// one of them holds an old copy, when it does not answer, and when the
// owner is dead: every read returns the last acknowledged write.
func TestGetReadPathFaults(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (r *testRing, key string, holders []string, via *testNode) {
		r, _ = newCountingRing(t, 8, 26, 20*time.Millisecond)
		vers, _ := setKeys(t, r, 100, "f")
		r.quiesce(vers)
		key = "f-41"
		holders = r.expectedHolders(HashIDForTest(key))
		ring := r.ringOrder()
		for i, n := range ring {
			if n.addr == holders[0] {
				via = ring[(i+len(ring)-1)%len(ring)]
			}
		}
		owner := r.byAddr(holders[0]).node.Self()
		var hinted []string
		for _, h := range via.store.replicaHints(owner) {
			hinted = append(hinted, h.Addr)
		}
		if strings.Join(hinted, " ") != strings.Join(holders[1:], " ") {
			t.Fatalf("%s reads %v for %s, want %v", via.addr, hinted, owner.Addr, holders[1:])
		}
		return r, key, holders, via
	}
	t.Run("replica stale", func(t *testing.T) {
		r, key, holders, via := setup(t)
		r.nw.Pause(holders[1])
		put, err := via.store.Set(ctx, key, []byte("new"))
		r.nw.Resume(holders[1])
		if err != nil || put.Copies != r.cfg.Replicas {
			t.Fatalf("set with replica %s paused = %+v, %v", holders[1], put, err)
		}
		if got, _ := r.byAddr(holders[1]).store.tab.get(key); got.Ver == versionOf(put) {
			t.Fatal("the paused replica should still hold the old version")
		}
		if got, err := via.store.Get(ctx, key); err != nil || string(got.Value) != "new" || got.Fallback {
			t.Fatalf("get with a stale replica = %q (fallback %v), %v; want \"new\" from the owner", got.Value, got.Fallback, err)
		}
	})
	t.Run("replica silent", func(t *testing.T) {
		r, key, holders, via := setup(t)
		put, err := via.store.Set(ctx, key, []byte("new"))
		if err != nil {
			t.Fatal(err)
		}
		r.nw.Pause(holders[2])
		defer r.nw.Resume(holders[2])
		got, err := via.store.Get(ctx, key)
		if err != nil || string(got.Value) != "new" || got.Version != put.Version || got.Owner.Addr != holders[0] {
			t.Fatalf("get with replica %s paused = %q v%d from %s, %v; want \"new\" v%d from %s", holders[2], got.Value, got.Version, got.Owner.Addr, err, put.Version, holders[0])
		}
	})
	t.Run("owner dead", func(t *testing.T) {
		r, key, holders, via := setup(t)
		put, err := via.store.Set(ctx, key, []byte("new"))
		if err != nil {
			t.Fatal(err)
		}
		r.crash(r.byAddr(holders[0]))
		got, err := via.store.Get(ctx, key)
		if err != nil || string(got.Value) != "new" || got.Version != put.Version || !got.Fallback || got.Owner.Addr != holders[1] {
			t.Fatalf("get with the owner dead = %q v%d from %s (fallback %v), %v; want \"new\" v%d from %s", got.Value, got.Version, got.Owner.Addr, got.Fallback, err, put.Version, holders[1])
		}
	})
}

// TestGetWithStaleReplicaHints gives a node wrong replicas for an owner:
// the get still returns the value (the owner reads its real replicas
// itself), the owner's answer corrects the hints, and the next get from
// that node reads the owner's real replicas directly.
func TestGetWithStaleReplicaHints(t *testing.T) {
	ctx := context.Background()
	r, log := newCountingRing(t, 8, 23, 0)
	vers, vals := setKeys(t, r, 100, "h")
	r.quiesce(vers)
	const key = "h-3"
	holders := r.expectedHolders(HashIDForTest(key))
	var via *testNode
	var wrong []chord.NodeRef
	for _, n := range r.ringOrder() {
		if !containsAddr(holders, n.addr) {
			if via == nil {
				via = n
			} else if len(wrong) < r.cfg.Replicas-1 {
				wrong = append(wrong, n.node.Self())
			}
		}
	}
	owner := r.byAddr(holders[0]).node.Self()
	if hs := via.store.replicaHints(owner); len(hs) > 0 {
		t.Fatalf("%s should not know %s's replicas from its own successor list; has %v", via.addr, owner.Addr, hs)
	}
	via.store.learnReplicas(owner, wrong)
	log.take()
	if got, err := via.store.Get(ctx, key); err != nil || string(got.Value) != vals[key] {
		t.Fatalf("get with wrong hints = %q, %v; want %q", got.Value, err, vals[key])
	}
	if n := log.take()[owner.Addr][method(cmdRead)]; n != r.cfg.Replicas-1 {
		t.Errorf("with wrong hints the owner made %d reads, want %d (its real replicas)", n, r.cfg.Replicas-1)
	}
	var hinted []string
	for _, h := range via.store.replicaHints(owner) {
		hinted = append(hinted, h.Addr)
	}
	if strings.Join(hinted, " ") != strings.Join(holders[1:], " ") {
		t.Fatalf("hints after the owner's answer = %v, want %v", hinted, holders[1:])
	}
	if got, err := via.store.Get(ctx, key); err != nil || string(got.Value) != vals[key] {
		t.Fatalf("second get = %q, %v; want %q", got.Value, err, vals[key])
	}
	if n := log.take()[owner.Addr][method(cmdRead)]; n != 0 {
		t.Errorf("with corrected hints the owner made %d reads, want 0", n)
	}
}

// TestGetWithJoinedReplica adds a node and settles chord without any dht
// repair: the newcomer is now a replica (or the owner) of keys it does not
// hold yet, and every read still returns the acknowledged value.
func TestGetWithJoinedReplica(t *testing.T) {
	r := newTestRing(t, 8, 24, nil)
	vers, vals := setKeys(t, r, 300, "j")
	r.quiesce(vers)
	checkGets(t, r, vals) // every node learns the replicas it reads
	for i := 0; i < 3; i++ {
		r.add()
	}
	r.settleChord()
	checkGets(t, r, vals)
	r.quiesce(vers)
	checkGets(t, r, vals)
}

func containsAddr(list []string, a string) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// BenchmarkRoundTrips measures get and set on a 16-node in-memory ring
// where every call takes one simulated round trip (each node adds half of
// it, chordtest.Network.SetDelay), so that the time of an operation counts
// its serial rounds whatever the CPU does: rtt/op is that count and
// hops/op the lookup's share of it. Every node has read every key once
// before the delays start.
func BenchmarkRoundTrips(b *testing.B) {
	const rtt = 2 * time.Millisecond
	r := newTestRing(b, 16, 25, nil)
	ctx := context.Background()
	keys := make([]string, 200)
	for i := range keys {
		keys[i] = fmt.Sprintf("rt-%d", i)
		if _, err := r.any().store.Set(ctx, keys[i], []byte("v")); err != nil {
			b.Fatal(err)
		}
	}
	nodes := r.live()
	for _, n := range nodes {
		for _, k := range keys {
			if _, err := n.store.Get(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
	}
	r.clock.Advance(time.Minute) // the join handoffs of the start are over
	for _, n := range nodes {
		r.nw.SetDelay(n.addr, rtt/2)
	}
	for _, op := range []string{"get", "set"} {
		b.Run(op, func(b *testing.B) {
			hops := 0
			t0 := time.Now()
			for i := 0; i < b.N; i++ {
				n, k := nodes[i%len(nodes)], keys[(i*7)%len(keys)]
				var lr chord.LookupResult
				var err error
				if op == "get" {
					var res GetResult
					res, err = n.store.Get(ctx, k)
					lr = res.Lookup
				} else {
					var res PutResult
					res, err = n.store.Set(ctx, k, []byte("v"))
					lr = res.Lookup
				}
				if err != nil {
					b.Fatal(err)
				}
				hops += lr.Hops
			}
			b.ReportMetric(float64(time.Since(t0))/float64(rtt)/float64(b.N), "rtt/op")
			b.ReportMetric(float64(hops)/float64(b.N), "hops/op")
		})
	}
}
