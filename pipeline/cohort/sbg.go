package cohort

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// SBG is the shifted-beta-geometric model of contract duration (Fader and
// Hardie 2007, "How to project customer retention", Journal of Interactive
// Marketing 21(1)) fitted to one cohort. Each customer renews at the end of
// every period with a probability 1 − θ of their own until they churn; θ
// varies across customers as a beta(α, β) distribution. The model's
// survival is S(t) = B(α, β+t) / B(α, β) and its retention rate
// r(t) = (β+t−1) / (α+β+t−1) rises with t as the customers likelier to
// churn leave.
type SBG struct {
	Alpha float64 // first shape parameter of the beta distribution of churn probabilities
	Beta  float64 // second shape parameter
	// LogLik is the maximized log-likelihood (natural log, summed over
	// customers) of the survivors the model was fitted to.
	LogLik float64
	// N is the cohort size, survivors[0].
	N int64
	// Periods is the number of renewal periods observed, T: the model was
	// fitted to survivors[0 … T].
	Periods int
}

// Projection is the model's view of one period t after acquisition.
type Projection struct {
	Period    int
	Survival  float64 // S(t), the share of the cohort still customers at the end of period t
	Retention float64 // r(t) = S(t) / S(t−1)
	Survivors float64 // N × S(t)
}

// FitSBG fits the sBG model by maximum likelihood to a cohort's survivor
// counts: survivors[0] is the cohort size and survivors[t] the customers
// still active after t renewal periods ([Grid.Survivors]). Of the
// survivors[t−1] − survivors[t] customers lost at t, each contributes
// P(T = t) = S(t−1) α/(α+β+t−1) to the likelihood, and each of the
// survivors[T] customers still active contributes S(T).
//
// The likelihood is maximized over (log α, log β) with gonum's BFGS, on
// log-probabilities built from log1p so that they stay accurate for any
// α/β. Degenerate input is an error, never a NaN: an empty cohort
// ([ErrEmptyCohort]), fewer than two periods after acquisition
// ([ErrTooFewPeriods]), no churn ([ErrNoChurn]), increasing counts
// ([ErrNotSurvival]) or no interior optimum ([ErrNoFit]).
func FitSBG(survivors []int64) (SBG, error) {
	if err := checkSurvivors(survivors); err != nil {
		return SBG{}, err
	}
	n0 := float64(survivors[0])
	p := optimize.Problem{
		Func: func(x []float64) float64 {
			ll, _, _ := sbgLogLik(math.Exp(x[0]), math.Exp(x[1]), survivors)
			return -ll / n0
		},
		Grad: func(grad, x []float64) {
			a, b := math.Exp(x[0]), math.Exp(x[1])
			_, da, db := sbgLogLik(a, b, survivors)
			grad[0] = -da * a / n0 // chain rule: ∂/∂log α = α ∂/∂α
			grad[1] = -db * b / n0
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-10,
		MajorIterations:   1000,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-13, Iterations: 50},
	}
	res, err := optimize.Minimize(p, []float64{0, 0}, settings, &optimize.BFGS{})
	if err != nil || !usable(res) {
		// Nelder–Mead needs no line search, so it survives a
		// likelihood surface that defeats BFGS's.
		res, err = optimize.Minimize(optimize.Problem{Func: p.Func}, []float64{0, 0}, settings, &optimize.NelderMead{})
	}
	if err != nil {
		return SBG{}, fmt.Errorf("%w: %w", ErrNoFit, err)
	}
	if !usable(res) {
		return SBG{}, fmt.Errorf("%w: estimates diverge (log α = %.3g, log β = %.3g): churn shows no heterogeneity", ErrNoFit, res.X[0], res.X[1])
	}
	m := SBG{Alpha: math.Exp(res.X[0]), Beta: math.Exp(res.X[1]), N: survivors[0], Periods: len(survivors) - 1}
	m.LogLik, _, _ = sbgLogLik(m.Alpha, m.Beta, survivors)
	return m, nil
}

// maxLogParam bounds |log α| and |log β| of a usable fit. When churn is
// the same for every customer the likelihood keeps rising, ever more
// slowly, as α and β grow with α/(α+β) fixed; the search stops on a flat
// gradient with α+β around 1e7–1e11, which is the geometric model to every
// printed digit. Far beyond that the optimizer has run away.
const maxLogParam = 35

func usable(r *optimize.Result) bool {
	if r == nil || math.IsNaN(r.F) || math.IsInf(r.F, 0) {
		return false
	}
	for _, x := range r.X {
		if math.IsNaN(x) || math.Abs(x) > maxLogParam {
			return false
		}
	}
	return true
}

func checkSurvivors(s []int64) error {
	if len(s) == 0 || s[0] <= 0 {
		return ErrEmptyCohort
	}
	for t := 1; t < len(s); t++ {
		if s[t] < 0 || s[t] > s[t-1] {
			return fmt.Errorf("%w: %d after %d at period %d", ErrNotSurvival, s[t], s[t-1], t)
		}
	}
	switch {
	case len(s) < 3:
		return fmt.Errorf("%w: %d observed", ErrTooFewPeriods, len(s)-1)
	case s[len(s)-1] == s[0]:
		return ErrNoChurn
	case s[1] == 0:
		return fmt.Errorf("%w: every customer churned at the first renewal", ErrNoFit)
	}
	return nil
}

// sbgLogLik returns the sBG log-likelihood of survivor counts s and its
// partial derivatives in α and β. It walks t upwards keeping log S(t) and
// its derivatives:
//
//	log S(t)   = log S(t−1) − log1p(α/(β+t−1))
//	log P(T=t) = log S(t−1) + log α − log(α+β+t−1)
func sbgLogLik(a, b float64, s []int64) (ll, da, db float64) {
	logS, dSa, dSb := 0.0, 0.0, 0.0
	logA := math.Log(a)
	for t := 1; t < len(s); t++ {
		d := a + b + float64(t-1)
		if lost := float64(s[t-1] - s[t]); lost > 0 {
			ll += lost * (logS + logA - math.Log(d))
			da += lost * (dSa + 1/a - 1/d)
			db += lost * (dSb - 1/d)
		}
		bt := b + float64(t-1)
		logS -= math.Log1p(a / bt)
		dSa -= 1 / d
		dSb += 1/bt - 1/d
	}
	if kept := float64(s[len(s)-1]); kept > 0 {
		ll += kept * logS
		da += kept * dSa
		db += kept * dSb
	}
	return ll, da, db
}

// Survival returns S(t), the probability that a customer is still active
// after t periods; S(0) = 1. It sums log r(i) = −log1p(α/(β+i−1)) over
// i = 1 … t rather than differencing log-gamma functions, which loses
// every digit once α and β are large.
func (m SBG) Survival(t int) float64 {
	logS := 0.0
	for i := 1; i <= t; i++ {
		logS -= math.Log1p(m.Alpha / (m.Beta + float64(i-1)))
	}
	return math.Exp(logS)
}

// Retention returns r(t) = (β+t−1)/(α+β+t−1), the probability that a
// customer active after t−1 periods renews at t (t ≥ 1).
func (m SBG) Retention(t int) float64 {
	ft := float64(t)
	return (m.Beta + ft - 1) / (m.Alpha + m.Beta + ft - 1)
}

// Project returns the model's survival and retention for the n periods
// after the observed ones: T+1 … T+n.
func (m SBG) Project(n int) []Projection {
	out := make([]Projection, 0, max(n, 0))
	for t := m.Periods + 1; t <= m.Periods+n; t++ {
		s := m.Survival(t)
		out = append(out, Projection{Period: t, Survival: s, Retention: m.Retention(t), Survivors: float64(m.N) * s})
	}
	return out
}
