package clv

import (
	"context"
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// The CDNOW sample (testdata/README.md) with the published set-up: 39-week
// calibration period (1 January to 30 September 1997), 78 weeks in all,
// time in weeks.
var cdnowConfig = Config{
	End:            date("1998-06-30"),
	CalibrationEnd: date("1997-09-30"),
	Unit:           Weeks,
	AverageMargin:  1, // the sample has no costs; value = revenue
}

func cdnowSummary(tb testing.TB) *Summary {
	tb.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(tb, 0)
	rs := batched(tb, mem, loadCDNOW(tb), 1024)
	defer rs.Release()
	s, err := Summarize(context.Background(), rs, cdnowConfig)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func TestCDNOWSummary(t *testing.T) {
	s := cdnowSummary(t)
	var repeat, sumX, holdout int
	for i := range s.Customers {
		if s.Frequency[i] > 0 {
			repeat++
		}
		sumX += s.Frequency[i]
		holdout += s.Holdout[i]
	}
	// 2,357 customers and 946 repeat buyers (lifetimes documentation,
	// Gamma-Gamma fit "with 946 subjects").
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"customers", s.Len(), 2357},
		{"repeat customers", repeat, 946},
		{"calibration repeat purchases", sumX, 2457},
		{"holdout purchases", holdout, 1882},
		{"late orders", int(s.Late), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	// Customer 0001 as in Hardie's summary: x = 2, t_x = 30.43, T = 38.86,
	// mean repeat spend (29.73 + 14.96)/2.
	if i := 0; s.Customers[i] != "0001" || s.Frequency[i] != 2 || round(s.Recency[i], 2) != 30.43 ||
		round(s.Age[i], 2) != 38.86 || math.Abs(s.Monetary[i]-22.345) > 1e-9 {
		t.Errorf("customer %s: got x=%d tx=%v T=%v m=%v", s.Customers[i], s.Frequency[i], s.Recency[i], s.Age[i], s.Monetary[i])
	}
}

// Fader, Hardie and Lee (2005a) report r = 0.243, α = 4.414, a = 0.793,
// b = 2.426 and LL = −9582.4; the lifetimes documentation adds the
// standard errors.
func TestCDNOWBGNBD(t *testing.T) {
	s := cdnowSummary(t)
	m, rep, err := FitBGNBD(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	got := []float64{m.R, m.Alpha, m.A, m.B}
	want := []float64{0.243, 4.414, 0.793, 2.426}
	wantSE := []float64{0.012557, 0.378221, 0.185719, 0.705345}
	for i, name := range []string{"r", "alpha", "a", "b"} {
		if round(got[i], 3) != want[i] {
			t.Errorf("%s: got %.5f, want %.3f", name, got[i], want[i])
		}
		if relErr(rep.StdErr[i], wantSE[i]) > 1e-3 {
			t.Errorf("%s: standard error %.6f, want %.6f", name, rep.StdErr[i], wantSE[i])
		}
	}
	// The stopping rule (stopGradient) leaves the estimates within 1e-6
	// of a fit pushed to the rounding floor (gradient 3.7e-10, 83
	// evaluations), in about a third of the evaluations.
	floor := []float64{0.242594521891, 4.41360200473, 0.792922022199, 2.42590677864}
	for i, name := range []string{"r", "alpha", "a", "b"} {
		if relErr(got[i], floor[i]) > 1e-6 {
			t.Errorf("%s: got %.12g, want %.12g within 1e-6", name, got[i], floor[i])
		}
	}
	if rep.Evaluations > 30 {
		t.Errorf("%d likelihood evaluations, want at most 30", rep.Evaluations)
	}
	if round(rep.LogLikelihood, 1) != -9582.4 {
		t.Errorf("log-likelihood: got %.3f, want -9582.4", rep.LogLikelihood)
	}
	if m.Unit != Weeks {
		t.Errorf("unit: got %v, want weeks", m.Unit)
	}
	// Holdout check: the 39-week forecast of the calibration fit against
	// the 1,882 purchases the cohort actually made. The fit forecasts
	// about 1,653 (12 % short; the per-customer expectations themselves
	// match published values, see TestBGNBDPublished); the bounds guard
	// against a regression.
	var forecast float64
	for i := range s.Customers {
		forecast += m.ConditionalExpected(39, s.Frequency[i], s.Recency[i], s.Age[i])
	}
	t.Logf("holdout: forecast %.1f purchases, actual 1882", forecast)
	if forecast < 0.85*1882 || forecast > 1882 {
		t.Errorf("holdout forecast %.1f, actual 1882", forecast)
	}
}

// Fader, Hardie and Lee (2005b) report p = 6.25, q = 3.74, γ = 15.44 for
// the mean repeat spend of the 946 repeat customers in the calibration
// period.
func TestCDNOWGammaGamma(t *testing.T) {
	s := cdnowSummary(t)
	m, rep, err := FitGammaGamma(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	got := []float64{m.P, m.Q, m.Gamma}
	want := []float64{6.25, 3.74, 15.44}
	for i, name := range []string{"p", "q", "gamma"} {
		if round(got[i], 2) != want[i] {
			t.Errorf("%s: got %.4f, want %.2f", name, got[i], want[i])
		}
	}
	floor := []float64{6.2495722894, 3.74422466494, 15.4435209047} // gradient 1.4e-13
	for i, name := range []string{"p", "q", "gamma"} {
		if relErr(got[i], floor[i]) > 1e-6 {
			t.Errorf("%s: got %.12g, want %.12g within 1e-6", name, got[i], floor[i])
		}
	}
	if rep.Evaluations > 30 {
		t.Errorf("%d likelihood evaluations, want at most 30", rep.Evaluations)
	}
	if rep.N != 946 {
		t.Errorf("fitted on %d customers, want 946", rep.N)
	}
	// lifetimes documentation: expected average profit of customer 1 and
	// the mean over all 2,357 customers (its own fit, v = 15.45, hence the
	// 1e-4 tolerance).
	if got := m.ExpectedValue(2, 22.35); relErr(got, 24.658619) > 1e-4 {
		t.Errorf("customer 1: got %.6f, want 24.658619", got)
	}
	mean := 0.0
	for i := range s.Customers {
		mean += m.ExpectedValue(s.Frequency[i], s.Monetary[i])
	}
	if mean /= float64(s.Len()); relErr(mean, 35.2529588256) > 1e-4 {
		t.Errorf("mean expected value: got %.6f, want 35.252959", mean)
	}
}

// The lifetimes documentation's discounted CLV example: 12 steps of 30
// time units (its daily default applied to weekly data) at 1 % per step,
// with the Gamma-Gamma expected value; a check of Horizon.Value's
// structure against published numbers.
func TestCDNOWHorizonValue(t *testing.T) {
	gg, _, err := FitGammaGamma(context.Background(), cdnowSummary(t))
	if err != nil {
		t.Fatal(err)
	}
	h := Horizon{Periods: 12, Length: 30, Rate: 0.01}
	for _, c := range []struct {
		id    string
		x     int
		tx, T float64
		m     float64
		want  float64
	}{
		{"1", 2, 30.43, 38.86, 22.35, 140.096211},
		{"2", 1, 1.71, 38.86, 11.77, 18.943467},
		{"3", 0, 0, 38.86, 0, 38.180574},
		{"6", 7, 29.43, 38.86, 73.74, 1003.868107},
		{"9", 2, 35.71, 38.86, 25.55, 167.418216},
	} {
		got := h.Value(cdnowPublished, c.x, c.tx, c.T, gg.ExpectedValue(c.x, c.m))
		if relErr(got, c.want) > 5e-4 {
			t.Errorf("customer %s: got %.6f, want %.6f", c.id, got, c.want)
		}
	}
}
