package pipeline

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
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
		},
		// No messages in the export: its "First reply time in minutes"
		// has no place in the contract.
		null: []string{"first_reply_time_median", "first_reply_time"},
	},
	{
		preset: "freshdesk-csv", zone: "Europe/Lisbon",
		counts: map[ingest.Table]ingest.Counts{
			ingest.Tickets: {Read: 7, Accepted: 7}, // 24 was never responded to
			ingest.Surveys: {Read: 5, Accepted: 5},
		},
		want: map[string]float64{
			// Awesome 21, 23, 25; Not Good 22; Just Okay 27: 3 of 5.
			"csat": 60,
			// On 1–5: Awesome 5, Just Okay 3, Not Good 1.
			"csat_mean": (5 + 1 + 5 + 3 + 5) / 5.0,
			// Resolved 21 2 h, 22 6 h, 23 24 h, 27 36 h: (6 + 24) / 2.
			"resolution_time_median": 15 * 3600,
			// Email 21, 25 Awesome and 27 Just Okay; Portal 22 Not Good.
			"csat/channel/email": 200.0 / 3,
			"csat/channel/web":   0,
			"csat/channel/phone": 100,
		},
		null: []string{"first_reply_time_median"},
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
			// morning), 2109 20, 2111 5. 2104 has no conversation, 2106 only
			// the customer's message, 2110 only a private note. Sorted: 5 15
			// 20 30 45 60 120 1080, median (30 + 45) / 2.
			"first_reply_time_median": 37.5 * 60,
			"first_reply_time":        (30 + 60 + 15 + 120 + 45 + 1080 + 20 + 5) * 60 / 8.0,
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
			values := map[string]*float64{}
			for _, r := range readKPIs(t, filepath.Join(sum.Dir, KPIFile)) {
				switch {
				case !r.period.Equal(start):
				case r.dimension == "all":
					values[r.metric] = r.value
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
		})
	}
}
