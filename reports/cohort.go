package reports

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/cxkpi/cxkpi/pipeline/cohort"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// The retention heatmap shows at most this many cohorts (the latest) and
// period indices (from 0).
const (
	maxCohorts      = 12
	maxCohortPeriod = 12
)

// heatmap is the retention of cohorts (rows) by periods since their
// acquisition (columns), coloured on one scale from 0 to 100 %.
type heatmap struct {
	title         string
	cohortHeader  string
	sizeHeader    string
	indexCaption  string
	labels, sizes []string    // per cohort
	cells         [][]kpi.Num // per cohort, per period index; nil past the observed periods
	observed      []int       // per cohort, the number of periods with a row
	noDataLegend  string
	nf            numbers
}

// Heatmap layout, in millimetres.
const (
	heatRowH   = 6.4
	heatHeadH  = 11.0 // title, caption and column numbers
	heatLegend = 9.0
)

// cohortSection shows the retention of the latest cohorts as a heatmap,
// or says there is no cohort data.
func (v *view) cohortSection(rows []cohort.Row) section {
	s := section{heading: v.tx.Get("report.section_cohorts"), newPage: true, empty: v.tx.Get("report.empty_cohorts")}
	type key struct{ start, end int64 }
	var cohorts []key
	byCohort := map[key][]cohort.Row{}
	for _, r := range rows {
		k := key{r.CohortStart.UnixNano(), r.CohortEnd.UnixNano()}
		if _, ok := byCohort[k]; !ok {
			cohorts = append(cohorts, k)
		}
		byCohort[k] = append(byCohort[k], r)
	}
	if len(cohorts) == 0 {
		return s
	}
	slices.SortFunc(cohorts, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end))
	})
	total := len(cohorts)
	cohorts = cohorts[max(0, total-maxCohorts):]
	heat := func(title string, value func(cohort.Row) cohort.Num) *heatmap {
		h := &heatmap{
			title:        title,
			cohortHeader: v.tx.Get("cohort.cohort"),
			sizeHeader:   v.tx.Get("cohort.customers"),
			indexCaption: v.tx.Get("cohort.periods_since"),
			noDataLegend: v.nf.noData,
			nf:           v.nf,
		}
		for _, k := range cohorts {
			rs := byCohort[k]
			first := rs[0]
			h.labels = append(h.labels, v.periodName(first.CohortStart, first.CohortEnd))
			h.sizes = append(h.sizes, v.nf.count(first.Customers))
			cells := make([]kpi.Num, maxCohortPeriod)
			seen := 0
			for _, r := range rs {
				if r.PeriodIndex < 0 || r.PeriodIndex >= maxCohortPeriod {
					continue
				}
				n := value(r)
				cells[r.PeriodIndex] = kpi.Num{V: n.V, Valid: n.Valid}
				seen = max(seen, int(r.PeriodIndex)+1)
			}
			h.cells = append(h.cells, cells)
			h.observed = append(h.observed, seen)
		}
		return h
	}
	s.blocks = []block{heat(v.tx.Get("cohort.title"), func(r cohort.Row) cohort.Num { return r.RetentionPct })}
	if total > len(cohorts) {
		s.blocks = append(s.blocks, note{v.tx.Fill("cohort.latest", "n", strconv.Itoa(len(cohorts)), "total", strconv.Itoa(total))})
	}
	s.blocks = append(s.blocks,
		heat(v.tx.Get("cohort.revenue_title"), func(r cohort.Row) cohort.Num { return r.NetRevenueRetentionPct }),
		note{v.tx.Get("cohort.revenue_note")})
	return s
}

// columns returns the number of period indices shown.
func (h *heatmap) columns() int {
	n := 1
	for _, o := range h.observed {
		n = max(n, o)
	}
	return n
}

func (h *heatmap) minHeight(*doc) float64 {
	return heatHeadH + float64(len(h.labels)+1)*heatRowH + heatLegend + 4
}

func (h *heatmap) draw(d *doc) {
	pdf := d.pdf
	y := pdf.GetY()
	d.chartTop(rect{margin, y, contentW, 6}, h.title, nil)
	y += 6

	// Columns: cohort, customers, one per period index.
	labelW, sizeW := 24.0, 18.0
	cols := h.columns()
	cellW := min((contentW-labelW-sizeW)/float64(cols), 16)
	x0 := margin + labelW + sizeW
	d.setFont("", chartSmallSize)
	d.setText(d.pal.muted)
	d.cell(x0, y, cellW*float64(cols), 3.5, h.indexCaption, "C")
	y += 4.5
	d.setFont("B", 7)
	d.setText(d.pal.ink)
	d.cell(margin, y, labelW, heatRowH, h.cohortHeader, "L")
	d.cell(margin+labelW, y, sizeW-2, heatRowH, h.sizeHeader, "R")
	for j := range cols {
		d.cell(x0+float64(j)*cellW, y, cellW, heatRowH, strconv.Itoa(j), "C")
	}
	y += heatRowH

	for i, label := range h.labels {
		d.setFont("", 7)
		d.setText(d.pal.ink)
		d.cell(margin, y, labelW, heatRowH, label, "L")
		d.setText(d.pal.muted)
		d.cell(margin+labelW, y, sizeW-2, heatRowH, h.sizes[i], "R")
		for j := range min(h.observed[i], cols) {
			x := x0 + float64(j)*cellW
			n := h.cells[i][j]
			if !valid(n) {
				d.noDataCell(x, y, cellW, heatRowH)
				continue
			}
			fillc := mix(d.pal.heatLow, d.pal.heatHigh, min(max(n.V, 0), 100)/100) // revenue retention may pass 100
			d.setFill(fillc)
			pdf.Rect(x+0.2, y+0.2, cellW-0.4, heatRowH-0.4, "F")
			d.setFont("", chartSmallSize)
			d.setText(contrast(fillc, d.pal))
			d.cell(x, y, cellW, heatRowH, fill(h.nf.percent, "v", h.nf.fixed(n.V, 0, false)), "C")
		}
		y += heatRowH
	}

	// Legend: the colour scale, and the cell of a cohort without data.
	y += 2.5
	const steps = 20
	lw := 50.0
	for k := range steps {
		d.setFill(mix(d.pal.heatLow, d.pal.heatHigh, float64(k)/(steps-1)))
		pdf.Rect(x0+lw*float64(k)/steps, y, lw/steps+0.05, 2.8, "F")
	}
	d.setFont("", chartSmallSize)
	d.setText(d.pal.muted)
	for _, p := range []float64{0, 50, 100} {
		d.cell(x0+lw*p/100-6, y+3, 12, 3, fill(h.nf.percent, "v", h.nf.fixed(p, 0, false)), "C")
	}
	d.noDataCell(x0+lw+8, y-0.6, 6, 4)
	d.setFont("", chartSmallSize)
	d.setText(d.pal.muted)
	d.cell(x0+lw+15, y-0.6, 40, 4, h.noDataLegend, "L")
	d.setText(d.pal.ink)
	pdf.SetXY(margin, y+heatLegend)
}

// noDataCell draws a grey, diagonally struck cell: a value with no data.
func (d *doc) noDataCell(x, y, w, h float64) {
	d.setFill(d.pal.panel)
	d.pdf.Rect(x+0.2, y+0.2, w-0.4, h-0.4, "F")
	d.setDraw(d.pal.rule)
	d.pdf.SetLineWidth(0.2)
	d.pdf.Line(x+0.6, y+h-0.6, x+w-0.6, y+0.6)
}
