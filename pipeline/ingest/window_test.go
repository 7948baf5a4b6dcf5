package ingest

import (
	"strings"
	"testing"
	"time"
)

// FuzzTimeWindow: whatever the times of a row, a row with a time outside
// the window is never accepted, and one inside is never rejected for it.
func FuzzTimeWindow(f *testing.F) {
	for _, s := range []string{"2024-01-02T10:00:00Z", "0001-01-01", "1970-01-01T00:00:00Z", "2026-11-02T00:00:00Z",
		"2026-11-01T23:59:59.999999Z", "1999-12-31T23:59:59-01:00", "9999-12-31"} {
		f.Add(s, "")
		f.Add("2024-01-02T10:00:00Z", s)
	}
	w := Window{From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	inside := func(s string) (known, ok bool) {
		tm, parsed := ParseTime(strings.TrimSpace(s), nil)
		if !parsed {
			return false, false
		}
		return true, !tm.Before(w.From) && tm.Before(w.To)
	}
	f.Fuzz(func(t *testing.T, created, solved string) {
		for _, s := range []string{created, solved} {
			for _, c := range s {
				if c == ',' || c == '\n' || c == '\r' || c == '"' {
					return // one CSV field each
				}
			}
		}
		row := "T1,C1,email," + created + "," + solved + ",open,,,,,\n"
		res := readAll(t, mapFS(map[string]string{"tickets.csv": ticketsHeader + row}), Tickets, Options{Window: w})
		if res.err != nil {
			t.Fatal(res.err)
		}
		cKnown, cIn := inside(created)
		sKnown, sIn := inside(solved)
		outside := cKnown && !cIn || sKnown && !sIn
		if outside && len(res.rows) != 0 {
			t.Fatalf("row %q with a time outside %s accepted", row, w)
		}
		for _, r := range res.rejs {
			if strings.HasPrefix(r.Reason, "implausible time ") && !outside {
				t.Fatalf("row %q rejected as implausible: %s", row, r.Reason)
			}
		}
	})
}
