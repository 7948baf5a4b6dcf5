package clv

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"
)

// The methods of [Predictions.AddIntervals], as the outputs record them.
const (
	// IntervalBootstrap draws parameter sets from the asymptotic normal
	// distribution of the log-parameters and takes quantiles of the
	// results.
	IntervalBootstrap = "parametric_bootstrap"
	// IntervalDelta propagates the covariance of the log-parameters to
	// each result by its gradient (the delta method), on a scale where
	// the result is unbounded (logit of P(alive), logarithms of
	// purchases and CLV), at about 1/20 of the bootstrap's cost.
	IntervalDelta = "delta_method"
)

// IntervalConfig says how [Predictions.AddIntervals] computes its
// intervals. The zero value is 90 % intervals by parametric bootstrap
// from 200 draws with seed 0.
type IntervalConfig struct {
	// Method is IntervalBootstrap or IntervalDelta; "" means
	// IntervalBootstrap.
	Method string
	// Level is the probability an interval is meant to cover, in (0, 1);
	// 0 means 0.90.
	Level float64
	// Draws is the number of parameter sets drawn, at least 20; 0 means
	// 200.
	Draws int
	// Seed seeds the draws (math/rand/v2's PCG): the same seed, data and
	// models give the same intervals, whatever the number of cores.
	Seed uint64
}

// withDefaults returns c with its zero fields set, or an error for a
// field out of range.
func (c IntervalConfig) withDefaults() (IntervalConfig, error) {
	if c.Level == 0 {
		c.Level = 0.90
	}
	if c.Draws == 0 {
		c.Draws = 200
	}
	if c.Method == "" {
		c.Method = IntervalBootstrap
	}
	if c.Method != IntervalBootstrap && c.Method != IntervalDelta {
		return c, fmt.Errorf("clv: interval method %q, want %s or %s", c.Method, IntervalBootstrap, IntervalDelta)
	}
	if !(c.Level > 0 && c.Level < 1) {
		return c, fmt.Errorf("clv: interval level %v outside (0, 1)", c.Level)
	}
	if c.Draws < 20 {
		return c, fmt.Errorf("clv: %d interval draws, want at least 20", c.Draws)
	}
	return c, nil
}

// Bounds are a point estimate with the lower and upper ends of its
// interval.
type Bounds struct {
	Estimate, Low, High float64
}

// Intervals are the uncertainty intervals of [Predictions]: for every
// customer, and for the totals over all customers, the range of P(alive),
// expected purchases and CLV that the uncertainty of the fitted
// parameters allows at Level.
type Intervals struct {
	Method string // IntervalBootstrap or IntervalDelta
	// Level is the intended coverage; Draws and Seed those of the
	// bootstrap (0 with the delta method).
	Level float64
	Draws int
	Seed  uint64

	// Per customer, row i describing Summary.Customers[i]: the lower and
	// upper ends of the intervals of PAlive, ExpectedPurchases and CLV.
	PAliveLow, PAliveHigh       []float64
	PurchasesLow, PurchasesHigh []float64
	CLVLow, CLVHigh             []float64

	// TotalPurchases and TotalCLV are the sums over all customers of
	// ExpectedPurchases and CLV with their intervals (the quantiles of
	// the sums over the draws, not sums of the customers' ends).
	TotalPurchases, TotalCLV Bounds
}

// intervalChunk is the number of customers one task of AddIntervals
// values: fixed, so that the totals add up in the same order whatever the
// number of cores.
const intervalChunk = 256

// maxRedraws bounds the draws rejected in a row (parameters outside the
// models' domain) before AddIntervals gives up.
const maxRedraws = 1000

// AddIntervals computes p.Intervals by parametric bootstrap: it draws
// cfg.Draws parameter sets of the purchase model m from the asymptotic
// normal distribution of its log-parameters (mean the estimate,
// covariance fit.LogCov), and as many of the Gamma-Gamma model gg from
// ggFit.LogCov, independently (the two models are fitted to separate
// likelihoods); recomputes every customer's P(alive), expected purchases
// and CLV under each draw; and takes the (1−Level)/2 and (1+Level)/2
// quantiles of the results (linear interpolation between order
// statistics). Draws outside a model's domain (Pareto/NBD rates more than
// [MaxRateRatio] apart, a Gamma-Gamma q that makes a mean spend infinite)
// are drawn again: the distribution is truncated to the domain.
//
// m, gg and their fits must be those p was predicted with. Customers
// with the same (x, tx, T) share the purchase model's work; the customers
// are valued in parallel on every core, with the same result on any
// number of cores.
func (p *Predictions) AddIntervals(ctx context.Context, m Purchases, fit FitReport, gg GammaGamma, ggFit FitReport, cfg IntervalConfig) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	if m == nil || m.name() != p.Model {
		return fmt.Errorf("clv: intervals: purchase model %v, predictions made with %s", m, p.Model)
	}
	if cfg.Method == IntervalDelta {
		return p.addDeltaIntervals(ctx, m, fit, gg, ggFit, cfg.Level)
	}
	s := p.Summary
	n := s.Len()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x1e7e1))
	models, err := drawParams(rng, m.params(), fit.LogCov, cfg.Draws, func(v []float64) bool { return m.withParams(v).valid() })
	if err != nil {
		return fmt.Errorf("clv: intervals of %s: %w", m.name(), err)
	}
	minX := slices.Min(append([]int{math.MaxInt}, s.Frequency...))
	ggParams := []Param{{"p", gg.P}, {"q", gg.Q}, {"gamma", gg.Gamma}}
	spends, err := drawParams(rng, ggParams, ggFit.LogCov, cfg.Draws, func(v []float64) bool {
		g := GammaGamma{P: v[0], Q: v[1], Gamma: v[2]}
		return g.valid() && !math.IsInf(g.ExpectedValue(minX, 0), 0)
	})
	if err != nil {
		return fmt.Errorf("clv: intervals of Gamma-Gamma: %w", err)
	}
	pm := make([]Purchases, cfg.Draws)
	gm := make([]GammaGamma, cfg.Draws)
	for k := range cfg.Draws {
		pm[k] = m.withParams(models[k])
		gm[k] = GammaGamma{P: spends[k][0], Q: spends[k][1], Gamma: spends[k][2]}
	}

	iv := newIntervals(IntervalBootstrap, cfg.Level, n)
	iv.Draws, iv.Seed = cfg.Draws, cfg.Seed
	order := historyOrder(s)
	chunks := (n + intervalChunk - 1) / intervalChunk
	// Per chunk, the sums over its customers of expected purchases and
	// CLV under each draw.
	sums := make([][]float64, chunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, runtime.GOMAXPROCS(0))
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := newIntervalWork(cfg.Draws)
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = fmt.Errorf("clv: intervals: %w", err)
					return
				}
				lo, hi := c*intervalChunk, min((c+1)*intervalChunk, n)
				sums[c] = ws.chunk(p, iv, order[lo:hi], pm, gm, cfg.Level)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	totalY, totalCLV := make([]float64, cfg.Draws), make([]float64, cfg.Draws)
	for _, cs := range sums {
		for k := range cfg.Draws {
			totalY[k] += cs[k]
			totalCLV[k] += cs[cfg.Draws+k]
		}
	}
	var estY, estCLV float64
	for i := range n {
		estY += p.ExpectedPurchases[i]
		estCLV += p.CLV[i]
	}
	iv.TotalPurchases = bounds(estY, totalY, cfg.Level)
	iv.TotalCLV = bounds(estCLV, totalCLV, cfg.Level)
	p.Intervals = iv
	return nil
}

// intervalWork is one worker's scratch space.
type intervalWork struct {
	alive, purchases, value, clv, sorted []float64
}

func newIntervalWork(draws int) *intervalWork {
	return &intervalWork{
		alive: make([]float64, draws), purchases: make([]float64, draws), value: make([]float64, draws),
		clv: make([]float64, draws), sorted: make([]float64, draws),
	}
}

// chunk values the customers idx under every draw, stores their
// intervals in iv and returns the sums of expected purchases and CLV per
// draw (purchases in the first half, CLV in the second).
func (w *intervalWork) chunk(p *Predictions, iv *Intervals, idx []int32, pm []Purchases, gm []GammaGamma, level float64) []float64 {
	s := p.Summary
	D := len(pm)
	sums := make([]float64, 2*D)
	h := p.Horizon
	prev := int32(-1)
	for _, i := range idx {
		x, tx, T := s.Frequency[i], s.Recency[i], s.Age[i]
		if prev < 0 || x != s.Frequency[prev] || tx != s.Recency[prev] || T != s.Age[prev] {
			for k, m := range pm {
				w.alive[k] = m.PAlive(x, tx, T)
				w.purchases[k], w.value[k] = h.expectedAndValue(m, x, tx, T)
			}
		}
		prev = i
		for k := range D {
			w.clv[k] = p.Margin * gm[k].ExpectedValue(x, s.Monetary[i]) * w.value[k]
			sums[k] += w.purchases[k]
			sums[D+k] += w.clv[k]
		}
		iv.PAliveLow[i], iv.PAliveHigh[i] = w.quantiles(w.alive, level)
		iv.PurchasesLow[i], iv.PurchasesHigh[i] = w.quantiles(w.purchases, level)
		iv.CLVLow[i], iv.CLVHigh[i] = w.quantiles(w.clv, level)
	}
	return sums
}

// quantiles returns the (1−level)/2 and (1+level)/2 quantiles of v.
func (w *intervalWork) quantiles(v []float64, level float64) (lo, hi float64) {
	copy(w.sorted, v)
	slices.Sort(w.sorted)
	return quantile(w.sorted, (1-level)/2), quantile(w.sorted, (1+level)/2)
}

// quantile returns the q-quantile of the sorted values s, interpolating
// linearly between order statistics (R's and NumPy's default, "type 7").
func quantile(s []float64, q float64) float64 {
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// bounds returns the estimate with the level interval of the draws v
// (which it sorts).
func bounds(est float64, v []float64, level float64) Bounds {
	slices.Sort(v)
	return Bounds{Estimate: est, Low: quantile(v, (1-level)/2), High: quantile(v, (1+level)/2)}
}

// drawParams draws n parameter vectors exp(θ̂ + L z), z standard normal,
// L L' = cov, θ̂ the logarithms of the estimates est; a draw that ok
// rejects is drawn again.
func drawParams(rng *rand.Rand, est []Param, cov [][]float64, n int, ok func([]float64) bool) ([][]float64, error) {
	dim := len(est)
	if len(cov) != dim {
		return nil, fmt.Errorf("no covariance matrix of the %d parameters (got %d rows)", dim, len(cov))
	}
	sym := mat.NewSymDense(dim, nil)
	for i := range dim {
		if len(cov[i]) != dim {
			return nil, fmt.Errorf("covariance row %d has %d columns, want %d", i, len(cov[i]), dim)
		}
		for j := i; j < dim; j++ {
			sym.SetSym(i, j, (cov[i][j]+cov[j][i])/2)
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(sym) {
		return nil, fmt.Errorf("the covariance matrix is not positive definite")
	}
	var l mat.TriDense
	chol.LTo(&l)
	out := make([][]float64, n)
	z := make([]float64, dim)
	for k := range n {
		v := make([]float64, dim)
		for try := 0; ; try++ {
			if try == maxRedraws {
				return nil, fmt.Errorf("%d draws in a row outside the model's domain", maxRedraws)
			}
			for i := range z {
				z[i] = rng.NormFloat64()
			}
			for i := range dim {
				t := math.Log(est[i].Value)
				for j := 0; j <= i; j++ {
					t += l.At(i, j) * z[j]
				}
				v[i] = math.Exp(t)
			}
			if ok(v) {
				break
			}
		}
		out[k] = v
	}
	return out, nil
}

// expectedAndValue returns E[Y(Periods·Length) | x, tx, T], the expected
// purchases over the whole horizon, and [Horizon.Value] of a purchase
// worth 1, from one pass over the periods.
func (h Horizon) expectedAndValue(m Purchases, x int, tx, T float64) (purchases, value float64) {
	var prev float64
	disc := 1.0
	for k := 1; k <= h.Periods; k++ {
		cur := m.ConditionalExpected(float64(k)*h.Length, x, tx, T)
		disc /= 1 + h.Rate
		value += (cur - prev) * disc
		prev = cur
	}
	return prev, value
}

// newIntervals returns the intervals of n customers by method at level,
// their bounds to be filled.
func newIntervals(method string, level float64, n int) *Intervals {
	return &Intervals{
		Method: method, Level: level,
		PAliveLow: make([]float64, n), PAliveHigh: make([]float64, n),
		PurchasesLow: make([]float64, n), PurchasesHigh: make([]float64, n),
		CLVLow: make([]float64, n), CLVHigh: make([]float64, n),
	}
}

// historyOrder returns the customers of s in history order (frequency,
// recency, age), so that equal histories are neighbours and share work.
func historyOrder(s *Summary) []int32 {
	order := make([]int32, s.Len())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		return cmp.Or(cmp.Compare(s.Frequency[a], s.Frequency[b]), cmp.Compare(s.Recency[a], s.Recency[b]), cmp.Compare(s.Age[a], s.Age[b]))
	})
	return order
}
