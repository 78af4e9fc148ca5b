package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// vnodeConfig is memConfig with v identities on each of n real nodes.
func vnodeConfig(n, v int) Config {
	cfg := memConfig(n)
	cfg.VNodes = v
	cfg = withPace(cfg, n*v)
	return cfg
}

// withPace paces maintenance for a ring of ids identities, as the
// command line does.
func withPace(cfg Config, ids int) Config {
	p := ConfigFor(ids)
	cfg.Chord.StabilizeInterval, cfg.Chord.FixFingersInterval = p.Chord.StabilizeInterval, p.Chord.FixFingersInterval
	cfg.Chord.CheckPredecessorInterval, cfg.DHT.RepairInterval = p.Chord.CheckPredecessorInterval, p.DHT.RepairInterval
	return cfg
}

// copiesByHost checks every key's copies: exactly want of them, on as
// many distinct real nodes, at one version. It returns the problems.
func copiesByHost(c *Cluster, keys []string, want int) []string {
	type copyAt struct{ host, node, version string }
	held := map[string][]copyAt{}
	for _, n := range c.LiveNodes() {
		for _, k := range n.Store.Keys() {
			if !k.Deleted {
				held[k.Key] = append(held[k.Key], copyAt{n.Host, n.Name, k.Version.String()})
			}
		}
	}
	var bad []string
	for _, k := range keys {
		hs := held[k]
		hosts := map[string]bool{}
		for _, h := range hs {
			hosts[h.host] = true
		}
		if len(hs) != want || len(hosts) != want || hs[0].version != hs[len(hs)-1].version {
			bad = append(bad, fmt.Sprintf("%s: copies %v", k, hs))
		}
	}
	return bad
}

// setKeys writes n keys named prefix0… (value "v" and the key) and
// returns their names.
func setKeys(t *testing.T, c *Cluster, prefix string, n int) []string {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%d", prefix, i)
		if _, err := c.Set(context.Background(), keys[i], "v"+keys[i], ""); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// awaitCopiesByHost waits until every key has 3 copies on distinct real
// nodes (copiesByHost). A write leaves a spare copy for a while (dht:
// dropped 4 RPC timeouts after it is no longer needed).
func awaitCopiesByHost(t *testing.T, c *Cluster, keys []string, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for bad := copiesByHost(c, keys, 3); len(bad) > 0; bad = copiesByHost(c, keys, 3) {
		if time.Now().After(deadline) {
			t.Fatalf("%s, %d keys not on 3 distinct real nodes, e.g. %s", what, len(bad), bad[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestVNodesReplicasOnDistinctHosts writes keys to a ring of 8 real
// nodes with 4 identities each: every key has exactly r copies, each on
// a real node of its own, also after a real node crashes (taking its 4
// identities at once) and the ring repairs itself; every key still reads.
func TestVNodesReplicasOnDistinctHosts(t *testing.T) {
	c := startCluster(t, vnodeConfig(8, 4))
	waitStable(t, c)
	ctx := context.Background()
	keys := setKeys(t, c, "vk", 150)
	settled := func(what string) { t.Helper(); awaitCopiesByHost(t, c, keys, what) }
	settled("after the writes")
	for _, crash := range []string{"n3", "n6"} {
		if err := c.Kill(crash); err != nil {
			t.Fatal(err)
		}
		waitStable(t, c)
		settled("after kill " + crash)
		for _, k := range keys {
			r, err := c.Get(ctx, k, "")
			if err != nil || !r.Found || r.Value != "v"+k {
				t.Fatalf("after kill %s: get %s = %q, %v", crash, k, r.Value, err)
			}
		}
	}
}

// TestVNodesFaultsActOnHosts checks the API over real nodes: nodes lists
// real nodes, node lists a real node's identities, a fault names a real
// node and acts on all its identities, and an identity is refused.
func TestVNodesFaultsActOnHosts(t *testing.T) {
	c := startCluster(t, vnodeConfig(6, 3))
	waitStable(t, c)
	v := c.Nodes()
	if len(v.Nodes) != 6 || v.Nodes[2].Name != "n2" || v.Nodes[2].Identities != 3 {
		t.Fatalf("nodes: %+v, want 6 real nodes of 3 identities", v.Nodes)
	}
	d, err := c.Node("n2")
	if err != nil || len(d.Identities) != 3 || d.Identities[1].Name != "n2.1" {
		t.Fatalf("node n2: %+v, %v", d, err)
	}
	if _, err := c.Node("n2.1"); err != nil {
		t.Errorf("node n2.1 (an identity): %v", err)
	}
	if err := c.Kill("n2.1"); !errors.Is(err, ErrBadArgument) || !strings.Contains(err.Error(), "kill n2") {
		t.Errorf("kill n2.1: %v, want a bad argument naming kill n2", err)
	}
	if err := c.Kill("n9"); !errors.Is(err, ErrUnknownNode) || !strings.Contains(err.Error(), "nodes are n0…n5") {
		t.Errorf("kill n9: %v", err)
	}
	must(t, "pause n4", c.Pause("n4"))
	for _, n := range c.Snapshot().Nodes {
		if want := n.Host == "n4"; (n.State == StatePaused) != want {
			t.Errorf("after pause n4, %s (on %s) is %s", n.Name, n.Host, n.State)
		}
	}
	must(t, "resume n4", c.Resume("n4"))
	must(t, "kill n1", c.Kill("n1"))
	waitStable(t, c)
	if got := len(c.LiveNodes()); got != 15 {
		t.Errorf("%d live identities after kill n1, want 15", got)
	}
	if _, err := c.ReviveNode(context.Background(), "n1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Partition([]string{"n0", "n5"}); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Snapshot().Nodes {
		if want := n.Host == "n0" || n.Host == "n5"; (n.Side == SideB) != want {
			t.Errorf("partition n0 n5: %s (on %s) is on side %s", n.Name, n.Host, n.Side)
		}
	}
	c.Heal()
	waitStable(t, c)
	if r, err := c.Get(context.Background(), "x", "n3"); err != nil || r.Via != "n3.0" {
		t.Errorf("get via n3 (a real node): via %q, %v; want its first identity, n3.0", r.Via, err)
	}
}

// A ring of more identities than one walk along the ring used to yield
// (64) forms: with 17 identities on each of 4 real nodes a successor list
// holds 68 identities, the whole ring, which starts in one piece, and
// each identity takes over its keys by walking round it.
func TestVNodesMoreIdentitiesThanAWalk(t *testing.T) {
	c := startCluster(t, vnodeConfig(4, 17))
	waitStable(t, c)
	awaitCopiesByHost(t, c, setKeys(t, c, "wk", 40), "after the writes")
}
