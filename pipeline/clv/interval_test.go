package clv

import (
	"context"
	"math"
	"runtime"
	"slices"
	"testing"
)

// cdnowPredictions fits the purchase model name and Gamma-Gamma to the
// CDNOW calibration period and predicts 12 months at 10 % a year.
func cdnowPredictions(tb testing.TB, name string) (*Predictions, Candidate, GammaGamma, FitReport) {
	tb.Helper()
	s := cdnowSummary(tb)
	ctx := context.Background()
	cands, err := FitCustomers(ctx, s, name)
	if err != nil {
		tb.Fatal(err)
	}
	gg, ggFit, err := FitGammaGamma(ctx, s)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Predict(ctx, s, cands[0].Model, gg, ValueConfig{AnnualDiscountRate: 0.1})
	if err != nil {
		tb.Fatal(err)
	}
	return p, cands[0], gg, ggFit
}

func TestIntervalsCDNOW(t *testing.T) {
	for _, name := range CustomerModels() {
		t.Run(name, func(t *testing.T) {
			p, c, gg, ggFit := cdnowPredictions(t, name)
			if err := p.AddIntervals(context.Background(), c.Model, c.Fit, gg, ggFit, IntervalConfig{}); err != nil {
				t.Fatal(err)
			}
			iv := p.Intervals
			if iv.Level != 0.9 || iv.Draws != 200 || iv.Method != IntervalBootstrap {
				t.Fatalf("defaults: got level %v, %d draws, %q", iv.Level, iv.Draws, iv.Method)
			}
			// Every interval is ordered and holds the point estimate (the
			// draws centre on the estimate; with 200 of them the 5 % and
			// 95 % quantiles lie well away from the median).
			for i := range p.Summary.Len() {
				for _, q := range []struct {
					name          string
					est, low, top float64
				}{
					{"p_alive", p.PAlive[i], iv.PAliveLow[i], iv.PAliveHigh[i]},
					{"expected_purchases", p.ExpectedPurchases[i], iv.PurchasesLow[i], iv.PurchasesHigh[i]},
					{"clv", p.CLV[i], iv.CLVLow[i], iv.CLVHigh[i]},
				} {
					eps := 1e-12 * math.Abs(q.est)
					if !(q.low <= q.est+eps && q.est <= q.top+eps) || math.IsNaN(q.low) {
						t.Fatalf("customer %s: %s %v outside its interval [%v, %v]", p.Summary.Customers[i], q.name, q.est, q.low, q.top)
					}
				}
				if name == ModelBGNBD && p.Summary.Frequency[i] == 0 && (iv.PAliveLow[i] != 1 || iv.PAliveHigh[i] != 1) {
					t.Fatalf("BG/NBD one-time buyer: P(alive) interval [%v, %v], want [1, 1]", iv.PAliveLow[i], iv.PAliveHigh[i])
				}
			}
			for _, b := range []Bounds{iv.TotalPurchases, iv.TotalCLV} {
				if !(b.Low < b.Estimate && b.Estimate < b.High) {
					t.Fatalf("total %v outside its interval [%v, %v]", b.Estimate, b.Low, b.High)
				}
			}
			// The interval of the total purchases against the delta method:
			// the half width of a 90 % normal interval, 1.645 standard
			// errors of the total, from a central-difference gradient with
			// respect to the log-parameters. 200 draws give the bootstrap
			// quantiles a relative error of about 10 %; the test allows 25 %.
			total := func(m Purchases) float64 {
				var sum float64
				for i := range p.Summary.Len() {
					sum += m.ConditionalExpected(float64(p.Horizon.Periods)*p.Horizon.Length, p.Summary.Frequency[i], p.Summary.Recency[i], p.Summary.Age[i])
				}
				return sum
			}
			est := c.Params()
			grad := make([]float64, len(est))
			for j := range est {
				v := make([]float64, len(est))
				for k := range v {
					v[k] = est[k].Value
				}
				const h = 1e-4
				v[j] = est[j].Value * math.Exp(h)
				up := total(c.Model.withParams(v))
				v[j] = est[j].Value * math.Exp(-h)
				grad[j] = (up - total(c.Model.withParams(v))) / (2 * h)
			}
			var variance float64
			for j := range grad {
				for k := range grad {
					variance += grad[j] * c.Fit.LogCov[j][k] * grad[k]
				}
			}
			delta := 1.645 * math.Sqrt(variance)
			half := (iv.TotalPurchases.High - iv.TotalPurchases.Low) / 2
			if r := half / delta; r < 0.75 || r > 1.25 {
				t.Errorf("total purchases %.1f: bootstrap half width %.2f, delta method %.2f (ratio %.2f)", iv.TotalPurchases.Estimate, half, delta, r)
			}
			t.Logf("%s: total purchases %.1f [%.1f, %.1f], delta ±%.1f; total CLV %.0f [%.0f, %.0f]", name,
				iv.TotalPurchases.Estimate, iv.TotalPurchases.Low, iv.TotalPurchases.High, delta,
				iv.TotalCLV.Estimate, iv.TotalCLV.Low, iv.TotalCLV.High)
			// The delta method of AddIntervals: its intervals hold the
			// estimates, and its total's interval is as wide as the
			// bootstrap's, within the same 25 %.
			boot := *iv
			if err := p.AddIntervals(context.Background(), c.Model, c.Fit, gg, ggFit, IntervalConfig{Method: IntervalDelta}); err != nil {
				t.Fatal(err)
			}
			dv := p.Intervals
			for i := range p.Summary.Len() {
				if !(dv.CLVLow[i] <= p.CLV[i]*(1+1e-9) && p.CLV[i] <= dv.CLVHigh[i]*(1+1e-9)) ||
					!(dv.PurchasesLow[i] <= p.ExpectedPurchases[i]*(1+1e-9) && p.ExpectedPurchases[i] <= dv.PurchasesHigh[i]*(1+1e-9)) ||
					!(dv.PAliveLow[i] <= p.PAlive[i]+1e-12 && p.PAlive[i] <= dv.PAliveHigh[i]+1e-12) {
					t.Fatalf("delta method, customer %s: an estimate outside its interval", p.Summary.Customers[i])
				}
			}
			for _, q := range []struct {
				name       string
				boot, dlta Bounds
			}{{"purchases", boot.TotalPurchases, dv.TotalPurchases}, {"clv", boot.TotalCLV, dv.TotalCLV}} {
				if r := (q.dlta.High - q.dlta.Low) / (q.boot.High - q.boot.Low); r < 0.75 || r > 1.25 {
					t.Errorf("total %s: delta method [%.1f, %.1f], bootstrap [%.1f, %.1f]", q.name, q.dlta.Low, q.dlta.High, q.boot.Low, q.boot.High)
				}
			}
		})
	}
}

// TestIntervalsDeterministic: the same seed gives the same intervals on
// one core and on several; another seed gives others.
func TestIntervalsDeterministic(t *testing.T) {
	c := simulate(3, BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5, Unit: Weeks}, GammaGamma{P: 6, Q: 4, Gamma: 15}, 3000, 26, 78, 0)
	s := c.summary()
	ctx := context.Background()
	bg, fit, err := FitBGNBD(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	gg, ggFit, err := FitGammaGamma(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	run := func(procs int, seed uint64) *Intervals {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		p, err := Predict(ctx, s, bg, gg, ValueConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.AddIntervals(ctx, bg, fit, gg, ggFit, IntervalConfig{Draws: 50, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		return p.Intervals
	}
	one, four, other := run(1, 7), run(4, 7), run(4, 8)
	same := func(a, b *Intervals) bool {
		return slices.Equal(a.CLVLow, b.CLVLow) && slices.Equal(a.CLVHigh, b.CLVHigh) &&
			slices.Equal(a.PurchasesHigh, b.PurchasesHigh) && slices.Equal(a.PAliveLow, b.PAliveLow) &&
			a.TotalCLV == b.TotalCLV && a.TotalPurchases == b.TotalPurchases
	}
	if !same(one, four) {
		t.Errorf("intervals on 1 and 4 cores differ: totals %+v, %+v", one.TotalCLV, four.TotalCLV)
	}
	if same(four, other) {
		t.Errorf("seeds 7 and 8 give the same intervals")
	}
}

func TestIntervalConfig(t *testing.T) {
	for _, c := range []IntervalConfig{{Level: 1}, {Level: -0.1}, {Level: math.NaN()}, {Draws: 5}, {Method: "jackknife"}} {
		if _, err := c.withDefaults(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5}
	for _, tc := range []struct{ q, want float64 }{{0, 1}, {0.5, 3}, {0.05, 1.2}, {0.95, 4.8}, {1, 5}} {
		if got := quantile(s, tc.q); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("quantile(%v): got %v, want %v", tc.q, got, tc.want)
		}
	}
}

// BenchmarkIntervalsCDNOW is the cost of the intervals on CDNOW's 2,357
// customers (12 months, 200 draws), against Predict itself.
func BenchmarkIntervalsCDNOW(b *testing.B) {
	for _, name := range CustomerModels() {
		p, c, gg, ggFit := cdnowPredictions(b, name)
		b.Run("model="+name+"/predict", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Predict(context.Background(), p.Summary, c.Model, gg, ValueConfig{AnnualDiscountRate: 0.1}); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, method := range []string{IntervalBootstrap, IntervalDelta} {
			b.Run("model="+name+"/"+method, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := p.AddIntervals(context.Background(), c.Model, c.Fit, gg, ggFit, IntervalConfig{Method: method}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
