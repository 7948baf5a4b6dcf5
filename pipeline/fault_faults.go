//go:build faults

package pipeline

import (
	"os"
	"strings"
	"time"
)

// Environment of the fault-injection build (tag faults) only; the
// production binary has neither.
const (
	// FaultEnv names the points at which the process kills itself with
	// SIGKILL, comma-separated: "publish.exchanged".
	FaultEnv = "CXKPI_FAULT"
	// NoExchangeEnv, set to 1, makes runs publish with two renames, as
	// on a file system without an atomic exchange.
	NoExchangeEnv = "CXKPI_FAULT_NO_EXCHANGE"
)

// fault kills the process, as kill -9 would, when FaultEnv names point.
func fault(point string) {
	for _, p := range strings.Split(os.Getenv(FaultEnv), ",") {
		if p == point {
			if self, err := os.FindProcess(os.Getpid()); err == nil {
				self.Kill()
			}
			for {
				time.Sleep(time.Second) // SIGKILL cannot be caught; wait for it
			}
		}
	}
}

func exchanger() func(a, b string) error {
	if os.Getenv(NoExchangeEnv) == "1" {
		return func(a, b string) error { return errNoExchange }
	}
	return exchange
}
