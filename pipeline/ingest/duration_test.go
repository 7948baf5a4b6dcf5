package ingest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

var parseDurationTests = []struct {
	in, layout string
	want       float64 // minutes
	err        string  // part of the reason when the value is refused
}{
	{in: "90", want: 90},
	{in: "1.5", layout: DurationMinutes, want: 1.5},
	{in: "0", want: 0},
	{in: "0.25", layout: DurationHours, want: 15},
	{in: "19.0", layout: DurationHours, want: 19 * 60},
	{in: "5400", layout: DurationSeconds, want: 90},
	{in: "01:30:00", layout: DurationHMS, want: 90},
	{in: "00:00:30", layout: DurationHMS, want: 0.5},
	{in: "100:05:09", layout: DurationHMS, want: 100*60 + 5 + 9.0/60},
	{in: "0:05:00", layout: DurationHMS, want: 5},
	{in: "01:30", layout: DurationHM, want: 90},
	{in: "-5", err: `invalid duration "-5", want a number of minutes, 0 or more`},
	{in: "NaN", layout: DurationSeconds, err: `want a number of seconds`},
	{in: "1e400", err: `want a number of minutes`},
	{in: "ninety", layout: DurationHours, err: `invalid duration "ninety", want a number of hours`},
	{in: "01:30", layout: DurationHMS, err: `invalid duration "01:30", want hh:mm:ss`},
	{in: "01:60:00", layout: DurationHMS, err: `want hh:mm:ss (hours, then minutes and seconds from 00 to 59)`},
	{in: "01:5:00", layout: DurationHMS, err: `want hh:mm:ss`},
	{in: "-1:05:00", layout: DurationHMS, err: `want hh:mm:ss`},
	{in: "+1:05:00", layout: DurationHMS, err: `want hh:mm:ss`},
	{in: "1:05:00.5", layout: DurationHMS, err: `want hh:mm:ss`},
	{in: "1:05:00", layout: DurationHM, err: `want hh:mm`},
	{in: "90 min", err: `want a number of minutes`},
}

func TestParseDuration(t *testing.T) {
	for _, tc := range parseDurationTests {
		t.Run(tc.layout+"/"+tc.in, func(t *testing.T) {
			got, err := parseDuration(tc.in, tc.layout)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrInvalidValue) {
					t.Errorf("parseDuration(%q, %q) = %v, %v; want an invalid value saying %q", tc.in, tc.layout, got, err, tc.err)
				}
			case err != nil:
				t.Errorf("parseDuration(%q, %q): %v", tc.in, tc.layout, err)
			case math.Abs(got-tc.want) > 1e-9:
				t.Errorf("parseDuration(%q, %q) = %v, want %v", tc.in, tc.layout, got, tc.want)
			}
		})
	}
}

// TestDurationColumns reads the vendor metrics of a Freshdesk-like export
// written hh:mm:ss and in hours: values land in minutes, and a bad value
// is rejected naming the file, line, column, what was expected and the
// value.
func TestDurationColumns(t *testing.T) {
	const data = "id,channel,created,status,frt,wait\n" +
		"1,email,2026-10-01T09:00:00Z,open,00:30:00,1.5\n" +
		"2,email,2026-10-01T10:00:00Z,open,,\n" +
		"3,email,2026-10-01T11:00:00Z,open,0:75:00,2\n" +
		"4,email,2026-10-01T12:00:00Z,open,26:00:05,-1\n"
	m, err := LoadMapping(strings.NewReader(`
tables:
  tickets:
    columns: {ticket_id: id, created_at: created, vendor_first_reply_minutes: frt, vendor_requester_wait_minutes: wait}
    duration_layouts: {vendor_first_reply_minutes: "hh:mm:ss", vendor_requester_wait_minutes: hours}
`), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := readAll(t, mapFS(map[string]string{"tickets.csv": data}), Tickets, Options{Mapping: m.Tables[Tickets]})
	if res.err != nil {
		t.Fatal(res.err)
	}
	frt, wait := 11, 13 // contract indices
	var got []string
	for _, r := range res.rows {
		for len(r) <= wait {
			r = append(r, "<null>")
		}
		got = append(got, r[0]+":"+r[frt]+":"+r[wait])
	}
	if want := []string{"1:30:90", "2:<null>:<null>"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rows %v, want %v", got, want)
	}
	want := []struct {
		line, column  int
		field, reason string
	}{
		{4, 5, "vendor_first_reply_minutes", `invalid duration "0:75:00", want hh:mm:ss (hours, then minutes and seconds from 00 to 59)`},
		{5, 6, "vendor_requester_wait_minutes", `invalid duration "-1", want a number of hours, 0 or more`},
	}
	if len(res.rejs) != len(want) {
		t.Fatalf("rejections %+v, want %d", res.rejs, len(want))
	}
	for i, w := range want {
		r := res.rejs[i]
		if r.File != "tickets.csv" || r.Line != w.line || r.Column != w.column || r.Field != w.field || r.Reason != w.reason {
			t.Errorf("rejection %d: %s:%d:%d %s %q, want tickets.csv:%d:%d %s %q", i, r.File, r.Line, r.Column, r.Field, r.Reason, w.line, w.column, w.field, w.reason)
		}
	}
}

// FuzzParseDuration: no panic; what is accepted is finite, not negative,
// and for the numeric layouts the number read in that unit.
func FuzzParseDuration(f *testing.F) {
	for _, tc := range parseDurationTests {
		f.Add(tc.in, tc.layout)
	}
	f.Fuzz(func(t *testing.T, s, layout string) {
		got, err := parseDuration(s, layout)
		if err != nil {
			if !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("parseDuration(%q, %q): %v, want an invalid value", s, layout, err)
			}
			return
		}
		if math.IsNaN(got) || math.IsInf(got, 0) || got < 0 {
			t.Fatalf("parseDuration(%q, %q) = %v", s, layout, got)
		}
		if layout == DurationSeconds {
			if f, _ := strconv.ParseFloat(s, 64); math.Abs(f/60-got) > 1e-9*math.Max(1, got) {
				t.Fatalf("parseDuration(%q, seconds) = %v, want %v", s, got, f/60)
			}
		}
	})
}

// TestDurationSince: a duration the export writes as the instant it ends
// ("since created_at") is measured from the row's created_at, both read
// in the table's zone; a missing end or start is a missing duration, an
// end before the start a rejected row.
func TestDurationSince(t *testing.T) {
	const data = "id,channel,created,status,first_responded\n" +
		"1,email,2026-10-01T09:00:00Z,open,2026-10-01T09:45:30Z\n" +
		"2,email,2026-10-01 10:00,open,2026-10-02 10:00\n" + // wall times in Europe/Madrid: 24 h
		"3,email,2026-10-25 01:00,open,2026-10-25 04:00\n" + // across the end of summer time: 4 h
		"4,email,2026-10-01T12:00:00Z,open,\n" +
		"5,email,2026-10-01T12:00:00Z,open,2026-10-01T11:59:00Z\n" +
		"6,email,2026-10-01T12:00:00Z,open,soon\n"
	m, err := LoadMapping(strings.NewReader(`
tables:
  tickets:
    time_zone: Europe/Madrid
    columns: {ticket_id: id, created_at: created, vendor_first_reply_minutes: first_responded}
    duration_layouts: {vendor_first_reply_minutes: since created_at}
`), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := readAll(t, mapFS(map[string]string{"tickets.csv": data}), Tickets, Options{Mapping: m.Tables[Tickets]})
	if res.err != nil {
		t.Fatal(res.err)
	}
	const frt = 11 // contract index
	var got []string
	for _, r := range res.rows {
		for len(r) <= frt {
			r = append(r, "<null>")
		}
		got = append(got, r[0]+":"+r[frt])
	}
	if want := []string{"1:45.5", "2:1440", "3:240", "4:<null>"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rows %v, want %v", got, want)
	}
	want := []string{
		`6:5 vendor_first_reply_minutes: ends at 2026-10-01T11:59:00Z, before created_at 2026-10-01T12:00:00Z`,
		`7:5 vendor_first_reply_minutes: invalid time "soon"`,
	}
	if len(res.rejs) != len(want) {
		t.Fatalf("rejections %+v, want %d", res.rejs, len(want))
	}
	for i, w := range want {
		r := res.rejs[i]
		if g := fmt.Sprintf("%d:%d %s: %s", r.Line, r.Column, r.Field, r.Reason); !strings.HasPrefix(g, w) {
			t.Errorf("rejection %d: %s, want %s", i, g, w)
		}
	}
	for _, tc := range []struct{ layout, want string }{
		{"since solved", `"solved" is no timestamp column of table tickets`},
		{"since status", `"status" is no timestamp column of table tickets`},
		{"since", `bad duration layout "since"`},
	} {
		_, err := LoadMapping(strings.NewReader("tables:\n  tickets:\n    duration_layouts: {vendor_first_reply_minutes: "+tc.layout+"}\n"), "m.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "duration_layouts.vendor_first_reply_minutes") {
			t.Errorf("layout %q: error %v, want one naming the key and saying %s", tc.layout, err, tc.want)
		}
	}
}
