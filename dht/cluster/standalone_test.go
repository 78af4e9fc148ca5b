package cluster

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// startStandalones starts n standalone nodes on loopback, the first
// creating the ring and the others joining through it.
func startStandalones(t *testing.T, n int, admin bool) []*Standalone {
	t.Helper()
	var out []*Standalone
	for i := range n {
		cfg := DefaultStandaloneConfig()
		cfg.Admin = admin
		if i > 0 {
			cfg.Join = out[0].Addr()
		}
		s, err := StartStandalone(context.Background(), cfg)
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

// awaitIdeal polls every node's observer command until their states form
// the ideal ring, or fails after the deadline.
func awaitIdeal(t *testing.T, obs *Standalone, addrs []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var sts []chord.Status
		for _, a := range addrs {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			o, err := Observe(ctx, obs.tr, a)
			cancel()
			if err == nil {
				sts = append(sts, o.Node.Chord)
			}
		}
		vs := chord.CheckIdeal(sts, false)
		if len(sts) == len(addrs) && len(vs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ideal ring of %d nodes (%d answered): %v", len(addrs), len(sts), vs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStandaloneRingObserveAdmin(t *testing.T) {
	ns := startStandalones(t, 4, true)
	var addrs []string
	for _, s := range ns {
		addrs = append(addrs, s.Addr())
	}
	awaitIdeal(t, ns[0], addrs)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	o, err := Observe(ctx, ns[0].tr, ns[2].Addr())
	if err != nil {
		t.Fatal(err)
	}
	if o.Node.Name != ns[2].Name() || o.Node.Addr != ns[2].Addr() || !o.Admin || o.Node.State != StateAlive {
		t.Fatalf("observation of %s: %+v", ns[2].Name(), o.Node)
	}
	// Paused, the node answers no protocol call, but the observer and
	// admin commands still.
	if err := Admin(ctx, ns[0].tr, ns[3].Addr(), AdminRequest{Op: AdminPause}); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = remoteStore{tr: ns[0].tr, addr: ns[3].Addr()}.Get(short, "k")
	cancelShort()
	if !errors.Is(err, chord.ErrNodeDown) {
		t.Fatalf("a get through a paused node: %v, want ErrNodeDown", err)
	}
	if o, err := Observe(ctx, ns[0].tr, ns[3].Addr()); err != nil || o.Node.State != StatePaused {
		t.Fatalf("observe a paused node: %v, state %q, want paused", err, o.Node.State)
	}
	if err := Admin(ctx, ns[0].tr, ns[3].Addr(), AdminRequest{Op: AdminResume}); err != nil {
		t.Fatal(err)
	}
	if _, err := Observe(ctx, ns[0].tr, ns[3].Addr()); err != nil {
		t.Fatalf("observe after resume: %v", err)
	}
	if err := Admin(ctx, ns[0].tr, ns[3].Addr(), AdminRequest{Op: AdminDrop, Percent: 120}); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("drop 120%%: %v, want ErrBadArgument", err)
	}
	// A graceful leave: the others form the ring of 3.
	if err := ns[1].Leave(ctx); err != nil {
		t.Fatal(err)
	}
	awaitIdeal(t, ns[0], []string{addrs[0], addrs[2], addrs[3]})
	// An admin kill: the node is gone at once.
	if err := Admin(ctx, ns[0].tr, ns[3].Addr(), AdminRequest{Op: AdminKill}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ns[3].Done():
	case <-ctx.Done():
		t.Fatal("admin kill: the node still runs")
	}
	awaitIdeal(t, ns[0], []string{addrs[0], addrs[2]})
}

func TestStandaloneRefusesAdmin(t *testing.T) {
	ns := startStandalones(t, 2, false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := Admin(ctx, ns[0].tr, ns[1].Addr(), AdminRequest{Op: AdminKill})
	if !errors.Is(err, ErrAdminRefused) {
		t.Fatalf("admin kill without --admin: %v, want ErrAdminRefused", err)
	}
	want := ns[1].Name() + " does not allow admin operations: start it with --admin"
	if err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	select {
	case <-ns[1].Done():
		t.Fatal("a refused kill stopped the node")
	default:
	}
}

// A cluster lists and judges the standalone nodes that joined its ring,
// and an attached cluster (no node of its own) sees the same ring, reads
// and writes through a remote member, and is refused faults on nodes that
// do not allow them.
func TestRemoteMembersAndAttach(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes = 4
	c := startWith(t, cfg)
	addr := c.Nodes().Nodes[0].Addr
	var joined []*Standalone
	for range 2 {
		sc := DefaultStandaloneConfig()
		sc.Join = addr
		s, err := StartStandalone(context.Background(), sc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		joined = append(joined, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	awaitRows(t, c, 6)
	if _, err := c.Wait(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if cr := c.Check(); len(cr.Violations) != 0 || cr.Live != 6 {
		t.Fatalf("check over the local and remote members: %+v", cr)
	}

	acfg := DefaultConfig()
	acfg.Nodes, acfg.Attach = 0, addr
	a := startWith(t, acfg)
	awaitRows(t, a, 6)
	if _, err := a.Wait(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	via := joined[0].Name()
	if _, err := a.Set(ctx, "k", "v", via); err != nil {
		t.Fatalf("set via remote %s: %v", via, err)
	}
	g, err := c.Get(ctx, "k", "")
	if err != nil || !g.Found || g.Value != "v" {
		t.Fatalf("the local cluster reads what the attached one wrote: %+v, %v", g, err)
	}
	if d, err := a.Node(via); err != nil || d.Routing == nil || len(d.Routing.Successors) == 0 || d.State != StateAlive {
		t.Fatalf("node %s through the attached cluster: %+v, %v", via, d, err)
	}
	held := 0
	for _, r := range a.Nodes().Nodes {
		kl, err := a.Keys(r.Name)
		if err != nil {
			t.Fatal(err)
		}
		held += len(kl.Keys)
	}
	if held != cfg.DHT.Replicas {
		t.Fatalf("the attached cluster lists %d copies of k, want %d", held, cfg.DHT.Replicas)
	}
	// stats lists the members started elsewhere, as they report themselves.
	if st := a.Stats(); len(st.Nodes) != 6 || st.Calls == 0 || st.Served == 0 {
		t.Fatalf("stats through the attached cluster: %d members, %d calls, %d served; want 6 and some calls", len(st.Nodes), st.Calls, st.Served)
	}
	if err := a.Kill(via); !errors.Is(err, ErrAdminRefused) {
		t.Fatalf("kill %s (no admin): %v, want ErrAdminRefused", via, err)
	}
	if err := a.Leave(ctx, via); !errors.Is(err, ErrNodeState) {
		t.Fatalf("leave %s (remote): %v, want ErrNodeState", via, err)
	}
	// A partition that a remote member refuses says so; one that no member
	// would apply is refused.
	if pr, err := c.Partition([]string{via}); err != nil || !slices.Contains(pr.NotApplied, via) || slices.Contains(pr.NotApplied, "n0") {
		t.Fatalf("partition %s (no admin there): %+v, %v; want it named as not applied, and n0 not", via, pr, err)
	}
	for _, r := range c.Nodes().Nodes { // remote members have a side too
		if want := map[bool]string{true: SideB, false: SideA}[r.Name == via]; r.Side != want {
			t.Errorf("under the partition %s is on side %q, want %q", r.Name, r.Side, want)
		}
	}
	c.Heal()
	if pr, err := a.Partition([]string{via}); !errors.Is(err, ErrAdminRefused) {
		t.Fatalf("partition through an attached cluster of members without admin: %+v, %v; want ErrAdminRefused", pr, err)
	}
	// An attached cluster starts no node: add and the file system say so
	// (an added node used to form a ring of its own beside this one).
	if rep, err := a.AddNodes(ctx, 1); !errors.Is(err, ErrNodeState) || len(rep.Nodes) != 0 || !strings.Contains(err.Error(), "starts no node") {
		t.Fatalf("add on an attached cluster: %+v, %v; want ErrNodeState", rep, err)
	}
	if _, err := a.ListFiles(ctx, "/"); !errors.Is(err, ErrNodeState) || !strings.Contains(err.Error(), "attached") {
		t.Fatalf("ls on an attached cluster: %v, want ErrNodeState saying why", err)
	}
	// Nor does it run maintenance: step and config refuse (they acted on
	// no node and said they had).
	if _, err := a.Step(ctx, "", ""); !errors.Is(err, ErrNodeState) {
		t.Fatalf("step on an attached cluster: %v, want ErrNodeState", err)
	}
	if _, err := a.SetTunable("stabilize", "5s"); !errors.Is(err, ErrNodeState) {
		t.Fatalf("config stabilize on an attached cluster: %v, want ErrNodeState", err)
	}
	if err := c.RunsNodes("maintenance"); err != nil {
		t.Fatalf("a cluster that runs nodes: %v", err)
	}
	// A remote member that leaves is shown left (its neighbours heard it
	// go), not down, and the rest judged stable.
	gone := joined[1].Name()
	if _, err := a.SetOrigin(gone); err != nil {
		t.Fatal(err)
	}
	if err := joined[1].Leave(ctx); err != nil {
		t.Fatal(err)
	}
	awaitState(t, a, gone, StateLeft)
	if _, err := a.Wait(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if cr := a.Check(); len(cr.Violations) != 0 || cr.Live != 5 {
		t.Fatalf("check after a remote leave: %+v", cr)
	}
	// Once it is forgotten, the origin is a live member again.
	deadline := time.Now().Add(20 * time.Second)
	for a.Origin() == gone {
		if time.Now().After(deadline) {
			t.Fatalf("%s forgotten? the attached cluster's origin is still %s", gone, a.Origin())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d, err := a.Node(a.Origin()); err != nil || d.State != StateAlive {
		t.Fatalf("origin %s after %s was forgotten: %+v, %v", a.Origin(), gone, d, err)
	}
	// A remote member that crashes is shown down.
	joined[0].Kill()
	awaitState(t, a, via, StateDown)
}

// awaitState polls c's nodes until the one named is listed in state
// want, or fails.
func awaitState(t *testing.T, c *Cluster, name string, want State) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, r := range c.Nodes().Nodes {
			if r.Name != name {
				continue
			}
			if r.State == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not listed %s: %+v", name, want, c.Nodes().Nodes)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// awaitRows polls c's nodes until n are listed alive, or fails.
func awaitRows(t *testing.T, c *Cluster, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		live := 0
		for _, r := range c.Nodes().Nodes {
			if r.State == StateAlive {
				live++
			}
		}
		if live == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d members alive: %+v", live, n, c.Nodes().Nodes)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A cluster joined to another ring (Config.Join) whose own nodes are all
// down adds a node by joining that ring through a remote member, not by
// starting a new ring beside it.
func TestJoinedClusterAddsThroughRemotes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes = 4
	c := startWith(t, cfg)
	jcfg := DefaultConfig()
	jcfg.Nodes, jcfg.Join = 1, c.Nodes().Nodes[0].Addr
	j := startWith(t, jcfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	awaitRows(t, j, 5)
	// Its own n0 keeps its name; the other ring's n0 is told apart (the
	// remote members were named before this cluster's own existed).
	names := map[string]bool{}
	for _, r := range j.Nodes().Nodes {
		if names[r.Name] || r.Name == "n0" && r.Remote {
			t.Fatalf("the joined cluster lists two members named %s, or a remote n0: %+v", r.Name, j.Nodes().Nodes)
		}
		names[r.Name] = true
	}
	must(t, "kill", j.Kill("n0"))
	awaitRows(t, j, 4)
	rep, err := j.AddNodes(ctx, 1)
	if err != nil || rep.NewRing != "" || rep.KeysLost {
		t.Fatalf("add with only remote members live: %+v, %v; want a join, not a new ring", rep, err)
	}
	awaitRows(t, c, 5)
	if _, err := c.Wait(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if cr := c.Check(); len(cr.Violations) != 0 || cr.Live != 5 {
		t.Fatalf("check after the add: %+v", cr)
	}
	// Its last local node leaves into the remote ring: its keys are handed on.
	if err := j.Leave(ctx, rep.Nodes[0]); err != nil {
		t.Fatalf("leave of the last local node, with remote members live: %v", err)
	}
}

// An attached program pauses a member of a cluster that allows admin
// operations, and resumes it: a paused member still answers them.
func TestAttachedPausesAndResumesAMember(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Admin = 4, true
	c := startWith(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	acfg := DefaultConfig()
	acfg.Nodes, acfg.Attach = 0, c.Nodes().Nodes[0].Addr
	a := startWith(t, acfg)
	awaitRows(t, a, 4)
	must(t, "pause n2 through the attached program", a.Pause("n2"))
	if st := c.Nodes().Nodes[2].State; st != StatePaused {
		t.Fatalf("n2 is %s after an attached pause", st)
	}
	must(t, "resume n2 through the attached program", a.Resume("n2"))
	if st := c.Nodes().Nodes[2].State; st != StateAlive {
		t.Fatalf("n2 is %s after an attached resume", st)
	}
	if _, err := a.Wait(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
}

// The last member of a ring that leaves says its keys are gone; one that
// leaves a member behind hands them on.
func TestStandaloneLastLeaveLosesKeys(t *testing.T) {
	ns := startStandalones(t, 2, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	awaitIdeal(t, ns[0], []string{ns[0].Addr(), ns[1].Addr()})
	acfg := DefaultConfig()
	acfg.Nodes, acfg.Attach = 0, ns[0].Addr()
	a := startWith(t, acfg)
	awaitRows(t, a, 2)
	for _, k := range []string{"a", "b", "c"} {
		if _, err := a.Set(ctx, k, "v", ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := ns[1].Leave(ctx); err != nil {
		t.Fatalf("leave with a member left behind: %v", err)
	}
	awaitIdeal(t, ns[0], []string{ns[0].Addr()})
	err := ns[0].Leave(ctx)
	if !errors.Is(err, ErrNoLiveNode) || !strings.Contains(err.Error(), "no node took its 3 keys") {
		t.Fatalf("leave of the last member: %v, want ErrNoLiveNode saying its 3 keys are gone", err)
	}
}

// A cluster that joins a small ring (6-bit identifiers) re-hashes an
// identifier that a member it had not found yet holds, as a chordtui
// node does, instead of failing the join.
func TestJoinedClusterRehashesTakenIDs(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Chord.Bits = 10, 6
	c := startWith(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	jcfg := DefaultConfig()
	jcfg.Nodes, jcfg.Join, jcfg.Chord.Bits = 20, c.Nodes().Nodes[0].Addr, 6
	j, err := Start(ctx, jcfg)
	if err != nil {
		t.Fatalf("20 nodes joining a 6-bit ring of 10: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	awaitRows(t, c, 30)
	if _, err := c.Wait(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if cr := c.Check(); len(cr.Violations) != 0 || cr.Live != 30 {
		t.Fatalf("check of the joined ring: %+v", cr)
	}
}

// startWith starts a cluster of cfg and closes it when the test ends.
func startWith(t *testing.T, cfg Config) *Cluster {
	t.Helper()
	c, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rechooseIDLocked gives a node whose identifier a join found taken a free
// one, and with nodes named by identifier its name follows; an identifier
// given in Config.IDs is not changed.
func TestRechooseID(t *testing.T) {
	cfg := memConfig(3)
	cfg.Chord.Bits, cfg.Names = 8, NamesID
	c := startCluster(t, cfg)
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.members[1]
	old := m.id
	if !c.rechooseIDLocked(m) {
		t.Fatal("no new identifier")
	}
	for _, o := range c.members {
		if o != m && o.id == m.id {
			t.Fatalf("new identifier %s is %s's", m.id.Label(8), o.name)
		}
	}
	if m.id == old || !c.idsTaken[old] || m.name != idName(m.id) {
		t.Fatalf("after a re-choice: id %s (was %s), taken %v, name %s", m.id.Label(8), old.Label(8), c.idsTaken, m.name)
	}
	c.cfg.IDs = []chord.ID{m.id}
	if c.rechooseIDLocked(m) {
		t.Fatal("an identifier given in Config.IDs was changed")
	}
}

// A ring of virtual nodes cannot be attached to or joined from another
// program: observing a node's address, as chordtui does before it joins
// or attaches, says why instead of "names no identity" alone.
func TestObserveVirtualNodesSaysWhy(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.VNodes = 2, 2
	c := startWith(t, cfg)
	host := HostOf(c.Nodes().Nodes[0].Addr)
	cl, err := NewClient("127.0.0.1", DefaultConfig().Net)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = cl.Observe(ctx, host)
	if err == nil || !strings.Contains(err.Error(), "runs virtual nodes (--vnodes), and another program cannot join or attach to such a ring") {
		t.Fatalf("observe a host of virtual nodes: %v", err)
	}
}
