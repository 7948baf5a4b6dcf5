package schedule

import "errors"

// Errors returned by the package. Test for them with [errors.Is]; the
// returned errors wrap them with the details (who holds the lock, which
// field is wrong, which period failed).
var (
	// ErrLocked reports that another live process holds the run lock.
	ErrLocked = errors.New("schedule: run lock held")
	// ErrLockLost reports, from [Lock.Release], that the lock file is no
	// longer the one this process created: another process judged it stale
	// and took it over.
	ErrLockLost = errors.New("schedule: run lock lost")
	// ErrNotHeld reports, from [CheckHeld], that this process does not
	// hold the run lock.
	ErrNotHeld = errors.New("schedule: run lock not held by this process")
	// ErrConfig reports an invalid [Config].
	ErrConfig = errors.New("schedule: invalid config")
	// ErrPanic is wrapped by the error a run records when its [Job]
	// panics.
	ErrPanic = errors.New("schedule: job panicked")
	// ErrRange reports an invalid [Backfill] range or step.
	ErrRange = errors.New("schedule: invalid backfill range")
)
