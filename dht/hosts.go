package dht

import "github.com/chordtui/chordtui/chord"

// Virtual nodes: with Config.Host set, several nodes of the ring run on one
// real node, and a key's r holders are the owner and the next nodes on r-1
// other real nodes, so that one real node's crash never takes two copies.
// Without it every node is a real node of its own, and the functions below
// are the plain successor-list ones.

// host names the real node addr runs on.
func (s *Store) host(addr string) string {
	if s.cfg.Host == nil {
		return addr
	}
	return s.cfg.Host(addr)
}

// holders returns the nodes of list that may hold copies of a key owned by
// owner, in order: each node once, none on owner's real node, and one per
// real node. Without Config.Host it is distinctExcept(list, owner).
func (s *Store) holders(list []chord.NodeRef, owner chord.NodeRef) []chord.NodeRef {
	if s.cfg.Host == nil {
		return distinctExcept(list, owner)
	}
	seen := map[string]bool{s.host(owner.Addr): true}
	var out []chord.NodeRef
	for _, r := range list {
		if r.IsZero() || seen[s.host(r.Addr)] {
			continue
		}
		seen[s.host(r.Addr)] = true
		out = append(out, r)
	}
	return out
}

// hostHeld reports, with Config.Host, that one of holders runs on this
// node's real node and lies between the key (at id) and this node: that
// one holds the key's copy for the real node, so this node is no holder
// however the lists it was told lag behind. Always false without Host.
func (s *Store) hostHeld(id chord.ID, holders []chord.NodeRef) bool {
	if s.cfg.Host == nil {
		return false
	}
	mine := s.host(s.self.Addr)
	for _, h := range holders {
		if s.host(h.Addr) == mine && chord.BetweenRightIncl(id, h.ID, s.self.ID) {
			return true
		}
	}
	return false
}
