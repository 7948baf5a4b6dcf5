package clv

import "math"

// BGNBD is the beta-geometric/negative binomial distribution model of
// repeat buying (Fader, Hardie and Lee 2005): while alive, a customer buys
// at Poisson rate λ ~ Gamma(R, Alpha); after every purchase they drop out
// with probability p ~ Beta(A, B). Times (Alpha, horizons, recency, age)
// are in Unit. The methods expect positive, finite parameters.
type BGNBD struct {
	R, Alpha, A, B float64
	Unit           Unit
}

// valid reports whether every parameter is positive and finite.
func (m BGNBD) valid() bool { return positive(m.R, m.Alpha, m.A, m.B) }

// LogLikelihood returns the log-likelihood of one customer with x repeat
// purchases, the last at time tx, observed for a time T after the first:
//
//	ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
//	       − (r+x) ln(α+T) + ln(1 + [x>0] e^d)
//	d    = ln a − ln(b+x−1) + (r+x) ln((α+T)/(α+tx))
//
// the A1 + A2 sum of the paper evaluated as a log-sum-exp.
func (m BGNBD) LogLikelihood(x int, tx, T float64) float64 {
	fx := float64(x)
	ll := lgamma(m.R+fx) - lgamma(m.R) + m.R*math.Log(m.Alpha) +
		lgamma(m.A+m.B) - lgamma(m.A+m.B+fx) + lgamma(m.B+fx) - lgamma(m.B) -
		(m.R+fx)*math.Log(m.Alpha+T)
	if x > 0 {
		sp, _ := softplus(m.logOdds(x, tx, T))
		ll += sp
	}
	return ll
}

// logOdds returns d = ln(A2/A1) for x > 0: the log odds that the customer
// dropped out right after the last purchase rather than being alive.
func (m BGNBD) logOdds(x int, tx, T float64) float64 {
	fx := float64(x)
	return math.Log(m.A) - math.Log(m.B+fx-1) + (m.R+fx)*(math.Log(m.Alpha+T)-math.Log(m.Alpha+tx))
}

// PAlive returns the probability that a customer with history (x, tx, T)
// is still alive at T:
//
//	P(alive | x, tx, T) = 1 / (1 + [x>0] a/(b+x−1) ((α+T)/(α+tx))^(r+x))
//
// A customer without repeat purchases is alive with probability 1: in the
// BG/NBD model dropping out can only happen right after a purchase.
func (m BGNBD) PAlive(x int, tx, T float64) float64 {
	if x == 0 {
		return 1
	}
	_, sig := softplus(-m.logOdds(x, tx, T))
	return sig
}

// Expected returns E[X(t)], the expected number of repeat purchases in
// (0, t] of a customer who made their first purchase at 0:
//
//	E[X(t)] = (a+b−1)/(a−1) [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]
func (m BGNBD) Expected(t float64) float64 {
	if t <= 0 {
		return 0
	}
	return m.expectedAlive(0, t/(m.Alpha+t))
}

// ConditionalExpected returns E[Y(t) | x, tx, T], the expected number of
// purchases in (T, T+t] of a customer with history (x, tx, T):
//
//	E[Y(t) | x, tx, T] = (a+b+x−1)/(a−1)
//	    × [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
//	    × P(alive | x, tx, T)
//
// The hypergeometric term is summed as a series after an Euler
// transformation, with a quadrature fallback (see expectation.go); both
// are valid for every t ≥ 0.
func (m BGNBD) ConditionalExpected(t float64, x int, tx, T float64) float64 {
	if t <= 0 {
		return 0
	}
	return m.expectedAlive(x, t/(m.Alpha+T+t)) * m.PAlive(x, tx, T)
}

func (m BGNBD) timeUnit() Unit { return m.Unit }
func (m BGNBD) params() []Param {
	return []Param{{"r", m.R}, {"alpha", m.Alpha}, {"a", m.A}, {"b", m.B}}
}

func (m BGNBD) name() string { return ModelBGNBD }

func (m BGNBD) withParams(p []float64) Purchases {
	return BGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3], Unit: m.Unit}
}
