package clv

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
)

// Param is one named parameter of a fitted model.
type Param struct {
	Name  string
	Value float64
}

// Names of the customer models, as model_fit.parquet writes them.
const (
	ModelBGNBD     = "bgnbd"
	ModelMBGNBD    = "mbgnbd"
	ModelParetoNBD = "pareto_nbd"
)

// Candidate is one purchase model fitted to a summary, with what it takes
// to compare it with the others.
type Candidate struct {
	// Name is ModelBGNBD, ModelMBGNBD or ModelParetoNBD.
	Name string
	// Model is the fitted model; nil when Err is set.
	Model Purchases
	// Fit is the fit's report (log-likelihood, standard errors, …).
	Fit FitReport
	// Err says why the model could not be fitted (an error wrapping
	// ErrNoConvergence, for instance); the other fields are then zero.
	Err error
	// AIC and BIC are the information criteria 2k − 2 ln L and
	// k ln n − 2 ln L, k parameters fitted to n customers; lower is
	// better.
	AIC, BIC float64
	// Holdout is the model's holdout accuracy; nil when the summary has
	// no holdout period.
	Holdout *HoldoutAccuracy
}

// Params returns the fitted parameters in the model's order (r, α, a, b
// or r, α, s, β); nil when the fit failed.
func (c Candidate) Params() []Param {
	if c.Model == nil {
		return nil
	}
	return c.Model.params()
}

// holdoutBuckets is the number of frequency buckets of a candidate's
// holdout report: 0 to 6 and "7 or more", as in Fader, Hardie and Lee's
// figure.
const holdoutBuckets = 7

// CustomerModels returns the names of the purchase models
// [FitCustomers] knows, in the order it fits them.
func CustomerModels() []string { return []string{ModelBGNBD, ModelMBGNBD, ModelParetoNBD} }

// customerFit fits the purchase model named name.
func customerFit(name string) func(context.Context, *Summary) (Purchases, FitReport, error) {
	switch name {
	case ModelBGNBD:
		return func(ctx context.Context, s *Summary) (Purchases, FitReport, error) { return FitBGNBD(ctx, s) }
	case ModelMBGNBD:
		return func(ctx context.Context, s *Summary) (Purchases, FitReport, error) { return FitMBGNBD(ctx, s) }
	case ModelParetoNBD:
		return func(ctx context.Context, s *Summary) (Purchases, FitReport, error) { return FitParetoNBD(ctx, s) }
	}
	return nil
}

// FitCustomers fits the purchase models named in models (every one of
// [CustomerModels] when there are none: BG/NBD, MBG/NBD and Pareto/NBD)
// to the calibration period of s, and measures each on the holdout
// period when s has one; the candidates come in the order of models. A
// model that cannot be fitted to the data (no interior maximum) is
// returned with its Err set; FitCustomers itself fails when none can be
// fitted (with an error wrapping each model's, [ErrNoRepeat] for
// instance), for a name it does not know, or when ctx is done.
func FitCustomers(ctx context.Context, s *Summary, models ...string) ([]Candidate, error) {
	if len(models) == 0 {
		models = CustomerModels()
	}
	type namedFit struct {
		name string
		fit  func(context.Context, *Summary) (Purchases, FitReport, error)
	}
	fits := make([]namedFit, len(models))
	for i, name := range models {
		if fits[i] = (namedFit{name, customerFit(name)}); fits[i].fit == nil {
			return nil, fmt.Errorf("clv: unknown purchase model %q, want one of %s", name, strings.Join(CustomerModels(), ", "))
		}
	}
	// The fits share nothing but the summary, which they only read: they
	// run side by side, and the results are the same in any order.
	out := make([]Candidate, len(fits))
	errs := make([]error, len(fits))
	var wg sync.WaitGroup
	for i, f := range fits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = fitCandidate(ctx, s, f.name, f.fit)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("clv: fit customer models: %w", err)
	}
	var failed []error
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		if out[i].Err != nil {
			failed = append(failed, out[i].Err)
		}
	}
	if len(failed) == len(fits) {
		return out, fmt.Errorf("clv: no customer model could be fitted: %w", fitErrors(failed))
	}
	return out, nil
}

// fitCandidate fits one model and measures it. A model that does not fit
// the data is a candidate with Err set; the error returned is a failure
// of the holdout measure.
func fitCandidate(ctx context.Context, s *Summary, name string, fit func(context.Context, *Summary) (Purchases, FitReport, error)) (Candidate, error) {
	c := Candidate{Name: name}
	m, rep, err := fit(ctx, s)
	if err != nil {
		c.Err = err
		return c, nil
	}
	k, n := float64(len(m.params())), float64(rep.N)
	c.Model, c.Fit = m, rep
	c.AIC = 2*k - 2*rep.LogLikelihood
	c.BIC = k*math.Log(n) - 2*rep.LogLikelihood
	if s.End.After(s.CalibrationEnd) {
		if c.Holdout, err = Holdout(ctx, s, m, holdoutBuckets); err != nil {
			return c, fmt.Errorf("clv: holdout of %s: %w", name, err)
		}
	}
	return c, nil
}

// fitErrors are the errors of several fits, on one line.
type fitErrors []error

func (e fitErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e fitErrors) Unwrap() []error { return e }

// Criterion is how [Choose] ranks the candidates.
type Criterion int

// Criteria. ByBIC is the default, the zero value.
const (
	// ByBIC picks the lowest Bayesian information criterion.
	ByBIC Criterion = iota
	// ByAIC picks the lowest Akaike information criterion.
	ByAIC
	// ByHoldout picks the lowest per-customer holdout RMSE; it needs a
	// summary with a holdout period.
	ByHoldout
)

// String returns "bic", "aic" or "holdout".
func (c Criterion) String() string {
	switch c {
	case ByBIC:
		return "bic"
	case ByAIC:
		return "aic"
	case ByHoldout:
		return "holdout"
	}
	return fmt.Sprintf("Criterion(%d)", int(c))
}

// ErrNoModel reports a choice among candidates none of which was fitted,
// or, by holdout accuracy, none of which has a holdout period.
var ErrNoModel = errors.New("clv: no customer model to choose from")

// Choose returns the candidate that by ranks best, the first of equals
// (BG/NBD before MBG/NBD before Pareto/NBD). Its Model is what [Predict]
// takes for the purchases.
//
// BIC is the default because a nightly run has no holdout period to
// measure accuracy on, and because all three models describe the same
// observations (x, t_x, T) with four parameters each: their likelihoods
// are comparable, and AIC, BIC and the likelihood itself rank them alike.
// BIC's ln n penalty keeps that choice consistent should a model with
// more parameters join them. docs/clv.md has the details.
func Choose(cands []Candidate, by Criterion) (Candidate, error) {
	score := func(c Candidate) (float64, bool) {
		switch by {
		case ByAIC:
			return c.AIC, true
		case ByHoldout:
			if c.Holdout == nil {
				return 0, false
			}
			return c.Holdout.RMSE, true
		}
		return c.BIC, true
	}
	if by < ByBIC || by > ByHoldout {
		return Candidate{}, fmt.Errorf("clv: choose: unknown criterion %v", by)
	}
	best, bestScore := -1, math.Inf(1)
	for i, c := range cands {
		if c.Model == nil {
			continue
		}
		if v, ok := score(c); ok && (best < 0 || v < bestScore) {
			best, bestScore = i, v
		}
	}
	if best < 0 && by == ByHoldout {
		return Candidate{}, fmt.Errorf("clv: choose by holdout: no fitted candidate has a holdout period: %w", ErrNoModel)
	}
	if best < 0 {
		return Candidate{}, fmt.Errorf("clv: choose by %v: no candidate was fitted: %w", by, ErrNoModel)
	}
	return cands[best], nil
}
