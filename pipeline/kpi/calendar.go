package kpi

import (
	"fmt"
	"sort"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
)

// Grain is the length of a reporting period.
type Grain string

// Period grains. Weeks are ISO weeks (Monday to Monday); quarters start in
// January, April, July and October.
const (
	Day     Grain = "day"
	Week    Grain = "week"
	Month   Grain = "month"
	Quarter Grain = "quarter"
	Year    Grain = "year"
)

// ParseGrain returns the grain named s.
func ParseGrain(s string) (Grain, error) {
	switch g := Grain(s); g {
	case Day, Week, Month, Quarter, Year:
		return g, nil
	}
	return "", fmt.Errorf("kpi: unknown period grain %q, want day, week, month, quarter or year", s)
}

// Calendar assigns instants to reporting periods. A period starts at local
// midnight, in the reporting time zone, of its first day and ends where
// the next one starts, so a month is a calendar month even across daylight
// saving changes (a day may last 23 or 25 hours).
//
// Periods are numbered from the one containing 1970-01-01 (0); the
// calendar keeps the boundaries of the periods it has seen so that
// assigning a batch of instants is a binary search per value, with no
// time-zone arithmetic in the loop.
type Calendar struct {
	grain Grain
	loc   *time.Location
	first int32   // number of the period starting at bounds[0]
	lo    int64   // bounds[0] in microseconds since the epoch, UTC
	hi    int64   // bounds[len(bounds)-1]
	bound []int64 // period starts, ascending, plus the end of the last period
}

// NewCalendar returns a calendar of the given grain in loc.
func NewCalendar(g Grain, loc *time.Location) (*Calendar, error) {
	if _, err := ParseGrain(string(g)); err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Calendar{grain: g, loc: loc}, nil
}

// Grain returns the calendar's grain.
func (c *Calendar) Grain() Grain { return c.grain }

// Location returns the reporting time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// epoch weekday: 1970-01-01 was a Thursday, so ISO week 0 starts on Monday
// 1969-12-29, three days earlier.
const isoWeekOffset = 3

// Number returns the number of the period containing t.
func (c *Calendar) Number(t time.Time) int32 {
	y, m, d := t.In(c.loc).Date()
	switch c.grain {
	case Day:
		return int32(daysSinceEpoch(y, m, d))
	case Week:
		return int32(floorDiv(daysSinceEpoch(y, m, d)+isoWeekOffset, 7))
	case Month:
		return int32((y-1970)*12 + int(m) - 1)
	case Quarter:
		return int32(floorDiv((y-1970)*12+int(m)-1, 3))
	}
	return int32(y - 1970)
}

// Start returns the first instant of period p.
func (c *Calendar) Start(p int32) time.Time {
	n := int(p)
	switch c.grain {
	case Day:
		return localTime(1970, 1, 1+n, 0, c.loc)
	case Week:
		return localTime(1970, 1, 1+7*n-isoWeekOffset, 0, c.loc)
	case Month:
		return localTime(1970, time.Month(1+n), 1, 0, c.loc)
	case Quarter:
		return localTime(1970, time.Month(1+3*n), 1, 0, c.loc)
	}
	return localTime(1970+n, 1, 1, 0, c.loc)
}

// localTime returns the instant of wall-clock time since midnight on the
// given date in loc (the date is normalized like time.Date's). A wall-clock
// time that does not exist, because a daylight-saving change skips it (in
// some zones the change skips midnight itself), becomes the instant of the
// change: the first instant at or after that wall-clock time.
func localTime(y int, m time.Month, d int, since time.Duration, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, int(since), loc)
	want := time.Date(y, m, d, 0, 0, 0, int(since), time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	if !got.Equal(want) {
		_, end := t.ZoneBounds()
		return end
	}
	return t
}

// Label returns a short name of period p: 2026-10-03, 2026-W40, 2026-10,
// 2026-Q4 or 2026.
func (c *Calendar) Label(p int32) string {
	s := c.Start(p)
	switch c.grain {
	case Day:
		return s.Format("2006-01-02")
	case Week:
		y, w := s.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case Month:
		return s.Format("2006-01")
	case Quarter:
		return fmt.Sprintf("%d-Q%d", s.Year(), (int(s.Month())+2)/3)
	}
	return s.Format("2006")
}

// Assign writes the period number of each instant ts[i] (microseconds since
// the epoch, UTC) into out[i]. Entries where valid is non-nil and
// valid[i] is false are left untouched.
func (c *Calendar) Assign(ts []arrow.Timestamp, valid func(i int) bool, out []int32) {
	k := 0 // the last period found: input is often in time order
	for i, t := range ts {
		if valid != nil && !valid(i) {
			continue
		}
		v := int64(t)
		if len(c.bound) == 0 || v < c.lo || v >= c.hi {
			if !c.cover(v) {
				out[i] = c.Number(time.UnixMicro(v))
				continue
			}
			k = 0
		}
		if v < c.bound[k] || v >= c.bound[k+1] {
			// bound[k] <= v < bound[k+1]
			k = sort.Search(len(c.bound), func(j int) bool { return c.bound[j] > v }) - 1
		}
		out[i] = c.first + int32(k)
	}
}

// maxCached bounds the periods the known boundaries span; an instant
// further out is numbered directly, so that a stray far-off timestamp does
// not cost memory.
const maxCached = 1 << 14

// cover extends the known boundaries so that they contain instant v,
// unless that would make them span more than maxCached periods.
func (c *Calendar) cover(v int64) bool {
	p := c.Number(time.UnixMicro(v))
	first, last := p, p
	if len(c.bound) > 0 {
		first = min(first, c.first)
		last = max(last, c.first+int32(len(c.bound))-2)
	}
	if int(last)-int(first) >= maxCached {
		return false
	}
	bound := make([]int64, 0, last-first+2)
	for q := first; q <= last+1; q++ {
		bound = append(bound, c.Start(q).UnixMicro())
	}
	c.first, c.bound = first, bound
	c.lo, c.hi = bound[0], bound[len(bound)-1]
	return true
}

func daysSinceEpoch(y int, m time.Month, d int) int {
	// Days of a proleptic Gregorian civil date relative to 1970-01-01,
	// computed in UTC so that the zone's offsets do not matter.
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
