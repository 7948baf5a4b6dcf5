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
	white := rgb{255, 255, 255}
	// The title in the largest size (26 to 16 pt) that takes at most two
	// lines; a longer one is cut after three.
	size := 26.0
	var lines []string
	for ; ; size -= 2 {
		d.setFont("B", size)
		if lines = d.wrap(d.c.title, contentW); len(lines) <= 2 || size <= 16 {
			break
		}
	}
	if len(lines) > 3 {
		lines = append(lines[:2], d.clip(lines[2]+" "+lines[3], contentW))
	}
	lh := size * 0.42
	y := 36.0
	company := y + float64(len(lines))*lh + 16
	band := max(coverBandH, company+12)
	d.setFill(d.pal.band)
	pdf.Rect(0, 0, pageW, band, "F")
	d.setFill(d.pal.seriesColor(0))
	pdf.Rect(0, band, pageW, 1.6, "F")

	d.setText(white)
	for _, l := range lines {
		d.cell(margin, y, contentW, lh, l, "L")
		y += lh
	}
	d.setFont("", 16)
	d.setText(rgb{200, 214, 230})
	d.cell(margin, y+2, contentW, 8, d.c.periodLabel, "L")
	if d.c.company != "" {
		d.setFont("B", 11)
		d.setText(white)
		d.cell(margin, max(company, band-16), contentW, 6, d.clip(d.c.company, contentW), "L")
	}

	y = band + 10
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
	heading = d.clip(heading, contentW-30)
	hw := d.width(heading)
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
