package reports

import (
	"math"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// Charts are drawn with gofpdf's vector primitives in the report's own
// typeface: text stays text (searchable, sharp at any zoom, in every
// script the font covers) and the output is deterministic.

// Chart text sizes, in points.
const (
	chartTitleSize = 9.5
	chartTextSize  = 6.5
	chartSmallSize = 6.0
)

// chart is a figure drawn in a box.
type chart interface{ draw(d *doc, box rect) }

// chartRow is a block of charts side by side, of equal width.
type chartRow struct {
	charts []chart
	h      float64
}

const chartGap = 6.0 // between charts of a row

func (c chartRow) minHeight(*doc) float64 { return c.h + 4 }

func (c chartRow) draw(d *doc) {
	y := d.pdf.GetY()
	n := float64(len(c.charts))
	w := (contentW - (n-1)*chartGap) / n
	for i, ch := range c.charts {
		ch.draw(d, rect{margin + float64(i)*(w+chartGap), y, w, c.h})
	}
	d.pdf.SetXY(margin, y+c.h+4)
}

// scale maps the raw values of a KPI unit onto a chart axis: durations
// in seconds are shown in minutes, hours or days; the caption names what
// the axis counts.
type scale struct {
	unit    kpi.Unit // of the raw values
	div     float64  // raw / div is plotted
	caption string   // "" when the tick labels say it ("%")
	whole   bool     // data labels without decimals (large scores and money)
}

// metricScale returns the scale of a metric for values up to maxAbs,
// captioned with the metric's own axis name when the locale has one.
func (v *view) metricScale(metric string, maxAbs float64) scale {
	s := v.scaleFor(v.unit(metric), maxAbs)
	if s.caption != "" {
		s.caption = v.tx.Or("chart.axis_"+metric, s.caption)
	}
	return s
}

// scaleFor returns the scale of unit for values up to maxAbs (raw).
func (v *view) scaleFor(unit kpi.Unit, maxAbs float64) scale {
	s := scale{unit: unit, div: 1}
	switch unit {
	case kpi.UnitSeconds:
		switch {
		case maxAbs < 120:
			s.caption = v.tx.Get("chart.axis_seconds")
		case maxAbs < 2*3600:
			s.div, s.caption = 60, v.tx.Get("chart.axis_minutes")
		case maxAbs < 72*3600:
			s.div, s.caption = 3600, v.tx.Get("chart.axis_hours")
		default:
			s.div, s.caption = 86400, v.tx.Get("chart.axis_days")
		}
	case kpi.UnitPercent:
	case kpi.UnitPoints, kpi.UnitScore, kpi.UnitCount, kpi.UnitCurrency:
		s.caption = v.tx.Get("chart.axis_" + string(unit))
		s.whole = maxAbs >= 100
		if unit == kpi.UnitCurrency && v.nf.symbol != "" {
			s.caption += " (" + v.nf.symbol + ")" // the axis of amounts names their currency
		}
	default:
		s.caption = string(unit)
	}
	return s
}

// maxAbs returns the largest magnitude among the valid values, 0 if none.
func maxAbs(values ...[]kpi.Num) float64 {
	m := 0.0
	for _, vs := range values {
		for _, n := range vs {
			if valid(n) {
				m = max(m, math.Abs(n.V))
			}
		}
	}
	return m
}

// valid reports whether n is a finite value.
func valid(n kpi.Num) bool { return n.Valid && !math.IsNaN(n.V) && !math.IsInf(n.V, 0) }

// tickText formats an axis value (already divided) with dec decimals.
func (s scale) tickText(nf numbers, v float64, dec int) string {
	t := nf.fixed(v, dec, false)
	if s.unit == kpi.UnitPercent {
		return fill(nf.percent, "v", t)
	}
	return t
}

// label formats a raw value for a data label: as the tables do, but
// without decimals on a scale of large numbers.
func (s scale) label(nf numbers, v float64) string {
	if s.whole && s.unit != kpi.UnitPercent && s.unit != kpi.UnitSeconds {
		return nf.fixed(v, 0, false)
	}
	return nf.value(kpi.Some(v), s.unit)
}

// axis is a value axis with round ticks from lo to hi.
type axis struct {
	lo, hi float64
	ticks  []float64
	dec    int // decimals of the tick labels
}

// niceAxis returns an axis covering lo..hi in at most n intervals of a
// round step (1, 2, 2.5 or 5 × 10^k), the smallest such step.
func niceAxis(lo, hi float64, n int) axis {
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi == lo {
		pad := math.Max(math.Abs(lo)*0.1, 1)
		lo, hi = lo-pad, hi+pad
	}
	n = max(n, 1)
	mag := math.Pow10(int(math.Floor(math.Log10((hi - lo) / float64(n)))))
	var step, first, last float64
	for _, m := range []float64{1, 2, 2.5, 5, 10, 20} {
		step = m * mag
		first, last = math.Floor(lo/step+1e-9), math.Ceil(hi/step-1e-9)
		if last-first <= float64(n) {
			break
		}
	}
	// k × step, computed so that 24 × 0.2 is 4.8 and not 4.800000000000001.
	at := func(k float64) float64 {
		if mag < 1 {
			return k * (step / mag) / math.Round(1/mag)
		}
		return k * step
	}
	a := axis{lo: at(first), hi: at(last)}
	for k := first; k <= last; k++ {
		a.ticks = append(a.ticks, at(k))
	}
	a.dec = max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	if r := step * math.Pow10(a.dec); math.Abs(r-math.Round(r)) > 1e-9 {
		a.dec++ // 2.5 × 10^k
	}
	return a
}

// clamp limits the axis to lo..hi, dropping the ticks outside (a
// percentage axis never passes 0 or 100).
func (a axis) clamp(lo, hi float64) axis {
	a.lo, a.hi = max(a.lo, lo), min(a.hi, hi)
	var ticks []float64
	for _, t := range a.ticks {
		if t >= a.lo-1e-9 && t <= a.hi+1e-9 {
			ticks = append(ticks, t)
		}
	}
	a.ticks = ticks
	return a
}

// at returns the position of v on a segment of length l.
func (a axis) at(v, l float64) float64 {
	if a.hi == a.lo {
		return 0
	}
	return (v - a.lo) / (a.hi - a.lo) * l
}

// legendItem is one entry of a chart legend.
type legendItem struct {
	name  string
	color rgb
}

// chartTop writes the title and legend of a chart at the top of box and
// returns the box left for the plot.
func (d *doc) chartTop(box rect, title string, legend []legendItem) rect {
	d.fit(title, "B", chartTitleSize, 7.5, box.w)
	d.setText(d.pal.ink)
	d.cell(box.x, box.y, box.w, 5, d.clip(title, box.w), "L")
	y := box.y + 6
	if len(legend) > 0 {
		y += d.legend(box.x, y, box.w, legend) + 1
	}
	return rect{box.x, y, box.w, box.y + box.h - y}
}

// legend writes swatches and names from (x, y), wrapping within w, and
// returns the height used.
func (d *doc) legend(x, y, w float64, items []legendItem) float64 {
	const h, sw = 3.6, 2.6
	d.setFont("", chartTextSize)
	cx, cy := x, y
	for _, it := range items {
		iw := sw + 1.2 + d.width(it.name) + 3.5
		if cx > x && cx+iw > x+w {
			cx, cy = x, cy+h
		}
		d.setFill(it.color)
		d.pdf.Rect(cx, cy+(h-sw)/2, sw, sw, "F")
		d.setText(d.pal.muted)
		d.cell(cx+sw+1.2, cy, iw, h, it.name, "L")
		cx += iw
	}
	return cy + h - y
}

// noDataBox writes the chart's "no data" in the middle of a plot box.
func (d *doc) noDataBox(p rect, text string) {
	d.setDraw(d.pal.grid)
	d.pdf.SetLineWidth(0.2)
	d.pdf.Rect(p.x, p.y, p.w, p.h, "D")
	d.setFont("", 8)
	d.setText(d.pal.faint)
	d.cell(p.x, p.y, p.w, p.h, text, "C")
	d.setText(d.pal.ink)
}

// vtext writes s rotated a quarter turn anticlockwise, reading upwards
// from (x, y).
func (d *doc) vtext(x, y float64, s string) {
	d.pdf.TransformBegin()
	d.pdf.TransformRotate(90, x, y)
	d.pdf.Text(x, y, d.tr(s))
	d.pdf.TransformEnd()
}

// valueTicks writes horizontal grid lines and their labels left of the
// plot p for a vertical value axis; it returns nothing and draws the
// zero line darker when it is inside the axis.
func (d *doc) valueTicks(p rect, a axis, sc scale, nf numbers) {
	d.pdf.SetLineWidth(0.15)
	d.setFont("", chartTextSize)
	for _, t := range a.ticks {
		y := p.y + p.h - a.at(t, p.h)
		d.setDraw(d.pal.grid)
		if t == 0 && a.lo < 0 {
			d.setDraw(d.pal.axis)
		}
		d.pdf.Line(p.x, y, p.x+p.w, y)
		d.setText(d.pal.muted)
		d.cell(p.x-31.5, y-1.5, 30, 3, sc.tickText(nf, t, a.dec), "R")
	}
	d.setText(d.pal.ink)
}

// tickWidth returns the width of the widest tick label of a.
func (d *doc) tickWidth(a axis, sc scale, nf numbers) float64 {
	d.setFont("", chartTextSize)
	w := 0.0
	for _, t := range a.ticks {
		w = max(w, d.width(sc.tickText(nf, t, a.dec)))
	}
	return w
}

// categoryTicks writes the labels of n equal slots along the bottom of
// p, skipping labels when they would collide, and returns their height.
func (d *doc) categoryTicks(p rect, ticks []tick) {
	if len(ticks) == 0 {
		return
	}
	slot := p.w / float64(len(ticks))
	d.setFont("", chartTextSize)
	widest := 0.0
	for _, t := range ticks {
		widest = max(widest, d.width(t.top))
	}
	every := max(1, int(math.Ceil((widest+1)/slot)))
	for i, t := range ticks {
		cx := p.x + (float64(i)+0.5)*slot
		if (len(ticks)-1-i)%every == 0 { // keep the report period's label
			d.setFont("", chartTextSize)
			d.setText(d.pal.muted)
			d.cell(cx-slot*float64(every)/2, p.y+p.h+0.8, slot*float64(every), 3, t.top, "C")
		}
		if t.bottom != "" {
			d.fit(t.bottom, "B", chartSmallSize, 4.5, max(slot-0.5, 10))
			d.setText(d.pal.muted)
			d.cell(cx-slot/2-5, p.y+p.h+3.8, slot+10, 3, t.bottom, "C")
		}
	}
	d.setText(d.pal.ink)
}

// tiers returns the height of the category labels under a plot.
func tiers(ticks []tick) float64 {
	for _, t := range ticks {
		if t.bottom != "" {
			return 7.2
		}
	}
	return 4.2
}
