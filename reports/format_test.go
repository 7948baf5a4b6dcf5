package reports

import (
	"math"
	"testing"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/templates"
)

func englishNumbers(t testing.TB) numbers {
	t.Helper()
	tx, err := templates.Load("en")
	if err != nil {
		t.Fatal(err)
	}
	return newNumbers(tx)
}

var valueTests = []struct {
	name string
	n    kpi.Num
	unit kpi.Unit
	want string
}{
	{"percent", kpi.Some(62.5), "%", "62.5%"},
	{"percent rounds", kpi.Some(82.46), "%", "82.5%"},
	{"percent zero", kpi.Some(0), "%", "0.0%"},
	{"percent hundred", kpi.Some(100), "%", "100.0%"},
	{"points negative", kpi.Some(-12.345), "points", "-12.3"},
	{"points tiny negative", kpi.Some(-0.01), "points", "0.0"},
	{"score", kpi.Some(4.125), "score", "4.13"},
	{"score", kpi.Some(5.254), "score", "5.25"},
	{"count", kpi.Some(1234), "count", "1,234"},
	{"count millions", kpi.Some(1234567), "count", "1,234,567"},
	{"count small", kpi.Some(999), "count", "999"},
	{"count negative", kpi.Some(-1234567), "count", "-1,234,567"},
	{"currency", kpi.Some(12345.678), "currency", "12,345.68"},
	{"unknown unit", kpi.Some(1.5), "widgets", "1.50 widgets"},
	{"seconds", kpi.Some(45), "seconds", "45s"},
	{"seconds zero", kpi.Some(0), "seconds", "0s"},
	{"seconds round down", kpi.Some(0.4), "seconds", "0s"},
	{"minutes", kpi.Some(725), "seconds", "12m 5s"},
	{"minutes carry", kpi.Some(59.6), "seconds", "1m 0s"},
	{"hours", kpi.Some(3*3600 + 12*60), "seconds", "3h 12m"},
	{"hours round", kpi.Some(3*3600 + 12*60 + 31), "seconds", "3h 13m"},
	{"hour carry", kpi.Some(3599.6), "seconds", "1h 0m"},
	{"day carry", kpi.Some(86399), "seconds", "1d 0h"},
	{"days", kpi.Some(2*86400 + 4*3600 + 10), "seconds", "2d 4h"},
	{"no data", kpi.Num{}, "%", "no data"},
	{"no data keeps value out", kpi.Num{V: 3}, "count", "no data"},
	{"NaN", kpi.Some(math.NaN()), "score", "no data"},
	{"infinity", kpi.Some(math.Inf(1)), "seconds", "no data"},
}

func TestFormatValue(t *testing.T) {
	f := englishNumbers(t)
	for _, tc := range valueTests {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.value(tc.n, tc.unit); got != tc.want {
				t.Errorf("value(%v, %q) = %q, want %q", tc.n, tc.unit, got, tc.want)
			}
		})
	}
}

var changeTests = []struct {
	name string
	d    kpi.Num
	unit kpi.Unit
	want string
}{
	{"percent up", kpi.Some(2.5), "%", "+2.5 pp"},
	{"percent down", kpi.Some(-0.25), "%", "-0.3 pp"},
	{"percent rounds to zero", kpi.Some(0.04), "%", "0.0 pp"},
	{"points", kpi.Some(3), "points", "+3.0"},
	{"score", kpi.Some(0.254), "score", "+0.25"},
	{"count", kpi.Some(34), "count", "+34"},
	{"count down", kpi.Some(-1500), "count", "-1,500"},
	{"count zero", kpi.Some(0), "count", "0"},
	{"seconds up", kpi.Some(7920), "seconds", "+2h 12m"},
	{"seconds down", kpi.Some(-90), "seconds", "-1m 30s"},
	{"seconds zero", kpi.Some(0.2), "seconds", "0s"},
	{"no data", kpi.Num{}, "%", "no data"},
}

func TestFormatChange(t *testing.T) {
	f := englishNumbers(t)
	for _, tc := range changeTests {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.change(tc.d, tc.unit); got != tc.want {
				t.Errorf("change(%v, %q) = %q, want %q", tc.d, tc.unit, got, tc.want)
			}
		})
	}
}

func TestFormatSeparators(t *testing.T) {
	f := englishNumbers(t)
	f.decimal, f.thousands, f.percent = ",", ".", "{v} %"
	if got, want := f.value(kpi.Some(1234567.891), "score"), "1.234.567,89"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := f.value(kpi.Some(62.5), "%"), "62,5 %"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := f.count(-1234), "-1.234"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Amounts carry the report currency's symbol where the locale places it,
// rounded to the currency's decimals.
func TestCurrencyFormat(t *testing.T) {
	for _, tc := range []struct {
		locale, code string
		v            float64
		signed       bool
		want         string
	}{
		{"en", "EUR", 1234.56, false, "€1,234.56"},
		{"pt", "EUR", 1234.56, false, "1\u00a0234,56 €"}, // European Portuguese groups with a space (CLDR pt-PT)
		{"es", "EUR", 1234.56, false, "1.234,56 €"},
		{"gl", "EUR", 1234.56, false, "1.234,56 €"},
		{"el", "EUR", 1234.56, false, "1.234,56 €"},
		{"en", "USD", -12.5, true, "-$12.50"},
		{"pt", "EUR", 135.66, true, "+135,66 €"},
		{"en", "JPY", 1234.56, false, "¥1,235"}, // no minor unit
		{"en", "", 1234.56, false, "1,234.56"},  // no currency: a plain number
	} {
		tx, err := templates.Load(tc.locale)
		if err != nil {
			t.Fatal(err)
		}
		nf, err := newNumbers(tx).withCurrency(tc.code, tc.locale)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if tc.signed {
			got = nf.change(kpi.Some(tc.v), kpi.UnitCurrency)
		} else {
			got = nf.value(kpi.Some(tc.v), kpi.UnitCurrency)
		}
		if got != tc.want {
			t.Errorf("%s %s %v: %q, want %q", tc.locale, tc.code, tc.v, got, tc.want)
		}
	}
	tx, _ := templates.Load("en")
	if _, err := newNumbers(tx).withCurrency("EURO", "en"); err == nil {
		t.Error("EURO accepted as an ISO 4217 code")
	}
}
