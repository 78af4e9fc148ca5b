package tui

import (
	"slices"

	"github.com/chordtui/chordtui/dht/cluster"
)

// Virtual nodes: each identity of the ring belongs to a real node
// (NodeSnapshot.Host). The ring colours every identity by its real node
// (hostColors colours, cycling), draws the identities of the selected
// node's real node ◆, and the Load pane sums each real node's
// identities.

// hostColors is how many colours the real nodes cycle through.
const hostColors = 6

// hostMark marks the identities of the selected node's real node.
const hostMark = '◆'

// hostColors gives every real node a colour, by name order; nil without
// virtual nodes.
func (m *Model) hostColors() map[string]styleID {
	var out map[string]styleID
	for _, h := range m.hosts() {
		if out == nil {
			out = map[string]styleID{}
		}
		out[h] = stHost0 + styleID(len(out)%hostColors)
	}
	return out
}

// hosts lists the real nodes in name order (none without virtual nodes).
func (m *Model) hosts() []string {
	var out []string
	for i := range m.snap.Nodes {
		if h := m.snap.Nodes[i].Host; h != "" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// hostLoads sums the snapshot's identities into their real nodes, in
// name order, for the Load pane; nil without virtual nodes.
func (m *Model) hostLoads() []cluster.NodeSnapshot {
	hosts := m.hosts()
	if len(hosts) == 0 {
		return nil
	}
	out := make([]cluster.NodeSnapshot, len(hosts))
	at := map[string]int{}
	for i, h := range hosts {
		out[i] = cluster.NodeSnapshot{Name: h, Host: h, State: cluster.StateDown}
		at[h] = i
	}
	for i := range m.snap.Nodes {
		n := &m.snap.Nodes[i]
		s := &out[at[n.Host]]
		if n.State == cluster.StateAlive || s.State != cluster.StateAlive {
			s.State = n.State
		}
		s.Load.Owned += n.Load.Owned
		s.Load.Replicas += n.Load.Replicas
		s.Load.RequestRate += n.Load.RequestRate
		s.Load.RoutingRate += n.Load.RoutingRate
	}
	return out
}
