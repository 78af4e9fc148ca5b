package dht

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// gapAddrs returns n free addresses whose IDs lie in the ring interval
// (from, to), in ring order.
func gapAddrs(t *testing.T, n int, from, to chord.ID) []string {
	t.Helper()
	var out []string
	for i := 0; len(out) < n; i++ {
		if i > 100000 {
			t.Fatal("no addresses in the gap")
		}
		a := fmt.Sprintf("gap-%d", i)
		if chord.Between(from, chord.HashID(testBits, []byte(a)), to) {
			out = append(out, a)
		}
	}
	sortByID := func(a, b string) bool {
		return chord.Distance(chord.MaxBits, from, chord.HashID(testBits, []byte(a))).Cmp(chord.Distance(chord.MaxBits, from, chord.HashID(testBits, []byte(b)))) < 0
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if sortByID(out[j], out[i]) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestJoinersGetWritesTheirSourcesTake makes r nodes join between a key
// and its owner S, so that once they are ready they are all of its
// holders, and takes them over from the last to the first (each from its
// first r ready successors). Then S, still working on a write it accepted
// as the owner before they took over, applies and replicates it to its
// own successors, none of which is a newcomer. The sources forward it to
// the newcomers before acknowledging it, so a read of the key, which now
// reads only the newcomers, returns it. Long after the handoff, a source
// no longer forwards.
func TestJoinersGetWritesTheirSourcesTake(t *testing.T) {
	ctx := context.Background()
	r := newTestRing(t, 6, 51, nil)
	const key = "fw-key"
	if _, err := r.any().store.Set(ctx, key, []byte("v0")); err != nil {
		t.Fatal(err)
	}
	id := HashIDForTest(key)
	owner := r.byAddr(r.expectedHolders(id)[0])
	var joiners []*testNode
	for _, a := range gapAddrs(t, r.cfg.Replicas, id, owner.node.Self().ID) {
		ep, err := r.nw.Endpoint(a)
		if err != nil {
			t.Fatal(err)
		}
		n, err := r.joinOn(ep)
		if err != nil {
			t.Fatal(err)
		}
		joiners = append(joiners, n)
	}
	r.settleChord()
	if got := r.expectedHolders(id); got[0] != joiners[0].addr || got[len(got)-1] != joiners[len(joiners)-1].addr {
		t.Fatalf("holders of %s are %v, want the newcomers %s…%s", key, got, joiners[0].addr, joiners[len(joiners)-1].addr)
	}
	for i := len(joiners) - 1; i >= 0; i-- {
		if err := joiners[i].store.takeOver(ctx); err != nil || !joiners[i].store.Ready() {
			t.Fatalf("%s did not take over: %v", joiners[i].addr, err)
		}
	}
	// The write S accepted before the handoff: its version and its pushes
	// come now, after every newcomer has its pages.
	rep, _, _ := owner.store.writeAdmitted(ctx, setReq{Key: key, Value: []byte("v1"), Force: true}, nil, id, true, nil)
	if rep.Head.Status != statusOK {
		t.Fatalf("write at the old owner: %+v", rep)
	}
	for _, j := range joiners {
		if got, _ := j.store.tab.get(key); string(got.Value) != "v1" {
			t.Errorf("%s holds %q, want the forwarded \"v1\"", j.addr, got.Value)
		}
	}
	for _, n := range r.live() {
		if got, err := n.store.Get(ctx, key); err != nil || string(got.Value) != "v1" {
			t.Fatalf("get via %s = %q (from %s), %v; want \"v1\"", n.addr, got.Value, got.Owner.Addr, err)
		}
	}

	r.clock.Advance(owner.store.handoffTTL() + time.Second)
	if rep, _, _ := owner.store.writeAdmitted(ctx, setReq{Key: key, Value: []byte("v2"), Force: true}, nil, id, true, nil); rep.Head.Status != statusOK {
		t.Fatalf("second write at the old owner: %+v", rep)
	}
	if got, _ := joiners[0].store.tab.get(key); string(got.Value) == "v2" {
		t.Error("the old owner still forwards writes after the handoff ended")
	}
	owner.store.mu.Lock()
	left := len(owner.store.handoffs)
	owner.store.mu.Unlock()
	if left != 0 {
		t.Errorf("%d handoffs still registered after they expired", left)
	}
}

// TestTombstoneLifetime: a tombstone stays on every holder until its
// version is TombstoneTTL old, then goes from all of them; an expired
// tombstone that arrives later is not stored, but still deletes an older
// copy.
func TestTombstoneLifetime(t *testing.T) {
	ctx := context.Background()
	r := newTestRing(t, 6, 52, nil)
	const key = "tomb"
	if _, err := r.any().store.Set(ctx, key, []byte("v")); err != nil {
		t.Fatal(err)
	}
	del, err := r.any().store.Del(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	holders := r.expectedHolders(HashIDForTest(key))
	r.clock.Advance(r.cfg.TombstoneTTL - time.Minute)
	r.repairAll()
	if h := r.holdings()[key]; len(h) != len(holders) {
		t.Fatalf("a minute before its TTL the tombstone is on %d nodes, want %d", len(h), len(holders))
	}
	r.clock.Advance(2 * time.Minute)
	r.repairAll()
	if h := r.holdings()[key]; len(h) != 0 {
		t.Fatalf("past its TTL the tombstone is still on %d nodes", len(h))
	}

	s := r.byAddr(holders[0]).store
	old := record{Key: key, ID: HashIDForTest(key), Value: []byte("stale"), Ver: Version{Wall: del.Version.Wall - 1, Writer: del.Version.Writer}}
	tomb := record{Key: key, ID: HashIDForTest(key), Deleted: true, Ver: del.Version}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok, _ := s.applyLocked(tomb, storeRepair); ok || s.tab.recs[key] != nil {
		t.Error("an expired tombstone was stored")
	}
	s.tab.apply(old)
	if ok, _ := s.applyLocked(tomb, storeRepair); ok || s.tab.recs[key] != nil {
		t.Errorf("an expired tombstone did not delete the older copy it met: %+v", s.tab.recs[key])
	}
}
