package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// Step mode: maintenance paused, one task run at a time on one node or on
// every live node, each round reported with what it did in words (a
// caption) and every pointer and key it changed, so that a class can follow
// the protocol one round at a time (docs/lecture.md).

// The tasks Step runs, in the order a node's driver runs them.
const (
	TaskStabilize        = chord.TaskStabilize
	TaskFixFingers       = chord.TaskFixFingers
	TaskCheckPredecessor = chord.TaskCheckPredecessor
	TaskRepair           = "repair"
	// TaskAll runs a round of every task, in order.
	TaskAll = "all"
)

// driverTask is each task's name in a node's driver (tasks, roundCounts).
var driverTask = map[string]string{
	TaskStabilize:        "stabilize",
	TaskFixFingers:       "fix_fingers",
	TaskCheckPredecessor: "check_predecessor",
	TaskRepair:           "dht repair",
}

// StepTasks lists the tasks, in the order a round of every task runs them.
func StepTasks() []string {
	return []string{TaskStabilize, TaskFixFingers, TaskCheckPredecessor, TaskRepair}
}

// ParseTask reads a task name as the step command takes it: stabilize,
// fix_fingers (fix-fingers, fingers), check_predecessor (check_pred,
// check-pred), repair, or all. notify and rectify name stabilize: a
// notification rides on stabilize's call to the successor, which rectifies
// its predecessor before it answers. ok is false for anything else.
func ParseTask(s string) (task string, ok bool) {
	switch strings.ReplaceAll(strings.ToLower(s), "-", "_") {
	case "stabilize", "notify", "rectify":
		return TaskStabilize, true
	case "fix_fingers", "fingers":
		return TaskFixFingers, true
	case "check_predecessor", "check_pred":
		return TaskCheckPredecessor, true
	case "repair", "dht_repair":
		return TaskRepair, true
	case "all":
		return TaskAll, true
	}
	return "", false
}

// PointerKind names a routing pointer of a node.
type PointerKind string

// The pointers of a node.
const (
	PointerPredecessor PointerKind = "predecessor"
	// PointerSuccessor is successor-list entry Index (0: the successor).
	PointerSuccessor PointerKind = "successor"
	// PointerFinger is finger Index (1..m, the paper's k).
	PointerFinger PointerKind = "finger"
)

// PointerChange is one routing pointer that a step changed.
type PointerChange struct {
	// Node is the node whose pointer changed.
	Node Peer `json:"node"`
	// Kind and Index say which pointer: the predecessor, successor-list
	// entry Index (0 is the successor), or finger Index (1..m).
	Kind  PointerKind `json:"kind"`
	Index int         `json:"index"`
	// Old and New are the pointer before and after (zero: nil, or no
	// entry at that position of the successor list).
	Old Peer `json:"old"`
	New Peer `json:"new"`
}

// Pointer names the pointer as the paper writes it: "predecessor",
// "successor", "succList[2]", "finger[3]".
func (p PointerChange) Pointer() string {
	switch {
	case p.Kind == PointerSuccessor && p.Index == 0:
		return "successor"
	case p.Kind == PointerSuccessor:
		return fmt.Sprintf("succList[%d]", p.Index)
	case p.Kind == PointerFinger:
		return fmt.Sprintf("finger[%d]", p.Index)
	}
	return string(p.Kind)
}

// String is "N8.successor: N14 → N21".
func (p PointerChange) String() string {
	return fmt.Sprintf("%s.%s: %s → %s", p.Node, p.Pointer(), p.Old, p.New)
}

// MarshalJSON adds pointer.
func (p PointerChange) MarshalJSON() ([]byte, error) {
	type plain PointerChange
	return marshalWith(plain(p), "pointer", p.Pointer())
}

// KeyChange is one copy of a key that a repair round stored or removed.
type KeyChange struct {
	// Node is the node whose store changed.
	Node Peer   `json:"node"`
	Key  string `json:"key"`
	ID   RingID `json:"id"`
	// Change is "stored" (a copy the node did not hold), "removed" or
	// "updated" (a newer version, or a deletion).
	Change string `json:"change"`
}

// String is the change in words: `N14 stored "frog" (id 54)`.
func (k KeyChange) String() string {
	return k.Node.String() + " " + k.Change + " " + QuoteKey(k.Key) + " (id " + k.ID.Label() + ")"
}

// StepCall is one call a stepped round made, with node names.
type StepCall struct {
	// Role says why the call was made: successor, fallback, closer,
	// probe, probe found, predecessor or verify (chord.CallRole).
	Role chord.CallRole `json:"role"`
	// Index is the successor-list position called (role successor) or
	// the finger checked (role verify).
	Index int  `json:"index"`
	To    Peer `json:"to"`
	// Notify: the call notified To, which rectified its predecessor.
	Notify bool `json:"notify,omitempty"`
	// Answered, and then To's predecessor and successor list as it
	// answered (Found: the owner a probe's ring named).
	Answered bool   `json:"answered"`
	Pred     Peer   `json:"pred"`
	Succ     []Peer `json:"succ,omitempty"`
	Found    Peer   `json:"found"`
	// Err says why it failed; Timeout that it timed out. A failed
	// neighbour is Dropped, or kept as a suspect after TimeoutsInRow.
	Err           string `json:"error,omitempty"`
	Timeout       bool   `json:"timeout,omitempty"`
	Dropped       bool   `json:"dropped,omitempty"`
	TimeoutsInRow int    `json:"timeouts_in_row,omitempty"`
}

// StepRound is one round a step ran: one task on one node.
type StepRound struct {
	Task string `json:"task"`
	Node Peer   `json:"node"`
	// Caption says what the round did, in plain words naming nodes.
	Caption string `json:"caption"`
	// Calls lists the round's calls in order (a fix_fingers lookup's are
	// in Lookup).
	Calls []StepCall `json:"calls,omitempty"`
	// Changes lists every pointer the round changed, at this node and at
	// the nodes it notified; Keys every key copy a repair stored or
	// removed.
	Changes []PointerChange `json:"changes"`
	Keys    []KeyChange     `json:"keys,omitempty"`
	// Finger is, for fix_fingers, the finger refreshed (1..m) and
	// FingerLast the last one set with it; Lookup the lookup of its start
	// when one was needed.
	Finger     int           `json:"finger,omitempty"`
	FingerLast int           `json:"finger_last,omitempty"`
	Lookup     *LookupResult `json:"lookup,omitempty"`
	// Spares is, for a repair round, how many copies the node holds that
	// it no longer needs, kept until they have been spare for 4 RPC
	// timeouts; SpareKey names one, and SparesDropIn is how long until
	// the first may be dropped.
	Spares       int           `json:"spares,omitempty"`
	SpareKey     string        `json:"spare_key,omitempty"`
	SparesDropIn time.Duration `json:"spares_drop_in_ns,omitempty"`
	// Err is the round's error, if it failed.
	Err string `json:"error,omitempty"`
}

// Changed reports whether the round changed a pointer or a key.
func (r StepRound) Changed() bool { return len(r.Changes) > 0 || len(r.Keys) > 0 }

// StepReport is what Step did.
type StepReport struct {
	// Task is the task stepped (TaskAll: every task); Node the node, ""
	// for every live node.
	Task string `json:"task"`
	Node string `json:"node,omitempty"`
	// PausedNow: maintenance was running, and Step paused it first.
	PausedNow bool `json:"paused_now,omitempty"`
	// Rounds lists the rounds run, in order; Changes all their pointer
	// changes and Keys all their key changes, in order.
	Rounds  []StepRound     `json:"rounds"`
	Changes []PointerChange `json:"changes"`
	Keys    []KeyChange     `json:"keys,omitempty"`
	// Steps counts the steps since the last fault took effect (or
	// stability was lost), this one included.
	Steps int `json:"steps"`
	// Health is the verdict after the step.
	Health Health `json:"health"`
}

// Step runs one round of task (StepTasks, or TaskAll for a round of each)
// on node, or on every live node in name order when node is "", and
// reports each round: its calls, a caption, and every pointer and key it
// changed. Maintenance must be paused for the report to show only what the
// step did; if it is running, Step pauses it first (PausedNow says so). The
// stable condition is evaluated before and after, as StepMaintenance does,
// and the step is counted: while maintenance stays paused, convergence is
// measured in steps (Health.ConvergedSteps).
func (c *Cluster) Step(ctx context.Context, task, node string) (StepReport, error) {
	t, ok := ParseTask(task)
	if task == "" {
		t, ok = TaskAll, true
	}
	if !ok {
		return StepReport{}, errorf(ErrBadArgument, "step: unknown task %s — tasks are %s, or all", QuoteKey(task), strings.Join(StepTasks(), ", "))
	}
	if err := c.RunsNodes("step"); err != nil {
		return StepReport{}, err
	}
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return StepReport{}, errorf(ErrClosed, "step: the cluster is closed")
	}
	var targets []*member
	if node != "" {
		m, err := c.resolveLocked("step", node)
		if err != nil {
			c.mu.Unlock()
			return StepReport{}, err
		}
		if m.state != StateAlive || m.node == nil {
			c.mu.Unlock()
			return StepReport{}, errorf(ErrNodeState, "step: %s — only a live node runs maintenance", stateText(m.name, m.state))
		}
		targets = []*member{m}
	} else if targets = c.liveLocked(); len(targets) == 0 {
		c.mu.Unlock()
		return StepReport{}, errorf(ErrNoLiveNode, "step: no live node — revive NODE or add starts a new ring")
	}
	rep := StepReport{Task: t, PausedNow: !c.maintPaused}
	if node != "" {
		rep.Node = targets[0].name
	}
	drvs := c.pauseMaintenanceLocked()
	c.mu.Unlock()
	pauseAll(drvs)

	tasks := []string{t}
	if t == TaskAll {
		tasks = StepTasks()
	}
	c.evaluate() // before the step is counted: what held already took no step
	c.mu.Lock()
	c.steps++
	c.mu.Unlock()
	for _, m := range targets {
		for _, task := range tasks {
			if ctx.Err() != nil {
				break
			}
			r := c.stepRound(ctx, m, task)
			rep.Rounds = append(rep.Rounds, r)
			rep.Changes = append(rep.Changes, r.Changes...)
			rep.Keys = append(rep.Keys, r.Keys...)
		}
	}
	c.evaluate()
	c.mu.RLock()
	rep.Steps = int(c.steps - c.disturbedStepsLocked())
	rep.Health = c.healthLocked(c.judgeLocked(nil))
	c.mu.RUnlock()
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("step: %w", err)
	}
	return rep, nil
}

// pauseMaintenanceLocked marks maintenance paused and returns every
// driver, which the caller pauses (pauseAll) once it has released mu: a
// driver's Pause waits for a round under way, and a round may need mu
// (onMerge). Caller holds opMu and mu.
func (c *Cluster) pauseMaintenanceLocked() []*chord.Driver {
	if !c.maintPaused {
		c.pausedAt = time.Now()
	}
	c.maintPaused = true
	var drvs []*chord.Driver
	for _, m := range c.members {
		if m.drv != nil {
			drvs = append(drvs, m.drv)
		}
	}
	return drvs
}

// pauseAll pauses drvs, each cancelling and waiting for its round under way.
func pauseAll(drvs []*chord.Driver) {
	for _, d := range drvs {
		d.Pause()
	}
}

// pointerState is what a round can change at one node: its predecessor,
// successor list and fingers.
type pointerState struct {
	pred    chord.NodeRef
	succ    []chord.NodeRef
	fingers []chord.NodeRef
}

// keySet is one store's keys, by name.
type keySet map[string]dht.KeyInfo

// stepRound runs one round of task on m through its driver (never
// overlapping one of its own rounds), counts it as the driver's, and
// reports it. Caller holds opMu.
func (c *Cluster) stepRound(ctx context.Context, m *member, task string) StepRound {
	type liveNode struct {
		m     *member
		node  *chord.Node
		store *dht.Store
	}
	c.mu.RLock()
	node, store, drv, rounds := m.node, m.store, m.drv, m.rounds
	var live []liveNode
	for _, o := range c.liveLocked() {
		live = append(live, liveNode{o, o.node, o.store})
	}
	c.mu.RUnlock()
	if node == nil || drv == nil {
		return StepRound{Task: task, Node: c.ref(chord.NodeRef{ID: m.id, Addr: m.addr}), Err: m.name + " is not running"}
	}
	// Before: this node's pointers; every live node's predecessor (a
	// notified node rectifies it); every store's keys (repair).
	self := node.Status()
	preds := make([]chord.NodeRef, len(live))
	keys := make([]keySet, len(live))
	for i, o := range live {
		switch task {
		case TaskStabilize:
			preds[i] = o.node.Predecessor()
		case TaskRepair:
			keys[i] = keysOf(o.store)
		}
	}
	var cr chord.RoundReport
	var err error
	drv.Do(ctx, func(ctx context.Context) {
		rounds.count(ctx, driverTask[task], func(ctx context.Context) {
			if task == TaskRepair {
				err = store.Repair(ctx)
				return
			}
			cr, err = node.RoundReporter(task)(ctx)
		})
	})
	after := node.Status()

	c.mu.RLock()
	defer c.mu.RUnlock()
	r := StepRound{Task: task, Node: c.peerLocked(m)}
	if err != nil {
		r.Err = c.replacerLocked().Replace(err.Error())
	}
	r.Changes = c.pointerChangesLocked(m, pointerState{self.Predecessor, self.Successors, self.Fingers},
		pointerState{after.Predecessor, after.Successors, after.Fingers})
	for i, o := range live {
		switch {
		case task == TaskStabilize && o.m != m:
			if p := o.node.Predecessor(); p != preds[i] {
				r.Changes = append(r.Changes, PointerChange{Node: c.peerLocked(o.m), Kind: PointerPredecessor,
					Old: c.refLocked(preds[i]), New: c.refLocked(p)})
			}
		case task == TaskRepair:
			r.Keys = append(r.Keys, c.keyChangesLocked(o.m, keys[i], keysOf(o.store))...)
		}
	}
	if task == TaskRepair {
		r.Spares, r.SpareKey, r.SparesDropIn = store.Spares()
	}
	for _, call := range cr.Calls {
		r.Calls = append(r.Calls, c.stepCallLocked(call))
	}
	if task == TaskFixFingers && cr.Finger > 0 {
		r.Finger, r.FingerLast = cr.Finger, cr.LastSet
		if cr.Lookup != nil {
			lr := c.lookupResultLocked("", RingID{ID: cr.Start, Bits: c.cfg.Chord.Bits}, m.name, *cr.Lookup)
			r.Lookup = &lr
		}
	}
	r.Caption = c.captionLocked(r, cr, self, after)
	return r
}

// keysOf reads a store's keys by name.
func keysOf(s *dht.Store) keySet {
	ks := s.Keys()
	out := make(keySet, len(ks))
	for _, k := range ks {
		out[k.Key] = k
	}
	return out
}

// pointerChangesLocked lists the differences between two pointer states of
// m. Caller holds mu.
func (c *Cluster) pointerChangesLocked(m *member, before, after pointerState) []PointerChange {
	var out []PointerChange
	at := c.peerLocked(m)
	if before.pred != after.pred {
		out = append(out, PointerChange{Node: at, Kind: PointerPredecessor, Old: c.refLocked(before.pred), New: c.refLocked(after.pred)})
	}
	for i := range max(len(before.succ), len(after.succ)) {
		var o, n chord.NodeRef
		if i < len(before.succ) {
			o = before.succ[i]
		}
		if i < len(after.succ) {
			n = after.succ[i]
		}
		if o != n {
			out = append(out, PointerChange{Node: at, Kind: PointerSuccessor, Index: i, Old: c.refLocked(o), New: c.refLocked(n)})
		}
	}
	for i := range min(len(before.fingers), len(after.fingers)) {
		if before.fingers[i] != after.fingers[i] {
			out = append(out, PointerChange{Node: at, Kind: PointerFinger, Index: i + 1,
				Old: c.refLocked(before.fingers[i]), New: c.refLocked(after.fingers[i])})
		}
	}
	return out
}

// keyChangesLocked lists the key copies of m stored, removed or updated
// between two reads of its store. Caller holds mu.
func (c *Cluster) keyChangesLocked(m *member, before, after keySet) []KeyChange {
	var out []KeyChange
	at := c.peerLocked(m)
	bits := c.cfg.Chord.Bits
	add := func(k dht.KeyInfo, change string) {
		out = append(out, KeyChange{Node: at, Key: k.Key, ID: RingID{ID: k.ID, Bits: bits}, Change: change})
	}
	for name, k := range after {
		o, ok := before[name]
		switch {
		case !ok:
			add(k, "stored")
		case o.Version != k.Version || o.Deleted != k.Deleted:
			add(k, "updated")
		}
	}
	for name, k := range before {
		if _, ok := after[name]; !ok {
			add(k, "removed")
		}
	}
	slices.SortFunc(out, func(a, b KeyChange) int {
		if d := a.ID.ID.Cmp(b.ID.ID); d != 0 {
			return d
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// stepCallLocked names the nodes of one call. Caller holds mu.
func (c *Cluster) stepCallLocked(call chord.RoundCall) StepCall {
	out := StepCall{Role: call.Role, Index: call.Index, To: c.refLocked(call.Peer), Notify: call.Notify,
		Answered: call.Answered(), Pred: c.refLocked(call.Pred), Found: c.refLocked(call.Found),
		Err: c.replacerLocked().Replace(call.Err), Timeout: call.Timeout, Dropped: call.Dropped, TimeoutsInRow: call.TimeoutsInRow}
	for _, s := range call.Succ {
		out.Succ = append(out.Succ, c.refLocked(s))
	}
	return out
}

// count runs round as one round of the driver task named, counted as the
// driver counts its own (see counted).
func (rc *roundCounts) count(ctx context.Context, name string, round func(context.Context)) {
	i := slices.Index(rc.names, name)
	if i < 0 {
		round(ctx)
		return
	}
	n := rc.started[i].Add(1)
	round(ctx)
	if ctx.Err() == nil {
		rc.done[i].Store(n)
	}
}

// disturbedStepsLocked is the step count when the last fault took effect,
// or when stability was lost since without one. Caller holds mu.
func (c *Cluster) disturbedStepsLocked() uint64 {
	if !c.lostAt.IsZero() {
		return c.stepsAtLost
	}
	return c.stepsAtFault
}

// pausedThroughLocked reports whether maintenance has been paused since
// before the last disturbance, so that only steps moved the ring on.
// Caller holds mu.
func (c *Cluster) pausedThroughLocked() bool {
	return c.maintPaused && !c.pausedAt.After(c.disturbedAtLocked())
}
