package clv

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/stat/distuv"
)

// deltaStep is the central-difference step in the log-parameters.
const deltaStep = 1e-4

// addDeltaIntervals computes p.Intervals by the delta method: each
// result f, on a scale g where it is unbounded (logit for P(alive),
// logarithm for expected purchases and CLV), gets the standard error
// √(∇g(f)ᵀ Σ ∇g(f)) from its central-difference gradient with respect to
// the log-parameters and their covariance Σ (fit.LogCov for the purchase
// model, ggFit.LogCov for Gamma-Gamma, independent), and the interval
// g⁻¹(g(f) ± z σ), z the (1+level)/2 normal quantile. The totals are
// treated alike, their gradients the sums of the customers'. A result
// that does not depend on the parameters (P(alive) = 1 under BG/NBD
// without repeat purchase) has an interval of width 0.
func (p *Predictions) addDeltaIntervals(ctx context.Context, m Purchases, fit FitReport, gg GammaGamma, ggFit FitReport, level float64) error {
	est := m.params()
	k := len(est)
	if len(fit.LogCov) != k || len(ggFit.LogCov) != 3 {
		return fmt.Errorf("clv: intervals of %s: no covariance matrix of the parameters", m.name())
	}
	// The models at θ̂ ± h e_j.
	shifted := func(j int, sign float64) Purchases {
		v := make([]float64, k)
		for i, q := range est {
			v[i] = q.Value
		}
		v[j] *= math.Exp(sign * deltaStep)
		return m.withParams(v)
	}
	up, down := make([]Purchases, k), make([]Purchases, k)
	for j := range k {
		up[j], down[j] = shifted(j, 1), shifted(j, -1)
	}
	ggShift := func(j int, sign float64) GammaGamma {
		v := []float64{gg.P, gg.Q, gg.Gamma}
		v[j] *= math.Exp(sign * deltaStep)
		return GammaGamma{P: v[0], Q: v[1], Gamma: v[2]}
	}
	var ggUp, ggDown [3]GammaGamma
	for j := range 3 {
		ggUp[j], ggDown[j] = ggShift(j, 1), ggShift(j, -1)
	}
	z := distuv.UnitNormal.Quantile((1 + level) / 2)

	s := p.Summary
	n := s.Len()
	iv := newIntervals(IntervalDelta, level, n)
	order := historyOrder(s)
	// Per chunk: Σ purchases, Σ CLV, and their gradients (purchases: k;
	// CLV: k purchase and 3 spend components).
	width := 2 + k + k + 3
	chunks := (n + intervalChunk - 1) / intervalChunk
	sums := make([][]float64, chunks)
	quad := func(g []float64, cov [][]float64) float64 {
		var v float64
		for a := range g {
			for b := range g {
				v += g[a] * cov[a][b] * g[b]
			}
		}
		return v
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, runtime.GOMAXPROCS(0))
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gPA, gY, gV := make([]float64, k), make([]float64, k), make([]float64, k)
			gl := make([]float64, k)
			var gZ [3]float64
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = fmt.Errorf("clv: intervals: %w", err)
					return
				}
				sum := make([]float64, width)
				prev := int32(-1)
				var pa, y, v float64
				for _, i := range order[c*intervalChunk : min((c+1)*intervalChunk, n)] {
					x, tx, T := s.Frequency[i], s.Recency[i], s.Age[i]
					if prev < 0 || x != s.Frequency[prev] || tx != s.Recency[prev] || T != s.Age[prev] {
						pa = m.PAlive(x, tx, T)
						y, v = p.Horizon.expectedAndValue(m, x, tx, T)
						for j := range k {
							yu, vu := p.Horizon.expectedAndValue(up[j], x, tx, T)
							yd, vd := p.Horizon.expectedAndValue(down[j], x, tx, T)
							gPA[j] = (up[j].PAlive(x, tx, T) - down[j].PAlive(x, tx, T)) / (2 * deltaStep)
							gY[j], gV[j] = (yu-yd)/(2*deltaStep), (vu-vd)/(2*deltaStep)
						}
					}
					prev = i
					ez := gg.ExpectedValue(x, s.Monetary[i])
					for j := range 3 {
						gZ[j] = (ggUp[j].ExpectedValue(x, s.Monetary[i]) - ggDown[j].ExpectedValue(x, s.Monetary[i])) / (2 * deltaStep)
					}
					// P(alive) on the logit scale.
					if pa > 0 && pa < 1 {
						for j := range k {
							gl[j] = gPA[j] / (pa * (1 - pa))
						}
						l, e := math.Log(pa/(1-pa)), z*math.Sqrt(quad(gl, fit.LogCov))
						iv.PAliveLow[i], iv.PAliveHigh[i] = 1/(1+math.Exp(-(l-e))), 1/(1+math.Exp(-(l+e)))
					} else {
						iv.PAliveLow[i], iv.PAliveHigh[i] = pa, pa
					}
					iv.PurchasesLow[i], iv.PurchasesHigh[i] = logInterval(y, gY, fit.LogCov, nil, nil, z, quad)
					clv := p.Margin * ez * v
					for j := range k {
						gl[j] = p.Margin * ez * gV[j]
					}
					iv.CLVLow[i], iv.CLVHigh[i] = logInterval(clv, gl, fit.LogCov, scaled(gZ[:], p.Margin*v), ggFit.LogCov, z, quad)
					sum[0] += y
					sum[1] += clv
					for j := range k {
						sum[2+j] += gY[j]
						sum[2+k+j] += p.Margin * ez * gV[j]
					}
					for j := range 3 {
						sum[2+2*k+j] += p.Margin * v * gZ[j]
					}
				}
				sums[c] = sum
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	total := make([]float64, width)
	for _, cs := range sums {
		for j := range total {
			total[j] += cs[j]
		}
	}
	lo, hi := logInterval(total[0], total[2:2+k], fit.LogCov, nil, nil, z, quad)
	iv.TotalPurchases = Bounds{Estimate: total[0], Low: lo, High: hi}
	lo, hi = logInterval(total[1], total[2+k:2+2*k], fit.LogCov, total[2+2*k:], ggFit.LogCov, z, quad)
	iv.TotalCLV = Bounds{Estimate: total[1], Low: lo, High: hi}
	p.Intervals = iv
	return nil
}

// logInterval returns f e^(∓zσ), σ² the variance of ln f from the
// gradients g1 (covariance c1) and g2 (c2, may be nil) of f; a
// non-positive f has an interval of width 0.
func logInterval(f float64, g1 []float64, c1 [][]float64, g2 []float64, c2 [][]float64, z float64, quad func([]float64, [][]float64) float64) (lo, hi float64) {
	if !(f > 0) {
		return f, f
	}
	v := quad(scaled(g1, 1/f), c1)
	if g2 != nil {
		v += quad(scaled(g2, 1/f), c2)
	}
	e := z * math.Sqrt(v)
	return f * math.Exp(-e), f * math.Exp(e)
}

// scaled returns g times a, in a new slice.
func scaled(g []float64, a float64) []float64 {
	out := make([]float64, len(g))
	for i, v := range g {
		out[i] = v * a
	}
	return out
}
