package pipeline

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/ingest"
)

// zendeskAPIDir holds pages of the Zendesk API in their documented shape
// (its README cites the pages): two months of tickets with their metric
// sets, the ticket events with their comments, and the satisfaction
// ratings.
var zendeskAPIDir = filepath.Join("ingest", "testdata", "presets", "zendesk-api")

// TestZendeskAPIPreset runs the zendesk-api preset on the fixture with
// nothing else but the report's zone: no row is rejected, the deleted
// ticket, the events that are no comments and the unanswered surveys are
// skipped, and September's and October's KPIs equal those computed by
// hand from the fixture.
func TestZendeskAPIPreset(t *testing.T) {
	values := runZendeskAPI(t)
	sep, oct := "2026-09", "2026-10"
	want := []struct {
		month  string
		metric string
		value  float64
	}{
		// Created in September in Berlin: 5001 to 5013. 5014 was created
		// at 22:30 UTC on 30 September, 00:30 on 1 October in Berlin.
		{sep, "tickets", 13},
		// October: 5014 to 5029; 5030 is deleted, and skipped.
		{oct, "tickets", 16},
		// First public agent comments, in minutes after creation:
		// September 5001 30, 5002 45 (after an internal note at 5, which
		// is no reply), 5003 2, 5004 60, 5005 15, 5006 120, 5007 10, 5008
		// 5, 5009 90, 5010 20, 5011 240; 5012 and 5013 were never
		// replied to. Sorted: 2 5 10 15 20 30 45 60 90 120 240, median 30.
		{sep, "first_reply_time_median", 30 * 60},
		// October, in seconds: 5014 1500, 5015 760, 5016 180, 5017 3000,
		// 5018 480, 5019 10800, 5020 870, 5021 2100, 5022 380, 5023 4200,
		// 5024 720, 5025 24000, 5026 60; 5027 and 5028 unreplied, 5029
		// only an internal note. Sorted: 60 180 380 480 720 760 870 1500
		// 2100 3000 4200 10800 24000, median 870.
		{oct, "first_reply_time_median", 870},
		// Ratings by their updated_at: September good 5001, 5003, 5004,
		// 5007, bad 5002, 5008 (5005 offered, 5006 unoffered, skipped):
		// 4 of 6.
		{sep, "csat", 400.0 / 6},
		// October good 5014, 5015, 5018, 5020, 5021, bad 5017 (5016 and
		// 5023 offered, 5019 unoffered): 5 of 6.
		{oct, "csat", 500.0 / 6},
		// metric_set.solved_at joined to its ticket: October's solved
		// tickets 5014 2 h, 5015 6 h, 5016 0.5 h, 5017 30 h, 5018 1.5 h,
		// 5019 26 h, 5020 4 h, 5021 3 h, 5023 28 h, 5025 30 h, 5026
		// 0.25 h: sorted 0.25 0.5 1.5 2 3 4 6 26 28 30 30, median 4 h.
		{oct, "resolution_time_median", 4 * 3600},
		// 5017 was reopened once, of the 11 solved tickets.
		{oct, "reopen_rate", 100.0 / 11},
	}
	for _, w := range want {
		v, ok := values[kpiKey{w.month, w.metric}]
		switch {
		case !ok || v == nil:
			t.Errorf("%s %s: no value, want %v", w.month, w.metric, w.value)
		case math.Abs(*v-w.value) > 1e-9*math.Max(1, math.Abs(w.value)):
			t.Errorf("%s %s = %v, want %v", w.month, w.metric, *v, w.value)
		}
	}
}

// TestZendeskAPIReplyTimes compares cxkpi's first reply median of each
// month with the one Zendesk computed, metric_set.reply_time_in_minutes.
// calendar, both computed here from the fixture. They are equal but where
// a ticket's difference has a documented reason (docs/presets.md,
// zendesk-api): Zendesk counts whole minutes, cxkpi the seconds between
// the ticket's creation and its first public agent comment.
func TestZendeskAPIReplyTimes(t *testing.T) {
	values := runZendeskAPI(t)
	loc := berlin(t)

	// cxkpi's definition, applied here to the fixture's events: the first
	// public comment by someone other than the requester, at or after the
	// ticket's creation.
	tickets := map[int64]zdTicket{}
	for _, name := range []string{"tickets-1.json", "tickets-2.json"} {
		var page struct {
			Tickets    []zdTicket `json:"tickets"`
			MetricSets []struct {
				TicketID  int64 `json:"ticket_id"`
				ReplyTime struct {
					Calendar *float64 `json:"calendar"`
				} `json:"reply_time_in_minutes"`
			} `json:"metric_sets"`
		}
		readJSON(t, filepath.Join(zendeskAPIDir, name), &page)
		for _, tk := range page.Tickets {
			tickets[tk.ID] = tk
		}
		for _, m := range page.MetricSets {
			tk := tickets[m.TicketID]
			tk.vendor = m.ReplyTime.Calendar
			tickets[m.TicketID] = tk
		}
	}
	var events struct {
		Events []struct {
			TicketID int64 `json:"ticket_id"`
			Children []struct {
				Type      string    `json:"event_type"`
				Public    bool      `json:"public"`
				AuthorID  int64     `json:"author_id"`
				CreatedAt time.Time `json:"created_at"`
			} `json:"child_events"`
		} `json:"ticket_events"`
	}
	readJSON(t, filepath.Join(zendeskAPIDir, "ticket_events.json"), &events)
	own := map[int64]float64{}
	for _, e := range events.Events {
		tk, ok := tickets[e.TicketID]
		if !ok || tk.Status == "deleted" {
			continue
		}
		for _, c := range e.Children {
			if c.Type != "Comment" || !c.Public || c.AuthorID == tk.RequesterID || c.CreatedAt.Before(tk.CreatedAt) {
				continue
			}
			d := c.CreatedAt.Sub(tk.CreatedAt).Seconds()
			if prev, ok := own[e.TicketID]; !ok || d < prev {
				own[e.TicketID] = d
			}
		}
	}

	mine, theirs := map[string][]float64{}, map[string][]float64{}
	for id, tk := range tickets {
		if tk.Status == "deleted" {
			continue
		}
		month := tk.CreatedAt.In(loc).Format("2006-01")
		d, replied := own[id]
		switch {
		case replied != (tk.vendor != nil):
			t.Errorf("ticket %d: cxkpi finds a reply %v, Zendesk a reply time %v", id, replied, tk.vendor)
			continue
		case !replied:
			continue
		}
		v := *tk.vendor * 60
		mine[month] = append(mine[month], d)
		theirs[month] = append(theirs[month], v)
		// The one documented reason for a difference: whole minutes.
		if d != v && math.Abs(d-v) >= 60 {
			t.Errorf("ticket %d: cxkpi %v s, Zendesk %v min: a difference of more than the minute Zendesk rounds to", id, d, *tk.vendor)
		}
	}
	for _, label := range []string{"2026-09", "2026-10"} {
		got := values[kpiKey{label, "first_reply_time_median"}]
		m, z := median(mine[label]), median(theirs[label])
		if got == nil || *got != m {
			t.Errorf("%s: cxkpi's first_reply_time_median %v, want %v from the fixture's comments", label, got, m)
		}
		if m != z && math.Abs(m-z) >= 60 {
			t.Errorf("%s: median %v s against Zendesk's %v s: more than whole minutes explain", label, m, z)
		}
		t.Logf("%s: first reply median cxkpi %v s, Zendesk %v s (%d tickets)", label, m, z, len(mine[label]))
	}
	// The fixture has differences to explain: October's median ticket,
	// 5020, was answered after 14 min 30 s, which Zendesk reports as 15.
	if m, z := median(mine["2026-10"]), median(theirs["2026-10"]); m != 870 || z != 900 {
		t.Errorf("October: medians %v and %v, want 870 (cxkpi) and 900 (Zendesk)", m, z)
	}
	if m, z := median(mine["2026-09"]), median(theirs["2026-09"]); m != z {
		t.Errorf("September: medians %v and %v, want them equal: every reply is on a whole minute", m, z)
	}
}

type zdTicket struct {
	ID          int64     `json:"id"`
	RequesterID int64     `json:"requester_id"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	vendor      *float64  // metric_set.reply_time_in_minutes.calendar
}

type kpiKey struct {
	month  string // 2006-01 in the report's zone
	metric string
}

// runZendeskAPI runs the preset on the fixture, checks the counts, and
// returns the values of dimension all by month and metric.
func runZendeskAPI(t *testing.T) map[kpiKey]*float64 {
	t.Helper()
	m, err := ingest.Preset("zendesk-api")
	if err != nil {
		t.Fatal(err)
	}
	loc := berlin(t)
	cfg := testConfig(t, nil)
	cfg.Input = os.DirFS(zendeskAPIDir)
	cfg.Mapping = m
	cfg.KPI.Location = loc
	cfg.Gates.AllowStale = true
	cfg.AsOf = time.Date(2026, 10, 31, 12, 0, 0, 0, loc)
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[ingest.Table]ingest.Counts{
		// 30 tickets on two pages; 5030 is deleted.
		ingest.Tickets: {Read: 30, Accepted: 29, Skipped: 1},
		// 250 child events of 111 audits, of which 79 are comments: 30
		// descriptions, 24 first public replies, 3 internal notes, 21
		// requesters' thanks and one requester's reopening reply; the
		// other 171 are creations, status changes and notifications.
		ingest.Messages: {Read: 250, Accepted: 79, Skipped: 171},
		// 17 ratings: 3 offered, 2 unoffered.
		ingest.Surveys: {Read: 17, Accepted: 12, Skipped: 5},
	}
	got := map[ingest.Table]ingest.Counts{}
	for _, ts := range sum.Tables {
		if ts.Present {
			got[ts.Table] = ingest.Counts{Read: ts.Read, Accepted: ts.Accepted, Skipped: ts.Skipped, Rejected: ts.Rejected}
		}
	}
	for table, c := range want {
		if got[table] != c {
			t.Errorf("%s: counts %+v, want %+v", table, got[table], c)
		}
	}
	if len(got) != len(want) {
		t.Errorf("tables read %v, want %v", got, want)
	}
	values := map[kpiKey]*float64{}
	for _, r := range readKPIs(t, sum.History) {
		if r.dimension == "all" {
			values[kpiKey{r.period.In(loc).Format("2006-01"), r.metric}] = r.value
		}
	}
	return values
}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// median is the median of vs, interpolated between the middle two of an
// even count.
func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
