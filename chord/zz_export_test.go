package chord

func (n *Node) LostForTest() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, l := range n.lost {
		out = append(out, l.ref.Addr)
	}
	return out
}
