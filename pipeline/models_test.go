package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/cxkpi/cxkpi"
	"github.com/cxkpi/cxkpi/pipeline/clv"
	"github.com/cxkpi/cxkpi/pipeline/cohort"
	"github.com/cxkpi/cxkpi/pipeline/kpi"
)

var observationCases = []struct {
	name            string
	asOf, periodEnd time.Time
	want            time.Time
}{
	{"mid-month", time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 16, 0, 0, 0, 0, time.UTC)},
	{"mid-day as-of, the default's shape", time.Date(2026, 10, 15, 17, 3, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 16, 0, 0, 0, 0, time.UTC)},
	{"last day of the period", time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
	{"period ends first", time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC)},
}

func TestObservationEnd(t *testing.T) {
	for _, tc := range observationCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := observationEnd(tc.asOf, time.UTC, tc.periodEnd)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// In a zone, the as-of day ends at its local midnight, also on the day
	// the clocks go back (25 hours long in Lisbon).
	lis, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		t.Fatal(err)
	}
	got, err := observationEnd(time.Date(2026, 10, 25, 12, 0, 0, 0, lis), lis, time.Date(2026, 11, 1, 0, 0, 0, 0, lis))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 10, 26, 0, 0, 0, 0, lis); !got.Equal(want) {
		t.Errorf("Lisbon: got %v, want %v", got, want)
	}
}

// A run in the middle of a period reports only the cohort cells that have
// ended by the end of the as-of day, and ages customers to that day, at
// every grain.
func TestModelsObserveUntilAsOf(t *testing.T) {
	monthEnd := runAsOf(t, kpi.Month, time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC))
	for _, g := range []kpi.Grain{kpi.Week, kpi.Month, kpi.Quarter, kpi.Year} {
		t.Run(string(g), func(t *testing.T) {
			asOf := time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)
			sum := runAsOf(t, g, asOf)
			observed := time.Date(2026, 10, 16, 0, 0, 0, 0, time.UTC)
			if !sum.Observed.Equal(observed) {
				t.Errorf("manifest observed_until %v, want %v", sum.Observed, observed)
			}
			cohortWeeks := g == kpi.Week
			cols := readColumns(t, filepath.Join(sum.Dir, CohortFile))
			starts, ks := cols["cohort_start"].(*array.Timestamp), cols["period_index"].(*array.Int64)
			if starts.Len() == 0 {
				t.Fatal("no cohort cells")
			}
			var latest time.Time
			for i := range starts.Len() {
				start := time.UnixMicro(int64(starts.Value(i))).UTC()
				k := int(ks.Value(i))
				var end time.Time
				if cohortWeeks {
					end = start.AddDate(0, 0, 7*(k+1))
				} else {
					end = start.AddDate(0, k+1, 0)
				}
				if end.After(observed) {
					t.Fatalf("cell (cohort %s, period %d) ends %s, after the observation end %s", start.Format(time.DateOnly), k, end, observed)
				}
				if end.After(latest) {
					latest = end
				}
			}
			// The last complete period is there: the triangle is not cut short.
			if gap := observed.Sub(latest); cohortWeeks && gap >= 7*24*time.Hour || !cohortWeeks && gap >= 31*24*time.Hour {
				t.Errorf("latest cell ends %s, a whole period before the observation end %s", latest, observed)
			}
			// Customers are aged to the as-of day: the oldest customer is
			// 16 days (31 − 15) younger than at the end of the month.
			want := maxAge(t, monthEnd) - float64(16)/7
			if got := maxAge(t, sum); math.Abs(got-want) > 1e-9 {
				t.Errorf("oldest customer's age %.6f weeks, want %.6f", got, want)
			}
		})
	}
}

var modelErrorCases = []struct {
	name     string
	err      error
	sbg, clv bool // expected by the sBG fit, by the CLV models
}{
	{"too young", fmt.Errorf("fit: %w", cohort.ErrTooFewPeriods), true, false},
	{"no churn", cohort.ErrNoChurn, true, false},
	{"no sBG optimum", fmt.Errorf("%w: line search", cohort.ErrNoFit), true, false},
	{"not a survival curve", cohort.ErrNotSurvival, false, false},
	{"no repeat buyers", fmt.Errorf("bgnbd: %w", clv.ErrNoRepeat), false, true},
	{"no convergence", clv.ErrNoConvergence, false, true},
	{"infinite mean spend", clv.ErrInfiniteMean, false, true},
	{"no cost anywhere", clv.ErrNoCost, false, true},
	{"schema", clv.ErrSchema, false, false},
	{"disk", errors.New("write spill: no space left on device"), false, false},
	{"none", nil, false, false},
}

// Expected model failures become notes; any other error fails the run.
func TestModelErrorsExpected(t *testing.T) {
	for _, tc := range modelErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := sbgExpected(tc.err) != nil; got != tc.sbg {
				t.Errorf("sbgExpected(%v) = %v, want %v", tc.err, got, tc.sbg)
			}
			if got := clvExpected(tc.err); got != tc.clv {
				t.Errorf("clvExpected(%v) = %v, want %v", tc.err, got, tc.clv)
			}
		})
	}
}

// The CLV settings the values rest on are recorded in manifest.json and
// model_fit.parquet and shown on the report; the margin of orders without
// cost is derived from the others unless configured.
func TestCLVSettingsRecorded(t *testing.T) {
	uncosted := int64(0)
	b, err := fs.ReadFile(cxkpi.Sample(), "orders.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		if f := strings.Split(line, ","); len(f) == 5 && f[4] == "" && f[3] != "" {
			uncosted++
		}
	}
	for _, tc := range []struct {
		name     string
		settings *clv.Settings
		derived  bool
	}{
		{"default", nil, true},
		{"configured", &clv.Settings{UncostedMargin: 0.3, HorizonMonths: 24, AnnualDiscountRate: 0.05}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, nil)
			cfg.CLV = tc.settings
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := clv.DefaultSettings()
			if tc.settings != nil {
				want = *tc.settings
			}
			got := sum.CLV
			if got == nil || got.HorizonMonths != want.HorizonMonths || got.AnnualDiscountRate != want.AnnualDiscountRate ||
				got.MarginDerived != tc.derived || got.UncostedOrders != uncosted || got.Orders == 0 {
				t.Fatalf("manifest clv = %+v, want horizon %d, rate %v, derived %v, %d orders without cost",
					got, want.HorizonMonths, want.AnnualDiscountRate, tc.derived, uncosted)
			}
			if !tc.derived && got.UncostedMargin != want.UncostedMargin {
				t.Errorf("margin of orders without cost %v, want the configured %v", got.UncostedMargin, want.UncostedMargin)
			}
			if tc.derived && !(got.UncostedMargin > 0 && got.UncostedMargin < 1) {
				t.Errorf("derived margin %v, want a ratio", got.UncostedMargin)
			}
			fit := readColumns(t, filepath.Join(sum.Dir, ModelFitFile))
			model, param := fit["model"].(*array.String), fit["parameter"].(*array.String)
			value, ll := fit["value"].(*array.Float64), fit["log_likelihood"].(*array.Float64)
			seen := map[string]float64{}
			for i := range model.Len() {
				if model.Value(i) != "clv" {
					continue
				}
				if ll.IsValid(i) {
					t.Errorf("setting %s has a log-likelihood", param.Value(i))
				}
				seen[param.Value(i)] = value.Value(i)
			}
			if seen["uncosted_margin"] != got.UncostedMargin || seen["horizon_months"] != float64(want.HorizonMonths) ||
				seen["annual_discount_rate"] != want.AnnualDiscountRate {
				t.Errorf("model_fit settings %v, want the manifest's %+v", seen, got)
			}
			if got.PurchaseModel == "" || len(got.Models) != len(clv.CustomerModels()) {
				t.Errorf("manifest clv: purchase model %q among %v, want one of the %d fitted", got.PurchaseModel, got.Models, len(clv.CustomerModels()))
			}
			best := got.Models[0]
			for _, m := range got.Models {
				if m.BIC < best.BIC {
					best = m
				}
			}
			if got.PurchaseModel != best.Name {
				t.Errorf("%s chosen, %s has the lowest BIC in %v", got.PurchaseModel, best.Name, got.Models)
			}
			if text := pdfText(t, filepath.Join(sum.Dir, ReportFile)); text != "" {
				phrase := "the margin of the orders with one"
				if !tc.derived {
					phrase = "the configured margin of 30.0%"
				}
				text = strings.Join(strings.Fields(text), " ")
				for _, want := range []string{phrase, "the model of lowest BIC among those fitted: BG/NBD"} {
					if !strings.Contains(text, want) {
						t.Errorf("report does not say %q", want)
					}
				}
			}
		})
	}
}

// pdfText is the text of a PDF, or "" without pdftotext.
func pdfText(t *testing.T, path string) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Log("pdftotext not installed; report text not checked")
		return ""
	}
	out, err := exec.Command(bin, path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func runAsOf(t *testing.T, g kpi.Grain, asOf time.Time) *Manifest {
	t.Helper()
	cfg := testConfig(t, nil)
	cfg.KPI.Grain = g
	cfg.AsOf = asOf
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func maxAge(t *testing.T, sum *Manifest) float64 {
	t.Helper()
	age := readColumns(t, filepath.Join(sum.Dir, CustomerFile))["age"].(*array.Float64)
	m := math.Inf(-1)
	for _, v := range age.Float64Values() {
		m = max(m, v)
	}
	return m
}

// readColumns reads a small Parquet file into one array per column.
func readColumns(t *testing.T, path string) map[string]arrow.Array {
	t.Helper()
	tbl := readParquet(t, path)
	out := map[string]arrow.Array{}
	for i, f := range tbl.Schema().Fields() {
		arr, err := array.Concatenate(tbl.Column(i).Data().Chunks(), memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(arr.Release)
		out[f.Name] = arr
	}
	return out
}

// model_fit.parquet has every customer model's parameters, AIC, BIC and
// whether it was chosen; exactly one is, the one of lowest BIC.
func TestModelChoiceRecorded(t *testing.T) {
	sum, err := Run(context.Background(), testConfig(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	fit := readColumns(t, filepath.Join(sum.Dir, ModelFitFile))
	model, param := fit["model"].(*array.String), fit["parameter"].(*array.String)
	value, ll := fit["value"].(*array.Float64), fit["log_likelihood"].(*array.Float64)
	se := fit["std_error"].(*array.Float64)
	got := map[string]map[string]float64{}
	lls := map[string]float64{}
	for i := range model.Len() {
		m := model.Value(i)
		if got[m] == nil {
			got[m] = map[string]float64{}
		}
		got[m][param.Value(i)] = value.Value(i)
		if ll.IsValid(i) {
			lls[m] = ll.Value(i)
		}
		// An estimate of a purchase or spend model has a standard error;
		// a criterion or a setting has none.
		estimate := m != "clv" && m != "sbg" && !slices.Contains([]string{"aic", "bic", "chosen"}, param.Value(i))
		if se.IsValid(i) != estimate || estimate && !(se.Value(i) > 0) {
			t.Errorf("%s %s: std_error valid %v (%v), want %v", m, param.Value(i), se.IsValid(i), se.Value(i), estimate)
		}
	}
	wantParams := map[string][]string{
		clv.ModelBGNBD:     {"r", "alpha", "a", "b"},
		clv.ModelMBGNBD:    {"r", "alpha", "a", "b"},
		clv.ModelParetoNBD: {"r", "alpha", "s", "beta"},
	}
	chosen, best := "", math.Inf(1)
	for m, params := range wantParams {
		rows := got[m]
		if len(rows) != len(params)+3 {
			t.Errorf("%s: %d rows %v, want %v with aic, bic and chosen", m, len(rows), rows, params)
		}
		for _, p := range params {
			if !(rows[p] > 0) {
				t.Errorf("%s: parameter %s = %v", m, p, rows[p])
			}
		}
		if want := 8 - 2*lls[m]; math.Abs(rows["aic"]-want) > 1e-9 {
			t.Errorf("%s: aic %v, want %v", m, rows["aic"], want)
		}
		if rows["bic"] < best {
			best = rows["bic"]
		}
		if rows["chosen"] == 1 {
			if chosen != "" {
				t.Errorf("%s and %s both chosen", chosen, m)
			}
			chosen = m
		} else if rows["chosen"] != 0 {
			t.Errorf("%s: chosen = %v, want 0 or 1", m, rows["chosen"])
		}
	}
	if chosen == "" || got[chosen]["bic"] != best {
		t.Errorf("chosen %q, want the model of lowest BIC %v", chosen, best)
	}
}
