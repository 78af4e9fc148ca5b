package cli

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
)

// respFlags are the flags AddRESPFlags adds: the Redis-protocol endpoint.
type respFlags struct {
	addr       string
	via        string
	idle       time.Duration
	maxClients int
}

// AddRESPFlags adds --resp, --resp-via, --resp-idle and --resp-max-clients
// (the UI and the REPL take them); ClusterConfig puts them in the
// cluster's Config.RESP. Call it before Parse.
func (c *Command) AddRESPFlags() {
	d := cluster.DefaultRESPConfig()
	f := &respFlags{}
	c.resp = f
	c.Flags.StringVar(&f.addr, "resp", "", "serve the Redis protocol (RESP2/RESP3) on this `address` (host:port, or :port for 127.0.0.1; port 0 picks a free one), "+
		"so that redis-cli, redis-benchmark and Redis client libraries read and write the DHT; the resp command shows where it listens")
	c.Flags.StringVar(&f.via, "resp-via", "", "the `node` every RESP command goes through (default: the default origin); while it is not alive, the default origin or the first live member")
	c.Flags.DurationVar(&f.idle, "resp-idle", d.Idle, "close a RESP client that sent nothing for this long (0: never)")
	c.Flags.IntVar(&f.maxClients, "resp-max-clients", d.MaxClients, "at most this many RESP clients at once; one more is refused with Redis's \"max number of clients reached\"")
}

// respConfig is the endpoint's configuration from the flags (Addr ""
// without --resp). Its errors are the user's.
func (c *Command) respConfig() (cluster.RESPConfig, error) {
	rc := cluster.DefaultRESPConfig()
	f := c.resp
	if f == nil {
		return rc, nil
	}
	if f.addr == "" {
		for _, name := range []string{"resp-via", "resp-idle", "resp-max-clients"} {
			if c.IsSet(name) {
				return rc, fmt.Errorf("--%s needs --resp ADDR (for example --resp 127.0.0.1:6380)", name)
			}
		}
		return rc, nil
	}
	host, port, err := net.SplitHostPort(f.addr)
	if err != nil {
		return rc, fmt.Errorf("--resp %q: want host:port or :port, such as 127.0.0.1:6380 or :6380", f.addr)
	}
	if host == "" {
		host = "127.0.0.1" // like the nodes: not every interface unless asked
	}
	var errs []error
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		errs = append(errs, fmt.Errorf("--resp %q: the port must be a number from 0 to 65535", f.addr))
	}
	if f.idle < 0 {
		errs = append(errs, fmt.Errorf("--resp-idle %v: must not be negative (0 never closes an idle client)", f.idle))
	}
	if f.maxClients < 1 {
		errs = append(errs, fmt.Errorf("--resp-max-clients %d: must be at least 1", f.maxClients))
	}
	rc.Addr, rc.Via, rc.Idle, rc.MaxClients = net.JoinHostPort(host, port), f.via, f.idle, f.maxClients
	return rc, errors.Join(errs...)
}
