package bench

// This file holds the report types: --json prints a report as it is and
// the tables (tables.go) are written from the same values.

// report is everything "chordtui bench" measures; --json prints it.
type report struct {
	Command    string `json:"command"`
	Date       string `json:"date"`
	GoVersion  string `json:"go_version"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	// GOGC is the garbage collector's target in effect (the GOGC
	// environment variable, 100 without it; -1: off).
	GOGC   int `json:"gogc"`
	NumCPU int `json:"num_cpu"`
	// LoadAvg is the machine's 1-minute load average at the start and at
	// the end of the run (/proc/loadavg): other processes compete for the CPU.
	LoadAvg []float64 `json:"load_avg"`

	Nodes          int     `json:"nodes"`
	Bits           int     `json:"bits"`
	Successors     int     `json:"successors"`
	Replicas       int     `json:"replicas"`
	StabilizeMS    float64 `json:"stabilize_ms"`
	FixFingersMS   float64 `json:"fix_fingers_ms"`
	CheckPredMS    float64 `json:"check_pred_ms"`
	LivenessMS     float64 `json:"liveness_ms"`
	MonitorMS      float64 `json:"monitor_ms"`
	Keys           int     `json:"keys"`
	PhaseSeconds   float64 `json:"phase_seconds"`
	StartToStableS float64 `json:"start_to_stable_s"`
	// StartCPUS is the CPU time (user+sys, whole process) spent from the
	// start until the ring was seen stable: unlike the time it took, it
	// depends little on what else the machine runs.
	StartCPUS float64 `json:"start_cpu_s"`
	// StartDials counts the connections the nodes opened from the start
	// until the ring was seen stable; StartEvicted, those they closed to
	// stay within their session cap meanwhile.
	StartDials     uint64  `json:"start_dials"`
	StartEvicted   uint64  `json:"start_evicted"`
	PreloadSeconds float64 `json:"preload_s"`
	PreloadErrors  int     `json:"preload_errors"`
	// IdleCores is the CPU the ring uses with no client (maintenance
	// rounds, the stable monitor), in cores.
	IdleCores float64 `json:"idle_cores_used"`
	// IdleSleepingCores is the same over 2 s once the periods have had
	// IdleSleepingAfterS to back off to their cap (0: backoff off).
	IdleSleepingCores  float64 `json:"idle_sleeping_cores_used"`
	IdleSleepingAfterS float64 `json:"idle_sleeping_after_s"`
	IdleTimeoutS       float64 `json:"idle_timeout_s"`
	// MaxSessions is each node's session cap (netmux.Config.MaxSessions),
	// IdleBackoff how far an idle node's rounds stretch their periods
	// (chord.Config.IdleBackoff; ≤ 1: never).
	MaxSessions  int     `json:"max_sessions"`
	IdleBackoff  int     `json:"idle_backoff"`
	JoinTimeoutS float64 `json:"join_timeout_s"`
	RPCTimeoutMS float64 `json:"rpc_timeout_ms"`
	HopsTheory   float64 `json:"hops_theory"` // ½·log2 N
	// LookupStyle is how the lookup phases look up: "recursive" or
	// "iterative" (chord.LookupOptions.Recursive).
	LookupStyle    string        `json:"lookup_style"`
	LookupHopsMean float64       `json:"lookup_hops_mean"`
	LookupHopsP99  int           `json:"lookup_hops_p99"`
	GetHopsMean    float64       `json:"get_hops_mean"`
	Floor          floorReport   `json:"floor"`
	Phases         []phaseReport `json:"phases"`
	Ratios         ratioReport   `json:"ratios"`
	KillOne        *killReport   `json:"kill_one"`
	KillAdjacent   *killReport   `json:"kill_adjacent"`
	Memory         memoryReport  `json:"memory"`
	Files          *filesReport  `json:"files,omitempty"` // --files
	Goals          []goalReport  `json:"goals"`
	CPUProfile     string        `json:"cpu_profile,omitempty"`
	MemProfile     string        `json:"mem_profile,omitempty"`
	TotalSeconds   float64       `json:"total_s"`
	// Failure says why the run stopped early (the ring did not become
	// stable, descriptors ran out); the figures measured until then stay.
	Failure string `json:"failure,omitempty"`
}

// phaseReport is one load phase: one operation with a number of concurrent
// clients, each from a random live origin and a random key.
type phaseReport struct {
	Op string `json:"op"` // lookup, get or set
	// Style is how a lookup phase looked up: "recursive" or "iterative".
	Style    string  `json:"style,omitempty"`
	Clients  int     `json:"clients"`
	Ops      int     `json:"ops"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"ops_per_s"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	HopsMean float64 `json:"hops_mean"`
	HopsP99  int     `json:"hops_p99"`
	// CPUus is the process's CPU time (user+sys, maintenance included) per
	// operation: a figure other processes on the machine disturb less than
	// latency; CPUShare is that CPU time over the phase's wall time (2 = both
	// cores of this machine busy with chordtui).
	CPUus    float64 `json:"cpu_us_per_op"`
	CPUShare float64 `json:"cpu_cores_used"`
	// AllocBytes and Allocs are the bytes and objects the whole process
	// allocated on the heap per operation (maintenance included): what
	// the collector has to clear, unlike CPU time unmoved by other load.
	AllocBytes float64 `json:"alloc_bytes_per_op"`
	Allocs     float64 `json:"allocs_per_op"`
	// Reads and Writes are the process's read and write system calls per
	// operation (/proc/self/io; 0 off Linux): a node's messages cost
	// mostly these, and fewer calls than messages means batching.
	Reads  float64 `json:"read_calls_per_op"`
	Writes float64 `json:"write_calls_per_op"`
	// OpenFDs is the number of open descriptors at the end of the phase.
	OpenFDs int `json:"open_fds_after"`
	// Dials counts the connections the nodes opened during the phase.
	Dials uint64 `json:"dials"`
	// FirstError is the first failure's message, if any.
	FirstError string `json:"first_error,omitempty"`
}

// ratioReport compares the ring's figures with the loopback floor.
type ratioReport struct {
	NetmuxOverTCP   float64 `json:"netmux_call_over_raw_tcp"`
	NetmuxOverYamux float64 `json:"netmux_call_over_yamux_stream"`
	GetOverTCP      float64 `json:"get_p50_over_raw_tcp"`
	GetOverYamux    float64 `json:"get_p50_over_yamux_stream"`
	// GetOverBound is get p50 / ((hops+1)·2·raw TCP): ≤ 1 meets the goal.
	GetOverBound float64 `json:"get_p50_over_goal_bound"`
}

// killReport is one crash experiment: the nodes killed at once, the time
// until the ring was stable again, and the gets run meanwhile.
type killReport struct {
	Killed  []string `json:"killed"`
	Stable  bool     `json:"stable"`
	StableS float64  `json:"stable_s"`
	// Gets were run by KillClients clients from random surviving origins
	// between the first kill and the stable ring; FailedGets returned an
	// error, "not found" or a wrong value.
	Gets       int     `json:"gets"`
	FailedGets int     `json:"failed_gets"`
	GetP99us   float64 `json:"get_p99_us"`
	GetMaxus   float64 `json:"get_max_us"`
	FirstError string  `json:"first_error,omitempty"`
	Skipped    string  `json:"skipped,omitempty"`
}

// memoryReport is the process's footprint with N nodes running and every
// key placed, before the load phases.
type memoryReport struct {
	RSSMB float64 `json:"rss_mb"`
	// RSSFileMB is the part of RSSMB that maps files (RssFile: the
	// binary's code and data, the C library), the same at every N.
	RSSFileMB  float64 `json:"rss_file_mb"`
	PeakRSSMB  float64 `json:"peak_rss_mb"` // VmHWM at the end of the run
	HeapMB     float64 `json:"go_heap_mb"`  // runtime.MemStats.HeapInuse
	StackMB    float64 `json:"go_stack_mb"` // runtime.MemStats.StackInuse
	GoSysMB    float64 `json:"go_sys_mb"`   // runtime.MemStats.Sys
	Goroutines int     `json:"goroutines"`
	OpenFDs    int     `json:"open_fds"`
	// PeakFDs is the most descriptors seen open (sampled every 250 ms while
	// waiting for a stable ring), FDLimit the process's RLIMIT_NOFILE.
	PeakFDs    int     `json:"peak_open_fds"`
	FDLimit    int     `json:"fd_limit"`
	RSSAfterMB float64 `json:"rss_after_load_mb"`
	FDsPerNode float64 `json:"fds_per_node"`
}

// goalReport is one goal (goals.go) and whether this run met it. Met is
// null when the goal does not apply at this N.
type goalReport struct {
	Figure string `json:"figure"`
	Value  string `json:"value"`
	Goal   string `json:"goal"`
	Met    *bool  `json:"met"`
}

// floorReport is the loopback floor measured in the same process and run as
// the ring: one caller, a 64-byte request and a 64-byte reply.
type floorReport struct {
	RawTCPP50us      float64 `json:"raw_tcp_p50_us"`
	RawTCPP99us      float64 `json:"raw_tcp_p99_us"`
	YamuxStreamP50us float64 `json:"yamux_stream_p50_us"`
	YamuxStreamP99us float64 `json:"yamux_stream_p99_us"`
	NetmuxCallP50us  float64 `json:"netmux_call_p50_us"`
	NetmuxCallP99us  float64 `json:"netmux_call_p99_us"`
	// RoundTrips is how many round trips each of the three measured.
	RoundTrips []int `json:"round_trips"`
}

// ratios compares the figures with the loopback floor.
func ratios(rep *report) ratioReport {
	var r ratioReport
	f := rep.Floor
	r.NetmuxOverTCP = ratio(f.NetmuxCallP50us, f.RawTCPP50us)
	r.NetmuxOverYamux = ratio(f.NetmuxCallP50us, f.YamuxStreamP50us)
	if g, ok := rep.phase("get", 0); ok {
		r.GetOverTCP = ratio(g.P50us, f.RawTCPP50us)
		r.GetOverYamux = ratio(g.P50us, f.YamuxStreamP50us)
		r.GetOverBound = ratio(g.P50us, (rep.GetHopsMean+1)*2*f.RawTCPP50us)
	}
	return r
}

// phase returns the load phase of op with the given client count, or with
// the first client count when clients is 0.
func (rep *report) phase(op string, clients int) (phaseReport, bool) {
	for _, p := range rep.Phases {
		if p.Op == op && (clients == 0 || p.Clients == clients) && (op != "lookup" || p.Style == rep.LookupStyle) {
			return p, true
		}
	}
	return phaseReport{}, false
}
