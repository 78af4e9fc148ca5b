package main

import (
	"flag"
	"io"
	"testing"
	"time"
)

// Maintenance periods follow N unless given on the command line; a period
// that is given wins at every N.
func TestClusterFlagsScaleUnlessGiven(t *testing.T) {
	tests := []struct {
		args           []string
		n              int
		stabilize, fix time.Duration
	}{
		{nil, 16, 25 * time.Millisecond, 50 * time.Millisecond},
		{nil, 1024, 100 * time.Millisecond, 800 * time.Millisecond},
		{[]string{"--stabilize", "40ms"}, 1024, 40 * time.Millisecond, 800 * time.Millisecond},
		{[]string{"--fix-fingers", "25ms"}, 16, 25 * time.Millisecond, 25 * time.Millisecond},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cf := addClusterFlags(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		cfg, closeLog, err := cf.config(tt.n)
		if err != nil {
			t.Fatalf("%v at N=%d: %v", tt.args, tt.n, err)
		}
		closeLog()
		if cfg.Chord.StabilizeInterval != tt.stabilize || cfg.Chord.FixFingersInterval != tt.fix {
			t.Errorf("%v at N=%d: stabilize %v, fix-fingers %v; want %v, %v", tt.args, tt.n,
				cfg.Chord.StabilizeInterval, cfg.Chord.FixFingersInterval, tt.stabilize, tt.fix)
		}
	}
}
