// Package chord is the Chord overlay of chordtui: m-bit identifiers, a
// successor list of length r, a finger table of m entries, iterative lookups
// that return their path, maintenance rounds, a command registry for upper
// layers, and Zave's invariant checker.
//
// # Protocol
//
// The operations follow Stoica et al., "Chord: A Scalable Peer-to-peer Lookup
// Protocol for Internet Applications" (IEEE/ACM ToN 2003, Fig. 6) with the
// corrections of Zave, "Reasoning about identifier spaces: How to make Chord
// correct" (TSE 2017):
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
//   - Node.Leave tells the predecessor and successor (ToN §IV-E.3).
//
// Successor lists are kept in ring order from their owner and stop before
// the list would wrap past it, so a ring of N ≤ r nodes has lists of N-1
// entries and a one-node ring lists itself.
//
// Zave's proofs assume a perfect failure detector. A call that is refused,
// finds its connection closed or reaches a node that left is a certain
// failure, acted on at once; a call that times out may only be slow (a
// paused or CPU-starved process), so stabilize, check_predecessor and
// rectify keep such a neighbour until Config.SuspectTimeouts timeouts in a
// row (suspect.go). Beyond Zave's model, a node also remembers the nodes it
// lost and probes them (ring unification, unify.go), so a ring split by a
// partition merges again after it heals.
//
// # Lookups
//
// Node.Lookup is iterative from the asking node. Each step asks a node for
// either the owner ("the key lies between me and one of my successors") or
// its nodes closest preceding the key; a node that does not answer is
// skipped for the next-best candidate. Every step is recorded in the
// LookupResult's Path with the routing entry used and why, in words. The
// owner returned has been heard from: it answered during the lookup, or
// answers a ping, or (Config.LivenessWindow) answered the node that named
// it, or the asker, that recently over a connection still open
// (ConnectionReporter): the owner's predecessor hears from it every
// stabilize round, so on a settled ring a lookup needs no ping at all, and
// a crash that closed the connection is noticed at once. Node.LookupWith with
// LookupOptions.TrustOwner skips that ping for callers that call the owner
// next and fall back when it fails. Lookups make at most
// Config.MaxLookupSteps calls.
//
// # Running it
//
// A Node runs no goroutines: a Driver runs NodeTasks on jittered timers and
// can be paused and stepped; tests call the round methods directly. A Node
// talks through a Transport: netmux over TCP in chordtui, chordtest.Network
// in memory for deterministic tests. Events (joined, left, pointer changes,
// failures, lookups) go to Config.Events without ever blocking the protocol.
package chord
