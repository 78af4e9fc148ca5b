package dht

import (
	"fmt"
	"strings"

	"github.com/chordtui/chordtui/chord"
)

// Version orders the writes of one key. Versions compare lexicographically:
// first Counter, then Writer (the identifier of the owner that assigned it),
// so two different writes never compare equal and every node that sees the
// same two records keeps the same one.
//
// Counter is a Lamport clock kept per store: an owner assigns
// max(every counter it has seen, for any key) + 1, and every record a store
// receives advances its clock. The zero Version means "no record".
type Version struct {
	Counter uint64
	Writer  chord.ID
}

// IsZero reports whether v is the zero Version (no record).
func (v Version) IsZero() bool { return v.Counter == 0 && v.Writer == (chord.ID{}) }

// Compare returns -1, 0 or +1 as v is older than, equal to, or newer than o.
func (v Version) Compare(o Version) int {
	switch {
	case v.Counter < o.Counter:
		return -1
	case v.Counter > o.Counter:
		return 1
	}
	return v.Writer.Cmp(o.Writer)
}

// Newer reports whether v is strictly newer than o.
func (v Version) Newer(o Version) bool { return v.Compare(o) > 0 }

// String prints the version as "counter@writer", the writer ID cut to its
// first six significant hex digits.
func (v Version) String() string {
	w := strings.TrimLeft(v.Writer.Hex(chord.MaxBits), "0")
	if len(w) > 6 {
		w = w[:6]
	}
	if w == "" {
		w = "0"
	}
	return fmt.Sprintf("%d@%s", v.Counter, w)
}
