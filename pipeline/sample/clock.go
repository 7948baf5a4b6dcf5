package sample

import (
	"math"
	"math/rand/v2"
	"time"
)

// Durations in seconds.
const (
	minute = 60
	hour   = 60 * minute
	day    = 24 * hour
	month  = 30.436875 * day // a mean Gregorian month
)

// clock answers questions about local time in the business's time zone for
// instants given as Unix seconds. It keeps the zone's offset of every day
// over a span of time, so that most questions need no lookup in the time
// package.
type clock struct {
	loc   *time.Location
	first int64   // Unix seconds of the UTC midnight starting offsets[0]
	days  []int32 // the offset from UTC, in seconds, of each UTC day; changing for a day with a change
}

// changing marks a day of clock.days on which the offset changes.
const changing = math.MinInt32

// newClock returns a clock for loc that knows the offsets of the days from
// `from` to `to` by heart; others it looks up.
func newClock(loc *time.Location, from, to int64) clock {
	c := clock{loc: loc, first: floorDiv(from, day) * day}
	for t := c.first; t < to; t += day {
		_, a := time.Unix(t, 0).In(loc).Zone()
		lt := time.Unix(t+day-1, 0).In(loc)
		_, b := lt.Zone()
		start, _ := lt.ZoneBounds()
		if a != b || start.Unix() > t {
			a = changing
		}
		c.days = append(c.days, int32(a))
	}
	return c
}

// offset returns the zone's offset from UTC at t, in seconds.
func (c clock) offset(t int64) int64 {
	if d := uint64(t-c.first) / day; t >= c.first && d < uint64(len(c.days)) && c.days[d] != changing {
		return int64(c.days[d])
	}
	_, off := time.Unix(t, 0).In(c.loc).Zone()
	return int64(off)
}

// floorDiv returns a/b rounded down; b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// local returns the weekday (Sunday = 0) and hour of the day at t.
func (c clock) local(t int64) (weekday, hourOfDay int) {
	lt := t + c.offset(t)
	days := lt / day
	if lt < 0 && lt%day != 0 {
		days--
	}
	return int((days + 4) % 7), int((lt - days*day) / hour) // 1970-01-01 was a Thursday
}

// open reports whether the support desk works at t: 08:00–20:00 on
// weekdays, 09:00–14:00 on Saturdays.
func (c clock) open(t int64) bool {
	wd, h := c.local(t)
	switch wd {
	case 0:
		return false
	case 6:
		return h >= 9 && h < 14
	}
	return h >= 8 && h < 20
}

// nextOpen returns t if the desk is open then, else the start of the next
// opening hour. The zone's offsets are whole hours.
func (c clock) nextOpen(t int64) int64 {
	for i := 0; i < 24*8 && !c.open(t); i++ {
		t = (t/hour + 1) * hour
	}
	return t
}

// business returns t if the desk is open then, else a moment after the
// next opening: the backlog of the night is worked through in the first
// hour or so.
func (c clock) business(r *rand.Rand, t int64) int64 {
	if c.open(t) {
		return t
	}
	return c.nextOpen(t) + sec(expRand(r, 40*minute), 1)
}

// profile weighs instants by local weekday and hour, to draw times with a
// weekly seasonality.
type profile struct {
	weekday [7]float64  // Sunday first
	hour    [24]float64 // local hour of the day
	max     float64
}

func newProfile(weekday [7]float64, hours [24]float64) profile {
	p := profile{weekday: weekday, hour: hours}
	mw, mh := 0.0, 0.0
	for _, w := range weekday {
		mw = max(mw, w)
	}
	for _, h := range hours {
		mh = max(mh, h)
	}
	p.max = mw * mh
	return p
}

// supportProfile is when customers contact support: weekday office hours
// with a morning and an afternoon peak, a quieter weekend.
func supportProfile() profile {
	return newProfile(
		[7]float64{0.35, 1.15, 1.05, 1, 1, 0.95, 0.5},
		[24]float64{0.08, 0.05, 0.03, 0.03, 0.04, 0.08, 0.2, 0.45, 0.8, 1.0, 1.0, 0.95, 0.7, 0.75, 0.9, 0.9, 0.85, 0.7, 0.5, 0.4, 0.35, 0.3, 0.2, 0.12},
	)
}

// socialProfile is when people post about the brand: evenings and weekends.
func socialProfile() profile {
	return newProfile(
		[7]float64{1.15, 0.9, 0.9, 0.95, 0.95, 1.0, 1.2},
		[24]float64{0.45, 0.3, 0.18, 0.1, 0.08, 0.08, 0.15, 0.3, 0.45, 0.5, 0.5, 0.55, 0.65, 0.6, 0.55, 0.55, 0.6, 0.7, 0.85, 0.95, 1.0, 1.0, 0.9, 0.7},
	)
}

// draw returns an instant in [a, b) drawn with density proportional to the
// profile's weight (rejection sampling). a < b.
func (p *profile) draw(r *rand.Rand, c clock, a, b int64) int64 {
	var t int64
	for range 64 {
		t = a + r.Int64N(b-a)
		wd, h := c.local(t)
		if r.Float64()*p.max < p.weekday[wd]*p.hour[h] {
			return t
		}
	}
	return t
}
