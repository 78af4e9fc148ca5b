// Package chordtest holds test helpers for chord: an in-memory network whose
// faults (crash, pause, cut, isolate, delay, drop) are driven by a seeded RNG,
// so protocol tests are deterministic and never sleep.
//
// network.go has Network and its Endpoints (each a chord.Transport and
// chord.ConnectionReporter, with Kill, Close and Stats like a netmux
// transport) and the fault controls (Crash, Pause, Cut, Isolate,
// Partition, Heal, SetDelay, SetDrop); conformance.go has
// RunConformance, the contract every chord.Transport must pass (netmux runs
// it over TCP, this package over the in-memory network).
package chordtest
