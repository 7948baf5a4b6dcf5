package reports

import (
	"cmp"
	"slices"
	"strings"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// maxAtRisk is the number of customers at risk listed.
const maxAtRisk = 15

// clvSection shows the mean lifetime value per segment, segments at risk
// highlighted, and the most valuable customers at risk; it says there is
// no data when it has neither.
func (v *view) clvSection(segs []CLVSegment, risk []AtRiskCustomer) section {
	s := section{heading: v.tx.Get("report.section_clv"), newPage: true, empty: v.tx.Get("report.empty_clv")}
	if len(segs) == 0 && len(risk) == 0 {
		return s
	}
	if len(segs) > 0 {
		s.blocks = append(s.blocks, chartRow{[]chart{v.clvChart(segs)}, 70})
		var customers int64
		var total float64
		for _, sg := range segs {
			customers += sg.Customers
			total += sg.TotalCLV
		}
		s.blocks = append(s.blocks, note{v.tx.Fill("clv.totals",
			"customers", v.nf.count(customers), "total", v.nf.value(kpi.Some(total), "currency"))})
	}
	// The executive summary's basic CLV is another figure: say how the two
	// differ, side by side, with the period's value of the basic one.
	if basic := v.current("clv_basic", "all", "all"); valid(basic) {
		s.blocks = append(s.blocks, note{v.tx.Fill("clv.vs_basic", "basic", v.nf.value(basic, "currency"),
			"label", v.tx.Metric("clv_basic"))})
	}
	if b := v.r.CLVBasis; b != nil {
		s.blocks = append(s.blocks, note{v.basisText(b)})
		if b.Intervals != nil {
			s.blocks = append(s.blocks, note{v.intervalText(b.Intervals)})
		}
	}
	s.blocks = append(s.blocks, subheading{v.tx.Get("clv.at_risk_heading")})
	if len(risk) == 0 {
		return withBlock(s, note{v.tx.Get("clv.no_at_risk")})
	}
	s.blocks = append(s.blocks, note{v.tx.Get("clv.at_risk_note")})
	list := slices.Clone(risk)
	slices.SortStableFunc(list, func(a, b AtRiskCustomer) int {
		return cmp.Or(cmp.Compare(b.CLV, a.CLV), cmp.Compare(a.ID, b.ID))
	})
	t := &table{
		cols:   []column{{3, false}, {2, true}, {2, true}},
		header: []string{v.tx.Get("clv.customer"), v.tx.Get("clv.clv"), v.tx.Get("clv.p_alive")},
	}
	for _, c := range list[:min(len(list), maxAtRisk)] {
		t.rows = append(t.rows, []string{c.ID, v.nf.value(kpi.Some(c.CLV), "currency"), v.nf.value(kpi.Some(c.PAlive*100), "%")})
	}
	if more := len(list) - maxAtRisk; more > 0 {
		t.footer = v.tx.Fill("clv.more", "n", v.nf.count(int64(more)))
	}
	return withBlock(s, t)
}

// basisText says what the lifetime values rest on: horizon, discount
// rate, and the margin of the orders without cost.
func (v *view) basisText(b *CLVBasis) string {
	pct := func(r float64) string { return v.nf.value(kpi.Some(r*100), "%") }
	text := v.tx.Fill("clv.basis", "months", v.nf.count(int64(b.HorizonMonths)), "rate", pct(b.AnnualDiscountRate))
	switch {
	case b.UncostedOrders == 0:
		text += " " + v.tx.Get("clv.margin_all_costed")
	case b.MarginDerived:
		text += " " + v.tx.Fill("clv.margin_derived", "n", v.nf.count(b.UncostedOrders), "orders", v.nf.count(b.Orders), "margin", pct(b.UncostedMargin))
	default:
		text += " " + v.tx.Fill("clv.margin_configured", "n", v.nf.count(b.UncostedOrders), "orders", v.nf.count(b.Orders), "margin", pct(b.UncostedMargin))
	}
	switch {
	case b.PurchaseModel == "":
	case len(b.Models) < 2:
		text += " " + v.tx.Fill("clv.model_only", "model", modelName(b.PurchaseModel))
	default:
		scores := make([]string, len(b.Models))
		for i, m := range b.Models {
			scores[i] = modelName(m.Name) + " " + v.nf.fixed(m.BIC, 1, false)
		}
		text += " " + v.tx.Fill("clv.model_choice", "model", modelName(b.PurchaseModel), "scores", strings.Join(scores, ", "))
	}
	return text
}

// modelName is how a purchase model is written: its name in the
// literature, the same in every language.
func modelName(id string) string {
	switch id {
	case "bgnbd":
		return "BG/NBD"
	case "mbgnbd":
		return "MBG/NBD"
	case "pareto_nbd":
		return "Pareto/NBD"
	}
	return id
}

func withBlock(s section, b block) section {
	s.blocks = append(s.blocks, b)
	return s
}

// clvChart is a bar per segment of its mean lifetime value, with the
// customers of the segment under its name.
func (v *view) clvChart(segs []CLVSegment) chart {
	base := v.pal.seriesColor(0)
	bs := barSeries{name: v.tx.Get("clv.mean"), color: base}
	var cats []tick
	atRisk := false
	for _, sg := range segs {
		bs.values = append(bs.values, kpi.Some(sg.MeanCLV))
		col := base
		if sg.AtRisk {
			col, atRisk = v.pal.atRisk, true
		}
		bs.colors = append(bs.colors, col)
		cats = append(cats, tick{top: sg.Label, bottom: v.tx.Fill("clv.customers_short", "n", v.nf.count(sg.Customers))})
	}
	legend := []legendItem{{v.tx.Get("clv.mean"), base}}
	if atRisk {
		legend = append(legend, legendItem{v.tx.Get("clv.at_risk_segment"), v.pal.atRisk})
	}
	return &barChart{
		title: v.tx.Get("clv.chart_title"), labels: true, nf: v.nf, cats: cats,
		series: []barSeries{bs}, legend: legend, noData: v.nf.noData,
		sc: v.scaleFor("currency", maxAbs(bs.values)),
	}
}
