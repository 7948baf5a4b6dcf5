package templates

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestLoadEnglish(t *testing.T) {
	tx, err := Load("en")
	if err != nil {
		t.Fatal(err)
	}
	if got := tx.Locale(); got != "en" {
		t.Errorf("Locale() = %q, want en", got)
	}
	if got := tx.Get("report.no_data"); got != "no data" {
		t.Errorf(`Get("report.no_data") = %q, want "no data"`, got)
	}
	if got := tx.Metric("csat"); got != "Customer satisfaction (CSAT)" {
		t.Errorf(`Metric("csat") = %q`, got)
	}
	if got := tx.Metric("brand_new_metric"); got != "brand_new_metric" {
		t.Errorf("unknown metric = %q, want its raw name", got)
	}
	if got := tx.Get("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q, want the key", got)
	}
	if _, ok := tx.Lookup("no.such.key"); ok {
		t.Error("Lookup of a missing key reports ok")
	}
	if got := tx.Or("channel.carrier_pigeon", "carrier_pigeon"); got != "carrier_pigeon" {
		t.Errorf("Or fallback = %q", got)
	}
	if got := tx.Get("month.3"); got != "March" {
		t.Errorf(`Get("month.3") = %q, want March`, got)
	}
}

func TestLoadUnknownLocale(t *testing.T) {
	for _, loc := range []string{"", "xx", "../templates", "text/en", "EN.yaml"} {
		_, err := Load(loc)
		if !errors.Is(err, ErrUnknownLocale) {
			t.Errorf("Load(%q) error = %v, want ErrUnknownLocale", loc, err)
			continue
		}
		if !strings.Contains(err.Error(), "en") {
			t.Errorf("Load(%q) error %q does not list the known locales", loc, err)
		}
	}
}

var fillTests = []struct {
	name  string
	pairs []string
	want  string
}{
	{"both", []string{"page", "2", "pages", "5"}, "Page 2 of 5"},
	{"reordered pairs", []string{"pages", "5", "page", "2"}, "Page 2 of 5"},
	{"missing value", []string{"page", "2", "pages"}, "Page 2 of {pages}"},
	{"none", nil, "Page {page} of {pages}"},
	{"value with braces", []string{"page", "{pages}", "pages", "1"}, "Page {pages} of 1"},
}

func TestFill(t *testing.T) {
	tx, err := Load("en")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range fillTests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tx.Fill("report.page", tc.pairs...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

var parseTests = []struct {
	name    string
	in      string
	want    map[string]string
	wantErr string
}{
	{"nested", "a:\n  b: x\n  c:\n    d: y\ne: z\n", map[string]string{"a.b": "x", "a.c.d": "y", "e": "z"}, ""},
	{"numeric keys and values", "month:\n  1: January\nn: 12\n", map[string]string{"month.1": "January", "n": "12"}, ""},
	{"empty string", "a: \"\"\n", map[string]string{"a": ""}, ""},
	{"empty document", "", map[string]string{}, ""},
	{"null value", "a:\n  b:\n", nil, "a.b: empty value"},
	{"list value", "a: [x, y]\n", nil, "a: value must be"},
	{"dotted key", "a.b: x\n", nil, "without dots"},
	{"top-level scalar", "hello\n", nil, "top level"},
	{"duplicate key", "a: x\na: y\n", nil, "defined twice"},
	{"bad yaml", "a: [\n", nil, "yaml"},
}

func TestParse(t *testing.T) {
	for _, tc := range parseTests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("key %q: got %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// TestLocalesComplete checks that every locale loads and defines the same
// keys, with the same placeholders, as English.
func TestLocalesComplete(t *testing.T) {
	locales := Locales()
	if !slices.Contains(locales, "en") {
		t.Fatalf("Locales() = %v, want it to contain en", locales)
	}
	en, err := Load("en")
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range locales {
		tx, err := Load(loc)
		if err != nil {
			t.Errorf("Load(%q): %v", loc, err)
			continue
		}
		if got, want := tx.Keys(), en.Keys(); !slices.Equal(got, want) {
			t.Errorf("%s keys differ from en:\n got %v\nwant %v", loc, got, want)
		}
		for _, k := range en.Keys() {
			got := placeholder.FindAllString(tx.Get(k), -1)
			want := placeholder.FindAllString(en.Get(k), -1)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: placeholders %v, want %v", loc, k, got, want)
			}
		}
	}
}

// TestMetricNames checks that every metric defined in docs/metrics.md has
// a display name, so that no report shows a raw metric name.
func TestMetricNames(t *testing.T) {
	b, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Skipf("metric definitions not found: %v", err)
	}
	// A section heading names one metric or several: "### a, a_median".
	var names []string
	for _, h := range regexp.MustCompile(`(?m)^### ([a-z0-9_, ]+?)\s*$`).FindAllStringSubmatch(string(b), -1) {
		for _, n := range strings.Split(h[1], ",") {
			names = append(names, strings.TrimSpace(n))
		}
	}
	if len(names) == 0 {
		t.Fatal("no metric sections found in docs/metrics.md")
	}
	for _, loc := range Locales() {
		tx, err := Load(loc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range names {
			if _, ok := tx.Lookup("metric." + m); !ok {
				t.Errorf("%s: metric %s has no display name (key metric.%s)", loc, m, m)
			}
		}
	}
}

// FuzzParse checks that no input makes the parser panic, and that what it
// accepts has no empty or dotted-twice keys.
func FuzzParse(f *testing.F) {
	for _, tc := range parseTests {
		f.Add(tc.in)
	}
	if b, err := files.ReadFile("text/en.yaml"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, err := parse([]byte(in))
		if err != nil {
			return
		}
		for k := range m {
			if k == "" || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") || strings.Contains(k, "..") {
				t.Errorf("accepted malformed key %q", k)
			}
		}
	})
}

// TestFont checks that both weights are embedded TrueType files.
func TestFont(t *testing.T) {
	regular, err := Font(false)
	if err != nil {
		t.Fatal(err)
	}
	bold, err := Font(true)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"regular": regular, "bold": bold} {
		if len(b) < 100_000 || string(b[:4]) != "\x00\x01\x00\x00" {
			t.Errorf("%s: %d bytes starting %q, want a TrueType file", name, len(b), b[:min(len(b), 4)])
		}
	}
	if string(regular) == string(bold) {
		t.Error("regular and bold are the same file")
	}
	regular[0] = 'x' // a copy: the next call is unaffected
	if again, _ := Font(false); again[0] != 0 {
		t.Error("Font returns the embedded bytes, not a copy")
	}
}

var localeFormatTests = []struct {
	locale, decimal, noData, month string
}{
	{"en", ".", "no data", "March"},
	{"pt", ",", "sem dados", "março"},
	{"es", ",", "sin datos", "marzo"},
	{"gl", ",", "sen datos", "marzo"},
	{"el", ",", "χωρίς δεδομένα", "Μάρτιος"},
}

// TestLocaleFormats checks what each locale must translate rather than
// copy from English.
func TestLocaleFormats(t *testing.T) {
	for _, tc := range localeFormatTests {
		t.Run(tc.locale, func(t *testing.T) {
			tx, err := Load(tc.locale)
			if err != nil {
				t.Fatal(err)
			}
			for key, want := range map[string]string{"format.decimal": tc.decimal, "report.no_data": tc.noData, "month.3": tc.month} {
				if got := tx.Get(key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			if tx.Get("format.thousands") == tx.Get("format.decimal") {
				t.Error("thousands and decimal separators are the same")
			}
		})
	}
}
