package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// Virtual nodes (Config.VNodes = V > 1): every real node, a host, runs V
// Chord identities, each a member of the cluster with its own chord.Node,
// dht.Store and driver, all on the host's one listener and transport. An
// identity's address is the host's followed by "#k" (127.0.0.1:4000#2),
// and a call to it travels to the host's address with "k|" in front of
// its method, where the host's vmux hands it to identity k's handler; so
// chord.Transport stays what it is, and every fault the network applies
// to the host's address applies to all its identities at once. Faults
// (kill, revive, leave, pause, resume, partition, delay, drop) name hosts
// (n3), never identities (n3.2); invariants and "stable" are judged over
// the identities as without virtual nodes, and a key's holders are the
// owner and the next identities on distinct hosts (dht.Config.Host).

// identitySep separates a host's address from an identity's number, and
// methodSep an identity's number from the method.
const (
	identitySep = "#"
	methodSep   = "|"
)

// splitIdentity cuts an identity's address into its host's address and
// its number; ok is false for an address without one.
func splitIdentity(addr string) (host, k string, ok bool) {
	i := strings.LastIndex(addr, identitySep)
	if i < 0 {
		return addr, "", false
	}
	return addr[:i], addr[i+1:], true
}

// HostOf is the address of the host an identity's address belongs to (the
// address itself when it names no identity): dht.Config.Host with virtual
// nodes.
func HostOf(addr string) string {
	h, _, _ := splitIdentity(addr)
	return h
}

// vhost is one real node running its identities.
type vhost struct {
	name    string    // n3
	addr    string    // its listener's address
	members []*member // its identities, n3.0 … n3.(V-1)
	// cache joins its identities' read caches (dht.CacheGroup).
	cache *dht.CacheGroup

	// Guarded by Cluster.mu: the transport while it is up.
	tr  Transport
	mux *vmux
}

// vmux serves a host's transport: it hands each incoming call to the
// handler of the identity its method names.
type vmux struct {
	real Transport

	mu       sync.RWMutex
	handlers map[string]chord.Handler // by identity number
}

// errNoIdentity answers a call for an identity the host does not run (it
// was not started yet, or is stopped), as a dead node would not answer.
var errNoIdentity = errors.New("no such identity on this node")

func newVmux(tr Transport) *vmux {
	x := &vmux{real: tr, handlers: map[string]chord.Handler{}}
	tr.Serve(x.serve)
	return x
}

func (x *vmux) serve(ctx context.Context, method string, req []byte) ([]byte, error) {
	k, inner, ok := strings.Cut(method, methodSep)
	if !ok {
		// A program that joins or attaches calls the address itself.
		return nil, fmt.Errorf("%w: %q names no identity: this node runs virtual nodes (--vnodes), and another program cannot join or attach to such a ring", errNoIdentity, method)
	}
	x.mu.RLock()
	h := x.handlers[k]
	x.mu.RUnlock()
	if h == nil {
		return nil, fmt.Errorf("%w: %s", errNoIdentity, k)
	}
	return h(ctx, inner, req)
}

// transport returns identity k's Transport on the host.
func (x *vmux) transport(k string) *vnodeTransport {
	return &vnodeTransport{x: x, k: k, addr: x.real.Addr() + identitySep + k}
}

// vnodeTransport is one identity's Transport: its own address, the
// host's connections.
type vnodeTransport struct {
	x    *vmux
	k    string
	addr string
}

func (t *vnodeTransport) Addr() string { return t.addr }

func (t *vnodeTransport) Call(ctx context.Context, addr, method string, req []byte) ([]byte, error) {
	host, k, ok := splitIdentity(addr)
	if !ok {
		return nil, fmt.Errorf("call %s to %s: not the address of a virtual node", method, addr)
	}
	return t.x.real.Call(ctx, host, k+methodSep+method, req)
}

func (t *vnodeTransport) Serve(h chord.Handler) {
	t.x.mu.Lock()
	defer t.x.mu.Unlock()
	t.x.handlers[t.k] = h
}

func (t *vnodeTransport) Connected(addr string) bool { return t.x.real.Connected(HostOf(addr)) }

// WouldDial implements chord.DialReporter when the host's transport does;
// otherwise no call dials.
func (t *vnodeTransport) WouldDial(addr string) bool {
	dr, ok := t.x.real.(chord.DialReporter)
	return ok && dr.WouldDial(HostOf(addr))
}

// Kill and Close stop serving the identity; the host's transport is
// killed or closed by the host.
func (t *vnodeTransport) Kill() {
	t.x.mu.Lock()
	defer t.x.mu.Unlock()
	delete(t.x.handlers, t.k)
}

func (t *vnodeTransport) Close() error {
	t.Kill()
	return nil
}

// Stats are the host's: its identities share its connections.
func (t *vnodeTransport) Stats() RPCStats { return t.x.real.Stats() }

// vnodes reports whether the cluster runs virtual nodes.
func (c *Cluster) vnodes() bool { return c.cfg.VNodes > 1 }

// newHost listens for a new real node and reserves its identities'
// names, identifiers and transports, recording them as down.
func (c *Cluster) newHost() (*vhost, error) {
	tr, err := c.net.Listen("")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		tr.Kill()
		return nil, ErrClosed
	}
	h := &vhost{name: fmt.Sprintf("n%d", len(c.hosts)), addr: tr.Addr(), tr: tr, mux: newVmux(tr), cache: dht.NewCacheGroup()}
	for k := range c.cfg.VNodes {
		num := fmt.Sprint(k)
		vt := h.mux.transport(num)
		m := &member{name: h.name + "." + num, addr: vt.Addr(), state: StateDown, tr: vt, host: h}
		if m.id, err = c.chooseIDLocked(m.name, m.addr); err != nil {
			tr.Kill()
			return nil, err
		}
		c.members = append(c.members, m)
		h.members = append(h.members, m)
		c.yieldNameLocked(m.name)
	}
	c.hosts = append(c.hosts, h)
	return h, nil
}

// listenHost opens h's listener again (revive) and gives each identity a
// transport on it. Caller holds opMu.
func (c *Cluster) listenHost(h *vhost) error {
	tr, err := c.net.Listen(h.addr)
	if err != nil {
		return err
	}
	mux := newVmux(tr)
	c.mu.Lock()
	defer c.mu.Unlock()
	h.tr, h.mux = tr, mux
	for _, m := range h.members {
		_, k, _ := splitIdentity(m.addr)
		m.tr = mux.transport(k)
	}
	return nil
}

// hostName is the name of the real node m runs on: its host's, or its
// own without virtual nodes.
func hostName(m *member) string {
	if m.host != nil {
		return m.host.name
	}
	return m.name
}

// resolveHostLocked finds the real node arg names: a host's name or
// address, or (in an error) an identity's. Caller holds mu.
func (c *Cluster) resolveHostLocked(op, arg string) (*vhost, error) {
	for _, h := range c.hosts {
		if strings.EqualFold(h.name, arg) || h.addr == arg {
			return h, nil
		}
	}
	m, err := c.resolveLocked(op, arg)
	if err != nil {
		return nil, c.hostsNamed(err)
	}
	return nil, errorf(ErrBadArgument, "%s: %s is an identity of %s; faults act on real nodes — %s %s",
		op, m.name, m.host.name, op, m.host.name)
}

// hostsNamed rewrites an unknown-node error to name the real nodes.
func (c *Cluster) hostsNamed(err error) error {
	var oe *opError
	if !errors.As(err, &oe) || !errors.Is(err, ErrUnknownNode) || len(c.hosts) == 0 {
		return err
	}
	msg := oe.msg
	if i := strings.LastIndex(msg, " — nodes are "); i >= 0 {
		msg = msg[:i]
	}
	return errorf(ErrUnknownNode, "%s — nodes are %s…%s (identities %s.0 …)", msg,
		c.hosts[0].name, c.hosts[len(c.hosts)-1].name, c.hosts[0].name)
}

// resolveHost is resolveHostLocked for the control operations.
func (c *Cluster) resolveHost(op, arg string) (*vhost, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return nil, errorf(ErrClosed, "%s: the cluster is closed", op)
	}
	return c.resolveHostLocked(op, arg)
}

// hostStateLocked is a host's state: its identities share it.
func hostStateLocked(h *vhost) State { return h.members[0].state }
