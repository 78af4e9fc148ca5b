package chord_test

import (
	"bytes"
	"testing"

	"github.com/chordtui/chordtui/chord"
)

// answerAll is a StepCache that answers every probe with its own address.
type answerAll struct{ addr string }

func (a answerAll) AnswerStep(chord.ID, []byte) []byte { return []byte(a.addr) }

// TestLookupProbe: a lookup made with a probe ends at the first node asked
// whose StepCache answers, with the answer, that node and the path's last
// row marked; without a probe, or with no StepCache, it routes as always.
func TestLookupProbe(t *testing.T) {
	ctx := testCtx(t)
	cfg := chord.DefaultConfig()
	cfg.Bits = 32
	r := buildIdeal(t, 3, cfg, 32, true)
	nodes := r.live()
	// An origin and a key whose lookup takes at least one step.
	var origin *chord.Node
	var key chord.ID
	for _, n := range nodes {
		for i := range 64 {
			k := chord.HashID(cfg.Bits, []byte{byte(i)})
			if lr, err := n.Lookup(ctx, k); err == nil && len(lr.Path) > 0 && !lr.Path[0].Ping {
				origin, key = n, k
				break
			}
		}
		if origin != nil {
			break
		}
	}
	if origin == nil {
		t.Fatal("no lookup takes a step")
	}
	plain, err := origin.LookupWith(ctx, key, chord.LookupOptions{Probe: []byte("k")})
	if err != nil || plain.Answer != nil || plain.Owner.IsZero() {
		t.Fatalf("no StepCache: want an owner and no answer, got %+v, %v", plain, err)
	}
	for _, n := range nodes {
		n.SetStepCache(answerAll{n.Self().Addr})
	}
	lr, err := origin.LookupWith(ctx, key, chord.LookupOptions{Probe: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	first := plain.Path[0].Node
	if !bytes.Equal(lr.Answer, []byte(first.Addr)) || lr.AnsweredBy.Addr != first.Addr || !lr.Owner.IsZero() {
		t.Fatalf("want the answer of the first hop %s, got answer %q by %s, owner %s", first.Addr, lr.Answer, lr.AnsweredBy.Addr, lr.Owner.Addr)
	}
	if len(lr.Path) != 1 || !lr.Path[0].Cached {
		t.Fatalf("want one row marked cached, got %+v", lr.Path)
	}
	again, err := origin.LookupWith(ctx, key, chord.LookupOptions{})
	if err != nil || again.Answer != nil || again.Owner.Addr != plain.Owner.Addr {
		t.Fatalf("without a probe: want owner %s, got %+v, %v", plain.Owner.Addr, again, err)
	}
}
