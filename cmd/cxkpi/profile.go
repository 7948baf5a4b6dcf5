package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"time"
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
// The heap profile is the one taken when the live heap was largest, so it
// shows what held memory at the peak rather than what was left at the end.
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
	var peak *peakHeap
	if mem != "" {
		peak = watchPeakHeap(200 * time.Millisecond)
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if peak != nil {
			profile, live := peak.stop()
			if err := os.WriteFile(mem, profile, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "cxkpi: -memprofile:", err)
				return
			}
			fmt.Fprintf(os.Stderr, "cxkpi: heap profile at the peak live heap (%d MiB) written to %s\n", live>>20, mem)
		}
	}, nil
}

// peakHeap keeps the heap profile taken when the live heap, as measured
// by the last garbage collection, was largest.
type peakHeap struct {
	done    chan struct{}
	stopped chan struct{}
	profile []byte
	live    uint64
}

// watchPeakHeap samples the live heap every interval until stop.
func watchPeakHeap(interval time.Duration) *peakHeap {
	p := &peakHeap{done: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			p.sample(false)
			select {
			case <-p.done:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// sample takes a profile when the live heap grew by a tenth since the
// last one was taken, or always when force is set and none was taken yet.
func (p *peakHeap) sample(force bool) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	live := s[0].Value.Uint64()
	if !(force && p.profile == nil) && live <= p.live+p.live/10 {
		return
	}
	var buf bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
		return
	}
	p.profile, p.live = buf.Bytes(), live
}

// stop ends the sampling and returns the profile at the peak.
func (p *peakHeap) stop() (profile []byte, live uint64) {
	close(p.done)
	<-p.stopped
	runtime.GC()
	p.sample(true)
	return p.profile, p.live
}
