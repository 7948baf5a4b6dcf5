package reports

import (
	"bytes"
	"compress/zlib"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixtureReport is the February 2024 report of fixtureRows.
func fixtureReport() Report {
	return Report{
		Title: "Monthly CX report", Company: "Ærø Café GmbH", Locale: "en", Grain: "month",
		PeriodStart: feb, PeriodEnd: mar, Location: time.UTC,
		Generated: time.Date(2024, 3, 2, 6, 30, 0, 0, time.UTC),
		KPIs:      fixtureRows(),
		Quality: []TableQuality{
			{Table: "tickets", Read: 1300, Accepted: 1234, Rejected: 66, Reasons: []ReasonCount{
				{`channel: not one of "…"`, 4, "fax"},
				{`created_at: invalid time "…"`, 60, "2026-13-45T25:00:00Z and a long tail past the cut\x00"},
				{"b: empty", 1, ""},
				{"a: empty", 1, ""},
			}, Unmapped: []Unmapped{{Column: "status", As: "open", Rows: 7, Others: 1,
				Values: []ValueCount{{"Waiting on Engineering", 5}, {"Escalated", 1}}}}},
			{Table: "surveys", Read: 120, Accepted: 100, Skipped: 20, SkipReasons: []ReasonCount{{"score: offered", 20, ""}}},
		},
	}
}

func render(t testing.TB, r Report, opt PDFOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderPDF(&buf, r, opt); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pdfPages returns the text shown on each page of a PDF written by
// gofpdf with a UTF-8 font: the strings of its Tj operators, in order,
// decoded from UTF-16BE.
func pdfPages(t testing.TB, b []byte) [][]string {
	t.Helper()
	show := regexp.MustCompile(`\(((?:[^\\)]|\\.)*)\) ?Tj`)
	var pages [][]string
	rest := b
	for {
		i := bytes.Index(rest, []byte("\nstream\n"))
		if i < 0 {
			break
		}
		dict := rest[bytes.LastIndex(rest[:i], []byte("<<")):i]
		rest = rest[i+len("\nstream\n"):]
		j := bytes.Index(rest, []byte("\nendstream"))
		if j < 0 {
			t.Fatal("stream without endstream")
		}
		data := rest[:j]
		rest = rest[j:]
		if bytes.Contains(dict, []byte("/Length1")) || bytes.Contains(dict, []byte("/Type /Metadata")) {
			continue // a font file
		}
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("inflate: %v", err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatalf("inflate: %v", err)
			}
		}
		if !bytes.Contains(data, []byte("BT ")) {
			continue
		}
		var texts []string
		for _, m := range show.FindAllSubmatch(data, -1) {
			texts = append(texts, decodeUTF16(unescapePDF(m[1])))
		}
		pages = append(pages, texts)
	}
	return pages
}

// unescapePDF undoes the escapes of a PDF literal string.
func unescapePDF(s []byte) []byte {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			out = append(out, s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		default:
			out = append(out, s[i])
		}
	}
	return out
}

// decodeUTF16 decodes big-endian UTF-16.
func decodeUTF16(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	return string(utf16.Decode(u))
}

// after returns the n strings that follow the first s in texts.
func after(texts []string, s string, n int) []string {
	i := slices.Index(texts, s)
	if i < 0 || i+1+n > len(texts) {
		return nil
	}
	return texts[i+1 : i+1+n]
}

// pageOf returns the number (from 1) of the first page after the cover
// (which lists every heading) showing s, 0 if none does.
func pageOf(pages [][]string, s string) int {
	for i, p := range pages {
		if i > 0 && slices.Contains(p, s) {
			return i + 1
		}
	}
	return 0
}

func TestRenderPDFDeterministic(t *testing.T) {
	r := sampleReport()
	a := render(t, r, PDFOptions{})
	for i := range 3 {
		if b := render(t, r, PDFOptions{}); !bytes.Equal(a, b) {
			t.Fatalf("render %d of the same report gave different bytes", i+2)
		}
	}
	if !bytes.HasPrefix(a, []byte("%PDF-")) {
		t.Errorf("starts with %q, want %%PDF-", a[:min(len(a), 8)])
	}
	if !bytes.HasSuffix(bytes.TrimRight(a, "\r\n"), []byte("%%EOF")) {
		t.Errorf("does not end with %%%%EOF")
	}
	if !bytes.Contains(a, []byte("/CreationDate (D:20240302063000)")) ||
		!bytes.Contains(a, []byte("/ModDate (D:20240302063000)")) {
		t.Error("creation and modification dates are not the Generated time")
	}
	r.Generated = r.Generated.Add(time.Minute)
	if c := render(t, r, PDFOptions{}); bytes.Equal(a, c) {
		t.Error("a different Generated time gave the same bytes")
	}
}

// TestRenderPDFSample checks the layout of a report shaped like the
// sample: its page count, the page of each section in the contents (and
// their links), and the footer of every page.
func TestRenderPDFSample(t *testing.T) {
	pages := pdfPages(t, render(t, sampleReport(), PDFOptions{}))
	if len(pages) != 12 {
		t.Fatalf("got %d pages, want 12 (cover, summary, trends, channel mix, NPS, times, backlog, cohorts, CLV, model diagnostics, two of tables)", len(pages))
	}
	sections := []struct {
		heading string
		page    int
	}{
		{"Executive summary", 2},
		{"KPI trends", 3},
		{"Channel mix", 4},
		{"NPS breakdown", 5},
		{"Reply and resolution times", 6},
		{"Open backlog and ticket flow", 7},
		{"Cohort retention", 8},
		{"Customer lifetime value", 9},
		{"Purchase model diagnostics", 10},
		{"Key metrics, all channels", 11},
		{"By channel", 11},
		{"Data quality", 12},
	}
	cover := pages[0]
	for i, s := range sections {
		// An entry is its number, heading and page.
		at := slices.Index(cover, s.heading)
		if at < 1 || at+1 >= len(cover) || cover[at-1] != strconv.Itoa(i+1) || cover[at+1] != strconv.Itoa(s.page) {
			t.Errorf("contents entry %d %q: not listed with page %d in %q", i+1, s.heading, s.page, cover)
		}
		if got := pageOf(pages, s.heading); got != s.page {
			t.Errorf("section %q starts on page %d, want %d", s.heading, got, s.page)
		}
	}
	for i, p := range pages {
		footer := fmt.Sprintf("Page %d of %d", i+1, len(pages))
		if got := slices.Contains(p, footer); got != (i > 0) {
			t.Errorf("page %d: footer %q shown %v, want %v", i+1, footer, got, i > 0)
		}
	}
	for _, want := range []string{"Monthly CX report", "Ærø Café GmbH", "February 2024",
		"Period: February 2024 (2024-02-01 – 2024-02-29)", "Generated 2024-03-02 06:30 UTC", "Contents"} {
		if !slices.Contains(cover, want) {
			t.Errorf("cover lacks %q", want)
		}
	}
	raw := render(t, sampleReport(), PDFOptions{Uncompressed: true})
	if n := bytes.Count(raw, []byte("/Subtype /Link")); n < len(sections) {
		t.Errorf("%d links, want one per contents entry (%d)", n, len(sections))
	}
	if n := bytes.Count(raw, []byte("<</Title ")); n != len(sections) {
		t.Errorf("%d outline entries, want one per section (%d)", n, len(sections))
	}
}

// TestRenderPDFText compares the text of the fixture report, page by
// page, with testdata/report.golden and checks its key cells.
func TestRenderPDFText(t *testing.T) {
	pages := pdfPages(t, render(t, fixtureReport(), PDFOptions{}))
	all := slices.Concat(pages...)
	rows := []struct {
		label string
		want  []string // the cells that follow the label
	}{
		{"Customer satisfaction (CSAT)", []string{"82.5%", "40", "+2.5 pp"}},
		{"Customer effort score (CES)", []string{"5.25", "12 < 30", "+0.25"}},
		{"Tickets created", []string{"1,234", "1,234", "+34"}},
		{"First reply time, mean", []string{"3h 12m", "1,200", "+2h 12m"}},
		{"First reply time, median", []string{"45m 0s", "1,200", "–"}},
		{"brand_new_metric", []string{"1.50", "3 < 30", "–"}},
		// Channel table: Tickets, CSAT, NPS.
		{"Chat", []string{"834", "90.0%", "no data"}},
		{"Unknown", []string{"no data", "no data", "no data"}},
		// Data quality.
		{"Surveys", []string{"120", "100", "20", "0", "none"}},
		// Skipped rows and values outside the vocabulary.
		{"score: offered", []string{"20"}},
		{"Waiting on Engineering", []string{"5", "open"}},
		{"(all other values)", []string{"1", "open"}},
	}
	tables := pageOf(pages, "Key metrics, all channels") - 1
	if tables < 0 {
		t.Fatal("no page with the KPI table")
	}
	texts := slices.Concat(pages[tables:]...)
	for _, r := range rows {
		if got := after(texts, r.label, len(r.want)); !slices.Equal(got, r.want) {
			t.Errorf("row %q: got %q, want %q", r.label, got, r.want)
		}
	}
	if got := after(texts, "Net Promoter Score (NPS)", 3); !slices.Equal(got, []string{"no data", "0", "–"}) {
		t.Errorf("NPS row %q, want no data, 0 observations, no change", got)
	}
	for _, s := range []string{"0.0", "0.0%"} {
		if slices.Contains(all, s) {
			t.Errorf("a missing value shows as %q", s)
		}
	}

	golden := filepath.Join("testdata", "report.golden")
	var got bytes.Buffer
	for i, p := range pages {
		fmt.Fprintf(&got, "## page %d\n%s\n", i+1, strings.Join(p, "\n"))
	}
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("text differs from %s (go test -update rewrites it):\n%s", golden, got.Bytes())
	}
}

// TestRenderPDFUncompressed checks the option: no stream is compressed
// but the fonts, and the pages show the same text.
func TestRenderPDFUncompressed(t *testing.T) {
	raw := render(t, fixtureReport(), PDFOptions{Uncompressed: true})
	if n, fonts := bytes.Count(raw, []byte("/FlateDecode")), 4; n > fonts {
		t.Errorf("%d compressed streams, want only the %d of the fonts", n, fonts)
	}
	if !slices.EqualFunc(pdfPages(t, raw), pdfPages(t, render(t, fixtureReport(), PDFOptions{})), slices.Equal) {
		t.Error("compressed and uncompressed outputs show different text")
	}
}

// TestRenderPDFPages checks a table that spans pages: the header repeats
// and every page is numbered.
func TestRenderPDFPages(t *testing.T) {
	r := fixtureReport()
	for i := range 90 {
		r.KPIs = append(r.KPIs, row(feb, fmt.Sprintf("extra_%02d", i), "count", "all", "all", kpi.Some(float64(i)), int64(i)))
	}
	pages := pdfPages(t, render(t, r, PDFOptions{}))
	first := pageOf(pages, "Key metrics, all channels")
	if first == 0 || first+2 > len(pages) {
		t.Fatalf("KPI table on page %d of %d, want it to span at least 3 pages", first, len(pages))
	}
	for i, p := range pages[1:] {
		if want := fmt.Sprintf("Page %d of %d", i+2, len(pages)); !slices.Contains(p, want) {
			t.Errorf("page %d: footer %q not found", i+2, want)
		}
	}
	if !slices.Contains(pages[first], "Observations") {
		t.Errorf("table header not repeated on page %d", first+1)
	}
	all := slices.Concat(pages...)
	for i := range 90 {
		if !slices.Contains(all, fmt.Sprintf("extra_%02d", i)) {
			t.Errorf("row extra_%02d missing", i)
		}
	}
}

func TestRenderPDFEmpty(t *testing.T) {
	r := Report{PeriodStart: feb, PeriodEnd: mar, Generated: mar}
	pages := pdfPages(t, render(t, r, PDFOptions{}))
	texts := slices.Concat(pages...)
	for _, want := range []string{
		"Customer experience report",
		"Period: 2024-02-01 – 2024-02-29",
		"No metrics were computed for this period.",
		"No per-channel metrics for this period.",
		"No data for this section.",
		"No cohort data for this report.",
		"No customer lifetime value data for this report.",
		"No input tables were read.",
	} {
		if !slices.Contains(texts, want) {
			t.Errorf("text %q not found in %q", want, texts)
		}
	}
	if len(pages) > 3 {
		t.Errorf("an empty report takes %d pages, want its empty sections to share pages", len(pages))
	}
}

func TestRenderPDFErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Report)
		wantErr error
	}{
		{"no generated time", func(r *Report) { r.Generated = time.Time{} }, ErrReport},
		{"empty period", func(r *Report) { r.PeriodEnd = r.PeriodStart }, ErrReport},
		{"unknown locale", func(r *Report) { r.Locale = "tlh" }, templates.ErrUnknownLocale},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fixtureReport()
			tc.edit(&r)
			if err := RenderPDF(io.Discard, r, PDFOptions{}); !errors.Is(err, tc.wantErr) {
				t.Errorf("RenderPDF: got %v, want %v", err, tc.wantErr)
			}
			dir := t.TempDir()
			if err := WritePDF(filepath.Join(dir, "report.pdf"), r); !errors.Is(err, tc.wantErr) {
				t.Errorf("WritePDF: got %v, want %v", err, tc.wantErr)
			}
			if got := entries(t, dir); len(got) != 0 {
				t.Errorf("directory holds %v after a failed write", got)
			}
		})
	}
}

// pdftotext returns the text of the PDF file at path as read by poppler,
// skipping the test when pdftotext is not installed.
func pdftotext(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed; skipping the check with an independent reader")
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestWritePDF checks the file, and its text with pdftotext when that is
// installed.
func TestWritePDF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := WritePDF(path, sampleReport()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := render(t, sampleReport(), PDFOptions{}); !bytes.Equal(b, want) {
		t.Error("file differs from RenderPDF's output")
	}
	out := pdftotext(t, path)
	for _, want := range []string{"Monthly CX report", "Ærø Café GmbH", "Customer satisfaction (CSAT)", "80.0%",
		"no data", "17h 10m", "Page 2 of 12", "Executive summary", "Open backlog and ticket flow", "Cohort retention", "Valuable customers at risk",
		"Purchase model diagnostics", "Cumulative repeat purchases by week", "end of calibration"} {
		if !strings.Contains(out, want) {
			t.Errorf("pdftotext output lacks %q", want)
		}
	}
}

// TestRenderPDFReconciliation: the data-quality page counts the tickets
// whose durations differ from their helpdesk's, by metric and reason, and
// says nothing of them when there are none.
func TestRenderPDFReconciliation(t *testing.T) {
	r := fixtureReport()
	r.Reconciliation = []ReconcileCount{{"first_reply_time_bh", "business_hours", 12}, {"first_reply_time", "no_public_reply", 3}}
	texts := slices.Concat(pdfPages(t, render(t, r, PDFOptions{}))...)
	if !slices.Contains(texts, "Differences from the helpdesk's own metrics") {
		t.Error("no reconciliation subheading")
	}
	for _, row := range [][]string{
		{"First reply time, business hours, mean", "business_hours", "12"},
		{"First reply time, mean", "no_public_reply", "3"},
	} {
		i := slices.Index(texts, row[1])
		if i < 1 || texts[i-1] != row[0] || i+1 >= len(texts) || texts[i+1] != row[2] {
			t.Errorf("reconciliation row %q not found", row)
		}
	}
	if slices.Contains(slices.Concat(pdfPages(t, render(t, fixtureReport(), PDFOptions{}))...), "Differences from the helpdesk's own metrics") {
		t.Error("a reconciliation subheading without differences")
	}
}
