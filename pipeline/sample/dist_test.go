package sample

import (
	"math"
	"math/rand/v2"
	"testing"
)

var samplerTests = []struct {
	name      string
	draw      func(r *rand.Rand) float64
	mean, vr  float64 // expected mean and variance
	nonNegInt bool    // draws are counts
}{
	{"gamma shape<1", func(r *rand.Rand) float64 { return gammaRand(r, 0.5, 2) }, 1, 2, false},
	{"gamma spend", func(r *rand.Rand) float64 { return gammaRand(r, 3.74, 1.0/26) }, 3.74 / 26, 3.74 / 26 / 26, false},
	{"beta dropout", func(r *rand.Rand) float64 { return betaRand(r, 0.7, 3.5) }, 0.7 / 4.2, 0.7 * 3.5 / (4.2 * 4.2 * 5.2), false},
	{"poisson small", func(r *rand.Rand) float64 { return float64(poissonRand(r, 3)) }, 3, 3, true},
	{"poisson ptrs", func(r *rand.Rand) float64 { return float64(poissonRand(r, 45)) }, 45, 45, true},
	{"poisson large", func(r *rand.Rand) float64 { return float64(poissonRand(r, 2500)) }, 2500, 2500, true},
	{"poisson zero", func(r *rand.Rand) float64 { return float64(poissonRand(r, 0)) }, 0, 0, true},
	{"exponential", func(r *rand.Rand) float64 { return expRand(r, 90) }, 90, 8100, false},
	{"lognormal", func(r *rand.Rand) float64 { return lognormal(r, 60, 0.5) }, 60 * math.Exp(0.125), 3600 * math.Exp(0.25) * (math.Exp(0.25) - 1), false},
}

// TestSamplers checks the mean and variance of every sampler against
// theory, within five standard errors.
func TestSamplers(t *testing.T) {
	const n = 200_000
	for _, tc := range samplerTests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var sum, sum2 float64
			for range n {
				x := tc.draw(r)
				if x < 0 || math.IsNaN(x) || (tc.nonNegInt && x != math.Trunc(x)) {
					t.Fatalf("drew %v", x)
				}
				sum += x
				sum2 += x * x
			}
			mean := sum / n
			vr := sum2/n - mean*mean
			if se := math.Sqrt(tc.vr / n); math.Abs(mean-tc.mean) > 5*se+1e-12 {
				t.Errorf("mean %.5g, want %.5g ± %.2g", mean, tc.mean, 5*se)
			}
			if math.Abs(vr-tc.vr) > 0.05*tc.vr+1e-12 {
				t.Errorf("variance %.5g, want %.5g ± 5%%", vr, tc.vr)
			}
		})
	}
}

func TestPick(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cum := cumulative(0.2, 0, 0.5, 0.3)
	var got [4]float64
	const n = 100_000
	for range n {
		got[pick(r, cum)]++
	}
	for i, want := range []float64{0.2, 0, 0.5, 0.3} {
		if math.Abs(got[i]/n-want) > 0.01 {
			t.Errorf("index %d picked %.3f of the time, want %.3f", i, got[i]/n, want)
		}
	}
}
