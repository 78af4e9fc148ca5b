package command

import (
	"strings"
	"testing"

	"github.com/chordtui/chordtui/dht/cluster"
)

// TestNodesTextAligned: a remote member's longer name (n-099178) widens
// the NAME, PRED and SUCC columns instead of shifting the rows after it.
func TestNodesTextAligned(t *testing.T) {
	peer := func(name string) cluster.Peer { return cluster.Peer{Name: name, Addr: "127.0.0.1:1"} }
	v := cluster.NodesView{Nodes: []cluster.NodeRow{
		{Name: "n0", Addr: "127.0.0.1:40001", State: cluster.StateAlive, Joined: true, Pred: peer("n-099178"), Succ: peer("n1")},
		{Name: "n1", Addr: "127.0.0.1:40002", State: cluster.StateAlive, Joined: true, Pred: peer("n0"), Succ: peer("n-099178")},
		{Name: "n-099178", Addr: "127.0.0.1:45717", State: cluster.StateAlive, Joined: true, Pred: peer("n1"), Succ: peer("n0"), Remote: true},
	}}
	lines := strings.Split(nodesText(v), "\n")
	col := func(line, field string) int { return strings.Index(line, field) }
	head := lines[0]
	for _, tc := range []struct{ row, pred, succ string }{
		{lines[1], "n-099178", "n1"},
		{lines[2], "n0 ", "n-099178"},
		{lines[3], "n1 ", "n0 "},
	} {
		if p := col(tc.row, " "+tc.pred); p+1 != col(head, "PRED") {
			t.Errorf("PRED %q at %d, header at %d:\n%s", tc.pred, p+1, col(head, "PRED"), strings.Join(lines, "\n"))
		}
		if s := strings.LastIndex(tc.row, " "+tc.succ); s+1 != col(head, "SUCC") {
			t.Errorf("SUCC %q at %d, header at %d:\n%s", tc.succ, s+1, col(head, "SUCC"), strings.Join(lines, "\n"))
		}
	}
}

// TestStatsTextNamesRefusals: stats says which nodes refused connections
// for the cluster key, not only how many in all.
func TestStatsTextNamesRefusals(t *testing.T) {
	v := cluster.StatsView{AuthRefused: 4, Nodes: []cluster.NodeStats{
		{Name: "n0", State: cluster.StateAlive, AuthRefused: 3},
		{Name: "n1", State: cluster.StateAlive},
		{Name: "n2", State: cluster.StateAlive, AuthRefused: 1},
	}}
	want := "4 connections refused for the cluster key (wrong key, none, or a replayed handshake): n0 3, n2 1"
	if got := statsText(v); !strings.HasSuffix(got, want) {
		t.Fatalf("stats ends %q, want %q", got[strings.LastIndex(got, "\n")+1:], want)
	}
}
