package clv

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// ParetoNBD is the Pareto/NBD model of Schmittlein, Morrison and Colombo
// (1987): while alive a customer buys at Poisson rate λ ~ Gamma(R, Alpha)
// and stays alive for an exponential lifetime of rate μ ~ Gamma(S, Beta),
// independent of λ; unlike BG/NBD, dropping out can happen at any time,
// not only at a purchase. Times are in Unit. The methods expect positive,
// finite parameters with max(Alpha, Beta)/min(Alpha, Beta) at most
// [MaxRateRatio].
type ParetoNBD struct {
	R, Alpha, S, Beta float64
	Unit              Unit
}

// MaxRateRatio bounds max(α, β)/min(α, β) for a [ParetoNBD]: beyond it the
// hypergeometric series of the likelihood needs more than about a million
// terms. A fit treats such parameters as impossible.
const MaxRateRatio = 1e4

func (m ParetoNBD) valid() bool {
	return positive(m.R, m.Alpha, m.S, m.Beta) && max(m.Alpha, m.Beta) <= MaxRateRatio*min(m.Alpha, m.Beta)
}
func (m ParetoNBD) timeUnit() Unit { return m.Unit }
func (m ParetoNBD) params() []Param {
	return []Param{{"r", m.R}, {"alpha", m.Alpha}, {"s", m.S}, {"beta", m.Beta}}
}

// paretoTerms are the parts of a Pareto/NBD likelihood, scaled by e^M:
// L = e^(C+M) (e + j1 − j2) with e the "alive at T" term and
// s·(J(tx) − J(T)) = j1 − j2 the "died between tx and T" term.
type paretoTerms struct {
	c, m      float64
	e, j1, j2 float64
	gc, ge    [4]float64 // gradients of C and ln e (= ln E)
	gj1, gj2  [4]float64 // gradients of ln j1, ln j2
}

// terms computes the likelihood terms of (x, tx, T) and, with grad, their
// gradients with respect to (r, α, s, β); ok is false when the series
// does not converge (rates beyond MaxRateRatio).
func (m ParetoNBD) terms(x float64, tx, T float64, grad bool) (pt paretoTerms, ok bool) {
	r, alpha, s, beta := m.R, m.Alpha, m.S, m.Beta
	rx := r + x
	lnAlpha, lnBeta := math.Log(alpha), math.Log(beta)
	pt.c = lgamma(rx) - lgamma(r) + r*lnAlpha + s*lnBeta
	laT, lbT := math.Log(alpha+T), math.Log(beta+T)
	lnE := -rx*laT - s*lbT
	lnS := math.Log(s)
	lj1, g1, ok1 := lnTail(rx, s+1, alpha, beta, tx)
	lj2, g2, ok2 := lnTail(rx, s+1, alpha, beta, T)
	if !ok1 || !ok2 {
		return pt, false
	}
	lj1 += lnS
	lj2 += lnS
	pt.m = max(lnE, lj1)
	pt.e = math.Exp(lnE - pt.m)
	pt.j1 = math.Exp(lj1 - pt.m)
	pt.j2 = math.Exp(lj2 - pt.m)
	if tx == T {
		pt.j2 = pt.j1
	}
	if grad {
		pt.gc = [4]float64{mathext.Digamma(rx) - mathext.Digamma(r) + lnAlpha, r / alpha, lnBeta, s / beta}
		pt.ge = [4]float64{-laT, -rx / (alpha + T), -lbT, -s / (beta + T)}
		pt.gj1, pt.gj2 = g1, g2
		pt.gj1[2] += 1 / s
		pt.gj2[2] += 1 / s
	}
	return pt, true
}

// lnTail returns the logarithm of
//
//	J(t) = ∫_t^∞ (α+τ)^−p (β+τ)^−q dτ
//
// and its gradient with respect to (p, α, q, β). With u ≥ v the larger
// and smaller of the two rates (p and q swapped along with them, as P and
// Q), c = u+t, z = (u−v)/c and a = p+q−1,
//
//	J(t) = c^−a ₂F₁(a, Q; a+1; z) / a
//	     = c^−a (1−z)^(1−Q) ₂F₁(1, P; a+1; z) / a        (Euler's transformation)
//
// the ₂F₁ of Fader, Hardie and Lee's note, its argument in [0, 1) by the
// choice of u. The transformed series has positive terms that fall at
// least as fast as z^k, so it neither overflows nor cancels whatever the
// history; ok is false when it needs more than maxParetoTerms terms.
func lnTail(p, q, alpha, beta, t float64) (lnJ float64, grad [4]float64, ok bool) {
	P, Q, u, v := p, q, alpha, beta
	swap := alpha < beta
	if swap {
		P, Q, u, v = q, p, beta, alpha
	}
	a := p + q - 1
	c := u + t
	lnC := math.Log(c)
	z := (u - v) / c
	ln1z := math.Log(v+t) - lnC // ln(1−z)
	g, gP, gQ, gz, ok := hyp2f1One(P, Q, z)
	if !ok {
		return 0, grad, false
	}
	lnJ = -a*lnC + (1-Q)*ln1z + math.Log(g) - math.Log(a)
	// Derivatives with respect to P, Q (through a = P+Q−1 as well), z
	// and the two rates.
	dP := -lnC + gP/g - 1/a
	dQ := -lnC - ln1z + gQ/g - 1/a
	dz := (Q-1)/(1-z) + gz/g
	du := -a/c + dz*(v+t)/(c*c)
	dv := -dz / c
	if swap {
		return lnJ, [4]float64{dQ, dv, dP, du}, true
	}
	return lnJ, [4]float64{dP, du, dQ, dv}, true
}

// maxParetoTerms bounds the terms of one hyp2f1One series. It ends
// within it for z up to about 0.999; beyond, where the optimiser only
// passes through (rates far apart, next to an observation time much
// shorter than them), the likelihood counts as undefined, so that one
// step does not cost millions of terms per customer.
const maxParetoTerms = 50_000

// hyp2f1One returns G = ₂F₁(1, P; P+Q; z) = Σ_k (P)_k/(P+Q)_k z^k for
// P, Q > 0 and 0 ≤ z < 1, with its derivatives with respect to P, Q (the
// lower parameter P+Q moving with both) and z, summed term by term. ok
// is false when the series needs more than maxParetoTerms terms.
func hyp2f1One(P, Q, z float64) (g, gP, gQ, gz float64, ok bool) {
	if z == 0 {
		return 1, 0, 0, P / (P + Q), true
	}
	c := P + Q
	g = 1
	term := 1.0
	var hP, hQ float64 // d ln term/dP, d ln term/dQ
	tail := 1 / (1 - z)
	for k := 0; k < maxParetoTerms; k++ {
		kf := float64(k)
		hP += 1/(P+kf) - 1/(c+kf)
		hQ -= 1 / (c + kf)
		term *= (P + kf) / (c + kf) * z
		kt := kf + 1 // the power of z in term
		g += term
		gP += term * hP
		gQ += term * hQ
		gz += term * kt
		// Later ratios stay below z: the rest of the sum, and of its
		// k-weighted sum, is below term·z/(1−z) and term·(k+1/(1−z))/(1−z).
		if term*(kt+tail)*tail <= 1e-17*g {
			return g, gP, gQ, gz / z, true
		}
	}
	return 0, 0, 0, 0, false
}

// LogLikelihood returns the log-likelihood of one customer with x repeat
// purchases, the last at tx, observed for a time T after the first:
//
//	L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^−(r+x) (β+T)^−s + s ∫_tx^T (α+τ)^−(r+x) (β+τ)^−(s+1) dτ ]
//
// alive at T, or died at some τ between the last purchase and T; the
// integral is J(tx) − J(T) of [lnTail], and the sum is taken in
// logarithms. It is NaN when the rates are beyond [MaxRateRatio].
func (m ParetoNBD) LogLikelihood(x int, tx, T float64) float64 {
	pt, ok := m.terms(float64(x), tx, T, false)
	if !ok {
		return math.NaN()
	}
	return pt.c + pt.m + math.Log(pt.e+pt.j1-pt.j2)
}

// PAlive returns the probability that a customer with history (x, tx, T)
// is still alive at T: the "alive" term of the likelihood over the
// likelihood,
//
//	P(alive | x, tx, T) = (α+T)^−(r+x) (β+T)^−s Γ(r+x) α^r β^s / (Γ(r) L)
//
// It is below 1 for every history, one-time buyers included. It is NaN
// when the rates are beyond [MaxRateRatio].
func (m ParetoNBD) PAlive(x int, tx, T float64) float64 {
	pt, ok := m.terms(float64(x), tx, T, false)
	if !ok {
		return math.NaN()
	}
	return pt.e / (pt.e + pt.j1 - pt.j2)
}

// Expected returns E[X(t)], the expected number of repeat purchases in
// (0, t] of a customer who made their first purchase at 0:
//
//	E[X(t)] = rβ/(α(s−1)) [1 − (β/(β+t))^(s−1)]
//
// (the limit rβ/α ln(1 + t/β) at s = 1).
func (m ParetoNBD) Expected(t float64) float64 {
	if t <= 0 {
		return 0
	}
	return m.R / m.Alpha * m.Beta * lifeFactor(m.S, t/m.Beta)
}

// ConditionalExpected returns E[Y(t) | x, tx, T], the expected number of
// purchases in (T, T+t] of a customer with history (x, tx, T):
//
//	E[Y(t) | x, tx, T] = (r+x)(β+T) / ((α+T)(s−1)) [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive | x, tx, T)
//
// (the limit (r+x)(β+T)/(α+T) ln(1 + t/(β+T)) at s = 1).
func (m ParetoNBD) ConditionalExpected(t float64, x int, tx, T float64) float64 {
	if t <= 0 {
		return 0
	}
	rx := m.R + float64(x)
	return rx / (m.Alpha + T) * (m.Beta + T) * lifeFactor(m.S, t/(m.Beta+T)) * m.PAlive(x, tx, T)
}

// lifeFactor returns [1 − (1+u)^−(s−1)]/(s−1), continuous at s = 1 where
// it is ln(1+u): with L = ln(1+u) it is L φ(−(s−1)L), φ(y) = (e^y − 1)/y.
func lifeFactor(s, u float64) float64 {
	L := math.Log1p(u)
	y := -(s - 1) * L
	if y == 0 {
		return L
	}
	return L * math.Expm1(y) / y
}

func (m ParetoNBD) name() string { return ModelParetoNBD }

func (m ParetoNBD) withParams(p []float64) Purchases {
	return ParetoNBD{R: p[0], Alpha: p[1], S: p[2], Beta: p[3], Unit: m.Unit}
}
