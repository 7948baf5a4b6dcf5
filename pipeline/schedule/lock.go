package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// LockFile is the name of the run lock inside its directory.
const LockFile = ".cxkpi.lock"

// DefaultStaleAge is the [Locker.StaleAge] used when none is set. It is far
// longer than a nightly run should take, so a lock is only judged by its age
// when its holder cannot be checked directly.
const DefaultStaleAge = 12 * time.Hour

// acquireAttempts bounds how often Acquire starts over when the lock file
// changes under it (released, replaced) between two steps.
const acquireAttempts = 8

// maxClaims bounds the takeover claim generations tried for one stale lock.
const maxClaims = 16

// errRetry tells Acquire to start over: the lock file changed under it.
var errRetry = errors.New("schedule: lock changed, retry")

// Locker acquires the run lock, the file [LockFile] in Dir. Only Dir is
// required; the zero value of every other field is usable.
//
// The lock file holds JSON naming its holder: pid, host, start time and, on
// Linux, the process start time from /proc (so a recycled pid, such as pid 1
// in a restarted container, is not mistaken for the holder). A lock is
// stale, and is taken over, when:
//
//   - its holder is on this host and that process is gone (kill(pid, 0)
//     fails with ESRCH, the process is a zombie, or the pid now belongs to a
//     process started at another time);
//   - it names another host, or cannot be parsed at all, and it was last
//     modified more than StaleAge ago.
//
// Takeover is atomic: a contender first claims the stale lock instance with
// an exclusively created claim file named after it, checks that the stale
// file is still in place, and renames its own complete lock file over it.
// Of several processes finding the same stale lock, exactly one wins; the
// others get [ErrLocked].
type Locker struct {
	// Dir is the directory holding the lock file. It must exist.
	Dir string
	// StaleAge is how old (by modification time) an unparsable lock file,
	// or one held from another host, must be before it is taken over.
	// Zero means [DefaultStaleAge].
	StaleAge time.Duration
	// Now is the clock; nil means [time.Now].
	Now func() time.Time
	// Logger receives a warning when a stale lock is taken over; nil
	// discards.
	Logger *slog.Logger
}

// Acquire takes the run lock in dir with the default stale age and no
// logging. It is shorthand for Locker{Dir: dir, Now: now}.Acquire(); see
// [Locker] for the rules.
func Acquire(dir string, now func() time.Time) (*Lock, error) {
	return Locker{Dir: dir, Now: now}.Acquire()
}

// Lock is a held run lock. Release it when the run ends.
type Lock struct {
	path     string
	fi       os.FileInfo
	released bool
}

// lockInfo is the JSON content of the lock file.
type lockInfo struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	// PIDStart is the holder's start time in clock ticks since boot, read
	// from /proc/<pid>/stat; zero where that is not available.
	PIDStart uint64 `json:"pid_start,omitempty"`
}

// observed is a lock file as Acquire found it.
type observed struct {
	fi     os.FileInfo
	info   lockInfo
	parsed bool
	live   bool
	why    string // why it is stale, for the takeover log
}

func (l Locker) withDefaults() Locker {
	if l.StaleAge <= 0 {
		l.StaleAge = DefaultStaleAge
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	if l.Logger == nil {
		l.Logger = slog.New(slog.DiscardHandler)
	}
	return l
}

// Acquire creates the lock file atomically, or takes over a stale one. If a
// live process holds the lock it returns an error wrapping [ErrLocked] that
// names the holder and since when it has held it.
func (l Locker) Acquire() (*Lock, error) {
	l = l.withDefaults()
	path := filepath.Join(l.Dir, LockFile)
	host, _ := os.Hostname()
	pid := os.Getpid()
	start, _ := processStart(pid)
	data, err := json.Marshal(lockInfo{PID: pid, Host: host, Started: l.Now(), PIDStart: start})
	if err != nil {
		return nil, fmt.Errorf("schedule: encode run lock: %w", err)
	}
	for range acquireAttempts {
		fi, err := createExclusive(path, data)
		if err == nil {
			return &Lock{path: path, fi: fi}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("schedule: create run lock: %w", err)
		}
		o, err := l.inspect(path, host)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released between our create and our read
		}
		if err != nil {
			return nil, err
		}
		if o.live {
			return nil, lockedError(path, o)
		}
		lk, err := l.takeOver(path, o, data)
		if errors.Is(err, errRetry) {
			continue
		}
		return lk, err
	}
	return nil, fmt.Errorf("%w: %s kept changing while acquiring it", ErrLocked, path)
}

// Release removes the lock file. It returns an error wrapping [ErrLockLost]
// if the file is no longer the one this Lock created. Releasing twice is a
// no-op.
func (lk *Lock) Release() error {
	if lk == nil || lk.released {
		return nil
	}
	lk.released = true
	cur, err := os.Stat(lk.path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s was removed by someone else", ErrLockLost, lk.path)
	}
	if err != nil {
		return fmt.Errorf("schedule: release run lock: %w", err)
	}
	if !sameInstance(cur, lk.fi) {
		return fmt.Errorf("%w: %s was replaced by another process", ErrLockLost, lk.path)
	}
	if err := os.Remove(lk.path); err != nil {
		return fmt.Errorf("schedule: release run lock: %w", err)
	}
	return nil
}

// CheckHeld returns nil when this process holds the run lock in dir: the
// lock file names this process (pid, host and, where known, its start
// time). Otherwise it returns an error wrapping [ErrNotHeld] that says
// who holds it, if anyone. Work that is safe only while no other run is
// going, such as removing what crashed runs left, checks it first.
func CheckHeld(dir string) error {
	path := filepath.Join(dir, LockFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist", ErrNotHeld, path)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotHeld, err)
	}
	var li lockInfo
	if err := json.Unmarshal(data, &li); err != nil {
		return fmt.Errorf("%w: %s is unreadable: %w", ErrNotHeld, path, err)
	}
	host, _ := os.Hostname()
	start, _ := processStart(os.Getpid())
	if li.PID != os.Getpid() || li.Host != host || li.PIDStart != start {
		return fmt.Errorf("%w: %s: pid %d on host %q since %s",
			ErrNotHeld, path, li.PID, li.Host, li.Started.Format(time.RFC3339))
	}
	return nil
}

// createExclusive creates path with O_EXCL and writes data into it.
func createExclusive(path string, data []byte) (os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	fi, err := writeLockFile(f, data)
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return fi, nil
}

// writeLockFile writes data to f, syncs and closes it, and returns its
// final FileInfo.
func writeLockFile(f *os.File, data []byte) (os.FileInfo, error) {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	var fi os.FileInfo
	if err == nil {
		fi, err = f.Stat()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", f.Name(), err)
	}
	return fi, nil
}

// inspect reads the lock file at path and decides whether its holder is
// alive.
func (l Locker) inspect(path, host string) (observed, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return observed{}, err
		}
		return observed{}, fmt.Errorf("schedule: read run lock: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return observed{}, fmt.Errorf("schedule: read run lock: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return observed{}, fmt.Errorf("schedule: read run lock: %w", err)
	}
	o := observed{fi: fi}
	old := l.Now().Sub(fi.ModTime()) > l.StaleAge
	switch {
	case json.Unmarshal(data, &o.info) != nil || o.info.PID <= 0:
		o.live = !old
		o.why = fmt.Sprintf("unreadable lock file older than %s", l.StaleAge)
	case o.info.Host != host:
		o.parsed = true
		o.live = !old
		o.why = fmt.Sprintf("held from host %q and older than %s", o.info.Host, l.StaleAge)
	default:
		o.parsed = true
		alive, known := processAlive(o.info.PID, o.info.PIDStart)
		if known {
			o.live = alive
			o.why = fmt.Sprintf("process %d is no longer running", o.info.PID)
		} else {
			o.live = !old
			o.why = fmt.Sprintf("older than %s (process %d cannot be checked here)", l.StaleAge, o.info.PID)
		}
	}
	return o, nil
}

// lockedError describes a live holder.
func lockedError(path string, o observed) error {
	if !o.parsed {
		return fmt.Errorf("%w: %s is unreadable (being written, or damaged) and was modified at %s",
			ErrLocked, path, o.fi.ModTime().Format(time.RFC3339))
	}
	return fmt.Errorf("%w: %s: pid %d on host %q since %s",
		ErrLocked, path, o.info.PID, o.info.Host, o.info.Started.Format(time.RFC3339))
}

// takeOver replaces the stale lock o with data. It returns errRetry if the
// lock changed since it was inspected.
func (l Locker) takeOver(path string, o observed, data []byte) (lk *Lock, err error) {
	base := fmt.Sprintf("%s.takeover-%s", path, fileID(o.fi))
	claim, k := "", 0
	for ; ; k++ {
		if k == maxClaims {
			return nil, fmt.Errorf("schedule: take over run lock: %d abandoned claims %s.*", maxClaims, base)
		}
		name := fmt.Sprintf("%s.%d", base, k)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			f.Close()
			claim = name
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("schedule: claim stale run lock: %w", err)
		}
		cfi, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errRetry // the takeover finished and cleaned up
		}
		if err != nil {
			return nil, fmt.Errorf("schedule: claim stale run lock: %w", err)
		}
		if l.Now().Sub(cfi.ModTime()) <= l.StaleAge {
			return nil, fmt.Errorf("%w: %s: another process is taking over the stale lock", ErrLocked, path)
		}
		// A claimant died mid-takeover long ago: try the next generation.
	}
	defer func() {
		if err != nil {
			os.Remove(claim)
			return
		}
		for i := 0; i <= k; i++ {
			os.Remove(fmt.Sprintf("%s.%d", base, i))
		}
	}()

	// Holding the claim, only we may replace this instance of the lock.
	// Check it is still the one we judged stale.
	cur, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errRetry
		}
		return nil, fmt.Errorf("schedule: take over run lock: %w", err)
	}
	if !sameInstance(cur, o.fi) {
		return nil, errRetry
	}
	tmp, err := os.CreateTemp(l.Dir, LockFile+".new-*")
	if err != nil {
		return nil, fmt.Errorf("schedule: take over run lock: %w", err)
	}
	fi, err := writeLockFile(tmp, data)
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("schedule: take over run lock: %w", err)
	}
	attrs := []any{"path", path, "reason", o.why, "modified", o.fi.ModTime()}
	if o.parsed {
		attrs = append(attrs, "pid", o.info.PID, "host", o.info.Host, "started", o.info.Started)
	}
	l.Logger.Warn("took over stale run lock", attrs...)
	return &Lock{path: path, fi: fi}, nil
}

// sameInstance reports whether a and b describe the same, unmodified file.
func sameInstance(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}
