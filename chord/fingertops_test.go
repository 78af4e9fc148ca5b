package chord

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// nopTransport is a Transport with no network: enough for a node's own
// tables.
type nopTransport struct{ addr string }

func (t nopTransport) Addr() string { return t.addr }
func (nopTransport) Call(context.Context, string, string, []byte) ([]byte, error) {
	return nil, errors.New("no network")
}
func (nopTransport) Serve(Handler) {}

// TestFingerTopsFollowEveryChange: a lookup step reads the distinct
// fingers from a list the node keeps (fingerTopsLocked). After every kind
// of finger change, whether a Status view shares the table or not, the
// list must be what a walk over all the fingers gives.
func TestFingerTopsFollowEveryChange(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Bits = 8
	n, err := NewNode(cfg, nopTransport{"self"})
	if err != nil {
		t.Fatal(err)
	}
	n.Create()
	want := func() []int { // the walk localStepLocked made over all fingers
		var out []int
		prev := "\x00"
		for k := len(n.fingers) - 1; k >= 0; k-- {
			if n.fingers[k].Addr != prev {
				out = append(out, k)
			}
			prev = n.fingers[k].Addr
		}
		return out
	}
	check := func(step string) {
		t.Helper()
		n.mu.Lock()
		defer n.mu.Unlock()
		if got, w := n.fingerTopsLocked(), want(); !slices.Equal(got, w) {
			t.Fatalf("after %s: tops %v, want %v", step, got, w)
		}
	}
	check("create")
	refs := make([]NodeRef, 5)
	for i := range refs {
		refs[i] = NodeRef{ID: IDFromUint64(8, uint64(40*i+7)), Addr: fmt.Sprint("n", i)}
	}
	refs = append(refs, NodeRef{}) // a finger cleared
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		if i%3 == 0 {
			_ = n.StatusView() // shares the table: the next change copies it
		}
		n.mu.Lock()
		n.setFingerLocked(rng.IntN(len(n.fingers)), refs[rng.IntN(len(refs))])
		n.mu.Unlock()
		check(fmt.Sprint("change ", i))
	}
	n.mu.Lock()
	n.fingerHintsLocked(refs[:5])
	n.mu.Unlock()
	check("finger hints")
	n.Create()
	check("create again")
}
