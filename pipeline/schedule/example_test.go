package schedule_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/schedule"
)

// Backfill three monthly reports, one run per month, in order.
func ExampleBackfill() {
	from := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	nextMonth := func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	job := func(ctx context.Context, asOf time.Time) error {
		fmt.Println("report for the month of", asOf.Format("2006-01-02"))
		return nil
	}
	if err := schedule.Backfill(context.Background(), from, to, nextMonth, job); err != nil {
		fmt.Println(err)
	}
	// Output:
	// report for the month of 2026-08-01
	// report for the month of 2026-09-01
	// report for the month of 2026-10-01
}

// A configuration for a nightly run at 04:30 Lisbon time; Run would call
// the job at 04:30 on 1 November with as-of 31 October.
func ExampleConfig_Validate() {
	lisbon, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := schedule.Config{Cron: "30 4 * * *", Location: lisbon, CatchUp: true, StateDir: "/var/lib/cxkpi"}
	fmt.Println(cfg.Validate())
	cfg.Cron = "30 4 * *"
	fmt.Println(cfg.Validate() != nil)
	// Output:
	// <nil>
	// true
}
