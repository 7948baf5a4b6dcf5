package reports

import (
	"strconv"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// Chart heights, in millimetres.
const (
	gridChartH = 76.0  // charts two to a row
	wideChartH = 100.0 // charts across the page
)

// rows arranges charts two to a row.
func rows(charts []chart, h float64) []block {
	var out []block
	for i := 0; i < len(charts); i += 2 {
		out = append(out, chartRow{charts[i:min(i+2, len(charts))], h})
	}
	return out
}

// trendsSection shows the headline KPIs over the trend periods: CSAT,
// NPS, CES, the median first reply and resolution times, tickets, and
// retention with churn.
func (v *view) trendsSection() section {
	s := section{heading: v.tx.Get("report.section_trends"), newPage: true, empty: v.tx.Get("report.no_data_section")}
	var charts []chart
	for _, m := range []string{"csat", "nps", "ces"} {
		if v.has(m) {
			charts = append(charts, v.trendChart(v.tx.Metric(m), m))
		}
	}
	if c, ok := v.trendPair("chart.times_trend", "first_reply_time_median", "resolution_time_median"); ok {
		charts = append(charts, c)
	}
	if v.has("tickets") {
		values := v.trend("tickets", "all", "all")
		charts = append(charts, &barChart{
			title: v.tx.Metric("tickets"), sc: v.metricScale("tickets", maxAbs(values)), nf: v.nf, cats: v.ticks,
			series: []barSeries{{name: v.tx.Metric("tickets"), color: v.pal.seriesColor(0), values: values}},
			noData: v.nf.noData,
		})
	}
	if c, ok := v.trendPair("chart.retention_churn", "retention_rate", "churn_rate"); ok {
		charts = append(charts, c)
	}
	if len(charts) == 0 {
		return s
	}
	s.blocks = append([]block{note{v.trendNote()}}, rows(charts, gridChartH)...)
	return s
}

// trendNote says which periods the charts cover.
func (v *view) trendNote() string {
	first, last := v.periods[0], v.periods[len(v.periods)-1]
	return v.tx.Fill("report.trend_note", "n", strconv.Itoa(len(v.periods)),
		"first", v.periodName(first.start, first.end), "last", v.periodName(last.start, last.end))
}

// trendChart is the line of one metric over the trend periods.
func (v *view) trendChart(title, metric string) chart {
	values := v.trend(metric, "all", "all")
	return &lineChart{
		title: title, sc: v.metricScale(metric, maxAbs(values)), nf: v.nf, ticks: v.ticks,
		series: []lineSeries{{v.tx.Metric(metric), v.pal.seriesColor(0), values}},
		noData: v.nf.noData,
	}
}

// trendPair is the lines of two metrics of one unit on one chart; false
// when the table has neither.
func (v *view) trendPair(titleKey, a, b string) (chart, bool) {
	if !v.has(a) && !v.has(b) {
		return nil, false
	}
	va, vb := v.trend(a, "all", "all"), v.trend(b, "all", "all")
	unit := v.unit(a)
	if unit == "" {
		unit = v.unit(b)
	}
	return &lineChart{
		title: v.tx.Get(titleKey), sc: v.scaleFor(unit, maxAbs(va, vb)), nf: v.nf, ticks: v.ticks,
		series: []lineSeries{
			{v.tx.Or("chart.legend_"+a, v.tx.Metric(a)), v.pal.seriesColor(0), va},
			{v.tx.Or("chart.legend_"+b, v.tx.Metric(b)), v.pal.seriesColor(1), vb},
		},
		noData: v.nf.noData,
	}, true
}

// npsSection shows the split of NPS answers into detractors, passives
// and promoters: per period, and per channel in the report period.
func (v *view) npsSection() section {
	s := section{heading: v.tx.Get("report.section_nps"), newPage: true, empty: v.tx.Get("report.no_data_section")}
	if !v.has("nps_promoters") {
		return s
	}
	parts := v.npsParts()
	perPeriod := &barChart{
		title: v.tx.Get("chart.nps_split_periods"), stacked: true, inner: true,
		sc: scale{unit: "%", div: 1}, nf: v.nf, cats: v.ticks, fixed: []float64{0, 100}, noData: v.nf.noData,
	}
	for _, p := range parts {
		perPeriod.series = append(perPeriod.series, barSeries{name: p.name, color: p.color, values: v.trend(p.metric, "all", "all")})
	}
	for _, n := range v.trend("nps", "all", "all") {
		perPeriod.ends = append(perPeriod.ends, v.npsEnd(n))
	}
	s.blocks = []block{chartRow{[]chart{perPeriod}, wideChartH}}

	channels := v.channels()
	if len(channels) == 0 {
		return s
	}
	perChannel := &barChart{
		title:      v.tx.Fill("chart.nps_split_channels", "period", v.periodName(v.r.PeriodStart, v.r.PeriodEnd)),
		horizontal: true, stacked: true, inner: true,
		sc: scale{unit: "%", div: 1}, nf: v.nf, fixed: []float64{0, 100}, noData: v.nf.noData,
	}
	for _, ch := range channels {
		perChannel.cats = append(perChannel.cats, tick{top: v.channelName(ch)})
		perChannel.ends = append(perChannel.ends, v.npsEnd(v.current("nps", "channel", ch)))
	}
	for _, p := range parts {
		bs := barSeries{name: p.name, color: p.color}
		for _, ch := range channels {
			bs.values = append(bs.values, v.current(p.metric, "channel", ch))
		}
		perChannel.series = append(perChannel.series, bs)
	}
	s.blocks = append(s.blocks, chartRow{[]chart{perChannel}, wideChartH})
	return s
}

// npsPart is one group of NPS answers.
type npsPart struct {
	metric, name string
	color        rgb
}

// npsParts returns detractors, passives and promoters, in stacking order.
func (v *view) npsParts() []npsPart {
	return []npsPart{
		{"nps_detractors", v.tx.Get("chart.detractors"), v.pal.detractors},
		{"nps_passives", v.tx.Get("chart.passives"), v.pal.passives},
		{"nps_promoters", v.tx.Get("chart.promoters"), v.pal.promoters},
	}
}

// npsEnd is the text after a stack of NPS answers: the score, rounded.
func (v *view) npsEnd(n kpi.Num) string {
	if !valid(n) {
		return ""
	}
	return v.tx.Fill("chart.nps_score", "v", v.nf.fixed(n.V, 0, true))
}
