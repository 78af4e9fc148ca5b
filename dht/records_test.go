package dht

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// TestTableSortedAfterChanges: the table's remembered ring order follows
// every insert, overwrite, drop and delete, and gen moves with each.
func TestTableSortedAfterChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tab := newTable()
	want := map[string]record{}
	for step := range 2000 {
		key := fmt.Sprintf("k%d", rng.IntN(200))
		gen := tab.gen
		switch op := rng.IntN(4); {
		case op < 2: // a newer write, or a new key
			r := record{Key: key, ID: chord.HashID(160, []byte(key)), Ver: Version{Wall: int64(step + 1)}, Value: []byte{byte(step)}}
			tab.apply(r)
			want[key] = r
		case op == 2:
			if r, ok := want[key]; ok && tab.dropIf(key, r.Ver) {
				delete(want, key)
			}
		default:
			_, had := want[key]
			tab.del(key)
			delete(want, key)
			if had == (tab.gen == gen) {
				t.Fatalf("step %d: del of a key held %v moved gen %d → %d", step, had, gen, tab.gen)
			}
		}
		got := tab.sorted()
		exp := make([]record, 0, len(want))
		for _, r := range want {
			exp = append(exp, r)
		}
		sortRecords(exp)
		if !slices.EqualFunc(got, exp, func(a, b record) bool { return a.Key == b.Key && a.Ver == b.Ver }) {
			t.Fatalf("step %d: sorted() = %d records, want %d in (ID, key) order", step, len(got), len(exp))
		}
	}
}
