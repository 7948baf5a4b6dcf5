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
