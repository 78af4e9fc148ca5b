package tui

import (
	"testing"
)

// BenchmarkView renders a full 160×50 frame of a 256-node ring with a node
// down and one paused, the selection's fingers and the key ticks (the goal
// is well under 16 ms a frame).
func BenchmarkView(b *testing.B) {
	snap := fakeRing(ringSpec{n: 256, bits: 160, down: 5, paused: 9, keys: 2000})
	m, _ := newTestModel(b, snap, 160, 50)
	m.Update(eventsMsg{events: sampleEvents()})
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkSnapshotInstall measures taking in a new 256-node snapshot (the
// work done up to 10 times a second besides rendering).
func BenchmarkSnapshotInstall(b *testing.B) {
	snap := fakeRing(ringSpec{n: 256, bits: 160, down: 5, paused: 9, keys: 2000})
	m, _ := newTestModel(b, snap, 160, 50)
	b.ReportAllocs()
	for b.Loop() {
		m.Update(snapshotMsg{snap: snap})
	}
}

// BenchmarkViewArrows is BenchmarkView with every successor pointer drawn
// on the ring and the violations pane shown (with its ideal-ring checks
// made at each snapshot): lecture mode's extra drawing on a large ring.
func BenchmarkViewArrows(b *testing.B) {
	snap := fakeRing(ringSpec{n: 256, bits: 160, down: 5, paused: 9, keys: 2000})
	m, _ := newTestModel(b, snap, 160, 50)
	m.Update(eventsMsg{events: sampleEvents()})
	m.arrows = true
	m.toggleViolations()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkSnapshotInstallViolations is BenchmarkSnapshotInstall with the
// violations shown: each snapshot is checked against the ideal ring.
func BenchmarkSnapshotInstallViolations(b *testing.B) {
	snap := fakeRing(ringSpec{n: 256, bits: 160, down: 5, paused: 9, keys: 2000})
	m, _ := newTestModel(b, snap, 160, 50)
	m.toggleViolations()
	b.ReportAllocs()
	for b.Loop() {
		m.Update(snapshotMsg{snap: snap})
	}
}
