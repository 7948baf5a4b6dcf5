package reports

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

// shownText is a text the PDF shows, in the colour it is shown in.
type shownText struct {
	text, color string // color as the content stream sets it, "0.118 0.518 0.286"
}

// pdfShownTexts returns the texts of an uncompressed PDF in order, each
// with the last fill colour set before it (gofpdf sets the text colour
// right before every text shown in another colour than the fill).
func pdfShownTexts(raw []byte) []shownText {
	op := regexp.MustCompile(`([0-9.]+ [0-9.]+ [0-9.]+) rg|\(((?:[^\\)]|\\.)*)\) ?Tj`)
	var out []shownText
	color := ""
	for _, m := range op.FindAllSubmatch(raw, -1) {
		if m[1] != nil {
			color = string(m[1])
			continue
		}
		out = append(out, shownText{decodeUTF16(unescapePDF(m[2])), color})
	}
	return out
}

// pdfColor is a colour as gofpdf writes it into a content stream.
func pdfColor(c rgb) string {
	return fmt.Sprintf("%.3f %.3f %.3f", float64(c.r)/255, float64(c.g)/255, float64(c.b)/255)
}

// everyMetricReport is a report of February with every metric of the KPI
// catalogue at 10 in January and 10 + delta in February.
func everyMetricReport(delta float64, n int64, sig kpi.Flag) Report {
	r := Report{Grain: "month", PeriodStart: feb, PeriodEnd: mar, Generated: time.Date(2024, 3, 2, 6, 0, 0, 0, time.UTC)}
	for _, m := range kpi.Catalog() {
		r.KPIs = append(r.KPIs,
			kpi.Row{PeriodStart: jan, PeriodEnd: feb, Metric: m.Name, Unit: m.Unit, Dimension: "all", DimensionValue: "all", Value: kpi.Some(10), N: n},
			kpi.Row{PeriodStart: feb, PeriodEnd: mar, Metric: m.Name, Unit: m.Unit, Dimension: "all", DimensionValue: "all", Value: kpi.Some(10 + delta), N: n, Significant: sig})
	}
	return r
}

// The colour of a change comes from the catalogue: in the PDF's KPI table
// and in the email, a significant rise of a metric that is better higher
// and a significant fall of one that is better lower are green, the
// opposites red, and any change of a metric that is better neither way is
// plain. A change that is not significant, has no test, or rests on fewer
// than kpi.LowN observations is plain too. Every metric of the catalogue
// is checked, so one added without the right direction shows here.
func TestChangeColorsFollowTheCatalog(t *testing.T) {
	tx := english(t)
	pal := newPalette()
	yes, no := kpi.Flag{V: true, Valid: true}, kpi.Flag{V: false, Valid: true}
	for _, tc := range []struct {
		name    string
		delta   float64
		n       int64
		sig     kpi.Flag
		colored bool
	}{
		{"significant rise", 1, 100, yes, true},
		{"significant fall", -1, 100, yes, true},
		{"rise, not significant", 1, 100, no, false},
		{"fall, no test", -1, 100, kpi.Flag{}, false},
		{"significant rise on few", 1, kpi.LowN - 1, yes, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			delta := tc.delta
			r := everyMetricReport(delta, tc.n, tc.sig)
			want := func(m kpi.Metric) (tone, rgb) {
				switch {
				case m.Better == kpi.Neither || !tc.colored:
					return neutral, pal.ink
				case (m.Better == kpi.Higher) == (delta > 0):
					return better, pal.good
				}
				return worse, pal.bad
			}

			texts := pdfShownTexts(render(t, r, PDFOptions{Uncompressed: true}))
			start := -1
			for i, s := range texts {
				if s.text == tx.Get("report.section_kpis") {
					start = i // the section's heading, after the contents' entry
				}
			}
			if start < 0 {
				t.Fatal("no KPI table in the PDF")
			}
			for _, m := range kpi.Catalog() {
				if m.Stat == kpi.Share {
					continue // its total is 100% by definition: not a row of the table
				}
				label := tx.Metric(m.Name)
				i := cellEnd(texts, start, label)
				if i < 0 || i+3 >= len(texts) {
					t.Errorf("PDF: no row of %s (%q) in the KPI table", m.Name, label)
					continue
				}
				if _, c := want(m); texts[i+3].color != pdfColor(c) {
					t.Errorf("PDF: %s changed %q in %s, want %s (better %v)", m.Name, texts[i+3].text, texts[i+3].color, pdfColor(c), m.Better)
				}
			}

			s, err := Summarize(r)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range summaryMetrics() {
				m := metricOf(t, name)
				tn, c := want(m)
				line := htmlRow(t, s.HTML, tx.Metric(name))
				styled := strings.Contains(line, "color:")
				switch {
				case tn == neutral && styled:
					t.Errorf("email: %s changed by %+v is coloured: %s", name, delta, line)
				case tn != neutral && !strings.Contains(line, "color:"+c.hex()):
					t.Errorf("email: %s changed by %+v, want colour %s: %s", name, delta, c.hex(), line)
				}
				if few := tc.n < kpi.LowN; few != strings.Contains(line, "&lt; 30") {
					t.Errorf("email: %s on %d observations, marked n < 30: %v: %s", name, tc.n, !few, line)
				}
			}
		})
	}
}

// cellEnd returns the index in texts, from start on, of the last line of
// a cell that shows label (a long label wraps onto lines of its own), or
// -1 if none does.
func cellEnd(texts []shownText, start int, label string) int {
	for i := start; i < len(texts); i++ {
		shown := texts[i].text
		for j := i; strings.HasPrefix(label, shown); j++ {
			if shown == label {
				return j
			}
			if j+1 == len(texts) {
				break
			}
			shown += " " + texts[j+1].text
		}
	}
	return -1
}

func metricOf(t *testing.T, name string) kpi.Metric {
	t.Helper()
	for _, m := range kpi.Catalog() {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no metric %s in the catalogue", name)
	return kpi.Metric{}
}

// htmlRow returns the table row of the email's HTML that shows label.
func htmlRow(t *testing.T, html, label string) string {
	t.Helper()
	for _, line := range strings.Split(html, "\n") {
		if strings.HasPrefix(line, "<tr><td>"+label+"</td>") {
			return line
		}
	}
	t.Fatalf("email has no row %q:\n%s", label, html)
	return ""
}
