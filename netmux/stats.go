package netmux

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Stats are a transport's counters since it started.
type Stats struct {
	// Calls is the number of outgoing calls made; Errors how many of them failed.
	Calls, Errors uint64
	// Served is the number of incoming calls answered (with a reply or an error reply).
	Served uint64
	// BytesIn and BytesOut count bytes read from and written to TCP
	// connections, yamux headers and handshakes included.
	BytesIn, BytesOut uint64
	// P50, P90, P99 of outgoing call latency (successful and failed calls),
	// to within one histogram bucket (about 4%).
	P50, P90, P99 time.Duration
	// Sessions is the number of yamux sessions open now.
	Sessions int
	// Dials counts TCP connections this transport opened.
	Dials uint64
	// Rejected counts connections closed for a protocol violation: bad
	// handshake (another version, garbage, cut short or silent), garbage
	// bytes, oversized frame, stalled frame.
	Rejected uint64
	// AuthRefused counts connections refused in the handshake for the
	// cluster key: a wrong key or proof (a replayed handshake too), a peer
	// without a key when this transport has one, or the other way round.
	AuthRefused uint64
	// Evicted counts idle sessions retired to stay within Config.MaxSessions.
	Evicted uint64
}

// Histogram is a lock-free latency histogram with log-spaced buckets: 16
// buckets per power of two from 1.024 µs to about 73 minutes, so a
// percentile is exact to within about 4.4%. The zero value is ready to use.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	total  atomic.Uint64
}

const (
	histSubBits = 4
	histSub     = 1 << histSubBits
	histMinExp  = 10 // 2^10 ns ≈ 1 µs: everything below falls in bucket 0
	histMaxExp  = 42 // 2^42 ns ≈ 73 min: everything above falls in the last bucket
	histBuckets = (histMaxExp-histMinExp)*histSub + 1
)

// histIndex maps a duration to its bucket.
func histIndex(d time.Duration) int {
	ns := uint64(d)
	if d <= 0 || ns < 1<<histMinExp {
		return 0
	}
	e := bits.Len64(ns) - 1
	if e >= histMaxExp {
		return histBuckets - 1
	}
	sub := int(ns>>(e-histSubBits)) & (histSub - 1)
	return (e-histMinExp)*histSub + sub + 1
}

// histLower returns the smallest duration that falls in bucket i (i ≥ 1).
func histLower(i int) time.Duration {
	i--
	e := i/histSub + histMinExp
	sub := uint64(i % histSub)
	return time.Duration((uint64(histSub) + sub) << (e - histSubBits))
}

// Record adds one observation.
func (h *Histogram) Record(d time.Duration) {
	h.counts[histIndex(d)].Add(1)
	h.total.Add(1)
}

// Count returns the number of observations.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Percentile returns the q-quantile (0 < q ≤ 1) as the midpoint of the bucket
// that holds it, or 0 if the histogram is empty.
func (h *Histogram) Percentile(q float64) time.Duration {
	return h.Percentiles(q)[0]
}

// Percentiles returns several quantiles from one consistent snapshot.
func (h *Histogram) Percentiles(qs ...float64) []time.Duration {
	var counts [histBuckets]uint64
	var total uint64
	for i := range counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	out := make([]time.Duration, len(qs))
	if total == 0 {
		return out
	}
	for k, q := range qs {
		rank := uint64(q*float64(total) + 0.5)
		rank = min(max(rank, 1), total)
		var seen uint64
		for i, c := range counts {
			seen += c
			if seen >= rank {
				out[k] = bucketMid(i)
				break
			}
		}
	}
	return out
}

// bucketMid returns the midpoint of bucket i.
func bucketMid(i int) time.Duration {
	if i == 0 {
		return time.Duration(1<<histMinExp) / 2
	}
	lo := histLower(i)
	hi := lo * 2
	if i < histBuckets-1 {
		hi = histLower(i + 1)
	}
	return lo + (hi-lo)/2
}

// counters is the live, atomically updated form of Stats.
type counters struct {
	calls, errors, served atomic.Uint64
	bytesIn, bytesOut     atomic.Uint64
	dials, rejected       atomic.Uint64
	authRefused           atomic.Uint64
	evicted               atomic.Uint64
	latency               Histogram
}
