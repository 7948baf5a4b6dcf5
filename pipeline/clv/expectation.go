package clv

import "math"

// The BG/NBD expectations need
//
//	E(x, z) = (a+b+x−1)/(a−1) [1 − (1−z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)],  0 ≤ z < 1,
//
// the expected purchases in the next t of a customer alive after x repeat
// purchases, with z = t/(α+T+t) (z = t/(α+t), x = 0 for a new customer).
//
// Euler's transformation turns the hypergeometric factor into
// (1−z)^(a−1) ₂F₁(A, a−1; C; z) with A = a+b−1−r and C = a+b+x−1, and
// since (a−1)_k = (a−1)(a)_(k−1) the 1/(a−1) cancels term by term:
//
//	E(x, z) = −C L φ((a−1)L) − (1−z)^(a−1) S,   L = ln(1−z),  φ(y) = (e^y − 1)/y,
//	S = Σ_{k≥1} v_k,  v_1 = A z,  v_(k+1) = v_k (A+k)(a+k−1) z / ((C+k)(k+1)).
//
// The series has no singularity at a = 1 nor at C = 0 and, with upper
// parameters that do not grow with x, no huge terms for frequent buyers.
// Its terms fall like z^k k^(a−r−x−2), so it is summed while that takes at
// most seriesTerms terms and cancellation costs at most six digits; other
// arguments (z very near 1, or strongly alternating terms when r is large)
// go to a quadrature of the integral the expectation comes from, which is
// slower but valid on all of 0 ≤ z < 1.
//
// gonum's mathext.Hypergeo is not used: for these arguments it can loop
// forever (its Cephes ψ-expansion, taken when c−a−b is an integer and z >
// 0.9, never terminates once Γ(c−a−b+1) overflows).

const (
	seriesTerms = 20000
	maxCancel   = 1e6 // largest tolerated Σ|terms| / |result|
)

// expectedAlive returns E(x, z) above for m's parameters.
func (m BGNBD) expectedAlive(x int, z float64) float64 {
	if z <= 0 {
		return 0
	}
	if v, ok := m.expectedSeries(x, z); ok {
		return v
	}
	return m.expectedQuadrature(x, z)
}

// expectedSeries sums the transformed series; ok is false when it would
// be slow or inaccurate.
func (m BGNBD) expectedSeries(x int, z float64) (v float64, ok bool) {
	a := m.A
	A := a + m.B - 1 - m.R
	C := a + m.B + float64(x) - 1
	L := math.Log1p(-z)
	y := (a - 1) * L
	phi := 1.0
	if y != 0 {
		phi = math.Expm1(y) / y
	}
	head := -C * L * phi
	term := A * z
	sum, abs := term, math.Abs(term)
	for k := 1; ; k++ {
		if k == seriesTerms {
			return 0, false
		}
		kf := float64(k)
		term *= (A + kf) * (a + kf - 1) * z / ((C + kf) * (kf + 1))
		sum += term
		abs += math.Abs(term)
		if math.Abs(term) <= 1e-17*math.Abs(sum) || term == 0 {
			break
		}
	}
	w := math.Exp(y) // (1−z)^(a−1)
	v = head - w*sum
	if !(math.Abs(head)+w*abs <= maxCancel*math.Abs(v)) {
		return 0, false
	}
	return v, true
}

// expectedQuadrature integrates E(x, z) over the dropout probability p of
// a customer alive after x repeat purchases, p ~ Beta(a, b') with
// b' = b+x, the purchase rate (Gamma(r+x, α+T) given the history) being
// integrated out in closed form:
//
//	E(x, z) = ∫₀¹ (1 − (1 + p z/(1−z))^−(r+x)) p^(a−2) (1−p)^(b'−1) dp / B(a, b')
//
// In y = logit p the integrand is smooth and decays exponentially at both
// ends (as e^(ay) and e^(−b'y)), so the trapezoidal rule converges
// geometrically: the step resolves the Beta peak (width about
// √(1/a + 1/b')) and stays below 1/2 (the integrand is analytic in the
// strip |Im y| < π), and the range runs from 40/a below the mass, which
// for small p sits at the peak or near p = (1−z)/z, to 40/b' above it.
func (m BGNBD) expectedQuadrature(x int, z float64) float64 {
	a, b := m.A, m.B+float64(x)
	rx := m.R + float64(x)
	lnRatio := math.Log(z) - math.Log1p(-z) // ln(z/(1−z))
	lnB := lgamma(a) + lgamma(b) - lgamma(a+b)
	sigma := math.Sqrt(1/a + 1/b)
	h := min(sigma/8, 0.5)
	peak := math.Log(a / b)
	lo := min(peak, -lnRatio) - 40/a - 10*sigma
	hi := peak + 40/b + 10*sigma
	n := int(math.Ceil((hi - lo) / h))
	if n > quadraturePoints {
		n = quadraturePoints
		h = (hi - lo) / float64(n)
	}
	sum := 0.0
	for i := 0; i <= n; i++ {
		y := lo + float64(i)*h
		lp, _ := softplus(-y) // −ln p
		lq, _ := softplus(y)  // −ln(1−p)
		// ln(1 − (1 + p z/(1−z))^−(r+x)), with v = ln(p z/(1−z))
		v := lnRatio - lp
		var lbuy float64
		if v < -40 {
			lbuy = math.Log(rx) + v
		} else {
			sp, _ := softplus(v)
			lbuy = math.Log(-math.Expm1(-rx * sp))
		}
		sum += math.Exp(lbuy - (a-1)*lp - b*lq - lnB)
	}
	return sum * h
}

// quadraturePoints bounds the work of one expectedQuadrature call.
const quadraturePoints = 200000
