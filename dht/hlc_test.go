package dht

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// manualClock is a physical clock that moves only when the test says.
type manualClock struct{ t time.Time }

func (c *manualClock) Now() time.Time { return c.t }

func newManualHLC(skew time.Duration) (*hlc, *manualClock, *bytes.Buffer) {
	pc := &manualClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	return newHLC(pc.Now, skew, slog.New(slog.NewTextHandler(&logs, nil))), pc, &logs
}

func TestHLCMonotonic(t *testing.T) {
	c, pc, _ := newManualHLC(time.Second)
	w := chord.IDFromUint64(8, 1)
	var last Version
	steps := []time.Duration{0, 0, time.Millisecond, 0, -time.Hour, 0, 2 * time.Hour, -time.Second}
	for i, d := range steps {
		pc.t = pc.t.Add(d) // the physical clock stands still, moves on, or jumps back
		v := c.next(Version{}, w)
		if !v.Newer(last) {
			t.Fatalf("step %d (physical %+v): %v not newer than %v", i, d, v, last)
		}
		last = v
	}
}

func TestHLCFollowsPhysicalTime(t *testing.T) {
	c, pc, _ := newManualHLC(time.Second)
	w := chord.IDFromUint64(8, 1)
	v1 := c.next(Version{}, w)
	if v1.Wall != pc.t.UnixNano() || v1.Logical != 0 {
		t.Fatalf("first version %+v, want wall = physical time, logical 0", v1)
	}
	v2 := c.next(Version{}, w)
	if v2.Wall != v1.Wall || v2.Logical != 1 {
		t.Fatalf("second version at the same physical time %+v, want the same wall, logical 1", v2)
	}
	pc.t = pc.t.Add(time.Microsecond)
	if v3 := c.next(Version{}, w); v3.Wall != pc.t.UnixNano() || v3.Logical != 0 {
		t.Fatalf("after the physical clock moved: %+v, want wall = physical time, logical 0", v3)
	}
}

func TestHLCTakesTheMaxOfWhatItSees(t *testing.T) {
	c, pc, _ := newManualHLC(time.Second)
	me, other := chord.IDFromUint64(8, 1), chord.IDFromUint64(8, 9)
	ahead := Version{Wall: pc.t.Add(300 * time.Millisecond).UnixNano(), Logical: 7, Writer: other}
	if c.observe(ahead) {
		t.Fatal("a version 300 ms ahead (within the skew) was capped")
	}
	if v := c.next(Version{}, me); !v.Newer(ahead) || v.Wall != ahead.Wall {
		t.Fatalf("after seeing %v the next version is %v, want newer on the same wall", ahead, v)
	}
	behind := Version{Wall: pc.t.Add(-time.Minute).UnixNano(), Logical: 99, Writer: other}
	c.observe(behind)
	if v := c.next(Version{}, me); !v.Newer(ahead) {
		t.Fatalf("seeing an older version moved the clock back: %v", v)
	}
	// A key's newer version from another writer is passed even when the
	// clock has not seen it.
	c2, pc2, _ := newManualHLC(time.Second)
	cur := Version{Wall: pc2.t.UnixNano(), Logical: 3, Writer: other}
	if v := c2.next(cur, me); !v.Newer(cur) {
		t.Fatalf("next(%v) = %v, not newer", cur, v)
	}
}

// TestHLCBoundsDrift: a version an hour ahead moves the clock by
// MaxClockSkew only, logs it once per warning period, and versions follow
// physical time again as soon as it passes that bound, instead of staying
// frozen an hour ahead. A write over the far version itself still gets a
// newer version.
func TestHLCBoundsDrift(t *testing.T) {
	const skew = time.Second
	c, pc, logs := newManualHLC(skew)
	me, other := chord.IDFromUint64(8, 1), chord.IDFromUint64(8, 9)
	start := pc.t
	far := Version{Wall: start.Add(time.Hour).UnixNano(), Writer: other}
	if !c.observe(far) {
		t.Fatal("a version an hour ahead was not capped")
	}
	v := c.next(Version{}, me)
	if got := time.Duration(v.Wall - start.UnixNano()); got > skew {
		t.Fatalf("after seeing a version an hour ahead the clock is %v ahead, want at most %v", got, skew)
	}
	if !strings.Contains(logs.String(), "too far ahead") || !strings.Contains(logs.String(), "max_clock_skew=1s") {
		t.Fatalf("no clear log line for the capped version; logs: %q", logs.String())
	}
	for i := 0; i < 5; i++ {
		c.observe(far)
	}
	if n := strings.Count(logs.String(), "too far ahead"); n != 1 {
		t.Errorf("%d warnings for 6 far versions within %v, want 1", n, warnEvery)
	}
	pc.t = start.Add(2 * skew)
	if v := c.next(Version{}, me); v.Wall != pc.t.UnixNano() || v.Logical != 0 {
		t.Fatalf("2 s later the clock gives %v, want physical time again (not frozen ahead)", v)
	}
	pc.t = start.Add(warnEvery + 3*skew)
	c.observe(far)
	if n := strings.Count(logs.String(), "too far ahead"); n != 2 || !strings.Contains(logs.String(), "similar_since_last_warning=5") {
		t.Errorf("after the warning period: %d warnings, logs %q; want a second one counting the 5 suppressed", n, logs.String())
	}
	if w := c.next(far, me); !w.Newer(far) || w.Wall != far.Wall {
		t.Fatalf("a write over the far version got %v, want newer than %v on its wall", w, far)
	}
}

func TestHLCLogicalOverflow(t *testing.T) {
	c, pc, _ := newManualHLC(time.Second)
	me := chord.IDFromUint64(8, 1)
	c.wall, c.logical = pc.t.UnixNano(), math.MaxUint32
	if v := c.next(Version{}, me); v.Wall != pc.t.UnixNano()+1 || v.Logical != 0 {
		t.Fatalf("past the largest counter: %+v, want the next nanosecond, counter 0", v)
	}
	cur := Version{Wall: pc.t.Add(time.Hour).UnixNano(), Logical: math.MaxUint32}
	if v := c.next(cur, me); !v.Newer(cur) {
		t.Fatalf("next(%+v) = %+v, not newer", cur, v)
	}
}

func TestVersionString(t *testing.T) {
	w := chord.IDFromUint64(chord.MaxBits, 0xabcdef12)
	at := time.Date(2026, 12, 6, 14, 3, 7, 512345678, time.UTC).UnixNano()
	for _, tc := range []struct {
		v    Version
		want string
	}{
		{Version{}, "none"},
		{Version{Wall: at, Writer: w}, "14:03:07.512345678@abcdef"},
		{Version{Wall: at, Logical: 2, Writer: w}, "14:03:07.512345678+2@abcdef"},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		b, err := json.Marshal(map[string]Version{"version": tc.v})
		if err != nil || string(b) != `{"version":"`+tc.want+`"}` {
			t.Errorf("JSON = %s, %v; want the String form", b, err)
		}
	}
}
