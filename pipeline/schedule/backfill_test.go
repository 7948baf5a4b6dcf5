package schedule

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func nextMonth(t time.Time) time.Time { return t.AddDate(0, 1, 0) }

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var errBoom = errors.New("boom")

var backfillTests = []struct {
	name     string
	from, to string
	step     func(time.Time) time.Time
	failOn   string // the job fails for this as-of date
	want     []string
	wantErr  error
	errHas   string
}{
	{name: "three months", from: "2026-08-01", to: "2026-10-31", step: nextMonth,
		want: []string{"2026-08-01", "2026-09-01", "2026-10-01"}},
	{name: "to is inclusive", from: "2026-08-01", to: "2026-10-01", step: nextMonth,
		want: []string{"2026-08-01", "2026-09-01", "2026-10-01"}},
	{name: "one period", from: "2026-08-01", to: "2026-08-01", step: nextMonth,
		want: []string{"2026-08-01"}},
	{name: "daily", from: "2026-02-27", to: "2026-03-01", step: func(t time.Time) time.Time { return t.AddDate(0, 0, 1) },
		want: []string{"2026-02-27", "2026-02-28", "2026-03-01"}},
	{name: "stops at the first failure", from: "2026-08-01", to: "2026-10-31", step: nextMonth, failOn: "2026-09-01",
		want: []string{"2026-08-01", "2026-09-01"}, wantErr: errBoom, errHas: "period 2026-09-01"},
	{name: "from after to", from: "2026-10-01", to: "2026-08-01", step: nextMonth, wantErr: ErrRange},
	{name: "nil step", from: "2026-08-01", to: "2026-10-01", wantErr: ErrRange},
	{name: "step that stands still", from: "2026-08-01", to: "2026-10-01",
		step: func(t time.Time) time.Time { return t }, wantErr: ErrRange},
	{name: "step that goes back", from: "2026-08-01", to: "2026-10-01",
		step: func(t time.Time) time.Time { return t.AddDate(0, -1, 0) }, wantErr: ErrRange},
}

func TestBackfill(t *testing.T) {
	for _, tc := range backfillTests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			job := func(ctx context.Context, asOf time.Time) error {
				d := asOf.Format(time.DateOnly)
				got = append(got, d)
				if d == tc.failOn {
					return errBoom
				}
				return nil
			}
			err := Backfill(context.Background(), date(tc.from), date(tc.to), tc.step, job)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.errHas != "" && !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("err %q does not name %q", err, tc.errHas)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("job called for %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBackfillCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var got []time.Time
	job := func(ctx context.Context, asOf time.Time) error {
		got = append(got, asOf)
		cancel() // e.g. SIGTERM during the first period
		return nil
	}
	err := Backfill(ctx, date("2026-08-01"), date("2026-10-31"), nextMonth, job)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(got) != 1 {
		t.Errorf("job ran %d times, want 1", len(got))
	}
}

func TestBackfillPanic(t *testing.T) {
	job := func(ctx context.Context, asOf time.Time) error { panic("bad data") }
	err := Backfill(context.Background(), date("2026-08-01"), date("2026-08-01"), nextMonth, job)
	if !errors.Is(err, ErrPanic) || !strings.Contains(err.Error(), "bad data") {
		t.Errorf("err = %v, want ErrPanic with the panic value", err)
	}
}
