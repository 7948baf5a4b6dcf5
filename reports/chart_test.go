package reports

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxkpi/cxkpi/pipeline/kpi"
	"github.com/cxkpi/cxkpi/templates"
)

var axisTests = []struct {
	name   string
	lo, hi float64
	n      int
	ticks  []float64
	dec    int
}{
	{"percent", 62, 87, 5, []float64{60, 70, 80, 90}, 0},
	{"from zero", 0, 2066, 5, []float64{0, 500, 1000, 1500, 2000, 2500}, 0},
	{"tickets", 0, 295, 5, []float64{0, 100, 200, 300}, 0},
	{"negative", -12, 45, 5, []float64{-20, 0, 20, 40, 60}, 0},
	{"decimals", 4.8, 5.5, 5, []float64{4.8, 5, 5.2, 5.4, 5.6}, 1},
	{"quarter steps", 0, 9, 4, []float64{0, 2.5, 5, 7.5, 10}, 1},
	{"one value", 50, 50, 5, []float64{45, 47.5, 50, 52.5, 55}, 1},
	{"reversed", 10, 0, 5, []float64{0, 2, 4, 6, 8, 10}, 0},
}

func TestNiceAxis(t *testing.T) {
	for _, tc := range axisTests {
		t.Run(tc.name, func(t *testing.T) {
			a := niceAxis(tc.lo, tc.hi, tc.n)
			near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
			if !slices.EqualFunc(a.ticks, tc.ticks, near) {
				t.Errorf("ticks %v, want %v", a.ticks, tc.ticks)
			}
			if a.dec != tc.dec {
				t.Errorf("decimals %d, want %d", a.dec, tc.dec)
			}
			if a.lo > min(tc.lo, tc.hi) || a.hi < max(tc.lo, tc.hi) {
				t.Errorf("axis %v–%v does not cover %v–%v", a.lo, a.hi, tc.lo, tc.hi)
			}
			if len(a.ticks)-1 > tc.n {
				t.Errorf("%d intervals, want at most %d", len(a.ticks)-1, tc.n)
			}
		})
	}
	if a := niceAxis(-5, 105, 5).clamp(0, 100); a.lo != 0 || a.hi != 100 || a.ticks[0] < 0 || a.ticks[len(a.ticks)-1] > 100 {
		t.Errorf("clamped axis %+v passes 0–100", a)
	}
}

var toneTests = []struct {
	metric string
	d      float64
	shown  string
	want   tone
}{
	{"csat", 2.5, "+2.5 pp", better},
	{"csat", -16.4, "-16.4 pp", worse},
	{"csat", 0.04, "0.0 pp", neutral}, // rounds to no change
	{"nps", -6, "-6.0", worse},
	{"ces", 0.1, "+0.10", better},
	{"first_reply_time_median", 900, "+15m 0s", worse},
	{"resolution_time_bh_p90", -600, "-10m 0s", better},
	{"wait_time", 3, "+3s", worse},
	{"churn_rate", -0.8, "-0.8 pp", better},
	{"nps_detractors", 1, "+1.0 pp", worse},
	{"retention_rate", 0.8, "+0.8 pp", better},
	{"clv_basic", 350, "+350.00", better},
	{"tickets", 34, "+34", neutral}, // volume: neither good nor bad
	{"channel_share", -2, "-2.0 pp", neutral},
	{"reopen_rate", 1.5, "+1.5 pp", worse},
	{"not_in_the_catalogue", 3, "+3", neutral},
}

func TestToneOf(t *testing.T) {
	for _, tc := range toneTests {
		if got := toneOf(directions()[tc.metric], tc.d, tc.shown); got != tc.want {
			t.Errorf("toneOf(%s, %v, %q) = %v, want %v", tc.metric, tc.d, tc.shown, got, tc.want)
		}
	}
}

// testDoc returns a document with the report's fonts loaded and a page
// open, for measuring text.
func testDoc(t *testing.T) *doc {
	t.Helper()
	var f fonts
	var err error
	if f.regular, err = templates.Font(false); err != nil {
		t.Fatal(err)
	}
	if f.bold, err = templates.Font(true); err != nil {
		t.Fatal(err)
	}
	d := newDoc(content{}, f, pagination{}, PDFOptions{}, Report{Generated: mar})
	d.pdf.AddPage()
	return d
}

var wrapTests = []struct {
	name string
	in   string
	w    float64
	want []string
}{
	{"fits", "Customer satisfaction", 100, []string{"Customer satisfaction"}},
	{"words", "Customer satisfaction (CSAT) by channel", 40, []string{"Customer satisfaction", "(CSAT) by channel"}},
	{"line breaks", "a\nb c", 100, []string{"a", "b c"}},
	{"no-break space", "ratio 62,5\u00a0% here", 18, []string{"ratio", "62,5\u00a0%", "here"}},
	{"long word", "Αξιολογήσεις", 10, nil}, // split anywhere, as long as it fits
	{"empty", "", 10, []string{""}},
}

func TestWrap(t *testing.T) {
	d := testDoc(t)
	d.setFont("", 10)
	for _, tc := range wrapTests {
		t.Run(tc.name, func(t *testing.T) {
			got := d.wrap(tc.in, tc.w)
			if tc.want == nil {
				if len(got) < 2 || strings.Join(got, "") != tc.in {
					t.Errorf("got %q, want %q split into lines", got, tc.in)
				}
			} else if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			for _, l := range got {
				if w := d.width(l); w > tc.w {
					t.Errorf("line %q is %.1f mm wide, more than %.1f", l, w, tc.w)
				}
			}
		})
	}
}

var tickTests = []struct {
	grain string
	start time.Time // of the first of four periods
	want  []tick
}{
	{"month", time.Date(2023, 11, 1, 0, 0, 0, 0, time.UTC),
		[]tick{{"Nov", "2023"}, {"Dec", ""}, {"Jan", "2024"}, {"Feb", ""}}},
	{"quarter", time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC),
		[]tick{{"Q3", "2023"}, {"Q4", ""}, {"Q1", "2024"}, {"Q2", ""}}},
	{"week", time.Date(2023, 12, 18, 0, 0, 0, 0, time.UTC),
		[]tick{{"W51", "2023"}, {"W52", ""}, {"W1", "2024"}, {"W2", ""}}},
	{"day", time.Date(2024, 1, 30, 0, 0, 0, 0, time.UTC),
		[]tick{{"30", "Jan"}, {"31", ""}, {"1", "Feb"}, {"2", ""}}},
	{"year", time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
		[]tick{{"2021", ""}, {"2022", ""}, {"2023", ""}, {"2024", ""}}},
}

// TestViewTicks checks the period labels of trend charts per grain, and
// that the view keeps the report period and those before it.
func TestViewTicks(t *testing.T) {
	tx := english(t)
	for _, tc := range tickTests {
		t.Run(tc.grain, func(t *testing.T) {
			next := func(s time.Time) time.Time {
				switch tc.grain {
				case "quarter":
					return s.AddDate(0, 3, 0)
				case "week":
					return s.AddDate(0, 0, 7)
				case "day":
					return s.AddDate(0, 0, 1)
				case "year":
					return s.AddDate(1, 0, 0)
				}
				return s.AddDate(0, 1, 0)
			}
			var spans []span
			s := tc.start
			for range 5 { // the fifth period is after the report's
				spans = append(spans, span{s, next(s)})
				s = next(s)
			}
			r := Report{Grain: tc.grain, PeriodStart: spans[3].start, PeriodEnd: spans[3].end, Generated: mar}
			for _, p := range spans {
				r.KPIs = append(r.KPIs, kpi.Row{PeriodStart: p.start, PeriodEnd: p.end, Metric: "tickets", Unit: "count",
					Dimension: "all", DimensionValue: "all", Value: kpi.Some(1), N: 1})
			}
			v := newView(r, time.UTC, tx, newNumbers(tx))
			if !slices.Equal(v.ticks, tc.want) {
				t.Errorf("ticks %q, want %q", v.ticks, tc.want)
			}
		})
	}
}

func TestPeriodName(t *testing.T) {
	v := newView(Report{PeriodStart: feb, PeriodEnd: mar}, time.UTC, english(t), newNumbers(english(t)))
	tests := []struct {
		start, end time.Time
		want       string
	}{
		{feb, mar, "Feb 2024"},
		{feb, feb.AddDate(0, 0, 1), "2024-02-01"},
		{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC), "W1 2024"},
		{time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), "Q2 2024"},
		{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), "2024"},
	}
	for _, tc := range tests {
		if got := v.periodName(tc.start, tc.end); got != tc.want {
			t.Errorf("periodName(%v, %v) = %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
}

// TestScale checks the unit chosen for duration axes and the captions.
func TestScale(t *testing.T) {
	tx := english(t)
	v := newView(Report{PeriodStart: feb, PeriodEnd: mar}, time.UTC, tx, newNumbers(tx))
	tests := []struct {
		unit     kpi.Unit
		max      float64
		div      float64
		caption  string
		label    float64
		wantText string
	}{
		{"seconds", 90, 1, "seconds", 45, "45s"},
		{"seconds", 3000, 60, "minutes", 2700, "45m 0s"},
		{"seconds", 40 * 3600, 3600, "hours", 9000, "2h 30m"},
		{"seconds", 6 * 86400, 86400, "days", 90000, "1d 1h"},
		{"%", 100, 1, "", 62.5, "62.5%"},
		{"currency", 2066, 1, "amount", 1333.3, "1,333"},
		{"currency", 60, 1, "amount", 40, "40.00"},
		{"points", 50, 1, "points", 21, "21.0"},
	}
	for _, tc := range tests {
		s := v.scaleFor(tc.unit, tc.max)
		if s.div != tc.div || s.caption != tc.caption {
			t.Errorf("scaleFor(%s, %v) = ÷%v %q, want ÷%v %q", tc.unit, tc.max, s.div, s.caption, tc.div, tc.caption)
		}
		if got := s.label(v.nf, tc.label); got != tc.wantText {
			t.Errorf("label(%v) on %s scale = %q, want %q", tc.label, tc.unit, got, tc.wantText)
		}
	}
	if got := v.scaleFor("%", 100).tickText(v.nf, 40, 0); got != "40%" {
		t.Errorf("percent tick = %q, want 40%%", got)
	}
	v = newView(Report{PeriodStart: feb, PeriodEnd: mar, KPIs: fixtureRows()}, time.UTC, tx, newNumbers(tx))
	if got := v.metricScale("ces", 5).caption; got != "score (1–7)" {
		t.Errorf("CES caption = %q, want its own", got)
	}
	if got := v.metricScale("brand_new_metric", 5).caption; got != "score" {
		t.Errorf("caption of a score without its own = %q, want score", got)
	}
}
