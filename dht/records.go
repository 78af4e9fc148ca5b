package dht

import (
	"bytes"
	"sort"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// record is one stored key: a value or a tombstone, with its version.
type record struct {
	Key     string
	ID      chord.ID // HashID(bits, Key), always recomputed locally
	Value   []byte
	Deleted bool
	Ver     Version
	// Prev is the newest version of the key the write is known to have
	// replaced: the writer's own copy when it assigned Ver, raised by each
	// holder that replaced a newer copy when the write reached it. A copy
	// newer than Prev that this record replaces was a write its writer had
	// not seen (a merge: see Store.applyLocked).
	Prev Version
}

// size is what the record costs in memory, as reported in Counts.Bytes.
func (r *record) size() int64 { return int64(len(r.Key) + len(r.Value)) }

// table is the in-memory map of one store. It is not safe for concurrent
// use: Store guards it with its mutex.
type table struct {
	recs map[string]*entry
}

// entry is a record plus bookkeeping that never leaves the node.
type entry struct {
	rec record
	// mergedOver is the version this node held before a merge replaced it
	// with rec, a write whose writer had not seen it (zero if rec arrived
	// otherwise).
	mergedOver Version
	// spare is when a repair round first found that this node is no
	// longer a holder of the key and every holder has it (zero: needed).
	spare time.Time
}

func newTable() *table { return &table{recs: make(map[string]*entry)} }

// get returns the record for key, if any.
func (t *table) get(key string) (record, bool) {
	e, ok := t.recs[key]
	if !ok {
		return record{}, false
	}
	return e.rec, true
}

// version returns the version held for key (zero if none).
func (t *table) version(key string) Version {
	if e, ok := t.recs[key]; ok {
		return e.rec.Ver
	}
	return Version{}
}

// apply stores r if it is newer than what the table holds (the version
// rule). It reports whether it did, and the record it replaced (ok false
// when there was none).
func (t *table) apply(r record) (applied bool, old record, had bool) {
	e, had := t.recs[r.Key]
	if had {
		old = e.rec
		if !r.Ver.Newer(old.Ver) {
			return false, old, true
		}
	}
	t.recs[r.Key] = &entry{rec: r}
	return true, old, had
}

// holds reports whether the table holds exactly r: the same version, the
// same value and the same deleted flag.
func (t *table) holds(r record) bool {
	e, ok := t.recs[r.Key]
	return ok && e.rec.Ver == r.Ver && e.rec.Deleted == r.Deleted && bytes.Equal(e.rec.Value, r.Value)
}

// dropIf removes key if it still holds exactly version v, and reports
// whether it did. Repair uses it so that a write arriving between the
// confirmation and the drop is never lost.
func (t *table) dropIf(key string, v Version) bool {
	if e, ok := t.recs[key]; ok && e.rec.Ver == v {
		delete(t.recs, key)
		return true
	}
	return false
}

// sorted returns copies of every record, ordered by (ID, Key).
func (t *table) sorted() []record {
	out := make([]record, 0, len(t.recs))
	for _, e := range t.recs {
		out = append(out, e.rec)
	}
	sortRecords(out)
	return out
}

// inRange returns copies of the records whose ID is in the ring interval
// (from, to], ordered by (ID, Key), starting strictly after the cursor
// (when hasCursor) and stopping once maxBytes is reached (at least one).
// more reports whether records were left out. (x, x] is the whole ring.
func (t *table) inRange(from, to chord.ID, cur cursor, maxBytes int) (out []record, more bool) {
	all := t.sorted()
	// Walk in ring order starting just after from, so the cursor is monotone.
	start := sort.Search(len(all), func(i int) bool { return all[i].ID.Cmp(from) > 0 })
	total := 0
	for i := 0; i < len(all); i++ {
		r := all[(start+i)%len(all)]
		if !chord.BetweenRightIncl(from, r.ID, to) {
			continue
		}
		if cur.set && !cur.before(from, r) {
			continue
		}
		if len(out) > 0 && total+int(r.size()) > maxBytes {
			return out, true
		}
		total += int(r.size())
		out = append(out, r)
	}
	return out, false
}

// cursor marks the last record returned by a paged transfer.
type cursor struct {
	set bool
	ID  chord.ID
	Key string
}

// before reports whether the cursor lies strictly before r in ring order
// starting just after from.
func (c cursor) before(from chord.ID, r record) bool {
	dc := chord.Distance(chord.MaxBits, from, c.ID)
	dr := chord.Distance(chord.MaxBits, from, r.ID)
	if x := dc.Cmp(dr); x != 0 {
		return x < 0
	}
	return c.Key < r.Key
}

func sortRecords(rs []record) {
	sort.Slice(rs, func(i, j int) bool {
		if c := rs[i].ID.Cmp(rs[j].ID); c != 0 {
			return c < 0
		}
		return rs[i].Key < rs[j].Key
	})
}
