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
	"strings"
	"testing"
	"time"

	"github.com/jung-kurt/gofpdf"

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
				{`channel: not one of "…"`, 4},
				{`created_at: invalid time "…"`, 60},
				{"b: empty", 1},
				{"a: empty", 1},
			}},
			{Table: "surveys", Read: 100, Accepted: 100},
		},
	}
}

func render(t *testing.T, r Report, opt PDFOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderPDF(&buf, r, opt); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pdfPages returns the text shown on each page of a PDF written by
// gofpdf: the strings of its Tj operators, in order, decoded from cp1252.
func pdfPages(t *testing.T, b []byte) [][]string {
	t.Helper()
	decode := cp1252Decoder()
	show := regexp.MustCompile(`\(((?:[^()\\]|\\.)*)\) ?Tj`)
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
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("inflate: %v", err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatalf("inflate: %v", err)
			}
		}
		var texts []string
		for _, m := range show.FindAllSubmatch(data, -1) {
			texts = append(texts, decode(unescapePDF(m[1])))
		}
		if texts != nil {
			pages = append(pages, texts)
		}
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

// cp1252Decoder inverts gofpdf's cp1252 translation.
func cp1252Decoder() func([]byte) string {
	tr := gofpdf.New("P", "mm", "A4", "").UnicodeTranslatorFromDescriptor("cp1252")
	inverse := map[byte]rune{}
	for r := rune(0x80); r < 0x2200; r++ {
		if b := tr(string(r)); b != "." {
			inverse[b[0]] = r
		}
	}
	return func(b []byte) string {
		var sb strings.Builder
		for _, c := range b {
			if r, ok := inverse[c]; ok && c >= 0x80 {
				sb.WriteRune(r)
			} else {
				sb.WriteByte(c)
			}
		}
		return sb.String()
	}
}

// after returns the n strings that follow the first s in texts.
func after(texts []string, s string, n int) []string {
	i := slices.Index(texts, s)
	if i < 0 || i+1+n > len(texts) {
		return nil
	}
	return texts[i+1 : i+1+n]
}

func TestRenderPDFDeterministic(t *testing.T) {
	r := fixtureReport()
	a := render(t, r, PDFOptions{})
	b := render(t, r, PDFOptions{})
	if !bytes.Equal(a, b) {
		t.Fatal("the same report gave different bytes")
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

func TestRenderPDFText(t *testing.T) {
	pages := pdfPages(t, render(t, fixtureReport(), PDFOptions{}))
	if len(pages) != 1 {
		t.Fatalf("got %d pages, want 1", len(pages))
	}
	texts := pages[0]
	for _, want := range []string{
		"Monthly CX report",
		"Ærø Café GmbH",
		"Period: February 2024 (2024-02-01 – 2024-02-29)",
		"Generated 2024-03-02 06:30 UTC",
		"Key metrics, all channels",
		"By channel",
		"Data quality",
		"Page 1 of 1",
	} {
		if !slices.Contains(texts, want) {
			t.Errorf("text %q not found", want)
		}
	}
	rows := []struct {
		label string
		want  []string // the cells that follow the label
	}{
		{"Customer satisfaction (CSAT)", []string{"82.5%", "40", "+2.5 pp"}},
		{"Net Promoter Score (NPS)", []string{"no data", "0", "–"}},
		{"Customer effort score (CES)", []string{"5.25", "12", "+0.25"}},
		{"Tickets created", []string{"1,234", "1,234", "+34"}},
		{"First reply time, mean", []string{"3h 12m", "1,200", "+2h 12m"}},
		{"First reply time, median", []string{"45m 0s", "1,200", "–"}},
		{"brand_new_metric", []string{"1.50", "3", "–"}},
		// Channel table: Tickets, CSAT, NPS.
		{"Chat", []string{"834", "90.0%", "no data"}},
		{"Email", []string{"400", "75.0%", "no data"}},
		{"Unknown", []string{"no data", "no data", "no data"}},
		// Data quality.
		{"Tickets", []string{"1,300", "1,234", "66", `created_at: invalid time "…" (60)`, `channel: not one of "…" (4)`, "a: empty (1)", "… and 1 more"}},
		{"Surveys", []string{"100", "100", "0", "none"}},
	}
	quality := slices.Index(texts, "Data quality")
	for _, r := range rows {
		in := texts
		if r.label == "Tickets" || r.label == "Surveys" {
			in = texts[quality:] // "Tickets" also heads a channel column
		}
		if got := after(in, r.label, len(r.want)); !slices.Equal(got, r.want) {
			t.Errorf("row %q: got %q, want %q", r.label, got, r.want)
		}
	}
	if got := after(texts, "Channel", 3); !slices.Equal(got, []string{"Tickets", "CSAT", "NPS"}) {
		t.Errorf("channel columns %q, want Tickets, CSAT, NPS", got)
	}
	if i, j := slices.Index(texts, "Email"), slices.Index(texts, "Unknown"); i > j {
		t.Error(`channel "unknown" is not last`)
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

// TestRenderPDFUncompressed checks the option: the text is readable in
// the file and the pages show the same text as the compressed ones.
func TestRenderPDFUncompressed(t *testing.T) {
	raw := render(t, fixtureReport(), PDFOptions{Uncompressed: true})
	if bytes.Contains(raw, []byte("/FlateDecode")) {
		t.Error("uncompressed output has compressed streams")
	}
	if !bytes.Contains(raw, []byte(`(Customer satisfaction \(CSAT\))Tj`)) {
		t.Error("metric label not found in the page content")
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
	if len(pages) < 3 {
		t.Fatalf("got %d pages, want at least 3", len(pages))
	}
	for i, p := range pages {
		if want := fmt.Sprintf("Page %d of %d", i+1, len(pages)); !slices.Contains(p, want) {
			t.Errorf("page %d: footer %q not found", i+1, want)
		}
	}
	if !slices.Contains(pages[1], "Observations") {
		t.Error("table header not repeated on page 2")
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
	texts := slices.Concat(pdfPages(t, render(t, r, PDFOptions{}))...)
	for _, want := range []string{
		"Customer experience report",
		"Period: 2024-02-01 – 2024-02-29",
		"No metrics were computed for this period.",
		"No per-channel metrics for this period.",
		"No input tables were read.",
	} {
		if !slices.Contains(texts, want) {
			t.Errorf("text %q not found in %q", want, texts)
		}
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

// TestWritePDF checks the file, and its text with pdftotext when that is
// installed.
func TestWritePDF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := WritePDF(path, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := render(t, fixtureReport(), PDFOptions{}); !bytes.Equal(b, want) {
		t.Error("file differs from RenderPDF's output")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed; skipping the check with an independent reader")
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, want := range []string{"Monthly CX report", "Ærø Café GmbH", "Customer satisfaction (CSAT)", "82.5%", "no data", "3h 12m", "Page 1 of 1"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("pdftotext output lacks %q:\n%s", want, out)
		}
	}
}
