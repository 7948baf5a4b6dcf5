package reports

import (
	"math"
	"strconv"
	"strings"

	"github.com/jung-kurt/gofpdf"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// tile is one headline KPI on the executive summary.
type tile struct {
	label  string
	value  string // the locale's "no data" when missing
	n      string // observations, "" when missing
	change string // from the previous period, or the locale's no-change mark
	sign   int    // of the change as shown: -1, 0, +1
	tone   tone
	spark  []kpi.Num // the trend periods
	first  string    // the label of the first and last sparkline periods
	last   string
	vsPrev string
	noData bool
}

// maxAlertsShown is how many alerts the executive summary lists; the
// others are counted, and listed in the email and the manifest.
const maxAlertsShown = 6

// Tile layout, in millimetres.
const (
	tileH       = 52.0
	tileGap     = 5.0
	tilesPerRow = 2
)

// tileRow is a block of tiles side by side.
type tileRow struct{ tiles []tile }

func (t tileRow) minHeight(*doc) float64 { return tileH }

func (t tileRow) draw(d *doc) {
	y := d.pdf.GetY()
	w := (contentW - (tilesPerRow-1)*tileGap) / tilesPerRow
	for i, tl := range t.tiles {
		tl.draw(d, rect{margin + float64(i)*(w+tileGap), y, w, tileH})
	}
	d.pdf.SetXY(margin, y+tileH+tileGap)
}

// summarySection shows the headline KPIs of the email summary as tiles.
func (v *view) summarySection() section {
	s := section{heading: v.tx.Get("report.section_summary"), newPage: true, empty: v.tx.Get("report.empty_kpis")}
	var tiles []tile
	for _, m := range summaryMetrics() {
		if t, ok := v.tile(m); ok {
			tiles = append(tiles, t)
		}
	}
	if len(tiles) == 0 {
		return s
	}
	if len(v.r.Alerts) > 0 {
		s.blocks = append(s.blocks, subheading{v.tx.Get("alert.heading")})
		for i, a := range v.r.Alerts {
			if i == maxAlertsShown {
				s.blocks = append(s.blocks, note{v.tx.Fill("alert.more", "n", strconv.Itoa(len(v.r.Alerts)-i))})
				break
			}
			s.blocks = append(s.blocks, alertNote{alertLine(a, v.tx, v.nf)})
		}
		s.blocks = append(s.blocks, space(2))
	}
	if lines := v.targetLines(); len(lines) > 0 {
		s.blocks = append(s.blocks, subheading{v.tx.Get("target.heading")}, note{strings.Join(lines, " · ")}, space(2))
	}
	s.blocks = append(s.blocks, note{v.tx.Get("report.summary_note")}, space(2))
	for i := 0; i < len(tiles); i += tilesPerRow {
		s.blocks = append(s.blocks, tileRow{tiles[i:min(i+tilesPerRow, len(tiles))]})
	}
	return s
}

// tile returns the tile of a metric, or false when the table does not
// report the metric at all.
func (v *view) tile(metric string) (tile, bool) {
	if !v.has(metric) {
		return tile{}, false
	}
	r, ok := v.row(metric, "all", "all", v.r.PeriodStart)
	if !ok {
		r = kpi.Row{Metric: metric, Unit: v.unit(metric)}
	}
	t := tile{
		label:  v.tx.Metric(metric),
		value:  v.nf.value(r.Value, r.Unit),
		change: v.tx.Get("report.no_change"),
		spark:  v.trend(metric, "all", "all"),
		vsPrev: v.tx.Get("report.vs_previous"),
		noData: !valid(r.Value),
	}
	if ok && valid(r.Value) {
		t.n = v.tx.Fill("report.observations", "n", v.nf.count(r.N))
		if lowN(r) {
			t.n = v.tx.Fill("report.observations", "n", v.tx.Fill("report.low_n", "n", v.nf.count(r.N)))
		}
	}
	prev := previousValues(v.r.KPIs, v.r.PeriodStart)
	if d := change(r, prev); ok && valid(d) && valid(r.Value) {
		t.change = v.nf.change(d, r.Unit)
		t.tone = changeTone(v.better[metric], r, d.V, t.change)
		if containsSign(t.change) {
			t.sign = int(math.Copysign(1, d.V))
		}
	}
	if len(v.periods) > 1 {
		t.first = v.periodName(v.periods[0].start, v.periods[0].end)
		t.last = v.periodName(v.periods[len(v.periods)-1].start, v.periods[len(v.periods)-1].end)
	}
	return t, true
}

// containsSign reports whether a formatted change has a sign.
func containsSign(s string) bool {
	for _, r := range s {
		if r == '+' || r == '-' {
			return true
		}
	}
	return false
}

func (t tile) draw(d *doc, b rect) {
	pdf := d.pdf
	d.setFill(d.pal.panel)
	d.setDraw(d.pal.rule)
	pdf.SetLineWidth(0.2)
	pdf.RoundedRect(b.x, b.y, b.w, b.h, 2, "1234", "FD")
	in := rect{b.x + 5, b.y + 4, b.w - 10, b.h - 8}

	// Label, and the observations on the right.
	nw := 0.0
	if t.n != "" {
		d.setFont("", 7)
		nw = d.width(t.n) + 3
		d.setText(d.pal.faint)
		d.cell(in.x, in.y, in.w, 4.5, t.n, "R")
	}
	d.fit(t.label, "B", 9, 6.5, in.w-nw)
	d.setText(d.pal.muted)
	d.cell(in.x, in.y, in.w-nw, 4.5, d.clip(t.label, in.w-nw), "L")

	// Value.
	if t.noData {
		d.setFont("B", 15)
		d.setText(d.pal.faint)
	} else {
		d.setFont("B", d.fit(t.value, "B", 22, 14, in.w))
		d.setText(d.pal.ink)
	}
	d.cell(in.x, in.y+6, in.w, 10, t.value, "L")

	// Change: an arrow in the colour of its tone, the change, "vs
	// previous period".
	y := in.y + 18.5
	x := in.x
	col := d.pal.color(t.tone, false)
	if t.sign != 0 {
		d.setFill(col)
		d.arrow(x+1.6, y+2, t.sign)
		x += 4.5
	}
	d.setFont("B", 9)
	d.setText(col)
	if t.sign == 0 {
		d.setText(d.pal.muted)
	}
	cw := d.width(t.change)
	d.cell(x, y, cw, 4, t.change, "L")
	// "vs previous period" after the change, or under it when it does
	// not fit there even in a smaller size.
	rest := in.x + in.w - x - cw - 1.8
	d.setText(d.pal.faint)
	if size := d.fit(t.vsPrev, "", 7.5, 6, rest); d.width(t.vsPrev) <= rest {
		d.setFont("", size)
		d.cell(x+cw+1.8, y, rest, 4, t.vsPrev, "L")
	} else {
		d.fit(t.vsPrev, "", 7, 5.5, in.w)
		d.cell(in.x, y+4.2, in.w, 3.2, t.vsPrev, "L")
	}

	// Sparkline of the trend periods, with the first and last period
	// named under it.
	sp := rect{in.x, in.y + 26, in.w, in.h - 26 - 4}
	d.sparkline(sp, t.spark)
	d.setFont("", 6)
	d.setText(d.pal.faint)
	d.cell(sp.x, sp.y+sp.h+0.8, sp.w/2, 3, t.first, "L")
	d.cell(sp.x+sp.w/2, sp.y+sp.h+0.8, sp.w/2, 3, t.last, "R")
	d.setText(d.pal.ink)
}

// arrow draws a filled triangle of the current fill colour centred on
// (x, y), pointing up for sign > 0 and down for sign < 0.
func (d *doc) arrow(x, y float64, sign int) {
	const h, w = 2.6, 3.0
	dir := -float64(sign) // page y grows downwards
	d.pdf.Polygon([]gofpdf.PointType{
		{X: x - w/2, Y: y - dir*h/2},
		{X: x + w/2, Y: y - dir*h/2},
		{X: x, Y: y + dir*h/2},
	}, "F")
}

// sparkline draws values as a thin line across b, scaled to their own
// range, with a dot on the last value; missing values break the line.
func (d *doc) sparkline(b rect, values []kpi.Num) {
	lo, hi, n := math.Inf(1), math.Inf(-1), 0
	for _, v := range values {
		if valid(v) {
			lo, hi, n = min(lo, v.V), max(hi, v.V), n+1
		}
	}
	d.setDraw(d.pal.grid)
	d.pdf.SetLineWidth(0.2)
	d.pdf.Line(b.x, b.y+b.h, b.x+b.w, b.y+b.h)
	if n == 0 {
		return
	}
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	step := b.w / float64(max(len(values)-1, 1))
	x := func(i int) float64 { return b.x + float64(i)*step }
	y := func(v float64) float64 { return b.y + b.h - 1 - (v-lo)/(hi-lo)*(b.h-2) }
	line := d.pal.seriesColor(0)
	d.setDraw(line)
	d.setFill(line)
	d.pdf.SetLineWidth(0.45)
	last := -1
	for i, v := range values {
		if !valid(v) {
			continue
		}
		if i > 0 && valid(values[i-1]) {
			d.pdf.Line(x(i-1), y(values[i-1].V), x(i), y(v.V))
		}
		last = i
	}
	for i, v := range values {
		if valid(v) && (i == last || ((i == 0 || !valid(values[i-1])) && (i+1 == len(values) || !valid(values[i+1])))) {
			d.pdf.Circle(x(i), y(v.V), 0.7, "F") // the last value, and isolated ones
		}
	}
}
