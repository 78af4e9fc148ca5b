// Package cluster runs N Chord+DHT nodes in one process and lets a program
// watch and break them: it is what `chordtui` (the TUI), `chordtui repl` and
// `chordtui bench` drive.
//
// # What a cluster is
//
// Start launches Config.Nodes nodes named n0, n1, … in start order. Each
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
//   - Faults and control (faults.go): Kill, Revive, Add, Leave, Pause,
//     Resume, Partition, Heal, SetDelay, SetDrop, PauseMaintenance,
//     ResumeMaintenance, StepMaintenance.
//   - Data (ops.go): Get, Set, Del, Lookup, each started at a node ("via")
//     or at the default origin (origin.go: Origin, SetOrigin, PickOrigin).
//   - Reading (views.go): Snapshot for observers that draw everything,
//     and typed views with JSON tags for the rest: Nodes, Node, Keys,
//     Stats, Check, Wait. The command language's --json output is these
//     types, marshalled.
//   - Events (events.go): a lossy stream of chord events with node names
//     and the cluster's own actions.
//   - Config (config.go): DefaultConfig, ConfigFor(n), and the tunables
//     changed live with SetTunable.
//
// Methods take NODE arguments as a name (n3), a hex ID prefix or an
// address (names.go) and return errors wrapping the sentinels in errors.go
// (ErrUnknownNode, ErrNodeState, …), worded for the user.
//
// # Goroutines and their exits
//
// Besides each node's driver and transport, the cluster runs two
// goroutines: translateEvents (events.go) turns chord events into Events,
// and monitor (monitor.go) evaluates the stable condition. Both exit when
// Close closes the stop channel; Close then stops every driver, closes
// every transport, waits for both and closes Events. Nothing runs after
// Close returns.
//
// # Locks
//
// opMu serialises control operations so that two faults never interleave
// (a revive cannot race a kill of the same node); it is taken first and
// held across network calls. mu (a RWMutex) guards the member table, each
// member's state, transport, node, store, driver and faults, the current
// Config, the origin and the monitor's verdict; it is never held across a
// network call or a wait. evMu guards sending on and closing Events; keyMu
// the cached key identifiers of Snapshot.
//
// # How "stable" is judged
//
// Every fault is recorded (recordFault) with its time and bumps a
// generation number. The monitor evaluates, every MonitorInterval while
// not stable (StableMonitorInterval while stable, and at once after a
// fault): every live node has joined; the live nodes form the ideal ring
// with correct fingers (chord.CheckIdeal); and every live key is held by
// exactly its owner and the next r−1 live nodes, all at the same version.
// The first evaluation that holds, for the current generation, sets
// stable and ConvergedIn = now − the fault's time. Wait polls that verdict.
// Check is a separate, instant check of Zave's invariants 1–8 over the
// live nodes (docs/chord.md explains them).
//
// # Where to look next
//
// The command language over this API is package
// github.com/chordtui/chordtui/dht/cluster/command. The protocol is in
// package chord (docs/chord.md), the key-value layer in package dht, the
// TCP transport in package netmux, the in-memory one in chord/chordtest.
package cluster
