package cluster

import (
	"context"
	"errors"
	"testing"
)

// TestSwitches: config cache and config adaptive reach every running node,
// a get from a cache says so, and a value other than on or off is refused
// and changes nothing.
func TestSwitches(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, memConfig(5))
	wait(t, c)
	if _, err := c.Set(ctx, "k", "v", "n1"); err != nil {
		t.Fatal(err)
	}
	get := func() GetResult {
		t.Helper()
		g, err := c.Get(ctx, "k", "n2")
		if err != nil || g.Value != "v" {
			t.Fatalf("get: %+v, %v", g, err)
		}
		return g
	}
	for range 2 {
		if get().Cached {
			t.Fatal("a get was cached with the cache off")
		}
	}
	if tu, err := c.SetTunable("cache", "on"); err != nil || tu.Value != "on" {
		t.Fatalf("config cache on: %+v, %v", tu, err)
	}
	get()
	if g := get(); !g.Cached || g.Via != "n2" {
		t.Fatalf("second get with the cache on: %+v, want cached at n2", g)
	}
	if _, err := c.SetTunable("adaptive", "maybe"); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("config adaptive maybe: %v, want ErrBadArgument", err)
	}
	if _, err := c.SetTunable("adaptive", "on"); err != nil {
		t.Fatal(err)
	}
	c.mu.RLock()
	for _, m := range c.members {
		if m.node != nil && (!m.node.Adaptive() || !m.store.CacheOn()) {
			t.Errorf("%s: adaptive %v, cache %v after config on", m.name, m.node.Adaptive(), m.store.CacheOn())
		}
	}
	c.mu.RUnlock()
	for _, tu := range c.Tunables() {
		if (tu.Name == "adaptive" || tu.Name == "cache") && tu.Value != "on" {
			t.Errorf("tunable %s = %s, want on", tu.Name, tu.Value)
		}
	}
	if _, err := c.SetTunable("cache", "off"); err != nil {
		t.Fatal(err)
	}
	if get().Cached {
		t.Fatal("a get was cached after config cache off")
	}
}
