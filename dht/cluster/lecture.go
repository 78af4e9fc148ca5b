package cluster

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// Lecture mode: a small ring a class can read (docs/lecture.md). Its
// pieces are ordinary settings, each usable alone: a small identifier
// space, identifiers placed by hand (Config.IDs), nodes named by their
// identifier (Config.Names), maintenance slow enough to watch, and the
// fingers fixed before Start returns (Config.SettleFingers).

// DecimalBits is the largest identifier size m whose identifiers are
// written in decimal (RingID.Label, chord.ID.Label, every text): up to
// 2^10 = 1024 points a number reads better than hex, and it is how the
// Chord papers draw their rings.
const DecimalBits = chord.DecimalBits

// NameStyle says how a cluster names its nodes.
type NameStyle string

// Name styles.
const (
	// NamesStart names nodes n0, n1, … in start order (the default).
	NamesStart NameStyle = "start"
	// NamesID names a node N followed by its identifier in decimal, N8 for
	// the node at 8, the Chord literature's convention. It needs m ≤
	// DecimalBits.
	NamesID NameStyle = "id"
)

// The lecture preset's settings (LectureConfig).
const (
	// LectureBits is m in lecture mode: a 64-point circle, as in the
	// paper's example.
	LectureBits = 6
	// LectureSeed makes every lecture run the same ring and choices.
	LectureSeed = 1
	// LectureStabilize is the stabilize period: a crashed successor is
	// noticed within about a second, slow enough to see the broken
	// pointer on screen, fast enough that a class does not wait.
	LectureStabilize = time.Second
	// LectureSlowRounds is the period of fix_fingers, check_predecessor
	// and key repair: twice stabilize's, so the successor pointers heal
	// first and the fingers and keys follow, one round at a time, in the
	// order the paper explains them.
	LectureSlowRounds = 2 * time.Second
)

// PaperIDs are the identifiers of the ten-node example ring of the Chord
// paper (m = 6): N1, N8, N14, N21, N32, N38, N42, N48, N51, N56.
var PaperIDs = []uint64{1, 8, 14, 21, 32, 38, 42, 48, 51, 56}

// LectureConfig returns the lecture preset for a ring of n nodes (n ≤ 64):
// DefaultConfig with m = LectureBits, nodes named by identifier (N8), the
// seed LectureSeed, stabilize every LectureStabilize and the other rounds
// every LectureSlowRounds, and the fingers fixed at start. With n = 10 the
// nodes sit at PaperIDs, the paper's example ring.
func LectureConfig(n int) Config {
	c := DefaultConfig()
	c.Nodes = n
	c.Chord.Bits = LectureBits
	c.Chord.StabilizeInterval = LectureStabilize
	c.Chord.FixFingersInterval = LectureSlowRounds
	c.Chord.CheckPredecessorInterval = LectureSlowRounds
	c.DHT.RepairInterval = LectureSlowRounds
	c.Chord.LivenessWindow = 2 * LectureStabilize
	c.Seed = LectureSeed
	c.Names = NamesID
	c.SettleFingers = true
	if n == len(PaperIDs) {
		c.IDs = IDsFromUint64(LectureBits, PaperIDs)
	}
	return c
}

// IDsFromUint64 converts identifiers given as numbers (--ids).
func IDsFromUint64(bits int, vs []uint64) []chord.ID {
	out := make([]chord.ID, len(vs))
	for i, v := range vs {
		out[i] = chord.IDFromUint64(bits, v)
	}
	return out
}

// validateIDs checks Config.IDs: one per node, distinct, each below 2^m.
func (c Config) validateIDs() error {
	if len(c.IDs) == 0 {
		return nil
	}
	if len(c.IDs) != c.Nodes {
		return fmt.Errorf("%d identifiers given for %d nodes: give one per node", len(c.IDs), c.Nodes)
	}
	bits := c.Chord.Bits
	seen := make(map[chord.ID]bool, len(c.IDs))
	for _, id := range c.IDs {
		if bits >= chord.MinBits && bits <= chord.MaxBits && id.Mask(bits) != id {
			return fmt.Errorf("identifier %s does not fit in m = %d bits (the ring has 2^%d points: 0 to %s)",
				decimal(id), bits, bits, decimal(chord.Distance(bits, chord.IDFromUint64(bits, 1), chord.ID{})))
		}
		if seen[id] {
			return fmt.Errorf("identifier %s is given twice: every node needs its own", decimal(id))
		}
		seen[id] = true
	}
	return nil
}

// validateNames checks Config.Names.
func (c Config) validateNames() error {
	switch c.Names {
	case "", NamesStart:
		return nil
	case NamesID:
		if c.Chord.Bits > DecimalBits {
			return fmt.Errorf("names by identifier (N8) need m ≤ %d bits, got %d", DecimalBits, c.Chord.Bits)
		}
		return nil
	}
	return fmt.Errorf("names must be %q or %q, got %q", NamesStart, NamesID, c.Names)
}

// decimal writes an identifier in decimal, whatever its size.
func decimal(id chord.ID) string {
	if id.Cmp(chord.IDFromUint64(chord.MaxBits, 1<<63)) < 0 {
		return strconv.FormatUint(id.Uint64(), 10)
	}
	return new(big.Int).SetBytes(id[:]).String()
}

// Decimal reports whether the identifier is written in decimal: m ≤
// DecimalBits.
func (r RingID) Decimal() bool { return r.Bits <= DecimalBits }

// Dec is the identifier in decimal.
func (r RingID) Dec() string { return decimal(r.ID) }

// Label is the identifier as texts show it: in decimal when m ≤
// DecimalBits ("8"), else its first hex digits (Short).
func (r RingID) Label() string { return r.ID.Label(r.Bits) }

// idName is the name NamesID gives the node at id.
func idName(id chord.ID) string { return "N" + decimal(id) }

// namingLocked is how the checker's messages name nodes in this cluster:
// by name with NamesID, with decimal identifiers when m ≤ DecimalBits,
// else chord's default (short hex and address, which violationsLocked
// turns into names). Caller holds mu.
func (c *Cluster) namingLocked() chord.Naming {
	var nm chord.Naming
	if c.cfg.Chord.Bits <= DecimalBits {
		nm.ID = decimal
	}
	if c.cfg.Names == NamesID {
		nm.Node = func(r chord.NodeRef) string { return idName(r.ID) }
	}
	return nm
}

// FingerEntry is one row of a node's finger table as the paper draws it:
// finger k points at the first node at or after start = n + 2^(k−1) (mod
// 2^m) and is the node to ask about identifiers in [start, end), where end
// is the next finger's start (n itself for the last).
type FingerEntry struct {
	// K is the finger's number, 1..m.
	K int `json:"k"`
	// Start and End bound the finger's interval [Start, End).
	Start RingID `json:"start"`
	End   RingID `json:"end"`
	// Node is the node the finger points at (zero when not yet known).
	Node Peer `json:"node"`
	// Right says Node is the true successor of Start among the live nodes
	// now (false for a stale or unknown finger).
	Right bool `json:"right"`
}

// StartText writes start: its identifier when m ≤ DecimalBits (the
// paper's tables), else "n+2^(k−1)", as the short hex labels of the low
// fingers' starts are all alike (they differ in the low bits only).
func (e FingerEntry) StartText() string {
	if e.Start.Bits <= DecimalBits {
		return e.Start.Label()
	}
	return fmt.Sprintf("n+2^%d", e.K-1)
}

// Interval writes [start, end) as StartText does (the last finger's
// end is n itself).
func (e FingerEntry) Interval() string {
	if e.Start.Bits <= DecimalBits {
		return "[" + e.Start.Label() + ", " + e.End.Label() + ")"
	}
	end := fmt.Sprintf("n+2^%d", e.K)
	if e.K == e.Start.Bits {
		end = "n"
	}
	return "[" + e.StartText() + ", " + end + ")"
}

// fingerTableLocked builds st's finger table; live lists the live
// members' identifiers in ring order, for Right. Caller holds mu.
func (c *Cluster) fingerTableLocked(st chord.Status, live []chord.ID) []FingerEntry {
	return fingerTable(st, live, c.refLocked)
}

// FingerTable is the finger table of the node named, as Node's
// Routing.FingerTable has it, from the snapshot (nil when the node is not
// in it or has no fingers): for observers that draw from snapshots.
func (s Snapshot) FingerTable(name string) []FingerEntry {
	var self *NodeSnapshot
	for i := range s.Nodes {
		if s.Nodes[i].Name == name {
			self = &s.Nodes[i]
		}
	}
	if self == nil {
		return nil
	}
	var live []chord.ID
	for _, n := range s.Nodes {
		if n.State == StateAlive && n.Side == self.Side {
			live = append(live, n.ID)
		}
	}
	slices.SortFunc(live, func(a, b chord.ID) int { return a.Cmp(b) })
	names := s.Names()
	return fingerTable(self.Chord, live, func(r chord.NodeRef) Peer {
		if r.IsZero() {
			return Peer{}
		}
		name := names[r.Addr]
		if name == "" {
			name = r.Addr
		}
		return Peer{Name: name, ID: RingID{ID: r.ID, Bits: s.Bits}, Addr: r.Addr}
	})
}

// fingerTable builds st's finger table, naming nodes with ref; live lists
// the live nodes' identifiers in ring order, for Right.
func fingerTable(st chord.Status, live []chord.ID, ref func(chord.NodeRef) Peer) []FingerEntry {
	bits := st.Bits
	out := make([]FingerEntry, len(st.Fingers))
	for k := range st.Fingers {
		start := st.Self.ID.AddPow2(bits, k)
		end := st.Self.ID
		if k+1 < bits {
			end = st.Self.ID.AddPow2(bits, k+1)
		}
		f := st.Fingers[k]
		out[k] = FingerEntry{K: k + 1, Start: RingID{ID: start, Bits: bits}, End: RingID{ID: end, Bits: bits},
			Node: ref(f), Right: !f.IsZero() && len(live) > 0 && f.ID == successorOf(live, start)}
	}
	return out
}

// sideIDsLocked lists, in ring order, the identifiers of the live
// members on m's side of any partition: the nodes m's fingers should
// point at. Caller holds mu.
func (c *Cluster) sideIDsLocked(m *member) []chord.ID {
	side := c.sideOfLocked(m)
	var ids []chord.ID
	for _, o := range append(c.liveLocked(), c.liveRemotesLocked()...) {
		if c.sideOfLocked(o) == side {
			ids = append(ids, o.id)
		}
	}
	slices.SortFunc(ids, func(a, b chord.ID) int { return a.Cmp(b) })
	return ids
}

// successorOf is the first of ids (sorted) at or after x, going round.
func successorOf(ids []chord.ID, x chord.ID) chord.ID {
	for _, id := range ids {
		if id.Cmp(x) >= 0 {
			return id
		}
	}
	if len(ids) == 0 {
		return chord.ID{}
	}
	return ids[0]
}
