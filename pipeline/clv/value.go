package clv

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// ValueConfig says how expected purchases become a discounted customer
// lifetime value. The zero value is a 12-month horizon, no discounting and
// the summary's historical margin.
type ValueConfig struct {
	// Months is the horizon in months of 365.25/12 days; 0 means 12.
	Months int
	// AnnualDiscountRate is the yearly cost of capital, 0.1 for 10 %; 0
	// means no discounting.
	AnnualDiscountRate float64
	// Margin is the gross margin ratio applied to expected revenue, in
	// [0, 1]; 0 means the pooled historical ratio of the summary,
	// ΣGrossMargin / ΣRevenue.
	Margin float64
}

// Horizon is the discrete grid over which a discounted CLV is summed:
// Periods periods of Length model time units each, a period's cash flow
// discounted by (1+Rate) per period elapsed.
type Horizon struct {
	Periods int
	Length  float64
	Rate    float64
}

// Horizon returns the monthly grid of c in unit u: Months periods of
// 365.25/12 days, each discounted at the monthly rate equivalent to the
// annual rate, (1+annual)^(1/12) − 1.
func (c ValueConfig) Horizon(u Unit) Horizon {
	months := c.Months
	if months == 0 {
		months = 12
	}
	return Horizon{
		Periods: months,
		Length:  daysPerMonth / u.days(),
		Rate:    math.Pow(1+c.AnnualDiscountRate, 1.0/12) - 1,
	}
}

// Value returns the discounted expected value of a customer with history
// (x, tx, T) who spends value per purchase:
//
//	Σ_{k=1..Periods} value × (E[Y(kL) | x, tx, T] − E[Y((k−1)L) | x, tx, T]) / (1+Rate)^k
//
// where L is Length: the purchases expected in period k are valued as if
// they all happened at its end. With monthly periods this understates the
// continuous-time value by about half a month of discounting.
func (h Horizon) Value(bg Purchases, x int, tx, T, value float64) float64 {
	var v, prev float64
	disc := 1.0
	for k := 1; k <= h.Periods; k++ {
		cur := bg.ConditionalExpected(float64(k)*h.Length, x, tx, T)
		disc /= 1 + h.Rate
		v += (cur - prev) * disc
		prev = cur
	}
	return value * v
}

// Purchases is a fitted model of the purchase process, the part of a
// customer's value that says whether and how often they buy: [BGNBD],
// [MBGNBD] or [ParetoNBD], whichever [Choose] picks.
type Purchases interface {
	// PAlive is the probability that a customer with x repeat
	// purchases, the last at tx, is still active at their age T.
	PAlive(x int, tx, T float64) float64
	// Expected is E[X(t)], the expected number of repeat purchases in
	// (0, t] of a customer just acquired.
	Expected(t float64) float64
	// ConditionalExpected is the expected number of their purchases in
	// the time t after T.
	ConditionalExpected(t float64, x int, tx, T float64) float64

	timeUnit() Unit
	valid() bool
	params() []Param
	// withParams returns the model of the same kind and unit with the
	// parameters p, in the order of params.
	withParams(p []float64) Purchases
	// pmf returns P(X(t) = k) for k = 0..n−1, the distribution of the
	// repeat purchases in (0, t] of a new customer.
	pmf(t float64, n int) []float64
	name() string // as the Model… constants spell it
}

// Predictions are the per-customer forecasts of a fitted purchase model
// and a Gamma-Gamma spend model; row i describes Summary.Customers[i].
type Predictions struct {
	Summary *Summary
	Horizon Horizon
	// Model names the purchase model behind PAlive and
	// ExpectedPurchases: ModelBGNBD, ModelMBGNBD or ModelParetoNBD.
	Model string
	// Margin is the gross margin ratio applied to expected revenue.
	Margin float64

	// PAlive is the probability that the customer is still active.
	PAlive []float64
	// ExpectedPurchases is the expected number of purchases over the
	// horizon (undiscounted).
	ExpectedPurchases []float64
	// ExpectedValue is the expected value of one future purchase
	// (Gamma-Gamma conditional mean).
	ExpectedValue []float64
	// CLV is the discounted expected gross margin over the horizon:
	// Margin × Horizon.Value(…, ExpectedValue).
	CLV []float64
	// Historical is the historical CLV: the customer's gross margin so far
	// (the Summary.GrossMargin slice itself, not a copy).
	Historical []float64
	// Intervals are the uncertainty intervals of PAlive,
	// ExpectedPurchases and CLV; nil until [Predictions.AddIntervals].
	Intervals *Intervals
	// Currency is the ISO 4217 code of the amounts (monetary, the values,
	// the CLVs), written in the record's currency column; "" writes null.
	Currency string
}

// Predict forecasts every customer of s: probability alive, purchases and
// discounted margin over the horizon of cfg, with bg for the purchases
// (a [BGNBD], or the model [Choose] picks) and gg for the spend. bg must
// have been fitted in the summary's time unit. Customers without repeat purchases are valued
// at the Gamma-Gamma population mean spend, so Predict returns an error
// wrapping [ErrInfiniteMean] when there are such customers and gg.Q ≤ 1.
func Predict(ctx context.Context, s *Summary, bg Purchases, gg GammaGamma, cfg ValueConfig) (*Predictions, error) {
	if bg == nil || !bg.valid() || !gg.valid() {
		return nil, fmt.Errorf("clv: predict: invalid model parameters %+v, %+v", bg, gg)
	}
	if bg.timeUnit() != s.Unit {
		return nil, fmt.Errorf("clv: predict: purchase model in %v, summary in %v", bg.timeUnit(), s.Unit)
	}
	if cfg.Months < 0 || math.IsNaN(cfg.AnnualDiscountRate) || cfg.AnnualDiscountRate <= -1 || math.IsInf(cfg.AnnualDiscountRate, 0) {
		return nil, fmt.Errorf("clv: predict: invalid horizon %d months or discount rate %v", cfg.Months, cfg.AnnualDiscountRate)
	}
	if math.IsNaN(cfg.Margin) || cfg.Margin < 0 || cfg.Margin > 1 {
		return nil, fmt.Errorf("clv: predict: margin %v outside [0, 1]", cfg.Margin)
	}
	n := s.Len()
	if n == 0 {
		return nil, fmt.Errorf("clv: predict: %w", ErrNoData)
	}
	margin := cfg.Margin
	if margin == 0 {
		var rev, gm float64
		for i := range n {
			rev += s.Revenue[i]
			gm += s.GrossMargin[i]
		}
		if !(rev > 0) {
			return nil, fmt.Errorf("clv: predict: no historical revenue to take a margin from; set ValueConfig.Margin")
		}
		margin = gm / rev
	}
	p := &Predictions{
		Summary:           s,
		Horizon:           cfg.Horizon(s.Unit),
		Model:             bg.name(),
		Margin:            margin,
		PAlive:            make([]float64, n),
		ExpectedPurchases: make([]float64, n),
		ExpectedValue:     make([]float64, n),
		CLV:               make([]float64, n),
		Historical:        s.GrossMargin,
	}
	total := float64(p.Horizon.Periods) * p.Horizon.Length
	for i := range n {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("clv: predict: %w", err)
			}
		}
		x, tx, T := s.Frequency[i], s.Recency[i], s.Age[i]
		ev := gg.ExpectedValue(x, s.Monetary[i])
		if math.IsInf(ev, 0) {
			return nil, fmt.Errorf("clv: predict: customer %s: %w", s.Customers[i], ErrInfiniteMean)
		}
		p.PAlive[i] = bg.PAlive(x, tx, T)
		p.ExpectedPurchases[i] = bg.ConditionalExpected(total, x, tx, T)
		p.ExpectedValue[i] = ev
		p.CLV[i] = margin * p.Horizon.Value(bg, x, tx, T, ev)
	}
	return p, nil
}

// Schema returns the schema of [Predictions.Record].
func (p *Predictions) Schema() *arrow.Schema {
	f64 := arrow.PrimitiveTypes.Float64
	keys := []string{"time_unit", "horizon_months", "margin", "purchase_model"}
	vals := []string{p.Summary.Unit.String(), fmt.Sprint(p.Horizon.Periods), fmt.Sprint(p.Margin), p.Model}
	if iv := p.Intervals; iv != nil {
		keys = append(keys, "interval_method", "interval_level", "interval_draws", "interval_seed")
		vals = append(vals, iv.Method, fmt.Sprint(iv.Level), fmt.Sprint(iv.Draws), fmt.Sprint(iv.Seed))
	}
	meta := arrow.NewMetadata(keys, vals)
	return arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "frequency", Type: arrow.PrimitiveTypes.Int64},
		{Name: "recency", Type: f64},
		{Name: "age", Type: f64},
		{Name: "monetary", Type: f64},
		{Name: "p_alive", Type: f64},
		{Name: "expected_purchases", Type: f64},
		{Name: "expected_value", Type: f64},
		{Name: "clv", Type: f64},
		{Name: "historical_clv", Type: f64},
		{Name: "clv_decile", Type: arrow.PrimitiveTypes.Int64},
		{Name: "at_risk", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "p_alive_low", Type: f64, Nullable: true},
		{Name: "p_alive_high", Type: f64, Nullable: true},
		{Name: "expected_purchases_low", Type: f64, Nullable: true},
		{Name: "expected_purchases_high", Type: f64, Nullable: true},
		{Name: "clv_low", Type: f64, Nullable: true},
		{Name: "clv_high", Type: f64, Nullable: true},
		{Name: "currency", Type: arrow.BinaryTypes.String, Nullable: true},
	}, &meta)
}

// Record returns the predictions as one record batch, one row per customer,
// allocated from mem; the caller releases it.
func (p *Predictions) Record(mem memory.Allocator) arrow.Record {
	decile, atRisk := p.Segments()
	return p.record(mem, 0, p.Summary.Len(), decile, atRisk)
}

// Records returns the rows of [Predictions.Record] as a reader of batches
// of at most rows rows each, built one at a time, so that writing the
// table of millions of customers holds one batch in Arrow memory rather
// than the whole table. The caller releases the reader.
func (p *Predictions) Records(mem memory.Allocator, rows int) array.RecordReader {
	decile, atRisk := p.Segments()
	return &recordReader{p: p, mem: mem, rows: max(rows, 1), decile: decile, atRisk: atRisk}
}

// record builds the rows lo..hi.
func (p *Predictions) record(mem memory.Allocator, lo, hi int, decile []int64, atRisk []bool) arrow.Record {
	b := array.NewRecordBuilder(mem, p.Schema())
	defer b.Release()
	s := p.Summary
	b.Field(0).(*array.StringBuilder).AppendValues(s.Customers[lo:hi], nil)
	freq := b.Field(1).(*array.Int64Builder)
	freq.Reserve(hi - lo)
	for _, x := range s.Frequency[lo:hi] {
		freq.UnsafeAppend(int64(x))
	}
	for i, col := range [][]float64{s.Recency, s.Age, s.Monetary, p.PAlive, p.ExpectedPurchases, p.ExpectedValue, p.CLV, p.Historical} {
		b.Field(i+2).(*array.Float64Builder).AppendValues(col[lo:hi], nil)
	}
	b.Field(10).(*array.Int64Builder).AppendValues(decile[lo:hi], nil)
	b.Field(11).(*array.BooleanBuilder).AppendValues(atRisk[lo:hi], nil)
	if iv := p.Intervals; iv != nil {
		for i, col := range [][]float64{iv.PAliveLow, iv.PAliveHigh, iv.PurchasesLow, iv.PurchasesHigh, iv.CLVLow, iv.CLVHigh} {
			b.Field(i+12).(*array.Float64Builder).AppendValues(col[lo:hi], nil)
		}
	} else {
		for i := range 6 {
			b.Field(i + 12).AppendNulls(hi - lo)
		}
	}
	cur := b.Field(18).(*array.StringBuilder)
	if p.Currency == "" {
		cur.AppendNulls(hi - lo)
	} else {
		for range hi - lo {
			cur.Append(p.Currency)
		}
	}
	return b.NewRecord()
}

// recordReader is the reader of [Predictions.Records].
type recordReader struct {
	p          *Predictions
	mem        memory.Allocator
	rows, next int
	decile     []int64
	atRisk     []bool
	cur        arrow.Record
	refs       atomic.Int64
}

func (r *recordReader) Retain()               { r.refs.Add(1) }
func (r *recordReader) Schema() *arrow.Schema { return r.p.Schema() }
func (r *recordReader) Record() arrow.Record  { return r.cur }
func (r *recordReader) Err() error            { return nil }

func (r *recordReader) Release() {
	if r.refs.Add(-1) == 0 && r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

// Next builds the next batch, releasing the previous one.
func (r *recordReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	n := r.p.Summary.Len()
	if r.next >= n {
		return false
	}
	hi := min(r.next+r.rows, n)
	r.cur = r.p.record(r.mem, r.next, hi, r.decile, r.atRisk)
	r.next = hi
	return true
}
