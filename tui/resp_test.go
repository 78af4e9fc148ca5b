package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/resp"
)

// respSnap is ring16 with a RESP endpoint whose newest lookup, a GET of
// user:42 through n0, went n0 → n3 → n7 and ran ago before the snapshot.
func respSnap(ago time.Duration) cluster.Snapshot {
	s := ring16()
	node := func(i int) cluster.Hop {
		n := s.Nodes[i]
		return cluster.Hop{Node: n.Name, Addr: n.Addr, From: "n0"}
	}
	h1, h2 := node(3), node(7)
	h2.From = "n3"
	bits := s.Bits
	s.RESP = &cluster.RESPStatus{
		Stats:   resp.Stats{Addr: "127.0.0.1:6380", RequestsPerSec: 4210, Requests: 90000, ErrorsPerSec: 3, Errors: 17},
		Serving: "n0", Origin: "n0",
		LastLookup: &cluster.RESPLookup{Op: "get", At: s.Taken.Add(-ago), Lookup: cluster.LookupResult{
			Key: "user:42", ID: cluster.RingID{ID: chord.HashID(bits, []byte("user:42")), Bits: bits},
			Via: "n0", Path: []cluster.Hop{h1, h2}, Hops: 2,
		}},
	}
	return s
}

// TestRESPTraffic: with an endpoint, the status bar shows its requests
// and errors per second; f draws the newest lookup of a RESP client on the
// ring (its calls and the command in the legend), and only while it is
// recent; without an endpoint the bar says nothing of RESP.
func TestRESPTraffic(t *testing.T) {
	m, _ := newTestModel(t, respSnap(time.Second), 120, 40)
	bar := strings.Split(screen(m), "\n")[0]
	if !strings.Contains(bar, "RESP 4210 req/s 3 err/s (17 in all)") {
		t.Errorf("status bar lacks the RESP traffic:\n%s", bar)
	}
	if strings.Contains(screen(m), "RESP get") || m.ringLookup() != nil {
		t.Errorf("a RESP lookup is drawn with the lookup events hidden:\n%s", screen(m))
	}
	press(t, m, "f")
	l := m.ringLookup()
	if l == nil || len(l.hops) != 2 || l.origin != m.snap.Nodes[0].Addr || l.hops[1].from != m.snap.Nodes[3].Addr || l.hops[1].to != m.snap.Nodes[7].Addr {
		t.Fatalf("with f the ring's lookup is %+v, want n0 → n3 → n7", l)
	}
	if got := screen(m); !strings.Contains(got, "RESP get user:42") || !strings.Contains(got, "calls of n0 (hop 0)") {
		t.Errorf("the ring's legend does not name the RESP lookup:\n%s", got)
	}

	old, _ := newTestModel(t, respSnap(10*time.Second), 120, 40)
	press(t, old, "f")
	if old.ringLookup() != nil || strings.Contains(screen(old), "RESP get") {
		t.Errorf("a RESP lookup 10 s old is still drawn:\n%s", screen(old))
	}

	quiet := respSnap(time.Second)
	quiet.RESP.RequestsPerSec, quiet.RESP.ErrorsPerSec, quiet.RESP.Errors = 0, 0, 0
	q, _ := newTestModel(t, quiet, 120, 40)
	if bar := strings.Split(screen(q), "\n")[0]; !strings.Contains(bar, "RESP 0 req/s") || strings.Contains(bar, "err") {
		t.Errorf("an idle endpoint's status: %s", bar)
	}

	// On a narrow screen the counts come in short before the verdict, which
	// is cut instead.
	narrow, _ := newTestModel(t, respSnap(time.Second), 80, 24)
	if bar := strings.Split(screen(narrow), "\n")[0]; !strings.Contains(bar, "paused  RESP 4210 req/s 3 err/s  ⟳") {
		t.Errorf("80 columns: the status bar lacks the RESP counts:\n%s", bar)
	}

	none, _ := newTestModel(t, ring16(), 120, 40)
	if bar := strings.Split(screen(none), "\n")[0]; strings.Contains(bar, "RESP") {
		t.Errorf("no endpoint, yet the status bar says %s", bar)
	}
}

func TestPrintableKey(t *testing.T) {
	for in, want := range map[string]string{"user:42": "user:42", "a b": "a b", "a\x00b": `"a\x00b"`, "\xff": `"\xff"`, "é": "é"} {
		if got := printableKey(in); got != want {
			t.Errorf("printableKey(%q) = %s, want %s", in, got, want)
		}
	}
}
