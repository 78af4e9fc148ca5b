package command

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
)

// Result is the outcome of one command.
type Result struct {
	// Cmd is the command name ("get", "kill", …; "" for a blank line).
	Cmd string
	OK  bool
	// Err explains the failure (with a hint) when !OK.
	Err error
	// Text is the human-readable output, possibly several lines; "error: …"
	// when !OK.
	Text string
	// Data is the command's typed result: one of the cluster's result types
	// (cluster.GetResult, cluster.NodesView, …) or one of this package's
	// (Origin, NodeDone, …); nil for commands without one. A failed command
	// keeps the data that says what happened anyway (add's nodes, check's
	// violations).
	Data any
	// Lookup is the lookup behind get, set, del and lookup, also when the
	// command failed, for drawing its path; nil otherwise.
	Lookup *cluster.LookupResult
	// Quit is set by the quit command.
	Quit bool
}

// reserved are the JSON fields of Result itself; data never overrides them.
var reserved = map[string]bool{"cmd": true, "ok": true, "error": true}

// MarshalJSON writes the result as one flat object: cmd, ok, error (when
// not ok), then the fields of Data.
func (r Result) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"cmd":`)
	if err := writeJSON(&b, r.Cmd); err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, `,"ok":%t`, r.OK)
	if !r.OK && r.Err != nil {
		b.WriteString(`,"error":`)
		if err := writeJSON(&b, r.Err.Error()); err != nil {
			return nil, err
		}
	}
	if r.Data != nil {
		raw, err := json.Marshal(r.Data)
		if err != nil {
			return nil, fmt.Errorf("%s data: %w", r.Cmd, err)
		}
		if err := appendFields(&b, raw); err != nil {
			return nil, fmt.Errorf("%s data: %w", r.Cmd, err)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(raw)
	return nil
}

// appendFields appends the fields of the JSON object raw, in order,
// skipping reserved names; a value that is not an object goes under "data".
func appendFields(b *bytes.Buffer, raw []byte) error {
	var fields []struct {
		key string
		val json.RawMessage
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		b.WriteString(`,"data":`)
		b.Write(raw)
		return nil
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		fields = append(fields, struct {
			key string
			val json.RawMessage
		}{kt.(string), v})
	}
	for _, f := range fields {
		if reserved[f.key] {
			continue
		}
		b.WriteByte(',')
		if err := writeJSON(b, f.key); err != nil {
			return err
		}
		b.WriteByte(':')
		b.Write(f.val)
	}
	return nil
}

// The data of the commands whose result is not one of the cluster's types.
type (
	// Origin is the data of random and origin: the default origin, and
	// whether the command changed it.
	Origin struct {
		Origin  string `json:"origin"`
		Changed bool   `json:"-"`
	}
	// NodeDone is the data of kill, revive, leave, pause and resume: the
	// node acted on (JSON: its name). A revive with no live node to join
	// through starts a new ring: NewRing (the node that started it, as
	// add's), KeysLost and Note say so (see cluster.JoinReport).
	NodeDone struct {
		Node     cluster.Peer `json:"node"`
		NewRing  string       `json:"new_ring,omitempty"`
		KeysLost bool         `json:"keys_lost,omitempty"`
		Note     string       `json:"note,omitempty"`
	}
	// Healed is the data of heal: side B of the partition it removed
	// (empty when none was in force).
	Healed struct {
		Nodes []string `json:"nodes"`
	}
	// NodeList is the data of add: the nodes started. An add
	// with no live node to join through starts a new ring at NewRing:
	// KeysLost and Note say what that means (see cluster.JoinReport).
	NodeList struct {
		Nodes    []string `json:"nodes"`
		NewRing  string   `json:"new_ring,omitempty"`
		KeysLost bool     `json:"keys_lost,omitempty"`
		Note     string   `json:"note,omitempty"`
	}
	// Delay is the data of delay.
	Delay struct {
		Node string `json:"node"`
		// Delay is the added time (JSON: delay_ms).
		Delay time.Duration `json:"-"`
	}
	// Drop is the data of drop.
	Drop struct {
		Node    string  `json:"node"`
		Percent float64 `json:"percent"`
	}
	// Maintenance is the data of maintenance pause and resume.
	Maintenance struct {
		Paused bool `json:"paused"`
	}
	// Stepped is the data of maintenance step: how many nodes ran a round.
	Stepped struct {
		Nodes int `json:"nodes"`
	}
	// Tunables is the data of config without arguments (JSON: an object
	// from each name to its value).
	Tunables []cluster.Tunable
	// HelpText is the data of help.
	HelpText struct {
		Text string `json:"help"`
	}
	// NodeView is the data of node: the node in full, and whether its
	// text shows the fingers as the paper's table (else collapsed runs).
	// Its JSON is the NodeDetail's, which carries both.
	NodeView struct {
		cluster.NodeDetail
		Table bool `json:"-"`
	}
)

// MarshalJSON adds delay_ms.
func (d Delay) MarshalJSON() ([]byte, error) {
	type plain Delay
	return json.Marshal(struct {
		plain
		MS float64 `json:"delay_ms"`
	}{plain(d), float64(d.Delay) / float64(time.Millisecond)})
}

// MarshalJSON writes {"stabilize": "25ms", …}.
func (ts Tunables) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[t.Name] = t.Value
	}
	return json.Marshal(m)
}

// Done reports the outcome of a typed cluster call as the command cmd
// would: data is the call's typed result (or this package's, see Result),
// err its error. Exec builds every Result with it, and a program that
// calls the cluster directly (the TUI) uses it to show the same words.
func Done(cmd string, data any, err error) Result {
	r := Result{Cmd: cmd, Lookup: lookupOf(data)}
	if err != nil {
		if lr, ok := data.(cluster.LookupResult); ok && len(lr.Path) > 0 {
			err = fmt.Errorf("%w%s", err, pathText(lr))
		}
		r.Err, r.Text = err, "error: "+err.Error()
		switch d := data.(type) {
		case NodeList, cluster.CheckResult, cluster.StepReport: // what happened anyway
			r.Data = data
		case SourceResult: // what ran before the failure, then the error
			r.Data = data
			if t := sourceText(d); t != "" {
				r.Text = t + "\n" + r.Text
			}
		}
		return r
	}
	r.OK, r.Data, r.Text = true, data, text(cmd, data)
	r.Quit = cmd == "quit"
	if sr, ok := data.(SourceResult); ok && sr.Quit {
		r.Quit = true
	}
	return r
}

// lookupOf returns the lookup inside data, if any.
func lookupOf(data any) *cluster.LookupResult {
	var lr cluster.LookupResult
	switch d := data.(type) {
	case cluster.GetResult:
		lr = d.Lookup
	case cluster.WriteResult:
		lr = d.Lookup
	case cluster.LookupResult:
		lr = d
	case cluster.StepReport: // a fix_fingers round's lookup, when it is the step's only one
		var found *cluster.LookupResult
		for _, r := range d.Rounds {
			if r.Lookup != nil {
				if found != nil {
					return nil
				}
				found = r.Lookup
			}
		}
		return found
	default:
		return nil
	}
	return &lr
}
