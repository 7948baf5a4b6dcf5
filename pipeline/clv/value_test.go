package clv

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

var horizonCases = []struct {
	name string
	cfg  ValueConfig
	unit Unit
	want Horizon
}{
	{"zero value", ValueConfig{}, Days, Horizon{Periods: 12, Length: 30.4375, Rate: 0}},
	{"weeks", ValueConfig{Months: 24}, Weeks, Horizon{Periods: 24, Length: 30.4375 / 7, Rate: 0}},
	{"ten percent a year", ValueConfig{Months: 6, AnnualDiscountRate: 0.1}, Days, Horizon{Periods: 6, Length: 30.4375, Rate: math.Pow(1.1, 1.0/12) - 1}},
}

func TestValueConfigHorizon(t *testing.T) {
	for _, tc := range horizonCases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cfg.Horizon(tc.unit)
			if got.Periods != tc.want.Periods || relErr(got.Length, tc.want.Length) > 1e-15 || relErr(got.Rate, tc.want.Rate) > 1e-12 {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	// Twelve monthly discount factors compound to the annual rate.
	h := ValueConfig{AnnualDiscountRate: 0.1}.Horizon(Days)
	if got := math.Pow(1+h.Rate, 12); math.Abs(got-1.1) > 1e-12 {
		t.Errorf("(1+monthly)^12 = %v, want 1.1", got)
	}
}

func TestHorizonValue(t *testing.T) {
	m := cdnowPublished
	x, tx, T, v := 3, 20.0, 38.0, 40.0
	// Undiscounted, the monthly increments telescope to the expectation
	// over the whole horizon.
	h := Horizon{Periods: 12, Length: 52.0 / 12, Rate: 0}
	if got, want := h.Value(m, x, tx, T, v), v*m.ConditionalExpected(52, x, tx, T); relErr(got, want) > 1e-12 {
		t.Errorf("undiscounted: got %v, want %v", got, want)
	}
	// Discounted by hand, period by period.
	h.Rate = 0.02
	want := 0.0
	for k := 1; k <= 12; k++ {
		inc := m.ConditionalExpected(float64(k)*h.Length, x, tx, T) - m.ConditionalExpected(float64(k-1)*h.Length, x, tx, T)
		want += v * inc / math.Pow(1.02, float64(k))
	}
	if got := h.Value(m, x, tx, T, v); relErr(got, want) > 1e-12 {
		t.Errorf("discounted: got %v, want %v", got, want)
	}
	if h.Value(m, x, tx, T, v) >= (Horizon{Periods: 12, Length: 52.0 / 12}).Value(m, x, tx, T, v) {
		t.Error("discounting did not lower the value")
	}
}

func predictFixture() (*Summary, BGNBD, GammaGamma) {
	c := simulate(21, BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5}, GammaGamma{P: 6, Q: 4, Gamma: 15}, 300, 26, 78, 0)
	return c.summary(), BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5, Unit: Weeks}, GammaGamma{P: 6, Q: 4, Gamma: 15}
}

func TestPredict(t *testing.T) {
	s, bg, gg := predictFixture()
	cfg := ValueConfig{Months: 12, AnnualDiscountRate: 0.1}
	p, err := Predict(context.Background(), s, bg, gg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if relErr(p.Margin, 0.3) > 1e-12 { // the fixture's gross margin is 30 % of revenue
		t.Errorf("pooled margin: got %v, want 0.3", p.Margin)
	}
	h := cfg.Horizon(Weeks)
	for i := range s.Customers {
		x, tx, T := s.Frequency[i], s.Recency[i], s.Age[i]
		ev := gg.ExpectedValue(x, s.Monetary[i])
		if got, want := p.CLV[i], 0.3*h.Value(bg, x, tx, T, ev); relErr(got, want) > 1e-12 || !(got > 0) {
			t.Fatalf("customer %d: CLV %v, want %v", i, got, want)
		}
		if got, want := p.ExpectedPurchases[i], bg.ConditionalExpected(12*h.Length, x, tx, T); relErr(got, want) > 1e-12 {
			t.Fatalf("customer %d: expected purchases %v, want %v", i, got, want)
		}
		if pa := p.PAlive[i]; pa <= 0 || pa > 1 {
			t.Fatalf("customer %d: P(alive) %v", i, pa)
		}
	}
	// An explicit margin replaces the pooled one.
	p2, err := Predict(context.Background(), s, bg, gg, ValueConfig{Months: 12, AnnualDiscountRate: 0.1, Margin: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	if relErr(p2.CLV[0], 2*p.CLV[0]) > 1e-12 {
		t.Errorf("margin 0.6: CLV %v, want twice %v", p2.CLV[0], p.CLV[0])
	}
}

var predictErrorCases = []struct {
	name string
	bg   func(BGNBD) BGNBD
	gg   GammaGamma
	cfg  ValueConfig
	is   error
}{
	{"unit mismatch", func(m BGNBD) BGNBD { m.Unit = Days; return m }, GammaGamma{P: 6, Q: 4, Gamma: 15}, ValueConfig{}, nil},
	{"negative months", nil, GammaGamma{P: 6, Q: 4, Gamma: 15}, ValueConfig{Months: -1}, nil},
	{"discount of -100 %", nil, GammaGamma{P: 6, Q: 4, Gamma: 15}, ValueConfig{AnnualDiscountRate: -1}, nil},
	{"margin above one", nil, GammaGamma{P: 6, Q: 4, Gamma: 15}, ValueConfig{Margin: 2}, nil},
	{"infinite mean spend", nil, GammaGamma{P: 6, Q: 0.9, Gamma: 15}, ValueConfig{}, ErrInfiniteMean},
	{"zero BG/NBD parameters", func(m BGNBD) BGNBD { return BGNBD{Unit: m.Unit} }, GammaGamma{P: 6, Q: 4, Gamma: 15}, ValueConfig{}, nil},
	{"NaN Gamma-Gamma parameter", nil, GammaGamma{P: 6, Q: 4, Gamma: math.NaN()}, ValueConfig{}, nil},
}

func TestPredictErrors(t *testing.T) {
	for _, tc := range predictErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			s, bg, _ := predictFixture()
			if tc.bg != nil {
				bg = tc.bg(bg)
			}
			_, err := Predict(context.Background(), s, bg, tc.gg, tc.cfg)
			if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Errorf("got %v, want an error (%v)", err, tc.is)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, bg, gg := predictFixture()
	if _, err := Predict(ctx, s, bg, gg, ValueConfig{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want context.Canceled", err)
	}
	if _, err := Predict(context.Background(), &Summary{Unit: Weeks}, bg, gg, ValueConfig{}); !errors.Is(err, ErrNoData) {
		t.Errorf("empty summary: got %v, want ErrNoData", err)
	}
}

func TestPredictionsRecord(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, bg, gg := predictFixture()
	p, err := Predict(context.Background(), s, bg, gg, ValueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rec := p.Record(mem)
	defer rec.Release()
	if rec.NumRows() != int64(s.Len()) || rec.NumCols() != 19 {
		t.Fatalf("got %d rows × %d columns, want %d × 19", rec.NumRows(), rec.NumCols(), s.Len())
	}
	// Without intervals their six columns are null, and without a
	// currency its column.
	for c := 12; c < 19; c++ {
		if n := rec.Column(c).NullN(); n != s.Len() {
			t.Errorf("column %s: %d nulls without intervals, want %d", rec.Schema().Field(c).Name, n, s.Len())
		}
	}
	p.Currency = "EUR"
	eur := p.Record(mem)
	defer eur.Release()
	if cur := eur.Column(18).(*array.String); cur.NullN() != 0 || cur.Value(0) != "EUR" || cur.Value(cur.Len()-1) != "EUR" {
		t.Errorf("currency column with EUR: %d nulls, first %q", cur.NullN(), cur.Value(0))
	}
	ids := rec.Column(0).(*array.String)
	freq := rec.Column(1).(*array.Int64).Int64Values()
	clv := rec.Column(8).(*array.Float64).Float64Values()
	for i := range s.Customers {
		if ids.Value(i) != s.Customers[i] || freq[i] != int64(s.Frequency[i]) || clv[i] != p.CLV[i] {
			t.Fatalf("row %d: got %s %d %v, want %s %d %v", i, ids.Value(i), freq[i], clv[i], s.Customers[i], s.Frequency[i], p.CLV[i])
		}
	}
	if v, ok := rec.Schema().Metadata().GetValue("time_unit"); !ok || v != "weeks" {
		t.Errorf("time_unit metadata: got %q, want weeks", v)
	}
	if v, ok := rec.Schema().Metadata().GetValue("purchase_model"); !ok || v != ModelBGNBD {
		t.Errorf("purchase_model metadata: got %q, want %s", v, ModelBGNBD)
	}
	// With intervals, the columns hold them and the metadata says how
	// they were drawn.
	n := s.Len()
	col := func(v float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v + float64(i)
		}
		return out
	}
	p.Intervals = &Intervals{Method: IntervalBootstrap, Level: 0.8, Draws: 50, Seed: 3,
		PAliveLow: col(1), PAliveHigh: col(2), PurchasesLow: col(3), PurchasesHigh: col(4), CLVLow: col(5), CLVHigh: col(6)}
	withIv := p.Record(mem)
	defer withIv.Release()
	for c, name := range []string{"p_alive_low", "p_alive_high", "expected_purchases_low", "expected_purchases_high", "clv_low", "clv_high"} {
		f := withIv.Schema().Field(12 + c)
		got := withIv.Column(12 + c).(*array.Float64).Float64Values()
		if f.Name != name || got[7] != float64(c+1)+7 {
			t.Errorf("column %d: got %s with row 7 = %v, want %s = %v", 12+c, f.Name, got[7], name, float64(c+1)+7)
		}
	}
	for k, want := range map[string]string{"interval_method": IntervalBootstrap, "interval_level": "0.8", "interval_draws": "50", "interval_seed": "3"} {
		if v, _ := withIv.Schema().Metadata().GetValue(k); v != want {
			t.Errorf("%s metadata: got %q, want %q", k, v, want)
		}
	}
}

// Records gives the rows of Record, in batches of the size asked for.
func TestPredictionsRecords(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, bg, gg := predictFixture()
	p, err := Predict(context.Background(), s, bg, gg, ValueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	whole := p.Record(mem)
	defer whole.Release()
	for _, rows := range []int{1, 2, s.Len(), s.Len() + 5} {
		rr := p.Records(mem, rows)
		lo := int64(0)
		for rr.Next() {
			rec := rr.Record()
			if rec.NumRows() > int64(rows) || rec.NumRows() == 0 {
				t.Errorf("batches of %d: a batch of %d rows", rows, rec.NumRows())
			}
			want := whole.NewSlice(lo, lo+rec.NumRows())
			if !array.RecordEqual(rec, want) {
				t.Errorf("batches of %d: rows %d.. differ from Record", rows, lo)
			}
			want.Release()
			lo += rec.NumRows()
		}
		if lo != whole.NumRows() || rr.Err() != nil {
			t.Errorf("batches of %d: %d rows (err %v), want %d", rows, lo, rr.Err(), whole.NumRows())
		}
		rr.Release()
	}
}

func TestSimpleFormulas(t *testing.T) {
	if got := BasicCLV(50, 4, 3); got != 600 {
		t.Errorf("BasicCLV: got %v, want 600", got)
	}
	if got := SeedPredictiveCLV(0.5, 40, 36); got != 720 {
		t.Errorf("SeedPredictiveCLV: got %v, want 720", got)
	}
	// Two customers over a window whose earliest first purchase is 364
	// days before the calibration end (365 days inclusive, one year
	// less a quarter day).
	s := &Summary{
		Unit:        Days,
		Customers:   []string{"a", "b"},
		Frequency:   []int{2, 0},
		Recency:     []float64{100, 0},
		Age:         []float64{364, 10},
		Monetary:    []float64{20, 0},
		Orders:      []int{4, 1},
		Revenue:     []float64{80, 20},
		GrossMargin: []float64{30, 10},
	}
	a := s.Averages()
	if a.OrderValue != 20 || a.MarginRatio != 0.4 {
		t.Errorf("got order value %v, margin %v, want 20, 0.4", a.OrderValue, a.MarginRatio)
	}
	if want := 2.5 / (365 / 365.25); relErr(a.PurchasesPerYear, want) > 1e-12 {
		t.Errorf("purchases per year: got %v, want %v", a.PurchasesPerYear, want)
	}
	if relErr(a.MonthlyTransactions(), a.PurchasesPerYear/12) > 1e-15 {
		t.Errorf("monthly transactions: got %v", a.MonthlyTransactions())
	}
	if h := s.HistoricalCLV(); h[0] != 30 || h[1] != 10 {
		t.Errorf("historical CLV: got %v, want [30 10]", h)
	}
	if (&Summary{}).Averages() != (Averages{}) {
		t.Error("empty summary: averages not zero")
	}
}
