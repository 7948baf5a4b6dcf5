package schedule

import (
	"context"
	"fmt"
	"time"
)

// maxPeriods bounds a backfill, catching a step that advances by a
// nanosecond.
const maxPeriods = 100_000

// Backfill runs job once for each as-of time from, step(from),
// step(step(from)), … up to and including to, in order, and stops at the
// first error, which it returns wrapped with the period that failed. The
// sequence is computed and checked before any run: to before from, a nil
// step, or a step that does not move forward return an error wrapping
// [ErrRange] without running anything. A cancelled ctx stops the backfill
// before the next period.
//
// For monthly reports, from is the first day of a month and step adds a
// month: Backfill(ctx, aug1, oct31, func(t time.Time) time.Time { return
// t.AddDate(0, 1, 0) }, job) runs August, September and October. Backfill
// does not take the run lock; the caller holds it around the whole range.
func Backfill(ctx context.Context, from, to time.Time, step func(time.Time) time.Time, job Job) error {
	if job == nil {
		return fmt.Errorf("%w: no job", ErrConfig)
	}
	periods, err := periodsBetween(from, to, step)
	if err != nil {
		return err
	}
	for _, asOf := range periods {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("schedule: backfill stopped before %s: %w", asOf.Format(time.DateOnly), err)
		}
		if err := call(ctx, job, asOf, nil); err != nil {
			return fmt.Errorf("schedule: backfill period %s: %w", asOf.Format(time.DateOnly), err)
		}
	}
	return nil
}

// periodsBetween lists the as-of times of a backfill.
func periodsBetween(from, to time.Time, step func(time.Time) time.Time) ([]time.Time, error) {
	if step == nil {
		return nil, fmt.Errorf("%w: no step", ErrRange)
	}
	if to.Before(from) {
		return nil, fmt.Errorf("%w: from %s is after to %s", ErrRange,
			from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	var out []time.Time
	for t := from; !t.After(to); {
		if len(out) == maxPeriods {
			return nil, fmt.Errorf("%w: more than %d periods from %s to %s", ErrRange, maxPeriods,
				from.Format(time.DateOnly), to.Format(time.DateOnly))
		}
		out = append(out, t)
		next := step(t)
		if !next.After(t) {
			return nil, fmt.Errorf("%w: step from %s to %s does not move forward", ErrRange,
				t.Format(time.RFC3339), next.Format(time.RFC3339))
		}
		t = next
	}
	return out, nil
}
