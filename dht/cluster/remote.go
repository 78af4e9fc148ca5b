package cluster

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// Remote members: the nodes of the ring that this cluster did not start
// (a cluster that joined a ring with Config.Join, or one attached to a
// ring with Config.Attach). The cluster learns them through the protocol:
// from the nodes it knows, it follows every successor list, predecessor
// and finger it observes (the observer command, observe.go), every
// MonitorInterval, adding the nodes it finds and dropping the ones that
// stopped answering. The monitor, check and wait judge them with the
// local members as one ring.

// remote is one ring member this cluster did not start.
type remote struct {
	name string
	addr string
	id   chord.ID
	// Guarded by Cluster.mu.
	obs    Observation // its last answer
	seen   time.Time   // when it last answered
	misses int         // refreshes in a row it did not answer
	left   bool        // silent after announcing its departure to a neighbour
	rounds *roundCounts
	keys   *remoteKeys
	// as is the member the judging code sees for it (node and store nil,
	// remote set); made once, so that verdicts keyed by it carry over.
	as *member
}

// silentState is how a member that stopped answering is shown: left if
// it announced its departure to a neighbour, down otherwise.
func (r *remote) silentState() State {
	if r.left {
		return StateLeft
	}
	return StateDown
}

// remoteMisses is how many refreshes in a row a remote member may miss
// before it is dropped (about 5 s at the default pace). From the first
// miss it is shown down and not judged; until it is dropped it stays on
// screen as a crashed local node does.
const remoteMisses = 50

// remoteKeys reads a remote member's keys through its keys command; it
// stands in for a store in the key-placement check.
type remoteKeys struct {
	c    *Cluster
	addr string
	mu   sync.Mutex
	gen  uint64
	last []dht.KeyInfo
}

// Keys returns the member's keys, read again only when its KeysGen moved
// (an unanswered read returns nothing: its keys are not placed).
func (k *remoteKeys) Keys() []dht.KeyInfo {
	k.c.mu.RLock()
	var gen uint64
	for _, r := range k.c.remotes {
		if r.addr == k.addr {
			gen = r.obs.KeysGen
		}
	}
	k.c.mu.RUnlock()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.last != nil && gen == k.gen {
		return k.last
	}
	ctx, cancel := context.WithTimeout(context.Background(), k.c.cfg.OpTimeout)
	defer cancel()
	keys, err := ObserveKeys(ctx, k.c.client.tr, k.addr)
	if err != nil {
		k.last = nil
		return nil
	}
	k.gen, k.last = gen, keys
	return keys
}

// freshKeys reads a remote member's keys now, past the cache.
type freshKeys struct{ k *remoteKeys }

func (f freshKeys) Keys() []dht.KeyInfo {
	ctx, cancel := context.WithTimeout(context.Background(), f.k.c.cfg.OpTimeout)
	defer cancel()
	keys, err := ObserveKeys(ctx, f.k.c.client.tr, f.k.addr)
	if err != nil {
		return nil
	}
	return keys
}

// keySource is where the key-placement check reads a member's keys: its
// store, or a remote member's keys command.
type keySource interface {
	Keys() []dht.KeyInfo
}

// remoteRefreshAtLeast bounds how often the remote members are read.
const remoteRefreshAtLeast = 100 * time.Millisecond

// discover refreshes the remote members until Close: every
// MonitorInterval (at least remoteRefreshAtLeast), and at once when
// something wakes it. It exits when c.stop is closed.
func (c *Cluster) discover() {
	defer c.wg.Done()
	every := max(c.cfg.MonitorInterval, remoteRefreshAtLeast)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		c.refreshRemotes()
		t.Reset(every)
	}
}

// refreshRemotes observes every remote member and every node their
// pointers (and the local members') name that is not local, then records
// the answers: new nodes join the list, nodes that missed remoteMisses
// refreshes in a row leave it.
func (c *Cluster) refreshRemotes() {
	c.mu.RLock()
	local := map[string]bool{}
	want := map[string]bool{}
	var departed []chord.Departure // what the local members heard
	for _, m := range c.members {
		local[m.addr] = true
		if m.node != nil && m.state == StateAlive {
			departed = append(departed, m.node.Departures()...)
			// Predecessor and successors only: a member that joined is in
			// them once the ring is right, and reading every finger of a
			// large ring each refresh would cost more than the rest.
			if p := m.node.Predecessor(); !p.IsZero() {
				want[p.Addr] = true
			}
			for _, r := range m.node.Successors() {
				want[r.Addr] = true
			}
		}
	}
	for _, r := range c.remotes {
		want[r.addr] = true
		for _, a := range pointersOf(r.obs.Node.Chord) {
			want[a] = true
		}
	}
	for _, a := range c.cfg.seeds() {
		want[a] = true
	}
	timeout := c.cfg.Chord.RPCTimeout
	c.mu.RUnlock()
	for a := range local {
		delete(want, a)
	}
	// Observe in rounds: the nodes a round finds are observed in the next
	// (at most a few rounds; a ring's pointers reach every node at once).
	got := map[string]Observation{}
	asked := map[string]bool{}
	for round := 0; round < 4 && len(want) > 0; round++ {
		res := c.observeAll(want, timeout)
		next := map[string]bool{}
		for a := range want {
			asked[a] = true
		}
		for a, o := range res {
			got[a] = o
			for _, p := range pointersOf(o.Node.Chord) {
				if !local[p] && !asked[p] {
					next[p] = true
				}
			}
		}
		want = next
	}
	c.recordRemotes(asked, got, departed)
}

// observeAll observes addrs concurrently (at most observeParallel at
// once), each call bounded by timeout, and returns the answers.
func (c *Cluster) observeAll(addrs map[string]bool, timeout time.Duration) map[string]Observation {
	var mu sync.Mutex
	out := map[string]Observation{}
	sem := make(chan struct{}, observeParallel)
	var wg sync.WaitGroup
	for a := range addrs {
		sem <- struct{}{}
		wg.Add(1)
		go func() { // exits when its call returns (bounded by timeout)
			defer func() { <-sem; wg.Done() }()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			o, err := Observe(ctx, c.client.tr, a)
			if err != nil || o.Node.Addr != a {
				return
			}
			mu.Lock()
			out[a] = o
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// observeParallel bounds the observer calls a refresh has in flight.
const observeParallel = 16

// pointersOf lists the addresses st points at: predecessor, successors
// and fingers.
func pointersOf(st chord.Status) []string {
	var out []string
	add := func(r chord.NodeRef) {
		if !r.IsZero() {
			out = append(out, r.Addr)
		}
	}
	add(st.Predecessor)
	for _, r := range st.Successors {
		add(r)
	}
	for _, r := range st.Fingers {
		add(r)
	}
	return out
}

// recordRemotes records one refresh: answers in got, and every address
// asked that did not answer counts a miss.
func (c *Cluster) recordRemotes(asked map[string]bool, got map[string]Observation, departed []chord.Departure) {
	now := time.Now()
	// When each member that announced its departure did so, by the
	// neighbours that heard it, local and remote.
	leftAt := map[string]time.Time{}
	note := func(ds []chord.Departure) {
		for _, d := range ds {
			if at := now.Add(-d.Ago); at.After(leftAt[d.Addr]) {
				leftAt[d.Addr] = at
			}
		}
	}
	note(departed)
	for _, o := range got {
		note(o.Departed)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	byAddr := map[string]*remote{}
	for _, r := range c.remotes {
		byAddr[r.addr] = r
	}
	var added, dropped, silent, left, lateLeft, back []string
	timeout := c.cfg.Chord.RPCTimeout
	keep := c.remotes[:0]
	for _, r := range c.remotes {
		if o, ok := got[r.addr]; ok {
			if r.misses > 0 {
				back = append(back, r.name)
			}
			r.update(o, now)
		} else if asked[r.addr] {
			r.misses++
			// A departure heard after its last answer (give or take a
			// refresh: it may have left while one was under way).
			wasLeft := r.left
			if at, ok := leftAt[r.addr]; ok && at.After(r.seen.Add(-2*timeout)) {
				r.left = true
			}
			switch {
			case r.misses == 1 && r.left:
				left = append(left, r.name)
			case r.misses == 1:
				silent = append(silent, r.name)
			case r.left && !wasLeft:
				lateLeft = append(lateLeft, r.name) // heard of after it went silent
			}
			r.as.state = r.silentState()
		}
		if r.misses >= remoteMisses {
			dropped = append(dropped, r.name)
			continue
		}
		keep = append(keep, r)
	}
	c.remotes = keep
	for a, o := range got {
		if byAddr[a] != nil {
			continue
		}
		r := &remote{addr: a, id: o.Node.ID, name: c.remoteNameLocked(o.Node.Name, a)}
		r.keys = &remoteKeys{c: c, addr: a}
		r.as = &member{name: r.name, addr: a, id: r.id, state: StateAlive, remote: r}
		r.update(o, now)
		c.remotes = append(c.remotes, r)
		added = append(added, r.name)
	}
	sort.Slice(c.remotes, func(i, j int) bool { return c.remotes[i].id.Cmp(c.remotes[j].id) < 0 })
	if slices.Contains(dropped, c.origin) && len(c.members) == 0 {
		// An attached cluster's origin was forgotten: the first live
		// member is the origin now, as operations already used it.
		c.origin = ""
		for _, r := range c.remotes {
			if r.misses == 0 && r.obs.Node.State == StateAlive {
				c.origin = r.name
				break
			}
		}
	}
	if len(added) > 0 || len(dropped) > 0 {
		c.remoteGen++
		c.log.Info("remote members", "added", added, "dropped", dropped, "remote", len(c.remotes))
	}
	if len(dropped) > 0 {
		c.mu.Unlock()
		c.faultEvent(strings.Join(dropped, ", ") + fmt.Sprintf(" forgotten: no answer for %d refreshes (remote)", remoteMisses))
		c.mu.Lock()
	}
	if len(lateLeft) > 0 {
		// Not a change of the live membership: its silence was one.
		c.mu.Unlock()
		c.faultEvent(strings.Join(lateLeft, ", ") + " had left the ring (remote)")
		c.mu.Lock()
	}
	if len(added) == 0 && len(silent) == 0 && len(left) == 0 && len(back) == 0 {
		c.mu.Unlock()
		return
	}
	// A change of the live membership is a disturbance like a fault:
	// stability is judged afresh from when the refresh saw it.
	var parts []string
	for _, p := range []struct {
		names []string
		what  string
	}{{added, " seen in the ring"}, {silent, " stopped answering"}, {left, " left the ring"}, {back, " answering again"}} {
		if len(p.names) > 0 {
			parts = append(parts, strings.Join(p.names, ", ")+p.what+" (remote)")
		}
	}
	what := strings.Join(parts, "; ")
	if c.busy == "" {
		c.judgeAfresh(what, now)
	}
	c.mu.Unlock()
	c.faultEvent(what)
	c.wakeMonitor()
}

// yieldNameLocked renames a remote member named name, which a local
// member now takes, to name@addr, so that no two members share a name (a
// refresh may name remote members before this cluster's own exist).
// Caller holds mu.
func (c *Cluster) yieldNameLocked(name string) {
	for _, r := range c.remotes {
		if r.name == name {
			r.name = name + "@" + r.addr
			r.as.name = r.name
			r.obs.Node.Name = r.name
			c.remoteGen++
		}
	}
}

// remoteNameLocked is the name a remote member is shown by: its own, or
// name@addr when a member already has that name. Caller holds mu.
func (c *Cluster) remoteNameLocked(name, addr string) string {
	taken := name == ""
	for _, m := range c.members {
		taken = taken || m.name == name
	}
	for _, r := range c.remotes {
		taken = taken || r.name == name
	}
	if taken {
		return name + "@" + addr
	}
	return name
}

// update records an answer: the state it reports, its rounds mirrored
// into a roundCounts the monitor's confirmation reads.
func (r *remote) update(o Observation, now time.Time) {
	o.Node.Name = r.name
	r.obs, r.seen, r.misses, r.left = o, now, 0, false
	if r.rounds == nil || len(r.rounds.names) != len(o.RoundNames) || roundsWentBack(r.rounds, o.RoundsStarted) {
		r.rounds = &roundCounts{names: o.RoundNames, started: make([]atomic.Uint64, len(o.RoundNames)), done: make([]atomic.Uint64, len(o.RoundNames))}
	}
	for i := range o.RoundNames {
		if i < len(o.RoundsStarted) && i < len(o.RoundsDone) {
			r.rounds.started[i].Store(o.RoundsStarted[i])
			r.rounds.done[i].Store(o.RoundsDone[i])
		}
	}
	r.as.state = o.Node.State
	r.as.rounds = r.rounds
}

// roundsWentBack reports a restarted node (its counters began again).
func roundsWentBack(rc *roundCounts, started []uint64) bool {
	for i := range rc.started {
		if i < len(started) && started[i] < rc.started[i].Load() {
			return true
		}
	}
	return false
}

// liveRemotesLocked returns the members the judging code sees for the
// remote members that answered the last refresh as alive. Caller holds mu.
func (c *Cluster) liveRemotesLocked() []*member {
	var out []*member
	for _, r := range c.remotes {
		if r.misses == 0 && r.obs.Node.State == StateAlive && r.obs.Node.Chord.Joined {
			out = append(out, r.as)
		}
	}
	return out
}

// status is m's routing state: its node's, or a remote member's last
// observed one. Read-only: its fingers may be the node's own
// (chord.Node.StatusView).
func (m *member) status() chord.Status {
	if m.remote != nil {
		return m.remote.obs.Node.Chord
	}
	return m.node.StatusView()
}

// keySource returns where m's keys are read.
func (m *member) keySource() keySource {
	if m.remote != nil {
		return m.remote.keys
	}
	return m.store
}

// keysGen and ready are those of m's store or of its last observation.
func (m *member) keysGen() uint64 {
	if m.remote != nil {
		return m.remote.obs.KeysGen
	}
	return m.store.KeysGen()
}

func (m *member) ready() bool {
	if m.remote != nil {
		return m.remote.obs.Ready
	}
	return m.store.Ready()
}

// remoteSnapshotsLocked are the remote members as NodeSnapshots. Caller
// holds mu.
func (c *Cluster) remoteSnapshotsLocked() []NodeSnapshot {
	out := make([]NodeSnapshot, 0, len(c.remotes))
	for _, r := range c.remotes {
		ns := r.obs.Node
		if r.misses > 0 {
			ns.State = r.silentState() // not answering now
		}
		ns.Remote = true
		ns.Side = c.sideOfLocked(r.as) // this cluster's partition, not the member's own view
		out = append(out, ns)
	}
	return out
}

// Remotes is how many remote members the cluster knows now.
func (c *Cluster) Remotes() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.remotes)
}
