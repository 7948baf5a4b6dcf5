package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/templates"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// numbers formats KPI values for display in one locale.
type numbers struct {
	decimal, thousands string // separators
	percent, points    string // templates with {v}: "{v}%", "{v} pp"
	days, hours        string // duration parts with {n}
	minutes, seconds   string
	noData             string
	// money places an amount and its currency's symbol ({v}, {symbol});
	// symbol and moneyDec are the report currency's, "" when the report
	// has none (amounts are then plain numbers with two decimals).
	money, symbol string
	moneyDec      int
}

func newNumbers(tx *templates.Text) numbers {
	return numbers{
		decimal:   tx.Get("format.decimal"),
		thousands: tx.Get("format.thousands"),
		percent:   tx.Get("format.percent"),
		points:    tx.Get("format.percent_points"),
		days:      tx.Get("duration.days"),
		hours:     tx.Get("duration.hours"),
		minutes:   tx.Get("duration.minutes"),
		seconds:   tx.Get("duration.seconds"),
		noData:    tx.Get("report.no_data"),
		money:     tx.Get("format.money"),
		moneyDec:  2,
	}
}

// withCurrency returns f showing amounts in the ISO 4217 currency code,
// with its symbol in the language of locale and its standard number of
// decimals (CLDR, through golang.org/x/text/currency): "€1,234.56" in
// English, "1.234,56 €" in Portuguese. An empty code leaves f as it is.
func (f numbers) withCurrency(code, locale string) (numbers, error) {
	if code == "" {
		return f, nil
	}
	unit, err := currency.ParseISO(code)
	if err != nil {
		return f, fmt.Errorf("%w: currency %q is not an ISO 4217 code", ErrReport, code)
	}
	tag, err := language.Parse(locale)
	if err != nil {
		tag = language.English
	}
	f.symbol = message.NewPrinter(tag).Sprint(currency.Symbol(unit))
	f.moneyDec, _ = currency.Standard.Rounding(unit)
	return f, nil
}

// amount formats an amount of the report currency, signed or not.
func (f numbers) amount(v float64, signed bool) string {
	if f.symbol == "" {
		return f.fixed(v, 2, signed)
	}
	s := f.fixed(v, f.moneyDec, signed)
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	return sign + fill(fill(f.money, "v", s), "symbol", f.symbol)
}

// decimals returns the digits after the decimal point shown for unit.
func decimals(unit kpi.Unit) int {
	switch unit {
	case kpi.UnitCount:
		return 0
	case kpi.UnitPercent, kpi.UnitPoints:
		return 1
	default: // "score", "currency" and units not known here
		return 2
	}
}

// value formats a KPI value of unit: "%" as "62.5%", "points" with one
// decimal, "score" and "currency" with two, "seconds" as a duration
// ("3h 12m"), "count" as an integer with thousands separators. Another
// unit is shown after the number. A missing or non-finite value is the
// locale's "no data", never 0.
func (f numbers) value(n kpi.Num, unit kpi.Unit) string {
	if !n.Valid || math.IsNaN(n.V) || math.IsInf(n.V, 0) {
		return f.noData
	}
	switch unit {
	case kpi.UnitSeconds:
		return f.duration(n.V, false)
	case kpi.UnitPercent:
		return fill(f.percent, "v", f.fixed(n.V, 1, false))
	case kpi.UnitCurrency:
		return f.amount(n.V, false)
	case kpi.UnitPoints, kpi.UnitScore, kpi.UnitCount:
		return f.fixed(n.V, decimals(unit), false)
	default:
		return f.fixed(n.V, decimals(unit), false) + " " + string(unit)
	}
}

// change formats the difference between two values of unit, with its
// sign: percentage points for "%" ("+2.5 pp"), a signed duration for
// "seconds", a signed number otherwise. A difference that rounds to zero
// has no sign. A missing difference is the locale's "no data".
func (f numbers) change(d kpi.Num, unit kpi.Unit) string {
	if !d.Valid || math.IsNaN(d.V) || math.IsInf(d.V, 0) {
		return f.noData
	}
	switch unit {
	case kpi.UnitSeconds:
		return f.duration(d.V, true)
	case kpi.UnitPercent:
		return fill(f.points, "v", f.fixed(d.V, 1, true))
	case kpi.UnitCurrency:
		return f.amount(d.V, true)
	case kpi.UnitPoints, kpi.UnitScore, kpi.UnitCount:
		return f.fixed(d.V, decimals(unit), true)
	default:
		return f.fixed(d.V, decimals(unit), true) + " " + string(unit)
	}
}

// fixed formats v with dec decimals, rounded half away from zero, and
// grouped thousands; signed adds "+" before a positive number. A number
// that rounds to zero is shown without a sign.
func (f numbers) fixed(v float64, dec int, signed bool) string {
	scale := math.Pow10(dec)
	s := strconv.FormatFloat(math.Round(math.Abs(v)*scale)/scale, 'f', dec, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if strings.Trim(s, "0.") != "" {
		if v < 0 {
			b.WriteByte('-')
		} else if signed {
			b.WriteByte('+')
		}
	}
	b.WriteString(f.group(intPart))
	if frac != "" {
		b.WriteString(f.decimal)
		b.WriteString(frac)
	}
	return b.String()
}

// group inserts the thousands separator into a string of digits.
func (f numbers) group(digits string) string {
	if len(digits) <= 3 || f.thousands == "" {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteString(f.thousands)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// duration formats seconds with the two largest parts that matter:
// "45s", "12m 5s", "3h 12m", "2d 4h". The last part shown is rounded to
// the nearest unit.
func (f numbers) duration(secs float64, signed bool) string {
	sign := ""
	s := math.Round(math.Abs(secs))
	if s > 0 {
		if secs < 0 {
			sign = "-"
		} else if signed {
			sign = "+"
		}
	}
	part := func(tmpl string, n int64) string { return fill(tmpl, "n", strconv.FormatInt(n, 10)) }
	switch {
	case s < 60:
		return sign + part(f.seconds, int64(s))
	case s < 3600:
		return sign + part(f.minutes, int64(s)/60) + " " + part(f.seconds, int64(s)%60)
	}
	if mins := int64(math.Round(s / 60)); mins < 24*60 {
		return sign + part(f.hours, mins/60) + " " + part(f.minutes, mins%60)
	}
	hours := int64(math.Round(s / 3600))
	return sign + part(f.days, hours/24) + " " + part(f.hours, hours%24)
}

// count formats an integer with thousands separators.
func (f numbers) count(n int64) string {
	s := strconv.FormatInt(n, 10)
	if digits, neg := strings.CutPrefix(s, "-"); neg {
		return "-" + f.group(digits)
	}
	return f.group(s)
}

// fill replaces the placeholder {name} of tmpl with v.
func fill(tmpl, name, v string) string {
	return strings.ReplaceAll(tmpl, "{"+name+"}", v)
}
