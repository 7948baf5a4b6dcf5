//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package schedule

import (
	"fmt"
	"os"
)

// processAlive cannot check other processes here (known is false), so such
// locks are recovered by age only (see [Locker.StaleAge]).
func processAlive(pid int, start uint64) (alive, known bool) { return true, false }

// processStart is not available here.
func processStart(pid int) (uint64, bool) { return 0, false }

// fileID names a file instance by size and modification time.
func fileID(fi os.FileInfo) string {
	return fmt.Sprintf("%d-%d", fi.Size(), fi.ModTime().UnixNano())
}
