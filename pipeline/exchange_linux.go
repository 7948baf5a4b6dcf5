package pipeline

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// exchange swaps the directories a and b in one atomic step with
// renameat2(RENAME_EXCHANGE). Kernels before 3.15 (ENOSYS) and file
// systems that do not implement it (EINVAL, EOPNOTSUPP) get
// errNoExchange.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EINVAL), errors.Is(err, unix.EOPNOTSUPP):
		return fmt.Errorf("exchange %s and %s: %w: %w", a, b, errNoExchange, err)
	}
	return &os.LinkError{Op: "exchange", Old: a, New: b, Err: err}
}
