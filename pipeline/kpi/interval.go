package kpi

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Confidence is the level of every interval and test of the KPI table:
// 95% intervals, changes significant at the 5% level (two-sided).
const Confidence = 0.95

// LowN is the number of observations below which the reports mark a
// cell "n < 30" instead of colouring its change.
const LowN = 30

// z95 is the standard normal quantile of 1 − (1 − Confidence)/2.
const z95 = 1.959963984540054

// Method names how a metric's interval and change test are computed;
// docs/metrics.md ("Intervals and significant changes") defines each.
type Method string

// The methods. A metric's method follows from its Stat and Unit
// ([Metric.Method]); a cell whose observations do not fit the method gets
// no interval (null), never a made-up one.
const (
	// MethodWilson is the Wilson score interval of a proportion, and the
	// pooled two-proportion z-test of a change: shares, rates, CSAT %.
	MethodWilson Method = "wilson"
	// MethodNPS is the normal interval of the NPS from the multinomial
	// variance of promoters and detractors, and the z-test of the
	// difference of two independent NPS.
	MethodNPS Method = "nps"
	// MethodT is Student's t interval of a mean, and Welch's t-test of a
	// change.
	MethodT Method = "t"
	// MethodOrder is the distribution-free interval of a quantile from
	// order statistics (exact cells only); a change is significant when
	// the two periods' intervals do not overlap, a conservative test.
	MethodOrder Method = "order_statistic"
	// MethodNone: counts, sums and weighted ratios carry no interval.
	MethodNone Method = ""
)

// Method returns how the metric's interval and change test are computed.
func (m *Metric) Method() Method {
	switch m.Stat {
	case Share:
		return MethodWilson
	case Quantile:
		return MethodOrder
	case Ratio:
		switch m.Unit {
		case UnitPercent:
			return MethodWilson
		case UnitPoints:
			return MethodNPS
		}
		return MethodT
	}
	return MethodNone
}

// interval returns the 95% interval of the cell's value under the metric's
// method, scaled like the value; ok is false when the cell does not allow
// one: too few observations, weighted observations, values that are not
// 0/1 for a proportion, or a quantile cell kept as a sketch. total is the
// cell of dimension "all", for shares.
func (m *Metric) interval(c, total *cell) (lo, hi float64, ok bool) {
	if c == nil || c.n == 0 {
		return 0, 0, false
	}
	scale := m.Scale
	if scale == 0 {
		scale = 1
	}
	switch m.Method() {
	case MethodWilson:
		k, n, ok := proportion(m, c, total)
		if !ok {
			return 0, 0, false
		}
		lo, hi := wilson(k, n)
		return lo * scale, hi * scale, true
	case MethodNPS, MethodT:
		if c.weighted || c.n < 2 {
			return 0, 0, false
		}
		mean, se := c.x/float64(c.n), 0.0
		crit := z95
		if m.Method() == MethodNPS {
			se = math.Sqrt(max(0, c.xx/float64(c.n)-mean*mean) / float64(c.n))
		} else {
			se = math.Sqrt(sampleVar(c) / float64(c.n))
			crit = tQuantile(float64(c.n - 1))
		}
		return (mean - crit*se) * scale, (mean + crit*se) * scale, true
	case MethodOrder:
		if c.sketch != nil || len(c.vals) == 0 {
			return 0, 0, false
		}
		return orderInterval(c.vals, m.Q)
	}
	return 0, 0, false
}

// proportion returns the successes and trials of a proportion cell.
func proportion(m *Metric, c, total *cell) (k, n float64, ok bool) {
	if m.Stat == Share {
		if total == nil || total.w <= 0 || c.weighted || total.weighted {
			return 0, 0, false
		}
		return c.w, total.w, true
	}
	if c.weighted || c.nonBinary || c.w <= 0 {
		return 0, 0, false
	}
	return c.x, c.w, true
}

// wilson is the Wilson score interval of k successes in n trials.
func wilson(k, n float64) (lo, hi float64) {
	p, z2 := k/n, z95*z95
	den := 1 + z2/n
	center := (p + z2/(2*n)) / den
	half := z95 / den * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return max(0, center-half), min(1, center+half)
}

// sampleVar is the unbiased sample variance of an unweighted cell.
func sampleVar(c *cell) float64 {
	n := float64(c.n)
	mean := c.x / n
	return max(0, (c.xx-n*mean*mean)/(n-1))
}

// tQuantile is the 1 − (1 − Confidence)/2 quantile of Student's t with
// df degrees of freedom.
func tQuantile(df float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(1 - (1-Confidence)/2)
}

// orderInterval returns the distribution-free interval [x₍ⱼ₎, x₍ₖ₎] of the
// q-quantile of the sorted values: with B ~ Binomial(n, q), j is the
// largest rank with P(B ≤ j−1) ≤ α/2 and k the smallest with
// P(B ≤ k−1) ≥ 1 − α/2, so the interval covers the quantile with
// probability at least 1 − α. ok is false when n is too small for such
// ranks to exist (fewer than 6 values for a median).
func orderInterval(sorted []float64, q float64) (lo, hi float64, ok bool) {
	n := len(sorted)
	alpha := 1 - Confidence
	b := distuv.Binomial{N: float64(n), P: q}
	// F is monotone, so both ranks are found by bisection: a few dozen
	// evaluations of F per cell rather than one per value.
	j := sort.Search(n, func(i int) bool { return b.CDF(float64(i)) > alpha/2 })        // F(j−1) ≤ α/2 < F(j); 0: none
	k := sort.Search(n, func(i int) bool { return b.CDF(float64(i)) >= 1-alpha/2 }) + 1 // F(k−2) < 1 − α/2 ≤ F(k−1); n+1: none
	if j == 0 || k > n || j > k {
		return 0, 0, false
	}
	return sorted[j-1], sorted[k-1], true
}

// significant tests the change of the metric from cell prev to cell c:
// ok is false when the method has no test or a cell does not allow it.
// totals are the cells of dimension "all" of each period, for shares.
func (m *Metric) significant(c, cTotal, prev, prevTotal *cell) (sig, ok bool) {
	if c == nil || prev == nil || c.n == 0 || prev.n == 0 {
		return false, false
	}
	switch m.Method() {
	case MethodWilson:
		k1, n1, ok1 := proportion(m, c, cTotal)
		k0, n0, ok0 := proportion(m, prev, prevTotal)
		if !ok1 || !ok0 {
			return false, false
		}
		p := (k1 + k0) / (n1 + n0)
		se := math.Sqrt(p * (1 - p) * (1/n1 + 1/n0))
		if se == 0 {
			return false, true // both periods all one way: no change
		}
		return math.Abs(k1/n1-k0/n0)/se > z95, true
	case MethodNPS:
		if c.weighted || prev.weighted || c.n < 2 || prev.n < 2 {
			return false, false
		}
		v := func(c *cell) float64 {
			mean := c.x / float64(c.n)
			return max(0, c.xx/float64(c.n)-mean*mean) / float64(c.n)
		}
		se := math.Sqrt(v(c) + v(prev))
		d := c.x/float64(c.n) - prev.x/float64(prev.n)
		if se == 0 {
			return d != 0, true
		}
		return math.Abs(d)/se > z95, true
	case MethodT:
		if c.weighted || prev.weighted || c.n < 2 || prev.n < 2 {
			return false, false
		}
		a, b := sampleVar(c)/float64(c.n), sampleVar(prev)/float64(prev.n)
		d := c.x/float64(c.n) - prev.x/float64(prev.n)
		if a+b == 0 {
			return d != 0, true
		}
		// Welch–Satterthwaite degrees of freedom.
		df := (a + b) * (a + b) / (a*a/float64(c.n-1) + b*b/float64(prev.n-1))
		return math.Abs(d)/math.Sqrt(a+b) > tQuantile(df), true
	case MethodOrder:
		lo1, hi1, ok1 := m.interval(c, nil)
		lo0, hi0, ok0 := m.interval(prev, nil)
		if !ok1 || !ok0 {
			return false, false
		}
		return hi1 < lo0 || hi0 < lo1, true
	}
	return false, false
}
