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
// DHT_SCHEDULES=n runs n schedules instead of the default 200; DHT_NODES=n
// runs them on n nodes instead of 6.
func TestLinearizableCache(t *testing.T) {
	nodes := 6
	if v, err := strconv.Atoi(os.Getenv("DHT_NODES")); err == nil && v > 0 {
		nodes = v
	}
	checkSchedules(t, cacheLinConfig(nodes), schedulesFromEnv(200))
}

// TestLinearizableCache8 is TestLinearizableCache on 8 nodes, where a
// stand-in's write while the owner's messages are lost, which the fence
// (fence.go) is for, comes up more often.
// DHT_SCHEDULES=n runs n schedules instead of the default 100.
func TestLinearizableCache8(t *testing.T) {
	checkSchedules(t, cacheLinConfig(8), schedulesFromEnv(100))
}

// cacheLinConfig is the linearizability schedules' config with the cache
// on, on n nodes.
func cacheLinConfig(n int) linConfig {
	cfg := linConfig{nodes: n, clients: 3, maxOps: 20, keys: 3, rpc: 30 * time.Millisecond}
	cfg.mutate = func(c *Config) {
		c.Clock = time.Now
		c.Cache = CacheConfig{On: true, Lease: 100 * time.Millisecond}
	}
	return cfg
}
