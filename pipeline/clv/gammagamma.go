package clv

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// GammaGamma is the spend model of Fader, Hardie and Lee (2005, "RFM and
// CLV"): a customer's transaction values are Gamma(P, ν) with a
// customer-specific rate ν ~ Gamma(Q, Gamma), independent of the
// purchase process. Only the mean spend of a customer's repeat purchases
// enters the model. The methods expect positive, finite parameters.
type GammaGamma struct {
	P, Q, Gamma float64
}

// LogLikelihood returns the log density of a mean spend mx over x
// transactions:
//
//	ln f(mx | x) = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ
//	               + (px−1) ln mx + px ln x − (px+q) ln(γ + mx x)
//
// x must be positive and mx > 0.
func (m GammaGamma) LogLikelihood(x int, mx float64) float64 {
	fx := float64(x)
	px := m.P * fx
	return lgamma(px+m.Q) - lgamma(px) - lgamma(m.Q) + m.Q*math.Log(m.Gamma) +
		(px-1)*math.Log(mx) + px*math.Log(fx) - (px+m.Q)*math.Log(m.Gamma+mx*fx)
}

// Mean returns the population mean transaction value E[Z] = pγ/(q−1), or
// +Inf when q ≤ 1.
func (m GammaGamma) Mean() float64 {
	if m.Q <= 1 {
		return math.Inf(1)
	}
	return m.P * m.Gamma / (m.Q - 1)
}

// ExpectedValue returns a customer's expected transaction value given x
// repeat purchases of mean value mx:
//
//	E[Z | x, mx] = p (γ + mx x) / (px + q − 1)
//
// a weighted mean of the population mean and mx. For x = 0 it is
// [GammaGamma.Mean]. It is +Inf when px + q ≤ 1 (the posterior mean of
// 1/ν does not exist). A negative mx (refunds exceeding purchases) is
// taken as 0.
func (m GammaGamma) ExpectedValue(x int, mx float64) float64 {
	if x <= 0 {
		return m.Mean()
	}
	fx := float64(x)
	d := m.P*fx + m.Q - 1
	if d <= 0 {
		return math.Inf(1)
	}
	return m.P * (m.Gamma + max(mx, 0)*fx) / d
}

// valid reports whether every parameter is positive and finite.
func (m GammaGamma) valid() bool { return positive(m.P, m.Q, m.Gamma) }

func positive(vs ...float64) bool {
	for _, v := range vs {
		if !(v > 0) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// ggData is a Gamma-Gamma sample grouped by frequency.
type ggData struct {
	n      float64
	groups []ggGroup
	m      []float64 // mean spends, grouped
}

type ggGroup struct {
	x, lnX float64
	lo, hi int
	sumLnM float64 // Σ ln m over the group
	n      float64
}

func newGGData(x []int, mx []float64) (*ggData, error) {
	if len(x) != len(mx) {
		return nil, fmt.Errorf("clv: Gamma-Gamma: columns of different lengths %d, %d", len(x), len(mx))
	}
	type row struct {
		x int
		m float64
	}
	var rows []row
	for i := range x {
		if x[i] > 0 && mx[i] > 0 && !math.IsInf(mx[i], 0) {
			rows = append(rows, row{x[i], mx[i]})
		}
	}
	if len(rows) == 0 {
		return nil, ErrNoRepeat
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(a.x, b.x), cmp.Compare(a.m, b.m)) })
	d := &ggData{n: float64(len(rows)), m: make([]float64, len(rows))}
	for i, r := range rows {
		if len(d.groups) == 0 || d.groups[len(d.groups)-1].x != float64(r.x) {
			d.groups = append(d.groups, ggGroup{x: float64(r.x), lnX: math.Log(float64(r.x)), lo: i})
		}
		g := &d.groups[len(d.groups)-1]
		g.hi = i + 1
		g.n++
		g.sumLnM += math.Log(r.m)
		d.m[i] = r.m
	}
	return d, nil
}

// negLL returns the negative mean log-likelihood at theta = (ln p, ln q,
// ln γ) and its gradient with respect to theta.
func (d *ggData) negLL(theta, grad []float64) float64 {
	p, q, gam := math.Exp(theta[0]), math.Exp(theta[1]), math.Exp(theta[2])
	lnGam := math.Log(gam)
	lgQ, psiQ := lgamma(q), mathext.Digamma(q)
	var ll, gp, gq, gg float64
	for _, g := range d.groups {
		x, n := g.x, g.n
		px := p * x
		lgPXQ, lgPX := lgamma(px+q), lgamma(px)
		psiPXQ, psiPX := mathext.Digamma(px+q), mathext.Digamma(px)
		var sumL, sumInv float64
		for _, m := range d.m[g.lo:g.hi] {
			v := gam + m*x
			sumL += math.Log(v)
			sumInv += 1 / v
		}
		ll += n*(lgPXQ-lgPX-lgQ+q*lnGam+px*g.lnX) + (px-1)*g.sumLnM - (px+q)*sumL
		gp += x * (n*(psiPXQ-psiPX+g.lnX) + g.sumLnM - sumL)
		gq += n*(psiPXQ-psiQ+lnGam) - sumL
		gg += n*q/gam - (px+q)*sumInv
	}
	if grad != nil {
		s := -1 / d.n
		grad[0], grad[1], grad[2] = s*gp*p, s*gq*q, s*gg*gam
	}
	return -ll / d.n
}

// FitGammaGamma estimates the Gamma-Gamma parameters by maximum likelihood
// from the repeat customers of s (Frequency > 0) whose mean repeat spend
// (Monetary) is positive; other customers are left out. It returns an
// error wrapping [ErrNoRepeat] when no customer qualifies and
// [ErrNoConvergence] when the likelihood has no interior maximum (for
// example when every customer spends the same, a spend variance of zero).
func FitGammaGamma(ctx context.Context, s *Summary) (GammaGamma, FitReport, error) {
	return fitGammaGamma(ctx, s.Frequency, s.Monetary)
}

func fitGammaGamma(ctx context.Context, x []int, mx []float64) (GammaGamma, FitReport, error) {
	d, err := newGGData(x, mx)
	if err != nil {
		return GammaGamma{}, FitReport{}, fmt.Errorf("fit Gamma-Gamma: %w", err)
	}
	// Start at p = 1, q = 2, with γ matching the mean spend: pγ/(q−1) = m̄.
	var sum float64
	for _, m := range d.m {
		sum += m
	}
	theta0 := []float64{0, math.Log(2), math.Log(sum / d.n)}
	theta, rep, err := maximize(ctx, d.negLL, theta0, []string{"p", "q", "gamma"}, d.n)
	rep.N = int(d.n)
	if err != nil {
		return GammaGamma{}, rep, fmt.Errorf("fit Gamma-Gamma: %w", err)
	}
	return GammaGamma{P: math.Exp(theta[0]), Q: math.Exp(theta[1]), Gamma: math.Exp(theta[2])}, rep, nil
}
