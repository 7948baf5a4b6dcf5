package clv

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
)

const microsPerDay = 86400 * 1_000_000

// toMicros appends the timestamps vs, in unit, as microseconds since the
// epoch (nanoseconds are floored, so the calendar day is unchanged).
func toMicros(dst []int64, vs []arrow.Timestamp, unit arrow.TimeUnit) []int64 {
	switch unit {
	case arrow.Second:
		for _, v := range vs {
			dst = append(dst, int64(v)*1_000_000)
		}
	case arrow.Millisecond:
		for _, v := range vs {
			dst = append(dst, int64(v)*1_000)
		}
	case arrow.Microsecond:
		for _, v := range vs {
			dst = append(dst, int64(v))
		}
	case arrow.Nanosecond:
		for _, v := range vs {
			dst = append(dst, floorDiv(int64(v), 1_000))
		}
	}
	return dst
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// dayClock maps instants (microseconds since the epoch) to calendar days
// in a time zone. Outside UTC it remembers the bounds of the last day it
// saw, so sorted or clustered input costs one comparison per row; days are
// local dates, so a day may last 23 or 25 hours across daylight saving
// changes.
type dayClock struct {
	loc    *time.Location
	utc    bool
	lo, hi int64 // [lo, hi) is the last day seen, in microseconds
	last   int32
}

func (c *dayClock) day(us int64) int32 {
	if c.utc {
		return int32(floorDiv(us, microsPerDay))
	}
	if us >= c.lo && us < c.hi {
		return c.last
	}
	t := time.UnixMicro(us).In(c.loc)
	y, m, d := t.Date()
	c.lo = time.Date(y, m, d, 0, 0, 0, 0, c.loc).UnixMicro()
	c.hi = time.Date(y, m, d+1, 0, 0, 0, 0, c.loc).UnixMicro()
	c.last = int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	return c.last
}
