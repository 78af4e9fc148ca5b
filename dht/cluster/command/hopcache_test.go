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
// cached and cached_at naming the hop.
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
			return
		}
	}
	t.Fatal("no get was answered at a hop")
}
