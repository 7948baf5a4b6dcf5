package schedule

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin wherever the tests run
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

var lastScheduledTests = []struct {
	name string
	cron string
	zone string
	now  string // RFC 3339
	want string // RFC 3339
}{
	{"daily, later that day", "0 3 * * *", "UTC", "2026-08-15T12:00:00Z", "2026-08-15T03:00:00Z"},
	{"daily, exactly at the time", "0 3 * * *", "UTC", "2026-08-15T03:00:00Z", "2026-08-15T03:00:00Z"},
	{"daily, just before", "0 3 * * *", "UTC", "2026-08-15T02:59:59Z", "2026-08-14T03:00:00Z"},
	{"every second", "* * * * * *", "UTC", "2026-08-15T12:00:00.5Z", "2026-08-15T12:00:00Z"},
	{"seconds field", "30 0 3 * * *", "UTC", "2026-08-15T03:00:29Z", "2026-08-14T03:00:30Z"},
	{"monthly", "0 0 1 * *", "UTC", "2026-03-15T10:00:00Z", "2026-03-01T00:00:00Z"},
	{"descriptor", "@daily", "UTC", "2026-03-15T10:00:00Z", "2026-03-15T00:00:00Z"},
	{"zone: 03:00 Berlin in summer", "0 3 * * *", "Europe/Berlin", "2026-08-15T12:00:00Z", "2026-08-15T01:00:00Z"},
	{"zone: the day clocks go back", "0 3 * * *", "Europe/Berlin", "2026-10-25T12:00:00Z", "2026-10-25T02:00:00Z"},
	{"leap day, years back", "0 0 29 2 *", "UTC", "2027-06-01T00:00:00Z", "2024-02-29T00:00:00Z"},
}

func TestLastScheduled(t *testing.T) {
	for _, tc := range lastScheduledTests {
		t.Run(tc.name, func(t *testing.T) {
			now, _ := time.Parse(time.RFC3339Nano, tc.now)
			want, _ := time.Parse(time.RFC3339, tc.want)
			p, err := Config{Cron: tc.cron, Location: mustLoad(t, tc.zone), StateDir: "x", Now: fixedClock(now)}.plan()
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			got, ok := lastScheduled(p.sched, now)
			if !ok || !got.Equal(want) {
				t.Errorf("got %s (%v), want %s", got.UTC().Format(time.RFC3339), ok, tc.want)
			}
		})
	}
}

var asOfTests = []struct {
	name      string
	scheduled string
	zone      string
	want      string // date in zone
}{
	{"nightly run reports yesterday", "2026-08-15T03:00:00+02:00", "Europe/Berlin", "2026-08-14"},
	{"month boundary", "2026-03-01T00:30:00Z", "UTC", "2026-02-28"},
	{"year boundary", "2026-01-01T02:00:00Z", "UTC", "2025-12-31"},
	{"zone decides the day", "2026-08-14T23:30:00Z", "Europe/Berlin", "2026-08-14"},
	{"same instant in UTC", "2026-08-14T23:30:00Z", "UTC", "2026-08-13"},
}

func TestAsOfFor(t *testing.T) {
	for _, tc := range asOfTests {
		t.Run(tc.name, func(t *testing.T) {
			loc := mustLoad(t, tc.zone)
			at, _ := time.Parse(time.RFC3339, tc.scheduled)
			want, _ := time.ParseInLocation(time.DateOnly, tc.want, loc)
			if got := asOfFor(at, loc); !got.Equal(want) || got.Location() != loc {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

var validateTests = []struct {
	name    string
	cfg     Config
	wantErr error
}{
	{"five fields", Config{Cron: "30 2 * * *", StateDir: "s"}, nil},
	{"six fields", Config{Cron: "*/10 * * * * *", StateDir: "s"}, nil},
	{"descriptor", Config{Cron: "@daily", StateDir: "s", Location: time.UTC}, nil},
	{"no state dir", Config{Cron: "30 2 * * *"}, ErrConfig},
	{"no cron", Config{StateDir: "s"}, ErrConfig},
	{"bad field", Config{Cron: "61 2 * * *", StateDir: "s"}, ErrConfig},
	{"seven fields", Config{Cron: "0 0 2 * * * *", StateDir: "s"}, ErrConfig},
	{"zone prefix", Config{Cron: "CRON_TZ=UTC 30 2 * * *", StateDir: "s"}, ErrConfig},
	{"@every", Config{Cron: "@every 1h", StateDir: "s"}, ErrConfig},
	{"never fires", Config{Cron: "0 0 30 2 *", StateDir: "s"}, ErrConfig},
	{"zone without a name", Config{Cron: "0 3 * * *", StateDir: "s", Location: time.FixedZone("X", 3600)}, ErrConfig},
}

func TestValidate(t *testing.T) {
	for _, tc := range validateTests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
}
