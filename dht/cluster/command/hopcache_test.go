package command

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestGetCachedAtHop: with the cache on, gets of a popular key through
// many nodes come to be answered by a hop of their lookup, and the get
// says so: in words with the hop marked ⚡ on the path, and in JSON with
// cached and cached_at naming the hop, whose row ends the path.
func TestGetCachedAtHop(t *testing.T) {
	c := startMem(t, 16)
	run(t, c, "config cache on")
	run(t, c, "set hot v1")
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for i := range 16 {
			r := run(t, c, fmt.Sprintf("get hot via n%d", i))
			m := asJSON(t, r)
			at, _ := m["cached_at"].(string)
			if at == "" || at == fmt.Sprintf("n%d", i) {
				continue
			}
			if m["cached"] != true || m["value"] != "v1" {
				t.Fatalf("answered at hop %s: %v", at, m)
			}
			if !strings.Contains(r.Text, "cached at "+at+", a hop of the lookup") || !strings.Contains(r.Text, "⚡") {
				t.Fatalf("the text does not say which hop answered:\n%s", r.Text)
			}
			// The JSON path ends with that hop's row, marked cached.
			path, _ := m["path"].([]any)
			if len(path) == 0 {
				t.Fatalf("a get answered at hop %s has no path in JSON: %v", at, m)
			}
			if last, _ := path[len(path)-1].(map[string]any); last["node"] != at || last["cached"] != true {
				t.Fatalf("the path's last row is %v, want %s marked cached", last, at)
			}
			return
		}
	}
	t.Fatal("no get was answered at a hop")
}

// TestGetCachedAtSibling: with virtual nodes, a get through one identity
// is answered from the copy another identity of the same real node
// cached, with no lookup, and the get says which identity's copy it was.
func TestGetCachedAtSibling(t *testing.T) {
	c := startMemV(t, 4, 2)
	run(t, c, "config cache on")
	run(t, c, "set hot v1")
	run(t, c, "get hot via n1.0")
	r := run(t, c, "get hot via n1.1")
	m := asJSON(t, r)
	if m["cached"] != true || m["cached_at"] != "n1.0" || m["value"] != "v1" {
		t.Fatalf("get via n1.1 after one via n1.0: %v", m)
	}
	if !strings.Contains(r.Text, "cached at n1.0, an identity of the same real node") || !strings.Contains(r.Text, "no lookup") {
		t.Fatalf("the text does not say whose copy answered:\n%s", r.Text)
	}
}
