package bench

import (
	"cmp"
	"math"
	"time"
)

// percentile returns the q-quantile of sorted (the zero value when empty):
// the smallest element with at least q of the elements at or below it.
func percentile[T cmp.Ordered](sorted []T, q float64) T {
	if len(sorted) == 0 {
		var zero T
		return zero
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// mean returns the mean of xs rounded to two decimals (0 when empty).
func mean(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0
	for _, x := range xs {
		s += x
	}
	return round2(float64(s) / float64(len(xs)))
}

func micros(d time.Duration) float64 { return round2(float64(d) / 1e3) }

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// ratio returns a/b rounded to two decimals (0 when b is 0).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round2(a / b)
}
