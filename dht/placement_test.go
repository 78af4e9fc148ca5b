package dht

import (
	"context"
	"fmt"
	"testing"
)

// setKeys writes n keys through random nodes and returns the acknowledged
// versions and values.
func setKeys(t *testing.T, r *testRing, n int, prefix string) (map[string]Version, map[string]string) {
	t.Helper()
	return setKeysCopies(t, r, n, prefix, r.cfg.Replicas)
}

func setKeysCopies(t *testing.T, r *testRing, n int, prefix string, copies int) (map[string]Version, map[string]string) {
	t.Helper()
	ctx := context.Background()
	vers, vals := map[string]Version{}, map[string]string{}
	for i := 0; i < n; i++ {
		k, v := fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("value %d of %s", i, prefix)
		res, err := r.any().store.Set(ctx, k, []byte(v))
		if err != nil {
			t.Fatalf("set %s: %v", k, err)
		}
		if res.Copies != copies {
			t.Fatalf("set %s acknowledged with %d copies, want %d", k, res.Copies, copies)
		}
		vers[k], vals[k] = versionOf(res), v
	}
	return vers, vals
}

// checkGets reads every key through a random node and compares.
func checkGets(t *testing.T, r *testRing, vals map[string]string) {
	t.Helper()
	ctx := context.Background()
	bad := 0
	for k, v := range vals {
		via := r.any()
		res, err := via.store.Get(ctx, k)
		switch {
		case err != nil:
			t.Errorf("get %s via %s: %v", k, via.addr, err)
		case !res.Found || string(res.Value) != v:
			t.Errorf("get %s via %s = %q found=%v, want %q", k, via.addr, short(string(res.Value)), res.Found, short(v))
		default:
			continue
		}
		if bad++; bad == 10 {
			t.Fatal("too many bad reads")
		}
	}
}

func TestPlacementExactlyRCopies(t *testing.T) {
	for _, tc := range []struct {
		nodes, keys, replicas int
	}{
		{16, 1000, 3},
		{16, 200, 1},
		{5, 200, 5},
		{2, 50, 3}, // r capped by the ring size
	} {
		t.Run(fmt.Sprintf("%d nodes r=%d", tc.nodes, tc.replicas), func(t *testing.T) {
			r := newTestRingCfg(t, tc.nodes, 1, func(c *Config) { c.Replicas = tc.replicas })
			vers, vals := setKeysCopies(t, r, tc.keys, "k", min(tc.replicas, tc.nodes))
			if errs := r.placementErrors(vers); len(errs) > 0 {
				t.Fatalf("right after the writes (no repair yet):\n%s", joinLines(errs[:min(10, len(errs))]))
			}
			r.quiesce(vers)
			checkGets(t, r, vals)
			var owned, replicas int
			for _, n := range r.live() {
				c := n.store.Counts()
				owned += c.Owned
				replicas += c.Replicas
			}
			if owned != tc.keys || replicas != tc.keys*(min(tc.replicas, tc.nodes)-1) {
				t.Errorf("counts: %d owned, %d replicas; want %d and %d", owned, replicas, tc.keys, tc.keys*(min(tc.replicas, tc.nodes)-1))
			}
		})
	}
}

// short cuts long values for error messages.
func short(v string) string {
	if len(v) > 40 {
		return fmt.Sprintf("%s… (%d bytes)", v[:40], len(v))
	}
	return v
}
