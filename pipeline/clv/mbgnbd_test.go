package clv

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// directMBGLL is the MBG/NBD likelihood of Batislam, Denizel and
// Filiztekin written as in the paper, a sum of two terms.
func directMBGLL(m MBGNBD, x int, tx, T float64) float64 {
	fx := float64(x)
	c := math.Exp(lgamma(m.R+fx) - lgamma(m.R) + m.R*math.Log(m.Alpha))
	a1 := math.Exp(lbeta(m.A, m.B+fx+1)-lbeta(m.A, m.B)) * c / math.Pow(m.Alpha+T, m.R+fx)
	a2 := math.Exp(lbeta(m.A+1, m.B+fx)-lbeta(m.A, m.B)) * c / math.Pow(m.Alpha+tx, m.R+fx)
	return math.Log(a1 + a2)
}

var mbgCases = []struct {
	name  string
	m     MBGNBD
	x     int
	tx, T float64
}{
	{"one-off", MBGNBD{R: 0.5, Alpha: 6, A: 0.9, B: 5}, 0, 0, 38.86},
	{"repeat buyer", MBGNBD{R: 0.5, Alpha: 6, A: 0.9, B: 5}, 2, 30.43, 38.86},
	{"recent buyer", MBGNBD{R: 2, Alpha: 10, A: 1.5, B: 4}, 5, 99, 100},
	{"lapsed buyer", MBGNBD{R: 0.5, Alpha: 3, A: 0.3, B: 0.9}, 3, 2, 200},
	{"b below one", MBGNBD{R: 1, Alpha: 1, A: 2, B: 0.2}, 1, 0.5, 1},
}

func TestMBGNBDLogLikelihood(t *testing.T) {
	for _, tc := range mbgCases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.m.LogLikelihood(tc.x, tc.tx, tc.T)
			if want := directMBGLL(tc.m, tc.x, tc.tx, tc.T); relErr(got, want) > 1e-12 {
				t.Errorf("got %.15g, want %.15g", got, want)
			}
			// P(alive) is the first term's share of the likelihood.
			fx := float64(tc.x)
			a1 := lgamma(tc.m.R+fx) - lgamma(tc.m.R) + tc.m.R*math.Log(tc.m.Alpha) + lbeta(tc.m.A, tc.m.B+fx+1) - lbeta(tc.m.A, tc.m.B) - (tc.m.R+fx)*math.Log(tc.m.Alpha+tc.T)
			if got, want := tc.m.PAlive(tc.x, tc.tx, tc.T), math.Exp(a1-got); relErr(got, want) > 1e-12 || !(got < 1) {
				t.Errorf("P(alive) got %.15g, want %.15g (< 1)", got, want)
			}
		})
	}
}

func TestMBGNBDObjective(t *testing.T) {
	c := simulateMBG(1, MBGNBD{R: 0.6, Alpha: 4, A: 0.8, B: 2.5}, 3000, 10, 60, 0)
	for i := range c.T {
		c.T[i] = math.Round(c.T[i])
		c.tx[i] = math.Min(math.Round(c.tx[i]), c.T[i])
	}
	d, err := newBGData(c.x, c.tx, c.T)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []MBGNBD{{R: 0.5, Alpha: 6, A: 0.9, B: 5}, {R: 2, Alpha: 0.7, A: 3, B: 0.4}} {
		theta := []float64{math.Log(m.R), math.Log(m.Alpha), math.Log(m.A), math.Log(m.B)}
		grad := make([]float64, 4)
		got := -d.mbgNegLL(theta, grad) * d.n
		want := 0.0
		for i := range c.x {
			want += m.LogLikelihood(c.x[i], c.tx[i], c.T[i])
		}
		if relErr(got, want) > 1e-11 {
			t.Errorf("%+v: log-likelihood got %.12g, want %.12g", m, got, want)
		}
		checkGradient(t, m, d.mbgNegLL, theta, grad)
	}
}

// simulateMBG draws n customers from an MBG/NBD process: a customer may
// drop out right after each purchase, the first included.
func simulateMBG(seed uint64, m MBGNBD, n int, tMin, tMax, tStar float64) cohort {
	rng := rand.New(rand.NewPCG(seed, 0xface))
	lambda := distuv.Gamma{Alpha: m.R, Beta: m.Alpha, Src: rng}
	drop := distuv.Beta{Alpha: m.A, Beta: m.B, Src: rng}
	c := cohort{
		x: make([]int, n), tx: make([]float64, n), T: make([]float64, n),
		holdout: make([]int, n), alive: make([]bool, n), m: make([]float64, n),
	}
	for i := range n {
		l, p := lambda.Rand(), drop.Rand()
		T := tMin + (tMax-tMin)*rng.Float64()
		c.T[i] = T
		// The first purchase, at 0, is a dropout chance too.
		active := rng.Float64() >= p
		c.alive[i] = active
		for t := rng.ExpFloat64() / l; active && t <= T+tStar; t += rng.ExpFloat64() / l {
			if t <= T {
				c.x[i]++
				c.tx[i] = t
			} else {
				c.holdout[i]++
			}
			if rng.Float64() < p {
				active = false
				c.alive[i] = c.alive[i] && t > T
			}
		}
	}
	return c
}

func TestFitMBGNBDRecovers(t *testing.T) {
	truth := MBGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5, Unit: Weeks}
	c := simulateMBG(42, truth, 20000, 26, 78, 39)
	got, rep, err := FitMBGNBD(context.Background(), c.summary())
	if err != nil {
		t.Fatal(err)
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

// The model's expectations and P(alive) match simulated customers: the
// mean X(39) of new customers, the holdout total, and the survivors at T,
// one-time buyers included.
func TestMBGNBDExpectationsMatchSimulation(t *testing.T) {
	m := MBGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5}
	const n, tStar = 20000, 39
	c := simulateMBG(7, m, n, 39, 39, tStar)
	var sumX, sumX2, predicted, actual, alive0, pAlive0 float64
	for i := range n {
		x := float64(c.x[i])
		sumX += x
		sumX2 += x * x
		predicted += m.ConditionalExpected(tStar, c.x[i], c.tx[i], c.T[i])
		actual += float64(c.holdout[i])
		if c.x[i] == 0 {
			pAlive0 += m.PAlive(0, 0, c.T[i])
			if c.alive[i] {
				alive0++
			}
		}
	}
	mean := sumX / n
	se := math.Sqrt((sumX2/n - mean*mean) / n)
	if want := m.Expected(39); math.Abs(mean-want) > 4*se {
		t.Errorf("mean X(39): simulated %.4f, model %.4f (se %.4f)", mean, want, se)
	}
	if relErr(actual, predicted) > 0.04 {
		t.Errorf("holdout purchases: simulated %.0f, forecast %.1f", actual, predicted)
	}
	if relErr(alive0, pAlive0) > 0.03 {
		t.Errorf("one-time buyers alive at T: simulated %.0f, sum of P(alive) %.1f", alive0, pAlive0)
	}
}

// On CDNOW every one of the 1,411 one-time buyers is alive with
// probability 1 under BG/NBD; under MBG/NBD none is.
func TestCDNOWMBGNBD(t *testing.T) {
	s := cdnowSummary(t)
	m, rep, err := FitMBGNBD(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	bg, bgRep, err := FitBGNBD(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v, LL %.3f (BG/NBD %.3f), %d evaluations, standard errors %.4g", m, rep.LogLikelihood, bgRep.LogLikelihood, rep.Evaluations, rep.StdErr)
	oneTime, below := 0, 0
	maxP := 0.0
	for i, x := range s.Frequency {
		if x != 0 {
			continue
		}
		oneTime++
		if bg.PAlive(0, 0, s.Age[i]) != 1 {
			t.Fatalf("BG/NBD P(alive) of one-time buyer %s is not 1", s.Customers[i])
		}
		p := m.PAlive(0, 0, s.Age[i])
		maxP = max(maxP, p)
		if p < 1 {
			below++
		}
	}
	if oneTime != 1411 || below != oneTime {
		t.Errorf("%d of %d one-time buyers with P(alive) < 1, want all of 1411", below, oneTime)
	}
	if !(maxP < 0.99) {
		t.Errorf("largest P(alive) of a one-time buyer %.4f, want well below 1", maxP)
	}
	var forecast float64
	for i := range s.Customers {
		forecast += m.ConditionalExpected(39, s.Frequency[i], s.Recency[i], s.Age[i])
	}
	t.Logf("holdout: forecast %.1f purchases, actual 1882; largest one-time P(alive) %.4f", forecast, maxP)
	if forecast < 0.8*1882 || forecast > 1.1*1882 {
		t.Errorf("holdout forecast %.1f, actual 1882", forecast)
	}
}

func TestFitMBGNBDDegenerate(t *testing.T) {
	for _, tc := range degenerateBG {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := fitMBGNBD(context.Background(), tc.x, tc.tx, tc.T, Days)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %+v, %v; want error %v", m, err, tc.want)
			}
		})
	}
}
