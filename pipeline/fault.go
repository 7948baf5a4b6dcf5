//go:build !faults

package pipeline

// fault marks a point of a run where the fault-injection suite (package
// pipeline/faults, built with the tag faults) kills the process. In every
// other build it does nothing.
func fault(point string) {}

// exchanger returns how a run swaps a period's directories. The
// fault-injection build can make it refuse, to test the two-rename
// fallback.
func exchanger() func(a, b string) error { return exchange }
