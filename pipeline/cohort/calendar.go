package cohort

import (
	"sort"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"
)

// calendar numbers the weeks or months of a time zone. Period 0 is the
// one containing 1970-01-01 (local date); a period starts at the first
// instant of its first day (local midnight, see [calendar.start]) and ends
// where the next one starts, so its length in hours varies.
//
// The calendar caches the start instants of the periods it has seen, so
// that numbering a batch of instants is a comparison or a binary search per
// value, with no time-zone arithmetic in the loop.
type calendar struct {
	grain Grain
	loc   *time.Location
	first int32   // number of the period starting at bound[0]
	bound []int64 // period starts in µs since the epoch, ascending, plus the end of the last
}

// maxCached bounds the periods the cache spans; an instant further out is
// numbered directly. It keeps a stray far-future timestamp from costing
// memory.
const maxCached = 1 << 14

// isoWeekOffset: 1970-01-01 was a Thursday, so the ISO week containing it
// started on Monday 1969-12-29, three days earlier.
const isoWeekOffset = 3

func newCalendar(g Grain, loc *time.Location) *calendar {
	return &calendar{grain: g, loc: loc}
}

// number returns the number of the period containing t.
func (c *calendar) number(t time.Time) int32 {
	y, m, d := t.In(c.loc).Date()
	if c.grain == Week {
		days := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
		return int32(floorDiv(days+isoWeekOffset, 7))
	}
	return int32((y-1970)*12 + int(m) - 1)
}

// start returns the first instant of period p: local midnight of its first
// day or, where a daylight-saving change skips that midnight (Havana on
// 2012-04-01), the change itself. time.Date alone would resolve a skipped
// midnight to the hour before it, on the previous day.
func (c *calendar) start(p int32) time.Time {
	n := int(p)
	var y int
	var m time.Month
	var d int
	if c.grain == Week {
		y, m, d = time.Date(1970, 1, 1+7*n-isoWeekOffset, 0, 0, 0, 0, time.UTC).Date()
	} else {
		y, m, d = time.Date(1970, time.Month(1+n), 1, 0, 0, 0, 0, time.UTC).Date()
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, c.loc)
	if t.Day() != d {
		_, t = t.ZoneBounds() // the end of the zone in effect: the day's first instant
	}
	return t
}

// assign writes the period number of ts[i] into out[i]. When a has nulls,
// null entries are left untouched.
func (c *calendar) assign(a *array.Timestamp, out []int32) {
	ts := a.TimestampValues()
	nulls := a.NullN() > 0
	k := 0 // index of the last period found: exports are often time-ordered
	for i, t := range ts {
		if nulls && a.IsNull(i) {
			continue
		}
		v := int64(t)
		if len(c.bound) == 0 || v < c.bound[0] || v >= c.bound[len(c.bound)-1] {
			if !c.cover(v) {
				out[i] = c.number(time.UnixMicro(v))
				continue
			}
			k = 0
		}
		if v < c.bound[k] || v >= c.bound[k+1] {
			k = sort.Search(len(c.bound), func(j int) bool { return c.bound[j] > v }) - 1
		}
		out[i] = c.first + int32(k)
	}
}

// cover extends the cached boundaries to contain instant v, unless that
// would make the cache span more than maxCached periods.
func (c *calendar) cover(v int64) bool {
	p := c.number(time.UnixMicro(v))
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
		bound = append(bound, c.start(q).UnixMicro())
	}
	c.first, c.bound = first, bound
	return true
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
