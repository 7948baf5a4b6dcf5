package ingest

import (
	"strconv"
	"strings"
	"time"
)

// Bounds of the instants the contract accepts: years 0000 to 9999.
const (
	minUnixSec = -62167219200 // 0000-01-01T00:00:00Z
	maxUnixSec = 253402300799 // 9999-12-31T23:59:59Z
)

// Special time layouts of a mapping: numbers of seconds or milliseconds
// since the Unix epoch.
const (
	LayoutUnix   = "unix"
	LayoutUnixMS = "unix_ms"
)

// timeFormat parses the text of one Time column.
type timeFormat struct {
	layout string // Go layout, LayoutUnix, LayoutUnixMS, or "" for the default grammar
	loc    *time.Location
}

// parse returns the instant written in s as microseconds since the Unix
// epoch. A mapped layout is tried first, then RFC 3339.
func (f timeFormat) parse(s string) (int64, error) {
	switch f.layout {
	case "":
		if us, ok := parseTime(s, f.loc, false); ok {
			return us, nil
		}
		return 0, reasonf(ErrInvalidValue, `invalid time %q, want RFC 3339 or "2006-01-02[ 15:04[:05]]"`, s)
	case LayoutUnix, LayoutUnixMS:
		scale := int64(1_000_000)
		what := "Unix seconds"
		if f.layout == LayoutUnixMS {
			scale, what = 1000, "Unix milliseconds"
		}
		if us, ok := parseUnix(s, scale); ok {
			return us, nil
		}
		if us, ok := parseTime(s, f.loc, true); ok {
			return us, nil
		}
		return 0, reasonf(ErrInvalidValue, "invalid time %q, want %s or RFC 3339", s, what)
	}
	if t, err := time.ParseInLocation(f.layout, s, f.loc); err == nil {
		return t.UnixMicro(), nil
	}
	if us, ok := parseTime(s, f.loc, true); ok {
		return us, nil
	}
	return 0, reasonf(ErrInvalidValue, "invalid time %q, want RFC 3339 or layout %q", s, f.layout)
}

// ParseTime parses s with the default grammar of the contract and returns
// the instant it names:
//
//	YYYY-MM-DD[(T| )hh:mm[:ss[.fraction]][Z|±hh:mm]]
//
// This covers RFC 3339 (with or without fractional seconds, "Z" or an
// offset) as well as "2006-01-02 15:04:05", "2006-01-02T15:04:05",
// "2006-01-02 15:04" and "2006-01-02". A time written without an offset is
// read in loc (UTC when loc is nil). Digits of the fraction beyond
// microseconds are truncated.
func ParseTime(s string, loc *time.Location) (time.Time, bool) {
	us, ok := parseTime(s, loc, false)
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMicro(us).UTC(), true
}

// parseTime is the allocation-free parser behind [ParseTime]. With
// needZone, only times with an explicit offset are accepted (RFC 3339).
func parseTime(s string, loc *time.Location, needZone bool) (int64, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return 0, false
	}
	var hour, minute, sec, nsec int
	i := 10
	if i < len(s) {
		if c := s[i]; c != 'T' && c != 't' && c != ' ' {
			return 0, false
		}
		if len(s) < i+6 || s[i+3] != ':' {
			return 0, false
		}
		var okh, okm bool
		hour, okh = digits(s[i+1 : i+3])
		minute, okm = digits(s[i+4 : i+6])
		if !okh || !okm || hour > 23 || minute > 59 {
			return 0, false
		}
		i += 6
		if i < len(s) && s[i] == ':' {
			if len(s) < i+3 {
				return 0, false
			}
			var oks bool
			sec, oks = digits(s[i+1 : i+3])
			if !oks || sec > 59 {
				return 0, false
			}
			i += 3
			if i < len(s) && (s[i] == '.' || s[i] == ',') {
				i++
				n := 0
				scale := 100_000_000
				for i < len(s) && '0' <= s[i] && s[i] <= '9' {
					nsec += int(s[i]-'0') * scale
					scale /= 10
					i++
					n++
				}
				if n == 0 {
					return 0, false
				}
			}
		}
	}
	offset, zoned := 0, false
	if i < len(s) {
		if i == 10 {
			return 0, false // a zone needs a time of day
		}
		switch s[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			if len(s) != i+6 || s[i+3] != ':' {
				return 0, false
			}
			oh, okh := digits(s[i+1 : i+3])
			om, okm := digits(s[i+4 : i+6])
			if !okh || !okm || oh > 23 || om > 59 {
				return 0, false
			}
			offset = (oh*60 + om) * 60
			if s[i] == '-' {
				offset = -offset
			}
			i += 6
		default:
			return 0, false
		}
		if i != len(s) {
			return 0, false
		}
		zoned = true
	}
	if needZone && !zoned {
		return 0, false
	}
	var us int64
	if !zoned && loc != nil && loc != time.UTC {
		us = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc).UnixMicro()
	} else {
		secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec) - int64(offset)
		us = secs*1_000_000 + int64(nsec/1000)
	}
	if us < minUnixSec*1_000_000 || us >= (maxUnixSec+1)*1_000_000 {
		return 0, false // outside years 0000–9999 in UTC
	}
	return us, true
}

// parseUnix parses a decimal number of seconds (scale 1e6) or milliseconds
// (scale 1e3) since the Unix epoch into microseconds.
func parseUnix(s string, scale int64) (int64, bool) {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	digitsPart := strings.TrimPrefix(strings.TrimPrefix(intPart, "-"), "+")
	if digitsPart == "" || (hasFrac && frac == "") || len(digitsPart) > 15 {
		return 0, false
	}
	for _, c := range []byte(digitsPart + frac) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(digitsPart, 10, 64)
	if err != nil {
		return 0, false
	}
	us := n * scale
	// fraction of one unit, truncated to microseconds
	var f int64
	for unit, i := scale/10, 0; unit > 0 && i < len(frac); unit, i = unit/10, i+1 {
		f += int64(frac[i]-'0') * unit
	}
	us += f
	if neg {
		us = -us
	}
	if us < minUnixSec*1_000_000 || us > (maxUnixSec+1)*1_000_000-1 {
		return 0, false
	}
	return us, true
}

// digits parses a short run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given
// date of the proleptic Gregorian calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// formatTime renders microseconds since the epoch as RFC 3339 in UTC, for
// messages.
func formatTime(us int64) string {
	return time.UnixMicro(us).UTC().Format(time.RFC3339Nano)
}

// validLayout reports whether a Go time layout names at least a year, a
// month and a day, by formatting a reference instant and parsing it back.
func validLayout(layout string) bool {
	ref := time.Date(2031, time.November, 27, 19, 48, 53, 0, time.UTC)
	t, err := time.Parse(layout, ref.Format(layout))
	if err != nil {
		return false
	}
	return t.Year() == ref.Year() && t.Month() == ref.Month() && t.Day() == ref.Day()
}
