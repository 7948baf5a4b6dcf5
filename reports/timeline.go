package reports

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/templates"
)

// trendPeriods is the number of periods shown by trend charts and
// sparklines: the report period and those before it.
const trendPeriods = 12

// span is one period.
type span struct{ start, end time.Time }

// tick is the label of one period on a time axis: its short name, and
// below it the year (or month) where that changes.
type tick struct{ top, bottom string }

// rowKey identifies one row of the KPI table.
type rowKey struct {
	metric, dim, value string
	start              int64 // Unix nanoseconds of the period start
}

// view is the KPI table seen from the report: the periods of the trends,
// a lookup of rows, and the locale's formats.
type view struct {
	r       Report
	loc     *time.Location
	tx      *templates.Text
	nf      numbers
	pal     palette
	periods []span // the last trendPeriods periods, ending with the report period
	ticks   []tick // one per period
	rows    map[rowKey]kpi.Row
	units   map[string]kpi.Unit   // metric → unit
	better  map[string]kpi.Better // metric → which way is better, from the catalogue
}

func newView(r Report, loc *time.Location, tx *templates.Text, nf numbers) *view {
	v := &view{r: r, loc: loc, tx: tx, nf: nf, pal: newPalette(),
		rows: make(map[rowKey]kpi.Row, len(r.KPIs)), units: map[string]kpi.Unit{}, better: directions()}
	seen := map[int64]bool{r.PeriodStart.UnixNano(): true}
	v.periods = append(v.periods, span{r.PeriodStart, r.PeriodEnd})
	for _, row := range r.KPIs {
		v.rows[rowKey{row.Metric, row.Dimension, row.DimensionValue, row.PeriodStart.UnixNano()}] = row
		if _, ok := v.units[row.Metric]; !ok {
			v.units[row.Metric] = row.Unit
		}
		if row.PeriodEnd.After(r.PeriodEnd) || seen[row.PeriodStart.UnixNano()] {
			continue
		}
		seen[row.PeriodStart.UnixNano()] = true
		v.periods = append(v.periods, span{row.PeriodStart, row.PeriodEnd})
	}
	slices.SortFunc(v.periods, func(a, b span) int { return a.start.Compare(b.start) })
	v.periods = v.periods[max(0, len(v.periods)-trendPeriods):]
	for i, p := range v.periods {
		v.ticks = append(v.ticks, v.tick(p.start, i == 0))
	}
	return v
}

// tick returns the axis label of the period starting at start in the
// report's grain; first forces the second line.
func (v *view) tick(start time.Time, first bool) tick {
	t := start.In(v.loc)
	year := strconv.Itoa(t.Year())
	month := v.tx.Get("month_short." + strconv.Itoa(int(t.Month())))
	switch v.r.Grain {
	case "year":
		return tick{top: year}
	case "quarter":
		q := (int(t.Month())-1)/3 + 1
		tk := tick{top: v.tx.Fill("axis.quarter", "quarter", strconv.Itoa(q))}
		if first || q == 1 {
			tk.bottom = year
		}
		return tk
	case "month":
		tk := tick{top: month}
		if first || t.Month() == time.January {
			tk.bottom = year
		}
		return tk
	case "week":
		y, w := t.ISOWeek()
		tk := tick{top: v.tx.Fill("axis.week", "week", strconv.Itoa(w))}
		if first || w == 1 {
			tk.bottom = strconv.Itoa(y)
		}
		return tk
	default: // day, or a grain without a name: day of the month
		tk := tick{top: strconv.Itoa(t.Day())}
		if first || t.Day() == 1 {
			tk.bottom = month
		}
		return tk
	}
}

// row returns the KPI row of a metric for one dimension value and period.
func (v *view) row(metric, dim, value string, start time.Time) (kpi.Row, bool) {
	r, ok := v.rows[rowKey{metric, dim, value, start.UnixNano()}]
	return r, ok
}

// current returns the value of a metric in the report period; missing
// when the table has no such row.
func (v *view) current(metric, dim, value string) kpi.Num {
	r, _ := v.row(metric, dim, value, v.r.PeriodStart)
	return r.Value
}

// trend returns the values of a metric over the trend periods, missing
// where the table has no value.
func (v *view) trend(metric, dim, value string) []kpi.Num {
	out := make([]kpi.Num, len(v.periods))
	for i, p := range v.periods {
		r, _ := v.row(metric, dim, value, p.start)
		out[i] = r.Value
	}
	return out
}

// has reports whether the table has the metric at all.
func (v *view) has(metric string) bool {
	_, ok := v.units[metric]
	return ok
}

// unit returns the unit of a metric, "" when the table does not have it.
func (v *view) unit(metric string) kpi.Unit { return v.units[metric] }

// channels returns the channels of the report period, by tickets in
// descending order (then by name), "unknown" last.
func (v *view) channels() []string {
	var out []string
	for _, r := range v.r.KPIs {
		if r.Dimension == "channel" && r.PeriodStart.Equal(v.r.PeriodStart) && !slices.Contains(out, r.DimensionValue) {
			out = append(out, r.DimensionValue)
		}
	}
	tickets := func(ch string) float64 {
		n := v.current("tickets", "channel", ch)
		if !n.Valid {
			return -1
		}
		return n.V
	}
	slices.SortFunc(out, func(a, b string) int {
		if (a == "unknown") != (b == "unknown") {
			return compareChannels(a, b)
		}
		return cmp.Or(cmp.Compare(tickets(b), tickets(a)), cmp.Compare(a, b))
	})
	return out
}

// channelName returns the display name of a channel.
func (v *view) channelName(ch string) string { return v.tx.Or("channel."+ch, ch) }

// periodName returns a short label of the period [start, end), such as
// "Oct 2026", inferring the grain from its length.
func (v *view) periodName(start, end time.Time) string {
	t := start.In(v.loc)
	year := strconv.Itoa(t.Year())
	days := end.Sub(start).Hours() / 24
	switch {
	case days < 1.5:
		return t.Format(v.tx.Get("format.date"))
	case days < 7.5:
		y, w := t.ISOWeek()
		return v.tx.Fill("axis.week", "week", strconv.Itoa(w)) + " " + strconv.Itoa(y)
	case days < 32:
		return v.tx.Get("month_short."+strconv.Itoa(int(t.Month()))) + " " + year
	case days < 93:
		q := (int(t.Month())-1)/3 + 1
		return v.tx.Fill("axis.quarter", "quarter", strconv.Itoa(q)) + " " + year
	default:
		return year
	}
}
