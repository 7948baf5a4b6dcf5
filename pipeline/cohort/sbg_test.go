package cohort

import (
	"errors"
	"math"
	"testing"
)

// The worked example of Fader and Hardie (2007), "How to project customer
// retention", Journal of Interactive Marketing 21(1): customers of two
// segments still active 0 … 12 years after acquisition. The model is fitted
// to years 0 … 7; years 8 … 12 are the holdout.
var (
	regular = []int64{1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173}
	highEnd = []int64{1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394}
)

type publishedCase struct {
	name        string
	survivors   []int64
	alpha, beta float64 // published, three decimals
	// holdoutTol is the largest projection error allowed in years 8–12,
	// as a share of the cohort.
	holdoutTol float64
}

var publishedCases = []publishedCase{
	{"regular", regular, 0.704, 1.182, 0.005},
	{"high end", highEnd, 0.668, 3.806, 0.02},
}

func TestFitSBGPublished(t *testing.T) {
	for _, tc := range publishedCases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := FitSBG(tc.survivors[:8])
			if err != nil {
				t.Fatal(err)
			}
			// The paper prints three decimals: the estimates must round to them.
			if math.Abs(m.Alpha-tc.alpha) > 0.0005 || math.Abs(m.Beta-tc.beta) > 0.0005 {
				t.Errorf("alpha, beta = %.4f, %.4f, want %.3f, %.3f", m.Alpha, m.Beta, tc.alpha, tc.beta)
			}
			if m.N != 1000 || m.Periods != 7 {
				t.Errorf("N, Periods = %d, %d, want 1000, 7", m.N, m.Periods)
			}
			// The optimum: the log-likelihood is no higher anywhere nearby.
			for _, d := range [][2]float64{{1e-3, 0}, {-1e-3, 0}, {0, 1e-3}, {0, -1e-3}, {1e-3, 1e-3}, {-1e-3, -1e-3}} {
				if ll, _, _ := sbgLogLik(m.Alpha*math.Exp(d[0]), m.Beta*math.Exp(d[1]), tc.survivors[:8]); ll > m.LogLik {
					t.Errorf("log-likelihood %.6f at %v beats the fit's %.6f", ll, d, m.LogLik)
				}
			}
			// Holdout: projected survivors in years 8–12 against the actual
			// counts.
			proj := m.Project(5)
			for i, p := range proj {
				actual := float64(tc.survivors[8+i])
				if p.Period != 8+i {
					t.Fatalf("projection %d is for period %d, want %d", i, p.Period, 8+i)
				}
				if e := math.Abs(p.Survivors-actual) / 1000; e > tc.holdoutTol {
					t.Errorf("year %d: projected %.1f, actual %.0f: error %.2f%% of the cohort, want ≤ %.1f%%",
						p.Period, p.Survivors, actual, 100*e, 100*tc.holdoutTol)
				}
				if want := m.Survival(p.Period) / m.Survival(p.Period-1); math.Abs(p.Retention-want) > 1e-12 {
					t.Errorf("year %d: retention %.12f, want S(t)/S(t−1) = %.12f", p.Period, p.Retention, want)
				}
			}
		})
	}
}

// TestSBGLogLik checks the log-likelihood against a direct evaluation of
// the paper's formulas, P(T=1) = α/(α+β), P(T=t) = (β+t−2)/(α+β+t−1)
// P(T=t−1), S(t) = 1 − Σ P(T=i), and its gradient against finite
// differences.
func TestSBGLogLik(t *testing.T) {
	direct := func(a, b float64, s []int64) float64 {
		p := a / (a + b)
		surv := 1 - p
		ll := float64(s[0]-s[1]) * math.Log(p)
		for t := 2; t < len(s); t++ {
			p *= (b + float64(t) - 2) / (a + b + float64(t) - 1)
			surv -= p
			ll += float64(s[t-1]-s[t]) * math.Log(p)
		}
		return ll + float64(s[len(s)-1])*math.Log(surv)
	}
	for _, ab := range [][2]float64{{1, 1}, {0.704, 1.182}, {0.668, 3.806}, {5, 0.3}, {0.05, 40}} {
		for _, s := range [][]int64{regular[:8], highEnd[:8], {50, 10, 9, 0}} {
			a, b := ab[0], ab[1]
			ll, da, db := sbgLogLik(a, b, s)
			if want := direct(a, b, s); math.Abs(ll-want) > 1e-9*math.Abs(want) {
				t.Errorf("LL(%v, %v; %v) = %.10f, want %.10f", a, b, s, ll, want)
			}
			const h = 1e-6
			fa := (direct(a+h, b, s) - direct(a-h, b, s)) / (2 * h)
			fb := (direct(a, b+h, s) - direct(a, b-h, s)) / (2 * h)
			if math.Abs(da-fa) > 1e-5*max(1, math.Abs(fa)) || math.Abs(db-fb) > 1e-5*max(1, math.Abs(fb)) {
				t.Errorf("gradient at (%v, %v; %v) = (%.6f, %.6f), finite differences (%.6f, %.6f)", a, b, s, da, db, fa, fb)
			}
		}
	}
}

type degenerateCase struct {
	name      string
	survivors []int64
	err       error
}

var degenerateCases = []degenerateCase{
	{"empty cohort", []int64{0, 0, 0}, ErrEmptyCohort},
	{"no counts", nil, ErrEmptyCohort},
	{"acquisition only", []int64{100}, ErrTooFewPeriods},
	{"one period", []int64{100, 60}, ErrTooFewPeriods},
	{"no churn", []int64{100, 100, 100, 100}, ErrNoChurn},
	{"counts increase", []int64{100, 80, 90}, ErrNotSurvival},
	{"negative count", []int64{100, -1, 0}, ErrNotSurvival},
	{"everyone churns at once", []int64{100, 0, 0}, ErrNoFit},
}

func TestFitSBGDegenerate(t *testing.T) {
	for _, tc := range degenerateCases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := FitSBG(tc.survivors)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if m != (SBG{}) {
				t.Errorf("got %+v with the error, want the zero SBG", m)
			}
		})
	}
}

// TestFitSBGHomogeneous: when every customer churns with the same
// probability the likelihood peaks at infinity along α/(α+β) = churn
// rate. The fit returns large, finite parameters whose projection is the
// geometric model with the pooled churn rate, lost / exposed.
func TestFitSBGHomogeneous(t *testing.T) {
	for _, s := range [][]int64{
		{1000, 500, 250, 125, 62, 31},
		{1000, 900, 810, 729, 656, 590},
		{1000, 500, 0},
	} {
		m, err := FitSBG(s)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		var lost, exposed float64
		for t := 1; t < len(s); t++ {
			lost += float64(s[t-1] - s[t])
			exposed += float64(s[t-1])
		}
		want := 1 - lost/exposed
		for _, p := range m.Project(3) {
			if math.IsNaN(p.Survival) || math.Abs(p.Retention-want) > 1e-4 {
				t.Errorf("%v: period %d retention %.6f, want the pooled %.6f", s, p.Period, p.Retention, want)
			}
		}
		if m.Alpha+m.Beta < 1e4 {
			t.Errorf("%v: alpha + beta = %.3g, want a near-geometric fit", s, m.Alpha+m.Beta)
		}
	}
}

func TestSBGSurvivalRetention(t *testing.T) {
	m := SBG{Alpha: 0.704, Beta: 1.182}
	if s := m.Survival(0); s != 1 {
		t.Errorf("S(0) = %v, want 1", s)
	}
	// S(1) = β/(α+β), r(1) = β/(α+β), S(2) = S(1) (β+1)/(α+β+1).
	s1 := 1.182 / (0.704 + 1.182)
	s2 := s1 * 2.182 / 2.886
	if got := m.Survival(1); math.Abs(got-s1) > 1e-15 {
		t.Errorf("S(1) = %v, want %v", got, s1)
	}
	if got := m.Survival(2); math.Abs(got-s2) > 1e-15 {
		t.Errorf("S(2) = %v, want %v", got, s2)
	}
	if got := m.Retention(2); math.Abs(got-2.182/2.886) > 1e-15 {
		t.Errorf("r(2) = %v, want %v", got, 2.182/2.886)
	}
	// Survival stays accurate where log-gamma differences would not.
	g := SBG{Alpha: 1e12, Beta: 9e12}
	if got, want := g.Survival(10), math.Pow(0.9, 10); math.Abs(got-want) > 1e-9 {
		t.Errorf("geometric limit S(10) = %v, want %v", got, want)
	}
	if p := m.Project(0); len(p) != 0 {
		t.Errorf("Project(0) = %v, want none", p)
	}
}

// TestFitSBGFromGrid fits a cohort built from customers batches.
func TestFitSBGFromGrid(t *testing.T) {
	// The regular segment as customers who signed up on 2010-01-15 and
	// churned at a yearly renewal: 369 on 2011-01-15, 163 on 2012-01-15, …
	var cs []customer
	id := 0
	for year := 1; year < len(regular); year++ {
		for range regular[year-1] - regular[year] {
			cs = append(cs, customer{id: "c" + itoa(id), signup: "2010-01-15T00:00:00Z", churned: itoa(2010+year) + "-01-15T00:00:00Z"})
			id++
		}
	}
	for range regular[len(regular)-1] {
		cs = append(cs, customer{id: "c" + itoa(id), signup: "2010-01-15T00:00:00Z"})
		id++
	}
	mem := checkedAllocator(t)
	rec := customersRecord(t, mem, cs)
	defer rec.Release()
	// Yearly renewals, monthly grain: as of 2018-01-20, months 0 … 95
	// (January 2010 … December 2017) are observed. A customer who churned
	// on 2011-01-15 is retained at the end of month 11 (January 1) but not
	// of month 12, so the survivors after 12, 24, … 84 months are those of
	// years 1 … 7.
	g := grid(t, Config{Basis: Signup, AsOf: mustTime(t, "2018-01-20T00:00:00Z")}, rec, nil, 500)
	s, err := g.Survivors(0)
	if err != nil {
		t.Fatal(err)
	}
	yearly := []int64{s[0]}
	for k := 12; k < len(s); k += 12 {
		yearly = append(yearly, s[k])
	}
	for i, want := range regular[:8] {
		if yearly[i] != want {
			t.Fatalf("year %d: %d survivors, want %d", i, yearly[i], want)
		}
	}
	m, err := FitSBG(yearly)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Alpha-0.704) > 0.0005 || math.Abs(m.Beta-1.182) > 0.0005 {
		t.Errorf("alpha, beta = %.4f, %.4f, want 0.704, 1.182", m.Alpha, m.Beta)
	}
}
