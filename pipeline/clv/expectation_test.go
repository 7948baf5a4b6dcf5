package clv

import (
	"math"
	"testing"
)

// tanhSinh integrates f over (0, 1) by double-exponential quadrature with
// step 1/64 on t ∈ [−4.5, 4.5], p = (1 + tanh(π/2 sinh t))/2; f receives p
// and 1−p, each computed without cancellation.
func tanhSinh(f func(p, q float64) float64) float64 {
	const h = 1.0 / 64
	sum := 0.0
	for k := -288; k <= 288; k++ {
		t := float64(k) * h
		u := math.Pi / 2 * math.Sinh(t)
		p, q := 1/(1+math.Exp(-2*u)), 1/(1+math.Exp(2*u))
		if p == 0 || q == 0 {
			continue
		}
		ch := math.Cosh(u)
		sum += math.Pi / 2 * math.Cosh(t) / (2 * ch * ch) * f(p, q)
	}
	return h * sum
}

// betaMean integrates g(p) against the Beta(a, b) density, substituting
// p = s^(1/a) to absorb p^(a−1), by tanh-sinh quadrature: a method
// independent of the package's series and of its logit-space fallback,
// accurate while the Beta density is not sharply peaked (a, b ≲ 200).
func betaMean(a, b float64, g func(p float64) float64) float64 {
	f := func(s, qs float64) float64 {
		lp := math.Log(s) / a
		if s >= 0.5 {
			lp = math.Log1p(-qs) / a
		}
		p, q := math.Exp(lp), -math.Expm1(lp)
		if q == 0 {
			return 0
		}
		return g(p) * math.Exp((b-1)*math.Log(q)) / a
	}
	return tanhSinh(f) / math.Exp(lbeta(a, b))
}

// expectedByQuadrature computes E[X(t)] without the hypergeometric
// function: E[X(t) | λ, p] = (1 − e^(−λpt))/p, averaged over λ ~ Gamma(r, α)
// in closed form, (1 − (α/(α+pt))^r)/p, and over p ~ Beta(a, b).
func expectedByQuadrature(m BGNBD, t float64) float64 {
	return betaMean(m.A, m.B, func(p float64) float64 {
		if p == 0 {
			return m.R * t / m.Alpha
		}
		return -math.Expm1(-m.R*math.Log1p(p*t/m.Alpha)) / p
	})
}

// conditionalByQuadrature computes E[Y(t) | x, tx, T] from the posterior
// of (λ, p) without the hypergeometric function. With λ integrated out in
// closed form the posterior mixes "alive", weight B(a, b+x), in which p ~
// Beta(a, b+x) and λ ~ Gamma(r+x, α+T), and "dropped out after the last
// purchase", weight ((α+T)/(α+tx))^(r+x) B(a+1, b+x−1), which buys nothing:
//
//	E = w_alive/(w_alive+w_dead) · E_p[(1 − ((α+T)/(α+T+pt))^(r+x)) / p]
func conditionalByQuadrature(m BGNBD, t float64, x int, tx, T float64) float64 {
	fx := float64(x)
	rx := m.R + fx
	alive := betaMean(m.A, m.B+fx, func(p float64) float64 {
		if p == 0 {
			return rx * t / (m.Alpha + T)
		}
		return -math.Expm1(-rx*math.Log1p(p*t/(m.Alpha+T))) / p
	})
	wDead := 0.0
	if x > 0 {
		wDead = math.Exp(rx*math.Log((m.Alpha+T)/(m.Alpha+tx)) + lbeta(m.A+1, m.B+fx-1) - lbeta(m.A, m.B+fx))
	}
	return alive / (1 + wDead)
}

// expectationModels span the parameter space, including a = 1 where the
// closed forms are 0/0.
var expectationModels = []struct {
	name string
	m    BGNBD
	tol  float64 // relative
}{
	{"cdnow", cdnowPublished, 1e-8},
	{"a above one", BGNBD{R: 1.3, Alpha: 8, A: 2.5, B: 6}, 1e-8},
	{"a near one", BGNBD{R: 0.8, Alpha: 2, A: 1 + 3e-9, B: 1.5}, 1e-8},
	{"a exactly one", BGNBD{R: 0.8, Alpha: 2, A: 1, B: 1.5}, 1e-8},
	{"a+b below one", BGNBD{R: 0.7, Alpha: 3, A: 0.3, B: 0.5}, 1e-8},
	{"r equals a", BGNBD{R: 0.05, Alpha: 200, A: 0.05, B: 40}, 1e-8},
	{"homogeneous rates", BGNBD{R: 20, Alpha: 100, A: 3, B: 10}, 1e-8},
	{"fast buyers", BGNBD{R: 4, Alpha: 0.5, A: 0.4, B: 3}, 1e-8},
	{"b below one", BGNBD{R: 0.3, Alpha: 20, A: 3, B: 0.5}, 1e-8},
}

func TestBGNBDExpectedAgainstQuadrature(t *testing.T) {
	for _, tc := range expectationModels {
		t.Run(tc.name, func(t *testing.T) {
			for _, horizon := range []float64{0.5, 1, 10, 52, 500, 5000, 1e7} {
				got, want := tc.m.Expected(horizon), expectedByQuadrature(tc.m, horizon)
				if relErr(got, want) > tc.tol {
					t.Errorf("E[X(%v)] got %.10g, want %.10g", horizon, got, want)
				}
			}
		})
	}
}

func TestBGNBDConditionalAgainstQuadrature(t *testing.T) {
	histories := []struct {
		x     int
		tx, T float64
	}{{0, 0, 38.86}, {1, 1.71, 38.86}, {2, 30.43, 38.86}, {7, 29.43, 38.86}, {26, 30.86, 31}, {50, 77, 78}, {12, 3, 78}, {200, 99, 100}}
	for _, tc := range expectationModels {
		t.Run(tc.name, func(t *testing.T) {
			for _, h := range histories {
				for _, horizon := range []float64{1, 39, 52, 520, 5200, 1e7} {
					got := tc.m.ConditionalExpected(horizon, h.x, h.tx, h.T)
					want := conditionalByQuadrature(tc.m, horizon, h.x, h.tx, h.T)
					if math.IsNaN(got) || relErr(got, want) > tc.tol {
						t.Errorf("E[Y(%v) | %d, %v, %v] got %.10g, want %.10g", horizon, h.x, h.tx, h.T, got, want)
					}
				}
			}
		})
	}
}

// The quadrature fallback must agree with the series wherever the series
// is usable, including sharply peaked posteriors (large a, b+x) that the
// test reference cannot integrate.
func TestExpectedFallbackMatchesSeries(t *testing.T) {
	models := []BGNBD{
		cdnowPublished,
		{R: 0.7, Alpha: 3, A: 0.3, B: 0.5},
		{R: 0.05, Alpha: 200, A: 0.05, B: 40},
		{R: 20, Alpha: 100, A: 30, B: 100},
		{R: 0.01, Alpha: 1, A: 5, B: 0.1},
		{R: 1, Alpha: 1, A: 1, B: 1},
	}
	checked := 0
	for _, m := range models {
		for _, x := range []int{0, 1, 5, 30, 1000, 3000} {
			for _, z := range []float64{1e-6, 0.01, 0.3, 0.7, 0.9, 0.99, 0.999} {
				s, ok := m.expectedSeries(x, z)
				if !ok {
					continue
				}
				checked++
				if q := m.expectedQuadrature(x, z); relErr(q, s) > 1e-9 {
					t.Errorf("%+v x=%d z=%v: quadrature %.12g, series %.12g", m, x, z, q, s)
				}
			}
		}
	}
	if checked < 150 {
		t.Errorf("only %d points had a usable series", checked)
	}
}

// Far beyond the data (z → 1) the series is abandoned, and for a > 1 the
// expectation tends to E[1/p | alive] = (a+b+x−1)/(a−1); with r+x ≥ 3 the
// remaining gap, of order ((1−z)/z)^(r+x), is far below the tolerance.
func TestExpectedFarHorizon(t *testing.T) {
	for _, m := range []BGNBD{{R: 0.3, Alpha: 20, A: 3, B: 0.5}, {R: 20, Alpha: 100, A: 30, B: 100}, {R: 0.01, Alpha: 1, A: 5, B: 0.1}} {
		for _, x := range []int{3, 40, 3000} {
			z := 1 - 1e-13
			if _, ok := m.expectedSeries(x, z); ok && x < 40 {
				t.Errorf("%+v x=%d: series used at z=%v", m, x, z)
			}
			got := m.expectedAlive(x, z)
			want := (m.A + m.B + float64(x) - 1) / (m.A - 1)
			if relErr(got, want) > 1e-9 {
				t.Errorf("%+v x=%d: got %.12g, want %.12g", m, x, got, want)
			}
		}
	}
}

// A large r makes the series alternate strongly; the cancellation check
// must send such arguments to the quadrature, and the result must still
// match the reference.
func TestExpectedCancellation(t *testing.T) {
	m := BGNBD{R: 50, Alpha: 10, A: 0.5, B: 1}
	if _, ok := m.expectedSeries(0, 0.9); ok {
		t.Fatal("series accepted with r = 50, z = 0.9")
	}
	for _, horizon := range []float64{5, 100, 1000} {
		got := m.ConditionalExpected(horizon, 1, 5, 30)
		want := conditionalByQuadrature(m, horizon, 1, 5, 30)
		if relErr(got, want) > 1e-8 {
			t.Errorf("E[Y(%v)] got %.12g, want %.12g", horizon, got, want)
		}
	}
}
