package sample

import (
	"math"
	"math/rand/v2"
)

// The samplers below are written out here, rather than taken from a
// statistics library, so that the bytes of a seed never change with a
// dependency's version.

// gammaRand draws from a gamma distribution with the given shape and scale
// (mean shape×scale) by Marsaglia and Tsang's method.
func gammaRand(r *rand.Rand, shape, scale float64) float64 {
	boost := 1.0
	if shape < 1 {
		// Gamma(k) = Gamma(k+1) × U^(1/k).
		boost = math.Pow(r.Float64(), 1/shape)
		shape++
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v * scale * boost
		}
	}
}

// betaRand draws from a beta distribution with parameters a and b (mean
// a/(a+b)).
func betaRand(r *rand.Rand, a, b float64) float64 {
	x := gammaRand(r, a, 1)
	y := gammaRand(r, b, 1)
	if x+y == 0 {
		return 0.5
	}
	return x / (x + y)
}

// poissonRand draws from a Poisson distribution with mean lambda: by
// multiplying uniforms for small means, by Hörmann's transformed rejection
// (PTRS) for large ones.
func poissonRand(r *rand.Rand, lambda float64) int {
	switch {
	case !(lambda > 0):
		return 0
	case lambda < 30:
		limit := math.Exp(-lambda)
		k, p := 0, r.Float64()
		for p > limit {
			k++
			p *= r.Float64()
		}
		return k
	}
	slam := math.Sqrt(lambda)
	loglam := math.Log(lambda)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lambda + 0.43)
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -lambda+k*loglam-lg {
			return int(k)
		}
	}
}

// lognormal draws from a log-normal distribution with the given median and
// log-scale standard deviation sigma.
func lognormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// expRand draws from an exponential distribution with the given mean.
func expRand(r *rand.Rand, mean float64) float64 {
	return r.ExpFloat64() * mean
}

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool {
	return r.Float64() < p
}

// pick draws an index from cumulative weights cum (non-decreasing, the last
// one being the total).
func pick(r *rand.Rand, cum []float64) int {
	u := r.Float64() * cum[len(cum)-1]
	for i, c := range cum {
		if u < c {
			return i
		}
	}
	return len(cum) - 1
}

// cumulative returns the running sums of w.
func cumulative(w ...float64) []float64 {
	c := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		c[i] = s
	}
	return c
}

// clamp returns x limited to [lo, hi].
func clamp(x, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, x))
}

// mix64 is SplitMix64's finaliser: it spreads the bits of x so that
// neighbouring inputs give unrelated PCG seeds.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
