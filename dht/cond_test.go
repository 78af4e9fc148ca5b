package dht

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// TestSetIf: a conditional write applies only over the version expected
// (zero: an absent or deleted key), says which version was in the way
// otherwise, and DelIf deletes under the same rule.
func TestSetIf(t *testing.T) {
	r := newTestRing(t, 8, 7, nil)
	ctx := context.Background()
	s := r.any().store
	first, err := s.SetIf(ctx, "k", []byte("one"), Version{})
	if err != nil {
		t.Fatalf("setif on an absent key: %v", err)
	}
	if _, err := s.SetIf(ctx, "k", []byte("again"), Version{}); !errors.Is(err, ErrConflict) {
		t.Fatalf("setif expecting absent over a value: %v, want ErrConflict", err)
	}
	second, err := r.any().store.SetIf(ctx, "k", []byte("two"), first.Version)
	if err != nil {
		t.Fatalf("setif over the version read: %v", err)
	}
	if !second.Version.Newer(first.Version) || second.Current != first.Version {
		t.Fatalf("versions: first %v, second %v (current %v)", first.Version, second.Version, second.Current)
	}
	res, err := s.SetIf(ctx, "k", []byte("stale"), first.Version)
	if !errors.Is(err, ErrConflict) || res.Current != second.Version {
		t.Fatalf("setif over an old version: %v (current %v), want ErrConflict naming %v", err, res.Current, second.Version)
	}
	gr, err := s.Get(ctx, "k")
	if err != nil || string(gr.Value) != "two" || gr.Version != second.Version {
		t.Fatalf("get after the conflicts: %q %v %v, want two at %v", gr.Value, gr.Version, err, second.Version)
	}
	if _, err := s.DelIf(ctx, "k", first.Version); !errors.Is(err, ErrConflict) {
		t.Fatalf("delif over an old version: %v", err)
	}
	if _, err := s.DelIf(ctx, "k", second.Version); err != nil {
		t.Fatalf("delif: %v", err)
	}
	if gr, _ := s.Get(ctx, "k"); gr.Found {
		t.Fatal("key still found after delif")
	}
	if _, err := s.SetIf(ctx, "k", []byte("back"), Version{}); err != nil {
		t.Fatalf("setif expecting absent over a tombstone: %v", err)
	}
	if _, err := s.DelIf(ctx, "k", Version{}); err == nil {
		t.Fatal("delif with the zero version succeeded")
	}
}

// TestSetIfOneWinner: of many conditional writes that expect the same
// version, through different nodes at once, exactly one applies.
func TestSetIfOneWinner(t *testing.T) {
	r := newTestRing(t, 8, 8, nil)
	ctx := context.Background()
	base, err := r.any().store.Set(ctx, "counter", []byte("0"))
	if err != nil {
		t.Fatal(err)
	}
	const writers = 12
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		s := r.live()[i%len(r.live())].store
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = s.SetIf(ctx, "counter", []byte(fmt.Sprint(i+1)), base.Version)
		}(i)
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrConflict):
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d conditional writes applied over the same version, want 1", won)
	}
}

// TestSetIfAfterCrash: with r-1 adjacent holders of a key crashed, a
// conditional write still reads the newest copy (a replica's) and applies
// over it, and a stale expectation still fails.
func TestSetIfAfterCrash(t *testing.T) {
	r := newTestRing(t, 12, 9, nil)
	ctx := context.Background()
	first, err := r.any().store.SetIf(ctx, "inode", []byte("v1"), Version{})
	if err != nil {
		t.Fatal(err)
	}
	holders := r.expectedHolders(HashIDForTest("inode"))
	for _, a := range holders[:r.cfg.Replicas-1] { // the owner and the next one
		r.crash(r.byAddr(a))
	}
	// The stale write is refused: ErrConflict, or ErrUnavailable when the
	// crashed owner was tried first (a write it got no answer to may have
	// been applied, so the conflict that follows is no conflict to retry).
	if _, err := r.any().store.SetIf(ctx, "inode", []byte("stale"), Version{}); !errors.Is(err, ErrConflict) && !errors.Is(err, ErrUnavailable) {
		t.Fatalf("setif expecting absent after the crash: %v, want ErrConflict or ErrUnavailable", err)
	}
	second, err := r.any().store.SetIf(ctx, "inode", []byte("v2"), first.Version)
	if err != nil {
		t.Fatalf("setif after the owner crashed: %v", err)
	}
	stabilizeOnly(t, r)
	gr, err := r.any().store.Get(ctx, "inode")
	if err != nil || string(gr.Value) != "v2" || gr.Version != second.Version {
		t.Fatalf("get: %q %v %v", gr.Value, gr.Version, err)
	}
}

// TestReadAny: a value is read from one holder, whichever has a copy that
// passes the check; a missing key and a key whose every copy fails the
// check are ErrNotFound; with the owner crashed the replicas answer.
func TestReadAny(t *testing.T) {
	r := newTestRing(t, 10, 10, nil)
	ctx := context.Background()
	val := bytes.Repeat([]byte("block"), 1000)
	if _, err := r.any().store.Set(ctx, "b", val); err != nil {
		t.Fatal(err)
	}
	same := func(v []byte) bool { return bytes.Equal(v, val) }
	res, err := r.any().store.ReadAny(ctx, "b", same)
	if err != nil || !bytes.Equal(res.Value, val) || res.Fallback || res.From != res.Owner {
		t.Fatalf("readany: from %v (owner %v, fallback %v), %v", res.From, res.Owner, res.Fallback, err)
	}
	if _, err := r.any().store.ReadAny(ctx, "missing", nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("readany of a missing key: %v", err)
	}
	if _, err := r.any().store.ReadAny(ctx, "b", func([]byte) bool { return false }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("readany with no copy passing: %v", err)
	}
	owner := r.byAddr(r.expectedHolders(HashIDForTest("b"))[0])
	r.crash(owner)
	for i := 0; i < 5; i++ {
		res, err := r.any().store.ReadAny(ctx, "b", same)
		if err != nil || !bytes.Equal(res.Value, val) || res.From.Addr == owner.addr {
			t.Fatalf("readany with the owner crashed: from %v, %v", res.From, err)
		}
	}
}

func TestCondCodec(t *testing.T) {
	lim := limits{key: 64, value: 64}
	req := condReq{Key: "k", Value: []byte("v"), Deleted: true, Force: true, Expect: Version{Wall: 5, Logical: 2}}
	got, err := decodeCondReq(req.encode(), lim)
	if err != nil || got.Key != req.Key || !bytes.Equal(got.Value, req.Value) || !got.Deleted || !got.Force || got.Expect != req.Expect {
		t.Fatalf("condReq round trip: %+v %v", got, err)
	}
	resp := condResp{Head: replyHead{Status: statusUnavailable, Msg: "x"}, Applied: true, Current: Version{Wall: 1}, Ver: Version{Wall: 2}, Copies: 3}
	if got, err := decodeCondResp(resp.encode()); err != nil || got != resp {
		t.Fatalf("condResp round trip: %+v %v", got, err)
	}
	for _, b := range [][]byte{nil, {1}, append(req.encode(), 0)} {
		if _, err := decodeCondReq(b, lim); err == nil {
			t.Errorf("decodeCondReq(%x) accepted", b)
		}
	}
}

// FuzzCondDecoders feeds arbitrary bytes to the decoders of dht.setif:
// errors are fine, panics are not.
func FuzzCondDecoders(f *testing.F) {
	f.Add(condReq{Key: "k", Value: []byte("v"), Expect: Version{Wall: 1}}.encode())
	f.Add(condResp{Applied: true, Copies: 3}.encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeCondReq(b, testLim)
		_, _ = decodeCondResp(b)
	})
}

// TestSetIfOverExpiredTombstone: a key deleted long enough ago that its
// owner has dropped the tombstone, while replicas still hold it, is
// absent: a conditional write expecting absence applies (the owner does
// not take the replicas' old tombstone for a write in between), and so
// does an Update.
func TestSetIfOverExpiredTombstone(t *testing.T) {
	r := newTestRing(t, 8, 4, nil)
	ctx := context.Background()
	via := r.any().store
	if _, err := via.Set(ctx, "gone", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := via.Del(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(r.cfg.TombstoneTTL + time.Second)
	owner := r.byAddr(r.expectedHolders(HashIDForTest("gone"))[0])
	if n := owner.store.sweepTombstones(); n == 0 {
		t.Fatal("the owner dropped no tombstone")
	}
	if h := r.holdings()["gone"]; len(h) == 0 {
		t.Fatal("no replica holds the tombstone any more: the case is not set up")
	}
	if _, err := via.SetIf(ctx, "gone", []byte("again"), Version{}); err != nil {
		t.Fatalf("setif expecting absence over an expired tombstone: %v", err)
	}
	res, err := via.Update(ctx, "gone", func(v []byte, _ bool) (Change, error) {
		return Change{Value: append(slices.Clone(v), '!')}, nil
	})
	if err != nil || res.Attempts != 1 {
		t.Fatalf("update after it: %v after %d attempts", err, res.Attempts)
	}
	if got, err := via.Get(ctx, "gone"); err != nil || string(got.Value) != "again!" {
		t.Fatalf("get = %q, %v; want again!", got.Value, err)
	}
}

// TestCondWriteHolderGone: a holder that reserved the key for a
// conditional write and is gone when the write comes is replaced by the
// next ready node, which applies it (it holds nothing newer): the write
// is acknowledged by r holders. A node that holds a newer version refuses
// it in the same place, and the write fails.
func TestCondWriteHolderGone(t *testing.T) {
	r := newTestRing(t, 8, 5, nil)
	ctx := context.Background()
	id := HashIDForTest("sk")
	pr, err := r.any().store.Set(ctx, "sk", []byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	hs := r.expectedHolders(id)
	owner := r.byAddr(hs[0])
	next := r.ringOrder()[(slices.IndexFunc(r.ringOrder(), func(n *testNode) bool { return n.addr == hs[len(hs)-1] })+1)%8]
	var reserved []chord.NodeRef
	for _, a := range hs[1:] {
		reserved = append(reserved, r.byAddr(a).node.Self())
	}
	r.crash(r.byAddr(hs[1]))
	write := func(value string) (int, error) {
		cc := &condCommit{token: owner.addr + "#test." + value, start: time.Now(), ttl: time.Second, read: pr.Version, base: pr.Version, holders: reserved}
		rec := record{Key: "sk", ID: id, Value: []byte(value), Prev: pr.Version, Ver: owner.store.clock.next(pr.Version, owner.node.Self().ID)}
		return owner.store.condReplicate(ctx, rec, true, cc)
	}
	copies, err := write("w1")
	if err != nil || copies != r.cfg.Replicas {
		t.Fatalf("with a reserved holder gone: %d copies, %v; want %d, nil", copies, err, r.cfg.Replicas)
	}
	if v := next.store.tab.version("sk"); v.IsZero() || v == pr.Version {
		t.Fatalf("the next node %s holds %v, want the conditional write", next.addr, v)
	}
	// Again from the same version: the next node now holds a newer one.
	if copies, err := write("w2"); err == nil {
		t.Fatalf("a second write from the same version was stored on %d holders, want a refusal", copies)
	}
}
