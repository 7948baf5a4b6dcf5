package clv

import (
	"context"
	"errors"
	"math"
	"testing"
)

// cdnowPublished are the BG/NBD estimates for the CDNOW sample printed in
// the lifetimes documentation (Quickstart, bgf.summary), to six digits.
var cdnowPublished = BGNBD{R: 0.242593, Alpha: 4.413532, A: 0.792886, B: 2.425752, Unit: Weeks}

func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// lbeta is ln B(a, b).

// directLL is the BG/NBD likelihood written as in the paper, A1 + A2, with
// no logarithmic rearrangement; usable for small x only.
func directLL(m BGNBD, x int, tx, T float64) float64 {
	fx := float64(x)
	c := math.Exp(lgamma(m.R+fx) - lgamma(m.R) + m.R*math.Log(m.Alpha))
	a1 := math.Exp(lbeta(m.A, m.B+fx)-lbeta(m.A, m.B)) * c / math.Pow(m.Alpha+T, m.R+fx)
	a2 := 0.0
	if x > 0 {
		a2 = math.Exp(lbeta(m.A+1, m.B+fx-1)-lbeta(m.A, m.B)) * c / math.Pow(m.Alpha+tx, m.R+fx)
	}
	return math.Log(a1 + a2)
}

var llCases = []struct {
	name  string
	m     BGNBD
	x     int
	tx, T float64
}{
	{"cdnow one-off", cdnowPublished, 0, 0, 38.86},
	{"cdnow customer 1", cdnowPublished, 2, 30.43, 38.86},
	{"cdnow customer 1516", cdnowPublished, 26, 30.86, 31},
	{"recent buyer", BGNBD{R: 2, Alpha: 10, A: 1.5, B: 4}, 5, 99, 100},
	{"lapsed buyer", BGNBD{R: 0.5, Alpha: 3, A: 0.3, B: 0.9}, 3, 2, 200},
	{"b below one", BGNBD{R: 1, Alpha: 1, A: 2, B: 0.2}, 1, 0.5, 1},
}

func TestBGNBDLogLikelihood(t *testing.T) {
	for _, tc := range llCases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.m.LogLikelihood(tc.x, tc.tx, tc.T)
			want := directLL(tc.m, tc.x, tc.tx, tc.T)
			if relErr(got, want) > 1e-12 {
				t.Errorf("got %.15g, want %.15g", got, want)
			}
		})
	}
}

// A long history overflows the gamma functions and underflows A1 in the
// direct form; the log-sum-exp form stays finite and matches ln A2, A1
// being negligible.
func TestBGNBDLogLikelihoodNoUnderflow(t *testing.T) {
	m := BGNBD{R: 3, Alpha: 0.5, A: 1, B: 2}
	x, tx, T := 400, 1.0, 1e6
	got := m.LogLikelihood(x, tx, T)
	fx := float64(x)
	a2 := lgamma(m.R+fx) - lgamma(m.R) + m.R*math.Log(m.Alpha) + lbeta(m.A+1, m.B+fx-1) - lbeta(m.A, m.B) - (m.R+fx)*math.Log(m.Alpha+tx)
	if d := directLL(m, x, tx, T); !math.IsNaN(d) && !math.IsInf(d, 0) {
		t.Fatalf("the direct form is finite (%v): the case tests nothing", d)
	}
	if math.IsNaN(got) || math.IsInf(got, 0) || relErr(got, a2) > 1e-12 {
		t.Errorf("got %v, want %v", got, a2)
	}
}

// The compacted, grouped likelihood of the fit equals the sum of the
// per-customer likelihoods, and its gradient matches central differences.
func TestBGNBDObjective(t *testing.T) {
	c := simulate(1, BGNBD{R: 0.6, Alpha: 4, A: 0.8, B: 2.5}, GammaGamma{}, 3000, 10, 60, 0)
	for i := range c.T { // create ties, as day-resolution data has
		c.T[i] = math.Round(c.T[i])
		c.tx[i] = math.Min(math.Round(c.tx[i]), c.T[i])
		if c.x[i] > 0 && c.tx[i] == 0 {
			c.tx[i] = 1
		}
	}
	d, err := newBGData(c.x, c.tx, c.T)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.w) >= len(c.x) {
		t.Errorf("got %d rows after merging ties of %d customers, want fewer", len(d.w), len(c.x))
	}
	for _, m := range []BGNBD{cdnowPublished, {R: 2, Alpha: 0.7, A: 3, B: 0.4}} {
		theta := []float64{math.Log(m.R), math.Log(m.Alpha), math.Log(m.A), math.Log(m.B)}
		grad := make([]float64, 4)
		got := -d.negLL(theta, grad) * d.n
		want := 0.0
		for i := range c.x {
			want += m.LogLikelihood(c.x[i], c.tx[i], c.T[i])
		}
		if relErr(got, want) > 1e-11 {
			t.Errorf("%+v: log-likelihood got %.12g, want %.12g", m, got, want)
		}
		checkGradient(t, m, d.negLL, theta, grad)
	}
}

// Published values: lifetimes documentation (Quickstart) for the t = 1 week
// predictions of the CDNOW customers 1516, 157 and 509 with cdnowPublished.
// P(alive) of customer 1516 by hand: a/(b+x−1) = 0.792886/27.425752 =
// 0.0289102; ((α+T)/(α+tx))^(r+x) = (35.413532/35.273532)^26.242593 =
// 1.109572; P = 1/(1 + 0.0289102 × 1.109572) = 0.968920.
var publishedCases = []struct {
	name string
	got  func(BGNBD) float64
	want float64
	tol  float64
}{
	{"E[Y(1)] customer 1516", func(m BGNBD) float64 { return m.ConditionalExpected(1, 26, 30.86, 31) }, 0.710623, 2e-6},
	{"E[Y(1)] customer 157", func(m BGNBD) float64 { return m.ConditionalExpected(1, 29, 37.71, 38) }, 0.662396, 2e-6},
	{"E[Y(1)] customer 509", func(m BGNBD) float64 { return m.ConditionalExpected(1, 18, 35.14, 35.86) }, 0.424877, 2e-6},
	{"P(alive) customer 1516", func(m BGNBD) float64 { return m.PAlive(26, 30.86, 31) }, 0.968920, 2e-6},
	{"P(alive) one-off", func(m BGNBD) float64 { return m.PAlive(0, 0, 38.86) }, 1, 0},
}

func TestBGNBDPublished(t *testing.T) {
	for _, tc := range publishedCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.got(cdnowPublished); math.Abs(got-tc.want) > tc.tol {
				t.Errorf("got %.7f, want %.6f", got, tc.want)
			}
		})
	}
}

// The expected purchases of the model should match what simulated
// customers do: over 20,000 customers the simulated mean of X(t) and the
// holdout total are within a few standard errors of the forecasts.
func TestBGNBDExpectationsMatchSimulation(t *testing.T) {
	m := BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5}
	const n, tStar = 20000, 39
	c := simulate(7, m, GammaGamma{}, n, 39, 39, tStar)
	var sumX, sumX2, predicted, actual, alive, pAlive float64
	for i := range n {
		x := float64(c.x[i])
		sumX += x
		sumX2 += x * x
		predicted += m.ConditionalExpected(tStar, c.x[i], c.tx[i], c.T[i])
		actual += float64(c.holdout[i])
		if c.alive[i] {
			alive++
		}
		pAlive += m.PAlive(c.x[i], c.tx[i], c.T[i])
	}
	mean := sumX / n
	se := math.Sqrt((sumX2/n - mean*mean) / n)
	if want := m.Expected(39); math.Abs(mean-want) > 4*se {
		t.Errorf("mean X(39): simulated %.4f, model %.4f (se %.4f)", mean, want, se)
	}
	if relErr(actual, predicted) > 0.04 {
		t.Errorf("holdout purchases: simulated %.0f, forecast %.1f", actual, predicted)
	}
	if relErr(alive, pAlive) > 0.02 {
		t.Errorf("customers alive at T: simulated %.0f, sum of P(alive) %.1f", alive, pAlive)
	}
}

func TestBGNBDContinuousAtAOne(t *testing.T) {
	base := BGNBD{R: 0.8, Alpha: 2, B: 1.5}
	var prev float64
	for i, a := range []float64{1 - 2e-4, 1 - 1e-4, 1 - 5e-5, 1, 1 + 5e-5, 1 + 1e-4, 1 + 2e-4} {
		m := base
		m.A = a
		e := m.ConditionalExpected(52, 3, 20, 39)
		if math.IsNaN(e) || math.IsInf(e, 0) {
			t.Fatalf("a=%v: got %v", a, e)
		}
		if i > 0 && math.Abs(e-prev) > 1e-3*e {
			t.Errorf("a=%v: E jumps from %.8f to %.8f", a, prev, e)
		}
		prev = e
	}
}

// Recovery: fit 20,000 simulated customers and require every estimate
// within four standard errors of the truth, with standard errors small
// enough to make that a real test.
func TestFitBGNBDRecovers(t *testing.T) {
	truth := BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5, Unit: Weeks}
	c := simulate(42, truth, GammaGamma{}, 20000, 26, 78, 0)
	got, rep, err := FitBGNBD(context.Background(), c.summary())
	if err != nil {
		t.Fatal(err)
	}
	if rep.StdErr == nil {
		t.Fatal("no standard errors")
	}
	want := []float64{truth.R, truth.Alpha, truth.A, truth.B}
	est := []float64{got.R, got.Alpha, got.A, got.B}
	for i, name := range []string{"r", "alpha", "a", "b"} {
		se := rep.StdErr[i]
		if se > 0.2*want[i] {
			t.Errorf("%s: standard error %.3g too large for a recovery test", name, se)
		}
		t.Logf("%s: %.4f ± %.4f (truth %.4f)", name, est[i], se, want[i])
		if math.Abs(est[i]-want[i]) > 4*se {
			t.Errorf("%s: got %.4f ± %.4f, want %.4f", name, est[i], se, want[i])
		}
	}
	if got.Unit != Weeks {
		t.Errorf("unit: got %v, want weeks", got.Unit)
	}
}

var degenerateBG = []struct {
	name  string
	x     []int
	tx, T []float64
	want  error
}{
	{"empty", nil, nil, nil, ErrNoData},
	{"all one-off", []int{0, 0, 0}, []float64{0, 0, 0}, []float64{10, 20, 30}, ErrNoRepeat},
	{"one customer", []int{3}, []float64{20}, []float64{30}, ErrNoConvergence},
	{"all identical", []int{2, 2, 2, 2}, []float64{5, 5, 5, 5}, []float64{9, 9, 9, 9}, ErrNoConvergence},
}

func TestFitBGNBDDegenerate(t *testing.T) {
	for _, tc := range degenerateBG {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := fitBGNBD(context.Background(), tc.x, tc.tx, tc.T, Days)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %+v, %v; want error %v", m, err, tc.want)
			}
		})
	}
}

func TestFitBGNBDRejectsInvalidHistory(t *testing.T) {
	_, _, err := fitBGNBD(context.Background(), []int{1, 2}, []float64{5, 40}, []float64{10, 30}, Days)
	if err == nil {
		t.Fatal("tx > T accepted")
	}
}

func TestFitBGNBDCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := simulate(3, BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5}, GammaGamma{}, 500, 26, 78, 0)
	if _, _, err := FitBGNBD(ctx, c.summary()); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
