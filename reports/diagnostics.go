package reports

import (
	"strconv"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// CLVDiagnostics are the checks of the purchase model behind the CLV
// page, fitted on a calibration period and compared with what the
// customers did: the three figures of Fader, Hardie and Lee.
type CLVDiagnostics struct {
	Model string // "bgnbd", "mbgnbd", "pareto_nbd"
	// Start, CalibrationEnd and End are the first purchase day, the last
	// calibration day and the last observed day (midnights).
	Start, CalibrationEnd, End time.Time
	// HoldoutActual and HoldoutPredicted are the cohort's repeat purchases
	// in the holdout period, made and expected.
	HoldoutActual, HoldoutPredicted float64
	// Holdout are the mean holdout purchases per customer by calibration
	// frequency (the last bucket is "or more"); empty without a holdout.
	Holdout []DiagnosticBar
	// Tracking are the cohort's repeat purchases week by week.
	Tracking []TrackingPoint
	// Histogram are the customers by calibration frequency.
	Histogram []DiagnosticBar
}

// DiagnosticBar is one category of a diagnostic chart: its label, the
// customers in it, and the actual and expected values.
type DiagnosticBar struct {
	Label             string
	Customers         int64
	Actual, Predicted float64
}

// TrackingPoint is one week of repeat purchases, made and expected.
type TrackingPoint struct {
	Start             time.Time
	Actual, Predicted float64
}

// CLVIntervals say how uncertain the predictions are: the method, the
// level and the draws of the intervals, and the totals with theirs.
type CLVIntervals struct {
	Method         string   `json:"method"`
	Level          float64  `json:"level"`
	Draws          int      `json:"draws"`
	Seed           uint64   `json:"seed"`
	TotalPurchases Interval `json:"total_expected_purchases"`
	TotalCLV       Interval `json:"total_clv"`
}

// Interval is an estimate and the ends of its interval.
type Interval struct {
	Estimate float64 `json:"estimate"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
}

// diagnosticsSection shows the purchase model's checks: holdout purchases
// by calibration frequency and the histogram of calibration frequencies
// side by side, and the cumulative tracking of repeat purchases under
// them.
func (v *view) diagnosticsSection(d *CLVDiagnostics) section {
	s := section{heading: v.tx.Get("report.section_diagnostics"), newPage: true, empty: v.tx.Get("report.empty_diagnostics")}
	if d == nil || len(d.Histogram) == 0 {
		return s
	}
	layout := v.tx.Get("format.date")
	model := modelName(d.Model)
	intro := "diag.intro"
	if !d.End.After(d.CalibrationEnd) {
		intro = "diag.intro_in_sample"
	}
	s.blocks = append(s.blocks, note{v.tx.Fill(intro, "model", model,
		"start", d.Start.In(v.loc).Format(layout), "cal_end", d.CalibrationEnd.In(v.loc).Format(layout), "end", d.End.In(v.loc).Format(layout))})
	actual, predicted := v.pal.seriesColor(0), v.pal.seriesColor(1)
	legend := []legendItem{{v.tx.Get("diag.actual"), actual}, {v.tx.Fill("diag.model", "model", model), predicted}}
	bars := func(title, caption string, rows []DiagnosticBar, withCustomers bool) chart {
		a := barSeries{name: legend[0].name, color: actual}
		p := barSeries{name: legend[1].name, color: predicted}
		var cats []tick
		for _, r := range rows {
			a.values = append(a.values, kpi.Some(r.Actual))
			p.values = append(p.values, kpi.Some(r.Predicted))
			t := tick{top: r.Label}
			if withCustomers {
				t.bottom = v.nf.count(r.Customers)
			}
			cats = append(cats, t)
		}
		return &barChart{
			title: title, nf: v.nf, cats: cats, series: []barSeries{a, p}, legend: legend, noData: v.nf.noData,
			sc: scale{unit: kpi.UnitCount, div: 1, caption: caption},
		}
	}
	var row []chart
	if len(d.Holdout) > 0 {
		row = append(row, bars(v.tx.Get("diag.holdout_title"), v.tx.Get("diag.holdout_axis"), d.Holdout, true))
	}
	row = append(row, bars(v.tx.Get("diag.histogram_title"), v.tx.Get("diag.histogram_axis"), d.Histogram, false))
	s.blocks = append(s.blocks, chartRow{row, 78})
	if len(d.Holdout) > 0 {
		s.blocks = append(s.blocks, note{v.tx.Fill("diag.holdout_note",
			"actual", v.nf.count(int64(d.HoldoutActual+0.5)), "predicted", v.nf.count(int64(d.HoldoutPredicted+0.5)))})
	}
	if len(d.Tracking) > 0 {
		a := lineSeries{name: legend[0].name, color: actual}
		p := lineSeries{name: legend[1].name, color: predicted}
		var cumA, cumP float64
		c := &lineChart{title: v.tx.Get("diag.tracking_title"), nf: v.nf, noData: v.nf.noData,
			sc: scale{unit: kpi.UnitCount, div: 1, caption: v.tx.Get("diag.tracking_axis"), whole: true}}
		for i, w := range d.Tracking {
			cumA += w.Actual
			cumP += w.Predicted
			a.values = append(a.values, kpi.Some(cumA))
			p.values = append(p.values, kpi.Some(cumP))
			c.ticks = append(c.ticks, tick{top: fill(v.tx.Get("axis.week"), "week", strconv.Itoa(i+1))})
			if !w.Start.After(d.CalibrationEnd) {
				c.mark = i
			}
		}
		if d.End.After(d.CalibrationEnd) {
			c.markLabel = v.tx.Get("diag.calibration_end")
		}
		c.series = []lineSeries{a, p}
		s.blocks = append(s.blocks, chartRow{[]chart{c}, 78})
	}
	return s
}

// intervalText says how wide the intervals of the totals are.
func (v *view) intervalText(iv *CLVIntervals) string {
	money := func(x float64) string { return v.nf.value(kpi.Some(x), "currency") }
	num := func(x float64) string { return v.nf.fixed(x, 0, false) }
	method := v.tx.Get("clv.method_delta")
	if iv.Method == "parametric_bootstrap" {
		method = v.tx.Fill("clv.method_bootstrap", "draws", v.nf.count(int64(iv.Draws)))
	}
	return v.tx.Fill("clv.intervals",
		"level", fill(v.nf.percent, "v", v.nf.fixed(iv.Level*100, 0, false)), "method", method,
		"clv_low", money(iv.TotalCLV.Low), "clv_high", money(iv.TotalCLV.High),
		"purchases", num(iv.TotalPurchases.Estimate), "purchases_low", num(iv.TotalPurchases.Low), "purchases_high", num(iv.TotalPurchases.High))
}
