package reports

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/templates"
)

// ErrReport is wrapped by the errors of a [Report] that cannot be
// rendered.
var ErrReport = errors.New("reports: invalid report")

// Report is the content of one PDF report. Its text comes from the
// locale's file in package templates.
type Report struct {
	Title, Company string // Title defaults to the locale's report title
	Locale         string // a locale of package templates; "" means "en"
	Grain          string // "day", "week", "month", "quarter" or "year"

	// PeriodStart and PeriodEnd (exclusive) are the report period; rows
	// of KPIs for this exact period are reported, compared with the
	// period that ends at PeriodStart.
	PeriodStart, PeriodEnd time.Time
	Location               *time.Location // dates are shown in it; nil means UTC

	// Generated is shown on the report and fixes the PDF's creation and
	// modification dates; it must be set (reports never read the clock).
	Generated time.Time

	KPIs    []kpi.Row      // the whole tidy KPI table
	Quality []TableQuality // data quality per input table
}

// TableQuality is the data quality of one input table: Read = Accepted +
// Rejected.
type TableQuality struct {
	Table                    string
	Read, Accepted, Rejected int64
	Reasons                  []ReasonCount // rejection reasons
}

// ReasonCount counts the rows rejected for one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	N      int64  `json:"n"`
}

// topReasons is the number of rejection reasons shown per table.
const topReasons = 3

// headline returns the metrics shown per channel, in column order.
func headline() []string {
	return []string{"tickets", "csat", "nps", "ces", "first_reply_time_median"}
}

// column is the layout of one table column: its share of the width and
// whether its text is aligned right (numbers).
type column struct {
	weight float64
	right  bool
}

// section is one table of the report, or the line shown instead when it
// has no rows.
type section struct {
	heading string
	cols    []column
	header  []string
	rows    [][]string
	empty   string
}

// content is all the text of a report, in reading order, before layout.
type content struct {
	title, company    string
	period, generated string
	sections          []section
	pageFooter        string // with {page} and {pages} left to fill
}

// validate checks r and returns its location.
func (r *Report) validate() (*time.Location, error) {
	if r.Generated.IsZero() {
		return nil, fmt.Errorf("%w: Generated is not set", ErrReport)
	}
	if !r.PeriodEnd.After(r.PeriodStart) {
		return nil, fmt.Errorf("%w: period end %v is not after its start %v", ErrReport, r.PeriodEnd, r.PeriodStart)
	}
	if r.Location == nil {
		return time.UTC, nil
	}
	return r.Location, nil
}

// buildContent turns r into the text of the report.
func buildContent(r Report, tx *templates.Text) (content, error) {
	loc, err := r.validate()
	if err != nil {
		return content{}, err
	}
	nf := newNumbers(tx)
	c := content{
		title:      cmp.Or(r.Title, tx.Get("report.default_title")),
		company:    r.Company,
		period:     periodLine(r, loc, tx),
		generated:  tx.Fill("report.generated", "time", r.Generated.In(loc).Format(tx.Get("format.datetime"))),
		pageFooter: tx.Get("report.page"),
	}
	current := r.periodRows()
	c.sections = []section{
		kpiSection(current, previousValues(r.KPIs, r.PeriodStart), tx, nf),
		channelSection(current, tx, nf),
		qualitySection(r.Quality, tx, nf),
	}
	return c, nil
}

// periodLine returns "Period: March 2024 (2024-03-01 – 2024-03-31)".
func periodLine(r Report, loc *time.Location, tx *templates.Text) string {
	start := r.PeriodStart.In(loc)
	last := r.PeriodEnd.Add(-time.Nanosecond).In(loc) // the end is exclusive
	layout := tx.Get("format.date")
	label, ok := periodLabel(r, loc, tx)
	if !ok {
		return tx.Fill("report.period_range", "start", start.Format(layout), "end", last.Format(layout))
	}
	return tx.Fill("report.period", "label", label, "start", start.Format(layout), "end", last.Format(layout))
}

// periodLabel returns the name of the report period, like "March 2024" or
// "Week 9, 2024"; ok is false when the grain has no name in the locale.
func periodLabel(r Report, loc *time.Location, tx *templates.Text) (label string, ok bool) {
	start := r.PeriodStart.In(loc)
	y, week := start.ISOWeek()
	if r.Grain != "week" {
		y = start.Year()
	}
	tmpl, ok := tx.Lookup("grain." + r.Grain)
	if !ok || r.Grain == "" {
		return "", false
	}
	label = fill(tmpl, "date", start.Format(tx.Get("format.date")))
	label = fill(label, "week", strconv.Itoa(week))
	label = fill(label, "month", tx.Get("month."+strconv.Itoa(int(start.Month()))))
	label = fill(label, "quarter", strconv.Itoa((int(start.Month())-1)/3+1))
	label = fill(label, "year", strconv.Itoa(y))
	return label, true
}

// periodRows returns the KPI rows of the report period, in table order.
func (r *Report) periodRows() []kpi.Row {
	var out []kpi.Row
	for _, row := range r.KPIs {
		if row.PeriodStart.Equal(r.PeriodStart) && row.PeriodEnd.Equal(r.PeriodEnd) {
			out = append(out, row)
		}
	}
	return out
}

// series identifies the rows of one metric for one dimension value.
type series struct{ metric, dimension, value string }

func seriesOf(r kpi.Row) series { return series{r.Metric, r.Dimension, r.DimensionValue} }

// previousValues returns the values of the period that ends at start.
func previousValues(rows []kpi.Row, start time.Time) map[series]kpi.Num {
	prev := map[series]kpi.Num{}
	for _, r := range rows {
		if r.PeriodEnd.Equal(start) {
			prev[seriesOf(r)] = r.Value
		}
	}
	return prev
}

// change returns the row's change from the previous period: the one the
// KPI table carries or, when it has none, the difference from prev. It is
// missing unless both periods have values.
func change(r kpi.Row, prev map[series]kpi.Num) kpi.Num {
	if r.Change.Valid {
		return r.Change
	}
	p, ok := prev[seriesOf(r)]
	if !ok || !p.Valid || !r.Value.Valid {
		return kpi.Num{}
	}
	return kpi.Some(r.Value.V - p.V)
}

// kpiSection lists every metric of dimension "all" of the period.
func kpiSection(rows []kpi.Row, prev map[series]kpi.Num, tx *templates.Text, nf numbers) section {
	s := section{
		heading: tx.Get("report.section_kpis"),
		cols:    []column{{5, false}, {2, true}, {2, true}, {2.5, true}},
		header:  []string{tx.Get("column.metric"), tx.Get("column.value"), tx.Get("column.n"), tx.Get("column.change")},
		empty:   tx.Get("report.empty_kpis"),
	}
	for _, r := range rows {
		if r.Dimension != "all" {
			continue
		}
		ch := tx.Get("report.no_change")
		if d := change(r, prev); d.Valid {
			ch = nf.change(d, r.Unit)
		}
		s.rows = append(s.rows, []string{tx.Metric(r.Metric), nf.value(r.Value, r.Unit), nf.count(r.N), ch})
	}
	return s
}

// channelSection shows the headline metrics per channel: one row per
// channel, "unknown" last, one column per headline metric the period has.
func channelSection(rows []kpi.Row, tx *templates.Text, nf numbers) section {
	s := section{heading: tx.Get("report.section_channels"), empty: tx.Get("report.empty_channels")}
	type cell struct{ channel, metric string }
	cells := map[cell]kpi.Row{}
	var channels []string
	present := map[string]bool{}
	for _, r := range rows {
		if r.Dimension != "channel" {
			continue
		}
		if !slices.Contains(channels, r.DimensionValue) {
			channels = append(channels, r.DimensionValue)
		}
		cells[cell{r.DimensionValue, r.Metric}] = r
		present[r.Metric] = true
	}
	var metrics []string
	for _, m := range headline() {
		if present[m] {
			metrics = append(metrics, m)
		}
	}
	if len(metrics) == 0 {
		return s
	}
	slices.SortFunc(channels, func(a, b string) int {
		if (a == "unknown") != (b == "unknown") {
			if a == "unknown" {
				return 1
			}
			return -1
		}
		return cmp.Compare(a, b)
	})
	s.cols = []column{{2, false}}
	s.header = []string{tx.Get("column.channel")}
	for _, m := range metrics {
		s.cols = append(s.cols, column{1.5, true})
		s.header = append(s.header, tx.Or("metric_short."+m, tx.Metric(m)))
	}
	for _, ch := range channels {
		line := []string{tx.Or("channel."+ch, ch)}
		for _, m := range metrics {
			r := cells[cell{ch, m}] // a missing row shows as no data
			line = append(line, nf.value(r.Value, r.Unit))
		}
		s.rows = append(s.rows, line)
	}
	return s
}

// qualitySection shows rows read, accepted and rejected per input table,
// with the most frequent rejection reasons.
func qualitySection(tables []TableQuality, tx *templates.Text, nf numbers) section {
	s := section{
		heading: tx.Get("report.section_quality"),
		cols:    []column{{2, false}, {1.4, true}, {1.4, true}, {1.4, true}, {5, false}},
		header: []string{tx.Get("column.table"), tx.Get("column.read"), tx.Get("column.accepted"),
			tx.Get("column.rejected"), tx.Get("column.reasons")},
		empty: tx.Get("report.empty_quality"),
	}
	for _, t := range tables {
		reasons := slices.Clone(t.Reasons)
		slices.SortStableFunc(reasons, func(a, b ReasonCount) int {
			return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Reason, b.Reason))
		})
		text := tx.Get("report.no_rejections")
		if len(reasons) > 0 {
			text = ""
			for i, rc := range reasons[:min(len(reasons), topReasons)] {
				if i > 0 {
					text += "\n"
				}
				text += tx.Fill("report.reason", "reason", rc.Reason, "n", nf.count(rc.N))
			}
			if more := len(reasons) - topReasons; more > 0 {
				text += "\n" + tx.Fill("report.more_reasons", "n", nf.count(int64(more)))
			}
		}
		s.rows = append(s.rows, []string{tx.Or("table."+t.Table, t.Table),
			nf.count(t.Read), nf.count(t.Accepted), nf.count(t.Rejected), text})
	}
	return s
}
