package clv

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// The distributions of the number of repeat purchases X(t) in (0, t] of
// a customer just acquired, for the period-transactions histogram
// ([Diagnose]). With NB(j; t) = Γ(r+j)/(Γ(r) j!) (α/(α+t))^r (t/(α+t))^j,
// the negative binomial count of a customer who never leaves:
//
//	BG/NBD:     P(X(t)=x) = B(a, b+x)/B(a, b) NB(x; t) + [x>0] B(a+1, b+x−1)/B(a, b) (1 − Σ_{j<x} NB(j; t))
//	MBG/NBD:    P(X(t)=x) = B(a, b+x+1)/B(a, b) NB(x; t) + B(a+1, b+x)/B(a, b) (1 − Σ_{j<x} NB(j; t))
//	Pareto/NBD: P(X(t)=x) = (β/(β+t))^s NB(x; t) + ∫₀ᵗ NB(x; τ) s β^s (β+τ)^−(s+1) dτ
//
// The first term is "alive throughout with x purchases", the second
// "left right after the x-th purchase" (BG/NBD and MBG/NBD, the latter
// counting the first purchase as a chance to leave) or "left at τ with
// x purchases by then" (Pareto/NBD).

// nbTerms returns NB(j; t) for j = 0..n−1.
func nbTerms(r, alpha, t float64, n int) []float64 {
	return nbInto(make([]float64, n), r, alpha, t)
}

// nbInto stores NB(j; t) in out[j] and returns out.
func nbInto(out []float64, r, alpha, t float64) []float64 {
	q := alpha / (alpha + t)
	nb := math.Exp(r * math.Log(q))
	for j := range out {
		if j > 0 {
			nb *= (r + float64(j) - 1) / float64(j) * (1 - q)
		}
		out[j] = nb
	}
	return out
}

// betaGeometricPMF is the pmf of BG/NBD (shift 0) and MBG/NBD (shift 1).
func betaGeometricPMF(r, alpha, a, b float64, shift int, t float64, n int) []float64 {
	nb := nbTerms(r, alpha, t, n)
	out := make([]float64, n)
	lbAB := lbeta(a, b)
	cum := 0.0
	for x := range n {
		fx, sh := float64(x), float64(shift)
		p := math.Exp(lbeta(a, b+fx+sh)-lbAB) * nb[x]
		if x > 0 || shift > 0 {
			p += math.Exp(lbeta(a+1, b+fx+sh-1)-lbAB) * max(0, 1-cum)
		}
		out[x] = p
		cum += nb[x]
	}
	return out
}

func lbeta(a, b float64) float64 { return lgamma(a) + lgamma(b) - lgamma(a+b) }

func (m BGNBD) pmf(t float64, n int) []float64 {
	return betaGeometricPMF(m.R, m.Alpha, m.A, m.B, 0, t, n)
}

func (m MBGNBD) pmf(t float64, n int) []float64 {
	return betaGeometricPMF(m.R, m.Alpha, m.A, m.B, 1, t, n)
}

// paretoPanels and paretoNodes are the composite Gauss-Legendre rule of
// the Pareto/NBD death-time integral, in u = ln(1 + τ/c) with c the
// smaller rate, where the integrand varies on a scale of order 1.
const (
	paretoPanels = 32
	paretoNodes  = 8
)

func (m ParetoNBD) pmf(t float64, n int) []float64 {
	out := nbTerms(m.R, m.Alpha, t, n)
	alive := math.Exp(m.S * (math.Log(m.Beta) - math.Log(m.Beta+t)))
	for j := range out {
		out[j] *= alive
	}
	if t <= 0 {
		return out
	}
	c := min(m.Alpha, m.Beta)
	U := math.Log1p(t / c)
	xs, ws := make([]float64, paretoNodes), make([]float64, paretoNodes)
	h := U / paretoPanels
	lnBeta := math.Log(m.Beta)
	nb := make([]float64, n)
	for p := range paretoPanels {
		quad.Legendre{}.FixedLocations(xs, ws, float64(p)*h, float64(p+1)*h)
		for k, u := range xs {
			tau := c * math.Expm1(u)
			// s β^s (β+τ)^−(s+1) dτ/du, dτ/du = c e^u.
			f := ws[k] * m.S * math.Exp(m.S*lnBeta-(m.S+1)*math.Log(m.Beta+tau)+u) * c
			for j, v := range nbInto(nb, m.R, m.Alpha, tau) {
				out[j] += f * v
			}
		}
	}
	return out
}
