package reports

import (
	"fmt"
	"strings"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// rgb is a colour of the report.
type rgb struct{ r, g, b int }

// palette is every colour the PDF uses, defined once so that tiles,
// charts and tables agree.
type palette struct {
	ink, muted, faint rgb // text: body, secondary, tertiary
	rule, grid, axis  rgb // lines: table rules, chart grid, chart axes
	panel, band       rgb // tile background, cover band
	header            rgb // table header background
	good, bad, flat   rgb // a change for the better, the worse, neither
	series            []rgb
	promoters         rgb // NPS split
	passives          rgb
	detractors        rgb
	atRisk            rgb // CLV segments at risk
	heatLow, heatHigh rgb // cohort retention, 0 % and 100 %
}

// newPalette returns the report's colours: a blue-led qualitative scale
// for series (distinguishable in print and for the common colour-vision
// deficiencies), green and red reserved for good and bad.
func newPalette() palette {
	return palette{
		ink:    rgb{31, 41, 51},
		muted:  rgb{82, 96, 109},
		faint:  rgb{135, 145, 158},
		rule:   rgb{210, 214, 220},
		grid:   rgb{228, 231, 235},
		axis:   rgb{154, 165, 177},
		panel:  rgb{245, 247, 250},
		band:   rgb{23, 50, 77},
		header: rgb{228, 232, 238},
		good:   rgb{30, 132, 73},
		bad:    rgb{198, 40, 40},
		flat:   rgb{123, 135, 148},
		series: []rgb{
			{31, 95, 173},   // blue
			{232, 131, 58},  // orange
			{42, 157, 143},  // teal
			{123, 94, 167},  // purple
			{196, 160, 30},  // ochre
			{214, 96, 141},  // pink
			{102, 120, 138}, // slate
			{150, 85, 40},   // brown
		},
		promoters:  rgb{46, 139, 87},
		passives:   rgb{190, 197, 206},
		detractors: rgb{205, 62, 62},
		atRisk:     rgb{232, 131, 58},
		heatLow:    rgb{236, 243, 251},
		heatHigh:   rgb{16, 72, 130},
	}
}

// hex returns the colour as HTML writes it, "#1e8449".
func (c rgb) hex() string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

// seriesColor returns the colour of the i-th series, cycling.
func (p palette) seriesColor(i int) rgb { return p.series[i%len(p.series)] }

// mix returns the colour at t (0..1) between a and b.
func mix(a, b rgb, t float64) rgb {
	t = max(0, min(1, t))
	lerp := func(x, y int) int { return x + int(float64(y-x)*t+0.5) }
	return rgb{lerp(a.r, b.r), lerp(a.g, b.g), lerp(a.b, b.b)}
}

// tone is how a change of a metric reads: better, worse or neither.
type tone int

const (
	neutral tone = iota
	better
	worse
)

// color returns the palette colour of the tone, with ink for neutral
// when plain is set (table text) and grey otherwise (arrows).
func (p palette) color(t tone, plain bool) rgb {
	switch t {
	case better:
		return p.good
	case worse:
		return p.bad
	}
	if plain {
		return p.ink
	}
	return p.flat
}

// directions returns which way each metric of the KPI catalogue
// improves. A metric the catalogue does not know is missing from it, and
// its changes are neutral.
func directions() map[string]kpi.Better {
	out := map[string]kpi.Better{}
	for _, m := range kpi.Catalog() {
		out[m.Name] = m.Better
	}
	return out
}

// toneOf returns how a change d of a metric that is better b reads. A
// change that is shown as zero (its formatted text has no sign) is
// neutral, and so is any change of a metric that is better neither way.
func toneOf(b kpi.Better, d float64, shown string) tone {
	if !strings.ContainsAny(shown, "+-") || d == 0 {
		return neutral
	}
	switch {
	case b == kpi.Higher && d > 0, b == kpi.Lower && d < 0:
		return better
	case b == kpi.Higher && d < 0, b == kpi.Lower && d > 0:
		return worse
	}
	return neutral
}

// changeTone returns how the change d of row r reads in the report: as
// toneOf says, but only when the change is significant
// (kpi.Row.Significant) and the cell holds at least kpi.LowN
// observations; any other change is neutral, so that noise is never
// coloured.
func changeTone(b kpi.Better, r kpi.Row, d float64, shown string) tone {
	if lowN(r) || !r.Significant.Valid || !r.Significant.V {
		return neutral
	}
	return toneOf(b, d, shown)
}

// lowN reports whether a cell with a value has too few observations for
// its change to be judged.
func lowN(r kpi.Row) bool { return r.Value.Valid && r.N < kpi.LowN }
