package command

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
)

func TestParseWorkload(t *testing.T) {
	def := cluster.DefaultWorkload()
	tests := []struct {
		line string
		want func(s *cluster.WorkloadSpec)
		err  string
	}{
		{"workload get 10000 keys zipf 1.0 for 10s via random", func(s *cluster.WorkloadSpec) {
			s.Keys, s.Zipf, s.Duration, s.Via = 10000, 1, 10*time.Second, "random"
		}, ""},
		{"workload set 5 keys", func(s *cluster.WorkloadSpec) { s.Keys, s.ReadPercent = 5, 0 }, ""},
		{"workload mix 90 100 keys uniform ops 500 rate 200 clients 3 via n2", func(s *cluster.WorkloadSpec) {
			s.Keys, s.ReadPercent, s.Ops, s.Duration, s.Rate, s.Clients, s.Via = 100, 90, 500, 0, 200, 3, "n2"
		}, ""},
		{"workload mix 50 10 keys via n1 ops 5", func(s *cluster.WorkloadSpec) {
			s.Keys, s.ReadPercent, s.Ops, s.Duration, s.Via = 10, 50, 5, 0, "n1"
		}, ""},
		{"workload mix 20% 7 KEYS for 1m ops 9", func(s *cluster.WorkloadSpec) {
			s.Keys, s.ReadPercent, s.Duration, s.Ops = 7, 20, time.Minute, 9
		}, ""},
		{"workload", nil, "wants at least 1 argument"},
		{"workload read 10 keys", nil, `"read" is not get, set or mix`},
		{"workload mix lots 10 keys", nil, `mix wants the percentage of gets (0 to 100), got "lots"`},
		{"workload mix 101 10 keys", nil, "mix wants the percentage of gets"},
		{"workload get ten keys", nil, `"ten" is not a number of keys`},
		{"workload get 10 things", nil, `followed by "keys", got "things"`},
		{"workload get 10 keys zipf", nil, `zipf wants an exponent α above 0 and at most 10, such as 1.0 (or say uniform), got ""`},
		{"workload get 10 keys zipf 0", nil, `zipf wants an exponent α above 0 and at most 10, such as 1.0 (or say uniform), got "0"`},
		{"workload get 10 keys zipf 1e308", nil, `zipf wants an exponent α above 0 and at most 10, such as 1.0 (or say uniform), got "1e308"`},
		{"workload get 10 keys for ever", nil, `for wants a positive duration such as 10s, got "ever"`},
		{"workload get 10 keys for 2600000h", nil, `for wants a positive duration such as 10s, got "2600000h": longer than a duration can be`},
		{"workload get 10 keys for .s", nil, `for wants a positive duration such as 10s, got ".s"`},
		{"workload get 10 keys rate -3", nil, "rate wants operations per second"},
		{"workload get 10 keys clients 0", nil, "clients wants a positive number"},
		{"workload get 10 keys fast", nil, `unknown option "fast"`},
		{"workload get 10 keys via n1 for 1s via n2", nil, "via given twice"},
		{"workload get 10 keys via random for 1s via n2", nil, "via given twice"},
		{"workload get 10 keys ops 3 via", nil, "via wants a node or random"},
		{"workload mix 10 keys", nil, "mix wants the percentage of gets, then the number of keys (mix 80 1000 keys)"},
		{"workload get 10 keys for 5s ops 3 for 1s", nil, `"for" given twice`},
		{"workload get 10 keys uniform zipf 1.5", nil, `"zipf" given twice (or uniform and zipf both)`},
		{"workload get 10 keys ops 3 ops 5", nil, `"ops" given twice`},
		{"workload get 99999999 keys", nil, "keys must be from 1 to"},
		{"workload get 10 keys clients 5000", nil, "clients must be from 1 to 1024"},
	}
	for _, tc := range tests {
		cmd, err := Parse(tc.line)
		var spec cluster.WorkloadSpec
		if err == nil {
			spec, err = ParseWorkload(cmd.Args, cmd.Via)
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrUsage) {
				t.Errorf("%s: error %v, want a usage error containing %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.line, err)
			continue
		}
		want := def
		tc.want(&want)
		if spec != want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.line, spec, want)
		}
	}
}

// TestWorkloadCommand runs a short workload through Exec: the text says
// what ran and what it measured, and the JSON carries the same numbers.
func TestWorkloadCommand(t *testing.T) {
	c := startMem(t, 8)
	r := run(t, c, "workload mix 80 40 keys zipf 1.2 ops 400 clients 4 via n3")
	for _, want := range []string{"workload mix 80% gets, 40 keys, zipf 1.2, 400 ops, 4 clients, via n3: ran ",
		"400 ops", "0 errors, 0 stale reads of ", "prepared: every key written once, 40 keys", "gets ", "sets ",
		"hops to the owner: mean ", "requests served per node: mean ", "routing steps per node:   mean "} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
	}
	m := asJSON(t, r)
	if m["ops"].(float64) != 400 || m["stale"].(float64) != 0 || m["prepared"].(float64) != 40 {
		t.Errorf("JSON ops %v, stale %v, prepared %v; want 400, 0, 40", m["ops"], m["stale"], m["prepared"])
	}
	gets := m["gets"].(map[string]any)
	if gets["count"].(float64) < 200 || gets["p50_us"].(float64) <= 0 {
		t.Errorf("JSON gets %v, want about 320 with a p50", gets)
	}
	spec := m["spec"].(map[string]any)
	if spec["via"] != "n3" || spec["zipf"].(float64) != 1.2 || spec["read_percent"].(float64) != 80 {
		t.Errorf("JSON spec %v", spec)
	}
	if _, ok := m["ops_per_s"]; !ok {
		t.Errorf("JSON lacks ops_per_s: %v", m)
	}
	if r := Exec(t.Context(), c, "workload stop"); r.OK || !strings.Contains(r.Err.Error(), "no workload is running") {
		t.Errorf("workload stop with none running: %v", r.Err)
	}
	if r := Exec(t.Context(), c, "workload get 5 keys via n99"); r.OK || !errors.Is(r.Err, cluster.ErrUnknownNode) {
		t.Errorf("workload via an unknown node: %v", r.Err)
	}
}
