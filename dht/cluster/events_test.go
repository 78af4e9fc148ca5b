package cluster

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// TestEventText checks every kind of chord event is worded in one line
// that names nodes once, by name, and that what chord's detail adds (the
// error of a failed call) is kept in Detail rather than lost or repeated.
func TestEventText(t *testing.T) {
	self := chord.NodeRef{ID: chord.IDFromUint64(6, 51), Addr: "a51"}
	other := chord.NodeRef{ID: chord.IDFromUint64(6, 1), Addr: "a1"}
	tests := []struct {
		name       string
		kind       chord.EventKind
		newIsSelf  bool
		old, nw    string
		detail     string // chord's detail, addresses already names
		wantKind   EventKind
		wantText   string
		wantDetail string
	}{
		{"created", chord.EventJoined, true, "nil", "N51", "created a new ring", EventJoined, "N51 joined the ring: it created a new one", ""},
		{"joined", chord.EventJoined, false, "nil", "N56", "joined via N1; successor 56 (N56)", EventJoined, "N51 joined the ring through N1; its successor is N56", ""},
		{"left", chord.EventLeft, false, "N51", "nil", "left the ring", EventLeft, "N51 left the ring", ""},
		{"successor", chord.EventSuccessorChanged, false, "N56", "N1", "successor 56 (N56) → 1 (N1)", EventSucc, "N51: successor N56 → N1", ""},
		{"successor, labels in hex", chord.EventSuccessorChanged, false, "n5", "n6", "successor 3fa2c1 (n5) → 9b0e44 (n6)", EventSucc, "N51: successor n5 → n6", ""},
		{"successor left", chord.EventSuccessorChanged, false, "N56", "N1", "successor 56 (N56) left", EventSucc, "N51: successor N56 → N1 (N56 left)", ""},
		{"successor found again", chord.EventSuccessorChanged, false, "N56", "N1", "successor 56 (N56) → 1 (N1): found again through N8 after a partition",
			EventSucc, "N51: successor N56 → N1, found again through N8 after a partition", ""},
		{"notified", chord.EventPredecessorChanged, false, "N48", "N1", "predecessor 48 (N48) → 1 (N1) (notified)", EventPred, "N51: predecessor N48 → N1 (N1 notified it)", ""},
		{"cleared", chord.EventPredecessorChanged, false, "N48", "nil", "predecessor 48 (N48) cleared", EventPred, "N51: predecessor N48 → nil (cleared)", ""},
		{"alone", chord.EventPredecessorChanged, false, "nil", "N51", "alone in the ring: predecessor is itself", EventPred, "N51: predecessor nil → N51 (alone in the ring)", ""},
		{"failed successor", chord.EventFailureDetected, false, "N56", "nil", "successor 56 (N56) did not answer stabilize: chord.state N56: connection refused",
			EventFailure, "N51: detected failure of N56, its successor (no answer to stabilize)", "chord.state N56: connection refused"},
		{"failed predecessor", chord.EventFailureDetected, false, "N48", "nil", "predecessor 48 (N48) did not answer", EventFailure, "N51: detected failure of N48, its predecessor", ""},
		{"failed while leaving", chord.EventFailureDetected, false, "N56", "nil", "leaving: successor 56 (N56) did not answer: refused",
			EventFailure, "N51 (leaving): detected failure of N56, its successor", "refused"},
		{"suspected", chord.EventSuspected, false, "N56", "nil", "successor 56 (N56) timed out (1 of 3 in a row before it counts as failed): kept",
			EventOther, "N51: successor N56 timed out (1 of 3 in a row before it counts as failed): kept", ""},
		{"keys", chord.EventKeysMoved, false, "N51", "N1", "3 keys copied to N1 by N51 (repair)", EventKeys, "3 keys copied to N1 by N51 (repair)", ""},
		{"lookup", chord.EventLookup, false, "nil", "N56", "lookup 54 → 56 (N56) in 1 hop, 0 failed calls; owner trusted", EventLookup, "N51: lookup 54 → N56 in 1 hop, 0 failed calls; owner trusted", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chord.Event{Kind: tt.kind, Node: self, New: other}
			if tt.newIsSelf {
				e.New = self
			}
			kind, text, detail := eventText(e, "N51", tt.old, tt.nw, plainNames(tt.detail))
			if kind != tt.wantKind || text != tt.wantText || detail != tt.wantDetail {
				t.Errorf("got %s %q detail %q\nwant %s %q detail %q", kind, text, detail, tt.wantKind, tt.wantText, tt.wantDetail)
			}
		})
	}
}

// TestIgnoreEvents checks that a cluster told nobody reads its events
// still logs every one (a lookup included) but delivers none on Events
// and counts none as dropped.
func TestIgnoreEvents(t *testing.T) {
	var logged lockedLines
	cfg := memConfig(4)
	cfg.Logger = slog.New(&logged)
	c := startCluster(t, cfg)
	wait(t, c)
	c.IgnoreEvents()
	for len(c.Events()) > 0 { // what was delivered before
		<-c.Events()
	}
	if _, err := c.Lookup(context.Background(), "k", "n1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logged.String(), "n1: lookup") {
		if time.Now().After(deadline) {
			t.Fatalf("the lookup was not logged; log:\n%s", logged.String())
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
	select {
	case e := <-c.Events():
		t.Fatalf("an ignored cluster delivered %s: %s", e.Kind, e.Text)
	default:
	}
	if d := c.Snapshot().EventsDropped; d != 0 {
		t.Fatalf("%d events counted as dropped; an ignored cluster drops none", d)
	}
}
