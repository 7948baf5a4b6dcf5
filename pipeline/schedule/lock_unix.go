//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package schedule

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// processAlive reports whether process pid is running and, when start is
// known, is the same process that recorded start (not a recycled pid).
// known is always true here: kill(pid, 0) can answer.
func processAlive(pid int, start uint64) (alive, known bool) {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false, true
	}
	// nil or EPERM: a process with this pid exists.
	st, ok := readProcStat(pid)
	if !ok {
		return true, true // no /proc: trust kill
	}
	if st.state == "Z" {
		return false, true // exited, not yet reaped
	}
	return start == 0 || st.start == start, true
}

// processStart returns the start time of process pid in clock ticks since
// boot, where /proc provides it.
func processStart(pid int) (uint64, bool) {
	st, ok := readProcStat(pid)
	return st.start, ok
}

type procStat struct {
	state string
	start uint64
}

// readProcStat parses /proc/<pid>/stat: "pid (comm) state ppid ...", where
// comm may hold spaces and parentheses and starttime is field 22.
func readProcStat(pid int) (procStat, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3, state
	if len(f) < 20 {
		return procStat{}, false
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, false
	}
	return procStat{state: f[0], start: start}, true
}

// fileID names a file instance: device, inode and modification time.
func fileID(fi os.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d-%d-%d", st.Dev, st.Ino, fi.ModTime().UnixNano())
	}
	return fmt.Sprintf("%d-%d", fi.Size(), fi.ModTime().UnixNano())
}
