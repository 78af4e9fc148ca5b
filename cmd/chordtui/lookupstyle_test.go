package main

import (
	"fmt"
	"math/big"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestREPLLookupStyleBySize: up to 64 nodes the REPL's lookup is
// iterative (the origin makes every call); above, recursive: each node
// forwards to the next, so a hop's call encloses every call after it, and
// the owner is the one a set of the key reports either way.
func TestREPLLookupStyleBySize(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 72 nodes")
	}
	bin := buildBinary(t)
	for _, tc := range []struct {
		nodes     int
		recursive bool
	}{{12, false}, {72, true}} {
		t.Run(strconv.Itoa(tc.nodes), func(t *testing.T) {
			p := startREPL(t, bin, "--seed", "5", strconv.Itoa(tc.nodes))
			var cmds []string
			for i := range 20 {
				cmds = append(cmds, fmt.Sprintf("set k%d v", i), fmt.Sprintf("lookup k%d via n%d", i, (7*i)%tc.nodes))
			}
			res := p.mustOK(cmds...)
			forwarded := 0
			for i := 0; i < len(res); i += 2 {
				set, lr := res[i], res[i+1]
				if lr["owner"] != set["owner"] {
					t.Errorf("%s: owner %v, the set said %v", cmds[i+1], lr["owner"], set["owner"])
				}
				if lr["recursive"] != tc.recursive {
					t.Errorf("%s: recursive = %v, want %v", cmds[i+1], lr["recursive"], tc.recursive)
				}
				path, _ := lr["path"].([]any)
				for j := 1; j < len(path); j++ {
					prev, cur := path[j-1].(map[string]any), path[j].(map[string]any)
					if cur["from"] != prev["node"] || prev["error"] != nil {
						continue
					}
					forwarded++
					if tc.recursive && prev["rtt_us"].(float64) < cur["rtt_us"].(float64) {
						t.Errorf("%s: hop %d took %v µs, less than the hop %d it forwarded to (%v µs)",
							cmds[i+1], j, prev["rtt_us"], j+1, cur["rtt_us"])
					}
				}
			}
			if tc.recursive && forwarded == 0 {
				t.Error("no lookup of 20 had a hop named by the node before it")
			}
			if code := p.exit(); code != 0 {
				t.Fatalf("exit status %d", code)
			}

			// The text says who makes the calls.
			cmd := exec.Command(bin, "repl", "--seed", "5", strconv.Itoa(tc.nodes))
			cmd.Stdin = strings.NewReader("lookup k1 via n3\n")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("repl: %v\n%s", err, out)
			}
			want, wrong := "n3    origin: makes every call", "step, called by"
			if tc.recursive {
				want, wrong = "n3    origin: forwards the lookup, as does each node after it", "step, named by"
			}
			if !strings.Contains(string(out), want) || strings.Contains(string(out), wrong) {
				t.Errorf("the lookup's text lacks %q or says %q:\n%s", want, wrong, out)
			}
		})
	}
}

// TestREPLReviveAboveSixtyFour: above 64 nodes a revived node's join is
// recursive, and its former predecessors still list it when it asks: it
// comes back (no "identifier already in use") and the ring is stable.
func TestREPLReviveAboveSixtyFour(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 72 nodes")
	}
	bin := buildBinary(t)
	p := startREPL(t, bin, "--seed", "5", "72")
	p.mustOK("kill n5", "revive n5", "wait", "kill n9", "revive n9", "wait", "check")
	if code := p.exit(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
}

// TestREPLConnectedHops: above 64 nodes a node that forwards a lookup to a
// connected node rather than its closest one says so in the row, and the
// node it chose precedes the key at most four times as far from it as the
// closest entry of its table (checked against `node NODE table`).
func TestREPLConnectedHops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 72 nodes")
	}
	bin := buildBinary(t)
	p := startREPL(t, bin, "--seed", "5", "72")
	ids := map[string]*big.Int{}
	for _, n := range p.mustOK("nodes")[0]["nodes"].([]any) {
		m := n.(map[string]any)
		ids[m["name"].(string)] = hexInt(t, m["id"].(string))
	}
	ring := new(big.Int).Lsh(big.NewInt(1), 160)
	dist := func(from, to *big.Int) *big.Int { // clockwise, from → to
		d := new(big.Int).Sub(to, from)
		return d.Mod(d, ring)
	}
	var cmds []string
	for i := range 40 {
		cmds = append(cmds, fmt.Sprintf("lookup k%d via n%d", i, (7*i)%72))
	}
	swaps := 0
	for i, lr := range p.mustOK(cmds...) {
		key := hexInt(t, lr["id"].(string))
		for _, row := range lr["path"].([]any) {
			r := row.(map[string]any)
			reason, _ := r["reason"].(string)
			if !strings.Contains(reason, "a closer one had no open connection") {
				continue
			}
			swaps++
			if !strings.HasPrefix(reason, "connected node closest preceding") {
				t.Errorf("%s: row %v", cmds[i], r)
			}
			from := r["from"].(string)
			table := p.mustOK("node " + from + " table")[0]
			var closest string
			entries := []string{}
			for _, f := range table["fingers"].([]any) {
				entries = append(entries, f.(map[string]any)["node"].(string))
			}
			for _, s := range table["successors"].([]any) {
				entries = append(entries, s.(string))
			}
			for _, e := range entries {
				if e == from || dist(ids[from], ids[e]).Cmp(dist(ids[from], key)) >= 0 {
					continue // not between from and the key
				}
				if closest == "" || dist(ids[e], key).Cmp(dist(ids[closest], key)) < 0 {
					closest = e
				}
			}
			chosen := dist(ids[r["node"].(string)], key)
			best := dist(ids[closest], key)
			if closest == "" || chosen.Cmp(best) <= 0 || chosen.Cmp(new(big.Int).Mul(best, big.NewInt(4))) > 0 {
				t.Errorf("%s: %s forwarded to %s, at %v from the key, where its closest entry %s is at %v: want farther, but at most 4 times",
					cmds[i], from, r["node"], chosen, closest, best)
			}
		}
	}
	if swaps == 0 {
		t.Error("no row of 40 lookups forwarded to a connected node before a closer one")
	}
	if code := p.exit(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
}

// hexInt parses a hex identifier.
func hexInt(t *testing.T, s string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("not a hex identifier: %q", s)
	}
	return v
}
