package bench

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// This file samples the process and the machine: memory and descriptors
// from /proc/self, CPU time from rusage (proc_unix.go), the load average.
// Off Linux the /proc figures read 0 (descriptors -1).

// measureMemory reads the process's footprint now.
func measureMemory(nodes int) memoryReport {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds := openFDs()
	return memoryReport{
		RSSMB:      procStatusMB("VmRSS"),
		RSSFileMB:  procStatusMB("RssFile"),
		HeapMB:     float64(ms.HeapInuse) / (1 << 20),
		StackMB:    float64(ms.StackInuse) / (1 << 20),
		GoSysMB:    float64(ms.Sys) / (1 << 20),
		Goroutines: runtime.NumGoroutine(),
		OpenFDs:    fds,
		FDsPerNode: float64(fds) / float64(nodes),
	}
}

// procField returns the value of a "name: value" line of a /proc file
// ("" when the file or the line is missing, as off Linux).
func procField(path, name string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// procStatusMB reads a kB field of /proc/self/status in MB (0 when
// missing).
func procStatusMB(field string) float64 {
	kb, err := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/self/status", field), " kB"), 64)
	if err != nil {
		return 0
	}
	return kb / 1024
}

// ioCalls reads how many read and write system calls the process has
// made (syscr and syscw of /proc/self/io; 0 when missing).
func ioCalls() (reads, writes uint64) {
	reads, _ = strconv.ParseUint(procField("/proc/self/io", "syscr"), 10, 64)
	writes, _ = strconv.ParseUint(procField("/proc/self/io", "syscw"), 10, 64)
	return reads, writes
}

// idleCores measures the process's CPU use over d with no client running.
func idleCores(ctx context.Context, d time.Duration) (float64, error) {
	t0, cpu0 := time.Now(), processCPU()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(d):
	}
	return round2((processCPU() - cpu0).Seconds() / time.Since(t0).Seconds()), nil
}

// loadAvg reads the 1-minute load average (0 off Linux).
func loadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// openFDs counts the entries of /proc/self/fd (-1 when it cannot be read),
// without counting the descriptor it reads them with.
func openFDs() int {
	n := countDir("/proc/self/fd")
	if n < 0 {
		return -1
	}
	return n - 1
}

// resetPeakRSS starts the count of the process's peak RSS (VmHWM) anew
// (Linux: 5 to /proc/self/clear_refs); elsewhere it does nothing.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
