package clv

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// withHoldout gives a simulated cohort's summary a holdout period of
// tStar weeks, so that the candidates are measured on it.
func withHoldout(s *Summary, tStar float64) *Summary {
	s.CalibrationEnd = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.End = s.CalibrationEnd.Add(time.Duration(tStar*7*24) * time.Hour)
	return s
}

// Customers drawn from each model: the likelihood criteria, and here the
// holdout accuracy too, pick the model that generated them.
var choiceCases = []struct {
	name   string
	cohort func() cohort
	want   string
}{
	{"bgnbd", func() cohort {
		return simulate(11, BGNBD{R: 0.5, Alpha: 4, A: 0.5, B: 1.2}, GammaGamma{}, 20000, 26, 78, 26)
	}, ModelBGNBD},
	{"mbgnbd", func() cohort {
		return simulateMBG(12, MBGNBD{R: 0.8, Alpha: 4, A: 1.5, B: 2}, 20000, 26, 78, 26)
	}, ModelMBGNBD},
	{"pareto_nbd", func() cohort {
		return simulatePareto(13, ParetoNBD{R: 0.8, Alpha: 4, S: 1.5, Beta: 20}, 20000, 26, 78, 26)
	}, ModelParetoNBD},
}

func TestChooseGeneratingModel(t *testing.T) {
	for _, tc := range choiceCases {
		t.Run(tc.name, func(t *testing.T) {
			s := withHoldout(tc.cohort().summary(), 26)
			cands, err := FitCustomers(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cands {
				if c.Err != nil {
					t.Fatalf("%s: %v", c.Name, c.Err)
				}
				t.Logf("%s: LL %.2f, BIC %.2f, holdout RMSE %.5f, forecast %.0f of %.0f", c.Name, c.Fit.LogLikelihood, c.BIC, c.Holdout.RMSE, c.Holdout.Predicted, c.Holdout.Actual)
			}
			for _, by := range []Criterion{ByBIC, ByAIC, ByHoldout} {
				got, err := Choose(cands, by)
				if err != nil {
					t.Fatal(err)
				}
				if got.Name != tc.want {
					t.Errorf("by %v: got %s, want %s", by, got.Name, tc.want)
				}
			}
		})
	}
}

func TestCandidateCriteria(t *testing.T) {
	c := simulate(5, BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5, Unit: Weeks}, GammaGamma{}, 3000, 26, 78, 0)
	cands, err := FitCustomers(context.Background(), c.summary())
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 3 {
		t.Fatalf("got %d candidates, want 3", len(cands))
	}
	for i, name := range []string{ModelBGNBD, ModelMBGNBD, ModelParetoNBD} {
		cd := cands[i]
		if cd.Name != name || cd.Model == nil || cd.Holdout != nil {
			t.Fatalf("candidate %d: %s, model %v, holdout %v; want %s fitted, no holdout", i, cd.Name, cd.Model, cd.Holdout, name)
		}
		ll := cd.Fit.LogLikelihood
		if want := 8 - 2*ll; math.Abs(cd.AIC-want) > 1e-9 {
			t.Errorf("%s: AIC %v, want %v", name, cd.AIC, want)
		}
		if want := 4*math.Log(3000) - 2*ll; math.Abs(cd.BIC-want) > 1e-9 {
			t.Errorf("%s: BIC %v, want %v", name, cd.BIC, want)
		}
		if len(cd.Params()) != 4 {
			t.Errorf("%s: %d parameters, want 4", name, len(cd.Params()))
		}
		if cd.Model.timeUnit() != Weeks {
			t.Errorf("%s: unit %v, want weeks", name, cd.Model.timeUnit())
		}
	}
	if _, err := Choose(cands, ByHoldout); !errors.Is(err, ErrNoModel) {
		t.Errorf("by holdout without a holdout period: got %v, want ErrNoModel", err)
	}
	if _, err := Choose(cands, Criterion(7)); err == nil {
		t.Error("an unknown criterion accepted")
	}
	// A failed fit is never chosen.
	failed := []Candidate{{Name: ModelBGNBD, Err: ErrNoConvergence}, cands[2]}
	if got, err := Choose(failed, ByBIC); err != nil || got.Name != ModelParetoNBD {
		t.Errorf("got %s, %v; want %s", got.Name, err, ModelParetoNBD)
	}
	if _, err := Choose(failed[:1], ByBIC); !errors.Is(err, ErrNoModel) {
		t.Errorf("got %v, want ErrNoModel", err)
	}
}

func TestFitCustomersNoModel(t *testing.T) {
	for _, tc := range degenerateBG {
		t.Run(tc.name, func(t *testing.T) {
			s := &Summary{Unit: Days, Frequency: tc.x, Recency: tc.tx, Age: tc.T}
			cands, err := FitCustomers(context.Background(), s)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want an error wrapping %v", err, tc.want)
			}
			for _, c := range cands {
				if c.Err == nil || c.Model != nil {
					t.Errorf("%s: fitted %v, want an error", c.Name, c.Model)
				}
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := simulate(3, BGNBD{R: 0.5, Alpha: 4, A: 0.8, B: 2.5}, GammaGamma{}, 500, 26, 78, 0)
	if _, err := FitCustomers(ctx, c.summary()); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// On CDNOW the three models are measured on the 39-week holdout; every
// one's holdout accounts for the cohort's 1,882 purchases, and the
// chosen model drives Predict.
func TestCDNOWChoice(t *testing.T) {
	s := cdnowSummary(t)
	cands, err := FitCustomers(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cands {
		if c.Err != nil {
			t.Fatalf("%s: %v", c.Name, c.Err)
		}
		h := c.Holdout
		t.Logf("%s: LL %.3f AIC %.2f BIC %.2f; holdout forecast %.1f of %.0f, RMSE %.4f, MAE %.4f", c.Name, c.Fit.LogLikelihood, c.AIC, c.BIC, h.Predicted, h.Actual, h.RMSE, h.MAE)
		if h.Customers != 2357 || h.Actual != 1882 || h.Length != 39 {
			t.Errorf("%s: holdout of %d customers, %v purchases, %v weeks; want 2357, 1882, 39", c.Name, h.Customers, h.Actual, h.Length)
		}
		var n int
		var predicted float64
		for _, b := range h.Buckets {
			n += b.Customers
			predicted += b.Predicted * float64(b.Customers)
		}
		if n != 2357 || relErr(predicted, h.Predicted) > 1e-9 {
			t.Errorf("%s: buckets hold %d customers and %.3f purchases, want 2357 and %.3f", c.Name, n, predicted, h.Predicted)
		}
	}
	// Published log-likelihoods: BG/NBD −9582.4, Pareto/NBD −9594.98, so
	// BG/NBD is preferred to Pareto/NBD.
	if !(cands[0].BIC < cands[2].BIC) {
		t.Errorf("BG/NBD BIC %.2f not below Pareto/NBD's %.2f", cands[0].BIC, cands[2].BIC)
	}
	best, err := Choose(cands, ByBIC)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("chosen by BIC: %s", best.Name)
	gg, _, err := FitGammaGamma(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Predict(context.Background(), s, best.Model, gg, ValueConfig{AnnualDiscountRate: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.Customers {
		if want := best.Model.PAlive(s.Frequency[i], s.Recency[i], s.Age[i]); p.PAlive[i] != want {
			t.Fatalf("customer %s: P(alive) %v, want the chosen model's %v", s.Customers[i], p.PAlive[i], want)
		}
	}
}

// FitCustomers fits the models it is asked for, in that order, and names
// a model it does not know.
func TestFitCustomersSubset(t *testing.T) {
	s := cdnowSummary(t)
	cands, err := FitCustomers(context.Background(), s, ModelParetoNBD, ModelBGNBD)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 2 || cands[0].Name != ModelParetoNBD || cands[1].Name != ModelBGNBD {
		t.Fatalf("candidates %v, want pareto_nbd then bgnbd", []string{cands[0].Name, cands[len(cands)-1].Name})
	}
	all, err := FitCustomers(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(CustomerModels()) || all[0].BIC != cands[1].BIC || all[2].BIC != cands[0].BIC {
		t.Errorf("the same model fitted alone and with the others differs")
	}
	if _, err := FitCustomers(context.Background(), s, "pareto"); err == nil || !strings.Contains(err.Error(), `unknown purchase model "pareto"`) {
		t.Errorf("unknown model: got %v", err)
	}
}
