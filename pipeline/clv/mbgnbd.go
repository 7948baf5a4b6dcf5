package clv

import (
	"context"
	"fmt"
	"math"
)

// MBGNBD is the modified BG/NBD model of Batislam, Denizel and Filiztekin
// (2007): like [BGNBD], while alive a customer buys at Poisson rate
// λ ~ Gamma(R, Alpha) and drops out with probability p ~ Beta(A, B) after
// every purchase, but the first purchase counts too, so a customer can
// drop out right after it: unlike BG/NBD, a customer without repeat
// purchases is not certainly alive. Times are in Unit. The methods expect
// positive, finite parameters.
type MBGNBD struct {
	R, Alpha, A, B float64
	Unit           Unit
}

func (m MBGNBD) valid() bool    { return positive(m.R, m.Alpha, m.A, m.B) }
func (m MBGNBD) timeUnit() Unit { return m.Unit }
func (m MBGNBD) params() []Param {
	return []Param{{"r", m.R}, {"alpha", m.Alpha}, {"a", m.A}, {"b", m.B}}
}

// LogLikelihood returns the log-likelihood of one customer with x repeat
// purchases, the last at time tx, observed for a time T after the first:
//
//	L    = B(a, b+x+1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
//	     + B(a+1, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+tx)^(r+x))
//	ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x+1) − ln B(a, b)
//	       − (r+x) ln(α+T) + ln(1 + e^d)
//	d    = ln a − ln(b+x) + (r+x) ln((α+T)/(α+tx))
//
// The second term, dropping out right after the last purchase, exists for
// x = 0 as well.
func (m MBGNBD) LogLikelihood(x int, tx, T float64) float64 {
	fx := float64(x)
	ll := lgamma(m.R+fx) - lgamma(m.R) + m.R*math.Log(m.Alpha) +
		lgamma(m.A+m.B) - lgamma(m.A+m.B+fx+1) + lgamma(m.B+fx+1) - lgamma(m.B) -
		(m.R+fx)*math.Log(m.Alpha+T)
	sp, _ := softplus(m.logOdds(x, tx, T))
	return ll + sp
}

// logOdds returns d = ln(A2/A1), the log odds that the customer dropped
// out right after the last purchase rather than being alive.
func (m MBGNBD) logOdds(x int, tx, T float64) float64 {
	fx := float64(x)
	return math.Log(m.A) - math.Log(m.B+fx) + (m.R+fx)*(math.Log(m.Alpha+T)-math.Log(m.Alpha+tx))
}

// PAlive returns the probability that a customer with history (x, tx, T)
// is still alive at T:
//
//	P(alive | x, tx, T) = 1 / (1 + a/(b+x) ((α+T)/(α+tx))^(r+x))
//
// It is below 1 for x = 0 too: a one-time buyer may have dropped out at
// their first purchase.
func (m MBGNBD) PAlive(x int, tx, T float64) float64 {
	_, sig := softplus(-m.logOdds(x, tx, T))
	return sig
}

// Expected returns E[X(t)], the expected number of repeat purchases in
// (0, t] of a customer who made their first purchase at 0:
//
//	E[X(t)] = b/(a−1) [1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))]
func (m MBGNBD) Expected(t float64) float64 {
	if t <= 0 {
		return 0
	}
	// The bracket is BG/NBD's with b+1 for b, times P(alive after the
	// first purchase) = b/(a+b).
	return m.shifted().expectedAlive(0, t/(m.Alpha+t)) * m.B / (m.A + m.B)
}

// ConditionalExpected returns E[Y(t) | x, tx, T], the expected number of
// purchases in (T, T+t] of a customer with history (x, tx, T):
//
//	E[Y(t) | x, tx, T] = (a+b+x)/(a−1)
//	    × [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))]
//	    × P(alive | x, tx, T)
//
// the BG/NBD expectation of an alive customer with b+1 for b, computed by
// the same series and quadrature (expectation.go).
func (m MBGNBD) ConditionalExpected(t float64, x int, tx, T float64) float64 {
	if t <= 0 {
		return 0
	}
	return m.shifted().expectedAlive(x, t/(m.Alpha+T+t)) * m.PAlive(x, tx, T)
}

// shifted returns the BG/NBD whose alive-customer expectations are m's:
// an alive MBG/NBD customer after x repeat purchases has survived x+1
// dropout chances, p ~ Beta(a, b+x+1), as a BG/NBD one with b+1.
func (m MBGNBD) shifted() BGNBD {
	return BGNBD{R: m.R, Alpha: m.Alpha, A: m.A, B: m.B + 1, Unit: m.Unit}
}

// mbgNegLL returns the negative mean MBG/NBD log-likelihood of d at the
// log-parameters theta = (ln r, ln α, ln a, ln b) and its gradient with
// respect to theta. It shares BG/NBD's grouped rows and kernel
// (negLogLik).
func (d *bgData) mbgNegLL(theta, grad []float64) float64 { return d.negLogLik(theta, grad, true) }

// FitMBGNBD estimates the MBG/NBD parameters from the calibration period
// of s by maximum likelihood, as [FitBGNBD] does for BG/NBD (same
// optimiser, stopping rule, start and errors).
func FitMBGNBD(ctx context.Context, s *Summary) (MBGNBD, FitReport, error) {
	return fitMBGNBD(ctx, s.Frequency, s.Recency, s.Age, s.Unit)
}

func fitMBGNBD(ctx context.Context, x []int, tx, T []float64, unit Unit) (MBGNBD, FitReport, error) {
	d, err := newBGData(x, tx, T)
	if err != nil {
		return MBGNBD{}, FitReport{}, fmt.Errorf("fit MBG/NBD: %w", err)
	}
	theta, rep, err := maximize(ctx, d.mbgNegLL, d.start(x, T), []string{"r", "alpha", "a", "b"}, d.n)
	rep.N = len(x)
	if err != nil {
		return MBGNBD{}, rep, fmt.Errorf("fit MBG/NBD: %w", err)
	}
	return MBGNBD{R: math.Exp(theta[0]), Alpha: math.Exp(theta[1]), A: math.Exp(theta[2]), B: math.Exp(theta[3]), Unit: unit}, rep, nil
}

func (m MBGNBD) name() string { return ModelMBGNBD }

func (m MBGNBD) withParams(p []float64) Purchases {
	return MBGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3], Unit: m.Unit}
}
