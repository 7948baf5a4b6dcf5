//go:build !unix

package pipeline

// peakRSS is unknown on this system.
func peakRSS() int64 { return 0 }
