package dht

import (
	"context"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

func TestVersionCompare(t *testing.T) {
	a := chord.IDFromUint64(8, 1)
	b := chord.IDFromUint64(8, 2)
	tests := []struct {
		name string
		v, o Version
		want int
	}{
		{"higher counter wins", Version{Wall: 2, Writer: a}, Version{Wall: 1, Writer: b}, 1},
		{"lower counter loses", Version{Wall: 1, Writer: b}, Version{Wall: 2, Writer: a}, -1},
		{"equal counter: higher writer wins", Version{Wall: 3, Writer: b}, Version{Wall: 3, Writer: a}, 1},
		{"equal counter: lower writer loses", Version{Wall: 3, Writer: a}, Version{Wall: 3, Writer: b}, -1},
		{"identical", Version{Wall: 3, Writer: a}, Version{Wall: 3, Writer: a}, 0},
		{"anything beats zero", Version{Wall: 1}, Version{}, 1},
		{"equal wall: higher logical wins", Version{Wall: 3, Logical: 2, Writer: a}, Version{Wall: 3, Logical: 1, Writer: b}, 1},
		{"wall before logical", Version{Wall: 4, Writer: a}, Version{Wall: 3, Logical: 9, Writer: b}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.Compare(tt.o); got != tt.want {
				t.Errorf("%v.Compare(%v) = %d, want %d", tt.v, tt.o, got, tt.want)
			}
			if got := tt.o.Compare(tt.v); got != -tt.want {
				t.Errorf("%v.Compare(%v) = %d, want %d (antisymmetry)", tt.o, tt.v, got, -tt.want)
			}
			if got := tt.v.Newer(tt.o); got != (tt.want > 0) {
				t.Errorf("Newer = %v, want %v", got, tt.want > 0)
			}
		})
	}
}

func TestTableApplyKeepsNewest(t *testing.T) {
	w1, w2 := chord.IDFromUint64(8, 10), chord.IDFromUint64(8, 20)
	steps := []struct {
		rec     record
		applied bool
		value   string
	}{
		{record{Key: "k", Value: []byte("a"), Ver: Version{Wall: 1, Writer: w1}}, true, "a"},
		{record{Key: "k", Value: []byte("old"), Ver: Version{Wall: 1, Writer: w1}}, false, "a"},
		{record{Key: "k", Value: []byte("b"), Ver: Version{Wall: 1, Writer: w2}}, true, "b"},
		{record{Key: "k", Deleted: true, Ver: Version{Wall: 5, Writer: w1}}, true, ""},
		{record{Key: "k", Value: []byte("stale"), Ver: Version{Wall: 4, Writer: w2}}, false, ""},
		{record{Key: "k", Value: []byte("c"), Ver: Version{Wall: 6, Writer: w1}}, true, "c"},
	}
	tab := newTable()
	for i, s := range steps {
		if got, _, _ := tab.apply(s.rec); got != s.applied {
			t.Fatalf("step %d: apply(%v) = %v, want %v", i, s.rec.Ver, got, s.applied)
		}
		r, _ := tab.get("k")
		if string(r.Value) != s.value {
			t.Fatalf("step %d: value %q, want %q", i, r.Value, s.value)
		}
	}
	if tab.dropIf("k", Version{Wall: 6, Writer: w2}) {
		t.Error("dropIf with another version dropped the record")
	}
	if !tab.dropIf("k", Version{Wall: 6, Writer: w1}) {
		t.Error("dropIf with the held version kept the record")
	}
}

func TestTableInRangeWrapsAndPages(t *testing.T) {
	const bits = 8
	tab := newTable()
	// Records at IDs 10, 20, …, 250 (keys chosen by ID, not hashed).
	for v := uint64(10); v <= 250; v += 10 {
		tab.apply(record{Key: string(rune('A' + v/10)), ID: chord.IDFromUint64(bits, v), Value: []byte("xx"), Ver: Version{Wall: 1}})
	}
	id := func(v uint64) chord.ID { return chord.IDFromUint64(bits, v) }
	ids := func(rs []record) []uint64 {
		var out []uint64
		for _, r := range rs {
			out = append(out, r.ID.Uint64())
		}
		return out
	}
	tests := []struct {
		name     string
		from, to uint64
		want     []uint64
	}{
		{"plain", 15, 40, []uint64{20, 30, 40}},
		{"left end excluded", 20, 40, []uint64{30, 40}},
		{"wraps past zero", 235, 15, []uint64{240, 250, 10}},
		{"empty", 41, 49, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, more := tab.inRange(id(tt.from), id(tt.to), cursor{}, 1<<20)
			if more || !equalU64(ids(got), tt.want) {
				t.Errorf("inRange(%d, %d] = %v more=%v, want %v", tt.from, tt.to, ids(got), more, tt.want)
			}
		})
	}
	t.Run("pages in ring order", func(t *testing.T) {
		var all []uint64
		var cur cursor
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			got, more := tab.inRange(id(225), id(35), cur, 6) // two 3-byte records per page
			all = append(all, ids(got)...)
			if !more {
				break
			}
			last := got[len(got)-1]
			cur = cursor{set: true, ID: last.ID, Key: last.Key}
		}
		if want := []uint64{230, 240, 250, 10, 20, 30}; !equalU64(all, want) {
			t.Errorf("pages = %v, want %v", all, want)
		}
	})
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStoreAcceptsTheRecordItHolds checks dht.store's answer when the
// holder already has the pushed version: the very same record (a repair
// round pushed it while the owner's own push was on its way) is accepted,
// so the owner does not version its write again; the same version with
// other contents (an owner restarted with an empty store reused its
// counters) is refused.
func TestStoreAcceptsTheRecordItHolds(t *testing.T) {
	ctx := context.Background()
	r := newTestRing(t, 2, 27, nil)
	h := r.live()[1].store
	w := r.live()[0].node.Self().ID
	push := func(rec record) storeResp {
		t.Helper()
		reply, err := h.handleStore(ctx, storeReq{Recs: []record{rec}}.encode())
		if err != nil {
			t.Fatal(err)
		}
		m, err := decodeStoreResp(reply)
		if err != nil || m.Head.Status != statusOK || len(m.Accepted) != 1 {
			t.Fatalf("store reply %+v, %v", m, err)
		}
		return m
	}
	rec := record{Key: "k", Value: []byte("v"), Ver: Version{Wall: 7, Writer: w}}
	for _, tc := range []struct {
		name string
		rec  record
		want bool
	}{
		{"new", rec, true},
		{"the same record again", rec, true},
		{"same version, other value", record{Key: "k", Value: []byte("other"), Ver: Version{Wall: 7, Writer: w}}, false},
		{"same version, tombstone", record{Key: "k", Deleted: true, Ver: Version{Wall: 7, Writer: w}}, false},
		{"older", record{Key: "k", Value: []byte("v"), Ver: Version{Wall: 6, Writer: w}}, false},
	} {
		if m := push(tc.rec); m.Accepted[0] != tc.want || m.Current[0] != rec.Ver {
			t.Errorf("%s: accepted %v, current %v; want %v, %v", tc.name, m.Accepted[0], m.Current[0], tc.want, rec.Ver)
		}
	}
}
