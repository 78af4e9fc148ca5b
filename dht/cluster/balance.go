package cluster

import (
	"strings"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// switchTunable is a tunable that is on or off: the load-balancing
// mechanisms, applied to every running node at once and to the nodes
// started later through the configuration.
type switchTunable struct {
	name, summary string
	get           func(cfg *Config) bool
	set           func(cfg *Config, on bool)
	apply         func(node *chord.Node, store *dht.Store, on bool)
}

var switches = []switchTunable{
	{"adaptive", "adaptive routing: a finger routes around its node when that node answers many more lookup steps than another of the finger's interval (on|off)",
		func(c *Config) bool { return c.Chord.Load.Adaptive },
		func(c *Config, on bool) { c.Chord.Load.Adaptive = on },
		func(n *chord.Node, _ *dht.Store, on bool) { n.SetAdaptive(on) }},
	{"cache", "read cache: a node answers repeated gets, its own and those it routes, from its cache while the owner's lease lasts; writes revoke leases first (on|off)",
		func(c *Config) bool { return c.DHT.Cache.On },
		func(c *Config, on bool) { c.DHT.Cache.On = on },
		func(_ *chord.Node, s *dht.Store, on bool) { s.SetCache(on) }},
}

func switchNamed(name string) *switchTunable {
	for i := range switches {
		if switches[i].name == name {
			return &switches[i]
		}
	}
	return nil
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// setSwitch sets a switch tunable to value ("on" or "off") on the
// configuration and on every running node.
func (c *Cluster) setSwitch(t *switchTunable, value string) (Tunable, error) {
	var on bool
	switch strings.ToLower(value) {
	case "on", "true", "1":
		on = true
	case "off", "false", "0":
	default:
		return Tunable{}, errorf(ErrBadArgument, "config %s: %s is not on or off", t.name, QuoteKey(value))
	}
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	t.set(&c.cfg, on)
	for _, m := range c.members {
		if m.node != nil && m.store != nil {
			t.apply(m.node, m.store, on)
		}
	}
	c.mu.Unlock()
	return Tunable{Name: t.name, Value: onOff(on), Summary: t.summary}, nil
}
