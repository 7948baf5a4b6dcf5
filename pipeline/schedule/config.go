package schedule

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultLockRetry is the [Config.LockRetry] used when none is set.
const DefaultLockRetry = time.Minute

// Config configures [Run]. Cron and StateDir are required; the zero value
// of every other field is usable.
type Config struct {
	// Cron is the schedule, read in Location. Five fields (minute, hour,
	// day of month, month, day of week: "30 2 * * *" is 02:30 every day)
	// or six, the first being seconds ("*/10 * * * * *" is every ten
	// seconds); the field count decides. Descriptors such as @daily are
	// accepted; @every is not, since a nightly report needs a wall-clock
	// schedule. Do not add a TZ= or CRON_TZ= prefix: set Location.
	Cron string
	// Location is the time zone Cron is read in and in which the as-of
	// day is computed. Nil means [time.Local]. It must be loadable by its
	// name (an IANA zone such as "Europe/Lisbon", "UTC" or time.Local).
	Location *time.Location
	// CatchUp makes Run, on start, run once immediately if the last
	// successful run recorded in the state file was for a scheduled time
	// before the most recent one (or there is no record at all).
	CatchUp bool
	// StateDir holds the run lock ([LockFile]) and the state file
	// ([StateFile]). Run creates it if needed.
	StateDir string
	// LockStaleAge is passed to [Locker.StaleAge]; zero means
	// [DefaultStaleAge].
	LockStaleAge time.Duration
	// LockRetry is how often a scheduled run that finds the run lock held
	// tries again. It gives up when the next scheduled time comes. Zero
	// means [DefaultLockRetry].
	LockRetry time.Duration
	// Logger receives the structured run log; nil discards.
	Logger *slog.Logger
	// Now is the clock, used by the scheduler too; nil means [time.Now].
	// Timers run in real time, so a test clock may be offset from the wall
	// clock but must advance with it.
	Now func() time.Time
}

// plan is a validated Config with defaults filled in and Cron parsed.
type plan struct {
	Config
	sched       cron.Schedule
	withSeconds bool
}

// Validate reports whether c can be run, wrapping [ErrConfig].
func (c Config) Validate() error {
	_, err := c.plan()
	return err
}

// plan fills in defaults, validates c and parses Cron exactly as gocron
// does, so that the scheduled times computed here match its own.
func (c Config) plan() (plan, error) {
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.LockStaleAge <= 0 {
		c.LockStaleAge = DefaultStaleAge
	}
	if c.LockRetry <= 0 {
		c.LockRetry = DefaultLockRetry
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.StateDir == "" {
		return plan{}, fmt.Errorf("%w: no state directory", ErrConfig)
	}
	expr := strings.TrimSpace(c.Cron)
	switch {
	case expr == "":
		return plan{}, fmt.Errorf("%w: no cron expression", ErrConfig)
	case strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ="):
		return plan{}, fmt.Errorf("%w: cron %q: set the location instead of a TZ prefix", ErrConfig, c.Cron)
	case strings.HasPrefix(expr, "@every"):
		return plan{}, fmt.Errorf("%w: cron %q: @every is not a wall-clock schedule", ErrConfig, c.Cron)
	}
	c.Cron = expr
	p := plan{Config: c, withSeconds: len(strings.Fields(expr)) == 6}
	// gocron prefixes the expression with the scheduler's location this way.
	spec := fmt.Sprintf("CRON_TZ=%s %s", c.Location.String(), expr)
	var err error
	if p.withSeconds {
		p.sched, err = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor).Parse(spec)
	} else {
		p.sched, err = cron.ParseStandard(spec)
	}
	if err != nil {
		return plan{}, fmt.Errorf("%w: cron %q in %s: %w", ErrConfig, c.Cron, c.Location, err)
	}
	if _, ok := lastScheduled(p.sched, c.Now()); !ok && p.sched.Next(c.Now()).IsZero() {
		return plan{}, fmt.Errorf("%w: cron %q never fires", ErrConfig, c.Cron)
	}
	return p, nil
}

// maxLookBack bounds the search for the previous scheduled time; robfig/cron
// looks at most five years ahead, and a 29 February schedule can skip eight.
const maxLookBack = 9 * 366 * 24 * time.Hour

// lastScheduled returns the latest time at or before now at which s fires.
// cron schedules only look forward, so it searches back in doubling
// windows for one that contains a firing, then walks forward to the last
// one not after now.
func lastScheduled(s cron.Schedule, now time.Time) (time.Time, bool) {
	for w := time.Second; w <= maxLookBack; w *= 2 {
		t := s.Next(now.Add(-w))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			n := s.Next(t)
			if n.IsZero() || n.After(now) {
				return t, true
			}
			t = n
		}
	}
	return time.Time{}, false
}

// asOfFor is the as-of time of a run scheduled at t: midnight starting the
// previous calendar day in loc. A nightly run after midnight reports
// yesterday.
func asOfFor(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d-1, 0, 0, 0, 0, loc)
}
