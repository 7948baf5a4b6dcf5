package reports

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cxkpi/cxkpi/templates"
)

// localeTests are, per locale, strings the fixture report must show:
// section headings, "no data", the period in words, a percentage, a
// count with thousands, a duration and the footer of page 2 ({pages} is
// the page count).
var localeTests = []struct {
	locale string
	want   []string
}{
	{"en", []string{"Executive summary", "KPI trends", "no data", "Period: February 2024 (2024-02-01 – 2024-02-29)",
		"82.5%", "1,234", "3h 12m", "Page 2 of {pages}"}},
	{"pt", []string{"Resumo executivo", "Evolução dos indicadores", "sem dados", "Período: fevereiro de 2024 (01/02/2024 – 29/02/2024)",
		"82,5%", "1\u00a0234", "3h 12min", "Página 2 de {pages}"}},
	{"es", []string{"Resumen ejecutivo", "Evolución de los indicadores", "sin datos", "Periodo: febrero de 2024 (01/02/2024 – 29/02/2024)",
		"82,5\u00a0%", "1.234", "3h 12min", "Página 2 de {pages}"}},
	{"gl", []string{"Resumo executivo", "Evolución dos indicadores", "sen datos", "Período: febreiro de 2024 (01/02/2024 – 29/02/2024)",
		"82,5\u00a0%", "1.234", "3h 12min", "Páxina 2 de {pages}"}},
	{"el", []string{"Σύνοψη για τη διοίκηση", "Τάσεις δεικτών", "χωρίς δεδομένα", "Περίοδος: Φεβρουάριος 2024 (01/02/2024 – 29/02/2024)",
		"82,5%", "1.234", "3\u00a0ώρ. 12\u00a0λεπ.", "Σελίδα 2 από {pages}"}},
}

// rawKey matches a template key shown instead of its text, which is
// what [templates.Text.Get] returns for a key the locale lacks.
var rawKey = regexp.MustCompile(`^(report|chart|cohort|clv|column|axis|grain|month|month_short|format|duration|metric|channel|table)\.[a-z0-9_.]+$`)

func TestRenderPDFLocales(t *testing.T) {
	if got, want := len(localeTests), len(templates.Locales()); got != want {
		t.Errorf("%d locales tested, %d defined (%v)", got, want, templates.Locales())
	}
	for _, tc := range localeTests {
		t.Run(tc.locale, func(t *testing.T) {
			r := fixtureReport()
			r.Locale = tc.locale
			r.Title = "" // the locale's default title
			r.Cohorts, r.CLV, r.AtRisk = fixtureCohorts(), fixtureCLV(), fixtureAtRisk()
			r.CLVDiagnostics = fixtureDiagnostics()
			tx, err := templates.Load(tc.locale)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "report.pdf")
			if err := WritePDF(path, r); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			pages := pdfPages(t, b)
			texts := slices.Concat(pages...)
			joined := strings.Join(texts, "\n")
			wants := append([]string{tx.Get("report.default_title")}, tc.want...)
			for i, w := range wants {
				wants[i] = fill(w, "pages", strconv.Itoa(len(pages)))
			}
			for _, want := range wants {
				if !strings.Contains(joined, want) {
					t.Errorf("text %q not found", want)
				}
			}
			for _, s := range texts {
				if rawKey.MatchString(s) {
					t.Errorf("raw template key %q shown", s)
				}
			}
			// An independent reader sees the same text, Greek included.
			out := pdftotext(t, path)
			for _, want := range wants {
				if want = strings.ReplaceAll(want, "\u00a0", " "); !strings.Contains(strings.ReplaceAll(out, "\u00a0", " "), want) {
					t.Errorf("pdftotext output lacks %q", want)
				}
			}
		})
	}
}

// TestRenderPDFGreek checks with pdftotext that Greek metric names,
// month names and headings survive the embedding of the font intact.
func TestRenderPDFGreek(t *testing.T) {
	r := sampleReport()
	r.Locale = "el"
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := WritePDF(path, r); err != nil {
		t.Fatal(err)
	}
	out := pdftotext(t, path)
	for _, want := range []string{
		"Ικανοποίηση πελατών (CSAT)",
		"Φεβρουάριος 2024",
		"Περιεχόμενα",
		"Διακράτηση πελατών ανά κοόρτη",
		"Πολύτιμοι πελάτες σε κίνδυνο",
		"Υποστηρικτές",
		"Ποιότητα δεδομένων",
		"Σελίδα 3 από ", // the footer, in Greek; the page count follows
		"Διαγνωστικά του μοντέλου αγορών",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("pdftotext output lacks %q", want)
		}
	}
	if strings.ContainsRune(out, '\uFFFD') || strings.Contains(out, "?????") {
		t.Error("pdftotext output has replacement characters: a glyph is missing")
	}
}
