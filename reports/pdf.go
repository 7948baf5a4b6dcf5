package reports

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jung-kurt/gofpdf"

	"github.com/cxkpi/cxkpi/templates"
)

// PDFOptions tunes the PDF output. The zero value is what [WritePDF]
// uses.
type PDFOptions struct {
	// Uncompressed leaves the page content streams uncompressed, so that
	// the text can be read in the file (tests, debugging).
	Uncompressed bool
}

// Page layout of A4 portrait, in millimetres.
const (
	pageW        = 210.0
	pageH        = 297.0
	margin       = 15.0 // left and right
	topMargin    = 20.0 // the running header lives above it
	bottomMargin = 18.0 // the footer lives below it
	contentW     = pageW - 2*margin
	lineHeight   = 5.0 // of table text
	cellPad      = 1.0 // above and below the text of a table row
	headingH     = 11.0
)

// fontFamily is the name the PDF gives the embedded typeface.
const fontFamily = "dejavu"

// errPagination is returned when the page numbers of the sections do not
// settle between layout passes (a bug, not an input error).
var errPagination = errors.New("reports: page numbers of the contents did not settle")

// WritePDF renders r (see [RenderPDF]) as the file at path, atomically.
func WritePDF(path string, r Report) error {
	return WriteAtomic(path, func(w io.Writer) error {
		if err := RenderPDF(w, r, PDFOptions{}); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	})
}

// RenderPDF writes r as a PDF document to w, in r's locale and the
// embedded DejaVu Sans typeface:
//
//   - a cover with the title, company, period and generation time, and
//     the contents with the page of each section (linked, and as PDF
//     bookmarks);
//   - an executive summary of the headline KPIs as tiles: value, change
//     from the previous period coloured by whether it is an improvement,
//     and a sparkline of the last periods;
//   - charts of the KPI trends, the channel mix and per-channel KPIs, the
//     NPS split, reply and resolution times per channel, cohort
//     retention ([Report.Cohorts]) and customer lifetime value
//     ([Report.CLV], [Report.AtRisk]); a section without data says so;
//   - the tables of every metric of the period, the headline metrics per
//     channel and the data quality of each input table.
//
// Every page but the cover carries "Page X of Y". A metric without data
// shows the locale's "no data", never 0. The same Report always gives the
// same bytes.
func RenderPDF(w io.Writer, r Report, opt PDFOptions) (err error) {
	tx, err := templates.Load(cmp.Or(r.Locale, "en"))
	if err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	c, err := buildContent(r, tx)
	if err != nil {
		return err
	}
	var f fonts
	if f.regular, err = templates.Font(false); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if f.bold, err = templates.Font(true); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	// gofpdf records most failures in its error state, but a few paths
	// panic; none may leave the package.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("render report: %v", p)
		}
	}()

	// The contents on the cover need the page of every section, known
	// only once the sections are laid out: lay out until the page numbers
	// used are those that come out (two passes; a third when the numbers
	// themselves moved a page break).
	var plan pagination
	for range 3 {
		d := newDoc(c, f, plan, opt, r)
		d.layout()
		if err := d.pdf.Error(); err != nil {
			return fmt.Errorf("render report: %w", err)
		}
		if d.got.equal(plan) {
			if err := d.pdf.Output(w); err != nil {
				return fmt.Errorf("render report: %w", err)
			}
			return nil
		}
		plan = d.got
	}
	return errPagination
}

// fonts are the TrueType files of the typeface.
type fonts struct{ regular, bold []byte }

// pagination is the first page of each section and the page count.
type pagination struct {
	sections []int
	total    int
}

func (p pagination) equal(q pagination) bool {
	return p.total == q.total && slices.Equal(p.sections, q.sections)
}

// doc lays out the content on pages.
type doc struct {
	pdf   *gofpdf.Fpdf
	c     content
	pal   palette
	plan  pagination // page numbers to print
	got   pagination // page numbers laid out
	links []int      // internal link of each section
}

func newDoc(c content, f fonts, plan pagination, opt PDFOptions, r Report) *doc {
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(!opt.Uncompressed)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(r.Generated.UTC())
	pdf.SetModificationDate(r.Generated.UTC())
	pdf.SetTitle(c.title, true)
	if c.company != "" {
		pdf.SetAuthor(c.company, true)
	}
	pdf.SetSubject(c.periodLabel, true)
	pdf.SetCreator(CreatedBy, true)
	pdf.SetProducer(CreatedBy, true)
	pdf.AddUTF8FontFromBytes(fontFamily, "", f.regular)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", f.bold)
	pdf.SetMargins(margin, topMargin, margin)
	pdf.SetAutoPageBreak(false, bottomMargin) // every break is the layout's
	pdf.SetCellMargin(0)
	d := &doc{pdf: pdf, c: c, pal: newPalette(), plan: plan}
	d.got.sections = make([]int, len(c.sections))
	for range c.sections {
		d.links = append(d.links, pdf.AddLink())
	}
	pdf.SetHeaderFunc(d.pageHeader)
	pdf.SetFooterFunc(d.pageFooter)
	return d
}

// layout writes every page.
func (d *doc) layout() {
	d.pdf.AddPage()
	d.cover()
	for i, s := range d.c.sections {
		d.section(i, s)
	}
	d.got.total = d.pdf.PageNo()
}

// pageHeader writes the running header of every page but the cover.
func (d *doc) pageHeader() {
	if d.pdf.PageNo() == 1 {
		return
	}
	d.setFont("", 7.5)
	d.setText(d.pal.muted)
	company := d.clip(d.c.company, contentW*0.4)
	cw := d.width(company)
	left := contentW - cw - 6
	d.cell(margin, 9, left, 4, d.clip(d.c.runningHeader, left), "L")
	d.cell(pageW-margin-cw, 9, cw, 4, company, "R")
	d.setDraw(d.pal.rule)
	d.pdf.SetLineWidth(0.2)
	d.pdf.Line(margin, 14, pageW-margin, 14)
	d.pdf.SetXY(margin, topMargin)
}

// pageFooter writes "Page X of Y" on every page but the cover. Y is the
// page count of the previous layout pass.
func (d *doc) pageFooter() {
	if d.pdf.PageNo() == 1 {
		return
	}
	total := strconv.Itoa(max(d.plan.total, d.pdf.PageNo()))
	d.setFont("", 8)
	d.setText(d.pal.muted)
	page := fill(fill(d.c.pageFooter, "page", strconv.Itoa(d.pdf.PageNo())), "pages", total)
	d.cell(margin, pageH-bottomMargin+7, contentW, 4, page, "C")
}

// section writes a heading and the blocks under it, starting a new page
// when the section asks for one or when the heading and the first block
// do not fit.
func (d *doc) section(i int, s section) {
	need := headingH + lineHeight
	if len(s.blocks) > 0 {
		need = headingH + s.blocks[0].minHeight(d)
	}
	if (s.newPage && len(s.blocks) > 0 && !d.fresh()) || !d.room(need) {
		d.pdf.AddPage()
	}
	if !d.fresh() {
		d.pdf.Ln(4)
	}
	d.got.sections[i] = d.pdf.PageNo()
	pdf := d.pdf
	y := pdf.GetY()
	pdf.SetLink(d.links[i], y, -1)
	pdf.Bookmark(d.tr(s.heading), 0, y)
	d.setFill(d.pal.seriesColor(0))
	pdf.Rect(margin, y+1.2, 1.4, 6, "F")
	d.setFont("B", 14)
	d.setText(d.pal.ink)
	d.cell(margin+4, y, contentW-4, 8.5, s.heading, "L")
	pdf.SetXY(margin, y+headingH)
	if len(s.blocks) == 0 {
		d.paragraph(s.empty, "", 10, 5, d.pal.muted)
		return
	}
	for _, b := range s.blocks {
		if !d.room(b.minHeight(d)) {
			pdf.AddPage()
		}
		b.draw(d)
	}
}

// block is a piece of a section laid out top to bottom: a table, a row of
// charts or tiles, a line of text.
type block interface {
	// minHeight is the height that must fit on the page for the block to
	// start on it (all of it, unless it breaks across pages itself).
	minHeight(d *doc) float64
	// draw writes the block at the current position and moves below it.
	draw(d *doc)
}

// note is a paragraph of small secondary text.
type note struct{ text string }

func (n note) minHeight(d *doc) float64 {
	d.setFont("", 8.5)
	return float64(len(d.wrap(n.text, contentW)))*4.2 + 2
}

func (n note) draw(d *doc) {
	d.paragraph(n.text, "", 8.5, 4.2, d.pal.muted)
	d.pdf.Ln(2)
}

// alertNote is one alert: a line in the colour of a deterioration.
type alertNote struct{ text string }

func (n alertNote) minHeight(d *doc) float64 {
	d.setFont("B", 9)
	return float64(len(d.wrap("• "+n.text, contentW)))*4.6 + 1
}

func (n alertNote) draw(d *doc) {
	d.paragraph("• "+n.text, "B", 9, 4.6, d.pal.bad)
	d.pdf.Ln(1)
}

// space is a vertical gap of so many millimetres.
type space float64

func (s space) minHeight(*doc) float64 { return float64(s) }
func (s space) draw(d *doc)            { d.pdf.Ln(float64(s)) }

// subheading is a bold line that heads part of a section.
type subheading struct{ text string }

func (s subheading) minHeight(*doc) float64 { return 9 + 3*lineHeight }

func (s subheading) draw(d *doc) {
	d.pdf.Ln(2)
	d.paragraph(s.text, "B", 11, 6, d.pal.ink)
	d.pdf.Ln(1)
}

// setFont selects the report's typeface in style ("" or "B") and size
// (pt).
func (d *doc) setFont(style string, size float64) {
	d.pdf.SetFont(fontFamily, style, size)
}

func (d *doc) setText(c rgb) { d.pdf.SetTextColor(c.r, c.g, c.b) }
func (d *doc) setFill(c rgb) { d.pdf.SetFillColor(c.r, c.g, c.b) }
func (d *doc) setDraw(c rgb) { d.pdf.SetDrawColor(c.r, c.g, c.b) }

// tr makes s safe for gofpdf's UTF-16 conversion, which handles valid
// UTF-8 of the Basic Multilingual Plane only: other runes become U+FFFD.
func (d *doc) tr(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r > 0xFFFF }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r > 0xFFFF {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}

// width returns the width of s in the current font.
func (d *doc) width(s string) float64 { return d.pdf.GetStringWidth(d.tr(s)) }

// cell writes s in the box at (x, y), w × h, vertically centred and
// aligned "L", "C" or "R". The current position is left unchanged. A box
// reaching past the left edge of the page is cut there (gofpdf reads a
// negative x from the right edge).
func (d *doc) cell(x, y, w, h float64, s, align string) {
	if s == "" {
		return
	}
	if x < 0 {
		x, w = 0, w+x
	}
	px, py := d.pdf.GetXY()
	d.pdf.SetXY(x, y)
	d.pdf.CellFormat(w, h, d.tr(s), "", 0, align, false, 0, "")
	d.pdf.SetXY(px, py)
}

// fit returns the largest size, from size down to least, at which s fits
// in w in style; least when none does.
func (d *doc) fit(s, style string, size, least, w float64) float64 {
	for ; size > least; size -= 0.5 {
		d.setFont(style, size)
		if d.width(s) <= w {
			return size
		}
	}
	d.setFont(style, least)
	return least
}

// clip returns s, cut with an ellipsis to fit w in the current font.
func (d *doc) clip(s string, w float64) string {
	if d.width(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && d.width(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return strings.TrimRight(string(r), " ") + "…"
}

// wrap splits s into lines no wider than w in the current font, at
// spaces and line breaks; a word wider than w is split between runes.
func (d *doc) wrap(s string, w float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		// Break at spaces only: a no-break space keeps "62,5 %" whole.
		for _, word := range strings.FieldsFunc(para, func(r rune) bool { return r == ' ' || r == '\t' }) {
			try := word
			if line != "" {
				try = line + " " + word
			}
			if d.width(try) <= w {
				line = try
				continue
			}
			if line != "" {
				lines = append(lines, line)
			}
			for d.width(word) > w && utf8.RuneCountInString(word) > 1 {
				cut := len(word)
				for cut > 0 && d.width(word[:cut]) > w {
					_, size := utf8.DecodeLastRuneInString(word[:cut])
					cut -= size
				}
				if cut == 0 {
					_, cut = utf8.DecodeRuneInString(word)
				}
				lines = append(lines, word[:cut])
				word = word[cut:]
			}
			line = word
		}
		lines = append(lines, line)
	}
	return lines
}

// paragraph writes s wrapped across the page from the current position.
func (d *doc) paragraph(s, style string, size, h float64, color rgb) {
	d.setFont(style, size)
	d.setText(color)
	y := d.pdf.GetY()
	for _, line := range d.wrap(s, contentW) {
		d.cell(margin, y, contentW, h, line, "L")
		y += h
	}
	d.pdf.SetXY(margin, y)
	d.setText(d.pal.ink)
}

// fresh reports whether nothing has been written on the page yet.
func (d *doc) fresh() bool { return d.pdf.GetY() <= topMargin+0.01 }

// room reports whether h millimetres fit above the bottom margin.
func (d *doc) room(h float64) bool {
	return d.pdf.GetY()+h <= pageH-bottomMargin
}

// rect is a box on the page.
type rect struct{ x, y, w, h float64 }
