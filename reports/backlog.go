package reports

import "github.com/cxkpi/cxkpi/pipeline/kpi"

// backlogBuckets are the age buckets of the open backlog, youngest first.
var backlogBuckets = []string{
	"backlog_age_lt_1d", "backlog_age_1d_3d", "backlog_age_3d_7d", "backlog_age_7d_30d", "backlog_age_gt_30d",
}

// backlogSection shows the open backlog at each period end, the tickets
// created and solved per period, and the report period's backlog by age.
func (v *view) backlogSection() section {
	s := section{heading: v.tx.Get("report.section_backlog"), newPage: true, empty: v.tx.Get("report.no_data_section")}
	if !v.has("backlog") {
		return s
	}
	values := v.trend("backlog", "all", "all")
	charts := []chart{&barChart{
		title: v.tx.Get("chart.backlog_trend"), sc: v.metricScale("backlog", maxAbs(values)), nf: v.nf, cats: v.ticks,
		series: []barSeries{{name: v.tx.Metric("backlog"), color: v.pal.seriesColor(0), values: values}},
		noData: v.nf.noData,
	}}
	if c, ok := v.trendPair("chart.created_solved", "tickets", "tickets_solved"); ok {
		charts = append(charts, c)
	}
	s.blocks = append([]block{note{v.trendNote()}}, rows(charts, gridChartH)...)

	total := v.current("backlog", "all", "all")
	t := &table{
		cols: []column{{5, false}, {2, true}, {2, true}},
		header: []string{
			v.tx.Fill("backlog.age_column", "period", v.periodName(v.r.PeriodStart, v.r.PeriodEnd)),
			v.tx.Get("column.value"), v.tx.Get("backlog.share_column"),
		},
		footer: v.tx.Get("backlog.snapshot_note"),
	}
	for _, m := range backlogBuckets {
		n := v.current(m, "all", "all")
		if !valid(n) {
			n = kpi.Some(0) // a bucket the backlog holds no ticket of
		}
		share := kpi.Num{}
		if valid(total) && total.V > 0 {
			share = kpi.Some(n.V / total.V * 100)
		}
		t.rows = append(t.rows, []string{v.tx.Metric(m), v.nf.value(n, kpi.UnitCount), v.nf.value(share, kpi.UnitPercent)})
	}
	if valid(total) {
		s.blocks = append(s.blocks, t)
	}
	return s
}
