package chord

import (
	"strings"
	"testing"
	"time"
)

// TestCoalesceBackedOffRounds: a backed-off round is due at the next
// multiple of a quarter of its period, so the rounds of an idle ring's
// nodes that fall in one slot run together; a round at its base period
// keeps its time.
func TestCoalesceBackedOffRounds(t *testing.T) {
	base := 25 * time.Millisecond
	slot := time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC) // a multiple of every grid below
	for _, tc := range []struct {
		name   string
		at     time.Time
		period time.Duration
		want   time.Time
	}{
		{"base period: as it was", slot.Add(7 * time.Millisecond), base, slot.Add(7 * time.Millisecond)},
		{"backed off 16×: the next 100 ms", slot.Add(7 * time.Millisecond), 16 * base, slot.Add(100 * time.Millisecond)},
		{"backed off 16×, late in the slot", slot.Add(99 * time.Millisecond), 16 * base, slot.Add(100 * time.Millisecond)},
		{"backed off 16×, on the grid", slot.Add(200 * time.Millisecond), 16 * base, slot.Add(200 * time.Millisecond)},
		{"backed off 2×: the next 12.5 ms", slot.Add(13 * time.Millisecond), 2 * base, slot.Add(25 * time.Millisecond)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := coalesce(tc.at, base, tc.period); !got.Equal(tc.want) {
				t.Errorf("coalesce(+%v, period %v) = +%v, want +%v", tc.at.Sub(slot), tc.period, got.Sub(slot), tc.want.Sub(slot))
			}
		})
	}
	// A time read from the clock keeps its monotonic reading: the timer
	// waits the same whatever the wall clock does meanwhile.
	now := time.Now()
	got := coalesce(now, base, 16*base)
	if d := got.Sub(now); d < 0 || d >= 4*base {
		t.Fatalf("coalesce(now) is %v after now, want within one 100 ms slot", d)
	}
	if s := got.String(); !strings.Contains(s, "m=+") {
		t.Errorf("coalesce(now) lost the monotonic clock reading: %s", s)
	}
}
