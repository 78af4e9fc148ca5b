package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
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
	EventUnstable EventKind = "unstable" // stability was lost without a new fault
	EventNewRing  EventKind = "new ring" // revive or add started a new ring: no live node to join through
	EventMerge    EventKind = "merge"    // after a partition healed, one side's write replaced the other's
	EventOther    EventKind = "event"    // a chord event with no kind of its own here
)

// Event is one line of the cluster's event log: a chord event translated to
// node names, or a cluster action ("kill n5"). Delivered without blocking.
type Event struct {
	Time time.Time
	// Node is the name of the node concerned ("" for cluster-wide events).
	Node string
	Kind EventKind
	// Text is the event in one line of plain words, naming nodes by name.
	Text string
	// Detail is the rest of the account when it says more than Text
	// (the error a failed call returned, say); "" otherwise.
	Detail string
}

// Events returns the cluster's event stream: chord events with node names
// and the cluster's own actions, in the order they happened: every event
// of a node precedes the "kill" that crashed it, and nothing of a crashed
// or departed incarnation follows. It is closed by Close. Events are
// dropped, never queued without bound, when nobody reads
// (Snapshot.EventsDropped counts them). Every event is also logged to
// Config.Logger at level Info, delivered or not.
func (c *Cluster) Events() <-chan Event { return c.events }

// IgnoreEvents tells the cluster that nobody reads Events: from then on an
// event is worded only for Config.Logger, and not at all when the logger
// leaves level Info out. A command that shows no events calls it, so that a
// ring under load (an event per lookup) does not word thousands of lines a
// second for nobody. Events still closes on Close.
func (c *Cluster) IgnoreEvents() { c.ignored.Store(true) }

// emit logs e and delivers it without blocking; it is dropped when the
// buffer is full or the cluster is closed. Only translateEvents calls it,
// so that events leave in the order they entered.
func (c *Cluster) emit(e Event) {
	if e.Detail != "" {
		c.log.Info(e.Text, "event", string(e.Kind), "node", e.Node, "detail", e.Detail)
	} else {
		c.log.Info(e.Text, "event", string(e.Kind), "node", e.Node)
	}
	c.evMu.Lock()
	defer c.evMu.Unlock()
	if c.evClosed || c.ignored.Load() {
		return
	}
	select {
	case c.events <- e:
	default:
		c.evDropped.Add(1)
	}
}

// orderedEvents holds the cluster's own events (faults, stable, …) until
// translateEvents reaches their marker in the nodes' event channel, so
// that each one follows every node event sent before it.
type orderedEvents struct {
	mu sync.Mutex
	q  []Event
}

// markerKind tags the marker of an ordered event in the channel the nodes
// send their events to; no chord event has a negative kind.
const markerKind chord.EventKind = -1

// emitOrdered queues e behind every node event sent so far: e is emitted
// once translateEvents has emitted those. The node a fault stops is
// stopped before its fault's event is queued, so nothing it said can
// follow the fault. It blocks only while the channel is full (the
// translator drains it) and gives up when the cluster closes.
func (c *Cluster) emitOrdered(e Event) {
	c.ordered.mu.Lock()
	c.ordered.q = append(c.ordered.q, e)
	c.ordered.mu.Unlock()
	// Each marker releases the oldest queued event: events queued before
	// this one left at earlier markers, and this one leaves no earlier
	// than its own marker would let it, after everything sent before it
	// was queued.
	select {
	case c.chordEvents <- chord.Event{Kind: markerKind}:
	case <-c.stop:
	}
}

// translateEvents turns chord events into cluster events and releases the
// ordered ones at their markers. When Close closes c.stop (every node is
// stopped by then) it emits what is still buffered, so that the log gets
// every line, and exits.
func (c *Cluster) translateEvents() {
	defer c.wg.Done()
	for {
		select {
		case <-c.stop:
			for {
				select {
				case e := <-c.chordEvents:
					c.handle(e)
				default:
					return
				}
			}
		case e := <-c.chordEvents:
			c.handle(e)
		}
	}
}

// handle emits one item of chordEvents: a node's event, or the next
// ordered event at its marker.
func (c *Cluster) handle(e chord.Event) {
	if e.Kind != markerKind {
		if c.ignored.Load() && !c.log.Enabled(context.Background(), slog.LevelInfo) {
			return // nobody would read it (IgnoreEvents)
		}
		c.emit(c.translate(e))
		return
	}
	c.ordered.mu.Lock()
	var next Event
	ok := len(c.ordered.q) > 0
	if ok {
		next = c.ordered.q[0]
		c.ordered.q = c.ordered.q[1:]
	}
	c.ordered.mu.Unlock()
	if ok {
		c.emit(next)
	}
}

// translate names the nodes of a chord event and words it for the log: one
// line in plain words that names nodes by name (Text), and the rest of
// chord's account, such as the error a failed call returned, in Detail
// when it says more than Text.
func (c *Cluster) translate(e chord.Event) Event {
	c.mu.RLock()
	name := c.nameOfLocked(e.Node.Addr)
	detail := e.Detail
	if detail != "" {
		detail = plainNames(c.replacerLocked().Replace(detail))
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
	out.Kind, out.Text, out.Detail = eventText(e, name, old, nw, detail)
	return out
}

// eventText words a chord event at node name, whose pointer went from old
// to nw (names, "nil" for none), with chord's detail (names only): the
// kind, the line, and the detail when it says more than the line.
func eventText(e chord.Event, name, old, nw, detail string) (EventKind, string, string) {
	switch e.Kind {
	case chord.EventJoined:
		if e.New == e.Node {
			return EventJoined, name + " joined the ring: it created a new one", ""
		}
		text := name + " joined the ring"
		if via, _, ok := strings.Cut(strings.TrimPrefix(detail, "joined via "), ";"); ok && strings.HasPrefix(detail, "joined via ") {
			text += " through " + via
		}
		return EventJoined, text + "; its successor is " + nw, ""
	case chord.EventLeft:
		return EventLeft, name + " left the ring", ""
	case chord.EventPredecessorChanged:
		text := fmt.Sprintf("%s: predecessor %s → %s", name, old, nw)
		switch {
		case strings.HasPrefix(detail, "alone in the ring"):
			return EventPred, text + " (alone in the ring)", ""
		case strings.HasSuffix(detail, "(notified)"):
			return EventPred, text + " (" + nw + " notified it)", ""
		case strings.HasSuffix(detail, " cleared"):
			return EventPred, text + " (cleared)", ""
		case strings.HasSuffix(detail, " left"):
			return EventPred, text + " (" + strings.TrimSuffix(strings.TrimPrefix(detail, "predecessor "), " left") + " left)", ""
		}
		return EventPred, text, extra(detail, "predecessor "+old+" → "+nw)
	case chord.EventSuccessorChanged:
		text := fmt.Sprintf("%s: successor %s → %s", name, old, nw)
		plain := "successor " + old + " → " + nw
		switch {
		case detail == plain || detail == "":
			return EventSucc, text, ""
		case strings.HasPrefix(detail, plain+": "):
			return EventSucc, text + ", " + strings.TrimPrefix(detail, plain+": "), ""
		case strings.HasSuffix(detail, " left") && strings.HasPrefix(detail, "successor "):
			return EventSucc, text + " (" + strings.TrimSuffix(strings.TrimPrefix(detail, "successor "), " left") + " left)", ""
		}
		return EventSucc, text, detail
	case chord.EventFailureDetected:
		// "successor N56 did not answer stabilize: <error>", "predecessor
		// N1 did not answer", "leaving: successor N8 did not answer: …".
		d := detail
		leaving := strings.HasPrefix(d, "leaving: ")
		d = strings.TrimPrefix(d, "leaving: ")
		role, rest, _ := strings.Cut(d, " ")
		_, rest, _ = strings.Cut(rest, " ") // the node, named in the line
		what, why, _ := strings.Cut(rest, ": ")
		who := name
		if leaving {
			who += " (leaving)"
		}
		if (role == "successor" || role == "predecessor") && strings.HasPrefix(what, "did not answer") {
			text := fmt.Sprintf("%s: detected failure of %s, its %s", who, old, role)
			if how := strings.TrimSpace(strings.TrimPrefix(what, "did not answer")); how != "" {
				text += " (no answer to " + how + ")"
			}
			return EventFailure, text, why
		}
		return EventFailure, fmt.Sprintf("%s: detected failure of %s", who, old), detail
	case chord.EventSuspected:
		// "successor N14 timed out (1 of 3 in a row before it counts as
		// failed): kept" reads whole.
		if detail == "" {
			return EventOther, fmt.Sprintf("%s: %s timed out, kept", name, old), ""
		}
		return EventOther, name + ": " + detail, ""
	case chord.EventKeysMoved:
		// "3 keys copied to N14 by N1 (repair)" names its node already.
		if detail == "" {
			return EventKeys, name + ": keys moved", ""
		}
		if !mentionsName(detail, name) {
			return EventKeys, name + ": " + detail, ""
		}
		return EventKeys, detail, ""
	case chord.EventLookup:
		if detail == "" {
			return EventLookup, name + ": lookup", ""
		}
		return EventLookup, name + ": " + detail, ""
	}
	return EventOther, fmt.Sprintf("%s: %v", name, e.Kind), detail
}

// extra is detail unless it only repeats plain.
func extra(detail, plain string) string {
	if detail == plain {
		return ""
	}
	return detail
}

// idLabelRE matches chord's label of a node once its address is a name:
// "3fa2c1 (n3)", "8 (n3)".
var idLabelRE = regexp.MustCompile(`\b[0-9a-f]{1,40} \(([A-Za-z][A-Za-z0-9_-]*)\)`)

// plainNames writes chord's node labels as names only: "3fa2c1 (n3)" → "n3".
func plainNames(s string) string { return idLabelRE.ReplaceAllString(s, "$1") }

// mentionsName reports whether s names node as a whole word.
func mentionsName(s, node string) bool {
	for i := strings.Index(s, node); i >= 0; {
		end := i + len(node)
		before := i == 0 || !isNameByte(s[i-1])
		after := end == len(s) || !isNameByte(s[end])
		if before && after {
			return true
		}
		j := strings.Index(s[i+1:], node)
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

func isNameByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// merges remembers the merges already reported: every holder whose copy a
// merge replaced reports it, and the log wants it once.
type merges struct {
	mu   sync.Mutex
	seen map[mergeKey]bool
	fifo []mergeKey
}

type mergeKey struct {
	key            string
	kept, replaced dht.Version
}

// maxMergesSeen bounds the merges remembered for de-duplication.
const maxMergesSeen = 1024

// onMerge is every store's dht.Config.OnMerge: it logs a merge after heal
// once, as "k: merge after heal kept version X from n5 over version Y from
// n2". It never blocks (the store calls it from a repair round).
func (c *Cluster) onMerge(mg dht.Merge) {
	k := mergeKey{mg.Key, mg.Kept, mg.Replaced}
	c.merges.mu.Lock()
	if c.merges.seen == nil {
		c.merges.seen = make(map[mergeKey]bool)
	}
	dup := c.merges.seen[k]
	if !dup {
		c.merges.seen[k] = true
		c.merges.fifo = append(c.merges.fifo, k)
		if len(c.merges.fifo) > maxMergesSeen {
			delete(c.merges.seen, c.merges.fifo[0])
			c.merges.fifo = c.merges.fifo[1:]
		}
	}
	c.merges.mu.Unlock()
	if dup {
		return
	}
	c.mu.RLock()
	kept, replaced := c.versionLocked(mg.Kept), c.versionLocked(mg.Replaced)
	node := c.nameOfLocked(mg.Node.Addr)
	c.mu.RUnlock()
	what := func(v Version, deleted bool) string {
		if deleted {
			return "the delete at " + v.Clock()
		}
		return "version " + v.Clock()
	}
	c.emit(Event{Time: mg.Time, Node: node, Kind: EventMerge,
		Text: fmt.Sprintf("%s: merge after heal kept %s from %s over %s from %s",
			QuoteKey(mg.Key), what(kept, mg.KeptDeleted), kept.Writer, what(replaced, mg.ReplacedDeleted), replaced.Writer)})
}
