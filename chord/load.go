package chord

import (
	"sync"
	"time"
)

// LoadCounter counts events (lookup steps served, requests answered) in
// total and over a sliding window: the window is cut into buckets of equal
// width, and a bucket older than the window is reused for the current one.
// The window's count covers the current (partial) bucket and the full ones
// before it, so its span is between Window−width and Window; Sample says
// exactly how long. It is safe for concurrent use; the zero value is not
// usable, make one with NewLoadCounter.
type LoadCounter struct {
	mu      sync.Mutex
	width   time.Duration
	start   time.Time // when it was made: a window never reaches before it
	total   uint64
	counts  []uint64
	buckets []int64 // the bucket number (time / width) each slot counts; -1 unused
}

// DefaultLoadWindow is the sliding window a node's loads are counted over.
const DefaultLoadWindow = 10 * time.Second

// loadBuckets is how many buckets a window is cut into.
const loadBuckets = 10

// NewLoadCounter returns a counter over a window of the given length (at
// least loadBuckets nanoseconds; DefaultLoadWindow when window ≤ 0),
// starting now.
func NewLoadCounter(window time.Duration) *LoadCounter {
	return newLoadCounterAt(window, time.Now())
}

// newLoadCounterAt is NewLoadCounter starting at start.
func newLoadCounterAt(window time.Duration, start time.Time) *LoadCounter {
	if window <= 0 {
		window = DefaultLoadWindow
	}
	c := &LoadCounter{
		start:   start,
		width:   max(window/loadBuckets, 1),
		counts:  make([]uint64, loadBuckets),
		buckets: make([]int64, loadBuckets),
	}
	for i := range c.buckets {
		c.buckets[i] = -1
	}
	return c
}

// LoadCount is a counter read at one moment.
type LoadCount struct {
	// Total counts every event since the counter was made.
	Total uint64
	// Window counts the events of the last Span.
	Window uint64
	// Span is how long Window covers: the window, or less while the
	// counter is younger than it (the current bucket is partial).
	Span time.Duration
}

// Rate is Window per second of Span (0 for an empty span).
func (c LoadCount) Rate() float64 {
	if c.Span <= 0 {
		return 0
	}
	return float64(c.Window) / c.Span.Seconds()
}

// Add counts n events at now.
func (c *LoadCounter) Add(now time.Time, n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := max(now.Sub(c.start), 0).Nanoseconds() / c.width.Nanoseconds()
	i := int(b % int64(len(c.counts)))
	if c.buckets[i] != b {
		c.buckets[i], c.counts[i] = b, 0
	}
	c.counts[i] += n
	c.total += n
}

// Sample reads the counter at now.
func (c *LoadCounter) Sample(now time.Time) LoadCount {
	return c.Recent(now, time.Duration(len(c.counts))*c.width)
}

// Recent reads the counter over the last d (rounded up to whole buckets,
// at most the window) before now.
func (c *LoadCounter) Recent(now time.Time, d time.Duration) LoadCount {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := max(now.Sub(c.start), 0)
	cur := el.Nanoseconds() / c.width.Nanoseconds()
	k := int64((d + c.width - 1) / c.width)
	k = min(max(k, 1), int64(len(c.counts)))
	out := LoadCount{Total: c.total}
	for i, b := range c.buckets {
		if b >= 0 && b > cur-k && b <= cur {
			out.Window += c.counts[i]
		}
	}
	// The current bucket is partial: the span ends now.
	out.Span = min(time.Duration(k-1)*c.width+el-time.Duration(cur)*c.width, el)
	return out
}

// RoutingLoad reads the node's routing load at now: the lookup steps it
// answered for other nodes (a lookup's origin answers its own first step
// without a call, which is not counted).
func (n *Node) RoutingLoad(now time.Time) LoadCount { return n.routing.Sample(now) }
