package reports

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/alert"
	"github.com/cxkpi/cxkpi/pipeline/cohort"
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
	// Reconciliation counts the tickets whose durations by cxkpi and by
	// their helpdesk differ, per metric and reason, in the order shown
	// (reconciliation.parquet); optional.
	Reconciliation []ReconcileCount

	// Cohorts is the tidy cohort table, optional: its latest cohorts are
	// shown as a retention heatmap.
	Cohorts []cohort.Row
	// CLV is customer lifetime value by segment (deciles, say), optional,
	// in the order shown.
	CLV []CLVSegment
	// AtRisk lists valuable customers unlikely to be still active,
	// optional; the most valuable are shown.
	AtRisk []AtRiskCustomer
	// CLVBasis is what the lifetime values rest on, shown under them;
	// optional.
	CLVBasis *CLVBasis
	// Alerts are the alerts the period raised, shown first on the
	// executive summary and in the email; Targets the goals of the KPIs,
	// those of the total listed with the period's value and whether it met
	// them. Both optional.
	Alerts  []alert.Alert
	Targets []alert.Target
	// Currency is the ISO 4217 code of every amount (EUR); amounts are
	// shown with its symbol, placed and rounded as the locale and the
	// currency want. "" shows plain numbers.
	Currency string
	// CLVDiagnostics are the checks of the purchase model, on a page of
	// their own; optional.
	CLVDiagnostics *CLVDiagnostics
}

// CLVBasis is what the model lifetime values rest on: the horizon and
// discount rate they are valued over, and how orders without cost were
// given a margin.
type CLVBasis struct {
	HorizonMonths      int     `json:"horizon_months"`
	AnnualDiscountRate float64 `json:"annual_discount_rate"`
	// UncostedMargin is the gross margin ratio given to orders without
	// cost: configured, or, with MarginDerived, the ratio of the orders
	// with a cost.
	UncostedMargin float64 `json:"uncosted_margin"`
	MarginDerived  bool    `json:"margin_derived"`
	Orders         int64   `json:"orders"`          // orders observed
	UncostedOrders int64   `json:"uncosted_orders"` // of which without cost
	// PurchaseModel is the purchase model behind the predictions, chosen
	// by BIC among Models ("bgnbd", "mbgnbd", "pareto_nbd").
	PurchaseModel string       `json:"purchase_model"`
	Models        []ModelScore `json:"models,omitempty"`
	// Intervals are the uncertainty intervals of the predictions; nil
	// when they could not be drawn.
	Intervals *CLVIntervals `json:"intervals,omitempty"`
}

// ModelScore is a fitted purchase model and its Bayesian information
// criterion (lower is better).
type ModelScore struct {
	Name string  `json:"name"`
	BIC  float64 `json:"bic"`
}

// CLVSegment is the customer lifetime value of one group of customers,
// such as a decile of predicted CLV.
type CLVSegment struct {
	Label     string  // shown under its bar, such as "D10" or "Top 10%"
	Customers int64   // customers in the segment
	MeanCLV   float64 // in the reporting currency
	TotalCLV  float64 // in the reporting currency
	AtRisk    bool    // highlighted as a segment at risk of churning
}

// AtRiskCustomer is a customer with a high lifetime value and a low
// probability of being still active.
type AtRiskCustomer struct {
	ID     string
	CLV    float64 // in the reporting currency
	PAlive float64 // probability of being active, 0..1
}

// TableQuality is the data quality of one input table: Read = Accepted +
// Skipped + Rejected.
type TableQuality struct {
	Table                             string
	Read, Accepted, Skipped, Rejected int64
	Reasons                           []ReasonCount // rejection reasons
	SkipReasons                       []ReasonCount // why rows were skipped
	Unmapped                          []Unmapped    // values outside a column's vocabulary, kept as its catch-all
}

// Unmapped counts the export values of one column that were outside its
// vocabulary and were kept as the column's catch-all value.
type Unmapped struct {
	Column string       `json:"column"`
	As     string       `json:"as"`   // the catch-all value
	Rows   int64        `json:"rows"` // rows with such a value
	Values []ValueCount `json:"values"`
	Others int64        `json:"others"` // rows with a value not in Values
}

// ValueCount counts the rows with one export value.
type ValueCount struct {
	Value string `json:"value"`
	N     int64  `json:"n"`
}

// ReconcileCount counts the tickets of one metric whose value by cxkpi
// and by the helpdesk differ for one reason.
type ReconcileCount struct {
	Metric, Reason string
	Tickets        int64
}

// ReasonCount counts the rows rejected for one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	N      int64  `json:"n"`
	// Example is the value the first such row quoted, shown in place of
	// the reason's "…" (cut to maxExample characters); "" when the reason
	// quotes none.
	Example string `json:"example,omitempty"`
}

// maxExample is the most characters of an offending value shown in the
// report; a longer one is cut at a character boundary, ending in "…".
const maxExample = 32

// topReasons is the number of rejection reasons shown per table.
const topReasons = 3

// headline returns the metrics shown per channel, in column order.
func headline() []string {
	return []string{"tickets", "csat", "nps", "ces", "first_reply_time_median"}
}

// section is one entry of the contents: a heading and the blocks under
// it, or the line shown instead when it has none.
type section struct {
	heading string
	blocks  []block
	empty   string
	newPage bool // start on a fresh page when there are blocks
}

// content is all of a report, in reading order, before layout.
type content struct {
	title, company    string
	periodLabel       string // "March 2024", or the date range
	period, generated string // lines of the cover
	contents          string // heading of the contents
	runningHeader     string // at the top of every page but the cover
	pageFooter        string // with {page} and {pages} left to fill
	sections          []section
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

// buildContent turns r into the content of the report.
func buildContent(r Report, tx *templates.Text) (content, error) {
	loc, err := r.validate()
	if err != nil {
		return content{}, err
	}
	nf, err := newNumbers(tx).withCurrency(r.Currency, cmp.Or(r.Locale, "en"))
	if err != nil {
		return content{}, err
	}
	label, ok := periodLabel(r, loc, tx)
	if !ok {
		layout := tx.Get("format.date")
		label = r.PeriodStart.In(loc).Format(layout) + " – " + r.PeriodEnd.Add(-time.Nanosecond).In(loc).Format(layout)
	}
	title := cmp.Or(r.Title, tx.Get("report.default_title"))
	c := content{
		title:         title,
		company:       r.Company,
		periodLabel:   label,
		period:        periodLine(r, loc, tx),
		generated:     tx.Fill("report.generated", "time", r.Generated.In(loc).Format(tx.Get("format.datetime"))),
		contents:      tx.Get("report.contents"),
		runningHeader: tx.Fill("report.running_header", "title", title, "period", label),
		pageFooter:    tx.Get("report.page"),
	}
	current := r.periodRows()
	prev := previousValues(r.KPIs, r.PeriodStart)
	v := newView(r, loc, tx, nf)
	kpis := kpiSection(current, prev, v.better, tx, nf)
	kpis.newPage = true
	c.sections = []section{
		v.summarySection(),
		v.trendsSection(),
		v.channelMixSection(),
		v.npsSection(),
		v.timesSection(),
		v.backlogSection(),
		v.cohortSection(r.Cohorts),
		v.clvSection(r.CLV, r.AtRisk),
		v.diagnosticsSection(r.CLVDiagnostics),
		kpis,
		channelSection(current, tx, nf),
		qualitySection(r.Quality, r.Reconciliation, tx, nf),
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
