package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
	"github.com/chordtui/chordtui/dht/resp"
)

// member is one node of the cluster across its incarnations: the name,
// address and identifier stay; transport, node, store and driver are
// replaced on revive and nil while the node is down or has left.
type member struct {
	name string
	addr string
	id   chord.ID
	// incarnation counts starts (1 for the first).
	incarnation int
	// rounds counts the current incarnation's maintenance rounds (nil
	// before its first start). Replaced, never changed, on revive.
	rounds *roundCounts

	// Guarded by Cluster.mu.
	state State
	tr    Transport
	node  *chord.Node
	store *dht.Store
	drv   *chord.Driver
	// remote is set for a ring member this cluster did not start
	// (remote.go): node, store and driver are nil, its state is observed.
	remote *remote
	// host is the real node this identity runs on (vnodes.go); nil
	// without virtual nodes.
	host *vhost
	// Faults the user set on this node.
	delay       time.Duration
	drop        float64
	partitioned bool
}

// Cluster is N chord+dht nodes in one process, each with its own transport
// on a shared Network (netmux over TCP on 127.0.0.1 by default). It is safe
// for concurrent use: the TUI calls Snapshot from its render loop while
// commands run. The package doc describes its goroutines and locks.
type Cluster struct {
	log *slog.Logger
	net Network

	// opMu serialises control operations (kill, revive, add, leave, pause,
	// partition, maintenance, config) so that two never interleave. It is
	// taken before mu, never while holding it.
	opMu sync.Mutex

	// forming: a large ring is forming in Start, whose drivers skip their
	// own rounds but stabilize (Cluster.tasks, joinInWaves).
	forming atomic.Bool
	// fixing: Start is fixing the fingers of a settled ring, and the
	// drivers skip their stabilize rounds too (Cluster.fixFingers).
	fixing atomic.Bool

	mu          sync.RWMutex // guards the fields below and every member's mutable fields
	cfg         Config
	members     []*member
	hosts       []*vhost // the real nodes with virtual nodes (Config.VNodes > 1), in name order
	rng         *rand.Rand
	origin      string
	maintPaused bool
	partitioned bool     // a partition is in force (member.partitioned: side B)
	sideB       []string // the names partition cut off, as given (nil without a partition)
	lastFault   string
	lastFaultAt time.Time               // when lastFault took effect
	lostAt      time.Time               // when stability was lost without a new fault; zero otherwise
	busy        string                  // the fault being applied; nothing is judged until it took effect
	gen         uint64                  // bumped when a fault begins and ends; a stale monitor result is discarded
	sides       map[string]*sideVerdict // the monitor's verdict per side ("" without a partition)
	stable      bool                    // every side with a live node confirmed stable
	convergedIn time.Duration
	unstableWhy string
	closed      bool

	// Step mode: steps counts Step and StepMaintenance calls; stepsAtFault
	// and stepsAtLost are the count when lastFault took effect and when
	// stability was lost without a fault; pausedAt is when maintenance was
	// paused (zero while it runs). A ring that converged with maintenance
	// paused throughout is measured in steps: convergedSteps, inSteps.
	steps          uint64
	stepsAtFault   uint64
	stepsAtLost    uint64
	pausedAt       time.Time
	convergedSteps int
	inSteps        bool

	// evalMu serialises evaluations (the monitor's, Wait's and
	// StepMaintenance's), which move the side verdicts on.
	evalMu sync.Mutex
	// placed memoizes the key-placement verdict per side (under evalMu).
	placed map[string]*placedMemo

	chordEvents chan chord.Event
	evMu        sync.Mutex // guards sending on and closing events
	events      chan Event
	evClosed    bool
	evDropped   atomic.Uint64
	ignored     atomic.Bool                   // IgnoreEvents: nobody reads events
	ordered     orderedEvents                 // the cluster's own events, in line with the nodes' (events.go)
	merges      merges                        // merges after heal already logged (events.go)
	names       atomic.Pointer[namedReplacer] // see replacerLocked

	resp    *resp.Server // the RESP endpoint (nil: none); guarded by mu
	respVia string       // the member it was told to go through ("": the default origin)

	keyMu       sync.Mutex // guards the Snapshot.KeyIDs cache
	keyIDsCache []chord.ID
	keyIDsAt    time.Time

	wlMu sync.Mutex   // guards wl
	wl   *workloadRun // the workload running, nil for none (workload.go)

	dfs *dfsLayer // the file system on the ring (dfs.go); guarded by mu

	// The ring members this cluster did not start (remote.go); guarded by
	// mu. remoteGen counts changes of the list; client observes them.
	remotes   []*remote
	idsTaken  map[chord.ID]bool // identifiers a join found taken (rechooseIDLocked)
	remoteGen uint64
	client    *Client

	wake chan struct{} // a fault tells the monitor to evaluate at the fast pace
	stop chan struct{}
	wg   sync.WaitGroup
}

// liveLocked returns the members that are alive (answering), in name
// order. Caller holds mu.
func (c *Cluster) liveLocked() []*member {
	var out []*member
	for _, m := range c.members {
		if m.state == StateAlive && m.node != nil {
			out = append(out, m)
		}
	}
	return out
}

// Closed reports whether Close has been called.
func (c *Cluster) Closed() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.closed
}

// Close stops every node and goroutine of the cluster and closes Events.
// It is safe to call more than once.
func (c *Cluster) Close() error {
	c.stopDFS() // while every node still runs: it commits open files
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.busy = "close" // nothing is judged while the nodes go
	c.gen++
	ms := append([]*member(nil), c.members...)
	c.mu.Unlock()
	// The endpoint goes first: its clients are cut off, not answered by
	// nodes that are stopping.
	var errs []error
	if err := c.closeRESP(); err != nil {
		errs = append(errs, fmt.Errorf("resp: %w", err))
	}
	c.emitOrdered(Event{Time: time.Now(), Kind: EventFault, Text: "close: every node stops"})
	// Every node stops before any transport closes, so that no node reports
	// another's shutdown as a failure.
	for _, m := range ms {
		c.mu.RLock()
		node := m.node
		c.mu.RUnlock()
		if node != nil {
			node.Stop()
		}
	}
	// Every driver stops before any transport closes too: a closing
	// transport tells the others' watchers, and drivers still running
	// would be woken N times each (N² wake-ups; seconds at 1024 nodes).
	trs := make([]Transport, len(ms))
	for i, m := range ms {
		c.mu.Lock()
		drv, tr := m.drv, m.tr
		m.drv, m.tr, m.node, m.store = nil, nil, nil, nil
		c.mu.Unlock()
		if drv != nil {
			drv.Stop()
		}
		trs[i] = tr
	}
	for i, tr := range trs {
		if tr != nil {
			if err := tr.Close(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", ms[i].name, err))
			}
		}
	}
	// Every node is stopped: what they said is in chordEvents, and the
	// translator emits it before it exits.
	close(c.stop)
	c.wg.Wait()
	if c.client != nil {
		if err := c.client.Close(); err != nil {
			errs = append(errs, fmt.Errorf("observer client: %w", err))
		}
	}
	c.evMu.Lock()
	c.evClosed = true
	close(c.events)
	c.evMu.Unlock()
	return errors.Join(errs...)
}
