package kpi

import (
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
)

var calendarTests = []struct {
	name  string
	grain Grain
	zone  string
	at    string // an instant, RFC 3339
	label string // the period it falls in
	start string // that period's start, RFC 3339 in UTC
	end   string
}{
	// 2026-11-01 03:30 UTC is still 23:30 on 31 October in New York (EDT,
	// UTC−4); October there runs from 04:00 UTC on the 1st to 04:00 UTC on
	// 1 November, and November (EST after the change) ends at 05:00 UTC.
	{"month before DST end", Month, "America/New_York", "2026-11-01T03:30:00Z", "2026-10", "2026-10-01T04:00:00Z", "2026-11-01T04:00:00Z"},
	{"month after DST end", Month, "America/New_York", "2026-11-01T04:00:00Z", "2026-11", "2026-11-01T04:00:00Z", "2026-12-01T05:00:00Z"},
	// The day of the change lasts 25 hours.
	{"25-hour day", Day, "America/New_York", "2026-11-01T12:00:00Z", "2026-11-01", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"},
	// Lisbon springs forward on 29 March 2026: a 23-hour day.
	{"23-hour day", Day, "Europe/Lisbon", "2026-03-29T12:00:00Z", "2026-03-29", "2026-03-29T00:00:00Z", "2026-03-29T23:00:00Z"},
	// 1 January 2026 is a Thursday: ISO week 1 of 2026 starts on Monday
	// 29 December 2025.
	{"iso week across new year", Week, "UTC", "2026-01-01T09:00:00Z", "2026-W01", "2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z"},
	{"iso week 53", Week, "UTC", "2021-01-03T23:59:59Z", "2020-W53", "2020-12-28T00:00:00Z", "2021-01-04T00:00:00Z"},
	{"quarter", Quarter, "UTC", "2026-08-15T00:00:00Z", "2026-Q3", "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z"},
	{"year in Tokyo", Year, "Asia/Tokyo", "2025-12-31T15:00:00Z", "2026", "2025-12-31T15:00:00Z", "2026-12-31T15:00:00Z"},
	// Havana skipped midnight on 1 April 2012 (00:00 CST became 01:00 CDT):
	// April starts at the change, 05:00 UTC, not at 23:00 on 31 March.
	{"midnight skipped", Month, "America/Havana", "2012-04-01T04:30:00Z", "2012-03", "2012-03-01T05:00:00Z", "2012-04-01T05:00:00Z"},
	{"day after skipped midnight", Day, "America/Sao_Paulo", "2018-11-04T12:00:00Z", "2018-11-04", "2018-11-04T03:00:00Z", "2018-11-05T02:00:00Z"},
	{"before 1970", Month, "UTC", "1969-12-31T23:59:59Z", "1969-12", "1969-12-01T00:00:00Z", "1970-01-01T00:00:00Z"},
}

func TestCalendar(t *testing.T) {
	for _, tc := range calendarTests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCalendar(tc.grain, mustZone(t, tc.zone))
			if err != nil {
				t.Fatal(err)
			}
			at := mustTime(t, tc.at)
			p := c.Number(at)
			if got := c.Label(p); got != tc.label {
				t.Errorf("label = %s, want %s", got, tc.label)
			}
			if got := c.Start(p); !got.Equal(mustTime(t, tc.start)) {
				t.Errorf("start = %s, want %s", got.UTC(), tc.start)
			}
			if got := c.Start(p + 1); !got.Equal(mustTime(t, tc.end)) {
				t.Errorf("end = %s, want %s", got.UTC(), tc.end)
			}
			// Assign agrees with Number, at the instant and at both edges.
			ts := []arrow.Timestamp{
				arrow.Timestamp(at.UnixMicro()),
				arrow.Timestamp(c.Start(p).UnixMicro()),
				arrow.Timestamp(c.Start(p+1).UnixMicro() - 1),
				arrow.Timestamp(c.Start(p + 1).UnixMicro()),
			}
			out := make([]int32, len(ts))
			c.Assign(ts, nil, out)
			for i, want := range []int32{p, p, p, p + 1} {
				if out[i] != want {
					t.Errorf("Assign[%d] = %d, want %d", i, out[i], want)
				}
			}
		})
	}
}

// Assign must agree with Number for instants in any order, as the known
// boundaries grow in both directions.
func TestCalendarAssignMatchesNumber(t *testing.T) {
	loc := mustZone(t, "Europe/Lisbon")
	for _, g := range []Grain{Day, Week, Month, Quarter, Year} {
		c, err := NewCalendar(g, loc)
		if err != nil {
			t.Fatal(err)
		}
		var ts []arrow.Timestamp
		for _, h := range []int64{5000, -3000, 12, 90000, -40000, 7, 1} {
			ts = append(ts, arrow.Timestamp(time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC).Add(time.Duration(h)*time.Hour).UnixMicro()))
		}
		out := make([]int32, len(ts))
		c.Assign(ts, nil, out)
		for i, v := range ts {
			if want := c.Number(time.UnixMicro(int64(v))); out[i] != want {
				t.Errorf("%s: Assign(%v) = %d, want %d", g, time.UnixMicro(int64(v)).UTC(), out[i], want)
			}
		}
	}
}

func TestParseGrain(t *testing.T) {
	if _, err := ParseGrain("fortnight"); err == nil {
		t.Error("ParseGrain(fortnight) succeeded")
	}
	if g, err := ParseGrain("week"); err != nil || g != Week {
		t.Errorf("ParseGrain(week) = %v, %v", g, err)
	}
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Instants too far apart to cache every period between them are still
// numbered, directly.
func TestCalendarFarApart(t *testing.T) {
	c, err := NewCalendar(Day, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	near, far := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC)
	ts := []arrow.Timestamp{arrow.Timestamp(near.UnixMicro()), arrow.Timestamp(far.UnixMicro()), arrow.Timestamp(near.UnixMicro())}
	out := make([]int32, 3)
	c.Assign(ts, nil, out)
	if out[0] != c.Number(near) || out[1] != c.Number(far) || out[2] != out[0] {
		t.Errorf("Assign = %v, want %d %d %d", out, c.Number(near), c.Number(far), c.Number(near))
	}
	if len(c.bound) > maxCached+1 {
		t.Errorf("cached %d boundaries, want at most %d", len(c.bound), maxCached+1)
	}
}
