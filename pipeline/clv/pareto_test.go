package clv

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// directParetoLL is the Pareto/NBD likelihood with the integral over the
// death time taken by Simpson's rule on a fine grid: an independent check
// of the hypergeometric form.
func directParetoLL(m ParetoNBD, x int, tx, T float64) float64 {
	fx := float64(x)
	rx := m.R + fx
	c := lgamma(rx) - lgamma(m.R) + m.R*math.Log(m.Alpha) + m.S*math.Log(m.Beta)
	f := func(tau float64) float64 {
		return math.Exp(-rx*math.Log(m.Alpha+tau) - (m.S+1)*math.Log(m.Beta+tau))
	}
	const n = 20000
	h := (T - tx) / n
	integral := f(tx) + f(T)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		integral += w * f(tx+float64(i)*h)
	}
	integral *= h / 3
	alive := math.Exp(-rx*math.Log(m.Alpha+T) - m.S*math.Log(m.Beta+T))
	return c + math.Log(alive+m.S*integral)
}

// paretoCDNOW are the estimates of Fader, Hardie and Lee's note on
// implementing the Pareto/NBD model, for the CDNOW sample.
var paretoCDNOW = ParetoNBD{R: 0.55, Alpha: 10.58, S: 0.61, Beta: 11.67, Unit: Weeks}

var paretoLLCases = []struct {
	name  string
	m     ParetoNBD
	x     int
	tx, T float64
}{
	{"cdnow one-off", paretoCDNOW, 0, 0, 38.86},
	{"cdnow customer 1", paretoCDNOW, 2, 30.43, 38.86},
	{"cdnow customer 1516", paretoCDNOW, 26, 30.86, 31},
	{"alpha above beta", ParetoNBD{R: 2, Alpha: 40, S: 0.8, Beta: 3}, 5, 20, 100},
	{"alpha far below beta", ParetoNBD{R: 0.5, Alpha: 0.2, S: 3, Beta: 900}, 3, 2, 200},
	{"equal rates", ParetoNBD{R: 1, Alpha: 5, S: 1, Beta: 5}, 1, 3, 10},
	{"s one, last purchase at T", ParetoNBD{R: 1, Alpha: 5, S: 1, Beta: 2}, 4, 10, 10},
	{"frequent buyer", ParetoNBD{R: 3, Alpha: 1, S: 0.5, Beta: 20}, 150, 50, 52},
}

func TestParetoNBDLogLikelihood(t *testing.T) {
	for _, tc := range paretoLLCases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.m.LogLikelihood(tc.x, tc.tx, tc.T)
			want := directParetoLL(tc.m, tc.x, tc.tx, tc.T)
			if relErr(got, want) > 1e-10 {
				t.Errorf("got %.15g, want %.15g", got, want)
			}
			p := tc.m.PAlive(tc.x, tc.tx, tc.T)
			if !(p > 0 && p <= 1) {
				t.Errorf("P(alive) = %v", p)
			}
		})
	}
}

// Near the edge of MaxRateRatio the series is long but exact.
func TestParetoNBDExtremeRates(t *testing.T) {
	for _, m := range []ParetoNBD{
		{R: 0.5, Alpha: 1e4, S: 0.7, Beta: 1.01},
		{R: 0.5, Alpha: 1.01, S: 0.7, Beta: 1e4},
	} {
		got := m.LogLikelihood(0, 0, 30)
		if want := directParetoLL(m, 0, 0, 30); relErr(got, want) > 1e-8 {
			t.Errorf("%+v: got %.12g, want %.12g", m, got, want)
		}
	}
	if m := (ParetoNBD{R: 1, Alpha: 1e6, S: 1, Beta: 1}); m.valid() {
		t.Errorf("%+v accepted beyond MaxRateRatio", m)
	}
}

func TestParetoNBDObjective(t *testing.T) {
	c := simulatePareto(1, ParetoNBD{R: 0.6, Alpha: 8, S: 0.7, Beta: 12}, 2000, 20, 60, 0)
	for i := range c.T { // ties, as day-resolution data has
		c.T[i] = math.Round(c.T[i])
		c.tx[i] = math.Min(math.Round(c.tx[i]), c.T[i])
	}
	d, err := newBGData(c.x, c.tx, c.T)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []ParetoNBD{paretoCDNOW, {R: 2, Alpha: 30, S: 0.4, Beta: 3}, {R: 0.3, Alpha: 2, S: 2, Beta: 50}} {
		theta := []float64{math.Log(m.R), math.Log(m.Alpha), math.Log(m.S), math.Log(m.Beta)}
		grad := make([]float64, 4)
		got := -d.paretoNegLL(theta, grad) * d.n
		want := 0.0
		for i := range c.x {
			want += m.LogLikelihood(c.x[i], c.tx[i], c.T[i])
		}
		if relErr(got, want) > 1e-11 {
			t.Errorf("%+v: log-likelihood got %.12g, want %.12g", m, got, want)
		}
		checkGradient(t, m, d.paretoNegLL, theta, grad)
	}
}

// Fader, Hardie and Lee (2005), "A Note on Implementing the Pareto/NBD
// Model in MATLAB": r = 0.55, α = 10.58, s = 0.61, β = 11.67, LL =
// −9594.98 on the CDNOW calibration period.
func TestCDNOWParetoNBD(t *testing.T) {
	s := cdnowSummary(t)
	m, rep, err := FitParetoNBD(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	got := []float64{m.R, m.Alpha, m.S, m.Beta}
	want := []float64{paretoCDNOW.R, paretoCDNOW.Alpha, paretoCDNOW.S, paretoCDNOW.Beta}
	for i, name := range []string{"r", "alpha", "s", "beta"} {
		if round(got[i], 2) != want[i] {
			t.Errorf("%s: got %.5f, want %.2f", name, got[i], want[i])
		}
	}
	if round(rep.LogLikelihood, 2) != -9594.98 {
		t.Errorf("log-likelihood: got %.4f, want -9594.98", rep.LogLikelihood)
	}
	t.Logf("%+v, %d evaluations, gradient %.2g, standard errors %.4g", m, rep.Evaluations, rep.GradientNorm, rep.StdErr)
	if rep.Evaluations > 60 {
		t.Errorf("%d likelihood evaluations, want at most 60", rep.Evaluations)
	}
	// Every one-time buyer may have left: P(alive) < 1, unlike BG/NBD.
	for i, x := range s.Frequency {
		if x == 0 {
			if p := m.PAlive(0, 0, s.Age[i]); !(p < 1) {
				t.Fatalf("customer %s: P(alive) = %v for a one-time buyer", s.Customers[i], p)
			}
		}
	}
	var forecast float64
	for i := range s.Customers {
		forecast += m.ConditionalExpected(39, s.Frequency[i], s.Recency[i], s.Age[i])
	}
	t.Logf("holdout: forecast %.1f purchases, actual 1882", forecast)
	if forecast < 0.85*1882 || forecast > 1.1*1882 {
		t.Errorf("holdout forecast %.1f, actual 1882", forecast)
	}
}

// simulatePareto draws n customers from a Pareto/NBD process observed for
// T ~ U(tMin, tMax) and then a holdout of tStar.
func simulatePareto(seed uint64, m ParetoNBD, n int, tMin, tMax, tStar float64) cohort {
	rng := rand.New(rand.NewPCG(seed, 0xbeef))
	lambda := distuv.Gamma{Alpha: m.R, Beta: m.Alpha, Src: rng}
	mu := distuv.Gamma{Alpha: m.S, Beta: m.Beta, Src: rng}
	c := cohort{
		x: make([]int, n), tx: make([]float64, n), T: make([]float64, n),
		holdout: make([]int, n), alive: make([]bool, n), m: make([]float64, n),
	}
	for i := range n {
		l := lambda.Rand()
		death := rng.ExpFloat64() / mu.Rand()
		T := tMin + (tMax-tMin)*rng.Float64()
		c.T[i], c.alive[i] = T, death > T
		for t := rng.ExpFloat64() / l; t <= min(death, T+tStar); t += rng.ExpFloat64() / l {
			if t <= T {
				c.x[i]++
				c.tx[i] = t
			} else {
				c.holdout[i]++
			}
		}
	}
	return c
}

func TestFitParetoNBDRecovers(t *testing.T) {
	truth := ParetoNBD{R: 0.6, Alpha: 8, S: 0.8, Beta: 15, Unit: Weeks}
	c := simulatePareto(42, truth, 20000, 26, 78, 39)
	got, rep, err := FitParetoNBD(context.Background(), c.summary())
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{truth.R, truth.Alpha, truth.S, truth.Beta}
	est := []float64{got.R, got.Alpha, got.S, got.Beta}
	for i, name := range []string{"r", "alpha", "s", "beta"} {
		se := rep.StdErr[i]
		if se > 0.3*want[i] {
			t.Errorf("%s: standard error %.3g too large for a recovery test", name, se)
		}
		t.Logf("%s: %.4f ± %.4f (truth %.4f)", name, est[i], se, want[i])
		if math.Abs(est[i]-want[i]) > 4*se {
			t.Errorf("%s: got %.4f ± %.4f, want %.4f", name, est[i], se, want[i])
		}
	}
	// The model's forecasts match the simulated holdout and survivors.
	var predicted, actual, alive, pAlive float64
	for i := range c.x {
		predicted += truth.ConditionalExpected(39, c.x[i], c.tx[i], c.T[i])
		actual += float64(c.holdout[i])
		pAlive += truth.PAlive(c.x[i], c.tx[i], c.T[i])
		if c.alive[i] {
			alive++
		}
	}
	if relErr(actual, predicted) > 0.04 {
		t.Errorf("holdout purchases: simulated %.0f, forecast %.1f", actual, predicted)
	}
	if relErr(alive, pAlive) > 0.02 {
		t.Errorf("customers alive at T: simulated %.0f, sum of P(alive) %.1f", alive, pAlive)
	}
}

func TestFitParetoNBDDegenerate(t *testing.T) {
	for _, tc := range degenerateBG {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := fitParetoNBD(context.Background(), tc.x, tc.tx, tc.T, Days)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %+v, %v; want error %v", m, err, tc.want)
			}
		})
	}
}
