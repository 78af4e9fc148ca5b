package dht

import (
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// hlc is a hybrid logical clock (Kulkarni et al., "Logical Physical Clocks
// and Consistent Snapshots", 2014): a wall part that follows the physical
// clock and never goes back, and a logical counter that orders events
// within one wall value. Every version a store sees is merged in (observe),
// so a version it assigns later is newer than all of them; a version from
// a clock further ahead than maxSkew pulls the clock forward by maxSkew
// only, so one bad clock cannot stop the wall part from following physical
// time. It is safe for concurrent use.
type hlc struct {
	now     func() time.Time // the physical clock
	maxSkew time.Duration
	log     *slog.Logger

	mu      sync.Mutex
	wall    int64
	logical uint32
	// warnedAt is the physical time of the last drift warning; drift seen
	// within warnEvery of it is counted in suppressed instead of logged.
	warnedAt   int64
	suppressed int
}

// warnEvery bounds how often the clock logs versions from too far ahead.
const warnEvery = 10 * time.Second

func newHLC(now func() time.Time, maxSkew time.Duration, log *slog.Logger) *hlc {
	return &hlc{now: now, maxSkew: maxSkew, log: log}
}

// physical reads the physical clock in Unix nanoseconds.
func (c *hlc) physical() int64 { return c.now().UnixNano() }

// tick returns a timestamp for a local event: the physical time if it is
// past everything seen, else the last timestamp with the counter advanced.
// Successive ticks strictly increase.
func (c *hlc) tick() (int64, uint32) {
	pt := c.physical()
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case pt > c.wall:
		c.wall, c.logical = pt, 0
	case c.logical == math.MaxUint32:
		c.wall, c.logical = c.wall+1, 0
	default:
		c.logical++
	}
	return c.wall, c.logical
}

// observe merges a timestamp received from another node (or read from a
// record): the clock moves to it if it is ahead, but never further than
// maxSkew past the physical clock. It reports whether v was capped.
func (c *hlc) observe(v Version) bool {
	if v.IsZero() {
		return false
	}
	pt := c.physical()
	wall, logical := v.Wall, v.Logical
	capped := false
	if limit := pt + int64(c.maxSkew); wall > limit {
		wall, logical, capped = limit, 0, true
	}
	c.mu.Lock()
	if wall > c.wall || wall == c.wall && logical > c.logical {
		c.wall, c.logical = wall, logical
	}
	var warn bool
	var suppressed int
	if capped {
		if c.warnedAt == 0 || pt-c.warnedAt >= int64(warnEvery) {
			warn, suppressed = true, c.suppressed
			c.warnedAt, c.suppressed = pt, 0
		} else {
			c.suppressed++
		}
	}
	c.mu.Unlock()
	if warn {
		c.log.Warn("dht: version from a clock too far ahead; this node's clock advances by max-clock-skew only",
			"version", v.String(), "ahead", time.Duration(v.Wall-pt).String(), "max_clock_skew", c.maxSkew.String(),
			"similar_since_last_warning", suppressed)
	}
	return capped
}

// next returns the version for a new write by writer of a key whose newest
// known version is cur: a fresh timestamp, which is newer than cur unless
// cur came from a clock more than maxSkew ahead; then cur's timestamp with
// the counter advanced, so the write is still newer than cur.
func (c *hlc) next(cur Version, writer chord.ID) Version {
	c.observe(cur)
	wall, logical := c.tick()
	v := Version{Wall: wall, Logical: logical, Writer: writer}
	if v.Newer(cur) {
		return v
	}
	if cur.Logical == math.MaxUint32 {
		return Version{Wall: cur.Wall + 1, Writer: writer}
	}
	return Version{Wall: cur.Wall, Logical: cur.Logical + 1, Writer: writer}
}
