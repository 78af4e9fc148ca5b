package cluster

import (
	"fmt"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// EventKind tags an Event, for colouring and filtering.
type EventKind string

// Event kinds.
const (
	EventJoined   EventKind = "joined"   // a node joined the ring
	EventLeft     EventKind = "left"     // a node left gracefully
	EventPred     EventKind = "pred"     // a node's predecessor changed
	EventSucc     EventKind = "succ"     // a node's successor changed
	EventFailure  EventKind = "failure"  // a node detected that a peer failed
	EventKeys     EventKind = "keys"     // keys moved between nodes
	EventLookup   EventKind = "lookup"   // a node ran a lookup
	EventFault    EventKind = "fault"    // the user injected a fault ("kill n5")
	EventStable   EventKind = "stable"   // the ring became stable
	EventUnstable EventKind = "unstable" // stability was lost without a fault
	EventOther    EventKind = "event"    // a chord event with no kind of its own here
)

// Event is one line of the cluster's event log: a chord event translated to
// node names, or a cluster action ("kill n5"). Delivered without blocking.
type Event struct {
	Time time.Time
	// Node is the name of the node concerned ("" for cluster-wide events).
	Node string
	Kind EventKind
	// Text is the full sentence shown in the log.
	Text string
}

// Events returns the cluster's event stream: chord events with node names
// and the cluster's own actions. It is closed by Close. Events are dropped,
// never queued without bound, when nobody reads (Snapshot.EventsDropped
// counts them).
func (c *Cluster) Events() <-chan Event { return c.events }

// emit delivers e without blocking; it is dropped when the buffer is full
// or the cluster is closed.
func (c *Cluster) emit(e Event) {
	c.evMu.Lock()
	defer c.evMu.Unlock()
	if c.evClosed {
		return
	}
	select {
	case c.events <- e:
	default:
		c.evDropped.Add(1)
	}
}

// translateEvents turns chord events into cluster events. It exits when
// Close closes c.stop.
func (c *Cluster) translateEvents() {
	defer c.wg.Done()
	for {
		select {
		case <-c.stop:
			return
		case e := <-c.chordEvents:
			c.emit(c.translate(e))
		}
	}
}

// translate names the nodes of a chord event and words it for the log.
func (c *Cluster) translate(e chord.Event) Event {
	c.mu.RLock()
	name := c.nameOfLocked(e.Node.Addr)
	detail := e.Detail
	if detail != "" {
		detail = c.replacerLocked().Replace(detail)
	}
	old, nw := "nil", "nil"
	if !e.Old.IsZero() {
		old = c.nameOfLocked(e.Old.Addr)
	}
	if !e.New.IsZero() {
		nw = c.nameOfLocked(e.New.Addr)
	}
	c.mu.RUnlock()
	out := Event{Time: e.Time, Node: name}
	if out.Time.IsZero() {
		out.Time = time.Now()
	}
	switch e.Kind {
	case chord.EventJoined:
		out.Kind, out.Text = EventJoined, name+" joined the ring"
	case chord.EventLeft:
		out.Kind, out.Text = EventLeft, name+" left the ring"
	case chord.EventPredecessorChanged:
		out.Kind, out.Text = EventPred, fmt.Sprintf("%s: predecessor %s → %s", name, old, nw)
	case chord.EventSuccessorChanged:
		out.Kind, out.Text = EventSucc, fmt.Sprintf("%s: successor %s → %s", name, old, nw)
	case chord.EventFailureDetected:
		out.Kind, out.Text = EventFailure, fmt.Sprintf("%s: detected failure of %s", name, old)
	case chord.EventKeysMoved:
		out.Kind, out.Text = EventKeys, name+": keys moved"
	case chord.EventLookup:
		out.Kind, out.Text = EventLookup, name+": lookup"
	default:
		out.Kind, out.Text = EventOther, fmt.Sprintf("%s: %v", name, e.Kind)
	}
	if detail != "" {
		if e.Kind == chord.EventKeysMoved || e.Kind == chord.EventLookup {
			out.Text = name + ": " + detail
		} else {
			out.Text += " (" + detail + ")"
		}
	}
	return out
}
