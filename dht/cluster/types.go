package cluster

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// The types a cluster's observers read. The result types carry JSON tags
// (and a MarshalJSON where a unit goes into the name, like rtt_us): the
// command language's --json output is these types, marshalled.

// State is a node's lifecycle state as the user sees it.
type State string

// Node states.
const (
	StateAlive  State = "alive"
	StateDown   State = "down"   // crashed (kill)
	StatePaused State = "paused" // sockets open, never answers
	StateLeft   State = "left"   // left gracefully
)

// RingID is an identifier together with the ring's size, so that it prints
// (and marshals to JSON) as the right number of hex digits.
type RingID struct {
	ID   chord.ID
	Bits int
}

// Hex is every digit of the identifier.
func (r RingID) Hex() string { return r.ID.Hex(r.Bits) }

// Short is the identifier's first digits, as tables show it.
func (r RingID) Short() string { return r.ID.Short(r.Bits) }

// Fraction is the identifier's position on the ring, in [0, 1).
func (r RingID) Fraction() float64 { return r.ID.Fraction(r.Bits) }

func (r RingID) String() string { return r.Hex() }

// MarshalText writes the hex digits.
func (r RingID) MarshalText() ([]byte, error) { return []byte(r.Hex()), nil }

// Peer names a node in a result: its name, identifier and address. The
// zero Peer is "no node" (a nil pointer). In JSON a Peer is its name
// ("nil" for none).
type Peer struct {
	Name string
	ID   RingID
	Addr string
}

// IsZero reports whether p names no node.
func (p Peer) IsZero() bool { return p.Addr == "" }

// String is the node's name, "nil" for none.
func (p Peer) String() string {
	if p.IsZero() {
		return "nil"
	}
	return p.Name
}

// MarshalText writes the name.
func (p Peer) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Version is a key's version as results show it: the hybrid logical clock
// reading at which the key's owner versioned the write (physical time,
// then a counter among writes of the same nanosecond) and that owner's
// name. Versions order writes: a write acknowledged after another one
// completed has a later version (see package dht). Compare them with
// Compare, not ==.
type Version struct {
	// Time is the physical part, in UTC to the nanosecond.
	Time time.Time `json:"time"`
	// Logical orders writes versioned in the same nanosecond.
	Logical uint32 `json:"logical"`
	// Writer is the name of the node that assigned the version.
	Writer string `json:"writer"`

	raw dht.Version
}

// NewVersion returns the version writer assigned at t (logical orders
// writes of the same nanosecond), for programs and tests that build
// results themselves. Versions from the cluster also order by writer ID.
func NewVersion(t time.Time, logical uint32, writer string) Version {
	return Version{Time: t.UTC(), Logical: logical, Writer: writer, raw: dht.Version{Wall: t.UnixNano(), Logical: logical}}
}

// IsZero reports whether v is no version at all (nothing was written).
func (v Version) IsZero() bool { return v.raw.IsZero() }

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than o.
func (v Version) Compare(o Version) int { return v.raw.Compare(o.raw) }

// String prints the version as "03:56:32.512847@n14" (UTC, to the
// microsecond), with "+L" after the time when the logical counter is set;
// "none" for the zero version. JSON carries the full time.
func (v Version) String() string {
	if v.IsZero() {
		return "none"
	}
	return v.Clock() + "@" + v.Writer
}

// Clock prints the version's clock reading without the writer:
// "03:56:32.512847", or "03:56:32.512847+1" with a logical counter.
func (v Version) Clock() string {
	if v.IsZero() {
		return "none"
	}
	s := v.Time.Format("15:04:05.000000")
	if v.Logical > 0 {
		s += "+" + strconv.FormatUint(uint64(v.Logical), 10)
	}
	return s
}

// RPCStats are one node's transport counters.
type RPCStats struct {
	Calls, Errors, Served uint64
	BytesIn, BytesOut     uint64
	P50, P99              time.Duration
	// AuthRefused counts connections refused for the cluster key (netmux.Stats).
	AuthRefused uint64
	// Dials counts connections the node opened; Evicted, idle ones it
	// closed to stay within its session cap (netmux.Stats).
	Dials, Evicted uint64
}

// NodeSnapshot is a copy of one node's state at Snapshot time.
type NodeSnapshot struct {
	// Name is n0, n1, … in start order.
	Name  string
	State State
	Addr  string
	ID    chord.ID
	// Chord is the node's routing state (zero value when down or left).
	Chord chord.Status
	// Keys are the node's key counts (zero when down or left).
	Keys dht.Counts
	// Load is what the node stored and served (load.go).
	Load NodeLoad
	RPC  RPCStats
	// Faults set on this node by the user.
	Delay       time.Duration
	DropPercent float64
	Partitioned bool
	// Incarnation counts the node's starts: 1 for the first, +1 per revive.
	Incarnation int
	// Host names the real node this identity runs on with virtual nodes
	// (n3 for n3.2); "" without them.
	Host string
	// Remote: a ring member this cluster did not start, known through the
	// protocol (its state as it last answered).
	Remote bool
	// Side is the node's side of the partition in force: "A" (the nodes
	// not named by partition, and nodes added since) or "B" (the nodes
	// named); "" when there is no partition. Letters, so that it reads
	// without colour.
	Side string
}

// Snapshot is a consistent-enough copy of the whole cluster for observers.
type Snapshot struct {
	Taken             time.Time
	Bits, R, Replicas int
	// Nodes in name order, including down and left ones.
	Nodes []NodeSnapshot
	// Health is the verdict in one place: stable or not and why, the
	// partition's sides, the violation count and a one-line Summary.
	// Stable, ConvergedIn, UnstableReason and Violations below say the
	// same things.
	Health Health
	// Stable: ideal ring, fingers correct, every key at r copies, and
	// confirmed by a round of every maintenance task (see Health).
	Stable bool
	// LastFault describes the last disturbance ("kill n5", "start"), at LastFaultAt.
	LastFault   string
	LastFaultAt time.Time
	// ConvergedIn is how long it took after LastFault took effect until the
	// stable condition first held (valid when Stable; see Health).
	ConvergedIn time.Duration
	// Violations of invariants 1–8 right now, each side of a partition
	// checked as its own ring, in words with node names (Check's list);
	// len(Violations) = Health.Violations. A ring of r or fewer live nodes
	// cannot have r+1 principals: that is Health.Note, not a violation.
	Violations []Violation
	// MaintenancePaused is true while the drivers are paused (step mode).
	MaintenancePaused bool
	// KeyIDs are the identifiers of stored live keys (for ring ticks).
	KeyIDs []chord.ID
	// Origin is the name of the default origin member ("random" picks it).
	Origin string
	// UnstableReason says what keeps the ring from being stable ("" when
	// Stable), e.g. "not yet the ideal ring: 3f (n16)'s predecessor is nil
	// but …", "confirming: n3 has not yet run a check_predecessor round
	// since the ring became ideal" or "kill n3 in progress" (Health.Reason).
	UnstableReason string
	// EventsDropped counts events not delivered because nobody read Events
	// fast enough.
	EventsDropped uint64
	// LoadWindow is the window NodeSnapshot.Load's rates are counted over.
	LoadWindow time.Duration
	// Workload is the running workload's progress, nil when none runs.
	Workload *WorkloadProgress
	// RESP is the Redis-protocol endpoint: where it listens, the node its
	// commands go through, clients, requests and errors (in all and in the
	// last second); nil when the cluster runs none.
	RESP *RESPStatus
}

// Names maps every node's address to its name, for labelling NodeRefs.
func (s Snapshot) Names() map[string]string {
	out := make(map[string]string, len(s.Nodes))
	for _, n := range s.Nodes {
		out[n.Addr] = n.Name
	}
	return out
}

// Hop is one call a lookup made. The origin is hop 0 and makes every
// call, or in a recursive lookup the first; LookupResult.Path[i] is hop
// i+1 (docs/chord.md, "hop numbering").
type Hop struct {
	// Node, ID and Addr name the node called.
	Node string `json:"node"`
	ID   RingID `json:"id"`
	Addr string `json:"addr"`
	// From names the node whose routing entry chose Node: the origin for
	// its own tables, else the node whose answer named it ("" for the
	// address a join was given). A ring draws the hop from From to Node.
	From string `json:"from"`
	// Via names the routing entry of From that chose the node
	// ("finger[5]", "successor[0]", …); Reason says why in words.
	Via    string `json:"via"`
	Reason string `json:"reason"`
	// Ping: the call asked the owner whether it is alive, not for a step.
	Ping bool `json:"ping,omitempty"`
	// Err is non-empty when the node did not answer; Timeout when it did
	// not answer in time.
	Err     string `json:"error,omitempty"`
	Timeout bool   `json:"timeout,omitempty"`
	// Cached: the node answered a get from its read cache, ending the
	// lookup (caching along lookup paths, docs/load.md).
	Cached bool `json:"cached,omitempty"`
	// RTT is how long the call took (JSON: rtt_us).
	RTT time.Duration `json:"-"`
}

// Answered reports whether the node answered.
func (h Hop) Answered() bool { return h.Err == "" }

// MarshalJSON adds rtt_us.
func (h Hop) MarshalJSON() ([]byte, error) {
	type plain Hop
	return json.Marshal(struct {
		plain
		RTT int64 `json:"rtt_us"`
	}{plain(h), h.RTT.Microseconds()})
}

// LookupResult is an iterative lookup of a key: who owns it and every call
// made on the way. Its numbering (docs/chord.md): the origin, Via, is hop
// 0; Path lists every call in order, answered or failed, so Path[i] is hop
// i+1; Hops counts the calls that answered and Timeouts those that failed,
// so len(Path) = Hops + Timeouts. An owner taken without a call is no row:
// OwnerCheck says how its liveness was established.
type LookupResult struct {
	Key string `json:"key"`
	// ID is the key's identifier.
	ID    RingID `json:"id"`
	Owner Peer   `json:"owner"`
	// Hops counts the calls that answered (the owner's ping included);
	// Timeouts the calls that failed: timed out, refused, or reached a
	// node no longer a member.
	Hops     int   `json:"hops"`
	Timeouts int   `json:"timeouts"`
	Path     []Hop `json:"path"`
	// OwnerCheck says how Owner was found live: origin, answered, pinged,
	// vouched, heard or trusted (chord.OwnerCheck; zero when the lookup
	// failed).
	OwnerCheck chord.OwnerCheck `json:"owner_check,omitempty"`
	// OwnerNamedBy names the node whose routing entry named Owner, OwnerVia
	// that entry and OwnerReason why it owns the key (and, without a call,
	// how its liveness was established).
	OwnerNamedBy string `json:"owner_named_by,omitempty"`
	OwnerVia     string `json:"owner_via,omitempty"`
	OwnerReason  string `json:"owner_reason,omitempty"`
	// OwnerHeardAgo is, for vouched and heard, how long before it was named
	// the owner had last answered the node vouching for it (JSON:
	// owner_heard_ago_us, present for those two).
	OwnerHeardAgo time.Duration `json:"-"`
	// Via is the node the lookup started at: the origin, hop 0.
	Via string `json:"via"`
	// Recursive: each node forwarded the lookup to the next, and every hop
	// was called by its From; otherwise the origin made every call.
	Recursive bool `json:"recursive"`
	// Took is the lookup's wall time (JSON: took_us).
	Took time.Duration `json:"-"`
}

// MarshalJSON adds took_us and owner_heard_ago_us.
func (r LookupResult) MarshalJSON() ([]byte, error) {
	type plain LookupResult
	var heard *int64
	if r.OwnerCheck == chord.OwnerVouched || r.OwnerCheck == chord.OwnerHeard {
		us := r.OwnerHeardAgo.Microseconds()
		heard = &us
	}
	return json.Marshal(struct {
		plain
		Heard *int64 `json:"owner_heard_ago_us,omitempty"`
		Took  int64  `json:"took_us"`
	}{plain(r), heard, r.Took.Microseconds()})
}

// Failed returns the calls of the path that failed, in order.
func (r LookupResult) Failed() []Hop {
	var out []Hop
	for _, h := range r.Path {
		if !h.Answered() {
			out = append(out, h)
		}
	}
	return out
}

// GetResult is the answer to Get.
type GetResult struct {
	Key   string `json:"key"`
	Found bool   `json:"found"`
	// Value and Version are the key's when Found (JSON: value is null and
	// version absent when not found).
	Value   string  `json:"-"`
	Version Version `json:"-"`
	// Owner is the node that answered.
	Owner Peer `json:"owner"`
	// Hops and Timeouts: as in LookupResult, of Lookup.
	Hops     int    `json:"hops"`
	Timeouts int    `json:"timeouts"`
	Via      string `json:"via"`
	// Cached: Via answered from its read cache under Owner's lease, with
	// no lookup and no holder asked (dht.GetResult.Cached).
	Cached bool `json:"cached,omitempty"`
	// CachedAt names the node whose cache answered: Via, or a hop of
	// Lookup's path (its last row, marked Cached).
	CachedAt string `json:"cached_at,omitempty"`
	// Lookup is the lookup that found the owner, for drawing its path.
	Lookup LookupResult `json:"-"`
}

// MarshalJSON adds value and version, and the path of the lookup that
// found the owner (as lookup's; none for a get its origin's cache answered).
func (r GetResult) MarshalJSON() ([]byte, error) {
	type plain GetResult
	out := struct {
		plain
		Value   *string  `json:"value"`
		Version *Version `json:"version,omitempty"`
		Path    []Hop    `json:"path,omitempty"`
	}{plain: plain(r), Path: r.Lookup.Path}
	if r.Found {
		out.Value, out.Version = &r.Value, &r.Version
	}
	return json.Marshal(out)
}

// WriteResult is the answer to Set and Del.
type WriteResult struct {
	Key string `json:"key"`
	// Owner is the node that assigned Version.
	Owner   Peer    `json:"owner"`
	Version Version `json:"version"`
	// Existed is set by Del only: whether the key was stored (and not
	// deleted) when the delete was issued, as a read through the same
	// origin found it just before. A tombstone is written either way.
	Existed *bool `json:"existed,omitempty"`
	// Hops and Timeouts: as in LookupResult, of Lookup.
	Hops     int    `json:"hops"`
	Timeouts int    `json:"timeouts"`
	Via      string `json:"via"`
	// Lookup is the lookup that found the owner, for drawing its path.
	Lookup LookupResult `json:"-"`
}

// NodeRow is one node in NodesView.
type NodeRow struct {
	Name  string `json:"name"`
	ID    RingID `json:"id"`
	Addr  string `json:"addr"`
	State State  `json:"state"`
	// Keys is Owned + Replicas.
	Keys     int `json:"keys"`
	Owned    int `json:"owned"`
	Replicas int `json:"replicas"`
	// Joined: the node is in a ring now, so Pred and Succ mean something
	// (JSON: "-" when not).
	Joined bool `json:"-"`
	Pred   Peer `json:"-"`
	Succ   Peer `json:"-"`
	// RingPosition is ID as a fraction of the ring, in [0, 1).
	RingPosition float64 `json:"ring_position"`
	// Faults lists the faults set on the node ("delay 20ms", "drop 5%",
	// "partitioned").
	Faults []string `json:"faults,omitempty"`
	// Side: as in NodeSnapshot ("" when there is no partition).
	Side string `json:"side,omitempty"`
	// Remote: a ring member this cluster did not start (its state as it
	// last answered the observer command).
	Remote bool `json:"remote,omitempty"`
	// Identities counts a real node's Chord identities with virtual nodes
	// (0 without): its keys are summed over them, and ID is its first
	// identity's.
	Identities int `json:"identities,omitempty"`
}

// MarshalJSON adds pred and succ.
func (r NodeRow) MarshalJSON() ([]byte, error) {
	type plain NodeRow
	pred, succ := "-", "-"
	if r.Joined {
		pred, succ = r.Pred.String(), r.Succ.String()
	}
	return json.Marshal(struct {
		plain
		Pred string `json:"pred"`
		Succ string `json:"succ"`
	}{plain(r), pred, succ})
}

// NodesView lists every node.
type NodesView struct {
	// Nodes in name order, including down and left ones.
	Nodes  []NodeRow `json:"nodes"`
	Stable bool      `json:"stable"`
	// Partitioned: a partition is in force (NodeRow.Side says who is where).
	Partitioned bool   `json:"partitioned"`
	Origin      string `json:"origin"`
	// Summary is Health.Summary: the verdict in one line.
	Summary string `json:"summary"`
	// LastFault and ConvergedIn: as in Snapshot.
	LastFault   string        `json:"-"`
	ConvergedIn time.Duration `json:"-"`
}

// Routing is a running node's routing state in NodeDetail.
type Routing struct {
	Pred       Peer   `json:"pred"`
	Successors []Peer `json:"successors"`
	// Fingers is the finger table collapsed to runs of fingers that point
	// at the same node; FingerTable is every finger as the paper draws it
	// (k, start, interval, node).
	Fingers     []FingerRun   `json:"fingers"`
	FingerTable []FingerEntry `json:"finger_table"`
	Lookups     uint64        `json:"lookups"`
	Rounds      uint64        `json:"rounds"`
	// Routed lists, with adaptive routing, the fingers that lookups are
	// routed around their busy node (chord.Status.Routes).
	Routed []RoutedFinger `json:"routed,omitempty"`
}

// RoutedFinger is finger K (1-based) of the paper, pointing at Node, that
// adaptive routing sends lookups through Via instead.
type RoutedFinger struct {
	K    int  `json:"k"`
	Node Peer `json:"node"`
	Via  Peer `json:"via"`
}

// NodeDetail is one node in full.
type NodeDetail struct {
	Name        string `json:"name"`
	ID          RingID `json:"id"`
	Addr        string `json:"addr"`
	State       State  `json:"state"`
	Incarnation int    `json:"incarnation"`
	// Routing is nil while the node is down, has left or has not joined
	// (JSON: its fields, when present, sit beside the others).
	Routing    *Routing `json:"-"`
	Owned      int      `json:"owned"`
	Replicas   int      `json:"replicas"`
	Tombstones int      `json:"tombstones"`
	Bytes      int64    `json:"bytes"`
	// Faults: as in NodeRow.
	Faults []string `json:"faults,omitempty"`
	// Identities lists a real node's Chord identities with virtual nodes
	// (nil without, and for one identity): its keys are summed over them,
	// and ID is its first identity's.
	Identities []NodeRow `json:"identities,omitempty"`
}

// MarshalJSON puts Routing's fields beside the others.
func (d NodeDetail) MarshalJSON() ([]byte, error) {
	type plain NodeDetail
	return json.Marshal(struct {
		plain
		*Routing
	}{plain(d), d.Routing})
}

// KeyEntry is one key a node stores.
type KeyEntry struct {
	Key     string  `json:"key"`
	ID      RingID  `json:"id"`
	Version Version `json:"version"`
	// Owned: the key is in (predecessor, self]; else the node holds a replica.
	Owned   bool `json:"owned"`
	Deleted bool `json:"deleted"`
	// Size is len(key) + len(value).
	Size int `json:"size"`
	// MergedOver is the version this copy replaced in a merge after a
	// partition healed (a write of the other side, lost to this one), if
	// it came from one.
	MergedOver *Version `json:"merged_over,omitempty"`
	// Node names the identity holding it, in the keys of a real node with
	// virtual nodes ("" otherwise).
	Node string `json:"node,omitempty"`
}

// KeyList is the keys one node stores, sorted by identifier.
type KeyList struct {
	Node string `json:"node"`
	// Running is false when the node is down or has left (Keys is empty).
	Running bool       `json:"-"`
	Keys    []KeyEntry `json:"keys"`
}

// NodeStats is one node's counters in StatsView.
type NodeStats struct {
	Name           string `json:"name"`
	State          State  `json:"state"`
	Calls          uint64 `json:"calls"`
	Errors         uint64 `json:"errors"`
	Served         uint64 `json:"served"`
	BytesIn        uint64 `json:"bytes_in"`
	BytesOut       uint64 `json:"bytes_out"`
	Lookups        uint64 `json:"lookups"`
	LookupFailures uint64 `json:"lookup_failures"`
	Rounds         uint64 `json:"rounds"`
	// AuthRefused counts connections refused for the cluster key.
	AuthRefused uint64 `json:"auth_refused"`
	// Dials counts connections the node opened; Evicted, idle ones it
	// closed to stay within its session cap.
	Dials   uint64 `json:"dials"`
	Evicted uint64 `json:"evicted"`
	// P50 and P99 of outgoing call latency (JSON: p50_us, p99_us).
	P50 time.Duration `json:"-"`
	P99 time.Duration `json:"-"`
}

// MarshalJSON adds p50_us and p99_us.
func (s NodeStats) MarshalJSON() ([]byte, error) {
	type plain NodeStats
	return json.Marshal(struct {
		plain
		P50 int64 `json:"p50_us"`
		P99 int64 `json:"p99_us"`
	}{plain(s), s.P50.Microseconds(), s.P99.Microseconds()})
}

// StatsView is every node's counters and their totals.
type StatsView struct {
	Nodes    []NodeStats `json:"nodes"`
	Calls    uint64      `json:"calls"`
	Errors   uint64      `json:"errors"`
	Served   uint64      `json:"served"`
	BytesIn  uint64      `json:"bytes_in"`
	BytesOut uint64      `json:"bytes_out"`
	Lookups  uint64      `json:"lookups"`
	// AuthRefused counts connections refused for the cluster key.
	AuthRefused uint64 `json:"auth_refused"`
	// Dials and Evicted: as in NodeStats, over every node.
	Dials   uint64 `json:"dials"`
	Evicted uint64 `json:"evicted"`
	// EventsDropped: as in Snapshot.
	EventsDropped uint64 `json:"events_dropped"`
}

// Violation is one broken invariant, naming nodes by name. In JSON it is
// its String.
type Violation struct {
	// Invariant names it, e.g. "OrderedRing".
	Invariant string
	// Node is the node whose state breaks it ("" if global).
	Node string
	// Nodes names every node the message names, Node first: the nodes to
	// point at when showing it.
	Nodes   []string
	Message string
	// Side is the side of the partition it was found on ("" when there is
	// no partition).
	Side string
}

func (v Violation) String() string {
	side := ""
	if v.Side != "" {
		side = "side " + v.Side + ": "
	}
	if v.Node == "" {
		return side + v.Invariant + ": " + v.Message
	}
	return side + v.Invariant + " at " + v.Node + ": " + v.Message
}

// MarshalText writes String.
func (v Violation) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// CheckResult is the invariants checked over the live nodes now: over the
// whole ring, or over each side of a partition as a ring of its own.
type CheckResult struct {
	// Violations is empty when every invariant holds.
	Violations []Violation `json:"violations"`
	// Live is how many nodes were checked.
	Live int `json:"live"`
	// Partitioned: a partition is in force and Sides lists each side's
	// outcome (Side.Violations counts its share of Violations).
	Partitioned bool   `json:"partitioned"`
	Sides       []Side `json:"sides,omitempty"`
	// Note says what cannot hold in a ring of r or fewer live nodes (see
	// Health.Note); "" otherwise. Under a partition each side has its own.
	Note string `json:"note,omitempty"`
}

// OK reports whether every invariant holds.
func (r CheckResult) OK() bool { return len(r.Violations) == 0 }

// WaitResult is the answer to Wait.
type WaitResult struct {
	// ConvergedIn is how long the ring took to become stable after the
	// fault After took effect, to the first moment the stable condition
	// held (JSON: seconds). Under a partition: the slowest side's.
	ConvergedIn time.Duration `json:"-"`
	// InSteps and ConvergedSteps: as in Health (JSON: steps, present only
	// with InSteps).
	InSteps        bool   `json:"-"`
	ConvergedSteps int    `json:"-"`
	After          string `json:"after"`
	// Waited is how long Wait waited (JSON: waited, in seconds).
	Waited time.Duration `json:"-"`
	// Partitioned: a partition is in force; each of Sides is stable on its
	// own.
	Partitioned bool   `json:"partitioned"`
	Sides       []Side `json:"sides,omitempty"`
	// Note: as in Health.
	Note string `json:"note,omitempty"`
	// StableAgain: as in Health (ConvergedIn is then measured from when
	// stability was lost without a new fault).
	StableAgain bool `json:"stable_again,omitempty"`
}

// MarshalJSON adds seconds, steps (with InSteps) and waited.
func (r WaitResult) MarshalJSON() ([]byte, error) {
	type plain WaitResult
	return json.Marshal(struct {
		Seconds float64 `json:"seconds"`
		Steps   *int    `json:"steps,omitempty"`
		plain
		Waited float64 `json:"waited"`
	}{r.ConvergedIn.Seconds(), stepsJSON(r.InSteps, r.ConvergedSteps), plain(r), r.Waited.Seconds()})
}

// marshalWith marshals v, a struct, with one more field.
func marshalWith(v any, key string, val any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	extra, err := json.Marshal(map[string]any{key: val})
	if err != nil {
		return nil, err
	}
	if string(raw) == "{}" {
		return extra, nil
	}
	return append(append(raw[:len(raw)-1], ','), extra[1:]...), nil
}
