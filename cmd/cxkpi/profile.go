package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
)

// defaultMemoryLimitMiB is the default soft limit of the Go heap: the
// garbage collector works harder as the heap nears it, instead of letting
// it grow to twice the live data, so that a large run stays within a
// 2 GiB container (docs/performance.md).
const defaultMemoryLimitMiB = 1536

// setMemoryLimit applies the -memory-limit flag: an explicit value always,
// the default only when the environment sets no GOMEMLIMIT.
func setMemoryLimit(fs *flag.FlagSet, mib int) {
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "memory-limit" })
	if !explicit && os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(math.MaxInt64)
	if mib > 0 {
		limit = int64(mib) << 20
	}
	debug.SetMemoryLimit(limit)
}

// startProfiles starts a CPU profile into cpu and arranges a heap profile
// into mem, when they are not empty; the returned function finishes both.
func startProfiles(cpu, mem string) (stop func(), err error) {
	var cpuFile *os.File
	if cpu != "" {
		if cpuFile, err = os.Create(cpu); err != nil {
			return nil, fmt.Errorf("-cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpuFile); err != nil {
			cpuFile.Close()
			return nil, fmt.Errorf("-cpuprofile: %w", err)
		}
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if mem != "" {
			f, err := os.Create(mem)
			if err != nil {
				fmt.Fprintln(os.Stderr, "cxkpi: -memprofile:", err)
				return
			}
			defer f.Close()
			runtime.GC()
			if err := pprof.WriteHeapProfile(f); err != nil {
				fmt.Fprintln(os.Stderr, "cxkpi: -memprofile:", err)
			}
		}
	}, nil
}
