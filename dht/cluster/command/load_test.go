package command

import (
	"fmt"
	"strings"
	"testing"
)

// TestLoadCommand checks load's text and JSON against what was done: the
// owned keys add up to the keys written, every write and read was served
// by r holders, and the spread names the busiest node.
func TestLoadCommand(t *testing.T) {
	c := startMem(t, 8)
	const keys = 30
	for i := range keys {
		run(t, c, fmt.Sprintf("set lk%d v%d", i, i))
		run(t, c, fmt.Sprintf("get lk%d", i))
	}
	r := run(t, c, "load")
	m := asJSON(t, r)
	nodes, _ := m["nodes"].([]any)
	if len(nodes) != 8 {
		t.Fatalf("load lists %d nodes, want 8: %s", len(nodes), r.Text)
	}
	var owned, requests, gets, sets float64
	for _, n := range nodes {
		row := n.(map[string]any)
		owned += row["owned"].(float64)
		requests += row["requests"].(float64)
		gets += row["gets"].(float64)
		sets += row["sets"].(float64)
	}
	// Three copies of each key: every set is served by 3 holders, every
	// get reads 3 copies.
	if owned != keys || sets != 3*keys || gets != 3*keys || requests != gets+sets {
		t.Errorf("owned %v, sets %v, gets %v, requests %v; want %d, %d, %d and gets+sets", owned, sets, gets, requests, keys, 3*keys, 3*keys)
	}
	ks := m["keys"].(map[string]any)
	if ks["nodes"].(float64) != 8 || ks["mean"].(float64) != float64(keys)/8 {
		t.Errorf("keys spread %v, want 8 nodes with a mean of %v", ks, float64(keys)/8)
	}
	if m["window_s"].(float64) != 10 {
		t.Errorf("window_s %v, want 10", m["window_s"])
	}
	for _, want := range []string{"NAME", "REQ/S", "ROUTING", "over 8 live nodes:", "keys owned       mean 3.8, max ",
		"requests/s       mean ", "routing steps/s  mean ", "per second over the last 10s"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("load's text lacks %q:\n%s", want, r.Text)
		}
	}
	maxNode := ks["max_node"].(string)
	if !strings.Contains(r.Text, "at "+maxNode+" (") {
		t.Errorf("the text does not name %s, the node with the most keys:\n%s", maxNode, r.Text)
	}
}
