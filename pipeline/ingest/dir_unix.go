//go:build unix

package ingest

import "syscall"

// openFlags make an open of a named pipe return at once instead of
// waiting for a writer, and keep a terminal from becoming the process's.
const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY
