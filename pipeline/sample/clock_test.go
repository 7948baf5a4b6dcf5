package sample

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var clockTests = []struct {
	name     string
	at       string // UTC
	open     bool
	nextOpen string // UTC
}{
	// Lisbon is UTC+1 in summer, UTC+0 in winter.
	{"summer weekday morning", "2026-07-15T07:30:00Z", true, "2026-07-15T07:30:00Z"},
	{"summer weekday before opening", "2026-07-15T06:59:59Z", false, "2026-07-15T07:00:00Z"},
	{"summer weekday evening", "2026-07-15T19:00:00Z", false, "2026-07-16T07:00:00Z"},
	{"winter weekday before opening", "2026-01-14T07:59:00Z", false, "2026-01-14T08:00:00Z"},
	{"saturday after closing", "2026-01-17T14:00:00Z", false, "2026-01-19T08:00:00Z"},
	{"saturday morning", "2026-01-17T09:10:00Z", true, "2026-01-17T09:10:00Z"},
	{"sunday", "2026-01-18T12:00:00Z", false, "2026-01-19T08:00:00Z"},
	{"across the autumn change", "2026-10-24T20:00:00Z", false, "2026-10-26T08:00:00Z"},
}

// TestClock checks a clock that looks every offset up and one that knows
// those from mid-2025 to mid-2026 by heart (the autumn case falls outside).
func TestClock(t *testing.T) {
	loc, err := time.LoadLocation(BusinessZone)
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC).Unix()
	for _, c := range []clock{{loc: loc}, newClock(loc, from, to)} {
		for _, tc := range clockTests {
			t.Run(fmt.Sprintf("%s/days=%d", tc.name, len(c.days)), func(t *testing.T) {
				at, _ := time.Parse(time.RFC3339, tc.at)
				lt := at.In(loc)
				wd, h := c.local(at.Unix())
				if wd != int(lt.Weekday()) || h != lt.Hour() {
					t.Errorf("local = %d %d, want %d %d", wd, h, lt.Weekday(), lt.Hour())
				}
				if got := c.open(at.Unix()); got != tc.open {
					t.Errorf("open = %v, want %v", got, tc.open)
				}
				if got := time.Unix(c.nextOpen(at.Unix()), 0).UTC().Format(time.RFC3339); got != tc.nextOpen {
					t.Errorf("nextOpen = %s, want %s", got, tc.nextOpen)
				}
			})
		}
	}
}

// TestClockOffsets checks the offsets a clock knows by heart against the
// time package, hour by hour over three years.
func TestClockOffsets(t *testing.T) {
	loc, err := time.LoadLocation(BusinessZone)
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	c := newClock(loc, from, to)
	if changes := strings.Count(fmt.Sprint(c.days), fmt.Sprint(changing)); changes != 6 {
		t.Errorf("%d days with a change over three years, want 6", changes)
	}
	for at := from - 30*day; at < to+30*day; at += hour - 7 {
		_, want := time.Unix(at, 0).In(loc).Zone()
		if got := c.offset(at); got != int64(want) {
			t.Fatalf("offset at %s = %d, want %d", time.Unix(at, 0).UTC().Format(time.RFC3339), got, want)
		}
	}
}
