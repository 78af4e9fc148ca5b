package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
)

// Lecture mode on the command line (docs/lecture.md): --lecture picks
// cluster.LectureConfig, every part of which a flag given explicitly
// overrides; --ids places the nodes; --names names them. The UI adds
// --hop-delay and --script (AddUIFlags).

// Hop delays of the UI's lookup animation: each hop is shown this long.
const (
	DefaultHopDelay = 400 * time.Millisecond
	LectureHopDelay = time.Second
)

// lectureFlags are the flags AddLectureFlags adds.
type lectureFlags struct {
	on    bool
	ids   idList
	names string
}

// idList is the value of --ids: distinct identifiers in decimal, comma
// separated.
type idList []uint64

func (l *idList) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(*l))
	for i, v := range *l {
		parts[i] = strconv.FormatUint(v, 10)
	}
	return strings.Join(parts, ",")
}

func (l *idList) Set(s string) error {
	var out idList
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return fmt.Errorf("want identifiers in decimal separated by commas, such as 1,8,14 (%q is not one)", f)
		}
		if slices.Contains(out, v) {
			return fmt.Errorf("identifier %d is given twice: every node needs its own", v)
		}
		out = append(out, v)
	}
	*l = out
	return nil
}

func (l *idList) Get() any { return []uint64(*l) }

// AddLectureFlags adds --lecture, --ids and --names to the command (the UI
// and the REPL take them). Call it before Parse.
func (c *Command) AddLectureFlags() {
	f := &lectureFlags{}
	c.lecture = f
	c.Flags.BoolVar(&f.on, "lecture", false, fmt.Sprintf(
		"lecture preset: m = %d, nodes named by identifier (N8), seed %d, stabilize every %v, fix-fingers, check-pred and repair every %v, "+
			"fingers fixed at start, and in the UI a hop delay of %v; with N = 10 the nodes sit at the paper's identifiers %s. A flag given explicitly overrides its part",
		cluster.LectureBits, cluster.LectureSeed, cluster.LectureStabilize, cluster.LectureSlowRounds, LectureHopDelay, joinIDs(cluster.PaperIDs)))
	c.Flags.Var(&f.ids, "ids", "place the nodes at these `identifiers` (decimal, comma separated, distinct, below 2^m), one per node in start order; N may then be left out")
	f.names = ""
	c.Flags.Var(&choiceValue{&f.names, []string{string(cluster.NamesStart), string(cluster.NamesID)}}, "names",
		"name nodes by `style`: start (n0, n1, … in start order) or id (N8 is the node at identifier 8; m ≤ 10); default start, id with --lecture")
}

func joinIDs(vs []uint64) string {
	return (*idList)(&vs).String()
}

// Lecture reports whether --lecture was given.
func (c *Command) Lecture() bool { return c.lecture != nil && c.lecture.on }

// uiFlags are the flags AddUIFlags adds.
type uiFlags struct {
	hopDelay time.Duration
	script   string
}

// AddUIFlags adds the terminal UI's lecture flags: --hop-delay and
// --script. Call it before Parse; UIOptions reads them after.
func (c *Command) AddUIFlags() {
	f := &uiFlags{}
	c.ui = f
	c.Flags.DurationVar(&f.hopDelay, "hop-delay", DefaultHopDelay,
		fmt.Sprintf("how long each hop of a lookup is shown on the ring before the next (%v with --lecture)", LectureHopDelay))
	c.Flags.StringVar(&f.script, "script", "", "a lesson `file` (commands with # narration, as in docs/lessons) to step through in the UI, "+
		"one step per → (a narration shown, a command run)")
}

// UIOptions are the UI's lecture settings from the command line.
type UIOptions struct {
	// HopDelay is how long each hop of an animated lookup is shown
	// (tui.Options.HopInterval).
	HopDelay time.Duration
	// Script is the lesson given with --script, parsed; nil without one.
	Script *command.Lesson
}

// UIOptions reads --hop-delay (defaulting to LectureHopDelay with
// --lecture) and reads and parses the --script file. Its errors are the
// user's (ExitStatus: status 2): a script that does not parse names its
// line.
func (c *Command) UIOptions() (UIOptions, error) {
	if c.ui == nil {
		return UIOptions{HopDelay: DefaultHopDelay}, nil
	}
	o := UIOptions{HopDelay: c.ui.hopDelay}
	if c.Lecture() && !c.IsSet("hop-delay") {
		o.HopDelay = LectureHopDelay
	}
	if o.HopDelay <= 0 {
		return o, fmt.Errorf("--hop-delay %v: want a positive duration such as 400ms or 1s", o.HopDelay)
	}
	if c.ui.script != "" {
		l, err := command.ReadLesson(c.ui.script)
		if err != nil {
			return o, fmt.Errorf("--script: %w", err)
		}
		o.Script = &l
	}
	return o, nil
}

// lectureConfig is the configuration for n nodes in lecture mode, before
// the cluster's other flags apply.
func (c *Command) lectureConfig(n int) cluster.Config {
	cfg := cluster.LectureConfig(n)
	if c.IsSet("bits") && c.cluster.bits != cluster.LectureBits {
		cfg.IDs = nil // the paper's identifiers are for its 6-bit circle
	}
	return cfg
}

// applyLecture sets the identifiers and the names from --ids and --names
// on cfg, whose Chord.Bits is final. Without --names, lecture mode names
// by identifier when m allows it.
func (c *Command) applyLecture(cfg *cluster.Config) error {
	f := c.lecture
	if f == nil {
		return nil
	}
	if len(f.ids) > 0 {
		bits := cfg.Chord.Bits
		for _, v := range f.ids {
			if bits < 64 && v >= 1<<bits {
				return fmt.Errorf("--ids: identifier %d does not fit in m = %d bits (0 to %d); give --bits %d or more",
					v, bits, uint64(1)<<bits-1, bitsFor(v))
			}
		}
		cfg.IDs = cluster.IDsFromUint64(bits, f.ids)
	}
	switch {
	case f.names != "":
		cfg.Names = cluster.NameStyle(f.names)
		if cfg.Names == cluster.NamesID && cfg.Chord.Bits > cluster.DecimalBits {
			return fmt.Errorf("--names id: names by identifier (N8) need m ≤ %d bits, got --bits %d", cluster.DecimalBits, cfg.Chord.Bits)
		}
	case cfg.Names == cluster.NamesID && cfg.Chord.Bits > cluster.DecimalBits:
		cfg.Names = cluster.NamesStart // the preset's names, where m is too large for them
	}
	return nil
}

// bitsFor is the smallest m whose circle holds v.
func bitsFor(v uint64) int {
	m := 1
	for m < 64 && v >= 1<<m {
		m++
	}
	return max(m, 6)
}

// nodeCountFromIDs returns N from --ids when N is left out, and checks
// that a given N agrees with it.
func (c *Command) nodeCountFromIDs(pos []string) (int, bool, error) {
	if c.lecture == nil || len(c.lecture.ids) == 0 {
		return 0, false, nil
	}
	count := len(c.lecture.ids)
	if len(pos) == 0 {
		return count, true, nil
	}
	n, err := c.parseNodeCount(pos)
	if err != nil {
		return 0, true, err
	}
	if n != count {
		return 0, true, fmt.Errorf("--ids gives %d identifiers for %d nodes: give one per node, or leave N out", count, n)
	}
	return n, true, nil
}
