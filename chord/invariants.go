package chord

import (
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strings"
)

// Names of the invariants reported in Violation.Invariant. The first eight
// are Zave's ("Reasoning about identifier spaces: How to make Chord correct",
// TSE 2017, and the Alloy model of the correct protocol that goes with
// it; docs/chord.md): they must hold in every reachable
// state of the corrected protocol. The Ideal… names are the quiescent-ring
// checks of CheckIdeal, which only hold once maintenance has caught up.
const (
	InvOneLiveSuccessor      = "OneLiveSuccessor"
	InvAtLeastOneRing        = "AtLeastOneRing"
	InvAtMostOneRing         = "AtMostOneRing"
	InvOrderedRing           = "OrderedRing"
	InvConnectedAppendages   = "ConnectedAppendages"
	InvOrderedSuccessorLists = "OrderedSuccessorLists"
	InvNoDuplicates          = "NoDuplicates"
	InvSufficientPrincipals  = "SufficientPrincipals"

	IdealRing          = "IdealRing"
	IdealSuccessor     = "IdealSuccessor"
	IdealPredecessor   = "IdealPredecessor"
	IdealSuccessorList = "IdealSuccessorList"
	IdealFinger        = "IdealFinger"
)

// CheckInvariants checks Zave's invariants 1–8 (docs/chord.md) over
// the statuses of the live nodes and returns every violation found, in the
// order of the invariants and, within one invariant, in ring order. An empty
// result means the snapshot satisfies all eight.
//
// Who counts:
//   - The members are the statuses with Joined set. A node that has not
//     joined yet, or has left, is not checked, and pointers to it count as
//     pointers to a dead node: it is not (or no longer) part of the network.
//   - A pointer is live when a member with that address and identifier is in
//     sts. Any other pointer (crashed node, left node, stale identifier) is
//     dead. Two statuses with the same address: the first one is used.
//   - bestSucc(n) is the first live entry of n's successor list. Ring members
//     are the members that reach themselves by following bestSucc; the other
//     members hang off the ring in appendages.
//
// The invariants, as implemented:
//  1. OneLiveSuccessor: every member has a live entry in its successor list.
//  2. AtLeastOneRing: some member is a ring member (checked when there is at
//     least one member; an empty snapshot has nothing to check).
//  3. AtMostOneRing: all ring members are on one cycle of bestSucc.
//  4. OrderedRing: if n2 = bestSucc(n1) ≠ n1, no ring member lies strictly
//     between n1 and n2. A ring that wraps around the identifier space twice
//     breaks this at every member.
//  5. ConnectedAppendages: every member that is not a ring member reaches the
//     ring by following bestSucc.
//  6. OrderedSuccessorLists: each successor list is in ring order from its
//     owner (dead entries included). Only the list up to the first entry that
//     names the owner or repeats an earlier entry is checked: in a ring of at
//     most r nodes the list legitimately wraps around; beyond r nodes such
//     an entry is a NoDuplicates violation.
//  7. NoDuplicates: when there are more than r members, no list names its
//     owner or the same node twice.
//  8. SufficientPrincipals: at least r+1 members are principals, i.e. are
//     not skipped by any adjacent pair of any member's extended successor
//     list (owner followed by its list, dead entries included). This also
//     fails for a network of r or fewer members: Zave shows such a ring is
//     not guaranteed to survive failures, and chordtui shows that truthfully.
//
// r is the largest Status.R among the members. The cost is O(N·r·log N).
//
// Messages name a node by its short identifier and address, "3fa2c1
// (127.0.0.1:4001)", add ", dead" for a pointer to a node that is not a
// live member, and print successor lists by short identifier with dead
// entries marked †. The statuses should be one consistent snapshot: taken
// one node at a time while rounds run, a pointer can be newer than the
// status of the node it names, and the checker then reports what that mixed
// picture shows.
func CheckInvariants(sts []Status) []Violation { return CheckInvariantsNamed(sts, Naming{}) }

// Naming says how the checker's messages name nodes and identifiers. The
// zero Naming names a node by its short identifier and address, "3fa2c1
// (127.0.0.1:4001)" in a sentence and "3fa2c1" in a list or a path, and
// writes an identifier as ID.Label does (short hex digits; decimal for m ≤
// DecimalBits).
type Naming struct {
	// Node, when set, names a node everywhere, e.g. "N8"; a dead one is
	// then "N8 (dead)" in a sentence and "N8†" in a list.
	Node func(NodeRef) string
	// ID, when set, writes every identifier instead of ID.Label (a
	// finger's start, and a node's when Node is not set).
	ID func(ID) string
}

// CheckInvariantsNamed is CheckInvariants with messages that name nodes
// and identifiers as nm says.
func CheckInvariantsNamed(sts []Status, nm Naming) []Violation {
	v := newRingView(sts)
	v.nm = nm
	if len(v.nodes) == 0 {
		return nil
	}
	var out []Violation
	add := func(inv string, n NodeRef, involved []NodeRef, format string, args ...any) {
		out = append(out, Violation{Invariant: inv, Node: n, Nodes: involved, Message: fmt.Sprintf(format, args...)})
	}

	// 1. OneLiveSuccessor.
	for i := range v.nodes {
		if v.best[i] >= 0 {
			continue
		}
		st := &v.nodes[i]
		switch len(st.Successors) {
		case 0:
			add(InvOneLiveSuccessor, st.Self, refs(st.Self), "%s has an empty successor list, so it has no live successor", v.name(st.Self))
		case 1:
			add(InvOneLiveSuccessor, st.Self, refs(st.Self, st.Successors[0]), "%s's only successor, %s, is dead, so %s has no live successor",
				v.name(st.Self), v.plain(st.Successors[0]), v.plain(st.Self))
		default:
			add(InvOneLiveSuccessor, st.Self, refs(st.Self, st.Successors...), "every entry of %s's successor list %s is dead, so it has no live successor",
				v.name(st.Self), v.list(st.Successors))
		}
	}

	// 2. AtLeastOneRing.
	if len(v.cycles) == 0 {
		add(InvAtLeastOneRing, NodeRef{}, nil, "no node reaches itself by following successors: there is no ring at all among the %d live nodes", len(v.nodes))
	}

	// 3. AtMostOneRing.
	if len(v.cycles) > 1 {
		parts := make([]string, len(v.cycles))
		var involved []NodeRef
		for c, cyc := range v.cycles {
			parts[c] = v.cycleText(cyc)
			for _, i := range cyc {
				involved = append(involved, v.nodes[i].Self)
			}
		}
		add(InvAtMostOneRing, NodeRef{}, involved, "there are %d separate rings: %s; a node on one of them can never reach the others by following successors", len(v.cycles), strings.Join(parts, " and "))
	}

	// 4. OrderedRing.
	if len(v.ringOrder) > 1 {
		pos := make([]int, len(v.nodes)) // node index → position in ringOrder
		for p, i := range v.ringOrder {
			pos[i] = p
		}
		for _, i := range v.ringOrder {
			b := v.best[i]
			if b == i {
				continue // a one-node cycle skips nobody; AtMostOneRing reports it if it is not alone
			}
			next := v.ringOrder[(pos[i]+1)%len(v.ringOrder)]
			if next == b {
				continue
			}
			add(InvOrderedRing, v.nodes[i].Self, refs(v.nodes[i].Self, v.nodes[b].Self, v.nodes[next].Self), "%s's successor on the ring is %s, but ring member %s lies between them, so the ring skips it (the ring is out of order%s)",
				v.name(v.nodes[i].Self), v.name(v.nodes[b].Self), v.name(v.nodes[next].Self), v.loopHint())
		}
	}

	// 5. ConnectedAppendages.
	for i := range v.nodes {
		if v.onRing[i] || v.reaches[i] {
			continue
		}
		if v.best[i] < 0 {
			add(InvConnectedAppendages, v.nodes[i].Self, refs(v.nodes[i].Self), "%s is not on the ring and cannot reach it, since it has no live successor", v.name(v.nodes[i].Self))
			continue
		}
		end := i
		path := []string{v.brief(v.nodes[i].Self)}
		involved := refs(v.nodes[i].Self)
		for steps := 0; v.best[end] >= 0 && steps < len(v.nodes); steps++ {
			end = v.best[end]
			path = append(path, v.brief(v.nodes[end].Self))
			involved = append(involved, v.nodes[end].Self)
		}
		add(InvConnectedAppendages, v.nodes[i].Self, involved, "%s is not on the ring and never reaches it: following successors %s ends at %s, which has no live successor",
			v.name(v.nodes[i].Self), strings.Join(path, " → "), v.name(v.nodes[end].Self))
	}

	// 6. OrderedSuccessorLists.
	for i := range v.nodes {
		st := &v.nodes[i]
		if msg := v.orderProblem(st); msg != "" {
			add(InvOrderedSuccessorLists, st.Self, refs(st.Self, st.Successors...), "%s", msg)
		}
	}

	// 7. NoDuplicates.
	if len(v.nodes) > v.r {
		for i := range v.nodes {
			st := &v.nodes[i]
			for k, e := range st.Successors {
				if e.Addr != st.Self.Addr && !slices.ContainsFunc(st.Successors[:k], func(p NodeRef) bool { return p.Addr == e.Addr }) {
					continue
				}
				what := "names " + v.name(e) + " twice"
				if e.Addr == st.Self.Addr {
					what = "names its owner"
				}
				add(InvNoDuplicates, st.Self, refs(st.Self, e), "%s's successor list %s %s, although the network has %d members, more than r = %d", v.name(st.Self), v.list(st.Successors), what, len(v.nodes), v.r)
				break
			}
		}
	}

	// 8. SufficientPrincipals.
	if p := v.principals(); len(p) < v.r+1 {
		names := make([]string, len(p))
		involved := make([]NodeRef, len(p))
		for k, i := range p {
			names[k] = v.brief(v.nodes[i].Self)
			involved[k] = v.nodes[i].Self
		}
		who := "none"
		if len(names) > 0 {
			who = strings.Join(names, ", ")
		}
		reason := fmt.Sprintf("only %d of the %d live nodes are principals (not skipped by any node's successor list): %s", len(p), len(v.nodes), who)
		if len(v.nodes) < v.r+1 {
			reason = fmt.Sprintf("the network has only %d live members", len(v.nodes))
		}
		add(InvSufficientPrincipals, NodeRef{}, involved, "%s; Zave's proof needs at least r+1 = %d principals, otherwise failures allowed by the rules can split or break the ring", reason, v.r+1)
	}
	return out
}

// CheckIdeal checks the quiescent "ideal ring": every live node is a ring
// member, succ(a) = b exactly when pred(b) = a (checked as: each successor
// and predecessor is the true neighbour in identifier order), succList[i] is
// the (i+1)-th live successor, and (if fingers) every finger is the true
// successor of its start. Members are counted as in CheckInvariants; CheckIdeal
// does not repeat CheckInvariants' checks.
//
// Successor-list length: with N members and N-1 ≥ r the list must be exactly
// the next r members. In a smaller ring the list must start with the N-1
// other members in ring order and may stop there or keep walking around the
// ring (the owner, then the others again) up to r entries; a one-node ring
// must list itself at least once. Fingers wrong at one node are reported as
// one violation naming how many are wrong and the first one.
//
// The cost is O(N·(r + m·log N)), fine for the UI at 256 nodes and tests at
// thousands.
func CheckIdeal(sts []Status, fingers bool) []Violation {
	return CheckIdealNamed(sts, fingers, Naming{})
}

// CheckIdealNamed is CheckIdeal with messages that name nodes and
// identifiers as nm says.
func CheckIdealNamed(sts []Status, fingers bool, nm Naming) []Violation {
	v := newRingView(sts)
	v.nm = nm
	n := len(v.nodes)
	if n == 0 {
		return nil
	}
	var out []Violation
	add := func(inv string, ref NodeRef, involved []NodeRef, format string, args ...any) {
		out = append(out, Violation{Invariant: inv, Node: ref, Nodes: involved, Message: fmt.Sprintf(format, args...)})
	}
	for i := range v.nodes {
		if !v.onRing[i] {
			add(IdealRing, v.nodes[i].Self, refs(v.nodes[i].Self), "%s is not a ring member: following successors from it never comes back to it", v.name(v.nodes[i].Self))
		}
	}
	for i := range v.nodes {
		st := &v.nodes[i]
		succ := v.nodes[(i+1)%n].Self
		pred := v.nodes[(i+n-1)%n].Self
		if got := st.Successor(); got != succ {
			add(IdealSuccessor, st.Self, refs(st.Self, got, succ), "%s's successor is %s but the next live node after it is %s", v.name(st.Self), v.nameOrNil(got), v.name(succ))
		}
		if st.Predecessor != pred {
			add(IdealPredecessor, st.Self, refs(st.Self, st.Predecessor, pred), "%s's predecessor is %s but the live node just before it is %s", v.name(st.Self), v.nameOrNil(st.Predecessor), v.name(pred))
		}
		if !v.idealList(i) {
			want := v.r
			if n-1 < want {
				want = max(1, n-1)
			}
			exp := make([]NodeRef, want)
			for k := range exp {
				exp[k] = v.nodes[(i+1+k)%n].Self
			}
			add(IdealSuccessorList, st.Self, refs(st.Self, exp...), "%s's successor list is %s but the live nodes after it are %s", v.name(st.Self), v.list(st.Successors), v.list(exp))
		}
	}
	if fingers {
		for i := range v.nodes {
			st := &v.nodes[i]
			if len(st.Fingers) != v.bits {
				add(IdealFinger, st.Self, refs(st.Self), "%s has %d fingers but the ring has m = %d bits, so it needs %d", v.name(st.Self), len(st.Fingers), v.bits, v.bits)
				continue
			}
			wrong, first := 0, ""
			var involved []NodeRef
			// Every start closer than the next node is owned by it: only
			// the starts at distance 2^k ≥ gap need a search.
			next := v.nodes[(i+1)%n].Self
			near := bitLen(Distance(v.bits, st.Self.ID, next.ID))
			for k, f := range st.Fingers {
				want := next
				if k >= near {
					want = v.nodes[v.successorIndex(st.Self.ID.AddPow2(v.bits, k))].Self
				}
				if f.Addr == want.Addr && f.ID == want.ID {
					continue
				}
				start := st.Self.ID.AddPow2(v.bits, k)
				if wrong == 0 {
					first = fmt.Sprintf("finger[%d] (start %s) is %s but the first live node at or after %s is %s",
						k+1, v.id(start), v.nameOrNil(f), v.id(start), v.name(want))
					involved = refs(st.Self, f, want)
				}
				wrong++
			}
			if wrong > 0 {
				add(IdealFinger, st.Self, involved, "%s has %d of %d fingers wrong; %s", v.name(st.Self), wrong, v.bits, first)
			}
		}
	}
	return out
}

// RingMembers returns the members (Joined statuses) that reach themselves by
// following bestSucc, in identifier order. With more than one ring (an
// AtMostOneRing violation) it returns the members of all of them.
func RingMembers(sts []Status) []NodeRef {
	v := newRingView(sts)
	out := make([]NodeRef, 0, len(v.ringOrder))
	for _, i := range v.ringOrder {
		out = append(out, v.nodes[i].Self)
	}
	return out
}

// Principals returns, in identifier order, the members that no member's
// extended successor list skips (Zave's principal nodes, invariant 8). The
// corrected protocol keeps the ring only while at least r+1 remain: a
// principal must not fail when there are r+1 or fewer of them.
func Principals(sts []Status) []NodeRef {
	v := newRingView(sts)
	p := v.principals()
	out := make([]NodeRef, len(p))
	for k, i := range p {
		out[k] = v.nodes[i].Self
	}
	return out
}

// ringView is one snapshot prepared for checking: the members sorted by
// identifier, each one's bestSucc, and the cycles of bestSucc.
type ringView struct {
	nm      Naming
	bits, r int
	nodes   []Status       // members, sorted by (ID, Addr)
	byAddr  map[string]int // address → index in nodes
	best    []int          // index of bestSucc, or -1 when no entry is live
	onRing  []bool         // node lies on a cycle of bestSucc
	reaches []bool         // node reaches a cycle (true for ring members too)
	cycles  [][]int        // each cycle, starting at its smallest index
	// ringOrder lists all ring members (of every cycle) in identifier order.
	ringOrder []int
}

func newRingView(sts []Status) *ringView {
	v := &ringView{byAddr: make(map[string]int, len(sts))}
	seen := make(map[string]bool, len(sts))
	for _, st := range sts {
		if !st.Joined || st.Self.IsZero() || seen[st.Self.Addr] {
			continue
		}
		seen[st.Self.Addr] = true
		v.nodes = append(v.nodes, st)
		if st.R > v.r {
			v.r = st.R
		}
		if v.bits == 0 {
			v.bits = st.Bits
		}
	}
	if v.bits <= 0 {
		v.bits = MaxBits
	}
	if v.r < 1 {
		v.r = 1
	}
	sort.Slice(v.nodes, func(a, b int) bool {
		if c := v.nodes[a].Self.ID.Cmp(v.nodes[b].Self.ID); c != 0 {
			return c < 0
		}
		return v.nodes[a].Self.Addr < v.nodes[b].Self.Addr
	})
	for i := range v.nodes {
		v.byAddr[v.nodes[i].Self.Addr] = i
	}
	n := len(v.nodes)
	v.best = make([]int, n)
	for i := range v.nodes {
		v.best[i] = -1
		for _, e := range v.nodes[i].Successors {
			if j, ok := v.index(e); ok {
				v.best[i] = j
				break
			}
		}
	}
	v.findCycles()
	return v
}

// index returns the member a pointer refers to, if it is live.
func (v *ringView) index(r NodeRef) (int, bool) {
	if r.IsZero() {
		return 0, false
	}
	i, ok := v.byAddr[r.Addr]
	if !ok || v.nodes[i].Self.ID != r.ID {
		return 0, false
	}
	return i, true
}

// findCycles marks the cycles of the functional graph bestSucc and which
// nodes reach one, in O(N).
func (v *ringView) findCycles() {
	n := len(v.nodes)
	v.onRing = make([]bool, n)
	v.reaches = make([]bool, n)
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, n)
	var path []int
	for s := 0; s < n; s++ {
		if state[s] != unseen {
			continue
		}
		path = path[:0]
		x := s
		for x >= 0 && state[x] == unseen {
			state[x] = onPath
			path = append(path, x)
			x = v.best[x]
		}
		reached := false
		switch {
		case x < 0:
			reached = false
		case state[x] == onPath: // closed a new cycle at x
			k := len(path) - 1
			for path[k] != x {
				k--
			}
			cyc := append([]int(nil), path[k:]...)
			for _, c := range cyc {
				v.onRing[c] = true
			}
			v.cycles = append(v.cycles, cyc)
			reached = true
		default: // ran into a node finished earlier
			reached = v.reaches[x]
		}
		for _, p := range path {
			state[p] = done
			v.reaches[p] = reached
		}
	}
	for i := 0; i < n; i++ {
		if v.onRing[i] {
			v.ringOrder = append(v.ringOrder, i)
		}
	}
}

// loopHint adds an explanation when a single cycle wraps around the
// identifier space more than once.
func (v *ringView) loopHint() string {
	if len(v.cycles) != 1 {
		return ""
	}
	cyc := v.cycles[0]
	if len(cyc) < 2 {
		return ""
	}
	turns := 0
	for k, i := range cyc {
		j := cyc[(k+1)%len(cyc)]
		if j <= i { // indices are in identifier order: a step backwards crosses zero
			turns++
		}
	}
	if turns > 1 {
		return fmt.Sprintf(": following successors goes %d times around the identifier circle before coming back", turns)
	}
	return ""
}

// orderProblem explains why st's successor list is not in ring order, or
// returns "".
func (v *ringView) orderProblem(st *Status) string {
	self := st.Self.ID
	var prev ID
	var prevRef NodeRef
	for k, e := range st.Successors {
		if e.IsZero() {
			return fmt.Sprintf("%s's successor list %s has an empty entry at position %d", v.name(st.Self), v.list(st.Successors), k)
		}
		if e.Addr == st.Self.Addr || e.ID == self || slices.ContainsFunc(st.Successors[:k], func(p NodeRef) bool { return p.Addr == e.Addr }) {
			break // the list wraps around here (see CheckInvariants)
		}
		d := Distance(v.bits, self, e.ID)
		if k > 0 && d.Cmp(prev) <= 0 {
			return fmt.Sprintf("%s's successor list %s is out of ring order: %s comes after %s, but going round the ring from %s you meet %s first",
				v.name(st.Self), v.list(st.Successors), v.brief(e), v.brief(prevRef), v.brief(st.Self), v.brief(e))
		}
		prev, prevRef = d, e
	}
	return ""
}

// principals returns the indices of the principal members in identifier
// order: those not strictly inside any adjacent pair (x, y) of any member's
// extended successor list [owner, s0, s1, …].
func (v *ringView) principals() []int {
	n := len(v.nodes)
	if n == 0 {
		return nil
	}
	diff := make([]int, n+1)   // diff[i] += 1 marks nodes from i on as skipped
	mark := func(lo, hi int) { // mark indices [lo, hi)
		if lo < hi {
			diff[lo]++
			diff[hi]--
		}
	}
	for i := range v.nodes {
		st := &v.nodes[i]
		x := st.Self.ID
		for _, e := range st.Successors {
			if e.IsZero() {
				continue
			}
			y := e.ID
			lo := v.firstAfter(x)   // first index with ID > x
			hi := v.firstAtLeast(y) // first index with ID ≥ y
			if x.Cmp(y) < 0 {
				mark(lo, hi)
			} else { // wraps past zero, or x == y: everything but x itself
				mark(lo, n)
				mark(0, hi)
			}
			x = y
		}
	}
	var out []int
	run := 0
	for i := 0; i < n; i++ {
		run += diff[i]
		if run == 0 {
			out = append(out, i)
		}
	}
	return out
}

// bitLen returns the number of bits needed to write id (0 for zero).
func bitLen(id ID) int {
	for i, b := range id {
		if b != 0 {
			return (len(id)-i)*8 - bits.LeadingZeros8(b)
		}
	}
	return 0
}

func (v *ringView) firstAfter(x ID) int {
	return sort.Search(len(v.nodes), func(i int) bool { return v.nodes[i].Self.ID.Cmp(x) > 0 })
}

func (v *ringView) firstAtLeast(x ID) int {
	return sort.Search(len(v.nodes), func(i int) bool { return v.nodes[i].Self.ID.Cmp(x) >= 0 })
}

// successorIndex returns the member that owns id: the first at or after it.
func (v *ringView) successorIndex(id ID) int {
	i := v.firstAtLeast(id)
	if i == len(v.nodes) {
		return 0
	}
	return i
}

// idealList reports whether node i's successor list is the walk of the ring
// that CheckIdeal documents.
func (v *ringView) idealList(i int) bool {
	n := len(v.nodes)
	l := v.nodes[i].Successors
	minLen, maxLen := v.r, v.r
	if n-1 < v.r {
		minLen = max(1, n-1)
	}
	if len(l) < minLen || len(l) > maxLen {
		return false
	}
	for k, e := range l {
		if e != v.nodes[(i+1+k)%n].Self {
			return false
		}
	}
	return true
}

// name names a node in a sentence (short ID and address, or Naming.Node),
// marking dead ones.
func (v *ringView) name(r NodeRef) string {
	_, live := v.index(r)
	switch {
	case v.nm.Node != nil && live:
		return v.nm.Node(r)
	case v.nm.Node != nil:
		return v.nm.Node(r) + " (dead)"
	case live:
		return fmt.Sprintf("%s (%s)", v.id(r.ID), r.Addr)
	}
	return fmt.Sprintf("%s (%s, dead)", v.id(r.ID), r.Addr)
}

// plain names a node in a sentence that says itself whether it is dead.
func (v *ringView) plain(r NodeRef) string {
	if v.nm.Node != nil {
		return v.nm.Node(r)
	}
	return fmt.Sprintf("%s (%s)", v.id(r.ID), r.Addr)
}

// brief names a node in a list or a path: short ID, or Naming.Node.
func (v *ringView) brief(r NodeRef) string {
	if v.nm.Node != nil {
		return v.nm.Node(r)
	}
	return v.id(r.ID)
}

// id writes an identifier that is not a node's: short hex, or Naming.ID.
func (v *ringView) id(x ID) string {
	if v.nm.ID != nil {
		return v.nm.ID(x)
	}
	return x.Label(v.bits)
}

// refs lists the nodes a violation names, zero ones left out.
func refs(first NodeRef, more ...NodeRef) []NodeRef {
	out := make([]NodeRef, 0, 1+len(more))
	for _, r := range append([]NodeRef{first}, more...) {
		if !r.IsZero() && !containsAddr(out, r.Addr) {
			out = append(out, r)
		}
	}
	return out
}

func (v *ringView) nameOrNil(r NodeRef) string {
	if r.IsZero() {
		return "nil"
	}
	return v.name(r)
}

// list prints a successor list by short IDs, dead entries starred.
func (v *ringView) list(l []NodeRef) string {
	parts := make([]string, len(l))
	for k, e := range l {
		switch _, ok := v.index(e); {
		case e.IsZero():
			parts[k] = "nil"
		case ok:
			parts[k] = v.brief(e)
		default:
			parts[k] = v.brief(e) + "†"
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// cycleText prints a cycle of bestSucc, shortened when long.
func (v *ringView) cycleText(cyc []int) string {
	const show = 6
	parts := make([]string, 0, show+2)
	for k, i := range cyc {
		if k == show {
			parts = append(parts, fmt.Sprintf("… (%d nodes)", len(cyc)))
			break
		}
		parts = append(parts, v.brief(v.nodes[i].Self))
	}
	parts = append(parts, v.brief(v.nodes[cyc[0]].Self))
	return "{" + strings.Join(parts, " → ") + "}"
}
