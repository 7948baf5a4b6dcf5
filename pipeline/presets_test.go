package pipeline

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/reports"
)

// presetRuns are the vendor-shaped fixtures of each preset, run with the
// preset and nothing else (but the account's zone), and the values of the
// report month computed by hand from the fixture.
var presetRuns = []struct {
	preset string
	zone   string
	counts map[ingest.Table]ingest.Counts
	want   map[string]float64 // metric (dimension all, October 2026), or metric/channel/value: value
	null   []string           // metrics the export cannot feed: null
	source map[string]string  // metric (dimension all, October 2026): source
	recon  []string           // rows of reconciliation.parquet
}{
	{
		preset: "zendesk-csv", zone: "Europe/Berlin",
		counts: map[ingest.Table]ingest.Counts{
			ingest.Tickets: {Read: 9, Accepted: 9},                          // 1004 and 1008 were never replied to
			ingest.Surveys: {Read: 9, Accepted: 4, Skipped: 5, Rejected: 0}, // 1 Offered, 4 Unoffered
		},
		want: map[string]float64{
			// Good 1001, 1003, 1009; Bad 1002: 3 of 4 satisfied.
			"csat": 75,
			// Solved 1001 1 h, 1002 8 h, 1003 30 h, 1007 26 h, and 1009
			// 24 h of wall clock across the end of summer time in
			// Berlin (25 October), 25 h: the median is 25 h.
			"resolution_time_median": 25 * 3600,
			"tickets":                9,
			// Ratings are linked to their tickets (same_as): Mail 1001
			// and 1009 Good, Web Widget 1002 Bad, Voice 1003 Good.
			"csat/channel/email": 100,
			"csat/channel/chat":  0,
			"csat/channel/phone": 100,
			// No messages: Zendesk's "First reply time in minutes" of
			// 1001 30, 1002 15, 1003 5, 1005 45, 1006 90, 1007 120, 1009
			// 60 (1004 and 1008 were never replied to): the median of 5,
			// 15, 30, 45, 60, 90, 120 is 45 minutes.
			"first_reply_time_median": 45 * 60,
			// Within business hours: 30, 0, 0, 45, 60, 120, 0 → 0, 0, 0,
			// 30, 45, 60, 120.
			"first_reply_time_bh_median": 30 * 60,
			// Requester wait of the solved 1001 60, 1002 480, 1003 1800,
			// 1007 1560, 1009 1500 minutes: 1500.
			"requester_wait_time_median": 1500 * 60,
			"on_hold_time":               0,
		},
		// Good/bad has no meaningful mean.
		null: []string{"csat_mean"},
		source: map[string]string{
			"first_reply_time_median": "vendor", "first_reply_time_bh": "vendor",
			"requester_wait_time_median": "vendor", "resolution_time_median": "cxkpi", "csat": "cxkpi",
		},
		// Zendesk's full resolution times equal solved − created, in
		// calendar time and within Monday–Friday 09:00–17:00 in Berlin
		// (1003: Monday 08:00 to Tuesday 14:00 is 8 + 5 hours = 780
		// minutes), cxkpi's default schedule in the reporting zone.
		recon: nil,
	},
	{
		preset: "freshdesk-csv", zone: "Europe/Lisbon",
		counts: map[ingest.Table]ingest.Counts{
			ingest.Tickets: {Read: 7, Accepted: 7}, // 24 was never responded to
			ingest.Surveys: {Read: 6, Accepted: 6},
		},
		want: map[string]float64{
			// Awesome 21, 23, 25; Not Good 22; Just Okay 27; 26 rated
			// with the code -102 (2 of 7, Very unhappy): 3 of 6.
			"csat": 50,
			// On 1–7 and then 1–5: Awesome 7 → 5, Just Okay 4 → 3, Not
			// Good 1 → 1, -102 2 → 1 + 4 × 1/6.
			"csat_mean": (5 + 1 + 5 + 3 + 5 + (1 + 4.0/6)) / 6,
			// Resolved 21 2 h, 22 6 h, 23 24 h, 27 36 h: (6 + 24) / 2.
			"resolution_time_median": 15 * 3600,
			// Email 21, 25 Awesome and 27 Just Okay; Portal 22 Not Good
			// and Feedback Widget 26 -102.
			"csat/channel/email": 200.0 / 3,
			"csat/channel/web":   0,
			"csat/channel/phone": 100,
			// No conversations: "First response time (in hrs)", hh:mm:ss,
			// of 21 00:30, 22 00:15, 23 00:05, 25 01:00, 26 19:00, 27
			// 02:00 (24 never responded to): 5, 15, 30, 60, 120, 1140
			// minutes, median (30 + 60) / 2.
			"first_reply_time_median": 45 * 60,
		},
		// Freshdesk's export has no business-hours first response.
		null:   []string{"first_reply_time_bh_median"},
		source: map[string]string{"first_reply_time_median": "vendor", "csat_mean": "cxkpi"},
		// "Resolution time (in hrs)" agrees with Resolved − Created.
		recon: nil,
	},
	{
		// The API's times are UTC instants; the zone only places the
		// periods. 2005 was created at 22:00 UTC on 30 September, 18:00 in
		// New York, and belongs to September with its reply.
		preset: "freshdesk-api", zone: "America/New_York",
		counts: map[ingest.Table]ingest.Counts{
			ingest.Tickets:  {Read: 16, Accepted: 16}, // custom statuses 6 and 7, source 13: kept by their catch-alls
			ingest.Messages: {Read: 26, Accepted: 26}, // private notes are internal messages
			ingest.Surveys:  {Read: 8, Accepted: 8},
		},
		want: map[string]float64{
			"tickets": 11, // 2101 to 2111
			// First public reply that is not incoming, in minutes after
			// creation: 2101 30, 2102 60 (after a private note at 10, no
			// reply), 2103 15, 2105 120, 2107 45, 2108 1080 (the next
			// morning), 2109 20, 2111 5. 2106 has only the customer's
			// message, 2110 only a private note. 2104 has no conversation:
			// its first reply is Freshdesk's stats.first_responded_at, 50
			// minutes after its creation. Sorted: 5 15 20 30 45 50 60 120
			// 1080, median 45.
			"first_reply_time_median": 45 * 60,
			"first_reply_time":        (30 + 60 + 15 + 120 + 45 + 1080 + 20 + 5 + 50) * 60 / 9.0,
			// 2104 is October's only chat.
			"first_reply_time/channel/chat": 50 * 60,
			// 2111 came by source 13, which the reference does not list.
			"first_reply_time/channel/other": 5 * 60,
			"tickets/channel/other":          1,
			// stats.resolved_at, observed when resolved: 2005 11 h (created
			// in September, resolved on 1 October), 2101 4 h, 2102 6 h, 2107
			// 24 h, 2109 2 h. Sorted: 2 4 6 11 24.
			"resolution_time_median": 6 * 3600,
			// default_question: 3101 103, 3102 -103, 3103 100, 3104 102,
			// 3105 101, 3106 -101; on 1–7 satisfied from 5.5, so 102 and
			// 103 only: 2 of 6.
			"csat": 200.0 / 6,
			// On 1–5: 103 → 5, -103 → 1, 100 → 3, and 102, 101, -101 (6, 5, 3
			// on 1–7) → 1 + 4 × 5/6, 1 + 4 × 4/6, 1 + 4 × 2/6.
			"csat_mean": (5 + 1 + 3 + (1 + 4*5/6.0) + (1 + 4*4/6.0) + (1 + 4*2/6.0)) / 6,
			// By the rated ticket's source: Email 2101 103, 2107 100, 2109
			// 102; Portal 2102 and Feedback Widget 2105, both web; Phone 2103.
			"csat/channel/email": 200.0 / 3,
			"csat/channel/web":   0,
			"csat/channel/phone": 0,
			// Created in October and resolved: 2101, 2102, 2107, 2109;
			// stats.reopened_at says 2107 was reopened.
			"reopen_rate": 25,
			// Resolved in October: 2005 and 2109 had one reply and no
			// answer after it; 2101, 2102 and 2107 had the customer's
			// answer after the first reply.
			"first_contact_resolution": 40,
		},
		// 2104's first reply is the vendor's, the others cxkpi's.
		source: map[string]string{"first_reply_time_median": "mixed", "first_reply_time": "mixed", "resolution_time_median": "cxkpi"},
		// stats.first_responded_at agrees with the conversations on every
		// ticket that has both.
		recon: nil,
	},
	{
		preset: "delighted", zone: "America/New_York",
		counts: map[ingest.Table]ingest.Counts{
			// smileys, thumbs (2), 5star, enps and pmf are skipped.
			ingest.Surveys: {Read: 29, Accepted: 23, Skipped: 6},
		},
		want: map[string]float64{
			// nps in October: 10 9 9 8 7 6 3 10 0 9; promoters 10 9 9 10 9,
			// detractors 6 3 0, of 10.
			"nps":            20,
			"nps_promoters":  50,
			"nps_detractors": 30,
			// csat 1–5: 5 4 3 2 5, satisfied from 4: 3 of 5.
			"csat":      60,
			"csat_mean": (5 + 4 + 3 + 2 + 5) / 5.0,
			// cesv2 1–7: 7 5 2, as they are; ces 1–5: 4, where 5 is the
			// least effort: 1 + 6 × 3/4 = 5.5.
			"ces": (7 + 5 + 2 + 5.5) / 4,
			// The two easiest boxes: 7 of the 1–7 answers, 4 of the 1–5 one.
			"ces_low_effort": 50,
		},
		null: []string{"first_reply_time_median", "tickets"},
	},
	{
		preset: "surveymonkey", zone: "America/New_York",
		counts: map[ingest.Table]ingest.Counts{
			ingest.Surveys: {Read: 8, Accepted: 8}, // the row of answer options is a header row
		},
		want: map[string]float64{
			// 10, 9, 9, 8, 6, 3, 10, 7: 4 promoters, 2 detractors of 8.
			"nps":            25,
			"nps_promoters":  50,
			"nps_detractors": 25,
		},
		null: []string{"csat"},
	},
}

// TestPresetRuns runs each preset on exports in its vendor's shape: no
// row is rejected, legitimate non-answers are skipped, and the KPIs equal
// those computed by hand from the fixture.
func TestPresetRuns(t *testing.T) {
	for _, tc := range presetRuns {
		t.Run(tc.preset, func(t *testing.T) {
			m, err := ingest.Preset(tc.preset)
			if err != nil {
				t.Fatal(err)
			}
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			cfg := testConfig(t, nil)
			cfg.Input = os.DirFS(filepath.Join("ingest", "testdata", "presets", tc.preset))
			cfg.Mapping = m
			cfg.KPI.Location = loc
			cfg.Gates.AllowStale = true
			cfg.AsOf = time.Date(2026, 10, 31, 12, 0, 0, 0, loc)
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := map[ingest.Table]ingest.Counts{}
			for _, ts := range sum.Tables {
				if ts.Read > 0 {
					got[ts.Table] = ingest.Counts{Read: ts.Read, Accepted: ts.Accepted, Skipped: ts.Skipped, Rejected: ts.Rejected}
				}
			}
			for table, want := range tc.counts {
				if got[table] != want {
					t.Errorf("%s: counts %+v, want %+v", table, got[table], want)
				}
			}
			if len(got) != len(tc.counts) {
				t.Errorf("tables read %v, want %v", got, tc.counts)
			}
			start := time.Date(2026, 10, 1, 0, 0, 0, 0, loc) // the report month
			values, sources := map[string]*float64{}, map[string]string{}
			for _, r := range readKPIs(t, filepath.Join(sum.Dir, KPIFile)) {
				switch {
				case !r.period.Equal(start):
				case r.dimension == "all":
					values[r.metric], sources[r.metric] = r.value, r.source
				default:
					values[r.metric+"/"+r.dimension+"/"+r.dimValue] = r.value
				}
			}
			for metric, want := range tc.want {
				v, ok := values[metric]
				switch {
				case !ok:
					t.Errorf("%s: no row for October", metric)
				case v == nil:
					t.Errorf("%s = null, want %v", metric, want)
				case math.Abs(*v-want) > 1e-9*math.Max(1, math.Abs(want)):
					t.Errorf("%s = %v, want %v", metric, *v, want)
				}
			}
			for _, metric := range tc.null {
				if v := values[metric]; v != nil {
					t.Errorf("%s = %v, want null: the export cannot feed it", metric, *v)
				}
			}
			for metric, want := range tc.source {
				if got := sources[metric]; got != want {
					t.Errorf("%s source %q, want %q", metric, got, want)
				}
			}
			if got := readReconciliation(t, filepath.Join(sum.Dir, ReconcileFile)); !slices.Equal(got, tc.recon) {
				t.Errorf("reconciliation %q, want %q", got, tc.recon)
			}
		})
	}
}

// TestReconciliationRun runs a ticket export with Zendesk's metrics
// beside its messages: reconciliation.parquet lists the tickets where
// cxkpi and the helpdesk disagree, each with its reason, and the first
// reply time is cxkpi's where there are messages, the vendor's where
// there are none.
func TestReconciliationRun(t *testing.T) {
	// 5 October 2026 is a Monday; business hours 09:00–17:00 UTC.
	const tickets = "ticket_id,channel,created_at,solved_at,status,reopens,frt,frt_bh,full,full_bh\n" +
		"A,email,2026-10-05T10:00:00Z,2026-10-05T12:00:00Z,solved,0,30,30,120,120\n" + // agrees
		"B,email,2026-10-06T16:00:00Z,,open,0,1080,60,,\n" + // 18 h; 2 business hours here, 1 by the vendor's schedule
		"C,email,2026-10-07T09:00:00Z,,open,0,10,10,,\n" + // only an internal note in the messages
		"D,chat,2026-10-08T10:00:00Z,2026-10-09T10:00:00Z,solved,1,,,1500,540\n" + // no messages; reopened
		"E,email,2026-10-12T10:00:00Z,,open,0,,,,\n" // messages, no vendor value
	const messages = "message_id,ticket_id,author,agent_id,created_at\n" +
		"1,A,customer,,2026-10-05T10:00:00Z\n2,A,agent,x,2026-10-05T10:30:00Z\n" +
		"3,B,customer,,2026-10-06T16:00:00Z\n4,B,agent,x,2026-10-07T10:00:00Z\n" +
		"5,C,customer,,2026-10-07T09:00:00Z\n6,C,internal,x,2026-10-07T09:10:00Z\n" +
		"7,E,customer,,2026-10-12T10:00:00Z\n8,E,agent,x,2026-10-12T10:05:00Z\n"
	cfg := testConfig(t, fstest.MapFS{"tickets.csv": {Data: []byte(tickets)}, "messages.csv": {Data: []byte(messages)}})
	cfg.Mapping = ingest.Mapping{Tables: map[ingest.Table]ingest.TableMapping{ingest.Tickets: {Columns: map[string]string{
		"vendor_first_reply_minutes": "frt", "vendor_first_reply_bh_minutes": "frt_bh",
		"vendor_resolution_minutes": "full", "vendor_resolution_bh_minutes": "full_bh",
	}}}}
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"B first_reply_time_bh 7200 3600 3600 business_hours",
		"C first_reply_time null 600 null no_public_reply",
		"C first_reply_time_bh null 600 null no_public_reply",
		"D resolution_time 86400 90000 -3600 reopened",
		"D resolution_time_bh 28800 32400 -3600 reopened",
		"E first_reply_time 300 null null vendor_missing",
		"E first_reply_time_bh 300 null null vendor_missing",
	}
	if got := readReconciliation(t, filepath.Join(sum.Dir, ReconcileFile)); !slices.Equal(got, want) {
		t.Errorf("reconciliation\n got %q\nwant %q", got, want)
	}
	listed := false
	for _, f := range sum.Outputs {
		listed = listed || f.Name == ReconcileFile
	}
	if !listed {
		t.Errorf("%s is not among the manifest's outputs %+v", ReconcileFile, sum.Outputs)
	}
	// First replies: A 1800, B 64800, E 300 (cxkpi's), D none; C none.
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range readKPIs(t, filepath.Join(sum.Dir, KPIFile)) {
		if r.period.Equal(start) && r.dimension == "all" && r.metric == "first_reply_time_median" {
			if r.value == nil || *r.value != 1800 || r.n != 3 || r.source != "cxkpi" {
				t.Errorf("first_reply_time_median = %v (n %d, source %q), want 1800 (n 3, cxkpi)", r.value, r.n, r.source)
			}
		}
	}
}

// The report's data-quality page counts the reconciliation rows per
// metric and reason, most tickets first.
func TestReconcileCounts(t *testing.T) {
	rows := []kpi.Reconciled{
		{TicketID: "A", Metric: "first_reply_time", Reason: "no_public_reply"},
		{TicketID: "A", Metric: "first_reply_time_bh", Reason: "no_public_reply"},
		{TicketID: "B", Metric: "first_reply_time_bh", Reason: "business_hours"},
		{TicketID: "C", Metric: "first_reply_time_bh", Reason: "business_hours"},
	}
	got := reconcileCounts(rows)
	want := []reports.ReconcileCount{
		{Metric: "first_reply_time_bh", Reason: "business_hours", Tickets: 2},
		{Metric: "first_reply_time", Reason: "no_public_reply", Tickets: 1},
		{Metric: "first_reply_time_bh", Reason: "no_public_reply", Tickets: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("counts %+v, want %+v", got, want)
	}
}
