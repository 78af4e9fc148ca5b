package chord_test

import (
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// TestChurnAdaptive runs TestChurn's schedules with adaptive routing on and
// its thresholds at their lowest (a finger is routed around as soon as its
// node answers more lookup steps than another node of its interval), with
// lookups between the events so that nodes carry routing load. Every
// lookup must still find a live owner while the invariants hold and the
// true owner once the ring is ideal, and every redirected finger must lie
// in its interval [start, next start); the suite must have redirected
// some fingers, or it tested nothing.
func TestChurnAdaptive(t *testing.T) {
	redirected := 0
	churnSuite{flag: churnSchedules, env: "CHORD_CHURN", def: 60, short: 15}.run(t, func(t *testing.T, seed uint64) {
		redirected += runChurnAdaptive(t, seed)
	})
	if *churnSeed < 0 && redirected == 0 {
		t.Fatal("no finger was ever redirected: the schedules did not exercise adaptive routing")
	}
	t.Logf("%d redirected fingers seen", redirected)
}

func runChurnAdaptive(t *testing.T, seed uint64) (redirected int) {
	c := newChurnRing(t, seed, 0xada9, 5*time.Second)
	c.cfg.Load = chord.LoadConfig{Adaptive: true, AdaptiveRatio: 1, AdaptiveMin: 1e-9}
	c.form(1)
	burst := func() {
		for range 8 {
			c.lookup(false)
		}
		redirected += c.checkRoutes()
	}
	c.events(burst)
	c.settleIdeal("after the last event", 0)
	burst()
	return redirected
}

// checkRoutes fails when a redirected finger lies outside its interval and
// returns how many fingers are redirected now.
func (c *churnRing) checkRoutes() int {
	c.t.Helper()
	bits, k := c.cfg.Bits, 0
	for _, st := range c.statuses() {
		for i, r := range st.Routes {
			if r.IsZero() {
				continue
			}
			k++
			start := st.Self.ID.AddPow2(bits, i)
			next := st.Self.ID
			if i+1 < bits {
				next = st.Self.ID.AddPow2(bits, i+1)
			}
			if !chord.BetweenLeftIncl(start, r.ID, next) {
				c.fatalf("%s routes finger[%d] through %s, outside [%s, %s)", c.ref(st.Self), i+1, c.ref(r), start.Hex(bits), next.Hex(bits))
			}
		}
	}
	return k
}
