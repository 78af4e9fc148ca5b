package chord

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

// testBits is the identifier size of the hand-built rings below.
const testBits = 8

// ref names the node with identifier v on a 2^8 ring; its address is "n<v>".
func ref(v int) NodeRef {
	return NodeRef{ID: IDFromUint64(testBits, uint64(v)), Addr: fmt.Sprintf("n%d", v)}
}

// st builds a joined status with successor-list length r; pred < 0 is nil.
func st(r, self, pred int, succs ...int) Status {
	s := Status{Self: ref(self), Bits: testBits, R: r, Joined: true}
	if pred >= 0 {
		s.Predecessor = ref(pred)
	}
	for _, x := range succs {
		s.Successors = append(s.Successors, ref(x))
	}
	return s
}

// trueSucc returns the first of ids (sorted) at or after x on the 2^8 circle.
func trueSucc(ids []int, x int) int {
	for _, id := range ids {
		if id >= x {
			return id
		}
	}
	return ids[0]
}

// idealRing builds the ideal statuses of a ring with these identifiers:
// successor lists of length min(r, n-1) (at least 1), predecessors and
// fingers computed by plain integer arithmetic, independent of id.go.
func idealRing(r int, ids ...int) []Status {
	ids = slices.Clone(ids)
	sort.Ints(ids)
	n := len(ids)
	out := make([]Status, n)
	for i, id := range ids {
		l := min(r, max(1, n-1))
		succs := make([]int, l)
		for k := range succs {
			succs[k] = ids[(i+1+k)%n]
		}
		s := st(r, id, ids[(i+n-1)%n], succs...)
		for k := 0; k < testBits; k++ {
			s.Fingers = append(s.Fingers, ref(trueSucc(ids, (id+1<<k)%(1<<testBits))))
		}
		out[i] = s
	}
	return out
}

// keys turns violations into sorted "Invariant@addr" strings ("@" alone for
// global ones), the shape the tables below compare.
func keys(vs []Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Invariant + "@" + v.Node.Addr
	}
	sort.Strings(out)
	return out
}

func sorted(s ...string) []string { sort.Strings(s); return s }

// replace swaps in statuses by address.
func replace(sts []Status, with ...Status) []Status {
	out := slices.Clone(sts)
	for _, w := range with {
		found := false
		for i := range out {
			if out[i].Self.Addr == w.Self.Addr {
				out[i], found = w, true
			}
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}

func TestCheckInvariants(t *testing.T) {
	ring5 := idealRing(2, 10, 20, 30, 40, 50)
	tests := []struct {
		name string
		sts  []Status
		want []string
		// say is a phrase the first violation's message must contain.
		say string
	}{
		{name: "empty snapshot", sts: nil, want: nil},
		{name: "ideal ring of five, r=2", sts: ring5, want: nil},
		{name: "ideal ring of exactly r+1", sts: idealRing(3, 1, 100, 200, 255), want: nil},
		{
			name: "new node is a connected appendage",
			sts:  replace(ring5, st(2, 25, -1, 30, 40)),
			want: nil,
		},
		{
			name: "nodes that have not joined are ignored and pointers to them are dead",
			sts: replace(ring5,
				st(2, 20, 10, 25, 30),                        // 25 is not joined: dead entry, 30 is the live successor
				Status{Self: ref(25), Bits: testBits, R: 2}), // not joined
			want: nil,
		},
		{
			name: "pointer with a stale identifier at a live address is dead",
			sts: replace(ring5, Status{Self: ref(10), Bits: testBits, R: 2, Joined: true, Predecessor: ref(50),
				Successors: []NodeRef{{ID: IDFromUint64(testBits, 15), Addr: "n30"}, ref(20)}}),
			want: nil,
		},
		{
			name: "1: every successor dead breaks the ring everywhere",
			sts:  replace(ring5, st(2, 30, 20, 35, 38)),
			want: sorted(InvOneLiveSuccessor+"@n30", InvAtLeastOneRing+"@",
				InvConnectedAppendages+"@n10", InvConnectedAppendages+"@n20", InvConnectedAppendages+"@n30", InvConnectedAppendages+"@n40", InvConnectedAppendages+"@n50"),
			say: "successor list [35†, 38†] is dead, so it has no live successor",
		},
		{
			name: "1: empty successor list",
			sts:  replace(idealRing(2, 10, 20, 30, 40, 50, 60), st(2, 60, 50)),
			want: sorted(InvOneLiveSuccessor+"@n60", InvAtLeastOneRing+"@",
				InvConnectedAppendages+"@n10", InvConnectedAppendages+"@n20", InvConnectedAppendages+"@n30", InvConnectedAppendages+"@n40", InvConnectedAppendages+"@n50", InvConnectedAppendages+"@n60"),
			say: "empty successor list",
		},
		{
			name: "3: two interleaved rings",
			sts: []Status{
				st(2, 10, 50, 30, 50), st(2, 30, 10, 50, 10), st(2, 50, 30, 10, 30),
				st(2, 20, 60, 40, 60), st(2, 40, 20, 60, 20), st(2, 60, 40, 20, 40),
			},
			want: sorted(InvAtMostOneRing+"@", InvSufficientPrincipals+"@",
				InvOrderedRing+"@n10", InvOrderedRing+"@n20", InvOrderedRing+"@n30", InvOrderedRing+"@n40", InvOrderedRing+"@n50", InvOrderedRing+"@n60"),
			say: "lies between them",
		},
		{
			name: "4: ring that goes twice around the circle",
			sts: []Status{
				st(2, 10, 40, 30, 50), st(2, 30, 10, 50, 20), st(2, 50, 30, 20, 40),
				st(2, 20, 50, 40, 10), st(2, 40, 20, 10, 30),
			},
			want: sorted(InvSufficientPrincipals+"@",
				InvOrderedRing+"@n10", InvOrderedRing+"@n20", InvOrderedRing+"@n30", InvOrderedRing+"@n40", InvOrderedRing+"@n50"),
			say: "2 times around the identifier circle",
		},
		{
			name: "5: appendage hanging off a node with no live successor",
			sts:  replace(ring5, st(2, 25, -1, 26, 27), st(2, 23, -1, 25, 26)),
			want: sorted(InvOneLiveSuccessor+"@n25", InvConnectedAppendages+"@n25", InvConnectedAppendages+"@n23"),
			say:  "has no live successor",
		},
		{
			name: "6: successor list out of order",
			sts:  replace(idealRing(2, 10, 20, 30, 40, 50, 60, 70, 80), st(2, 40, 30, 60, 50)),
			// 40's pair (60, 50) wraps round the whole circle, skipping
			// every member but 50 and 60, and (40, 60) skips 50: Zave's
			// Invariant implies OrderedSuccessorLists, so principals are
			// lost too. 50 is an appendage, so the ring itself is ordered.
			want: sorted(InvOrderedSuccessorLists+"@n40", InvSufficientPrincipals+"@"),
			say:  "out of ring order",
		},
		{
			name: "6: dead entries count for the order",
			sts:  replace(idealRing(2, 10, 20, 30, 40, 50, 60, 70, 80), st(2, 40, 30, 50, 45)),
			want: sorted(InvOrderedSuccessorLists+"@n40", InvSufficientPrincipals+"@"),
			say:  "out of ring order",
		},
		{
			name: "7: duplicate entry when there are more than r members",
			sts:  replace(idealRing(3, 10, 20, 30, 40, 50, 60), st(3, 10, 60, 20, 30, 20)),
			// The pair (30, 20) wraps round the circle and skips all but 20
			// and 30, so principals are lost as well (Invariant ⇒ NoDuplicates).
			want: sorted(InvNoDuplicates+"@n10", InvSufficientPrincipals+"@"),
			say:  "names 20 (n20) twice",
		},
		{
			name: "7: list naming its owner when there are more than r members",
			sts:  replace(idealRing(3, 10, 20, 30, 40, 50, 60), st(3, 10, 60, 20, 10, 20)),
			want: sorted(InvNoDuplicates+"@n10", InvSufficientPrincipals+"@"),
			say:  "names its owner",
		},
		{
			name: "7: wrapped lists are fine in a ring of at most r nodes",
			sts:  []Status{st(3, 10, 30, 20, 30, 10), st(3, 20, 10, 30, 10, 20), st(3, 30, 20, 10, 20, 30)},
			want: sorted(InvSufficientPrincipals + "@"),
			say:  "only 3 live members",
		},
		{
			name: "8: one-node ring is below the minimum size",
			sts:  []Status{st(2, 10, 10, 10)},
			want: sorted(InvSufficientPrincipals + "@"),
			say:  "needs at least r+1 = 3 principals",
		},
		{
			name: "8: stale but ordered lists keep enough principals",
			// Ring 10..60 with r=2; 25 and 35 have joined and are appendages.
			// 20's list [28†, 40] skips 25 and 30, 30's skips 35: five
			// principals (10, 20, 40, 50, 60) remain, more than r+1 = 3.
			sts: replace(idealRing(2, 10, 20, 30, 40, 50, 60),
				st(2, 25, -1, 30, 40), st(2, 35, -1, 40, 50), st(2, 20, 10, 28, 40)),
			want: nil,
		},
		{
			name: "8: ordered lists that skip all but r principals",
			// r=2: a two-member ring 10 ⇄ 40 whose lists skip 20, 30 and 50,
			// which hang off it. Every other invariant holds.
			sts: []Status{
				st(2, 10, 40, 40, 45), st(2, 40, 10, 10, 15),
				st(2, 20, -1, 40, 45), st(2, 30, -1, 40, 45), st(2, 50, -1, 10, 15),
			},
			want: sorted(InvSufficientPrincipals + "@"),
			say:  "only 2 of the 5 live nodes are principals (not skipped by any node's successor list): 10, 40",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckInvariants(tt.sts)
			if !slices.Equal(keys(got), tt.want) {
				t.Fatalf("violations\n got  %q\n want %q\nmessages:\n%s", keys(got), tt.want, messages(got))
			}
			if tt.say != "" && !strings.Contains(got[0].Message, tt.say) && !anyContains(got, tt.say) {
				t.Errorf("no message says %q:\n%s", tt.say, messages(got))
			}
			// The fast checker agrees with the definition-by-definition one.
			if ref := referenceInvariants(tt.sts); !slices.Equal(keys(got), ref) {
				t.Errorf("reference checker disagrees:\n got %q\n ref %q", keys(got), ref)
			}
		})
	}
}

func anyContains(vs []Violation, s string) bool {
	for _, v := range vs {
		if strings.Contains(v.Message, s) {
			return true
		}
	}
	return false
}

func messages(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
}

// TestCheckInvariantsMessages pins the exact wording of a few messages a
// student reads in the UI.
func TestCheckInvariantsMessages(t *testing.T) {
	ring5 := idealRing(2, 10, 20, 30, 40, 50)
	tests := []struct {
		name string
		sts  []Status
		want string
	}{
		{
			name: "dead successors",
			sts:  replace(ring5, st(2, 30, 20, 35, 38)),
			want: "OneLiveSuccessor at n30: every entry of 30 (n30)'s successor list [35†, 38†] is dead, so it has no live successor",
		},
		{
			name: "appendage",
			sts:  replace(ring5, st(2, 25, -1, 26, 27), st(2, 23, -1, 25, 26)),
			want: "ConnectedAppendages at n23: 23 (n23) is not on the ring and never reaches it: following successors 23 → 25 ends at 25 (n25), which has no live successor",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.ContainsFunc(CheckInvariants(tt.sts), func(v Violation) bool { return v.String() == tt.want }) {
				t.Errorf("no violation reads\n  %s\ngot:\n%s", tt.want, messages(CheckInvariants(tt.sts)))
			}
		})
	}
}

func TestCheckIdeal(t *testing.T) {
	ring5 := idealRing(2, 10, 20, 30, 40, 50)
	badFinger := ring5[1] // node 20
	badFinger.Fingers = slices.Clone(badFinger.Fingers)
	badFinger.Fingers[3] = ref(40) // 20+8 = 28 → 30, not 40
	noFingers := ring5[2]
	noFingers.Fingers = nil
	small := idealRing(4, 10, 20, 30) // lists [next, next-next]

	tests := []struct {
		name    string
		sts     []Status
		fingers bool
		want    []string
		say     string
	}{
		{name: "empty", sts: nil, want: nil},
		{name: "ideal with fingers", sts: ring5, fingers: true, want: nil},
		{name: "ideal one-node ring", sts: idealRing(2, 77), fingers: true, want: nil},
		{name: "one-node ring with an empty list", sts: []Status{st(2, 77, 77)}, want: sorted(IdealRing+"@n77", IdealSuccessor+"@n77", IdealSuccessorList+"@n77")},
		{name: "one-node ring with nil predecessor", sts: []Status{st(2, 77, -1, 77)}, want: sorted(IdealPredecessor + "@n77"), say: "predecessor is nil"},
		{name: "wrong finger", sts: replace(ring5, badFinger), fingers: true, want: sorted(IdealFinger + "@n20"), say: "has 1 of 8 fingers wrong; finger[4] (start 28) is 40 (n40) but the first live node at or after 28 is 30 (n30)"},
		{name: "wrong finger ignored without fingers", sts: replace(ring5, badFinger), fingers: false, want: nil},
		{name: "missing fingers", sts: replace(ring5, noFingers), fingers: true, want: sorted(IdealFinger + "@n30"), say: "has 0 fingers"},
		{name: "nil predecessor", sts: replace(ring5, st(2, 30, -1, 40, 50)), want: sorted(IdealPredecessor + "@n30")},
		{name: "stale successor list tail", sts: replace(ring5, st(2, 30, 20, 40, 10)), want: sorted(IdealSuccessorList + "@n30"), say: "but the live nodes after it are [40, 50]"},
		{name: "list too short", sts: replace(ring5, st(2, 30, 20, 40)), want: sorted(IdealSuccessorList + "@n30")},
		{name: "list too long", sts: replace(ring5, st(2, 30, 20, 40, 50, 10)), want: sorted(IdealSuccessorList + "@n30")},
		{
			name: "appendage not yet in the ring",
			sts:  replace(ring5, st(2, 25, -1, 30, 40)),
			want: sorted(IdealRing+"@n25", IdealPredecessor+"@n25", IdealSuccessor+"@n20", IdealPredecessor+"@n30",
				IdealSuccessorList+"@n10", IdealSuccessorList+"@n20"),
		},
		{name: "small ring: list of the others", sts: small, want: nil},
		{name: "small ring: list wraps on", sts: replace(small, st(4, 10, 30, 20, 30, 10, 20)), want: nil},
		{name: "small ring: list wraps part way", sts: replace(small, st(4, 10, 30, 20, 30, 10)), want: nil},
		{name: "small ring: list too short", sts: replace(small, st(4, 10, 30, 20)), want: sorted(IdealSuccessorList + "@n10")},
		{name: "small ring: wrap in the wrong order", sts: replace(small, st(4, 10, 30, 20, 30, 20)), want: sorted(IdealSuccessorList + "@n10")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckIdeal(tt.sts, tt.fingers)
			if !slices.Equal(keys(got), tt.want) {
				t.Fatalf("violations\n got  %q\n want %q\nmessages:\n%s", keys(got), tt.want, messages(got))
			}
			if tt.say != "" && !anyContains(got, tt.say) {
				t.Errorf("no message says %q:\n%s", tt.say, messages(got))
			}
		})
	}
}

func TestRingMembersAndPrincipals(t *testing.T) {
	ring5 := idealRing(2, 10, 20, 30, 40, 50)
	sts := replace(ring5, st(2, 25, -1, 30, 40))
	addrs := func(rs []NodeRef) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = r.Addr
		}
		return out
	}
	if got, want := addrs(RingMembers(sts)), []string{"n10", "n20", "n30", "n40", "n50"}; !slices.Equal(got, want) {
		t.Errorf("RingMembers = %v, want %v", got, want)
	}
	// 25 is skipped by 20's pair (20, 30) and by 10's pair (20, 30).
	if got, want := addrs(Principals(sts)), []string{"n10", "n20", "n30", "n40", "n50"}; !slices.Equal(got, want) {
		t.Errorf("Principals = %v, want %v", got, want)
	}
	// Once 20 points at 25, the appendage becomes a principal and a ring member.
	sts = replace(sts, st(2, 20, 10, 25, 30), st(2, 10, 50, 20, 25))
	if got, want := addrs(Principals(sts)), []string{"n10", "n20", "n25", "n30", "n40", "n50"}; !slices.Equal(got, want) {
		t.Errorf("Principals after stabilize = %v, want %v", got, want)
	}
	if got, want := addrs(RingMembers(sts)), []string{"n10", "n20", "n25", "n30", "n40", "n50"}; !slices.Equal(got, want) {
		t.Errorf("RingMembers after stabilize = %v, want %v", got, want)
	}
}

// TestCheckInvariantsAgreesWithDefinitions compares the fast checker with a
// direct transcription of Zave's definitions on random snapshots of a 2^5
// ring: random lists with dead entries, duplicates, wrong order and gaps.
func TestCheckInvariantsAgreesWithDefinitions(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	counts := map[string]int{}
	for iter := 0; iter < 3000; iter++ {
		r := 1 + rng.IntN(3)
		n := 1 + rng.IntN(7)
		perm := rng.Perm(32)
		ids := perm[:n]
		dead := perm[n : n+3]
		pool := append(slices.Clone(ids), dead...)
		var sts []Status
		for _, id := range ids {
			var succs []int
			if rng.IntN(3) == 0 {
				// a plausible list: the next live or dead ids in order
				sorted := slices.Clone(pool)
				sort.Slice(sorted, func(a, b int) bool { return (sorted[a]-id+32)%32 < (sorted[b]-id+32)%32 })
				for _, x := range sorted[1:] {
					if len(succs) < r && rng.IntN(4) != 0 {
						succs = append(succs, x)
					}
				}
			} else {
				for k := rng.IntN(r + 1); k > 0; k-- {
					succs = append(succs, pool[rng.IntN(len(pool))])
				}
			}
			s := Status{Self: ref5(id), Bits: 5, R: r, Joined: rng.IntN(10) != 0}
			for _, x := range succs {
				s.Successors = append(s.Successors, ref5(x))
			}
			sts = append(sts, s)
		}
		got, want := keys(CheckInvariants(sts)), referenceInvariants(sts)
		if !slices.Equal(got, want) {
			t.Fatalf("iteration %d: snapshot %v\n got %q\n ref %q", iter, describe(sts), got, want)
		}
		for _, k := range got {
			counts[k[:strings.Index(k, "@")]]++
		}
	}
	// The random snapshots must exercise every invariant, or the comparison
	// proves little.
	for _, inv := range []string{InvOneLiveSuccessor, InvAtLeastOneRing, InvAtMostOneRing, InvOrderedRing, InvConnectedAppendages, InvOrderedSuccessorLists, InvNoDuplicates, InvSufficientPrincipals} {
		if counts[inv] == 0 {
			t.Errorf("no random snapshot violated %s", inv)
		}
	}
}

func ref5(v int) NodeRef { return NodeRef{ID: IDFromUint64(5, uint64(v)), Addr: fmt.Sprintf("n%d", v)} }

func describe(sts []Status) string {
	var b strings.Builder
	for _, s := range sts {
		fmt.Fprintf(&b, "%s(j=%v,r=%d):", s.Self.Addr, s.Joined, s.R)
		for _, e := range s.Successors {
			b.WriteString(" " + e.Addr)
		}
		b.WriteString("; ")
	}
	return b.String()
}

// referenceInvariants transcribes Zave's Alloy definitions (the TSE 2017
// model of the correct protocol) quantifier by quantifier, in O(N^3·r^2),
// with chordtui's documented choices: unjoined nodes are not members, the
// order check stops where a list wraps, NoDuplicates only above r members.
func referenceInvariants(sts []Status) []string {
	var members []Status
	seen := map[string]bool{}
	r := 1
	for _, s := range sts {
		if s.Joined && !seen[s.Self.Addr] {
			seen[s.Self.Addr] = true
			members = append(members, s)
			r = max(r, s.R)
		}
	}
	if len(members) == 0 {
		return nil
	}
	live := func(x NodeRef) int {
		for i, m := range members {
			if m.Self == x {
				return i
			}
		}
		return -1
	}
	best := make([]int, len(members))
	for i, m := range members {
		best[i] = -1
		for _, e := range m.Successors {
			if j := live(e); j >= 0 {
				best[i] = j
				break
			}
		}
	}
	reach := func(a, b int) bool { // b ∈ a.^best
		x := a
		for steps := 0; steps < len(members); steps++ {
			x = best[x]
			if x < 0 {
				return false
			}
			if x == b {
				return true
			}
		}
		return false
	}
	var ring []int
	for i := range members {
		if reach(i, i) {
			ring = append(ring, i)
		}
	}
	var out []string
	for i, m := range members {
		if best[i] < 0 {
			out = append(out, InvOneLiveSuccessor+"@"+m.Self.Addr)
		}
	}
	if len(ring) == 0 {
		out = append(out, InvAtLeastOneRing+"@")
	}
	for _, a := range ring {
		for _, b := range ring {
			if a != b && !reach(b, a) {
				out = append(out, InvAtMostOneRing+"@")
				goto ordered
			}
		}
	}
ordered:
	for _, m1 := range ring {
		m2 := best[m1]
		if m2 == m1 {
			continue
		}
		for _, mb := range ring {
			if mb != m1 && mb != m2 && Between(members[m1].Self.ID, members[mb].Self.ID, members[m2].Self.ID) {
				out = append(out, InvOrderedRing+"@"+members[m1].Self.Addr)
				break
			}
		}
	}
	for a := range members {
		if slices.Contains(ring, a) {
			continue
		}
		ok := false
		for _, x := range ring {
			if reach(a, x) {
				ok = true
			}
		}
		if !ok {
			out = append(out, InvConnectedAppendages+"@"+members[a].Self.Addr)
		}
	}
	for _, m := range members {
		// distinct prefix
		var l []NodeRef
		names := map[string]bool{m.Self.Addr: true}
		for _, e := range m.Successors {
			if names[e.Addr] || e.ID == m.Self.ID {
				break
			}
			names[e.Addr] = true
			l = append(l, e)
		}
		bad := false
		for j := range l {
			for k := j + 1; k < len(l); k++ {
				if !Between(m.Self.ID, l[j].ID, l[k].ID) {
					bad = true
				}
				for q := k + 1; q < len(l); q++ {
					if !Between(l[j].ID, l[k].ID, l[q].ID) {
						bad = true
					}
				}
			}
		}
		if bad {
			out = append(out, InvOrderedSuccessorLists+"@"+m.Self.Addr)
		}
	}
	if len(members) > r {
		for _, m := range members {
			ext := append([]NodeRef{m.Self}, m.Successors...)
			dup := false
			for j := range ext {
				for k := j + 1; k < len(ext); k++ {
					if ext[j].Addr == ext[k].Addr {
						dup = true
					}
				}
			}
			if dup {
				out = append(out, InvNoDuplicates+"@"+m.Self.Addr)
			}
		}
	}
	principals := 0
	for _, p := range members {
		skipped := false
		for _, m := range members {
			ext := append([]NodeRef{m.Self}, m.Successors...)
			for j := 0; j+1 < len(ext); j++ {
				if Between(ext[j].ID, p.Self.ID, ext[j+1].ID) {
					skipped = true
				}
			}
		}
		if !skipped {
			principals++
		}
	}
	if principals < r+1 {
		out = append(out, InvSufficientPrincipals+"@")
	}
	sort.Strings(out)
	return out
}

// TestCheckLargeRing checks that both checkers accept an ideal ring of 2000
// nodes with 160-bit identifiers and flag a single wrong finger in it.
func TestCheckLargeRing(t *testing.T) {
	sts := largeIdealRing(2000, 4)
	if vs := CheckInvariants(sts); len(vs) != 0 {
		t.Fatalf("ideal ring: %d violations, first %v", len(vs), vs[0])
	}
	if vs := CheckIdeal(sts, true); len(vs) != 0 {
		t.Fatalf("ideal ring not ideal: %d violations, first %v", len(vs), vs[0])
	}
	sts[100].Fingers[150] = sts[101].Self
	vs := CheckIdeal(sts, true)
	if len(vs) != 1 || vs[0].Invariant != IdealFinger || vs[0].Node != sts[100].Self {
		t.Fatalf("want one IdealFinger at %v, got %v", sts[100].Self, vs)
	}
}

// largeIdealRing builds an ideal ring of n hashed 160-bit identifiers, with
// fingers computed by a linear merge (independent of CheckIdeal's search).
func largeIdealRing(n, r int) []Status {
	sts := make([]Status, n)
	for i := range sts {
		addr := fmt.Sprintf("10.0.%d.%d:4000", i/256, i%256)
		sts[i] = Status{Self: NodeRef{ID: HashID(MaxBits, []byte(addr)), Addr: addr}, Bits: MaxBits, R: r, Joined: true}
	}
	sort.Slice(sts, func(a, b int) bool { return sts[a].Self.ID.Cmp(sts[b].Self.ID) < 0 })
	for i := range sts {
		sts[i].Predecessor = sts[(i+n-1)%n].Self
		for k := 0; k < r; k++ {
			sts[i].Successors = append(sts[i].Successors, sts[(i+1+k)%n].Self)
		}
		// Finger starts grow with k; walk forward from i (distances only grow).
		j := i
		for k := 0; k < MaxBits; k++ {
			d := Distance(MaxBits, sts[i].Self.ID, sts[i].Self.ID.AddPow2(MaxBits, k))
			for Distance(MaxBits, sts[i].Self.ID, sts[j%n].Self.ID).Cmp(d) < 0 && j < i+n {
				j++
			}
			sts[i].Fingers = append(sts[i].Fingers, sts[j%n].Self)
		}
	}
	return sts
}

func BenchmarkCheckInvariants256(b *testing.B) {
	sts := largeIdealRing(256, 4)
	for b.Loop() {
		CheckInvariants(sts)
	}
}

func BenchmarkCheckIdeal256Fingers(b *testing.B) {
	sts := largeIdealRing(256, 4)
	for b.Loop() {
		CheckIdeal(sts, true)
	}
}

// ExampleCheckInvariants checks a ring of four nodes with successor lists of
// length r = 2 after two consecutive nodes crashed: the node just before
// them has lost both of its successors, which Zave's rules forbid.
func ExampleCheckInvariants() {
	node := func(id uint64) NodeRef {
		return NodeRef{ID: IDFromUint64(8, id), Addr: fmt.Sprintf("127.0.0.1:%d", 4000+id)}
	}
	status := func(self, pred uint64, succs ...uint64) Status {
		st := Status{Self: node(self), Predecessor: node(pred), Bits: 8, R: 2, Joined: true}
		for _, s := range succs {
			st.Successors = append(st.Successors, node(s))
		}
		return st
	}
	// The ring was 0x10 → 0x40 → 0x80 → 0xc0 → 0xf0; 0x40 and 0x80 crashed,
	// so their statuses are missing.
	live := []Status{status(0x10, 0xf0, 0x40, 0x80), status(0xc0, 0x80, 0xf0, 0x10), status(0xf0, 0xc0, 0x10, 0x40)}
	for _, v := range CheckInvariants(live) {
		fmt.Println(v)
	}
	// Output:
	// OneLiveSuccessor at 127.0.0.1:4016: every entry of 16 (127.0.0.1:4016)'s successor list [64†, 128†] is dead, so it has no live successor
	// AtLeastOneRing: no node reaches itself by following successors: there is no ring at all among the 3 live nodes
	// ConnectedAppendages at 127.0.0.1:4016: 16 (127.0.0.1:4016) is not on the ring and cannot reach it, since it has no live successor
	// ConnectedAppendages at 127.0.0.1:4192: 192 (127.0.0.1:4192) is not on the ring and never reaches it: following successors 192 → 240 → 16 ends at 16 (127.0.0.1:4016), which has no live successor
	// ConnectedAppendages at 127.0.0.1:4240: 240 (127.0.0.1:4240) is not on the ring and never reaches it: following successors 240 → 16 ends at 16 (127.0.0.1:4016), which has no live successor
}

// ExampleCheckIdeal shows a newcomer that has joined but that no other node
// knows about yet: the invariants hold, but the ring is not ideal.
func ExampleCheckIdeal() {
	node := func(id uint64) NodeRef {
		return NodeRef{ID: IDFromUint64(8, id), Addr: fmt.Sprintf("n%02x", id)}
	}
	status := func(self, pred uint64, succs ...uint64) Status {
		st := Status{Self: node(self), Bits: 8, R: 2, Joined: true}
		if pred != 0 {
			st.Predecessor = node(pred)
		}
		for _, s := range succs {
			st.Successors = append(st.Successors, node(s))
		}
		return st
	}
	sts := []Status{
		status(0x10, 0xc0, 0x40, 0x80), status(0x40, 0x10, 0x80, 0xc0),
		status(0x80, 0x40, 0xc0, 0x10), status(0xc0, 0x80, 0x10, 0x40),
		status(0x60, 0, 0x80, 0xc0), // joined via 0x80, not yet stabilized
	}
	fmt.Println("invariant violations:", len(CheckInvariants(sts)))
	for _, v := range CheckIdeal(sts, false) {
		fmt.Println(v)
	}
	// Output:
	// invariant violations: 0
	// IdealRing at n60: 96 (n60) is not a ring member: following successors from it never comes back to it
	// IdealSuccessorList at n10: 16 (n10)'s successor list is [64, 128] but the live nodes after it are [64, 96]
	// IdealSuccessor at n40: 64 (n40)'s successor is 128 (n80) but the next live node after it is 96 (n60)
	// IdealSuccessorList at n40: 64 (n40)'s successor list is [128, 192] but the live nodes after it are [96, 128]
	// IdealPredecessor at n60: 96 (n60)'s predecessor is nil but the live node just before it is 64 (n40)
	// IdealPredecessor at n80: 128 (n80)'s predecessor is 64 (n40) but the live node just before it is 96 (n60)
}
