package reports

import (
	"cmp"
	"fmt"
	"io"
	"strconv"

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

// Page layout, in millimetres.
const (
	margin       = 15.0 // left, top and right
	bottomMargin = 18.0 // the footer lives below it
	lineHeight   = 5.0  // of table text
	cellPad      = 1.0  // above and below the text of a table row
)

// WritePDF renders r (see [RenderPDF]) as the file at path, atomically.
func WritePDF(path string, r Report) error {
	return WriteAtomic(path, func(w io.Writer) error {
		if err := RenderPDF(w, r, PDFOptions{}); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	})
}

// RenderPDF writes r as a PDF document to w: a header with the title,
// company, period and generation time; the period's metrics for all
// channels with their change from the previous period; the headline
// metrics per channel; the data quality of each input table; page numbers
// in the footer. The same Report always gives the same bytes.
func RenderPDF(w io.Writer, r Report, opt PDFOptions) (err error) {
	tx, err := templates.Load(cmp.Or(r.Locale, "en"))
	if err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	c, err := buildContent(r, tx)
	if err != nil {
		return err
	}
	// gofpdf records most failures in its error state, but a few paths
	// panic; none may leave the package.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("render report: %v", p)
		}
	}()

	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(!opt.Uncompressed)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(r.Generated.UTC())
	pdf.SetModificationDate(r.Generated.UTC())
	pdf.SetTitle(c.title, true)
	if c.company != "" {
		pdf.SetAuthor(c.company, true)
	}
	pdf.SetCreator(CreatedBy, true)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, bottomMargin)
	d := &doc{pdf: pdf, font: newFont(pdf)}
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-bottomMargin + 6)
		d.setFont("", 8)
		pdf.SetTextColor(110, 110, 110)
		page := fill(fill(c.pageFooter, "page", strconv.Itoa(pdf.PageNo())), "pages", "{nb}")
		pdf.CellFormat(0, 4, d.font.tr(page), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	d.header(c)
	for _, s := range c.sections {
		d.section(s)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}

// font is the typeface of the report, chosen in this one place: the core
// font Helvetica, which needs no embedding, with text translated from
// UTF-8 to its code page cp1252 (Latin; other runes print as ".").
// A UTF-8 TrueType font for Greek replaces it here.
type font struct {
	family string
	tr     func(string) string // UTF-8 to the font's encoding
}

func newFont(pdf *gofpdf.Fpdf) font {
	return font{family: "Helvetica", tr: pdf.UnicodeTranslatorFromDescriptor("cp1252")}
}

// doc lays out the content on pages.
type doc struct {
	pdf  *gofpdf.Fpdf
	font font
}

// setFont selects the report's font in style ("", "B") and size (pt).
func (d *doc) setFont(style string, size float64) {
	d.pdf.SetFont(d.font.family, style, size)
}

// width returns the width between the margins.
func (d *doc) width() float64 {
	w, _ := d.pdf.GetPageSize()
	return w - 2*margin
}

// room reports whether h millimetres fit above the bottom margin.
func (d *doc) room(h float64) bool {
	_, ph := d.pdf.GetPageSize()
	return d.pdf.GetY()+h <= ph-bottomMargin
}

// text writes s as wrapped lines across the page.
func (d *doc) text(s, style string, size, h float64) {
	d.setFont(style, size)
	d.pdf.MultiCell(0, h, d.font.tr(s), "", "L", false)
}

func (d *doc) header(c content) {
	d.text(c.title, "B", 18, 9)
	if c.company != "" {
		d.text(c.company, "", 12, 6)
	}
	d.pdf.Ln(2)
	d.text(c.period, "", 10, 5)
	d.text(c.generated, "", 10, 5)
	d.pdf.Ln(4)
}

// section writes a heading and its table, starting a new page unless the
// heading, the table header and a first row fit on this one.
func (d *doc) section(s section) {
	if !d.room(8 + 2*(lineHeight+2*cellPad) + 2*lineHeight) {
		d.pdf.AddPage()
	}
	d.pdf.Ln(2)
	d.text(s.heading, "B", 13, 7)
	d.pdf.Ln(1)
	if len(s.rows) == 0 {
		d.text(s.empty, "", 10, 5)
		d.pdf.Ln(2)
		return
	}
	d.table(s)
	d.pdf.Ln(3)
}

// table writes the rows of s under its header, wrapping long cells and
// repeating the header on every page the table spans.
func (d *doc) table(s section) {
	total := 0.0
	for _, c := range s.cols {
		total += c.weight
	}
	widths := make([]float64, len(s.cols))
	for i, c := range s.cols {
		widths[i] = d.width() * c.weight / total
	}
	d.row(s, widths, s.header, true)
	for _, cells := range s.rows {
		if !d.room(d.rowHeight(widths, cells, false)) {
			d.pdf.AddPage()
			d.row(s, widths, s.header, true)
		}
		d.row(s, widths, cells, false)
	}
}

// lines splits the cells of a row into the lines that fit their widths,
// in the font of the row.
func (d *doc) lines(widths []float64, cells []string, header bool) [][][]byte {
	if header {
		d.setFont("B", 9)
	} else {
		d.setFont("", 9)
	}
	out := make([][][]byte, len(cells))
	for i, c := range cells {
		out[i] = d.pdf.SplitLines([]byte(d.font.tr(c)), widths[i])
	}
	return out
}

func (d *doc) rowHeight(widths []float64, cells []string, header bool) float64 {
	n := 1
	for _, l := range d.lines(widths, cells, header) {
		n = max(n, len(l))
	}
	return float64(n)*lineHeight + 2*cellPad
}

// row writes one table row at the current position.
func (d *doc) row(s section, widths []float64, cells []string, header bool) {
	pdf := d.pdf
	h := d.rowHeight(widths, cells, header)
	lines := d.lines(widths, cells, header)
	x0, y := margin, pdf.GetY()
	if header {
		pdf.SetFillColor(228, 232, 238)
		pdf.Rect(x0, y, d.width(), h, "F")
	}
	x := x0
	for i, cell := range lines {
		align := "L"
		if s.cols[i].right {
			align = "R"
		}
		for j, line := range cell {
			pdf.SetXY(x, y+cellPad+float64(j)*lineHeight)
			pdf.CellFormat(widths[i], lineHeight, string(line), "", 0, align, false, 0, "")
		}
		x += widths[i]
	}
	pdf.SetDrawColor(200, 200, 200)
	pdf.SetLineWidth(0.2)
	pdf.Line(x0, y+h, x0+d.width(), y+h)
	pdf.SetXY(x0, y+h)
}
