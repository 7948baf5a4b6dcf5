package kpi

import (
	"fmt"
	"log/slog"
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// backlogFixture: tickets of August to December 2026 (UTC), November
// without a creation or a solution.
func backlogFixture() input {
	tk := func(id, ch, created, solved, status, reopens string) []string {
		return []string{id, "c1", ch, created, solved, status, "normal", "ana", "tier1", "false", reopens}
	}
	return input{
		tables: []ingest.Table{ingest.Tickets},
		rows: map[ingest.Table][][]string{ingest.Tickets: {
			tk("B1", "email", "2026-09-10T00:00:00Z", "2026-10-01T00:00:00Z", "solved", "0"), // solved exactly at September's end
			tk("B2", "email", "2026-09-20T00:00:00Z", "2026-09-25T00:00:00Z", "closed", "0"), // created and solved within September
			tk("B3", "chat", "2026-08-15T00:00:00Z", "", "open", "0"),                        // never solved: older than 30 days from September on
			tk("B4", "chat", "2026-09-30T23:00:00Z", "2026-10-02T23:00:00Z", "solved", "0"),  // an hour old at September's end
			tk("B5", "email", "2026-12-01T12:00:00Z", "", "pending", "0"),
			tk("B6", "email", "2026-10-05T00:00:00Z", "2026-10-06T00:00:00Z", "open", "1"), // solved, then reopened and open at export
			tk("B7", "chat", "2026-12-20T00:00:00Z", "", "new", "0"),
		}},
	}
}

// TestBacklogAndFlow checks the flow volumes and the backlog snapshots
// against a hand computation, for any batching.
func TestBacklogAndFlow(t *testing.T) {
	const aug, sep, dec = "2026-08-01T00:00:00Z", "2026-09-01T00:00:00Z", "2026-12-01T00:00:00Z"
	const d = 86400.0
	for _, batch := range []int{1, 3, 100} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			rows := compute(t, backlogFixture(), Options{}, batch, nil)
			check(t, rows, []want{
				// Created: Aug B3; Sep B1, B2, B4; Oct B6; Nov none; Dec B5, B7.
				{"tickets", sep, "all", 3, 3},
				{"tickets", nov, "all", math.NaN(), 0},
				// Solved: Sep B2; Oct B1 (at the boundary: October's), B4, B6.
				{"tickets_solved", aug, "all", math.NaN(), 0},
				{"tickets_solved", sep, "all", 1, 1},
				{"tickets_solved", oct, "all", 3, 3},
				{"tickets_solved", nov, "all", math.NaN(), 0},
				// Net flow: created − solved; n counts both.
				{"tickets_net_flow", aug, "all", 1, 1},
				{"tickets_net_flow", sep, "all", 2, 4},
				{"tickets_net_flow", oct, "all", -2, 4},
				{"tickets_net_flow", nov, "all", math.NaN(), 0},
				{"tickets_net_flow", dec, "all", 2, 2},
				// Backlog at August's end: B3, 17 days old.
				{"backlog", aug, "all", 1, 1},
				{"backlog_age_median", aug, "all", 17 * d, 1},
				{"backlog_age_7d_30d", aug, "all", 1, 1},
				{"backlog_age_gt_30d", aug, "all", math.NaN(), 0},
				// At September's end (1 October 00:00): B3 (47 days), B1
				// (solved at that very instant: still open, 21 days), B4
				// (1 hour); B2 was solved. 1 + 2 = 3, the net flow's.
				{"backlog", sep, "all", 3, 3},
				{"backlog", sep, "email", 1, 1},
				{"backlog", sep, "chat", 2, 2},
				{"backlog_age_median", sep, "all", 21 * d, 3},
				{"backlog_age_p90", sep, "all", 21*d + 0.8*(47-21)*d, 3},
				{"backlog_age_lt_1d", sep, "all", 1, 1},
				{"backlog_age_lt_1d", sep, "chat", 1, 1},
				{"backlog_age_1d_3d", sep, "all", math.NaN(), 0},
				{"backlog_age_7d_30d", sep, "all", 1, 1},
				{"backlog_age_gt_30d", sep, "all", 1, 1},
				// October's end: B3 alone (78 days); B6 was solved on the 6th.
				{"backlog", oct, "all", 1, 1},
				{"backlog_age_median", oct, "all", 78 * d, 1},
				// November holds no event, but B3 is still open (108 days).
				{"backlog", nov, "all", 1, 1},
				{"backlog_age_gt_30d", nov, "all", 1, 1},
				// December's end: B3 (139 days), B5 (30.5 days), B7 (12
				// days) and B6, open again by its status (88 days).
				{"backlog", dec, "all", 4, 4},
				{"backlog_age_median", dec, "all", (30.5 + 88) / 2 * d, 4},
				{"backlog_age_p90", dec, "all", 88*d + 0.7*(139-88)*d, 4},
				{"backlog_age_7d_30d", dec, "all", 1, 1},
				{"backlog_age_gt_30d", dec, "all", 3, 3},
			})
		})
	}
}

// TestBacklogAsOf: the current period's backlog is a snapshot at the
// as-of instant, not at the period's end; the earlier periods' are not
// affected.
func TestBacklogAsOf(t *testing.T) {
	const sep, dec = "2026-09-01T00:00:00Z", "2026-12-01T00:00:00Z"
	const d = 86400.0
	for _, batch := range []int{1, 100} {
		e, err := New(Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		e.Until(mustTime(t, "2027-01-01T00:00:00Z"))
		e.AsOf(mustTime(t, "2026-12-03T00:00:00Z"))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		feedBatches(t, mem, e, backlogFixture(), batch)
		mem.AssertSize(t, 0)
		rows, err := e.Rows()
		if err != nil {
			t.Fatal(err)
		}
		check(t, rows, []want{
			// At 3 December 00:00: B3 (110 days), B6 (59 days) and B5
			// (1.5 days); B7 comes later.
			{"backlog", dec, "all", 3, 3},
			{"backlog_age_median", dec, "all", 59 * d, 3},
			{"backlog_age_1d_3d", dec, "all", 1, 1},
			{"backlog_age_gt_30d", dec, "all", 2, 2},
			{"backlog_age_7d_30d", dec, "all", math.NaN(), 0},
			// September's snapshot is its end, as without as-of.
			{"backlog", sep, "all", 3, 3},
			{"backlog_age_median", sep, "all", 21 * d, 3},
		})
	}
}

// effortFixture: solved tickets with 0, 1, 2 and 3 public agent replies
// (internal notes and customer messages do not count), and an open one.
func effortFixture() input {
	tk := func(id, ch, created, solved string) []string {
		return []string{id, "c1", ch, created, solved, "solved", "normal", "ana", "tier1", "false", "0"}
	}
	msg := func(id, ticket, author, at string) []string { return []string{id, ticket, author, "ana", at} }
	return input{
		tables: []ingest.Table{ingest.Tickets, ingest.Messages},
		rows: map[ingest.Table][][]string{
			ingest.Tickets: {
				tk("E1", "email", "2026-10-05T10:00:00Z", "2026-10-05T11:00:00Z"),
				tk("E2", "email", "2026-10-05T10:00:00Z", "2026-10-05T11:00:00Z"),
				tk("E3", "chat", "2026-10-05T10:00:00Z", "2026-10-06T11:00:00Z"),
				tk("E4", "chat", "2026-09-30T10:00:00Z", "2026-10-06T11:00:00Z"), // created in September, placed at its solution
				{"E5", "c1", "email", "2026-10-05T10:00:00Z", "", "open", "", "", "", "", ""},
			},
			ingest.Messages: {
				msg("M1", "E2", "agent", "2026-10-05T10:10:00Z"),
				msg("M2", "E3", "agent", "2026-10-05T10:10:00Z"),
				msg("M3", "E3", "customer", "2026-10-05T10:20:00Z"),
				msg("M4", "E3", "agent", "2026-10-05T10:30:00Z"),
				msg("M5", "E4", "agent", "2026-09-30T10:10:00Z"),
				msg("M6", "E4", "internal", "2026-09-30T10:15:00Z"),
				msg("M7", "E4", "agent", "2026-10-01T10:10:00Z"),
				msg("M8", "E4", "agent", "2026-10-02T10:10:00Z"),
				msg("M9", "E5", "agent", "2026-10-05T10:10:00Z"),
			},
		},
	}
}

// TestEffortMetrics: replies per solved ticket and the touch shares,
// which leave the zero-touch tickets out of all three.
func TestEffortMetrics(t *testing.T) {
	const sep = "2026-09-01T00:00:00Z"
	for _, batch := range []int{1, 100} {
		rows := compute(t, effortFixture(), Options{}, batch, nil)
		check(t, rows, []want{
			// Replies of the solved E1..E4: 0, 1, 2, 3.
			{"replies_per_ticket", oct, "all", 1.5, 4},
			{"replies_per_ticket_median", oct, "all", 1.5, 4},
			{"replies_per_ticket", oct, "chat", 2.5, 2},
			{"one_touch_resolution", oct, "all", 25, 4},
			{"two_touch_resolution", oct, "all", 25, 4},
			{"multi_touch_resolution", oct, "all", 25, 4},
			{"one_touch_resolution", oct, "email", 50, 2},
			// September created E4 but solved nothing.
			{"replies_per_ticket", sep, "all", math.NaN(), 0},
			{"one_touch_resolution", sep, "all", math.NaN(), 0},
		})
		r := find(t, rows, "multi_touch_resolution", oct, "all")
		if r.Numerator != Some(1) || r.Denominator != Some(4) {
			t.Errorf("multi_touch_resolution: %v / %v, want 1 / 4", r.Numerator, r.Denominator)
		}
	}
}

// The backlog of a period is that of the period before plus the period's
// net flow, for every dimension value and grain, when no ticket is open
// again after its last solution (whose reopening the export does not
// date); the age buckets add up to the backlog.
func TestBacklogFollowsTheNetFlow(t *testing.T) {
	in := randomFixture(11, 2000)
	for _, row := range in.rows[ingest.Tickets] {
		if row[4] != "" {
			row[5] = "solved"
		}
	}
	for _, grain := range []Grain{Day, Week, Month} {
		rows := compute(t, in, Options{Grain: grain, Location: mustZone(t, "America/New_York")}, 97, nil)
		type key struct {
			metric, dim, value string
			start              int64
		}
		val := map[key]float64{}
		var starts []int64
		seen := map[int64]bool{}
		type dv struct{ dim, value string }
		values := map[dv]bool{}
		for _, r := range rows {
			s := r.PeriodStart.UnixMicro()
			if !seen[s] {
				seen[s] = true
				starts = append(starts, s)
			}
			if r.Value.Valid {
				val[key{r.Metric, r.Dimension, r.DimensionValue, s}] = r.Value.V
			}
			if r.Metric == "backlog" {
				values[dv{r.Dimension, r.DimensionValue}] = true
			}
		}
		checked := 0
		for v := range values {
			prev := 0.0
			for _, s := range starts {
				got := val[key{"backlog", v.dim, v.value, s}]
				if want := prev + val[key{"tickets_net_flow", v.dim, v.value, s}]; got != want {
					t.Fatalf("%s %s=%s at %d: backlog %v, want %v", grain, v.dim, v.value, s, got, want)
				}
				sum := 0.0
				for _, b := range ageBuckets {
					sum += val[key{b.name, v.dim, v.value, s}]
				}
				if sum != got {
					t.Fatalf("%s %s=%s at %d: age buckets add up to %v, backlog %v", grain, v.dim, v.value, s, sum, got)
				}
				prev = got
				checked++
			}
		}
		if checked < 100 {
			t.Fatalf("%s: %d cells checked", grain, checked)
		}
	}
}
