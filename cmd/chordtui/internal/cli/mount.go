package cli

// AddMountFlag adds --mount DIR, which mounts the ring's file system on
// DIR beside the UI or the REPL. Call it before Parse; MountDir reads it.
func (c *Command) AddMountFlag() {
	c.mount = new(string)
	c.Flags.StringVar(c.mount, "mount", "", "also mount the ring's file system on `dir` with FUSE (created if missing; unmounted on quit, ctrl-c or SIGTERM)")
}

// MountDir returns the --mount directory ("" without one).
func (c *Command) MountDir() string {
	if c.mount == nil {
		return ""
	}
	return *c.mount
}
