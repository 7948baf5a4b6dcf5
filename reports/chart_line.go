package reports

import (
	"math"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// lineChart plots series over the trend periods. A missing value breaks
// the line; the last value of each series is labelled.
type lineChart struct {
	title  string
	sc     scale
	nf     numbers
	ticks  []tick
	series []lineSeries
	noData string
	// markLabel, when set, labels a dashed vertical line after the
	// period mark (the end of a calibration period).
	mark      int
	markLabel string
}

// lineSeries is one line of a chart: raw values, one per period.
type lineSeries struct {
	name   string
	color  rgb
	values []kpi.Num
}

// axis returns the value axis of the chart and whether it has any data.
func (c *lineChart) axis() (axis, bool) {
	lo, hi, any := math.Inf(1), math.Inf(-1), false
	for _, s := range c.series {
		for _, n := range s.values {
			if valid(n) {
				v := n.V / c.sc.div
				lo, hi, any = min(lo, v), max(hi, v), true
			}
		}
	}
	if !any {
		return axis{}, false
	}
	pad := (hi - lo) * 0.08
	a := niceAxis(lo-pad, hi+pad, 5)
	if c.sc.unit == "%" {
		a = a.clamp(0, 100)
	}
	if lo >= 0 && a.lo < 0 {
		a = a.clamp(0, math.Inf(1)) // no negative ticks for values that cannot be
	}
	return a, true
}

func (c *lineChart) draw(d *doc, box rect) {
	var legend []legendItem
	if len(c.series) > 1 {
		for _, s := range c.series {
			legend = append(legend, legendItem{s.name, s.color})
		}
	}
	area := d.chartTop(box, c.title, legend)
	a, ok := c.axis()
	if !ok {
		d.noDataBox(area, c.noData)
		return
	}
	capH := 0.0
	if c.sc.caption != "" {
		capH = 3.5
		d.setFont("", chartSmallSize)
		d.setText(d.pal.muted)
		d.cell(area.x, area.y, area.w, 3, c.sc.caption, "L")
	}
	left := d.tickWidth(a, c.sc, c.nf) + 2
	// The last value of each series is written right of its point, so
	// the plot leaves room for the widest.
	d.setFont("B", chartTextSize)
	right := 1.0
	lasts := make([]int, len(c.series))
	for si, s := range c.series {
		lasts[si] = -1
		for i, n := range s.values {
			if valid(n) {
				lasts[si] = i
			}
		}
		if lasts[si] >= 0 {
			right = max(right, d.width(c.sc.label(c.nf, s.values[lasts[si]].V))+2.5)
		}
	}
	p := rect{area.x + left, area.y + capH + 1.5, area.w - left - right, area.h - capH - 1.5 - tiers(c.ticks)}
	d.valueTicks(p, a, c.sc, c.nf)
	d.setDraw(d.pal.axis)
	d.pdf.SetLineWidth(0.25)
	d.pdf.Line(p.x, p.y+p.h, p.x+p.w, p.y+p.h)
	d.categoryTicks(p, c.ticks)

	slot := p.w / float64(max(len(c.ticks), 1))
	px := func(i int) float64 { return p.x + (float64(i)+0.5)*slot }
	py := func(v float64) float64 { return p.y + p.h - a.at(v/c.sc.div, p.h) }
	if c.markLabel != "" {
		x := px(c.mark) + slot/2
		d.setDraw(d.pal.muted)
		d.pdf.SetLineWidth(0.25)
		d.pdf.SetDashPattern([]float64{1, 1}, 0)
		d.pdf.Line(x, p.y, x, p.y+p.h)
		d.pdf.SetDashPattern([]float64{}, 0)
		d.setFont("", chartSmallSize)
		d.setText(d.pal.muted)
		d.cell(x-41, p.y, 40, 3, c.markLabel, "R")
	}
	for _, s := range c.series {
		d.setDraw(s.color)
		d.setFill(s.color)
		d.pdf.SetLineWidth(0.55)
		for i := 1; i < len(s.values); i++ {
			if valid(s.values[i-1]) && valid(s.values[i]) {
				d.pdf.Line(px(i-1), py(s.values[i-1].V), px(i), py(s.values[i].V))
			}
		}
		for i, n := range s.values {
			if valid(n) {
				d.pdf.Circle(px(i), py(n.V), 0.6, "F")
			}
		}
	}
	// Last-value labels, moved apart vertically where they would touch.
	ys := make([]float64, len(c.series))
	for si, s := range c.series {
		if lasts[si] >= 0 {
			ys[si] = py(s.values[lasts[si]].V)
		}
	}
	const gap = 3.0
	for si := range c.series {
		for sj := range si {
			if lasts[si] < 0 || lasts[sj] < 0 || math.Abs(ys[si]-ys[sj]) >= gap {
				continue
			}
			mid := (ys[si] + ys[sj]) / 2
			if ys[si] < ys[sj] || (ys[si] == ys[sj] && si < sj) {
				ys[si], ys[sj] = mid-gap/2, mid+gap/2
			} else {
				ys[si], ys[sj] = mid+gap/2, mid-gap/2
			}
		}
	}
	d.setFont("B", chartTextSize)
	for si, s := range c.series {
		if lasts[si] < 0 {
			continue
		}
		d.setText(s.color)
		d.cell(px(lasts[si])+1.5, ys[si]-1.5, right, 3, c.sc.label(c.nf, s.values[lasts[si]].V), "L")
	}
	d.setText(d.pal.ink)
}
