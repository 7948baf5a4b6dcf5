package ingest

import (
	"math"
	"strconv"
	"strings"
)

// Duration layouts: how an export writes a [Duration] column. The mapping
// names one per column under duration_layouts; a column without one is
// read as minutes.
const (
	DurationMinutes = "minutes"  // a decimal number of minutes: 90, 1.5
	DurationHours   = "hours"    // a decimal number of hours: 0.25
	DurationSeconds = "seconds"  // a decimal number of seconds: 5400
	DurationHMS     = "hh:mm:ss" // hours (any number of digits), minutes and seconds: 01:30:00, 100:05:09
	DurationHM      = "hh:mm"    // hours and minutes: 01:30

	// DurationSince, followed by a timestamp column of the table
	// ("since created_at"), says that the export writes the instant the
	// duration ends: the duration runs from that column's instant to it.
	DurationSince = "since "
)

// durationLayouts returns the layouts a duration_layouts entry may name.
func durationLayouts() []string {
	return []string{DurationMinutes, DurationHours, DurationSeconds, DurationHMS, DurationHM}
}

// validDurationLayout reports whether layout is one of [durationLayouts].
func validDurationLayout(layout string) bool {
	for _, l := range durationLayouts() {
		if layout == l {
			return true
		}
	}
	return false
}

// parseDuration reads s, written in layout ("" means minutes), as a
// number of minutes. A duration is finite and not negative. The error
// says what was expected and the value found.
func parseDuration(s, layout string) (float64, error) {
	switch layout {
	case "", DurationMinutes, DurationHours, DurationSeconds:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f < 0 {
			if layout == "" {
				layout = DurationMinutes
			}
			return 0, reasonf(ErrInvalidValue, "invalid duration %q, want a number of %s, 0 or more", s, layout)
		}
		switch layout {
		case DurationHours:
			f *= 60
		case DurationSeconds:
			f /= 60
		}
		return f, nil
	case DurationHMS, DurationHM:
		parts := strings.Split(s, ":")
		want := 3
		if layout == DurationHM {
			want = 2
		}
		bad := func() (float64, error) {
			return 0, reasonf(ErrInvalidValue, "invalid duration %q, want %s (hours, then minutes and seconds from 00 to 59)", s, layout)
		}
		if len(parts) != want {
			return bad()
		}
		var v [3]int64
		for i, p := range parts {
			if p == "" || len(p) > 12 || (i > 0 && len(p) != 2) {
				return bad()
			}
			for _, r := range p {
				if r < '0' || r > '9' {
					return bad()
				}
			}
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil || (i > 0 && n > 59) {
				return bad()
			}
			v[i] = n
		}
		return float64(v[0])*60 + float64(v[1]) + float64(v[2])/60, nil
	}
	return 0, reasonf(ErrInvalidValue, "unknown duration layout %q", layout)
}
