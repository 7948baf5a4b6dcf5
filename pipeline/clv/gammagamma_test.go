package clv

import (
	"context"
	"errors"
	"math"
	"testing"
)

var ggValueCases = []struct {
	name string
	m    GammaGamma
	x    int
	mx   float64
	want float64
}{
	// p(γ + mx x)/(px + q − 1), by hand
	{"new customer", GammaGamma{P: 2, Q: 3, Gamma: 10}, 0, 0, 2 * 10 / 2.0},
	{"four purchases", GammaGamma{P: 2, Q: 3, Gamma: 10}, 4, 20, 2 * (10 + 80) / 10.0},
	{"refunds clamp to zero", GammaGamma{P: 2, Q: 3, Gamma: 10}, 4, -5, 2 * 10 / 10.0},
	{"infinite population mean", GammaGamma{P: 2, Q: 1, Gamma: 10}, 0, 0, math.Inf(1)},
	{"repeat buyer, q below one", GammaGamma{P: 2, Q: 0.5, Gamma: 10}, 3, 12, 2 * (10 + 36) / 5.5},
	{"px + q below one", GammaGamma{P: 0.1, Q: 0.5, Gamma: 10}, 2, 12, math.Inf(1)},
}

func TestGammaGammaExpectedValue(t *testing.T) {
	for _, tc := range ggValueCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.ExpectedValue(tc.x, tc.mx); relErr(got, tc.want) > 1e-14 && got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// The density of the mean spend integrates to one and has mean pγ/(q−1):
// mx·x/γ is beta-prime(px, q), so m = (γ/x)·u/(1−u) maps (0, 1) onto
// (0, ∞).
func TestGammaGammaDensity(t *testing.T) {
	m := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	for _, x := range []int{1, 2, 7, 30} {
		scale := m.Gamma / float64(x)
		var mass, mean float64
		mass = tanhSinh(func(u, v float64) float64 {
			mx := scale * u / v
			return math.Exp(m.LogLikelihood(x, mx)) * scale / (v * v)
		})
		mean = tanhSinh(func(u, v float64) float64 {
			mx := scale * u / v
			return mx * math.Exp(m.LogLikelihood(x, mx)) * scale / (v * v)
		})
		if math.Abs(mass-1) > 1e-9 {
			t.Errorf("x=%d: density integrates to %.12f, want 1", x, mass)
		}
		if relErr(mean, m.Mean()) > 1e-9 {
			t.Errorf("x=%d: mean %.10f, want %.10f", x, mean, m.Mean())
		}
	}
}

func TestGammaGammaObjective(t *testing.T) {
	c := simulate(9, BGNBD{R: 0.6, Alpha: 4, A: 0.8, B: 2.5}, GammaGamma{P: 6, Q: 4, Gamma: 15}, 2000, 20, 60, 0)
	d, err := newGGData(c.x, c.m)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []GammaGamma{{P: 6.25, Q: 3.74, Gamma: 15.44}, {P: 0.5, Q: 9, Gamma: 200}} {
		theta := []float64{math.Log(m.P), math.Log(m.Q), math.Log(m.Gamma)}
		grad := make([]float64, 3)
		got := -d.negLL(theta, grad) * d.n
		want := 0.0
		for i := range c.x {
			if c.x[i] > 0 {
				want += m.LogLikelihood(c.x[i], c.m[i])
			}
		}
		if relErr(got, want) > 1e-11 {
			t.Errorf("%+v: log-likelihood got %.12g, want %.12g", m, got, want)
		}
		checkGradient(t, m, d.negLL, theta, grad)
	}
}

// Recovery: 20,000 simulated customers, of whom about 9,000 buy again;
// every estimate within four standard errors of the truth.
func TestFitGammaGammaRecovers(t *testing.T) {
	truth := GammaGamma{P: 6, Q: 4, Gamma: 15}
	c := simulate(43, BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5}, truth, 20000, 26, 78, 0)
	got, rep, err := FitGammaGamma(context.Background(), c.summary())
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{truth.P, truth.Q, truth.Gamma}
	est := []float64{got.P, got.Q, got.Gamma}
	for i, name := range []string{"p", "q", "gamma"} {
		se := rep.StdErr[i]
		if se > 0.1*want[i] {
			t.Errorf("%s: standard error %.3g too large for a recovery test", name, se)
		}
		t.Logf("%s: %.4f ± %.4f (truth %.4f)", name, est[i], se, want[i])
		if math.Abs(est[i]-want[i]) > 4*se {
			t.Errorf("%s: got %.4f ± %.4f, want %.4f", name, est[i], se, want[i])
		}
	}
	if rep.N < 5000 {
		t.Errorf("fitted on %d repeat customers, want the ~9,000 with x > 0", rep.N)
	}
}

var degenerateGG = []struct {
	name string
	x    []int
	m    []float64
	want error
}{
	{"empty", nil, nil, ErrNoRepeat},
	{"no repeat customers", []int{0, 0}, []float64{0, 0}, ErrNoRepeat},
	{"zero spend", []int{3, 1}, []float64{0, 0}, ErrNoRepeat},
	{"one customer", []int{1}, []float64{10}, ErrNoConvergence},
	{"identical spends", []int{2, 2, 2}, []float64{10, 10, 10}, ErrNoConvergence},
}

func TestFitGammaGammaDegenerate(t *testing.T) {
	for _, tc := range degenerateGG {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := fitGammaGamma(context.Background(), tc.x, tc.m)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %+v, %v; want error %v", m, err, tc.want)
			}
		})
	}
}

func TestFitGammaGammaCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := simulate(3, BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5}, GammaGamma{P: 6, Q: 4, Gamma: 15}, 500, 26, 78, 0)
	if _, _, err := FitGammaGamma(ctx, c.summary()); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
