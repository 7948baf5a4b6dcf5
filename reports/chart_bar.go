package reports

import (
	"math"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// barChart draws bars for categories (periods, channels, segments),
// vertical or horizontal, the series side by side or stacked. A missing
// value has no bar and says "no data" where its bar would be.
type barChart struct {
	title      string
	horizontal bool // categories down the left, values across
	stacked    bool
	sc         scale
	nf         numbers
	cats       []tick
	series     []barSeries
	legend     []legendItem // nil: the series, when there is more than one
	labels     bool         // side by side: each bar's value at its end
	texts      [][]string   // side by side: labels instead of the values, [series][category]
	inner      bool         // stacked: each segment's value inside it, where it fits
	ends       []string     // stacked: text after each category's stack
	fixed      []float64    // lo, hi of the value axis; nil: from the data
	noData     string
}

// barSeries is one series of bars: raw values, one per category.
type barSeries struct {
	name   string
	color  rgb
	values []kpi.Num
	colors []rgb // optional colour per category
}

// extent returns the smallest and largest plotted value (bar ends and
// zero) and whether any category has data.
func (c *barChart) extent() (lo, hi float64, any bool) {
	for i := range c.cats {
		sum := 0.0
		for _, s := range c.series {
			if i >= len(s.values) || !valid(s.values[i]) {
				continue
			}
			v := s.values[i].V / c.sc.div
			any = true
			if c.stacked {
				sum += v
				v = sum
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	return lo, hi, any
}

// label returns the text at the end of bar (s, i).
func (c *barChart) label(s, i int) string {
	if s < len(c.texts) && i < len(c.texts[s]) {
		return c.texts[s][i]
	}
	return c.sc.label(c.nf, c.series[s].values[i].V)
}

func (c *barChart) draw(d *doc, box rect) {
	legend := c.legend
	if legend == nil && len(c.series) > 1 {
		for _, s := range c.series {
			legend = append(legend, legendItem{s.name, s.color})
		}
	}
	area := d.chartTop(box, c.title, legend)
	lo, hi, any := c.extent()
	if !any {
		d.noDataBox(area, c.noData)
		return
	}
	var a axis
	if c.fixed != nil {
		a = niceAxis(c.fixed[0], c.fixed[1], 5).clamp(c.fixed[0], c.fixed[1])
	} else {
		a = niceAxis(lo, hi, 5)
		if c.sc.unit == "%" {
			a = a.clamp(math.Min(0, a.lo), 100)
		}
	}

	// Room for the labels beyond the bar ends.
	d.setFont("", chartTextSize)
	padPos, padNeg := 0.0, 0.0
	for si, s := range c.series {
		for i, n := range s.values {
			if !c.labels || !valid(n) {
				continue
			}
			need := 4.0
			if c.horizontal {
				need = d.width(c.label(si, i)) + 1.5
			}
			if n.V < 0 {
				padNeg = max(padNeg, need)
			} else {
				padPos = max(padPos, need)
			}
		}
	}
	if c.labels && c.horizontal {
		padPos = max(padPos, d.width(c.noData)+1.5) // a missing bar's text
	}
	for _, e := range c.ends {
		if c.horizontal {
			padPos = max(padPos, d.width(e)+1.5)
		} else if e != "" {
			padPos = max(padPos, 4)
		}
	}

	var p rect
	catLabelW := 0.0
	if c.horizontal {
		d.setFont("", 7)
		for _, t := range c.cats {
			catLabelW = max(catLabelW, d.width(t.top))
		}
		catLabelW = min(catLabelW, area.w*0.32)
		capH := 0.0
		if c.sc.caption != "" {
			capH = 3.2
		}
		p = rect{area.x + catLabelW + 2, area.y + 1, area.w - catLabelW - 3, area.h - 1 - 4.2 - capH}
	} else {
		capH := 0.0
		if c.sc.caption != "" {
			capH = 3.5
			d.setFont("", chartSmallSize)
			d.setText(d.pal.muted)
			d.cell(area.x, area.y, area.w, 3, c.sc.caption, "L")
		}
		left := d.tickWidth(a, c.sc, c.nf) + 2
		p = rect{area.x + left, area.y + capH + 1.5, area.w - left - 1, area.h - capH - 1.5 - tiers(c.cats)}
	}
	valueLen, catLen := p.h, p.w
	if c.horizontal {
		valueLen, catLen = p.w, p.h
	}
	span := valueLen - padPos - padNeg
	pos := func(v float64) float64 { return padNeg + a.at(v, span) }
	// box maps category (c0..c1) and value (v0..v1) positions to the page.
	place := func(c0, c1, v0, v1 float64) rect {
		if v1 < v0 {
			v0, v1 = v1, v0
		}
		if c.horizontal {
			return rect{p.x + v0, p.y + c0, v1 - v0, c1 - c0}
		}
		return rect{p.x + c0, p.y + p.h - v1, c1 - c0, v1 - v0}
	}

	// Grid and value ticks.
	d.pdf.SetLineWidth(0.15)
	for _, t := range a.ticks {
		d.setDraw(d.pal.grid)
		if t == 0 {
			d.setDraw(d.pal.axis)
		}
		g := place(0, catLen, pos(t), pos(t))
		d.pdf.Line(g.x, g.y, g.x+g.w, g.y+g.h)
		d.setFont("", chartTextSize)
		d.setText(d.pal.muted)
		if c.horizontal {
			d.cell(g.x-10, p.y+p.h+0.8, 20, 3, c.sc.tickText(c.nf, t, a.dec), "C")
		} else {
			d.cell(p.x-31.5, g.y-1.5, 30, 3, c.sc.tickText(c.nf, t, a.dec), "R")
		}
	}
	if c.horizontal && c.sc.caption != "" {
		d.setFont("", chartSmallSize)
		d.cell(p.x, p.y+p.h+4.2, p.w, 3, c.sc.caption, "R")
	}

	n := float64(max(len(c.cats), 1))
	slot := catLen / n
	thick := slot * 0.7
	if !c.horizontal {
		thick = min(thick, 14)
	}
	zero := pos(math.Max(a.lo, math.Min(0, a.hi)))
	for i, t := range c.cats {
		if c.horizontal { // the name first, then its bars
			d.fit(t.top, "", 7, 5.5, catLabelW)
			d.setText(d.pal.ink)
			d.cell(area.x, p.y+float64(i)*slot, catLabelW, slot, d.clip(t.top, catLabelW), "R")
		}
		c0 := float64(i)*slot + (slot-thick)/2
		if c.stacked {
			c.drawStack(d, i, c0, thick, zero, pos, place)
		} else {
			c.drawGroup(d, i, c0, thick, zero, pos, place)
		}
	}

	// Category labels.
	if c.horizontal {
		d.setDraw(d.pal.axis)
		d.pdf.SetLineWidth(0.25)
		d.pdf.Line(p.x+zero, p.y, p.x+zero, p.y+p.h)
	} else {
		d.setDraw(d.pal.axis)
		d.pdf.SetLineWidth(0.25)
		d.pdf.Line(p.x, p.y+p.h-zero, p.x+p.w, p.y+p.h-zero)
		d.categoryTicks(p, c.cats)
	}
	d.setText(d.pal.ink)
}

// drawGroup draws the bars of category i side by side.
func (c *barChart) drawGroup(d *doc, i int, c0, thick, zero float64, pos func(float64) float64, place func(c0, c1, v0, v1 float64) rect) {
	k := float64(len(c.series))
	w := thick / k
	for si, s := range c.series {
		b0 := c0 + float64(si)*w
		if i >= len(s.values) || !valid(s.values[i]) {
			if c.labels || len(c.series) == 1 {
				d.setFont("", chartSmallSize)
				d.setText(d.pal.faint)
				r := place(b0, b0+w, zero, zero)
				if c.horizontal {
					d.cell(r.x+1, r.y, 30, r.h, c.noData, "L")
				} else {
					d.vtext(r.x+r.w/2+1, r.y-1, c.noData)
				}
			}
			continue
		}
		v := s.values[i].V
		col := s.color
		if i < len(s.colors) {
			col = s.colors[i]
		}
		d.setFill(col)
		r := place(b0+0.15, b0+w-0.15, zero, pos(v/c.sc.div))
		d.pdf.Rect(r.x, r.y, r.w, r.h, "F")
		if !c.labels {
			continue
		}
		text := c.label(si, i)
		d.setFont("", chartTextSize)
		d.setText(d.pal.ink)
		switch {
		case c.horizontal && v >= 0:
			d.cell(r.x+r.w+0.8, r.y, 40, r.h, text, "L")
		case c.horizontal:
			d.cell(r.x-40.8, r.y, 40, r.h, text, "R")
		case v >= 0:
			d.cell(r.x-10, r.y-3.4, r.w+20, 3, text, "C")
		default:
			d.cell(r.x-10, r.y+r.h+0.4, r.w+20, 3, text, "C")
		}
	}
}

// drawStack draws the segments of category i one after the other.
func (c *barChart) drawStack(d *doc, i int, c0, thick, zero float64, pos func(float64) float64, place func(c0, c1, v0, v1 float64) rect) {
	sum, any := 0.0, false
	for _, s := range c.series {
		if i >= len(s.values) || !valid(s.values[i]) {
			continue
		}
		v := s.values[i].V / c.sc.div
		from, to := pos(sum), pos(sum+v)
		sum += v
		any = true
		d.setFill(s.color)
		r := place(c0, c0+thick, from, to)
		d.pdf.Rect(r.x, r.y, r.w, r.h, "F")
		if !c.inner {
			continue
		}
		text := c.sc.label(c.nf, s.values[i].V)
		d.setFont("", chartSmallSize)
		if d.width(text)+1 > r.w || r.h < 3.2 {
			continue
		}
		d.setText(contrast(s.color, d.pal))
		d.cell(r.x, r.y, r.w, r.h, text, "C")
	}
	end := place(c0, c0+thick, zero, pos(sum))
	if !any {
		d.setFont("", chartSmallSize)
		d.setText(d.pal.faint)
		if c.horizontal {
			d.cell(end.x+1, end.y, 30, end.h, c.noData, "L")
		} else {
			d.vtext(end.x+end.w/2+1, end.y-1, c.noData)
		}
		return
	}
	if i >= len(c.ends) || c.ends[i] == "" {
		return
	}
	d.setFont("B", chartTextSize)
	d.setText(d.pal.ink)
	if c.horizontal {
		d.cell(end.x+end.w+0.8, end.y, 40, end.h, c.ends[i], "L")
	} else {
		d.cell(end.x-10, end.y-3.4, end.w+20, 3, c.ends[i], "C")
	}
}

// contrast returns the text colour that reads on a fill of colour bg.
func contrast(bg rgb, pal palette) rgb {
	if 0.299*float64(bg.r)+0.587*float64(bg.g)+0.114*float64(bg.b) < 150 {
		return rgb{255, 255, 255}
	}
	return pal.ink
}
