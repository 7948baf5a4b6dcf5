package reports

import "strconv"

// Cover layout, in millimetres.
const (
	coverBandH = 100.0
	tocRowH    = 7.5
)

// cover writes the first page: the title, period and company on a band,
// the period's dates and the generation time, then the contents with the
// page of every section, each entry a link to it.
func (d *doc) cover() {
	pdf := d.pdf
	d.setFill(d.pal.band)
	pdf.Rect(0, 0, pageW, coverBandH, "F")
	d.setFill(d.pal.seriesColor(0))
	pdf.Rect(0, coverBandH, pageW, 1.6, "F")

	white := rgb{255, 255, 255}
	d.setFont("B", 26)
	lines := d.wrap(d.c.title, contentW)
	if len(lines) > 2 {
		d.setFont("B", 20)
		lines = d.wrap(d.c.title, contentW)
	}
	y := 38.0
	d.setText(white)
	for _, l := range lines {
		d.cell(margin, y, contentW, 11, l, "L")
		y += 11
	}
	d.setFont("", 16)
	d.setText(rgb{200, 214, 230})
	d.cell(margin, y+2, contentW, 8, d.c.periodLabel, "L")
	if d.c.company != "" {
		d.setFont("B", 11)
		d.setText(white)
		d.cell(margin, coverBandH-16, contentW, 6, d.c.company, "L")
	}

	y = coverBandH + 10
	d.setFont("", 9.5)
	d.setText(d.pal.muted)
	d.cell(margin, y, contentW, 5, d.c.period, "L")
	d.cell(margin, y+5.5, contentW, 5, d.c.generated, "L")

	y += 20
	d.setFont("B", 14)
	d.setText(d.pal.ink)
	d.cell(margin, y, contentW, 8, d.c.contents, "L")
	y += 11
	for i, s := range d.c.sections {
		page := ""
		if i < len(d.plan.sections) {
			page = strconv.Itoa(d.plan.sections[i])
		}
		d.tocEntry(y, i+1, s.heading, page, d.links[i])
		y += tocRowH
	}
	d.setText(d.pal.ink)
	pdf.SetXY(margin, y)
}

// tocEntry writes one line of the contents: number, heading, a dotted
// leader and the page, linked to the section.
func (d *doc) tocEntry(y float64, n int, heading, page string, link int) {
	pdf := d.pdf
	num := strconv.Itoa(n)
	d.setFont("B", 10)
	d.setText(d.pal.seriesColor(0))
	d.cell(margin, y, 8, tocRowH, num, "L")
	d.setFont("", 10)
	d.setText(d.pal.ink)
	hw := min(d.width(heading), contentW-30)
	d.cell(margin+8, y, hw, tocRowH, heading, "L")
	pw := d.width(page)
	d.cell(pageW-margin-20, y, 20, tocRowH, page, "R")
	if from, to := margin+8+hw+2, pageW-margin-pw-2; to > from {
		d.setDraw(d.pal.axis)
		pdf.SetLineWidth(0.3)
		pdf.SetDashPattern([]float64{0.3, 1.2}, 0)
		pdf.Line(from, y+tocRowH*0.68, to, y+tocRowH*0.68)
		pdf.SetDashPattern([]float64{}, 0)
	}
	pdf.Link(margin, y, contentW, tocRowH, link)
}
