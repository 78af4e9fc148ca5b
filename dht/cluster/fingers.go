package cluster

import (
	"fmt"

	"github.com/chordtui/chordtui/chord"
)

// FingerRun is a run of consecutive finger-table entries that point at the
// same node: fingers From..To (1-based, the paper's numbering) → Node.
type FingerRun struct {
	From int `json:"from"`
	To   int `json:"to"`
	// Node is the entry's target; zero when the fingers are not yet known.
	Node chord.NodeRef `json:"-"`
	// Name is the node's name (n3), its address if unnamed, or "" if zero.
	Name string `json:"node"`
	// Bits is the ring's identifier size, for printing Node's ID.
	Bits int `json:"-"`
}

// String prints the run as "fingers 1–152 → n3 (3fa2c1)" or
// "finger 153 → n7 (9b0e44)" (the identifier in decimal when m ≤
// DecimalBits, and left out when the name is it: "fingers 1–3 → N14");
// unknown entries print as "→ (unknown)".
func (r FingerRun) String() string {
	span := fmt.Sprintf("finger %d", r.From)
	if r.To != r.From {
		span = fmt.Sprintf("fingers %d–%d", r.From, r.To)
	}
	if r.Node.IsZero() {
		return span + " → (unknown)"
	}
	id := RingID{ID: r.Node.ID, Bits: r.Bits}
	if id.Decimal() && r.Name == idName(r.Node.ID) {
		return span + " → " + r.Name
	}
	return fmt.Sprintf("%s → %s (%s)", span, r.Name, id.Label())
}

// CollapseFingers folds a node's finger table into runs of consecutive
// entries with the same target, lowest finger first. names maps addresses
// to node names (Snapshot.Names); unnamed targets show their address. The
// TUI's detail pane and Node (the "node" command) both use it.
func CollapseFingers(st chord.Status, names map[string]string) []FingerRun {
	var runs []FingerRun
	for i, f := range st.Fingers {
		if n := len(runs); n > 0 && runs[n-1].Node == f {
			runs[n-1].To = i + 1
			continue
		}
		name := ""
		if !f.IsZero() {
			name = names[f.Addr]
			if name == "" {
				name = f.Addr
			}
		}
		runs = append(runs, FingerRun{From: i + 1, To: i + 1, Node: f, Name: name, Bits: st.Bits})
	}
	return runs
}
