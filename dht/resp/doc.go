// Package resp is a Redis-protocol (RESP2 and RESP3) endpoint over the
// ring: redis-cli, redis-benchmark and any Redis client library can read
// and write the DHT through it. It is a face over the ring, not a layer of
// it: every command becomes Get, Set or Update calls on the dht.Store of
// one node (Ring.Via), so a GET is a lookup from that node followed by a
// read of the key's r copies, as the command language's get; the
// cluster's stores read with dht.Store.GetDirect, which skips the lookup
// when the node heard from the key's owner in the last second.
//
// Where to look: server.go (Server, Config, Ring, the accept loop, one
// goroutine per client, limits and counters), proto.go (the request
// reader and the reply writer), commands.go (the command table and every
// command), info.go (INFO and COMMAND).
//
// # Commands and what they promise
//
// PING, ECHO, HELLO 2|3, AUTH (user default, no password), CLIENT
// ID|SETNAME|GETNAME|SETINFO|INFO|LIST, SELECT 0, QUIT; GET, SET, DEL,
// EXISTS, MGET, MSET, INCR, DECR, INCRBY, DECRBY, STRLEN, APPEND, DBSIZE;
// INFO, COMMAND (COUNT, DOCS, INFO, LIST) and CONFIG GET. Each key behaves
// as the DHT guarantees (linearizable under the conditions of package
// dht). INCR, DECR, INCRBY, DECRBY, APPEND, DEL and SET with NX, XX or GET
// are atomic: a dht.Update, a read and a write applied only if the key
// is still at the version read, checked by every holder of the key, so
// also across a change of owner. MSET writes each key on its
// own (the DHT has no multi-key transaction) and MGET reads each key on
// its own. The DHT keeps no expiry times: SET with EX, PX, EXAT or PXAT is
// refused. DBSIZE is an estimate (RingInfo.Keys). Unknown commands get
// Redis's "-ERR unknown command" reply, and a key or value over the DHT's
// limits a Redis-style "-ERR … exceeds maximum allowed size".
//
// A failed read or write is an error reply, never a wrong value: "TRYAGAIN
// key unavailable …" while too few of the key's holders answer (after
// Config.Attempts tries), "CLUSTERDOWN …" when no node is alive. A write
// that failed may or may not have taken effect, and its reply says so.
//
// # Limits
//
// A request that breaks the protocol is answered "-ERR Protocol error: …"
// and only that client is closed. An argument longer than the DHT's value
// limit, or past Config.MaxRequestBytes, is read through and thrown away
// (never held in memory) and the request refused. Clients idle for
// Config.Idle are closed; beyond Config.MaxClients a new client gets
// "-ERR max number of clients reached". Replies to a pipeline are written
// together once no further request has arrived.
package resp
