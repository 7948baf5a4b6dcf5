package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/go-co-op/gocron"
)

// Job runs the pipeline for the report period containing asOf. It must
// return promptly once ctx is cancelled, leaving no partial output.
type Job func(ctx context.Context, asOf time.Time) error

// Run runs job on the schedule cfg describes until ctx is cancelled, then
// returns nil. It returns an error only when it cannot start: an invalid
// Config (wrapping [ErrConfig]), a state directory it cannot create.
//
// Each run is for a scheduled time t and gets as its as-of the midnight
// starting the day before t in cfg.Location: a nightly run after midnight
// reports yesterday. Runs never overlap: gocron's singleton mode queues a
// firing that comes while a run is in progress, and when it gets its turn
// it runs for the most recent scheduled time, once (firings for a time
// already run are skipped). Each run also holds the run lock in
// cfg.StateDir, so it never overlaps a run started by another process (a
// manual `cxkpi run`, a second scheduler); if the lock is held, the run
// waits for it, trying every cfg.LockRetry, until the next scheduled time.
// A run whose scheduled time the state file shows was already done, by
// this or another process, is skipped.
//
// Every run is logged (start, finish with duration, or failure with the
// error) and recorded in the state file ([State]). A failing or panicking
// run does not stop the schedule.
//
// When ctx is cancelled (SIGTERM), Run stops scheduling runs; the run in
// progress, if any, sees its ctx cancelled, and Run waits for it to return
// before returning nil. The cancelled run is recorded as failed, so a
// scheduler started with CatchUp repeats it.
func Run(ctx context.Context, cfg Config, job Job) error {
	if job == nil {
		return fmt.Errorf("%w: no job", ErrConfig)
	}
	p, err := cfg.plan()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p.StateDir, 0o755); err != nil {
		return fmt.Errorf("schedule: state directory: %w", err)
	}
	r := &runner{
		ctx: ctx,
		p:   p,
		job: job,
		log: p.Logger,
		locker: Locker{
			Dir: p.StateDir, StaleAge: p.LockStaleAge, Now: p.Now, Logger: p.Logger,
		},
	}

	s := gocron.NewScheduler(p.Location)
	s.CustomTime(clock(p.Now))
	if p.withSeconds {
		s.CronWithSeconds(p.Cron)
	} else {
		s.Cron(p.Cron)
	}
	s.SingletonMode()
	if p.CatchUp && r.behind() {
		s.StartImmediately()
	}
	gj, err := s.Do(r.fire)
	if err != nil {
		return fmt.Errorf("%w: cron %q: %w", ErrConfig, p.Cron, err)
	}
	s.StartAsync()
	r.log.Info("scheduler started", "cron", p.Cron, "location", p.Location.String(),
		"catch_up", p.CatchUp, "state_dir", p.StateDir, "next_run", gj.NextRun())

	<-ctx.Done()
	r.log.Info("scheduler stopping: waiting for the run in progress", "cause", context.Cause(ctx))
	s.Stop() // stops the timers, then waits for the singleton runner
	r.log.Info("scheduler stopped")
	return nil
}

// runner is the state of one Run.
type runner struct {
	ctx    context.Context
	p      plan
	job    Job
	log    *slog.Logger
	locker Locker

	mu   sync.Mutex // held for a whole run; gocron's singleton mode already serializes
	last time.Time  // scheduled time of the last run attempted
}

// behind reports whether a catch-up run is due: the state file records no
// success for the most recent scheduled time.
func (r *runner) behind() bool {
	now := r.p.Now()
	t, ok := lastScheduled(r.p.sched, now)
	if !ok {
		return false
	}
	st, err := ReadState(r.p.StateDir)
	if err != nil {
		r.log.Warn("catching up: state file unreadable", "err", err)
		return true
	}
	if st.LastSuccessScheduled.IsZero() {
		r.log.Info("catching up: no successful run recorded", "scheduled", t)
		return true
	}
	if st.LastSuccessScheduled.Before(t) {
		r.log.Info("catching up: last success is older than the last scheduled time",
			"scheduled", t, "last_success_scheduled", st.LastSuccessScheduled)
		return true
	}
	return false
}

// fire is the gocron job: it runs the job for the most recent scheduled
// time, unless that was already run.
func (r *runner) fire() {
	if r.ctx.Err() != nil {
		return // shutting down
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := lastScheduled(r.p.sched, r.p.Now())
	if !ok {
		r.log.Warn("fired with no scheduled time in the past; skipped")
		return
	}
	if !r.last.IsZero() && !t.After(r.last) {
		r.log.Debug("run skipped: scheduled time already run", "scheduled", t)
		return
	}
	r.last = t
	r.runAt(t)
}

// runAt runs the job for scheduled time t under the run lock and records
// the outcome.
func (r *runner) runAt(t time.Time) {
	asOf := asOfFor(t, r.p.Location)
	log := r.log.With("scheduled", t, "as_of", asOf.Format(time.DateOnly))
	lk, err := r.acquire(t, log)
	if err != nil {
		log.Error("run skipped: no run lock", "err", err)
		return
	}
	defer func() {
		if err := lk.Release(); err != nil {
			log.Error("release run lock", "err", err)
		}
	}()

	st, err := ReadState(r.p.StateDir)
	if err != nil {
		log.Warn("state file unreadable; it will be rewritten", "err", err)
		st = State{}
	}
	if !st.LastSuccessScheduled.Before(t) {
		log.Info("run skipped: already done", "last_success", st.LastSuccess)
		return
	}

	start := r.p.Now()
	log.Info("run started")
	err = call(r.ctx, r.job, asOf, log)
	end := r.p.Now()
	dur := end.Sub(start)
	switch {
	case err == nil:
		st.LastSuccess, st.LastSuccessScheduled, st.LastSuccessAsOf = end, t, asOf
		log.Info("run finished", "duration", dur)
	case r.ctx.Err() != nil:
		st.LastError, st.LastErrorAt, st.LastErrorScheduled = err.Error(), end, t
		log.Warn("run aborted by shutdown", "duration", dur, "err", err)
	default:
		st.LastError, st.LastErrorAt, st.LastErrorScheduled = err.Error(), end, t
		log.Error("run failed", "duration", dur, "err", err)
	}
	if err := writeState(r.p.StateDir, st); err != nil {
		log.Error("record run state", "err", err)
	}
}

// acquire takes the run lock, waiting while another live process holds
// it, until the scheduled time after t or cancellation.
func (r *runner) acquire(t time.Time, log *slog.Logger) (*Lock, error) {
	next := r.p.sched.Next(t)
	waiting := false
	for {
		lk, err := r.locker.Acquire()
		if err == nil || !errors.Is(err, ErrLocked) {
			return lk, err
		}
		if !next.IsZero() && !r.p.Now().Add(r.p.LockRetry).Before(next) {
			return nil, fmt.Errorf("gave up waiting before the next scheduled time %s: %w",
				next.Format(time.RFC3339), err)
		}
		if !waiting {
			log.Warn("waiting for run lock", "err", err, "retry", r.p.LockRetry)
			waiting = true
		}
		tm := time.NewTimer(r.p.LockRetry)
		select {
		case <-r.ctx.Done():
			tm.Stop()
			return nil, fmt.Errorf("stopped waiting: %w", context.Cause(r.ctx))
		case <-tm.C:
		}
	}
}

// call runs job, turning a panic into an error wrapping [ErrPanic]; the
// stack goes to log when log is not nil.
func call(ctx context.Context, job Job, asOf time.Time, log *slog.Logger) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if log != nil {
				log.Error("job panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			}
			err = fmt.Errorf("%w: %v", ErrPanic, v)
		}
	}()
	return job(ctx, asOf)
}

// clock adapts Config.Now to gocron's TimeWrapper.
type clock func() time.Time

func (c clock) Now(loc *time.Location) time.Time { return c().In(loc) }
func (c clock) Unix(sec, nsec int64) time.Time   { return time.Unix(sec, nsec) }
func (c clock) Sleep(d time.Duration)            { time.Sleep(d) }
