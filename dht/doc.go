// Package dht is the key-value layer on a Chord ring: get, set and del
// registered as commands on chord nodes, replication on the successor list,
// and key handoff on join, graceful leave and crash.
//
// Where to look: dht.go (Store, Config, Get/Set/Del, the client side),
// handlers.go (what a node does when asked), repair.go (Repair, Leave),
// handoff.go (the join handoff, write forwarding, merges, tombstone
// lifetime), hlc.go and version.go (versions), codec.go (the wire format),
// cond.go (SetIf and DelIf, the conditional write) and reserve.go (how
// the holders check it), update.go (Update, the read-modify-write on
// SetIf), owners.go (GetDirect, a get without the lookup, to an owner
// remembered from its answer), anyread.go (ReadAny, a read from any
// one holder, for values that check themselves), batch.go (concurrent
// gets and reads to one node sent as one call) and coalesce.go (GetDirect
// gets of one key sharing one read).
//
// # Placement and writes
//
// The owner of key k is successor(HashID(bits, k)). Its holders are the
// first r ready nodes from the owner on (r = Config.Replicas, capped by the
// ring size); a node is ready once it has taken over its keys (below), so
// normally they are the owner and its next r-1 successors. A write goes
// through a lookup to the owner, which stores it and pushes it to its next
// r-1 successors at once, then to the next ones in place of those that did
// not answer or are not ready, walking on along the successor lists of the
// nodes that answer when its own list runs out. It is acknowledged only
// once r holders have it (or a newer write): a write costs the lookup and
// two rounds. A node that is not the owner by its predecessor pointer
// redirects the client toward it.
//
// When the owner does not answer, the client looks the key up again, this
// time pinging the owner (a lookup that trusts the node naming the owner
// may name one that has left). Then the first live node after the owner
// answers in its place ("forced"): a node whose redirect leads to a node
// that did not answer is that first live node. A node that answered that
// it is not ready is never a reason to force the next one (it may be ready
// a moment later, and the next one no longer a holder), and the walk along
// the nodes after a failed owner stops after r of them answered.
//
// # Versions
//
// Every record (value or tombstone) carries a Version: a hybrid logical
// clock timestamp (Wall, the writer's physical clock in Unix nanoseconds,
// and Logical, a counter) with the writer's ID as the final tie-break,
// compared in that order. Each store keeps one clock (hlc.go): a new
// version is past the physical time, past every version the store has
// seen (every record, digest and read reply is merged in), and newer than
// the owner's copy of the key. A holder applies an incoming record only if
// its version is strictly newer than its own copy, so replicas, handoffs
// and concurrent writers resolve the same way on every node. A write that
// completed before another began has the older wall time (the clocks of
// one machine), and a node that takes over keys first takes their newest
// version from the previous holders, so a later write always gets a newer
// version. A holder that already has a newer version than a write pushed
// to it keeps it: that write was under way at the same time, and the
// pushed one is acknowledged as overwritten by it at once (versioning it
// again would let a value a read has returned come back after later
// writes). A version from a clock more than Config.MaxClockSkew ahead
// moves a store's clock forward by MaxClockSkew only (with a log line), so
// one clock far ahead cannot stop versions from following physical time;
// a write over such a version still gets a newer one (its counter goes
// up).
//
// # Reads
//
// A read returns the newest of the copies of the key's r holders. After
// the lookup it takes one round: the client asks the owner and reads the
// r-1 replicas itself, at the same time, telling the owner which ones it
// reads (dht.get's Cover) so that the owner reads only those it does not.
// The client learns the replicas from its own successor list when the
// owner is in it, else from the owner's earlier answers (the owner names
// its replicas whenever the client's differ), so a wrong guess costs the
// owner's own reads, never a stale value. If a replica the client reads
// does not answer or is not ready, the client asks the owner again, which
// reads the next ready successors in its place; an owner that cannot read
// r copies answers unavailable rather than what it has. The owner's
// answer names the version of every copy it read; if some copy is behind
// the newest, the client writes the newest back to it (dht.store) before
// it returns, so that no later read returns an older value, even when the
// write that made the newest one has not finished (and never will: its
// writer crashed). A missing or deleted key is Found = false, not an
// error. Under load, the gets and reads a node sends to one node while
// two of them are in flight wait and go together, as one dht.batch call,
// when one returns (batch.go), identical requests once; each is served as
// if it came alone. GetDirect gets of a key that arrive while a read of it
// is under way share the next read, which starts after all of them arrived
// (when that read ends, or after an eighth of a call deadline; coalesce.go),
// so each still sees every write acknowledged before it.
//
// # Join: the handoff
//
// A node that joins holds none of the keys it becomes a holder of, so it
// is not ready: as a replica it refuses reads, pushes and digests
// (statusNotReady), and every caller passes it over as it would a node
// that is down; as the owner of a key it serves gets, sets and dels as a
// proxy for the r ready nodes after it, its own copy not counting, but
// only for the keys after the node the ring's successor pointers put
// right before it (ownsNow: its predecessor pointer may be missing yet, or
// skip nodes that joined before it). So reads and writes go on at the
// nodes that held the keys so far. Once its
// predecessor names it as its successor and its successor names it as its
// predecessor (then no node that joined next to it takes itself for the
// owner of its keys any more), its repair round takes over its keys
// (takeOver): from each of its first r ready successors, everything that
// node holds outside (joiner, it]. Each source registers the joiner before
// it sends the first page and, for 50 repair intervals, forwards every
// write (and read write-back) it takes in that range to it before
// acknowledging it, so nothing acknowledged while the pages travel, or
// written by an owner with an older view of the ring, is missed. Then the
// joiner is ready: it holds the newest copy any of the previous holders
// had, so the holders of every key, with it among them, still include a
// copy of every acknowledged write, however many nodes join at once. A
// joiner needs r ready sources, or all the ready nodes of the ring if its
// walk along the successor lists goes round the whole ring with every node
// answering (none in a new ring, which holds nothing). The node that
// creates a ring is ready at once if it is created before its store (New);
// otherwise it becomes ready in its first repair round by that rule.
//
// # Leave and crash
//
// A node that leaves gracefully gives every record to its successor and
// tops up the next r-1 ready successors first, so no key drops below r
// copies. After a crash, the next repair rounds push each key to the
// holders its owner's successor list now names. A node that finds it is
// no longer a holder of a key, and that every holder has its version or a
// newer one, drops its copy 4 RPC timeouts later (longer than any read
// that chose it while it was a holder), unless it lies between the key and
// the last holder (the lists it was told are behind), so every key
// returns to exactly r copies. A node that restarts after a crash starts
// empty and not ready, like a joiner.
//
// # Tombstones
//
// Del writes a tombstone: a versioned record without a value. A stale copy
// can only come back through a push of an older version, and every holder
// refuses versions older than its tombstone. Every node drops a tombstone
// once its version's wall time is Config.TombstoneTTL old (10 minutes by
// default), and takes no tombstone older than that again; such a tombstone
// still deletes an older copy it meets. The age comes from the version, not
// from when a node received it, so all copies go at about the same time and
// do not revive each other. Only a node that was paused or cut off for
// longer than TombstoneTTL while holding an older copy can bring a deleted
// key back. Memory: a tombstone costs its key plus about 100 bytes, on r
// nodes, and there are at most as many as keys deleted in the last
// TombstoneTTL.
//
// # Partitions and merges
//
// The store is available under partition (AP): each side serves reads and
// takes writes with the holders it can reach. During a partition a read
// may return an older value than one written on the other side. After the
// partition heals, repair and reads bring each key to the write with the
// highest version (last writer wins, by HLC); of two writes accepted on
// the two sides, the one with the lower version is lost. A write
// acknowledged before another began on the other side has the lower
// version as long as the clocks agree (one machine's clock, as in
// chordtui), so sequential writes never reorder. Every record carries the
// newest version its write is known to have replaced (the writer's own
// copy, raised by each holder whose copy the write replaced as it was
// written). A node whose copy is replaced, by a repair round or a read's
// write-back, with a write that is not known to have replaced it, one
// whose writer had not seen it, reports a Merge (Config.OnMerge) and marks
// the key (KeyInfo.MergedOver).
//
// # Guarantees and their limits
//
// With no partition, while fewer than r holders of a key fail (crash,
// pause longer than the RPC timeout, lost messages) between two repairs,
// the history of each key is linearizable: every read returns the last
// acknowledged write or a newer one, and never an older value than an
// earlier read returned, through joins (many at once included), graceful
// leaves, crashes, and pauses or delays shorter than the RPC timeout. This
// relies on the nodes' clocks agreeing (they read one machine's clock). A
// write that failed may or may not have taken effect. A write needs r
// ready holders it can reach: while fewer are, it fails with
// ErrUnavailable and should be retried after maintenance; so does a read
// that cannot reach r copies. Under partition, see above.
//
// # Conditional writes and reads from one holder
//
// SetIf and DelIf write only if the key's newest version is the one the
// caller read (dht.setif, cond.go and reserve.go). The node that answers
// for the key as its owner (or as the proxy or stand-in of a write) takes
// a lock on the key and reserves it at each of the key's r holders, itself
// included, as it reads their copies (dht.reserve); it compares the newest
// copy with the version expected, and writes to exactly the holders that
// reserved the key for it (dht.condstore). A holder keeps one live
// reservation per key: a conditional write that finds another one's
// reservation writes nothing (ErrConflict, to read again). A holder
// applies a conditional write only if it still holds that write's
// reservation and no copy newer than the version read; a node taking
// over the key (a joiner the holder forwards writes to) takes it on the
// same terms; and the write is acknowledged only if r holders took it
// (a reserved holder that is gone is replaced by the next ready node,
// which applies it only on those terms: a reservation and the write at
// once).
// A plain set or del that reaches a holder in between makes the
// conditional write fail with ErrUnavailable, as does any refusal after
// the owner wrote its own copy: it may or may not have taken effect, and
// is never a conflict to retry. This costs no call more than a get and a
// set (dht.reserve reads a copy as dht.read does, dht.condstore pushes it
// as dht.store does); a conditional write that fails after reserving gives
// the reservations back (dht.release). Update (update.go) is a
// read-modify-write built on it: Get, a function of the value, SetIf
// expecting the version read, and again on ErrConflict; so a change is
// never applied twice and two Updates never both apply a change made from
// the same value (the RESP endpoint's INCR). TestLinearizableIncr checks
// counters incremented this way against the fault schedules, joins,
// leaves and crashes included. ReadAny returns the first copy a check
// accepts, asking the owner, then its replicas, then Get: a block named
// by the hash of its contents needs no quorum read.
//
// # Across a change of owner
//
// Why two conditional writes A and B that expect the same version V never
// both succeed, even while two nodes each take themselves for the key's
// owner (a joiner before stabilize, an owner whose predecessor changes
// during its write, a stand-in for an owner that is paused):
//
//  1. Each is acknowledged only once every holder in the set H its owner
//     chose (the first r ready nodes from it, as it sees the ring) has
//     reserved the key for it and then applied it, or, standing in for
//     one that is gone, applied it with the same checks at once.
//  2. A node in both sets serves them one at a time: if B asks it while A
//     holds it, B writes nothing; if B asks after A was applied there, B
//     reads A's version, newer than V, and writes nothing; and a holder
//     that applied A refuses B's write (its copy is newer than the version
//     B read). So A and B both succeed only if H_A and H_B are disjoint.
//  3. They are not, or A fails. The holders are the first r ready nodes
//     from the owner; a node becomes ready only after taking the keys
//     from the r ready nodes after it (the holders so far), each of which
//     then forwards it every write in its range for 50 repair intervals;
//     a crash or a leave only removes a holder. So if no node of H_B is in
//     H_A, the nodes of H_B lie between the key and A's owner O and became
//     ready while O still took itself for the owner (O checks that again
//     right before it writes), and the one nearest O took over from O: O
//     forwards A to it as a conditional write too, which it refuses if B
//     reached it first (A then fails), and if A came first B meets A there.
//  4. A reservation lapses after r+3 RPC timeouts (the deadline a client
//     gives a conditional write), so a crashed owner's reservations block
//     the key for that long at most; an owner writes only if no more than
//     r+1 timeouts have passed since it asked for them, so its write finds
//     them still held unless a message or a node is held up longer than an
//     RPC timeout, which the guarantee above already excludes.
//
// What it cannot make safe is a partition: each side reserves and writes
// the holders it can reach, so one conditional write from the same
// version can succeed on each side (nothing at write time tells them
// apart from nodes that are down). After the partition heals the higher
// version wins and every node whose copy it replaces reports a Merge
// (above); the README says so. The same holds, as for plain writes, when
// r or more holders of the key fail between two repairs.
//
// # Repair
//
// Maintenance is explicit: Repair runs one round and Tasks hands it to a
// chord.Driver. A round (1) takes over the node's keys if it is not ready
// (and does nothing else until it is), (2) drops old tombstones, (3)
// groups the node's records by owner, (4) exchanges digests with each
// group's holders and pushes what they miss (the owner with every holder,
// a replica with the owner, any other node with every holder), and (5)
// drops copies the node no longer needs (above).
package dht
