package dht

import (
	"time"

	"github.com/chordtui/chordtui/chord"
)

// storeLoad counts the requests a store serves: its request load.
type storeLoad struct {
	// gets counts the reads it answered: dht.get as the owner (or its
	// stand-in) and dht.read of its copy for another node's read.
	gets *chord.LoadCounter
	// sets counts the writes it answered: dht.set and dht.del as the
	// owner (or its stand-in) and a write's push to it as a replica.
	sets *chord.LoadCounter
}

func newStoreLoad(window time.Duration) *storeLoad {
	return &storeLoad{gets: chord.NewLoadCounter(window), sets: chord.NewLoadCounter(window)}
}

// RequestLoad is a store's request load: the reads and writes it answered
// for clients, in total and over the node's load window (chord.LoadConfig).
// Repair, handoff and read write-back traffic is not counted: it is the
// store's upkeep, not a request.
type RequestLoad struct {
	Gets, Sets chord.LoadCount
}

// Requests is Gets and Sets together.
func (l RequestLoad) Requests() chord.LoadCount {
	return chord.LoadCount{
		Total:  l.Gets.Total + l.Sets.Total,
		Window: l.Gets.Window + l.Sets.Window,
		Span:   max(l.Gets.Span, l.Sets.Span),
	}
}

// Load reads the store's request load at now.
func (s *Store) Load(now time.Time) RequestLoad {
	return RequestLoad{Gets: s.load.gets.Sample(now), Sets: s.load.sets.Sample(now)}
}

// servedGet and servedSets count requests answered now.
func (s *Store) servedGet()       { s.load.gets.Add(time.Now(), 1) }
func (s *Store) servedSets(n int) { s.load.sets.Add(time.Now(), uint64(n)) }
