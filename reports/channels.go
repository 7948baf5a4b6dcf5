package reports

// channelMixSection shows where tickets come from (per period, and the
// shares of the report period) and the satisfaction metrics per channel.
func (v *view) channelMixSection() section {
	s := section{heading: v.tx.Get("report.section_channel_mix"), newPage: true, empty: v.tx.Get("report.empty_channels")}
	channels := v.channels()
	if len(channels) == 0 {
		return s
	}
	period := v.periodName(v.r.PeriodStart, v.r.PeriodEnd)
	if v.has("tickets") {
		mix := &barChart{
			title: v.tx.Get("chart.tickets_mix"), stacked: true,
			sc: v.metricScale("tickets", 0), nf: v.nf, cats: v.ticks, noData: v.nf.noData,
		}
		for i, ch := range channels {
			mix.series = append(mix.series, barSeries{name: v.channelName(ch), color: v.channelColor(i, ch),
				values: v.trend("tickets", "channel", ch)})
		}
		for _, n := range v.trend("tickets", "all", "all") {
			if valid(n) {
				mix.ends = append(mix.ends, v.nf.count(int64(n.V)))
			} else {
				mix.ends = append(mix.ends, "")
			}
		}
		s.blocks = append(s.blocks, chartRow{[]chart{mix}, 76})
	}
	var charts []chart
	if v.has("tickets") {
		c := v.channelChart(v.tx.Fill("chart.tickets_by_channel", "period", period), "tickets", channels)
		c.texts = [][]string{nil}
		for _, ch := range channels {
			text := v.nf.noData
			if n := v.current("tickets", "channel", ch); valid(n) {
				text = v.nf.count(int64(n.V))
				if sh := v.current("channel_share", "channel", ch); valid(sh) {
					text = v.tx.Fill("chart.count_share", "n", text, "share", v.nf.value(sh, "%"))
				}
			}
			c.texts[0] = append(c.texts[0], text)
		}
		charts = append(charts, c)
	}
	var notes []block
	for _, m := range []string{"csat", "nps", "ces"} {
		if !v.has(m) {
			continue
		}
		short := v.tx.Or("metric_short."+m, v.tx.Metric(m))
		if !v.anyChannel(m, channels) {
			// Every answer lacks a channel (surveys not linked to
			// tickets): a chart of empty bars would say nothing.
			if all := v.current(m, "all", "all"); valid(all) {
				notes = append(notes, note{v.tx.Fill("chart.no_channel", "metric", short, "value", v.nf.value(all, v.unit(m)))})
			}
			continue
		}
		charts = append(charts, v.channelChart(v.tx.Fill("chart.by_channel", "metric", short), m, channels))
	}
	s.blocks = append(s.blocks, rows(charts, 74)...)
	s.blocks = append(s.blocks, notes...)
	return s
}

// anyChannel reports whether the metric has a value in the report period
// for a channel other than "unknown".
func (v *view) anyChannel(metric string, channels []string) bool {
	for _, ch := range channels {
		if ch != "unknown" && valid(v.current(metric, "channel", ch)) {
			return true
		}
	}
	return false
}

// channelColor returns the colour of the i-th channel: a series colour,
// grey for "unknown".
func (v *view) channelColor(i int, ch string) rgb {
	if ch == "unknown" {
		return v.pal.passives
	}
	return v.pal.seriesColor(i)
}

// channelChart is a horizontal bar per channel of one metric in the
// report period.
func (v *view) channelChart(title, metric string, channels []string) *barChart {
	bs := barSeries{name: v.tx.Metric(metric), color: v.pal.seriesColor(0)}
	c := &barChart{title: title, horizontal: true, labels: true, nf: v.nf, noData: v.nf.noData}
	for _, ch := range channels {
		c.cats = append(c.cats, tick{top: v.channelName(ch)})
		bs.values = append(bs.values, v.current(metric, "channel", ch))
	}
	c.series = []barSeries{bs}
	c.sc = v.metricScale(metric, maxAbs(bs.values))
	return c
}

// timesSection shows the median and 90th percentile of the first reply
// and resolution times, for all channels and per channel.
func (v *view) timesSection() section {
	s := section{heading: v.tx.Get("report.section_times"), newPage: true, empty: v.tx.Get("report.no_data_section")}
	period := v.periodName(v.r.PeriodStart, v.r.PeriodEnd)
	for _, base := range []string{"first_reply_time", "resolution_time"} {
		if !v.has(base+"_median") && !v.has(base+"_p90") {
			continue
		}
		c := &barChart{
			title:      v.tx.Fill("chart."+base+"_by_channel", "period", period),
			horizontal: true, labels: true, nf: v.nf, noData: v.nf.noData,
		}
		keys := append([]string{"all"}, v.channels()...)
		for _, ch := range keys {
			name := v.channelName(ch)
			if ch == "all" {
				name = v.tx.Get("chart.all_channels")
			}
			c.cats = append(c.cats, tick{top: name})
		}
		for i, q := range []string{"_median", "_p90"} {
			bs := barSeries{name: v.tx.Get("chart.legend" + q), color: v.pal.seriesColor(i)}
			for _, ch := range keys {
				dim := "channel"
				if ch == "all" {
					dim = "all"
				}
				bs.values = append(bs.values, v.current(base+q, dim, ch))
			}
			c.series = append(c.series, bs)
		}
		c.sc = v.scaleFor("seconds", maxAbs(c.series[0].values, c.series[1].values))
		s.blocks = append(s.blocks, chartRow{[]chart{c}, 112})
	}
	return s
}
