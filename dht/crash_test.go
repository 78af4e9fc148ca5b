package dht

import (
	"context"
	"fmt"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// TestCrashAdjacentWindows crashes every window of r-1 ring-adjacent nodes
// at once (a fresh ring each time). Reads and writes right after the crash
// (before any maintenance: the surviving holders stand in), reads once
// chord has repaired the
// successor lists but before any dht repair (the surviving replicas
// answer, fingers still stale), and after the
// ring and the copies are repaired, all return the acknowledged values, and
// every key is back at exactly r copies on the right nodes.
func TestCrashAdjacentWindows(t *testing.T) {
	const nodes, keys = 16, 400
	for start := 0; start < nodes; start++ {
		t.Run(fmt.Sprintf("window at %d", start), func(t *testing.T) {
			r := newTestRing(t, nodes, int64(100+start), nil)
			vers, vals := setKeys(t, r, keys, "c")
			ring := r.ringOrder()
			var crashed []string
			for k := 0; k < r.cfg.Replicas-1; k++ {
				n := ring[(start+k)%len(ring)]
				r.crash(n)
				crashed = append(crashed, n.addr)
			}
			t.Logf("crashed %v", crashed)
			checkGets(t, r, vals) // no round of any kind yet: fallback reads
			// Writes right after the crash, before any round: the first
			// live node after a dead owner takes them.
			ctx := context.Background()
			for i := 0; i < 100; i++ {
				k := fmt.Sprintf("c-%d", i)
				v := fmt.Sprintf("after crash %d", i)
				res, err := r.any().store.Set(ctx, k, []byte(v))
				if err != nil {
					t.Fatalf("set %s right after the crash: %v", k, err)
				}
				vers[k], vals[k] = versionOf(res), v
			}
			checkGets(t, r, vals)
			stabilizeOnly(t, r)
			checkGets(t, r, vals) // no dht repair yet: the replicas answer
			r.quiesce(vers)
			checkGets(t, r, vals)
		})
	}
}

// stabilizeOnly runs stabilize and check_predecessor rounds (no fingers,
// no dht repair) until successor lists and predecessors are ideal.
func stabilizeOnly(t *testing.T, r *testRing) {
	t.Helper()
	for round := 0; round < 20; round++ {
		var sts []chord.Status
		for _, n := range r.live() {
			_ = n.node.CheckPredecessor(context.Background())
			_ = n.node.Stabilize(context.Background())
		}
		for _, n := range r.live() {
			sts = append(sts, n.node.Status())
		}
		if len(chord.CheckIdeal(sts, false)) == 0 {
			return
		}
	}
	t.Fatal("successor lists not repaired after 20 stabilize rounds")
}

// TestOwnerDiesAfterLookup crashes the owner between a verified lookup and
// the call (the lookup result is stale), checks that the same stale result
// from a lookup that trusted the owner makes the operation fail (to be
// looked up again) rather than trust the nodes after it, and also feeds a
// lookup that failed on the crashed owner: reads and writes go to the
// first live node after it.
func TestOwnerDiesAfterLookup(t *testing.T) {
	ctx := context.Background()
	r := newTestRing(t, 8, 11, nil)
	vers, vals := setKeys(t, r, 100, "d")
	r.quiesce(vers)
	const key = "d-42"
	holders := r.expectedHolders(HashIDForTest(key))
	via := r.liveExcept(holders[0])
	lr, err := via.node.Lookup(ctx, HashIDForTest(key))
	if err != nil || lr.Owner.Addr != holders[0] {
		t.Fatalf("lookup = %v, %v; want owner %s", lr.Owner, err, holders[0])
	}
	r.crash(r.byAddr(holders[0]))

	if got, err := via.store.getAfter(ctx, key, lr, nil, false, false); !via.store.lookUpAgain(ctx, nil, err) {
		t.Fatalf("get with a stale unverified lookup = %q from %s, %v; want an error to look up again", got.Value, got.Owner.Addr, err)
	}
	got, err := via.store.getAfter(ctx, key, lr, nil, true, false)
	if err != nil || string(got.Value) != vals[key] || !got.Fallback || got.Owner.Addr != holders[1] {
		t.Fatalf("get with a stale lookup = %q (fallback %v, from %s), %v; want %q from %s", got.Value, got.Fallback, got.Owner.Addr, err, vals[key], holders[1])
	}
	put, err := via.store.writeAfter(ctx, "set", setReq{Key: key, Value: []byte("new")}, lr, nil, true)
	if err != nil || put.Owner.Addr != holders[1] || put.Copies != r.cfg.Replicas {
		t.Fatalf("set with a stale lookup = %+v, %v; want %d copies from %s", put, err, r.cfg.Replicas, holders[1])
	}

	// A lookup that failed on the dead owner.
	failed := chord.LookupResult{Key: HashIDForTest(key), Path: []chord.Hop{{Node: lr.Owner, Err: "connection refused"}}}
	lookupErr := fmt.Errorf("no live candidate: %w", chord.ErrLookupFailed)
	if got, err := via.store.getAfter(ctx, key, failed, lookupErr, false, false); err != nil || string(got.Value) != "new" {
		t.Fatalf("get after a failed lookup = %q, %v; want \"new\"", got.Value, err)
	}
	put2, err := via.store.writeAfter(ctx, "set", setReq{Key: key, Value: []byte("newer")}, failed, lookupErr, false)
	if err != nil || put2.Owner.Addr != holders[1] {
		t.Fatalf("set after a failed lookup = %+v, %v; want it taken by %s", put2, err, holders[1])
	}
	vers[key], vals[key] = versionOf(put2), "newer"
	r.quiesce(vers)
	checkGets(t, r, vals)
}

// TestOwnerDiesAfterItsPing crashes the owner a verified lookup has just
// pinged, before the operation reaches it, and lets stabilize drop it from
// every successor list first, so that no list names a node to stand in
// for it: the operation looks up again and the live holder after it
// answers. Each of r-1 holders crashes in turn this way (the first one
// before the operation starts, as a trusted lookup still names it).
func TestOwnerDiesAfterItsPing(t *testing.T) {
	ctx := context.Background()
	for _, op := range []string{"get", "set"} {
		t.Run(op, func(t *testing.T) {
			r := newTestRing(t, 8, 12, nil)
			vers, vals := setKeys(t, r, 100, "p")
			r.quiesce(vers)
			const key = "p-7"
			holders := r.expectedHolders(HashIDForTest(key))
			via := r.liveExcept(holders...)
			trusted, err := via.node.LookupWith(ctx, HashIDForTest(key), ownerLookup)
			if err != nil || trusted.Owner.Addr != holders[0] {
				t.Fatalf("lookup = %v, %v; want owner %s", trusted.Owner, err, holders[0])
			}
			r.crash(r.byAddr(holders[0]))
			stabilizeOnly(t, r)
			// Every verified lookup but the last names an owner that then
			// crashes before the operation reaches it.
			var owners []string
			attempt := func(lr chord.LookupResult, lerr error) {
				owners = append(owners, lr.Owner.Addr)
				if len(owners) < r.cfg.Replicas-1 && lerr == nil && lr.Owner.Addr != via.addr {
					r.crash(r.byAddr(lr.Owner.Addr))
					stabilizeOnly(t, r)
				}
			}
			var got string
			var at string
			switch op {
			case "get":
				first, ferr := via.store.getAfter(ctx, key, trusted, nil, false, false)
				res, err := lookUpVerified(ctx, via.store, key, nil, first, ferr, func(lr chord.LookupResult, lerr error) (GetResult, error) {
					attempt(lr, lerr)
					return via.store.getAfter(ctx, key, lr, lerr, true, false)
				})
				if err != nil {
					t.Fatalf("get after its owners crashed: %v (owners looked up: %v)", err, owners)
				}
				got, at = string(res.Value), res.Owner.Addr
			case "set":
				req := setReq{Key: key, Value: []byte("after the crashes")}
				first, ferr := via.store.writeAfter(ctx, "set", req, trusted, nil, false)
				res, err := lookUpVerified(ctx, via.store, key, nil, first, ferr, func(lr chord.LookupResult, lerr error) (PutResult, error) {
					attempt(lr, lerr)
					return via.store.writeAfter(ctx, "set", req, lr, lerr, true)
				})
				if err != nil {
					t.Fatalf("set after its owners crashed: %v (owners looked up: %v)", err, owners)
				}
				vers[key], vals[key] = versionOf(res), "after the crashes"
				got, at = "after the crashes", res.Owner.Addr
			}
			if want := holders[r.cfg.Replicas-1]; at != want || got != vals[key] || len(owners) != r.cfg.Replicas-1 {
				t.Fatalf("%s = %q from %s after looking up %v; want %q from %s, the last holder", op, got, at, owners, vals[key], want)
			}
			r.quiesce(vers)
			checkGets(t, r, vals)
		})
	}
}

// TestTasksDriveRepair checks that Tasks hands the repair round to a
// chord.Driver: after a crash, stepping each node's driver (chord rounds
// then the dht repair, as the cluster wires them) restores exact placement.
func TestTasksDriveRepair(t *testing.T) {
	ctx := context.Background()
	r := newTestRing(t, 8, 12, nil)
	vers, vals := setKeys(t, r, 200, "k")
	r.quiesce(vers)
	tasks := r.live()[0].store.Tasks()
	if len(tasks) != 1 || tasks[0].Name != "dht repair" || tasks[0].Every != r.cfg.RepairInterval || tasks[0].Run == nil {
		t.Fatalf("Tasks() = %+v, want one %q task every %v", tasks, "dht repair", r.cfg.RepairInterval)
	}
	r.crash(r.ringOrder()[3])
	var drivers []*chord.Driver
	for _, n := range r.live() {
		drivers = append(drivers, chord.NewDriver(append(chord.NodeTasks(n.node), n.store.Tasks()...), 0, 1))
	}
	for step := 0; ; step++ {
		if step == 30 {
			t.Fatalf("placement not exact after 30 driver steps:\n%s", joinLines(r.placementErrors(vers)))
		}
		for _, d := range drivers {
			d.Step(ctx) // no Start: no goroutine, the test drives every round
		}
		if len(r.placementErrors(vers)) == 0 {
			break
		}
	}
	checkGets(t, r, vals)
}
