package ingest

import (
	"errors"
	"testing"
	"time"
)

type parseTimeTest struct {
	in   string
	want string // RFC 3339 in UTC; "" when s must be rejected
}

var parseTimeTests = []parseTimeTest{
	{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
	{"2024-01-02t03:04:05z", "2024-01-02T03:04:05Z"},
	{"2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.123456Z"},
	{"2024-01-02T03:04:05,5+01:30", "2024-01-02T01:34:05.5Z"},
	{"2024-01-02T03:04:05-08:00", "2024-01-02T11:04:05Z"},
	{"2024-01-02 03:04:05", "2024-01-02T03:04:05Z"},
	{"2024-01-02T03:04:05", "2024-01-02T03:04:05Z"},
	{"2024-01-02 03:04", "2024-01-02T03:04:00Z"},
	{"2024-01-02", "2024-01-02T00:00:00Z"},
	{"2024-02-29", "2024-02-29T00:00:00Z"},
	{"2000-02-29", "2000-02-29T00:00:00Z"},
	{"0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"},
	{"9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"},
	{"1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.5Z"},
	{"2023-02-29", ""},
	{"1900-02-29", ""},
	{"2024-13-01", ""},
	{"2024-00-01", ""},
	{"2024-04-31", ""},
	{"2024-01-02T24:00:00Z", ""},
	{"2024-01-02T23:60:00Z", ""},
	{"2024-01-02T23:59:60Z", ""},
	{"2024-01-02T03:04:05.Z", ""},
	{"2024-01-02T03:04:05+0100", ""},
	{"2024-01-02T03:04:05+24:00", ""},
	{"2024-01-02Z", ""},
	{"2024-01-02T03", ""},
	{"2024-01-02T03:04:5", ""},
	{"2024-1-02", ""},
	{"24-01-02", ""},
	{"2024/01/02", ""},
	{"2024-01-02 03:04:05 UTC", ""},
	{"", ""},
	{"yesterday", ""},
}

func TestParseTime(t *testing.T) {
	for _, tc := range parseTimeTests {
		got, ok := ParseTime(tc.in, nil)
		if tc.want == "" {
			if ok {
				t.Errorf("ParseTime(%q) = %v, want rejected", tc.in, got)
			}
			continue
		}
		if !ok || got.Format(time.RFC3339Nano) != tc.want {
			t.Errorf("ParseTime(%q) = %v, %v, want %s", tc.in, got.Format(time.RFC3339Nano), ok, tc.want)
		}
	}
}

func TestParseTimeZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []parseTimeTest{
		{"2024-01-15 12:00", "2024-01-15T17:00:00Z"},
		{"2024-07-15 12:00", "2024-07-15T16:00:00Z"},
		{"2024-07-15", "2024-07-15T04:00:00Z"},
		{"2024-07-15T12:00:00Z", "2024-07-15T12:00:00Z"},
	} {
		got, ok := ParseTime(tc.in, ny)
		if !ok || got.Format(time.RFC3339Nano) != tc.want {
			t.Errorf("ParseTime(%q, New York) = %v, %v, want %s", tc.in, got, ok, tc.want)
		}
	}
}

type layoutTest struct {
	layout string
	in     string
	want   string // "" when rejected
}

var layoutTests = []layoutTest{
	{"02/01/2006 15:04", "31/12/2024 23:30", "2024-12-31T23:30:00Z"},
	{"02/01/2006 15:04", "2024-12-31T23:30:00+01:00", "2024-12-31T22:30:00Z"},
	{"02/01/2006 15:04", "2024-12-31 23:30", ""}, // RFC 3339 needs an offset
	{"02/01/2006 15:04", "12/31/2024 23:30", ""},
	{LayoutUnix, "1700000000", "2023-11-14T22:13:20Z"},
	{LayoutUnix, "1700000000.25", "2023-11-14T22:13:20.25Z"},
	{LayoutUnix, "-1.5", "1969-12-31T23:59:58.5Z"},
	{LayoutUnix, "1e9", ""},
	{LayoutUnix, "99999999999999", ""},
	{LayoutUnixMS, "1700000000123", "2023-11-14T22:13:20.123Z"},
	{LayoutUnixMS, "2023-11-14T22:13:20Z", "2023-11-14T22:13:20Z"},
	{LayoutUnixMS, "12a", ""},
}

func TestTimeLayouts(t *testing.T) {
	for _, tc := range layoutTests {
		us, err := timeFormat{layout: tc.layout, loc: time.UTC}.parse(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("layout %q: parse(%q) = %s, want an error", tc.layout, tc.in, formatTime(us))
			} else if !errors.Is(err, ErrInvalidValue) {
				t.Errorf("layout %q: error %v does not wrap ErrInvalidValue", tc.layout, err)
			}
			continue
		}
		if err != nil || formatTime(us) != tc.want {
			t.Errorf("layout %q: parse(%q) = %s, %v, want %s", tc.layout, tc.in, formatTime(us), err, tc.want)
		}
	}
}

func TestValidLayout(t *testing.T) {
	for layout, want := range map[string]bool{
		"2006-01-02 15:04:05": true, "02.01.2006": true, "Jan 2, 2006 at 3:04pm (MST)": true, time.RFC1123Z: true,
		"15:04": false, "2006-01": false, "garbage": false, "": false,
	} {
		if got := validLayout(layout); got != want {
			t.Errorf("validLayout(%q) = %v, want %v", layout, got, want)
		}
	}
}
