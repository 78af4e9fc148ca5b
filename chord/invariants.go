package chord

// CheckInvariants checks Zave's invariants 1–8 (chord-correctness.md) over the
// statuses of the live nodes: a pointer to a node absent from sts is dead.
func CheckInvariants(sts []Status) []Violation { return nil }

// CheckIdeal checks the quiescent "ideal ring": every live node is a ring
// member, succ(a) = b exactly when pred(b) = a, succList[i] is the (i+1)-th
// live successor, and (if fingers) every finger is the true successor of its start.
func CheckIdeal(sts []Status, fingers bool) []Violation { return nil }
