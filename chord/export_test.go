package chord

// SetStateForTest installs routing state directly and marks the node joined.
// Benchmarks and big-ring tests use it to build an ideal ring of 10^4–10^5
// nodes without running N joins; the protocol then runs normally on it.
func (n *Node) SetStateForTest(pred NodeRef, succ, fingers []NodeRef) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.joined = true
	n.pred = pred
	n.succ = append([]NodeRef(nil), succ...)
	if fingers != nil {
		n.ownFingersLocked()
		copy(n.fingers, fingers)
	}
	n.nextFinger = 0
}

// ShortIDForTest exposes shortID to the external tests.
var ShortIDForTest = shortID

// NewLoadCounterAtForTest is NewLoadCounter starting at a given time.
var NewLoadCounterAtForTest = newLoadCounterAt

// LostForTest lists the addresses the node remembers as lost (unify.go).
func (n *Node) LostForTest() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, l := range n.lost {
		out = append(out, l.ref.Addr)
	}
	return out
}
