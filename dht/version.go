package dht

import (
	"fmt"
	"strings"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// Version orders the writes of one key: a hybrid logical clock timestamp
// (Wall, Logical) taken by the node that accepted the write, with that
// node's identifier (Writer) as the final tie-break. Versions compare
// lexicographically, so two different writes never compare equal and every
// node that sees the same two records keeps the same one. The zero Version
// means "no record".
type Version struct {
	// Wall is the physical part: Unix time in nanoseconds, as the writer's
	// clock read it, or later (the largest wall time the writer had seen).
	Wall int64
	// Logical orders versions that share a Wall.
	Logical uint32
	// Writer is the identifier of the node that assigned the version.
	Writer chord.ID
}

// IsZero reports whether v is the zero Version (no record).
func (v Version) IsZero() bool { return v == Version{} }

// Compare returns -1, 0 or +1 as v is older than, equal to, or newer than o.
func (v Version) Compare(o Version) int {
	switch {
	case v.Wall < o.Wall:
		return -1
	case v.Wall > o.Wall:
		return 1
	case v.Logical < o.Logical:
		return -1
	case v.Logical > o.Logical:
		return 1
	}
	return v.Writer.Cmp(o.Writer)
}

// Newer reports whether v is strictly newer than o.
func (v Version) Newer(o Version) bool { return v.Compare(o) > 0 }

// Time returns the physical part as a time.Time.
func (v Version) Time() time.Time { return time.Unix(0, v.Wall) }

// String prints the version as "15:04:05.000000000+L@writer": the wall
// time of day in UTC to the nanosecond, the logical counter when it is not
// zero, and the writer's ID cut to its first six significant hex digits.
// The zero Version prints as "none".
func (v Version) String() string {
	if v.IsZero() {
		return "none"
	}
	w := strings.TrimLeft(v.Writer.Hex(chord.MaxBits), "0")
	if len(w) > 6 {
		w = w[:6]
	}
	if w == "" {
		w = "0"
	}
	ts := v.Time().UTC().Format("15:04:05.000000000")
	if v.Logical > 0 {
		return fmt.Sprintf("%s+%d@%s", ts, v.Logical, w)
	}
	return ts + "@" + w
}

// MarshalText makes a Version print as its String in JSON and other text
// encodings.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// maxVersion returns the newer of a and b.
func maxVersion(a, b Version) Version {
	if b.Newer(a) {
		return b
	}
	return a
}
