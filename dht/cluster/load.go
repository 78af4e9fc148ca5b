package cluster

import (
	"encoding/json"
	"math"
	"slices"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// Load: what each node stores and serves, so that a hot spot shows. Keys
// come from each store's counts; requests (gets and sets a node answered:
// as the owner or a stand-in, a read of its copy, a write pushed to it as
// a replica) from dht.Store.Load; routing (lookup steps a node answered
// for other nodes) from chord.Node.RoutingLoad. Requests and routing are
// counted in total and over a sliding window (chord.LoadConfig.Window, 10 s
// by default).

// NodeLoad is one node's load: its keys, and the requests and lookup
// steps it served, in total and per second over the load window.
type NodeLoad struct {
	Name  string `json:"name"`
	State State  `json:"state"`
	// Owned counts the live keys in the node's range, Replicas the other
	// live keys it holds, Bytes every key and value it holds.
	Owned    int   `json:"owned"`
	Replicas int   `json:"replicas"`
	Bytes    int64 `json:"bytes"`
	// Gets and Sets count the reads and writes it answered since it
	// started (this incarnation); Requests is their sum.
	Gets     uint64 `json:"gets"`
	Sets     uint64 `json:"sets"`
	Requests uint64 `json:"requests"`
	// RequestRate is requests per second over the load window.
	RequestRate float64 `json:"requests_per_s"`
	// Routing counts the lookup steps it answered for other nodes since
	// it started; RoutingRate is per second over the load window.
	Routing     uint64  `json:"routing"`
	RoutingRate float64 `json:"routing_per_s"`
}

// LoadStats sums up one load over the live nodes: mean, maximum (and the
// node that has it), the maximum in means, and the 1st and 99th
// percentiles (the values at ranks ⌊n/100⌋ and ⌊99n/100⌋ of the sorted
// loads, as the Chord paper's figures read: below 100 nodes they are the
// minimum and the maximum).
type LoadStats struct {
	Nodes       int     `json:"nodes"`
	Mean        float64 `json:"mean"`
	Max         float64 `json:"max"`
	MaxNode     string  `json:"max_node,omitempty"`
	MaxOverMean float64 `json:"max_over_mean"`
	P1          float64 `json:"p1"`
	P99         float64 `json:"p99"`
}

// Spread sums up vals, one per node (names[i] names vals[i]); the zero
// LoadStats for none. MaxOverMean is 0 when the mean is.
func Spread(vals []float64, names []string) LoadStats {
	n := len(vals)
	if n == 0 {
		return LoadStats{}
	}
	s := LoadStats{Nodes: n, Max: math.Inf(-1)}
	sum := 0.0
	for i, v := range vals {
		sum += v
		if v > s.Max {
			s.Max = v
			if i < len(names) {
				s.MaxNode = names[i]
			}
		}
	}
	s.Mean = sum / float64(n)
	if s.Mean > 0 {
		s.MaxOverMean = s.Max / s.Mean
	}
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	s.P1 = sorted[min(n/100, n-1)]
	s.P99 = sorted[min(n*99/100, n-1)]
	return s
}

// LoadView is every node's load and the spread of each over the live
// nodes: keys owned, requests per second and routing steps per second
// over the load window.
type LoadView struct {
	// Window is the load window (JSON: window_s).
	Window time.Duration `json:"-"`
	// Nodes in name order, including down and left ones (with zero load).
	Nodes    []NodeLoad `json:"nodes"`
	Keys     LoadStats  `json:"keys"`
	Requests LoadStats  `json:"requests"`
	Routing  LoadStats  `json:"routing"`
}

// MarshalJSON adds window_s.
func (v LoadView) MarshalJSON() ([]byte, error) {
	type plain LoadView
	return json.Marshal(struct {
		Window float64 `json:"window_s"`
		plain
	}{v.Window.Seconds(), plain(v)})
}

// loadLocked reads m's load now (zero while it is down or has left); k
// are its store's counts. Caller holds mu.
func loadLocked(m *member, k dht.Counts, now time.Time) NodeLoad {
	l := NodeLoad{Name: m.name, State: m.state}
	if m.node == nil || m.store == nil {
		return l
	}
	l.Owned, l.Replicas, l.Bytes = k.Owned, k.Replicas, k.Bytes
	rq := m.store.Load(now)
	l.Gets, l.Sets = rq.Gets.Total, rq.Sets.Total
	req := rq.Requests()
	l.Requests, l.RequestRate = req.Total, req.Rate()
	rt := m.node.RoutingLoad(now)
	l.Routing, l.RoutingRate = rt.Total, rt.Rate()
	return l
}

// Load returns every node's load and its spread over the live nodes; with
// virtual nodes, every real node's, summed over its identities.
func (c *Cluster) Load() LoadView {
	now := time.Now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	v := LoadView{Window: c.loadWindowLocked(), Nodes: make([]NodeLoad, 0, len(c.members))}
	if c.vnodes() {
		v.Nodes = c.hostLoadsLocked(now)
	} else {
		for _, m := range c.members {
			var k dht.Counts
			if m.store != nil {
				k = m.store.Counts()
			}
			v.Nodes = append(v.Nodes, loadLocked(m, k, now))
		}
	}
	var names []string
	var keys, reqs, routing []float64
	for _, l := range v.Nodes {
		if l.State != StateAlive {
			continue
		}
		names = append(names, l.Name)
		keys = append(keys, float64(l.Owned))
		reqs = append(reqs, l.RequestRate)
		routing = append(routing, l.RoutingRate)
	}
	v.Keys, v.Requests, v.Routing = Spread(keys, names), Spread(reqs, names), Spread(routing, names)
	return v
}

// loadWindowLocked is the nodes' load window. Caller holds mu.
func (c *Cluster) loadWindowLocked() time.Duration {
	if w := c.cfg.Chord.Load.Window; w > 0 {
		return w
	}
	return chord.DefaultLoadWindow
}
