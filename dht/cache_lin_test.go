package dht

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestLinearizableCache is TestLinearizable with the read cache on at every
// node, caching along lookup paths included (hopcache.go), on the real clock
// with a lease a few RPC timeouts long: gets answered from the origin's
// cache or a hop's must keep every key's history linearizable under the
// same faults.
// DHT_SCHEDULES=n runs n schedules instead of the default 200.
func TestLinearizableCache(t *testing.T) {
	nodes := 6
	if v, err := strconv.Atoi(os.Getenv("DHT_NODES")); err == nil && v > 0 {
		nodes = v // DHT_NODES=n runs them on n nodes
	}
	cfg := linConfig{nodes: nodes, clients: 3, maxOps: 20, keys: 3, rpc: 30 * time.Millisecond}
	cfg.mutate = func(c *Config) {
		c.Clock = time.Now
		c.Cache = CacheConfig{On: true, Lease: 100 * time.Millisecond}
	}
	checkSchedules(t, cfg, schedulesFromEnv(200))
}
