package dht

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"
)

// keyModel is what a client may legally read for one key: the last
// acknowledged write, or any write whose outcome is unknown (it failed, so
// it may or may not have taken effect, at any later time).
type keyModel struct {
	acked     string // value of the last acknowledged write; "" = deleted or never written
	ackedVer  Version
	uncertain map[string]bool // values of failed writes (tombstone = "")
}

const tombValue = "" // the model's value for a deleted or unwritten key

func (m *keyModel) allowed(found bool, v string) bool {
	got := tombValue
	if found {
		got = v
	}
	return got == m.acked || m.uncertain[got]
}

// TestRandomSchedules runs seeded random schedules of set/get/del through
// random nodes, interleaved with joins, crashes, graceful leaves, pauses (a
// frozen node, resumed at the next full repair with whatever stale copies
// it has) and partial maintenance. At most r-1 nodes crash, leave or pause
// between two full repairs, so no key ever loses more than r-1 holders.
// Every read must return the latest
// acknowledged write or a write whose outcome was unknown; deleted keys
// stay deleted; after the final repair every key sits at exactly r copies
// and every tombstone is eventually collected.
//
// DHT_SCHEDULES=n runs n schedules instead of the default 20.
func TestRandomSchedules(t *testing.T) {
	schedules := 20
	if v, err := strconv.Atoi(os.Getenv("DHT_SCHEDULES")); err == nil && v > 0 {
		schedules = v
	}
	for seed := int64(1); seed <= int64(schedules); seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) { runSchedule(t, seed, 400) })
	}
}

// settledGet reads k through a random node of a repaired ring, trying
// twice more when it is unavailable: with a 5 ms call deadline, a loaded
// machine running -race can miss one, and a failed read is not what these
// checks are about (a wrong value is).
func settledGet(ctx context.Context, r *testRing, k string) (GetResult, error) {
	var res GetResult
	var err error
	for range 3 {
		if res, err = r.any().store.Get(ctx, k); !errors.Is(err, ErrUnavailable) {
			break
		}
	}
	return res, err
}

func runSchedule(t *testing.T, seed int64, steps int) {
	ctx := context.Background()
	r := emptyTestRing(seed, nil, nil)
	r.t = t
	r.ccfg.RPCTimeout = 5 * time.Millisecond // what a call to a paused node costs
	r.start(8)
	rng := rand.New(rand.NewSource(seed))
	model := map[string]*keyModel{}
	keyNames := make([]string, 30)
	for i := range keyNames {
		keyNames[i] = fmt.Sprintf("s%d-key-%d", seed, i)
		model[keyNames[i]] = &keyModel{uncertain: map[string]bool{}}
	}
	// departures counts crashes and leaves since the last full repair: at
	// most r-1, so no key loses more than r-1 holders between repairs, and
	// no chord successor list (length 4) loses every entry, which would
	// split the ring (chord-correctness.md: at least r+1 principals).
	departures := 0
	var paused []*testNode
	var stats struct{ sets, dels, gets, getErrs, writeErrs, joins, crashes, leaves, pauses, repairs int }

	trace := os.Getenv("DHT_TRACE")
	fullRepair := func() {
		if trace != "" {
			t.Logf("full repair")
		}
		for _, n := range paused {
			r.nw.Resume(n.addr)
			n.up = true
		}
		paused = nil
		r.settleChord()
		for i := 0; i < 3; i++ {
			r.repairAll()
		}
		departures = 0
		stats.repairs++
	}
	write := func(k, v string, del bool) {
		via := r.any()
		var res PutResult
		var err error
		if del {
			res, err = via.store.Del(ctx, k)
			stats.dels++
		} else {
			res, err = via.store.Set(ctx, k, []byte(v))
			stats.sets++
		}
		m := model[k]
		if err != nil {
			stats.writeErrs++
			if os.Getenv("DHT_VERBOSE") != "" {
				t.Logf("write %s via %s: %v", k, via.addr, err)
				for _, h := range res.Lookup.Path {
					t.Logf("   hop %s via %s err=%q reason=%s", h.Node.Addr, h.Via, h.Err, h.Reason)
				}
			}
			m.uncertain[v] = true
			return
		}
		m.acked, m.ackedVer = v, versionOf(res)
	}
	for step := 0; step < steps; step++ {
		k := keyNames[rng.Intn(len(keyNames))]
		if trace != "" {
			t.Logf("step %d key %s ring %v", step, k, r.ringAddrs())
		}
		switch op := rng.Intn(100); {
		case op < 35:
			write(k, fmt.Sprintf("v%d", step), false)
		case op < 45:
			write(k, tombValue, true)
		case op < 80:
			via := r.any()
			res, err := via.store.Get(ctx, k)
			stats.gets++
			if err != nil {
				stats.getErrs++
				t.Logf("step %d: get %s via %s: %v", step, k, via.addr, err)
				continue
			}
			if m := model[k]; !m.allowed(res.Found, string(res.Value)) {
				r.dumpKey(k)
				t.Fatalf("step %d: get %s via %s = %q (found %v, version %v, from %s, fallback %v, wrote back %d); last acknowledged %q at %v, uncertain %v",
					step, k, via.addr, res.Value, res.Found, res.Version, res.Owner.Addr, res.Fallback, res.WrittenBack, m.acked, m.ackedVer, m.uncertain)
			}
		case op < 85:
			if len(r.live()) < 12 {
				if err := r.tryAdd(); err != nil {
					t.Logf("step %d: %v", step, err)
				} else {
					stats.joins++
				}
			}
		case op < 89:
			if departures < r.cfg.Replicas-1 && len(r.live()) > r.ccfg.SuccessorListLen+1 {
				victim := r.any()
				r.crash(victim)
				if trace != "" {
					t.Logf("step %d: crash %s", step, victim.addr)
				}
				departures++
				stats.crashes++
			}
		case op < 90:
			// Pause: the node freezes (calls to it hang until the deadline,
			// it runs no round) until the next full repair resumes it.
			if departures < r.cfg.Replicas-1 && len(r.live()) > r.ccfg.SuccessorListLen+1 {
				departures++
				n := r.any()
				r.nw.Pause(n.addr)
				n.up = false
				paused = append(paused, n)
				if trace != "" {
					t.Logf("step %d: paused %s", step, n.addr)
				}
				stats.pauses++
			}
		case op < 92:
			if departures < r.cfg.Replicas-1 && len(r.live()) > r.ccfg.SuccessorListLen+1 {
				departures++
				n := r.any()
				if err := n.store.Leave(ctx); err != nil {
					t.Logf("step %d: leave %s: %v", step, n.addr, err)
				}
				n.up = false
				if trace != "" {
					t.Logf("step %d: left %s", step, n.addr)
				}
				stats.leaves++
			}
		case op < 97:
			// Partial maintenance: a random node runs one of its rounds.
			n := r.any()
			switch rng.Intn(4) {
			case 0:
				_ = n.node.Stabilize(ctx)
			case 1:
				_ = n.node.FixFingers(ctx)
			case 2:
				_ = n.node.CheckPredecessor(ctx)
			default:
				_ = n.store.Repair(ctx)
			}
		default:
			fullRepair()
		}
	}
	fullRepair()

	// Final state: every read is the last acknowledged write (or an
	// uncertain one), placement is exact, tombstones are collected.
	final := map[string]Version{}
	for _, k := range keyNames {
		res, err := settledGet(ctx, r, k)
		if err != nil {
			t.Fatalf("final get %s: %v", k, err)
		}
		m := model[k]
		if !m.allowed(res.Found, string(res.Value)) {
			t.Fatalf("final get %s = %q found=%v; last acknowledged %q, uncertain %v", k, res.Value, res.Found, m.acked, m.uncertain)
		}
		if len(m.uncertain) == 0 && m.acked != tombValue {
			final[k] = m.ackedVer
		}
	}
	var errs []string
	for round := 0; round < 10; round++ {
		if errs = r.placementErrors(final); len(errs) == 0 {
			break
		}
		r.repairAll()
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		t.Fatalf("placement after the final repair and 10 more rounds:\n%s", joinLines(errs[:min(10, len(errs))]))
	}
	r.clock.Advance(r.cfg.TombstoneTTL)
	r.repairAll()
	for _, n := range r.live() {
		if c := n.store.Counts(); c.Tombstones != 0 {
			t.Errorf("%s still holds %d tombstones after their TTL", n.addr, c.Tombstones)
		}
	}
	for _, k := range keyNames {
		res, err := settledGet(ctx, r, k)
		if err != nil {
			t.Fatalf("get %s after tombstone collection: %v", k, err)
		}
		if m := model[k]; !m.allowed(res.Found, string(res.Value)) {
			t.Fatalf("after tombstone collection get %s = %q found=%v; want %q", k, res.Value, res.Found, m.acked)
		}
	}
	t.Logf("%+v", stats)
}

// ringAddrs lists the live nodes in ring order.
func (r *testRing) ringAddrs() []string {
	var out []string
	for _, n := range r.ringOrder() {
		out = append(out, n.addr)
	}
	return out
}

// dumpKey logs who holds key and the expected holders (debugging aid).
func (r *testRing) dumpKey(key string) {
	r.t.Logf("key %s id %s expected holders %v", key, HashIDForTest(key).Short(testBits), r.expectedHolders(HashIDForTest(key)))
	for a, ki := range r.holdings()[key] {
		r.t.Logf("  %s holds version %v deleted=%v", a, ki.Version, ki.Deleted)
	}
	for _, n := range r.ringOrder() {
		r.t.Logf("  %s %s pred=%s succ=%v", n.addr, n.node.Self().ID.Short(testBits), n.node.Predecessor().Addr, n.node.Successors())
	}
}
