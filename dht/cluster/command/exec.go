package command

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chordtui/chordtui/dht/cluster"
)

// Exec parses and runs one line of the command language on c and reports
// the outcome. It never panics on bad input: every problem comes back as a
// Result with OK false and an Err that names it and gives a hint. A blank
// or comment-only line is OK with an empty Cmd. help and quit need no
// cluster (c may be nil); every other command on a nil or closed cluster
// fails with cluster.ErrClosed.
func Exec(ctx context.Context, c *cluster.Cluster, line string) (res Result) {
	cmd, err := Parse(line)
	if err != nil {
		return Done(firstWord(line), nil, err)
	}
	if cmd.Name == "" {
		return Result{OK: true}
	}
	if (c == nil || c.Closed()) && cmd.Name != "help" && cmd.Name != "quit" {
		return Done(cmd.Name, nil, errorf(cluster.ErrClosed, "%s: the cluster is closed", cmd.Name))
	}
	defer func() {
		if p := recover(); p != nil {
			res = Done(cmd.Name, nil, fmt.Errorf("%s: internal error: %v", cmd.Name, p))
		}
	}()
	run, ok := runners[cmd.Name]
	if !ok { // the table and runners disagree: a programming error
		return Done(cmd.Name, nil, errorf(ErrUnknownCommand, "%s: not implemented", cmd.Name))
	}
	data, err := run(ctx, c, cmd)
	return Done(cmd.Name, data, err)
}

// firstWord is the command word of a line that did not parse, for the
// result's Cmd: at most maxCmdWord bytes of it (a longer one names no
// command), without splitting the rest of a long line.
func firstWord(line string) string {
	line = strings.TrimLeftFunc(line, unicode.IsSpace)
	if end := strings.IndexFunc(line, unicode.IsSpace); end >= 0 {
		line = line[:end]
	}
	if len(line) > maxCmdWord {
		cut := maxCmdWord
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line = line[:cut] + "…"
	}
	return strings.ToLower(line)
}

// maxCmdWord bounds the command word a failed result repeats.
const maxCmdWord = 64

// runner runs one parsed command (whose arity Parse checked) and returns
// its typed data and error, for Done.
type runner func(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error)

var runners map[string]runner

func init() {
	runners = map[string]runner{
		"set": func(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
			return c.Set(ctx, cmd.Args[0], cmd.Args[1], cmd.Via)
		},
		"get": func(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
			return c.Get(ctx, cmd.Args[0], cmd.Via)
		},
		"del": func(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
			return c.Del(ctx, cmd.Args[0], cmd.Via)
		},
		"lookup": func(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
			return c.Lookup(ctx, cmd.Args[0], cmd.Via)
		},
		"random": func(_ context.Context, c *cluster.Cluster, _ Command) (any, error) {
			name, err := c.PickOrigin()
			return Origin{Origin: name, Changed: true}, err
		},
		"origin":    runOrigin,
		"kill":      onNode(func(_ context.Context, c *cluster.Cluster, n string) error { return c.Kill(n) }),
		"revive":    runRevive,
		"leave":     onNode(func(ctx context.Context, c *cluster.Cluster, n string) error { return c.Leave(ctx, n) }),
		"pause":     onNode(func(_ context.Context, c *cluster.Cluster, n string) error { return c.Pause(n) }),
		"resume":    onNode(func(_ context.Context, c *cluster.Cluster, n string) error { return c.Resume(n) }),
		"add":       runAdd,
		"partition": runPartition,
		"heal": func(_ context.Context, c *cluster.Cluster, _ Command) (any, error) {
			return Healed{Nodes: nonNil(c.Heal())}, nil
		},
		"delay":       runDelay,
		"drop":        runDrop,
		"wait":        runWait,
		"check":       runCheck,
		"nodes":       func(_ context.Context, c *cluster.Cluster, _ Command) (any, error) { return c.Nodes(), nil },
		"node":        runNode,
		"keys":        func(_ context.Context, c *cluster.Cluster, cmd Command) (any, error) { return c.Keys(cmd.Args[0]) },
		"stats":       func(_ context.Context, c *cluster.Cluster, _ Command) (any, error) { return c.Stats(), nil },
		"load":        func(_ context.Context, c *cluster.Cluster, _ Command) (any, error) { return c.Load(), nil },
		"workload":    runWorkload,
		"resp":        runRESP,
		"maintenance": runMaintenance,
		"step":        runStep,
		"source":      runSource,
		"config":      runConfig,
		"help":        runHelp,
		"quit":        func(context.Context, *cluster.Cluster, Command) (any, error) { return nil, nil },
	}
}

// onNode runs act on the command's NODE and reports the node acted on.
func onNode(act func(context.Context, *cluster.Cluster, string) error) runner {
	return func(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
		if err := act(ctx, c, cmd.Args[0]); err != nil {
			return nil, err
		}
		p, err := c.Resolve(cmd.Args[0])
		return NodeDone{Node: p}, err
	}
}

func runOrigin(_ context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	if len(cmd.Args) == 0 {
		return Origin{Origin: c.Origin()}, nil
	}
	name, err := c.SetOrigin(cmd.Args[0])
	return Origin{Origin: name, Changed: true}, err
}

func runRevive(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	rep, err := c.ReviveNode(ctx, cmd.Args[0])
	if err != nil {
		return nil, err
	}
	p, err := c.Resolve(cmd.Args[0])
	return NodeDone{Node: p, NewRing: rep.NewRing, KeysLost: rep.KeysLost, Note: rep.NewRingText()}, err
}

func runAdd(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	count := 1
	if len(cmd.Args) == 1 {
		n, err := strconv.Atoi(cmd.Args[0])
		if err != nil || n < 1 || n > 1000 {
			return nil, errorf(ErrUsage, "add: COUNT must be a whole number from 1 to 1000, got %s — usage: add [COUNT]", quote(cmd.Args[0]))
		}
		count = n
	}
	rep, err := c.AddNodes(ctx, count)
	if len(rep.Nodes) == 0 {
		return nil, err
	}
	return NodeList{Nodes: rep.Nodes, NewRing: rep.NewRing, KeysLost: rep.KeysLost, Note: rep.NewRingText()}, err
}

func runPartition(_ context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	rep, err := c.Partition(cmd.Args)
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// nonNil makes a nil list an empty one, so that JSON shows [] and not null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func runDelay(_ context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	d, err := time.ParseDuration(cmd.Args[1])
	if err != nil && cmd.Args[1] == "0" {
		d, err = 0, nil
	}
	if err != nil {
		return nil, errorf(ErrUsage, "delay: %s is %s (try 20ms or 1s) — usage: delay NODE DURATION", quote(cmd.Args[1]), cluster.NotADuration(cmd.Args[1]))
	}
	name, err := c.SetDelay(cmd.Args[0], d)
	return Delay{Node: name, Delay: d}, err
}

// parsePercent reads a percentage written as a plain decimal, with or
// without a % sign: 10, 2.5, 100%. ParseFloat alone also took 1e2, 1_0,
// inf and nan.
func parsePercent(s string) (float64, error) {
	s = strings.TrimSuffix(s, "%")
	digits, dots := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
			dots++
		default:
			return 0, strconv.ErrSyntax
		}
	}
	if digits == 0 || dots > 1 {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(s, 64)
}

func runDrop(_ context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	p, err := parsePercent(cmd.Args[1])
	if err != nil {
		return nil, errorf(ErrUsage, "drop: %s is not a percentage (0..100) — usage: drop NODE PERCENT", quote(cmd.Args[1]))
	}
	name, err := c.SetDrop(cmd.Args[0], p)
	return Drop{Node: name, Percent: p}, err
}

func runWait(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	var timeout time.Duration // the cluster's default
	if len(cmd.Args) == 1 {
		d, err := time.ParseDuration(cmd.Args[0])
		if err != nil || d <= 0 {
			why := "not a positive duration"
			if err != nil && cluster.TooLongDuration(cmd.Args[0]) {
				why = cluster.NotADuration(cmd.Args[0])
			}
			return nil, errorf(ErrUsage, "wait: %s is %s (try 5s) — usage: wait [TIMEOUT]", quote(cmd.Args[0]), why)
		}
		timeout = d
	}
	return c.Wait(ctx, timeout)
}

func runCheck(_ context.Context, c *cluster.Cluster, _ Command) (any, error) {
	r := c.Check()
	if r.OK() {
		return r, nil
	}
	return r, errorf(ErrViolations, "check: %s:\n%s", Plural(len(r.Violations), "invariant violation"), checkText(r))
}

func runMaintenance(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	if err := c.RunsNodes("maintenance"); err != nil {
		return nil, err
	}
	switch strings.ToLower(cmd.Args[0]) {
	case "pause":
		c.PauseMaintenance()
		return Maintenance{Paused: true}, nil
	case "resume":
		c.ResumeMaintenance()
		return Maintenance{Paused: false}, nil
	default: // step (Parse checked the choices)
		return Stepped{Nodes: c.StepMaintenance(ctx)}, nil
	}
}

func runNode(_ context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	d, err := c.Node(cmd.Args[0])
	if err != nil {
		return nil, err
	}
	v := NodeView{NodeDetail: d, Table: d.ID.Decimal()}
	if len(cmd.Args) == 2 {
		v.Table = strings.EqualFold(cmd.Args[1], "table")
	}
	return v, nil
}

func runStep(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	task, node := "", ""
	switch len(cmd.Args) {
	case 2:
		task, node = cmd.Args[0], cmd.Args[1]
	case 1:
		if _, ok := cluster.ParseTask(cmd.Args[0]); ok {
			task = cmd.Args[0]
		} else {
			node = cmd.Args[0]
		}
	}
	rep, err := c.Step(ctx, task, node)
	if err != nil && len(rep.Rounds) == 0 {
		return nil, err
	}
	return rep, err
}

func runConfig(_ context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	switch len(cmd.Args) {
	case 0:
		return Tunables(c.Tunables()), nil
	case 1:
		return nil, errorf(ErrUsage, "config: wants 0 or 2 arguments (NAME VALUE), got 1 — usage: config [NAME VALUE]")
	}
	name := strings.ToLower(cmd.Args[0])
	names := tunableNames()
	if !slices.Contains(names, name) {
		hint := ""
		if s := suggest(name, names); s != "" {
			hint = fmt.Sprintf(" — did you mean %q?", s)
		}
		return nil, errorf(ErrUsage, "config: unknown tunable %s%s (tunables: %s)", quote(cmd.Args[0]), hint, strings.Join(names, ", "))
	}
	return c.SetTunable(name, cmd.Args[1])
}

func runHelp(_ context.Context, _ *cluster.Cluster, cmd Command) (any, error) {
	name := ""
	if len(cmd.Args) == 1 {
		name = cmd.Args[0]
	}
	text, err := Help(name)
	if err != nil {
		return nil, err
	}
	return HelpText{Text: text}, nil
}

func runRESP(_ context.Context, c *cluster.Cluster, _ Command) (any, error) {
	st, ok := c.RESP()
	if !ok {
		return nil, errorf(ErrUsage, "resp: no RESP endpoint — start chordtui with --resp ADDR (for example --resp 127.0.0.1:6380)")
	}
	return st, nil
}
