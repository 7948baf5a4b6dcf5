package cohort

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// calendar numbers the weeks or months of a time zone with the pipeline's
// one period calendar ([kpi.Calendar]): period 0 contains 1970-01-01, a
// period starts at the first instant of its first local day (the change
// itself where daylight saving skips that midnight) and ends where the
// next one starts.
type calendar struct{ cal *kpi.Calendar }

func newCalendar(g Grain, loc *time.Location) (*calendar, error) {
	grain := kpi.Month
	if g == Week {
		grain = kpi.Week
	}
	c, err := kpi.NewCalendar(grain, loc)
	if err != nil {
		return nil, err
	}
	return &calendar{c}, nil
}

// number returns the number of the period containing t.
func (c *calendar) number(t time.Time) int32 { return c.cal.Number(t) }

// start returns the first instant of period p.
func (c *calendar) start(p int32) time.Time { return c.cal.Start(p) }

// assign writes the period number of a[i] into out[i]; null entries are
// left untouched.
func (c *calendar) assign(a *array.Timestamp, out []int32) {
	var valid func(int) bool
	if a.NullN() > 0 {
		valid = a.IsValid
	}
	c.cal.Assign(a.TimestampValues(), valid, out)
}
