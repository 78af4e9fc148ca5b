package cluster

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/chordtui/chordtui/chord"
)

// Names returns the node names in order (n0, n1, …), for completion.
func (c *Cluster) Names() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.hosts)+len(c.members))
	for _, h := range c.hosts { // with virtual nodes: the real nodes first
		out = append(out, h.name)
	}
	for _, m := range c.members {
		out = append(out, m.name)
	}
	for _, r := range c.remotes {
		out = append(out, r.name)
	}
	return out
}

// Resolve finds the node named by node: a name (n3, or N8 with NamesID;
// case does not matter), an address (127.0.0.1:4000) or its identifier:
// a hex prefix, or on a ring of m ≤ DecimalBits, where identifiers are
// written in decimal, the decimal number (hex then needs 0x). The error
// wraps ErrUnknownNode and lists the names, or the candidates of an
// ambiguous prefix.
func (c *Cluster) Resolve(node string) (Peer, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if h := c.hostNamedLocked(node); h != nil {
		return c.hostPeerLocked(h), nil
	}
	m, err := c.resolveLocked("", node)
	if err != nil {
		if r := c.remoteNamedLocked(node); r != nil {
			return c.peerLocked(r.as), nil
		}
		return Peer{}, c.hostsNamed(err)
	}
	return c.peerLocked(m), nil
}

// resolve is Resolve for the cluster's control operations; op prefixes
// the error ("kill: unknown node …"). On a closed cluster it fails with
// ErrClosed: no node has a transport or a driver left to act on.
func (c *Cluster) resolve(op, arg string) (*member, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return nil, errorf(ErrClosed, "%s: the cluster is closed", op)
	}
	return c.resolveLocked(op, arg)
}

func (c *Cluster) resolveLocked(op, arg string) (*member, error) {
	for _, m := range c.members {
		if strings.EqualFold(m.name, arg) || m.addr == arg {
			return m, nil
		}
	}
	prefix := ""
	if op != "" {
		prefix = op + ": "
	}
	bits := c.cfg.Chord.Bits
	if bits <= DecimalBits && arg != "" && isDigits(arg) {
		// Identifiers are written in decimal on a ring this small: a
		// number is one, exactly (hex needs 0x).
		if v, err := strconv.ParseUint(arg, 10, 64); err == nil && v < 1<<bits {
			for _, m := range c.members {
				if m.id == chord.IDFromUint64(bits, v) {
					return m, nil
				}
			}
		}
		return nil, errorf(ErrUnknownNode, "%sno node has identifier %s — nodes are %s", prefix, QuoteKey(arg), c.nameRangeLocked())
	}
	hex, hasPrefix := strings.CutPrefix(strings.ToLower(arg), "0x")
	if hex != "" && isHex(hex) && (hasPrefix || bits > DecimalBits) {
		var matches []*member
		for _, m := range c.members {
			if strings.HasPrefix(m.id.Hex(bits), hex) {
				matches = append(matches, m)
			}
		}
		switch len(matches) {
		case 1:
			return matches[0], nil
		case 0:
		default:
			var desc []string
			for _, m := range matches {
				desc = append(desc, fmt.Sprintf("%s (%s)", m.name, m.id.Short(bits)))
			}
			return nil, errorf(ErrUnknownNode, "%sID prefix %s is ambiguous — it matches %s; give more digits",
				prefix, QuoteKey(arg), strings.Join(desc, ", "))
		}
	}
	return nil, errorf(ErrUnknownNode, "%sunknown node %s — nodes are %s", prefix, QuoteKey(arg), c.nameRangeLocked())
}

func (c *Cluster) nameRangeLocked() string {
	switch len(c.members) {
	case 0:
		if n := len(c.remotes); n > 0 {
			return fmt.Sprintf("%s (remote)", c.remotes[0].name+"…"+c.remotes[n-1].name)
		}
		return "none"
	case 1:
		return c.members[0].name
	}
	return c.members[0].name + "…" + c.members[len(c.members)-1].name
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// peerLocked describes m as results show it. Caller holds mu.
func (c *Cluster) peerLocked(m *member) Peer {
	return Peer{Name: m.name, ID: RingID{ID: m.id, Bits: c.cfg.Chord.Bits}, Addr: m.addr}
}

// refLocked names the node r points at: its member's name, or its address
// when no member listens there. Caller holds mu.
func (c *Cluster) refLocked(r chord.NodeRef) Peer {
	if r.IsZero() {
		return Peer{}
	}
	return Peer{Name: c.nameOfLocked(r.Addr), ID: RingID{ID: r.ID, Bits: c.cfg.Chord.Bits}, Addr: r.Addr}
}

// nameOf returns the name of the member at addr, or addr itself.
func (c *Cluster) nameOf(addr string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.nameOfLocked(addr)
}

func (c *Cluster) nameOfLocked(addr string) string {
	for _, m := range c.members {
		if m.addr == addr {
			return m.name
		}
	}
	for _, r := range c.remotes {
		if r.addr == addr {
			return r.name
		}
	}
	return addr
}

// replacerLocked returns the address-to-name rewriter for texts that name
// nodes by address (chord's event details and violations), rebuilt only
// when members were added (addresses never change).
func (c *Cluster) replacerLocked() *strings.Replacer {
	if r, n := c.names.Load(), len(c.members); r != nil && r.n == n && r.remoteGen == c.remoteGen {
		return r.r
	}
	names := make(map[string]string, len(c.members))
	var labelled []string       // NamesID: "8 (addr)", chord's label, is just "N8"
	for _, h := range c.hosts { // a transport's errors name the real node's address
		names[h.addr] = h.name
	}
	for _, m := range c.members {
		names[m.addr] = m.name
		if c.cfg.Names == NamesID {
			labelled = append(labelled, m.id.Label(c.cfg.Chord.Bits)+" ("+m.addr+")", m.name)
		}
	}
	for _, rm := range c.remotes {
		names[rm.addr] = rm.name
	}
	r := &namedReplacer{r: addrReplacer(names, labelled...), n: len(c.members), remoteGen: c.remoteGen}
	c.names.Store(r)
	return r.r
}

// namedReplacer caches addrReplacer for a number of members.
type namedReplacer struct {
	r         *strings.Replacer
	n         int
	remoteGen uint64
}

// addrReplacer rewrites addresses to names, longest address first so that
// 127.0.0.1:4000 never matches inside 127.0.0.1:40001; first pairs (old,
// new, …), when given, are tried before them.
func addrReplacer(names map[string]string, first ...string) *strings.Replacer {
	addrs := make([]string, 0, len(names))
	for a := range names {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return len(addrs[i]) > len(addrs[j]) })
	pairs := append(make([]string, 0, len(first)+2*len(addrs)), first...)
	for _, a := range addrs {
		pairs = append(pairs, a, names[a])
	}
	return strings.NewReplacer(pairs...)
}
