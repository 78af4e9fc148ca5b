// Package bench is "chordtui bench": it starts N nodes on 127.0.0.1 and
// measures start → stable, lookup/get/set latency and throughput, hops,
// kill → stable with the gets failed meanwhile, memory and descriptors,
// against the loopback floor (raw TCP, a yamux stream, a netmux call)
// measured in the same run.
//
// Where to look: Run (run.go) parses the flags and prints the report;
// bencher.run (bencher.go) is the order of the measurements; report.go
// holds the report types that both the tables and --json are made from
// (tables.go); load.go generates the load and the crashes; proc.go samples
// the process (/proc, rusage); goals.go judges the figures against the
// goals in docs/BENCHMARKS.md; pingpong.go and floor.go are the floor,
// also run by BenchmarkPingPong:
//
//	go test ./cmd/chordtui/bench -run '^$' -bench PingPong
package bench
