package dht

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// owners maps each key to the address of its true owner on the live ring.
func (r *testRing) owners(keys map[string]Version) map[string]string {
	out := map[string]string{}
	for k := range keys {
		out[k] = r.expectedHolders(HashIDForTest(k))[0]
	}
	return out
}

// TestJoinTakesOverExactlyTheKeysItHolds adds a node to a settled ring:
// until its first repair round it serves no key (the nodes after it answer
// in its place), and that round takes over exactly the keys it is now a
// holder of (its own range and its r-1 predecessors'), from its r
// successors, in one keys-moved event. After repair only successor → new
// node ownership changes happened.
func TestJoinTakesOverExactlyTheKeysItHolds(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			r := emptyTestRing(seed, nil, nil)
			r.t = t
			r.next = int(seed) * 100 // another ring each seed
			r.start(15)
			vers, vals := setKeys(t, r, 600, "j")
			r.quiesce(vers)
			before := r.owners(vers)

			events := make(chan chord.Event, 1<<14)
			r.ccfg.Events = events
			n := r.add()
			r.ccfg.Events = nil
			r.settleChord() // chord only: no dht round has run yet
			if n.store.Ready() {
				t.Fatal("a node that just joined is ready before taking over its keys")
			}
			checkGets(t, r, vals) // the nodes after it answer in its place

			ring := r.ringOrder()
			var succ *testNode
			for i, x := range ring {
				if x == n {
					succ = ring[(i+1)%len(ring)]
				}
			}
			var held []string
			for k := range vers {
				if containsAddr(r.expectedHolders(HashIDForTest(k)), n.addr) {
					held = append(held, k)
				}
			}
			if err := n.store.Repair(context.Background()); err != nil {
				t.Logf("repair: %v", err) // other groups may still be settling
			}
			if !n.store.Ready() {
				t.Fatal("not ready after its first repair round")
			}
			got := map[string]bool{}
			for _, k := range n.store.Keys() {
				got[k.Key] = true
			}
			for _, k := range held {
				if !got[k] {
					t.Errorf("key %s (held by the new node) not taken over", k)
				}
			}
			if len(got) != len(held) {
				t.Errorf("new node holds %d keys after its first round, want exactly the %d it is a holder of", len(got), len(held))
			}
			var movedEvents []chord.Event
			for len(events) > 0 {
				if e := <-events; e.Kind == chord.EventKeysMoved {
					movedEvents = append(movedEvents, e)
				}
			}
			if len(movedEvents) != 1 || movedEvents[0].Old.Addr != succ.addr || movedEvents[0].New.Addr != n.addr ||
				!strings.HasPrefix(movedEvents[0].Detail, fmt.Sprintf("%d keys taken over by %s from %s, ", len(held), n.addr, succ.addr)) {
				t.Errorf("keys-moved events = %+v, want one from the successor %s to %s with %d keys", movedEvents, succ.addr, n.addr, len(held))
			}

			r.quiesce(vers)
			after := r.owners(vers)
			changed := 0
			for k := range vers {
				if before[k] != after[k] {
					changed++
					if after[k] != n.addr || before[k] != succ.addr {
						t.Errorf("key %s moved from %s to %s; only successor → new node moves are allowed", k, before[k], after[k])
					}
				}
			}
			if c := n.store.Counts(); c.Owned != changed || c.Owned+c.Replicas != len(held) {
				t.Errorf("new node owns %d keys and replicates %d, want %d and %d", c.Owned, c.Replicas, changed, len(held)-changed)
			}
			checkGets(t, r, vals)
		})
	}
}

func TestGracefulLeaveLosesNothing(t *testing.T) {
	for _, idx := range []int{0, 5, 11} {
		t.Run(fmt.Sprintf("ring position %d", idx), func(t *testing.T) {
			events := make(chan chord.Event, 1<<16)
			r := newTestRing(t, 16, int64(idx+7), events)
			vers, vals := setKeys(t, r, 600, "l")
			r.quiesce(vers)
			l := r.ringOrder()[idx]
			succ := r.ringOrder()[(idx+1)%16]
			owned := l.store.Counts().Owned
			for len(events) > 0 {
				<-events
			}
			if err := l.store.Leave(context.Background()); err != nil {
				t.Fatalf("leave: %v", err)
			}
			var handed []string
			for len(events) > 0 {
				if e := <-events; e.Kind == chord.EventKeysMoved && e.Node.Addr == l.addr {
					handed = append(handed, e.Detail)
				}
			}
			if len(handed) != 1 || !strings.Contains(handed[0], "handed to "+succ.addr) {
				t.Errorf("keys-moved events of the leaving node = %q, want one saying the keys were handed to %s", handed, succ.addr)
			}
			l.up = false
			if c := l.store.Counts(); c != (Counts{}) {
				t.Errorf("left node still counts %+v", c)
			}
			if _, err := l.store.Get(context.Background(), "l-1"); err == nil {
				t.Error("get through a node that left succeeded")
			}
			t.Logf("%s left owning %d keys", l.addr, owned)
			// Before any round, every key still has at least r copies.
			hold := r.holdings()
			for k := range vers {
				if len(hold[k]) < r.cfg.Replicas {
					t.Errorf("right after the leave %s has %d copies, want ≥ %d", k, len(hold[k]), r.cfg.Replicas)
				}
			}
			checkGets(t, r, vals) // before any round: the successor has them
			r.quiesce(vers)
			checkGets(t, r, vals)
		})
	}
}

func TestLimitsAndBadInput(t *testing.T) {
	r := newTestRingCfg(t, 3, 1, func(c *Config) { c.MaxKeySize = 16; c.MaxValueSize = 64 })
	ctx := context.Background()
	s := r.any().store
	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"set empty key", func() error { _, err := s.Set(ctx, "", []byte("v")); return err }, ErrEmptyKey},
		{"get empty key", func() error { _, err := s.Get(ctx, ""); return err }, ErrEmptyKey},
		{"del empty key", func() error { _, err := s.Del(ctx, ""); return err }, ErrEmptyKey},
		{"set long key", func() error { _, err := s.Set(ctx, strings.Repeat("k", 17), nil); return err }, ErrKeyTooLarge},
		{"get long key", func() error { _, err := s.Get(ctx, strings.Repeat("k", 17)); return err }, ErrKeyTooLarge},
		{"set large value", func() error { _, err := s.Set(ctx, "k", make([]byte, 65)); return err }, ErrValueTooLarge},
		{"key at the limit", func() error { _, err := s.Set(ctx, strings.Repeat("k", 16), make([]byte, 64)); return err }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if got := DefaultConfig(); got.MaxKeySize != 1024 || got.MaxValueSize != 1<<20 {
		t.Errorf("default limits %d/%d, want 1 KiB / 1 MiB", got.MaxKeySize, got.MaxValueSize)
	}

	// A peer sending garbage or oversized records gets an error reply; the
	// node goes on serving.
	target := r.ringOrder()[1]
	from := r.ringOrder()[0].node
	raw := []struct {
		name, cmd string
		req       []byte
	}{
		{"garbage set", cmdSet, []byte{0xff, 0xff, 0xff}},
		{"oversized key", cmdSet, setReq{Key: strings.Repeat("k", 17)}.encode()},
		{"oversized value", cmdStore, storeReq{Recs: []record{{Key: "k", Value: make([]byte, 65), Ver: Version{Wall: 1}}}}.encode()},
		{"empty key pushed", cmdStore, storeReq{Recs: []record{{Key: "", Ver: Version{Wall: 1}}}}.encode()},
		{"garbage digest", cmdDigest, []byte{9}},
		{"garbage transfer", cmdTransfer, []byte{1, 2}},
	}
	for _, tt := range raw {
		t.Run(tt.name, func(t *testing.T) {
			reply, err := from.Call(ctx, target.addr, tt.cmd, tt.req)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			h, err := decodeHeadPrefix(reply)
			if err != nil || h.Status != statusInvalid {
				t.Errorf("reply status %d (%q), err %v; want invalid", h.Status, h.Msg, err)
			}
		})
	}
	if n := len(target.store.Keys()); n != 1 {
		t.Errorf("bad input changed the store: %d keys, want the 1 valid one", n)
	}
	if _, err := target.store.Set(ctx, "after", []byte("ok")); err != nil {
		t.Errorf("node no longer serves after bad input: %v", err)
	}
}

// TestRevivedOwnerDoesNotReuseVersions restarts a crashed owner with an
// empty store (same address, same ID, Lamport clock back at zero). Its
// first write must not reuse the version of its previous life, or the
// replicas would keep the old value under the same version and bring it
// back when the owner fails again.
func TestRevivedOwnerDoesNotReuseVersions(t *testing.T) {
	ctx := context.Background()
	r := newTestRing(t, 6, 2, nil)
	x := r.ringOrder()[2]
	key := ""
	for i := 0; key == ""; i++ {
		k := fmt.Sprintf("rv-%d", i)
		if r.expectedHolders(HashIDForTest(k))[0] == x.addr {
			key = k
		}
	}
	first, err := x.store.Set(ctx, key, []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	r.crash(x)
	r.quiesce(map[string]Version{key: versionOf(first)})

	x2 := r.revive(x.addr)
	r.settleChord() // no dht round: the revived store is still empty
	second, err := x2.store.Set(ctx, key, []byte("two"))
	if err != nil {
		t.Fatal(err)
	}
	if !versionOf(second).Newer(versionOf(first)) {
		t.Fatalf("revived owner wrote version %v, not newer than its previous life's %v", versionOf(second), versionOf(first))
	}
	r.quiesce(map[string]Version{key: versionOf(second)})
	r.crash(x2)
	stabilizeOnly(t, r)
	for _, n := range r.live() {
		if got, err := n.store.Get(ctx, key); err != nil || string(got.Value) != "two" {
			t.Fatalf("after the revived owner crashed: get via %s = %q, %v; want \"two\"", n.addr, got.Value, err)
		}
	}
}

func TestNewRejectsBadSetups(t *testing.T) {
	r := newTestRing(t, 1, 1, nil)
	node := r.live()[0].node
	tests := []struct {
		name   string
		mutate func(*Config)
		want   error
	}{
		{"more replicas than the successor list can name", func(c *Config) { c.Replicas = 6 }, nil},
		{"invalid config", func(c *Config) { c.MaxKeySize = 0 }, nil},
		{"second store on the same node", func(c *Config) {}, chord.ErrDuplicateCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.mutate(&cfg)
			_, err := New(node, cfg)
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("New = %v, want an error (%v)", err, tt.want)
			}
		})
	}
	if _, err := New(nil, DefaultConfig()); err == nil {
		t.Error("New(nil) succeeded")
	}
}
