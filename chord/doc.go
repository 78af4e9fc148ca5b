// Package chord is the Chord overlay of chordtui: m-bit identifiers, a
// successor list of length r, a finger table of m entries, iterative and
// recursive lookups that return their path, maintenance rounds, a command registry for upper
// layers, and Zave's invariant checker.
//
// # Where to look
//
// docs/chord.md (at the repository root) explains the protocol this package
// implements, Zave's corrections, the invariants the checker reports and
// the published numbers the tests measure. In the code:
//
//   - node.go: Node, NewNode, Create, Join, Leave, Stop, Call, and the
//     handlers of incoming calls.
//   - maintenance.go: the rounds Stabilize, FixFingers, CheckPredecessor,
//     and rectify (run when a neighbour notifies); report.go: the same
//     rounds returning a RoundReport of every call they made (step mode).
//   - lookup.go: Lookup and LookupWith; types.go has LookupResult, whose
//     doc defines the hop numbering; recursive.go: the recursive style
//     (LookupOptions.Recursive).
//   - suspect.go (when a silent neighbour counts as failed) and unify.go
//     (merging rings a partition split).
//   - invariants.go: CheckInvariants, CheckIdeal (and their Named forms,
//     whose messages name nodes as a Naming says), RingMembers, Principals.
//   - driver.go: Driver runs a node's rounds on timers; transport.go:
//     Transport, what chord needs from the network.
//   - chord/chordtest: an in-memory Network with faults for tests, and
//     RunConformance for any Transport.
//
// # Protocol
//
// The operations follow Stoica et al. (IEEE/ACM ToN 2003, Fig. 6) with the
// corrections of Zave (IEEE TSE 2017):
//
//   - Node.Join looks up the joiner's successor through a member and adopts
//     it and all but the last of its successor list (Zave's join). A member
//     with the same identifier makes it fail with ErrIDCollision.
//   - Node.Stabilize walks the successor list to the first entry that
//     answers, adopts that entry's predecessor if it lies in between and
//     answers, and always notifies the head (Zave's stabilize). The
//     notification is carried by the same call, so a settled ring costs one
//     call per round.
//   - A notified node rectifies its predecessor (Zave's rectify).
//   - Node.FixFingers refreshes one finger per round (fix_fingers) and
//     fills the following fingers that share its successor;
//     Node.CheckPredecessor clears a dead predecessor (check_predecessor).
//   - Node.Leave tells the predecessor and successor (ToN §IV-E).
//
// Successor lists are kept in ring order from their owner and stop before
// the list would wrap past it, so a ring of N ≤ r nodes has lists of N-1
// entries and a one-node ring lists itself.
//
// A call that is refused, finds its connection closed or reaches a node that
// left is a certain failure, acted on at once; a call that times out may
// only be slow, so a neighbour is dropped only after Config.SuspectTimeouts
// timeouts in a row (suspect.go). A node also remembers the nodes it lost
// and probes them, so a ring split by a partition merges again after it
// heals (unify.go).
//
// # Lookups
//
// Node.Lookup is iterative from the asking node, the origin, which is hop 0
// and makes every call; with Config.RecursiveLookups (recursive.go) the
// origin makes the first call and each node called makes the next, and so
// do the node's own lookups for join, fix_fingers and unification probes. Each step asks a node for either the owner or its
// nodes closest preceding the key; a node that does not answer is skipped
// for the next-best candidate. LookupResult.Path lists every call made,
// answered or failed, with the routing entry used and why, in words; Hops
// counts the calls that answered and Timeouts those that failed. The owner
// returned has been heard from, and LookupResult.OwnerCheck says how: it
// answered during the lookup (possibly a ping, the last call), or, with
// Config.LivenessWindow, the node that named it or the origin heard from it
// recently over a connection still open. LookupOptions.TrustOwner skips that
// check for callers that call the owner next and fall back when it fails.
// Lookups make at most Config.MaxLookupSteps calls. LookupOptions.Recursive
// looks up in the paper's recursive style instead: each node on the way
// calls the next over its own finger or successor connection and the path
// comes back with the answer, read the same way (Hop.From made the call).
//
// # Running it
//
// A Node runs no goroutines: a Driver runs NodeTasks on jittered timers and
// can be paused and stepped; tests call the round methods directly. A Node
// talks through a Transport: netmux over TCP in chordtui, chordtest.Network
// in memory for deterministic tests. Events (joined, left, pointer changes,
// failures, lookups) go to Config.Events without ever blocking the protocol.
// Node.Stop ends a node for good, as a crash does: nothing it does afterwards
// emits an event or changes its state.
package chord
