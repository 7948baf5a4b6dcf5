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
	// faultEnv names the points at which the process kills itself with
	// SIGKILL, comma-separated: "publish.exchanged".
	faultEnv = "CXKPI_FAULT"
	// noExchangeEnv, set to 1, makes runs publish with two renames, as
	// on a file system without an atomic exchange.
	noExchangeEnv = "CXKPI_FAULT_NO_EXCHANGE"
)

// fault kills the process, as kill -9 would, when faultEnv names point.
func fault(point string) {
	for _, p := range strings.Split(os.Getenv(faultEnv), ",") {
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
	if os.Getenv(noExchangeEnv) == "1" {
		return func(a, b string) error { return errNoExchange }
	}
	return exchange
}
