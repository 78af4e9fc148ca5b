package cluster

// The default origin: the member get, set, del and lookup start at when no
// "via" node is given.

// PickOrigin chooses a random live member as the default origin and
// returns its name.
func (c *Cluster) PickOrigin() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	live := c.liveLocked()
	if len(live) == 0 {
		return "", errorf(ErrNoLiveNode, "random: no live node to pick")
	}
	c.origin = live[c.rng.IntN(len(live))].name
	return c.origin, nil
}

// Origin names the default origin (n0 after Start). While it is not alive,
// operations without "via" start at the first live member instead.
func (c *Cluster) Origin() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.origin
}

// SetOrigin makes the live member node (a name, ID prefix or address) the
// default origin and returns its name.
func (c *Cluster) SetOrigin(node string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, err := c.resolveLocked("origin", node)
	if err != nil {
		if r := c.remoteNamedLocked(node); r != nil && c.client != nil {
			c.origin = r.name
			return r.name, nil
		}
		return "", err
	}
	if m.state != StateAlive {
		return "", errorf(ErrNodeState, "origin: %s — pick a live member", stateText(m.name, m.state))
	}
	c.origin = m.name
	return m.name, nil
}

// originFor returns the member an operation starts at: via if given, else
// the default origin, else (when it is not alive) the first live member.
// The member's node and store are read under the lock: they are nil again
// once it is killed.
func (c *Cluster) originFor(op, via string) (startAt, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return startAt{}, errorf(ErrClosed, "%s: the cluster is closed", op)
	}
	pick := func(m *member) startAt {
		return startAt{name: m.name, node: m.node, store: m.store, ops: localStore{Store: m.store, node: m.node}}
	}
	pickRemote := func(r *remote) startAt {
		return startAt{name: r.name, ops: remoteStore{tr: c.client.tr, addr: r.addr}}
	}
	if via != "" {
		if h := c.hostNamedLocked(via); h != nil {
			// A real node: its first live identity.
			if m := liveIdentityLocked(h); m != nil {
				return pick(m), nil
			}
			return startAt{}, errorf(ErrNodeState, "%s: %s — pick a live node after via", op, stateText(h.name, hostStateLocked(h)))
		}
		m, err := c.resolveLocked(op, via)
		if err != nil {
			if r := c.remoteNamedLocked(via); r != nil && c.client != nil {
				if r.misses > 0 || r.obs.Node.State != StateAlive {
					return startAt{}, errorf(ErrNodeState, "%s: %s is not answering as a live node — pick a live node after via", op, r.name)
				}
				return pickRemote(r), nil
			}
			return startAt{}, c.hostsNamed(err)
		}
		if m.state != StateAlive {
			return startAt{}, errorf(ErrNodeState, "%s: %s — pick a live node after via", op, stateText(m.name, m.state))
		}
		return pick(m), nil
	}
	for _, m := range c.members {
		if m.name == c.origin && m.state == StateAlive {
			return pick(m), nil
		}
	}
	live := c.liveLocked()
	if len(live) == 0 && c.client != nil { // attached: the remote members
		for _, r := range c.remotes {
			if r.name == c.origin && r.misses == 0 && r.obs.Node.State == StateAlive {
				return pickRemote(r), nil
			}
		}
		for _, r := range c.remotes {
			if r.misses == 0 && r.obs.Node.State == StateAlive {
				return pickRemote(r), nil
			}
		}
	}
	if len(live) == 0 {
		for _, m := range c.members {
			if m.state == StatePaused {
				return startAt{}, errorf(ErrNoLiveNode, "%s: no live node to start from — every node is down or paused: resume %s", op, m.name)
			}
		}
		return startAt{}, errorf(ErrNoLiveNode, "%s: no live node to start from — revive NODE or add starts a new ring", op)
	}
	return pick(live[0]), nil
}
