package chord

import "slices"

// UnifyHintsForTest returns every address ring unification (unify.go) may
// still use to find n's way back to another ring: the nodes remembered as
// lost, the neighbours of n's last stabilize round (whose vanishing makes
// them lost) and the peers that have answered n (a small ring probes
// them). Tests use it to tell a ring that could merge again from nodes
// that know nothing of each other.
func (n *Node) UnifyHintsForTest() []string {
	n.mu.Lock()
	var out []string
	for _, l := range n.lost {
		out = append(out, l.ref.Addr)
	}
	for _, r := range n.peers.neighbours {
		out = append(out, r.Addr)
	}
	n.mu.Unlock()
	n.peers.mu.RLock()
	for addr, p := range n.peers.m {
		if p.met.Load() {
			out = append(out, addr)
		}
	}
	n.peers.mu.RUnlock()
	slices.Sort(out)
	return slices.Compact(out)
}
