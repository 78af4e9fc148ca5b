// Package cluster runs N Chord+DHT nodes in one process and lets a program
// watch and break them: it is what `chordtui` (the TUI), `chordtui repl` and
// `chordtui bench` drive.
//
// # What a cluster is
//
// Start launches Config.Nodes nodes named n0, n1, … in start order (or,
// with Config.Names = NamesID, N8 for the node at identifier 8). Each
// node is a chord.Node with a dht.Store on top, its own Transport, and a
// chord.Driver that runs its maintenance rounds (stabilize, fix_fingers,
// check_predecessor, key repair) on tickers. n0 creates the ring; the
// others join in waves (start.go). The transports come from a Network
// (network.go): netmux over TCP on 127.0.0.1 by default, one listener per
// node, or NewMemNetwork's in-memory network for tests where sockets are
// not the point. chord only sees chord.Transport; the cluster keeps the
// rest (crash, close, connection state, counters) and the Network's fault
// table (pause, partition, delay, drop) for itself.
//
// # The API
//
//   - Faults and control (faults.go): Kill, Revive (ReviveNode), Add
//     (AddNodes), Leave, Pause, Resume, Partition, Heal, SetDelay, SetDrop,
//     PauseMaintenance, ResumeMaintenance, StepMaintenance.
//   - Step mode (step.go, caption.go): Step runs one maintenance task on
//     one node or on every live node and returns a StepReport: each
//     round's calls, a caption in plain words, and every pointer and key
//     it changed, measured around the round.
//   - Lecture mode (lecture.go): LectureConfig (a 6-bit ring, slow
//     rounds, the paper's ten nodes), Config.IDs, Config.Names, decimal
//     identifiers for m ≤ DecimalBits (RingID.Label), and the finger
//     table as the paper draws it (NodeDetail's Routing.FingerTable).
//   - Data (ops.go): Get, Set, Del, Lookup, each started at a node ("via")
//     or at the default origin (origin.go: Origin, SetOrigin, PickOrigin).
//   - Files (dfs.go): the file system on the ring (package dfs): FS for a
//     FUSE mount, PutFile, CatFile, ListFiles, MakeDir, RemoveFile,
//     StatFile and WhereFile for the commands, CollectGarbage, NoteFiles.
//   - Reading (views.go): Snapshot for observers that draw everything,
//     and typed views with JSON tags for the rest: Nodes, Node, Keys,
//     Stats, Check, Health, Wait. The command language's --json output is
//     these types, marshalled.
//   - The verdict (health.go): Health and Side, the one place that says
//     whether the ring is stable, how a partition splits it, how many
//     invariants are violated, and what a small ring cannot promise.
//   - Events (events.go): a lossy stream of chord events with node names
//     and the cluster's own actions, in order, each also logged.
//   - Config (config.go): DefaultConfig, ConfigFor(n), and the tunables
//     changed live with SetTunable.
//   - The Redis-protocol endpoint (resp.go): with Config.RESP.Addr set,
//     Start serves package github.com/chordtui/chordtui/dht/resp there,
//     every command going through RESP.Via (default: the default origin;
//     while that node is not alive, the default origin or the first live
//     member). RESP and Snapshot.RESP report where it listens, the node
//     serving, clients, requests and errors.
//   - Across processes (assemble.go, standalone.go, observe.go, remote.go,
//     remote_ops.go): one node's assembly, shared with StartStandalone
//     (a node alone in its process: chordtui node); the observer, keys,
//     admin and op commands every node serves; the remote members (the
//     ring's nodes this cluster did not start, found through the observer
//     client and judged with its own); Config.Join (the nodes join an
//     existing ring) and Config.Attach (no node: every member remote).
//
// Methods take NODE arguments as a name (n3, N8), an identifier (a hex
// prefix; in decimal when m ≤ DecimalBits) or an address (names.go) and
// return errors wrapping the sentinels in errors.go
// (ErrUnknownNode, ErrNodeState, …), worded for the user.
//
// # Goroutines and their exits
//
// Besides each node's driver and transport, the cluster runs four
// goroutines: translateEvents (events.go) turns chord events into Events,
// monitor (monitor.go) evaluates the stable condition, discover
// (remote.go, over netmux) refreshes the remote members, and dfsLoop
// (dfs.go) commits the file system's long-open files and collects its
// garbage (with a helper that cancels its round when it is stopped); with
// a RESP endpoint, also the endpoint's (package resp: an accept loop and
// one per client). Close first stops dfsLoop and closes the file system
// (committing open files, waiting for its transfers) while the nodes still
// run; then it closes the endpoint (its clients are cut off, and it waits
// for its goroutines); then it stops every node (so none reports another's
// shutdown as a failure), then every driver and transport, then closes the
// stop channel: the translator emits what is still buffered and exits, the
// monitor and discover exit, Close waits for them, closes the observer
// client and closes Events. Nothing runs
// after Close returns.
//
// # Locks
//
// opMu serialises control operations so that two faults never interleave
// (a revive cannot race a kill of the same node); it is taken first and
// held across network calls. mu (a RWMutex) guards the member table, each
// member's state, transport, node, store, driver and faults, the current
// Config, the origin and the monitor's verdict; it is never held across a
// network call or a wait. evalMu serialises evaluations of the stable
// condition (taken before mu). evMu guards sending on and closing Events;
// ordered.mu the queue of the cluster's own events; keyMu the cached key
// identifiers of Snapshot.
//
// # Events in order
//
// Nodes send their events to one buffered channel; the cluster's own
// events (a fault, "stable", a new ring) are queued and a marker is sent
// on the same channel, so each is emitted after every node event sent
// before it. Kill stops the node (chord.Node.Stop: it emits nothing more)
// before its "kill" line is queued, so nothing a crashed incarnation said
// follows its crash, and nothing of it at all comes between "kill" and
// "revive". Every event is logged to Config.Logger as it is emitted.
//
// # How "stable" is judged
//
// A fault is applied between beginFault and end (faults.go). In between,
// nothing is judged: Stable is false with the reason "kill n3 in
// progress", and the monitor emits nothing. end records the fault at the
// moment it took effect (the new node has joined; the crashed node's
// transport is closed and its peers saw it), bumps a generation number so
// that an evaluation started before is discarded, and wakes the monitor.
//
// The monitor evaluates, every MonitorInterval while not stable
// (StableMonitorInterval while stable, at once after a fault), the stable
// condition on each side: the live nodes (alive: not down, left or
// paused) have all joined, form the ideal ring with correct fingers
// (chord.CheckIdeal), and every live key is held by exactly its owner and
// the next r−1 live nodes, at one version; a key whose newest copy is
// younger than a write's deadline (RPCTimeout × (r+1)) may be in the
// middle of a write, as the stores are read one after another, and need
// only be on those nodes (keysPlaced). Without a partition there is
// one side, the whole ring; under one, side A (the nodes partition did not
// name) and side B (those it named) are each checked on their own.
//
// The condition holding once is not enough: a delay or a drop leaves every
// pointer as it was, and a join is only finished when its neighbours have
// stabilised around it. A side is stable once the condition has held at
// every evaluation since the first one that found it (heldSince), and
// every live node of the side has completed a round of each maintenance
// task (stabilize, fix_fingers, check_predecessor, dht repair) that began
// after it, none of whose calls timed out: each incarnation's driver
// counts its rounds (roundCounts), and a round during which the node's
// chord.Node.MaintenanceTimeouts moved kept a neighbour as maybe only
// slow and confirms nothing (a drop or delay that makes every call to a
// node time out is never confirmed: its neighbours drop it in the end).
// Wait judges the ring afresh before it answers: a stable ring is judged
// only every StableMonitorInterval.
// With maintenance paused the rounds only run when stepped, so a ring is
// "confirming" until maintenance step; StepMaintenance evaluates before
// and after its round, and Wait fails at once rather than wait for a step.
// A side whose condition fails starts over. ConvergedIn is heldSince minus
// the fault's time — the first moment the condition held, not the
// confirmation — so it measures what the ring took to repair itself. Step
// and StepMaintenance each count as a step; when maintenance was paused
// from the fault until heldSince, only steps moved the ring on, and the
// verdict counts them instead (Health.InSteps, ConvergedSteps: "converged
// after 7 steps"). The
// cluster is stable when every side with a live node is; losing that
// without a new fault emits "no longer stable", naming any fault still in
// force (a delay, a drop, a pause, a partition) or saying none is.
//
// Check is a separate, instant check of Zave's invariants 1–8 over each
// side's live nodes (docs/chord.md explains them); Snapshot.Violations is
// the same list and Health.Violations its length. In a ring (or side) of
// r or fewer live nodes invariant 8 cannot hold: it is reported as a note,
// "ring of 2 (< r+1 = 5): not guaranteed to survive failures", not as a
// violation, everywhere alike.
//
// # Where to look next
//
// The command language over this API is package
// github.com/chordtui/chordtui/dht/cluster/command. The protocol is in
// package chord (docs/chord.md), the key-value layer in package dht, the
// TCP transport in package netmux, the in-memory one in chord/chordtest.
package cluster
